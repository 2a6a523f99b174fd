/**
 * One WebSocket to `/api/v1/ws` shared by every live view, with reconnect and resume.
 *
 * Lifecycle: open → send `auth` → `ready` (status "live") → (re)send every
 * subscription. Each subscription remembers the version of the last snapshot,
 * event or `caught_up` it saw; after a drop (status "reconnecting") it is re-sent
 * with `since` = that version, so the server replays exactly the missed events
 * (or sends a fresh snapshot when too far behind) and nothing is lost or applied
 * twice (events at or below the version are ignored). `resync` re-subscribes the
 * same way. A refreshed access token is sent as a new `auth` on the open socket
 * (the server re-checks the token it has and closes once it expires). Server
 * `ping`s are answered; a socket silent for 2.5 ping intervals is presumed dead.
 *
 * Reconnects back off (0.25 s doubling to 10 s, with jitter); `reconnectNow`
 * skips the wait (the browser came back online or the tab became visible). An
 * `auth` refused as expired asks the token source for a fresh token on the next
 * attempt; three refusals in a row end the session (`onAuthFailed`).
 *
 * Framework-free on purpose: the socket and the timers are injectable, so
 * vitest drives it with a fake socket and fake time.
 */
import type { Delta, SnapshotData } from '$lib/api/types.gen';
import { encodeFrame, parseFrame, type ClientFrame, type Topic } from './protocol';

export type LiveStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** The part of the browser's WebSocket this module uses. */
export interface SocketLike {
	readonly readyState: number;
	send(data: string): void;
	close(code?: number, reason?: string): void;
	onopen: ((event: unknown) => void) | null;
	onmessage: ((event: { data: unknown }) => void) | null;
	onclose: ((event: { code: number; reason: string }) => void) | null;
	onerror: ((event: unknown) => void) | null;
}

export interface SubscriptionHandlers {
	/** The topic's whole state at `version` (replaces what the view had). */
	snapshot(version: number, data: SnapshotData): void;
	/** One delta after the last applied version, in order. */
	event(version: number, delta: Delta): void;
	/** The server refused the subscription (e.g. an unknown topic or a bad filter). */
	error?(code: string, message: string): void;
}

export interface Subscription {
	readonly id: string;
	/** The last version applied (null before the first snapshot). */
	readonly version: number | null;
	unsubscribe(): void;
}

export interface ConnectionOptions {
	url: () => string;
	/** An access token; `fresh` asks for a newly refreshed one. Null: signed out; a
	 * rejection: none can be had right now (the socket is closed and retried). */
	token: (fresh: boolean) => Promise<string | null>;
	socket?: (url: string) => SocketLike;
	onStatus?: (status: LiveStatus) => void;
	onAuthFailed?: () => void;
	/** Milliseconds to wait before reconnect attempt `attempt` (0-based). */
	backoff?: (attempt: number) => number;
	/** Close and retry when `ready` has not come this long after opening. */
	readyTimeoutMs?: number;
	timers?: {
		set: (fn: () => void, ms: number) => unknown;
		clear: (handle: unknown) => void;
	};
	/** Milliseconds since some epoch (for the silence check). */
	now?: () => number;
}

const OPEN = 1;
const AUTH_ERRORS = new Set(['token_expired', 'unauthorized', 'invalid_token', 'forbidden']);

export function defaultBackoff(attempt: number): number {
	const base = Math.min(10_000, 250 * 2 ** attempt);
	return base / 2 + Math.random() * (base / 2);
}

interface Sub {
	id: string;
	topic: Topic;
	filter: Record<string, unknown>;
	handlers: SubscriptionHandlers;
	version: number | null;
}

export class LiveConnection {
	status: LiveStatus = 'idle';
	private readonly options: ConnectionOptions;
	private readonly subs = new Map<string, Sub>();
	private socket: SocketLike | null = null;
	private generation = 0;
	private attempt = 0;
	private ready = false;
	private authRefusals = 0;
	private freshToken = false;
	private retryTimer: unknown = null;
	private readyTimer: unknown = null;
	private watchTimer: unknown = null;
	private lastHeard = 0;
	private nextId = 1;

	constructor(options: ConnectionOptions) {
		this.options = options;
	}

	/** Connect (if not already connected or connecting). */
	start(): void {
		if (this.socket || this.retryTimer !== null) return;
		if (this.status === 'stopped') {
			this.attempt = 0;
			this.authRefusals = 0;
		}
		this.open();
	}

	/** Close for good (sign-out): no reconnect until `start`. */
	stop(): void {
		this.generation++;
		this.clearTimers();
		this.ready = false;
		const socket = this.socket;
		this.socket = null;
		if (socket) socket.close(1000, 'stopped');
		this.setStatus('stopped');
	}

	/** Hand the server a refreshed access token (it re-checks the one it has). */
	reauthenticate(token: string): void {
		if (this.ready) this.send({ type: 'auth', token });
	}

	/** Reconnect at once if waiting to (the network came back, the tab is visible). */
	reconnectNow(): void {
		if (this.status === 'stopped' || this.socket) return;
		this.clearTimers();
		this.open();
	}

	/**
	 * Follow `topic` with `filter`. The handlers get a snapshot, then events. Starting
	 * at `since` (a version the caller already has) asks for the missed events only.
	 */
	subscribe(
		topic: Topic,
		filter: Record<string, unknown>,
		handlers: SubscriptionHandlers,
		since: number | null = null
	): Subscription {
		const sub: Sub = { id: `s${this.nextId++}`, topic, filter, handlers, version: since };
		this.subs.set(sub.id, sub);
		if (this.ready) this.sendSubscribe(sub);
		return {
			id: sub.id,
			get version() {
				return sub.version;
			},
			unsubscribe: () => {
				if (!this.subs.delete(sub.id)) return;
				if (this.ready) this.send({ type: 'unsubscribe', id: sub.id });
			}
		};
	}

	private setStatus(status: LiveStatus): void {
		if (this.status === status) return;
		this.status = status;
		this.options.onStatus?.(status);
	}

	private clearTimers(): void {
		const clear = this.options.timers?.clear ?? ((h: unknown) => clearTimeout(h as number));
		if (this.retryTimer !== null) clear(this.retryTimer);
		if (this.readyTimer !== null) clear(this.readyTimer);
		if (this.watchTimer !== null) clear(this.watchTimer);
		this.retryTimer = this.readyTimer = this.watchTimer = null;
	}

	private setTimer(fn: () => void, ms: number): unknown {
		return (this.options.timers?.set ?? ((f: () => void, t: number) => setTimeout(f, t)))(fn, ms);
	}

	private open(): void {
		const generation = ++this.generation;
		this.setStatus(this.attempt === 0 && this.status !== 'reconnecting' ? 'connecting' : 'reconnecting');
		const make = this.options.socket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
		let socket: SocketLike;
		try {
			socket = make(this.options.url());
		} catch {
			this.scheduleRetry();
			return;
		}
		this.socket = socket;
		const current = () => generation === this.generation;
		socket.onopen = () => {
			if (!current()) return;
			void this.authenticate(socket, current);
		};
		socket.onmessage = (message) => {
			if (!current() || typeof message.data !== 'string') return;
			this.lastHeard = this.now();
			this.receive(message.data);
		};
		socket.onerror = () => {};
		socket.onclose = () => {
			if (!current()) return;
			this.dropped();
		};
		this.readyTimer = this.setTimer(
			() => {
				this.readyTimer = null;
				if (current() && !this.ready) socket.close(4000, 'no ready');
			},
			this.options.readyTimeoutMs ?? 10_000
		);
	}

	private async authenticate(socket: SocketLike, current: () => boolean): Promise<void> {
		const fresh = this.freshToken;
		this.freshToken = false;
		let token: string | null;
		try {
			token = await this.options.token(fresh);
		} catch {
			// No answer (the server is restarting): not a sign-out, try again later.
			if (current()) socket.close(4001, 'no token yet');
			return;
		}
		if (!current()) return;
		if (token === null) {
			this.stop();
			this.options.onAuthFailed?.();
			return;
		}
		if (socket.readyState === OPEN) socket.send(encodeFrame({ type: 'auth', token }));
	}

	private now(): number {
		return (this.options.now ?? Date.now)();
	}

	/** Close a socket that has been silent too long (the server pings regularly). */
	private watch(intervalMs: number): void {
		const check = () => {
			this.watchTimer = null;
			if (!this.socket || !this.ready) return;
			if (this.now() - this.lastHeard > intervalMs * 2.5) {
				this.socket.close(4002, 'silent');
				this.dropped();
				return;
			}
			this.watchTimer = this.setTimer(check, intervalMs);
		};
		this.watchTimer = this.setTimer(check, intervalMs);
	}

	private dropped(): void {
		this.generation++; // ignore anything the old socket still reports
		this.socket = null;
		this.ready = false;
		const clear = this.options.timers?.clear ?? ((h: unknown) => clearTimeout(h as number));
		for (const timer of [this.readyTimer, this.watchTimer]) if (timer !== null) clear(timer);
		this.readyTimer = this.watchTimer = null;
		if (this.status === 'stopped') return;
		this.setStatus('reconnecting');
		this.scheduleRetry();
	}

	private scheduleRetry(): void {
		this.socket = null;
		this.setStatus('reconnecting');
		const delay = (this.options.backoff ?? defaultBackoff)(this.attempt++);
		this.retryTimer = this.setTimer(() => {
			this.retryTimer = null;
			this.open();
		}, delay);
	}

	private send(frame: ClientFrame): void {
		if (this.socket && this.socket.readyState === OPEN) this.socket.send(encodeFrame(frame));
	}

	private sendSubscribe(sub: Sub): void {
		const since = sub.version === null ? {} : { since: sub.version };
		this.send({ type: 'subscribe', id: sub.id, topic: sub.topic, filter: sub.filter, ...since });
	}

	private receive(text: string): void {
		const frame = parseFrame(text);
		if (frame === null) return;
		switch (frame.type) {
			case 'ready': {
				if (this.ready) return; // a later auth (token refresh) was accepted
				this.ready = true;
				this.attempt = 0;
				this.authRefusals = 0;
				this.setStatus('live');
				for (const sub of this.subs.values()) this.sendSubscribe(sub);
				const interval = frame.ping_interval > 0 ? frame.ping_interval * 1000 : 0;
				if (interval) this.watch(interval);
				return;
			}
			case 'ping':
				this.send({ type: 'pong' });
				return;
			case 'error': {
				const sub = typeof frame.id === 'string' ? this.subs.get(frame.id) : undefined;
				if (sub) {
					sub.handlers.error?.(frame.code, frame.message);
				} else if (!this.ready) {
					this.authRefused();
				} else if (AUTH_ERRORS.has(frame.code)) {
					this.freshToken = true; // the server closes next; come back with a new token
				}
				return;
			}
			case 'caught_up': {
				const sub = this.subs.get(frame.id);
				if (sub && (sub.version === null || frame.version > sub.version)) sub.version = frame.version;
				return;
			}
			case 'snapshot': {
				const sub = this.subs.get(frame.id);
				if (!sub) return;
				sub.version = frame.version;
				sub.handlers.snapshot(frame.version, frame.data);
				return;
			}
			case 'event':
				this.applyDelta(frame.id, frame.event);
				return;
			case 'events':
				for (const delta of frame.events) this.applyDelta(frame.id, delta);
				return;
			case 'resync': {
				// Dropped by the server (we fell behind): subscribe again from where we are.
				const sub = this.subs.get(frame.id);
				if (sub) this.sendSubscribe(sub);
				return;
			}
			default:
				return; // pong, unsubscribed
		}
	}

	private applyDelta(id: string, delta: Delta): void {
		const sub = this.subs.get(id);
		if (!sub) return;
		if (sub.version !== null && delta.version <= sub.version) return; // already applied
		sub.version = delta.version;
		sub.handlers.event(delta.version, delta);
	}

	private authRefused(): void {
		this.authRefusals++;
		this.freshToken = true;
		if (this.authRefusals >= 3) {
			this.stop();
			this.options.onAuthFailed?.();
		}
		// Otherwise the server closes the socket and the next attempt sends a fresh token.
	}
}
