/**
 * Members of the organization by id, to show names where the API gives ids
 * (schedules, on-call, the audit log), and the teams by id. Loaded once per
 * sign-in on first use; a view that shows them calls `follow()` from `$effect` to
 * keep them current (`members` and `teams` changes refetch them in place). An id
 * that is not a member (or a plain username from before accounts) is shown as it is.
 */
import { listMembers, listTeams } from '$lib/api/teams';
import type { MemberOut, RecipientOut } from '$lib/api/types.gen';
import { onChanges } from '$lib/stream/changes';

export class People {
	byId = $state.raw<ReadonlyMap<string, MemberOut>>(new Map());
	teams = $state.raw<ReadonlyMap<string, string>>(new Map());
	#loading: Promise<void> | null = null;
	#generation = 0; // a newer load (or a clear) wins over an older answer
	#followers = 0;
	#unfollow: (() => void) | null = null;

	/** Fetch the members (once; `again` refetches). */
	load(again = false): Promise<void> {
		if (again || this.#loading === null) {
			const generation = ++this.#generation;
			this.#loading = Promise.all([listMembers(), listTeams()])
				.then(([members, teams]) => {
					if (generation !== this.#generation) return;
					this.byId = new Map(members.data.map((m) => [m.id, m]));
					this.teams = new Map(teams.data.map((t) => [t.id, t.name]));
				})
				.catch(() => {
					if (generation === this.#generation) this.#loading = null; // try again next time
				});
		}
		return this.#loading;
	}

	/**
	 * Load, then keep current while the caller shows people: refetched after every
	 * burst of `members` or `teams` changes. Views share one subscription; returns the
	 * cleanup (for `$effect`).
	 */
	follow(): () => void {
		void this.load();
		if (this.#followers++ === 0) {
			this.#unfollow = onChanges(['members', 'teams'], () => void this.load(true));
		}
		let followed = true;
		return () => {
			if (!followed) return;
			followed = false;
			if (--this.#followers === 0) {
				this.#unfollow?.();
				this.#unfollow = null;
			}
		};
	}

	clear(): void {
		this.byId = new Map();
		this.teams = new Map();
		this.#loading = null;
		this.#generation++;
	}

	/** The member's name (else email); a team key (`team:<id>`) as the team's name;
	 * else `fallback`, else `ref` itself. */
	name(ref: string, fallback?: string): string {
		if (ref.startsWith('team:')) {
			const id = ref.slice('team:'.length);
			return `${this.teams.get(id) ?? id} (team)`;
		}
		const member = this.byId.get(ref);
		return member ? member.name || member.email : (fallback ?? ref);
	}

	/** Names of those on call: members by name, others (teams) as the server named them. */
	recipients(list: readonly RecipientOut[]): string {
		return list.map((r) => (r.type === 'user' ? this.name(r.id, r.name) : r.name)).join(', ');
	}

	names(refs: readonly string[]): string {
		return refs.map((r) => this.name(r)).join(', ');
	}
}

export const people = new People();
