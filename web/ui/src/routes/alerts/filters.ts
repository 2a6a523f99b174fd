/** The alert list's filters live in the URL (shareable, survive a reload). */
import { PRIORITIES, SORT_FIELDS, type AlertFilter, type SortField } from '$lib/api/alerts';

export type StatusChoice = 'open' | 'closed' | 'all';
export type AckChoice = 'any' | 'unacknowledged' | 'acknowledged';

export interface ListParams {
	status: StatusChoice;
	ack: AckChoice;
	priority: string[];
	tag: string[];
	q: string;
	sort: SortField;
	order: 'asc' | 'desc';
}

export const DEFAULTS: ListParams = {
	status: 'open',
	ack: 'any',
	priority: [],
	tag: [],
	q: '',
	sort: 'createdAt',
	order: 'desc'
};

function list(value: string | null): string[] {
	return (value ?? '')
		.split(',')
		.map((v) => v.trim())
		.filter(Boolean);
}

export function parseParams(search: URLSearchParams): ListParams {
	const status = search.get('status');
	const ack = search.get('ack');
	const sort = search.get('sort');
	return {
		status: status === 'closed' || status === 'all' ? status : 'open',
		ack: ack === 'acknowledged' || ack === 'unacknowledged' ? ack : 'any',
		priority: list(search.get('priority')).filter((p) =>
			(PRIORITIES as readonly string[]).includes(p)
		),
		tag: list(search.get('tag')),
		q: search.get('q') ?? '',
		sort: (SORT_FIELDS as readonly string[]).includes(sort ?? '') ? (sort as SortField) : 'createdAt',
		order: search.get('order') === 'asc' ? 'asc' : 'desc'
	};
}

/** The query string of `params`, defaults left out (so the plain /alerts is the default view). */
export function paramsSearch(params: ListParams): string {
	const search = new URLSearchParams();
	if (params.status !== DEFAULTS.status) search.set('status', params.status);
	if (params.ack !== DEFAULTS.ack) search.set('ack', params.ack);
	if (params.priority.length) search.set('priority', params.priority.join(','));
	if (params.tag.length) search.set('tag', params.tag.join(','));
	if (params.q.trim()) search.set('q', params.q.trim());
	if (params.sort !== DEFAULTS.sort) search.set('sort', params.sort);
	if (params.order !== DEFAULTS.order) search.set('order', params.order);
	const text = search.toString();
	return text ? `?${text}` : '';
}

export function toFilter(params: ListParams): AlertFilter {
	return {
		status: params.status === 'all' ? null : params.status,
		acknowledged: params.ack === 'any' ? null : params.ack === 'acknowledged',
		priority: params.priority,
		tag: params.tag,
		query: params.q,
		sort: params.sort,
		order: params.order
	};
}
