/**
 * The WebSocket frames of `/api/v1/ws` (snapshot + ordered deltas, resumable).
 *
 * Client → server:
 *   {"type":"auth","token"}                       first frame; answered by ready or error + close
 *   {"type":"subscribe","id","topic","filter","since"?}
 *   {"type":"unsubscribe","id"}
 * Server → client:
 *   {"type":"ready"} | {"type":"error","code"?,"message"?,"id"?}
 *   {"type":"snapshot","id","version","data"}     the topic's state at `version`
 *   {"type":"event","id","version","event"}       one later event, in order
 *   {"type":"events","id",...}                    several events at once (batched)
 *   {"type":"resync","id"}                        the server dropped us: subscribe afresh
 *
 * `parseFrame` is tolerant: unknown frame types and malformed frames come back
 * as `null` (ignored), and a batched `events` frame is unrolled into single
 * events, whether it carries `events: [{version, event}]`, `events: [event]`
 * with one `version`, or `[version, event]` pairs.
 */

export type Topic = 'alerts' | 'alert' | 'counts' | 'oncall';

export type ClientFrame =
	| { type: 'auth'; token: string }
	| {
			type: 'subscribe';
			id: string;
			topic: Topic;
			filter: Record<string, unknown>;
			since?: number;
	  }
	| { type: 'unsubscribe'; id: string };

/** One delta: the subscription it belongs to, its version, and the event payload. */
export interface EventFrame {
	type: 'event';
	id: string;
	version: number;
	event: Record<string, unknown>;
}

export type ServerFrame =
	| { type: 'ready' }
	| { type: 'error'; id: string | null; code: string; message: string }
	| { type: 'snapshot'; id: string; version: number; data: unknown }
	| EventFrame
	| { type: 'events'; id: string; events: EventFrame[] }
	| { type: 'resync'; id: string };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | null {
	return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
	return typeof value === 'string' ? value : null;
}

/** The events of a batched frame, each with its version (null if malformed). */
function unrollEvents(id: string, frame: Json): EventFrame[] | null {
	const items = frame.events;
	if (!Array.isArray(items)) return null;
	const base = num(frame.version);
	const out: EventFrame[] = [];
	items.forEach((item: unknown, index) => {
		if (Array.isArray(item) && item.length === 2 && num(item[0]) !== null && isObject(item[1])) {
			out.push({ type: 'event', id, version: num(item[0])!, event: item[1] });
		} else if (isObject(item) && isObject(item.event) && num(item.version) !== null) {
			out.push({ type: 'event', id, version: num(item.version)!, event: item.event });
		} else if (isObject(item) && num(item.version) !== null) {
			out.push({ type: 'event', id, version: num(item.version)!, event: item });
		} else if (isObject(item) && base !== null) {
			// One version for the batch: the events are base - n + 1 .. base, in order.
			out.push({ type: 'event', id, version: base - items.length + 1 + index, event: item });
		}
	});
	return out;
}

/** A server frame from the socket's text, or null when it is not one we know. */
export function parseFrame(text: string): ServerFrame | null {
	let frame: unknown;
	try {
		frame = JSON.parse(text);
	} catch {
		return null;
	}
	if (!isObject(frame)) return null;
	const id = str(frame.id);
	switch (frame.type) {
		case 'ready':
			return { type: 'ready' };
		case 'error':
			return {
				type: 'error',
				id,
				code: str(frame.code) ?? 'error',
				message: str(frame.message) ?? str(frame.code) ?? 'error'
			};
		case 'snapshot': {
			const version = num(frame.version);
			if (id === null || version === null) return null;
			return { type: 'snapshot', id, version, data: frame.data };
		}
		case 'event': {
			const version = num(frame.version);
			if (id === null || version === null || !isObject(frame.event)) return null;
			return { type: 'event', id, version, event: frame.event };
		}
		case 'events': {
			if (id === null) return null;
			const events = unrollEvents(id, frame);
			return events === null ? null : { type: 'events', id, events };
		}
		case 'resync':
			return id === null ? null : { type: 'resync', id };
		default:
			return null;
	}
}

export function encodeFrame(frame: ClientFrame): string {
	return JSON.stringify(frame);
}
