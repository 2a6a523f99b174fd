/**
 * The app's live data: one shared connection, its status, and a store per view.
 *
 * Every store loads its first state over REST (so a page paints at once, and
 * works while the socket reconnects), then subscribes; the socket's snapshot
 * replaces the REST data and each event updates it in place. A store's `start`
 * returns its cleanup, so a page calls it from `$effect`.
 */
import { alertHistory, filterQuery, getAlert, listAlerts, type AlertFilter } from '$lib/api/alerts';
import { describe } from '$lib/api/client';
import type { AlertOut, CountsOut, HistoryEntry, ScheduleOnCall } from '$lib/api/types.gen';
import { session } from '$lib/session.svelte';
import { LiveConnection, type LiveStatus } from './connection';
import {
	alertMap,
	appendHistory,
	applyAlertDelta,
	applyCountsDelta,
	applyOnCallDelta,
	countOpen,
	matchesFilter,
	snapshotAlerts,
	snapshotCounts,
	snapshotOnCall,
	sortAlerts,
	upsertAlert
} from './reducer';

class Live {
	status = $state<LiveStatus>('idle');
}

/** The socket's status, for the "live" / "reconnecting" badge. */
export const live = new Live();

let shared: LiveConnection | null = null;

export function connection(): LiveConnection {
	if (shared) return shared;
	const conn = new LiveConnection({
		url: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`,
		token: (fresh) => session.accessToken(fresh),
		onStatus: (status) => (live.status = status),
		onAuthFailed: () => session.expire()
	});
	session.onToken = (token) => conn.reauthenticate(token);
	window.addEventListener('online', () => conn.reconnectNow());
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible') conn.reconnectNow();
	});
	shared = conn;
	return conn;
}

/** Use `conn` as the shared connection (tests hand in one driven by a fake socket). */
export function useConnection(conn: LiveConnection | null): void {
	shared = conn;
}

export function startLive(): void {
	connection().start();
}

export function stopLive(): void {
	shared?.stop();
}

/** JSON filter of a subscription: the REST query's names, empty values left out. */
function subscriptionFilter(filter: AlertFilter, limit: number): Record<string, unknown> {
	const out: Record<string, unknown> = { limit };
	for (const [key, value] of Object.entries(filterQuery(filter))) {
		if (value === null || value === undefined || value === '') continue;
		if (Array.isArray(value) && value.length === 0) continue;
		out[key] = value;
	}
	return out;
}

/** The alert list with `filter`: first page over REST, then live. */
export class LiveAlerts {
	byId = $state.raw<ReadonlyMap<string, AlertOut>>(new Map());
	loading = $state(true);
	error = $state<string | null>(null);
	nextCursor = $state<string | null>(null);
	readonly filter: AlertFilter;
	readonly limit: number;
	items = $derived(sortAlerts(this.byId.values(), this.filterSort(), this.filterOrder()));

	/** `previous`: the list this one replaces (a filter change); what of it still
	 * matches stays on screen until the new data arrives, instead of a blank list. */
	constructor(filter: AlertFilter, limit = 100, previous?: LiveAlerts) {
		this.filter = filter;
		this.limit = limit;
		if (previous) {
			this.byId = alertMap(previous.items.filter((a) => matchesFilter(a, filter)));
		}
	}

	private filterSort() {
		return this.filter.sort ?? 'createdAt';
	}

	private filterOrder() {
		return this.filter.order ?? 'desc';
	}

	start(): () => void {
		let cancelled = false;
		let snapshotSeen = false;
		listAlerts(this.filter, this.limit)
			.then((page) => {
				if (cancelled || snapshotSeen) return;
				this.byId = alertMap(page.data);
				this.nextCursor = page.next_cursor;
			})
			.catch((error) => {
				if (!cancelled) this.error = describe(error);
			})
			.finally(() => {
				if (!cancelled) this.loading = false;
			});
		const sub = connection().subscribe('alerts', subscriptionFilter(this.filter, this.limit), {
			snapshot: (_version, data) => {
				snapshotSeen = true;
				this.byId = alertMap(snapshotAlerts(data));
				if (data.topic === 'alerts') this.nextCursor = data.next_cursor;
				this.loading = false;
				this.error = null;
			},
			event: (_version, delta) => {
				this.byId = applyAlertDelta(this.byId, delta, this.filter);
			},
			error: (_code, message) => {
				this.error = `Live updates refused: ${message}`;
			}
		});
		return () => {
			cancelled = true;
			sub.unsubscribe();
		};
	}

	/** Apply an alert as an action answered it (before its event arrives). */
	upsert(alert: AlertOut): void {
		this.byId = upsertAlert(this.byId, alert.id, alert, this.filter);
	}

	async loadMore(): Promise<void> {
		if (!this.nextCursor) return;
		const page = await listAlerts(this.filter, this.limit, this.nextCursor);
		const next = new Map(this.byId);
		for (const alert of page.data) if (!next.has(alert.id)) next.set(alert.id, alert);
		this.byId = next;
		this.nextCursor = page.next_cursor;
	}
}

/** One alert and its history, live (the `alert` topic carries both). */
export class LiveAlert {
	alert = $state.raw<AlertOut | null>(null);
	history = $state.raw<HistoryEntry[]>([]);
	error = $state<string | null>(null);
	deleted = $state(false);
	readonly id: string;

	constructor(id: string) {
		this.id = id;
	}

	start(): () => void {
		let cancelled = false;
		let snapshotSeen = false;
		Promise.all([getAlert(this.id), alertHistory(this.id)])
			.then(([one, history]) => {
				if (cancelled || snapshotSeen) return;
				this.alert = one.data;
				this.history = history.data;
			})
			.catch((error) => {
				if (!cancelled && !snapshotSeen) this.error = describe(error);
			});
		const sub = connection().subscribe(
			'alert',
			{ id: this.id },
			{
				snapshot: (_version, data) => {
					if (data.topic !== 'alert') return;
					snapshotSeen = true;
					this.alert = data.alert;
					this.history = data.history;
					this.error = null;
				},
				event: (_version, delta) => {
					if (delta.topic !== 'alert') return;
					if (delta.alert) this.alert = delta.alert;
					if (delta.deleted) this.deleted = true;
					this.history = appendHistory(this.history, delta.entry);
				},
				error: (_code, message) => {
					if (!this.alert) this.error = message;
				}
			}
		);
		return () => {
			cancelled = true;
			sub.unsubscribe();
		};
	}

	/** The alert as an action answered it (its delta follows with the history entry). */
	set(alert: AlertOut): void {
		this.alert = alert;
	}
}

/** The dashboard's counts of open alerts, live (`counts` topic). */
export class LiveCounts {
	counts = $state.raw<CountsOut | null>(null);
	/** The REST stand-in was cut at its page size: the numbers are lower bounds. */
	partial = $state(false);

	start(): () => void {
		let cancelled = false;
		let snapshotSeen = false;
		// Paint at once from REST; the snapshot replaces it.
		void listAlerts({ status: 'open' }, 100)
			.then((page) => {
				if (cancelled || snapshotSeen) return;
				this.counts = countOpen(page.data);
				this.partial = page.next_cursor !== null;
			})
			.catch(() => {});
		const sub = connection().subscribe(
			'counts',
			{},
			{
				snapshot: (_version, data) => {
					snapshotSeen = true;
					this.counts = snapshotCounts(data);
					this.partial = false;
				},
				event: (_version, delta) => {
					this.counts = applyCountsDelta(this.counts, delta);
				}
			}
		);
		return () => {
			cancelled = true;
			sub.unsubscribe();
		};
	}
}

/** Who is on call now in each schedule, live (`oncall` topic); first over REST. */
export class LiveOnCall {
	rows = $state.raw<readonly ScheduleOnCall[]>([]);
	loading = $state(true);
	error = $state<string | null>(null);

	start(loadOverRest: () => Promise<ScheduleOnCall[]>): () => void {
		let cancelled = false;
		let snapshotSeen = false;
		loadOverRest()
			.then((rows) => {
				if (!cancelled && !snapshotSeen) this.rows = rows;
			})
			.catch((error) => {
				if (!cancelled && !snapshotSeen) this.error = describe(error);
			})
			.finally(() => {
				if (!cancelled) this.loading = false;
			});
		const sub = connection().subscribe(
			'oncall',
			{},
			{
				snapshot: (_version, data) => {
					snapshotSeen = true;
					this.rows = snapshotOnCall(data);
					this.loading = false;
					this.error = null;
				},
				event: (_version, delta) => {
					this.rows = applyOnCallDelta(this.rows, delta);
				}
			}
		);
		return () => {
			cancelled = true;
			sub.unsubscribe();
		};
	}
}
