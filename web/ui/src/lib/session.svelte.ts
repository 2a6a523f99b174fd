/**
 * Who is signed in, and the access token.
 *
 * The access token (15 min) lives in memory only; the refresh token is the
 * server's HttpOnly cookie (path /api/v1/auth), so a reload restores the
 * session with one `POST /auth/refresh`. The token is renewed a minute before it
 * expires. Refreshes are serialised across tabs (Web Locks, where available):
 * every refresh rotates the cookie, and the server treats a rotated token
 * presented again as stolen (it revokes the whole sign-in), so two tabs must
 * never refresh with the same cookie at once.
 */
import * as auth from '$lib/api/auth';
import { ApiError, useTokens } from '$lib/api/client';
import type { LoginIn, OrganizationOut, RegisterIn, SignIn, UserOut } from '$lib/api/types.gen';

export type RestoreResult = 'signed-in' | 'signed-out' | 'unreachable';

class Session {
	user = $state<UserOut | null>(null);
	organization = $state<OrganizationOut | null>(null);
	organizations = $state<OrganizationOut[]>([]);
	permissions = $state<string[]>([]);
	/** Called when the session ends on its own (refresh refused): show sign-in. */
	onExpired: () => void = () => {};
	/** Called with every new access token (the live connection re-authenticates). */
	onToken: (token: string) => void = () => {};

	#token: string | null = null;
	#expiresAt = 0;
	#refreshing: Promise<boolean> | null = null;
	#timer: ReturnType<typeof setTimeout> | null = null;

	get signedIn(): boolean {
		return this.user !== null;
	}

	get token(): string | null {
		return this.#token;
	}

	can(permission: string): boolean {
		return this.permissions.includes(permission);
	}

	/** Restore a session from the refresh cookie (on start-up). */
	async restore(): Promise<RestoreResult> {
		try {
			return (await this.refresh()) ? 'signed-in' : 'signed-out';
		} catch {
			return 'unreachable';
		}
	}

	async login(body: LoginIn): Promise<void> {
		this.#accept(await auth.login(body));
		await this.loadMe();
	}

	async register(body: RegisterIn): Promise<void> {
		this.#accept(await auth.register(body));
		await this.loadMe();
	}

	/** Sign in with tokens answered elsewhere (accepting an invitation). */
	async adopt(answer: SignIn): Promise<void> {
		this.#accept(answer);
		await this.loadMe();
	}

	async logout(): Promise<void> {
		try {
			await auth.logout();
		} finally {
			this.clear();
		}
	}

	/** Permissions and organizations (not in the sign-in answer). */
	async loadMe(): Promise<void> {
		const me = await auth.me();
		this.user = me.user;
		this.organization = me.organization;
		this.organizations = me.organizations;
		this.permissions = me.permissions;
	}

	clear(): void {
		this.#token = null;
		this.#expiresAt = 0;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.user = null;
		this.organization = null;
		this.organizations = [];
		this.permissions = [];
	}

	/** The session ended without the user asking (the refresh was refused). */
	expire(): void {
		if (!this.signedIn && this.#token === null) return;
		this.clear();
		this.onExpired();
	}

	/**
	 * New tokens from the cookie. Resolves false when the server refused (signed out);
	 * rejects when it could not be asked (network down, server restarting).
	 */
	refresh(): Promise<boolean> {
		this.#refreshing ??= this.#refreshOnce().finally(() => {
			this.#refreshing = null;
		});
		return this.#refreshing;
	}

	/** An access token valid for a while yet (refreshed first if not, or if `fresh`). */
	async accessToken(fresh = false): Promise<string | null> {
		if (fresh || this.#token === null || Date.now() > this.#expiresAt - 30_000) {
			if (!(await this.refresh())) return null;
		}
		return this.#token;
	}

	async #refreshOnce(): Promise<boolean> {
		const run = async () => {
			try {
				this.#accept(await auth.refresh());
				return true;
			} catch (error) {
				if (error instanceof ApiError && error.status === 401) {
					this.clear();
					return false;
				}
				throw error;
			}
		};
		const ok = await (typeof navigator !== 'undefined' && navigator.locks
			? navigator.locks.request('pulsar-refresh', run)
			: run());
		if (ok && this.permissions.length === 0) await this.loadMe();
		return ok;
	}

	#accept(answer: SignIn): void {
		this.#token = answer.access_token;
		this.#expiresAt = Date.now() + answer.expires_in * 1000;
		this.user = answer.user;
		this.organization = answer.organization;
		this.onToken(answer.access_token);
		if (this.#timer) clearTimeout(this.#timer);
		const renewIn = Math.max(5_000, (answer.expires_in - 60) * 1000);
		this.#timer = setTimeout(() => {
			this.refresh().catch(() => {
				// Unreachable now; the next API call or socket reconnect refreshes.
			});
		}, renewIn);
	}
}

export const session = new Session();

/** Where to go after signing in: `?next=` if it is a path of this app, else the dashboard. */
export function nextPath(url: URL): string {
	const next = url.searchParams.get('next') ?? '';
	return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

useTokens({
	token: () => session.token,
	refresh: () => session.refresh(),
	expired: () => session.expire()
});
