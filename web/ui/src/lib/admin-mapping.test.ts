import { describe, expect, it } from 'vitest';
import type { FieldMapping } from './api/types.gen';
import {
	atPath,
	DEFAULT_MAPPING,
	ingestionPath,
	mappingBody,
	mappingDraft,
	mappingOf,
	previewItem,
	previewPayload,
	priorityOf,
	samplePayload
} from './admin-mapping';

const nagios: FieldMapping = {
	...DEFAULT_MAPPING,
	items: 'events',
	message: 'title',
	alias: 'id',
	status: 'state',
	tags: 'labels',
	details: 'extra'
};

describe('paths', () => {
	it('walks objects and list indexes, and says when a path is missing', () => {
		const doc = { a: { b: [{ c: 1 }, { c: 2 }] }, n: null };
		expect(atPath(doc, 'a.b.1.c')).toBe(2);
		expect(atPath(doc, '')).toBe(doc);
		expect(atPath(doc, 'n')).toBeNull();
		const missing = atPath(doc, 'a.x');
		expect(atPath(doc, 'a.b.2')).toBe(missing);
		expect(atPath(doc, 'a.b.c')).toBe(missing);
		expect(atPath(doc, 'toString')).toBe(missing); // own keys only
		expect(missing).not.toBeUndefined();
	});
});

describe('priority', () => {
	it('takes P1-P5 and severity words in any case, else P3', () => {
		expect(priorityOf(' p2 ')).toBe('P2');
		expect(priorityOf('CRITICAL')).toBe('P1');
		expect(priorityOf('info')).toBe('P5');
		expect(priorityOf('whatever')).toBe('P3');
		expect(priorityOf(1)).toBe('P3');
		expect(priorityOf(null)).toBe('P3');
	});
});

describe('preview', () => {
	it('maps each item of the items list', () => {
		const payload = JSON.stringify({
			events: [
				{ title: 'Disk full', id: 'd1', state: 'alarm', labels: { env: 'prod' }, extra: { n: 3, ok: true } },
				{ title: 'Disk full', id: 'd1', state: 'OK' },
				{ id: 'x' },
				'nope'
			]
		});
		const result = previewPayload(payload, nagios);
		expect(result.error).toBeNull();
		expect(result.items).toEqual([
			{
				kind: 'create',
				message: 'Disk full',
				alias: 'd1',
				description: '',
				priority: 'P3',
				tags: ['env:prod'],
				details: { n: '3', ok: 'true' },
				entity: ''
			},
			{ kind: 'close', alias: 'd1' },
			{ kind: 'rejected', reason: 'the alert has no message' },
			{ kind: 'rejected', reason: 'an alert must be a JSON object' }
		]);
	});

	it('takes the body as one alert or a list when there is no items path', () => {
		const one = previewPayload('{"message": "m", "tags": "a, b,,a", "priority": "high"}', DEFAULT_MAPPING);
		expect(one.items?.[0]).toMatchObject({ kind: 'create', alias: null, tags: ['a', 'b'], priority: 'P2' });
		expect(previewPayload('[{"message": "a"}, {"message": "b"}]', DEFAULT_MAPPING).items).toHaveLength(2);
	});

	it('compares the status with the resolved values in any case', () => {
		const mapping = { ...DEFAULT_MAPPING, resolved_values: ['Recovered'] };
		expect(previewItem({ message: 'm', alias: 'a', status: ' RECOVERED ' }, mapping)).toEqual({ kind: 'close', alias: 'a' });
		expect(previewItem({ message: 'm', status: 'ok' }, mapping)).toMatchObject({ kind: 'create' });
	});

	it('clips the message like the server and stringifies non-text values', () => {
		const item = previewItem({ message: `  ${'x'.repeat(200)}`, tags: [1, { a: 1 }] }, DEFAULT_MAPPING);
		expect(item).toMatchObject({ message: 'x'.repeat(130), tags: ['1', '{"a":1}'] });
	});

	it('explains a payload it cannot read', () => {
		expect(previewPayload('{', DEFAULT_MAPPING).error).toMatch(/^Not JSON/);
		expect(previewPayload('{}', nagios).error).toBe('No “events” in the payload.');
		expect(previewPayload('[]', DEFAULT_MAPPING).error).toBe('The payload holds no alerts.');
	});

	it('previews its own sample as one alert', () => {
		for (const mapping of [DEFAULT_MAPPING, nagios, { ...nagios, items: 'data.alerts', message: 'a.b' }]) {
			const result = previewPayload(samplePayload(mapping), mapping);
			expect(result.items?.[0]).toMatchObject({ kind: 'create', message: 'Disk almost full on db-1' });
		}
	});
});

describe('the mapping form', () => {
	it('round-trips a mapping and splits resolved values', () => {
		expect(mappingOf(mappingDraft(nagios))).toEqual(nagios);
		const draft = { ...mappingDraft(DEFAULT_MAPPING), message: ' title ', resolvedValues: 'ok, OK ,, done' };
		expect(mappingBody(draft).body).toMatchObject({ message: 'title', resolved_values: ['ok', 'OK', 'done'] });
	});

	it('needs a message path and well-formed paths', () => {
		const draft = { ...mappingDraft(DEFAULT_MAPPING), message: '', tags: 'a..b', items: 'x.' };
		expect(mappingBody(draft).errors).toEqual({
			message: 'Every alert needs a message: name its path.',
			tags: 'A path is keys separated by single dots.',
			items: 'A path is keys separated by single dots.'
		});
	});

	it('knows where each type of integration sends its payloads', () => {
		expect(ingestionPath('generic')).toBe('/v1/webhooks/generic/<key>');
		expect(ingestionPath('alertmanager', 'pk_1')).toBe('/v1/webhooks/alertmanager/pk_1');
		expect(ingestionPath('opsgenie')).toBe('/v2/alerts');
		expect(ingestionPath('nope')).toBeNull();
	});
});
