/**
 * The generic webhook's field mapping: the editor's draft, and a preview of what a
 * sample payload becomes.
 *
 * The preview mirrors the server's rules (web/webhooks/generic.py and common.py):
 * dotted paths with list indexes as numbers; `items` names the list of alerts
 * (empty: the body is one alert or a list); an item whose status is one of
 * `resolved_values` (any case) closes the alert with its alias; the alias
 * defaults to a SHA-256 of the message; priorities are P1-P5 or severity
 * words, else P3; tags come from a list, an object (`key:value`) or a comma
 * string. Approximations: numbers print as JavaScript prints them (`1.0` is
 * `1`), and details are not cut to the 8,000-character limit.
 */
import type { FieldMapping, FieldMappingInput } from './api/types.gen';

export const MAPPING_FIELDS = [
	{ key: 'message', label: 'Message', help: 'Required: an item without it is rejected.' },
	{ key: 'alias', label: 'Alias', help: 'Deduplicates; empty: a hash of the message.' },
	{ key: 'priority', label: 'Priority', help: 'P1-P5 or a severity word; else P3.' },
	{ key: 'tags', label: 'Tags', help: 'A list, an object (key:value) or "a,b".' },
	{ key: 'details', label: 'Details', help: 'An object: its keys and values.' },
	{ key: 'description', label: 'Description', help: '' },
	{ key: 'entity', label: 'Entity', help: '' },
	{ key: 'status', label: 'Status', help: 'Compared with the resolved values.' }
] as const;

export type MappingPathKey = (typeof MAPPING_FIELDS)[number]['key'];

export type MappingDraft = Record<MappingPathKey | 'items', string> & {
	/** Comma-separated. */
	resolvedValues: string;
};

export const DEFAULT_MAPPING: FieldMapping = {
	items: '',
	message: 'message',
	alias: 'alias',
	description: 'description',
	priority: 'priority',
	tags: 'tags',
	details: 'details',
	entity: 'entity',
	status: 'status',
	resolved_values: ['resolved', 'ok', 'closed']
};

export function mappingDraft(mapping: FieldMapping): MappingDraft {
	return {
		items: mapping.items,
		message: mapping.message,
		alias: mapping.alias,
		description: mapping.description,
		priority: mapping.priority,
		tags: mapping.tags,
		details: mapping.details,
		entity: mapping.entity,
		status: mapping.status,
		resolvedValues: mapping.resolved_values.join(', ')
	};
}

/** The mapping a draft stands for (paths trimmed; resolved values split on commas). */
export function mappingOf(draft: MappingDraft): FieldMapping {
	return {
		items: draft.items.trim(),
		message: draft.message.trim(),
		alias: draft.alias.trim(),
		description: draft.description.trim(),
		priority: draft.priority.trim(),
		tags: draft.tags.trim(),
		details: draft.details.trim(),
		entity: draft.entity.trim(),
		status: draft.status.trim(),
		resolved_values: [
			...new Set(
				draft.resolvedValues
					.split(',')
					.map((v) => v.trim())
					.filter(Boolean)
			)
		]
	};
}

/** The request body of a draft, or the error of the field that is wrong. */
export function mappingBody(
	draft: MappingDraft
): { body: FieldMappingInput; errors: null } | { body: null; errors: Record<string, string> } {
	const mapping = mappingOf(draft);
	const errors: Record<string, string> = {};
	if (!mapping.message) errors.message = 'Every alert needs a message: name its path.';
	for (const [key, value] of Object.entries(mapping)) {
		if (typeof value === 'string' && value && value.split('.').includes('')) {
			errors[key] = 'A path is keys separated by single dots.';
		}
	}
	return Object.keys(errors).length ? { body: null, errors } : { body: mapping, errors: null };
}

/** Where an integration of `type` sends its payloads (`key` in the path where it goes). */
export function ingestionPath(type: string, key = '<key>'): string | null {
	const paths: Record<string, string> = {
		alertmanager: `/v1/webhooks/alertmanager/${key}`,
		grafana: `/v1/webhooks/grafana/${key}`,
		pagerduty: '/v2/enqueue',
		generic: `/v1/webhooks/generic/${key}`,
		api: '/api/v1/alerts',
		opsgenie: '/v2/alerts'
	};
	return paths[type] ?? null;
}

// -- preview -------------------------------------------------------------------------------

const MISSING = Symbol('missing');
type Found = unknown | typeof MISSING;

/** The value at dotted `path` (list indexes as numbers), or `MISSING`; `''` is the document. */
export function atPath(document: unknown, path: string): Found {
	let value: unknown = document;
	for (const part of path ? path.split('.') : []) {
		if (isObject(value) && Object.prototype.hasOwnProperty.call(value, part)) value = value[part];
		else if (Array.isArray(value) && /^\d+$/.test(part) && Number(part) < value.length) {
			value = value[Number(part)];
		} else return MISSING;
	}
	return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as text: strings as they are, other JSON as compact JSON. */
export function stringify(value: unknown): string {
	return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

const SEVERITY: Record<string, string> = {
	critical: 'P1',
	fatal: 'P1',
	emergency: 'P1',
	alert: 'P1',
	page: 'P1',
	high: 'P2',
	error: 'P2',
	major: 'P2',
	warning: 'P3',
	warn: 'P3',
	medium: 'P3',
	moderate: 'P3',
	minor: 'P4',
	low: 'P4',
	info: 'P5',
	informational: 'P5',
	none: 'P5'
};

/** A severity word or P1..P5 (any case) as a priority; anything else is P3. */
export function priorityOf(value: unknown): string {
	if (value === MISSING || value === null || value === undefined) return 'P3';
	const text = (typeof value === 'string' ? value : stringify(value)).trim();
	if (/^p[1-5]$/i.test(text)) return text.toUpperCase();
	return SEVERITY[text.toLowerCase()] ?? 'P3';
}

function clipTags(tags: string[]): string[] {
	const clipped = tags.map((t) => t.trim().slice(0, 50)).filter(Boolean);
	return [...new Set(clipped)].slice(0, 20);
}

function tagsOf(value: unknown): string[] {
	if (Array.isArray(value)) return clipTags(value.map(stringify));
	if (isObject(value)) return clipTags(Object.entries(value).map(([k, v]) => `${k}:${stringify(v)}`));
	if (typeof value === 'string') return clipTags(value.split(','));
	return [];
}

function text(item: unknown, path: string): string {
	const value = path ? atPath(item, path) : MISSING;
	return value === MISSING || value === null || value === undefined ? '' : stringify(value);
}

export type PreviewItem =
	| {
			kind: 'create';
			message: string;
			/** null: a hash of the message. */
			alias: string | null;
			description: string;
			priority: string;
			tags: string[];
			details: Record<string, string>;
			entity: string;
	  }
	| { kind: 'close'; alias: string | null }
	| { kind: 'rejected'; reason: string };

/** What one item becomes: create (or count again), close, or rejected. */
export function previewItem(item: unknown, mapping: FieldMapping): PreviewItem {
	if (!isObject(item)) return { kind: 'rejected', reason: 'an alert must be a JSON object' };
	const message = text(item, mapping.message).trim().slice(0, 130);
	const alias = text(item, mapping.alias).trim().slice(0, 512) || null;
	const status = text(item, mapping.status).trim().toLowerCase();
	if (status && mapping.resolved_values.some((v) => v.toLowerCase() === status)) {
		return { kind: 'close', alias };
	}
	if (!message) return { kind: 'rejected', reason: 'the alert has no message' };
	const details = mapping.details ? atPath(item, mapping.details) : MISSING;
	return {
		kind: 'create',
		message,
		alias,
		description: text(item, mapping.description),
		priority: priorityOf(mapping.priority ? atPath(item, mapping.priority) : MISSING),
		tags: mapping.tags ? tagsOf(atPath(item, mapping.tags)) : [],
		details: isObject(details)
			? Object.fromEntries(Object.entries(details).map(([k, v]) => [k, stringify(v)]))
			: {},
		entity: text(item, mapping.entity).trim().slice(0, 512)
	};
}

/** Every item of a sample payload (JSON text), or why it cannot be read. */
export function previewPayload(
	json: string,
	mapping: FieldMapping
): { items: PreviewItem[]; error: null } | { items: null; error: string } {
	let body: unknown;
	try {
		body = JSON.parse(json);
	} catch (e) {
		return { items: null, error: `Not JSON: ${e instanceof Error ? e.message : String(e)}` };
	}
	const found = mapping.items ? atPath(body, mapping.items) : body;
	if (found === MISSING) return { items: null, error: `No “${mapping.items}” in the payload.` };
	const items = Array.isArray(found) ? found : [found];
	if (!items.length) return { items: null, error: 'The payload holds no alerts.' };
	return { items: items.map((item) => previewItem(item, mapping)), error: null };
}

const SAMPLE: Partial<Record<MappingPathKey, unknown>> = {
	message: 'Disk almost full on db-1',
	alias: 'disk-db-1',
	priority: 'critical',
	tags: ['db', 'disk'],
	details: { host: 'db-1', used: '93%' },
	status: 'firing'
};

/** Put `value` at dotted `path` of `target`, making objects on the way (never overwriting). */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
	const parts = path.split('.');
	let here = target;
	for (const part of parts.slice(0, -1)) {
		const next = here[part];
		if (isObject(next)) here = next;
		else if (next === undefined) here = here[part] = {};
		else return;
	}
	const last = parts[parts.length - 1];
	if (last && here[last] === undefined) here[last] = value;
}

/** An example payload shaped by `mapping`, as pretty JSON (a start for the preview). */
export function samplePayload(mapping: FieldMapping): string {
	const item: Record<string, unknown> = {};
	for (const { key } of MAPPING_FIELDS) {
		const path = mapping[key];
		if (path && key in SAMPLE && !path.split('.').includes('')) setPath(item, path, SAMPLE[key]);
	}
	if (!mapping.items || mapping.items.split('.').includes('')) return JSON.stringify(item, null, 2);
	const body: Record<string, unknown> = {};
	setPath(body, mapping.items, [item]);
	return JSON.stringify(body, null, 2);
}
