import { describe, expect, it } from 'vitest';
import { ApiError } from './api/client';
import { hasErrors, serverErrors } from './field-errors';

describe('server errors by field', () => {
	const shown = new Set(['name', 'conditions', 'timeRestriction']);

	it('puts a named field next to it, renamed where the form calls it otherwise', () => {
		const criteria = new ApiError(422, { code: 'invalid_field', message: 'bad regex', field: 'criteria' });
		expect(serverErrors(criteria, shown, { criteria: 'conditions' })).toEqual({ conditions: 'bad regex' });
		const window = new ApiError(422, { code: 'invalid_field', message: 'hours', field: 'timeRestriction' });
		expect(serverErrors(window, shown)).toEqual({ timeRestriction: 'hours' });
	});

	it('places a fieldless error by its code, else above the form', () => {
		const taken = new ApiError(409, { code: 'rule_exists', message: 'taken' });
		expect(serverErrors(taken, shown, { rule_exists: 'name' })).toEqual({ name: 'taken' });
		expect(serverErrors(taken, shown)).toEqual({ '': 'taken' });
		const hidden = new ApiError(422, { code: 'invalid_field', message: 'order', field: 'order' });
		expect(serverErrors(hidden, shown)).toEqual({ '': 'order' });
		expect(serverErrors(new Error('offline'), shown)).toEqual({ '': 'offline' });
		expect(hasErrors({})).toBe(false);
		expect(hasErrors({ '': 'x' })).toBe(true);
	});
});
