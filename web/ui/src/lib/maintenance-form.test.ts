import { describe, expect, it } from 'vitest';
import { emptyMaintenance, localToIso, maintenanceBody, sortWindows } from './maintenance-form';

const now = new Date('2030-01-01T12:00:00Z');

describe('maintenance form', () => {
	it('starts now for a while', () => {
		const draft = { ...emptyMaintenance(), description: ' db ', entities: ['integration:i1', 'policy:p:1'] };
		expect(maintenanceBody(draft, now)).toEqual({
			body: {
				description: 'db',
				durationMinutes: 60,
				entities: [
					{ type: 'integration', id: 'i1' },
					{ type: 'policy', id: 'p:1' }
				]
			},
			errors: null
		});
	});

	it('is scheduled, or lasts until cancelled', () => {
		const later = { ...emptyMaintenance(), entities: ['policy:p'], startsNow: false, startAt: '2030-02-01T10:00', endMode: 'at' as const, endAt: '2030-02-01T11:00' };
		const result = maintenanceBody(later, now);
		expect(result.body).toMatchObject({ start: localToIso('2030-02-01T10:00'), end: localToIso('2030-02-01T11:00') });
		expect(maintenanceBody({ ...later, endMode: 'none' }, now).body?.end).toBeNull();
	});

	it('names what is missing or wrong', () => {
		const draft = { ...emptyMaintenance(), startsNow: false, durationMinutes: 0 };
		expect(maintenanceBody(draft, now).errors).toEqual({
			entities: 'Choose at least one integration or policy.',
			start: 'Choose when it starts.',
			durationMinutes: 'At least 1 whole minute.'
		});
		const backwards = { ...emptyMaintenance(), entities: ['policy:p'], endMode: 'at' as const, endAt: '2029-12-31T00:00' };
		expect(maintenanceBody(backwards, now).errors).toEqual({ end: 'The end must come after the start.' });
		expect(localToIso('nonsense')).toBeNull();
	});

	it('lists active, then planned soonest first, then the rest latest first', () => {
		const w = (id: string, status: 'active' | 'planned' | 'past' | 'cancelled', start: string) => ({ id, status, start });
		const sorted = sortWindows([
			w('old', 'past', '2029-01-01T00:00:00Z'),
			w('later', 'planned', '2030-03-01T00:00:00Z'),
			w('now', 'active', '2030-01-01T00:00:00Z'),
			w('soon', 'planned', '2030-02-01T00:00:00Z'),
			w('newer', 'cancelled', '2029-06-01T00:00:00Z')
		]);
		expect(sorted.map((x) => x.id)).toEqual(['now', 'soon', 'later', 'newer', 'old']);
	});
});
