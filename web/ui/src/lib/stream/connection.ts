/**
 * One WebSocket to `/api/v1/ws` shared by every live view, with reconnect and resume.
 *
 * Lifecycle: open → send `auth` → `ready` (status "live") → (re)send every
 * subscription. Each subscription remembers the version of the last snapshot or
 * event it applied; after a drop (status "reconnecting") it is re-sent with
 * `since` = that version, so the server replays exactly the missed events and
 * nothing is lost or applied twice (events at or below the version are ignored).
 * `resync` clears the version and subscribes afresh (a new snapshot follows).
 *
 * Reconnects back off (0.25 s doubling to 10 s, with jitter); `reconnectNow`
 * skips the wait (the browser came back online or the tab became visible). An
 * `auth` refused as expired asks the token source for a fresh token on the next
 * attempt; three refusals in a row end the session (`onAuthFailed`).
 *
 * Framework-free on purpose: the socket and the timers are injectable, so
 * vitest drives it with a fake socket and fake time.
 */
import { encodeFrame, parseFrame, type ClientFrame, type EventFrame, type Topic } from './protocol';

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
	snapshot(version: number, data: unknown): void;
	/** One event after the last applied version, in order. */
	event(version: number, event: Record<string, unknown>): void;
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
	/** An access token; `fresh` asks for a newly refreshed one. Null: signed out. */
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
		this.retryTimer = this.readyTimer = null;
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
			if (current() && typeof message.data === 'string') this.receive(message.data);
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
		let token: string | null = null;
		try {
			token = await this.options.token(fresh);
		} catch {
			token = null;
		}
		if (!current()) return;
		if (token === null) {
			this.stop();
			this.options.onAuthFailed?.();
			return;
		}
		if (socket.readyState === OPEN) socket.send(encodeFrame({ type: 'auth', token }));
	}

	private dropped(): void {
		this.socket = null;
		this.ready = false;
		if (this.readyTimer !== null) {
			(this.options.timers?.clear ?? ((h: unknown) => clearTimeout(h as number)))(this.readyTimer);
			this.readyTimer = null;
		}
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
		const frame: ClientFrame = { type: 'subscribe', id: sub.id, topic: sub.topic, filter: sub.filter };
		if (sub.version !== null) frame.since = sub.version;
		this.send(frame);
	}

	private receive(text: string): void {
		const frame = parseFrame(text);
		if (frame === null) return;
		switch (frame.type) {
			case 'ready':
				this.ready = true;
				this.attempt = 0;
				this.authRefusals = 0;
				this.setStatus('live');
				for (const sub of this.subs.values()) this.sendSubscribe(sub);
				return;
			case 'error': {
				const sub = frame.id === null ? undefined : this.subs.get(frame.id);
				if (sub) {
					sub.handlers.error?.(frame.code, frame.message);
				} else if (!this.ready || AUTH_ERRORS.has(frame.code)) {
					this.authRefused();
				}
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
				this.applyEvent(frame);
				return;
			case 'events':
				for (const event of frame.events) this.applyEvent(event);
				return;
			case 'resync': {
				const sub = this.subs.get(frame.id);
				if (!sub) return;
				sub.version = null;
				this.sendSubscribe(sub);
				return;
			}
		}
	}

	private applyEvent(frame: EventFrame): void {
		const sub = this.subs.get(frame.id);
		if (!sub) return;
		if (sub.version !== null && frame.version <= sub.version) return; // already applied
		sub.version = frame.version;
		sub.handlers.event(frame.version, frame.event);
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
