import { describe, expect, it } from 'vitest';
import type { HeartbeatOut } from './api/types.gen';
import {
	emptyHeartbeat,
	heartbeatBody,
	heartbeatDraft,
	heartbeatStatus,
	intervalText,
	nextDue,
	pingCurl,
	pingUrl
} from './admin-heartbeats';

const beat: HeartbeatOut = {
	name: 'nightly backup',
	description: 'db dump',
	interval: 25,
	intervalUnit: 'hours',
	enabled: true,
	expired: false,
	alertMessage: 'nightly backup is expired',
	alertTags: ['backup'],
	alertPriority: 'P2',
	lastPingTime: '2030-01-01T00:00:00Z',
	ownerTeam: { id: '', name: 'Ops' }
};

describe('heartbeat status', () => {
	it('is disabled, expired or active', () => {
		expect(heartbeatStatus(beat)).toBe('active');
		expect(heartbeatStatus({ ...beat, expired: true })).toBe('expired');
		expect(heartbeatStatus({ ...beat, expired: true, enabled: false })).toBe('disabled');
	});

	it('reads the interval and when the next ping is due', () => {
		expect(intervalText(25, 'hours')).toBe('every 25 hours');
		expect(intervalText(1, 'minutes')).toBe('every minute');
		expect(nextDue(beat)).toBe('2030-01-02T01:00:00.000Z');
		expect(nextDue({ ...beat, lastPingTime: null })).toBeNull();
		expect(nextDue({ ...beat, enabled: false })).toBeNull();
	});
});

describe('heartbeat form', () => {
	it('creates with every field, trimmed, tags split and de-duplicated', () => {
		const draft = { ...emptyHeartbeat(), name: ' cron ', alertTags: 'a, b,, a', ownerTeam: ' Ops ' };
		expect(heartbeatBody(draft, 'create')).toEqual({
			body: {
				name: 'cron',
				enabled: true,
				description: '',
				interval: 10,
				intervalUnit: 'minutes',
				ownerTeam: 'Ops',
				alertMessage: '',
				alertTags: ['a', 'b'],
				alertPriority: 'P3'
			},
			errors: null
		});
	});

	it('edits without name or enabled, and an empty owner team clears it', () => {
		const draft = { ...heartbeatDraft(beat), ownerTeam: '' };
		const body = heartbeatBody(draft, 'edit').body;
		expect(body).not.toHaveProperty('name');
		expect(body).not.toHaveProperty('enabled');
		expect(body).toMatchObject({ ownerTeam: '', interval: 25, intervalUnit: 'hours', alertTags: ['backup'] });
	});

	it('names what is wrong, by the API field names', () => {
		const draft = { ...emptyHeartbeat(), name: 'a/b', interval: 0, alertTags: 'x'.repeat(51) };
		expect(heartbeatBody(draft, 'create').errors).toEqual({
			name: 'A name cannot contain “/” (it is part of the ping URL).',
			interval: 'At least 1, a whole number.',
			alertTags: 'A tag has at most 50 characters.'
		});
		expect(heartbeatBody({ ...emptyHeartbeat(), interval: 3651, intervalUnit: 'days' }, 'edit').errors).toEqual({
			interval: 'At most 3650 days.'
		});
		expect(heartbeatBody(emptyHeartbeat(), 'create').errors).toEqual({ name: 'A heartbeat needs a name.' });
	});

	it('gives a ping URL and a curl line safe to paste', () => {
		expect(pingUrl('https://p.example', "it's up")).toBe('https://p.example/api/v1/heartbeats/it%27s%20up/ping');
		expect(pingCurl('https://p.example', 'db')).toBe(
			`curl -fsS -X POST 'https://p.example/api/v1/heartbeats/db/ping' -H "Authorization: GenieKey $PULSAR_API_KEY"`
		);
	});
});
