/**
 * Form errors by field: the checks made before sending, and the server's refusal
 * placed next to the field it names. Keys are field paths as the server spells
 * them (`startDate`, `timeRestriction`, `timeRestriction[1]`); '' holds the rest
 * (shown above the form).
 */
import { ApiError, describe } from '$lib/api/client';

export type FieldErrors = Record<string, string>;

/**
 * The server's refusal as field errors. A 422 names its field (`error.field`,
 * renamed by `rename` when the form calls it otherwise, e.g. `criteria` ->
 * `conditions`); an error without a field may belong to one by its code (`rename`
 * of the code, e.g. a 409 `schedule_exists` -> `name`). A field the form does not
 * show (not in `shown`) goes to ''.
 */
export function serverErrors(
	error: unknown,
	shown: ReadonlySet<string>,
	rename: Readonly<Record<string, string>> = {}
): FieldErrors {
	if (!(error instanceof ApiError)) return { '': describe(error) };
	const field = error.field ? (rename[error.field] ?? error.field) : (rename[error.code] ?? '');
	return { [shown.has(field) ? field : '']: error.message };
}

export const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0;
