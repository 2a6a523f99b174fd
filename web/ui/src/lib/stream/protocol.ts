/**
 * The frames of `/api/v1/ws` (server: `web/ws/protocol.py`; types generated from it).
 *
 * Client → server: `auth` (first, and again after every token refresh),
 * `subscribe` (`since`: resume after that version), `unsubscribe`, `ping`, `pong`.
 * Server → client: `ready`, `snapshot` (a topic's state at a version), `event`
 * (one delta) and `events` (several, in version order), `caught_up` (a resume is
 * complete), `resync` (subscribe again, with `since`), `unsubscribed`, `error`,
 * `ping`, `pong`.
 *
 * `parseFrame` checks the fields this client relies on and returns null for
 * anything else (an unknown frame type from a newer server is ignored, never fatal).
 */
import type { ClientFrame, Delta, ServerFrame } from '$lib/api/types.gen';

export type { ClientFrame, Delta, ServerFrame };
export type Topic = 'alerts' | 'alert' | 'counts' | 'oncall' | 'heartbeats' | 'changes';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isNumber = (value: unknown): value is number =>
	typeof value === 'number' && Number.isFinite(value);

const isDelta = (value: unknown): value is Delta => isObject(value) && isNumber(value.version);

/** A server frame from the socket's text, or null when it is not one this client knows. */
export function parseFrame(text: string): ServerFrame | null {
	let frame: unknown;
	try {
		frame = JSON.parse(text);
	} catch {
		return null;
	}
	if (!isObject(frame)) return null;
	const id = typeof frame.id === 'string';
	const valid = (() => {
		switch (frame.type) {
			case 'ready':
			case 'ping':
			case 'pong':
				return true;
			case 'error':
				return typeof frame.code === 'string';
			case 'snapshot':
				return id && isNumber(frame.version) && isObject(frame.data);
			case 'event':
				return id && isNumber(frame.version) && isDelta(frame.event);
			case 'events':
				return id && Array.isArray(frame.events) && frame.events.every(isDelta);
			case 'caught_up':
				return id && isNumber(frame.version);
			case 'resync':
			case 'unsubscribed':
				return id;
			default:
				return false;
		}
	})();
	return valid ? (frame as unknown as ServerFrame) : null;
}

export function encodeFrame(frame: ClientFrame): string {
	return JSON.stringify(frame);
}
