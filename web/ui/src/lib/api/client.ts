/**
 * The one fetch wrapper of the app: base `/api/v1`, the access token, JSON both
 * ways, and the error envelope `{code, message, field?, request_id}` as `ApiError`.
 *
 * A 401 `token_expired` (or `unauthorized` while a token was sent) refreshes the
 * token once through `auth.refresh` and retries; if that fails `auth.expired`
 * runs (the session ends and the app shows the sign-in page).
 */
import type { ErrorBody } from './types.gen';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly field: string | null;
	readonly requestId: string | null;

	constructor(status: number, body: Partial<ErrorBody>) {
		super(body.message ?? `HTTP ${status}`);
		this.name = 'ApiError';
		this.status = status;
		this.code = body.code ?? 'http_error';
		this.field = body.field ?? null;
		this.requestId = body.request_id ?? null;
	}
}

/** How the client learns and renews the access token (wired by the session). */
export interface TokenSource {
	token(): string | null;
	/** Get a new access token; false when the session is over. */
	refresh(): Promise<boolean>;
	/** The session is over (refresh failed): sign out locally. */
	expired(): void;
}

let tokens: TokenSource = {
	token: () => null,
	refresh: async () => false,
	expired: () => {}
};

export function useTokens(source: TokenSource): void {
	tokens = source;
}

export type Query = Record<string, string | number | boolean | string[] | null | undefined>;

export interface RequestOptions {
	body?: unknown;
	query?: Query;
	signal?: AbortSignal;
	/** Send no token and never refresh (sign-in routes). */
	anonymous?: boolean;
	headers?: Record<string, string>;
}

/** `?a=1&b=x,y` from `query`, leaving out empty values. */
export function queryString(query: Query | undefined): string {
	if (!query) return '';
	const params = new URLSearchParams();
	for (const [key, value] of Object.entries(query)) {
		if (value === null || value === undefined || value === '') continue;
		if (Array.isArray(value)) {
			if (value.length) params.set(key, value.join(','));
		} else params.set(key, String(value));
	}
	const text = params.toString();
	return text ? `?${text}` : '';
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
	const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
	const token = options.anonymous ? null : tokens.token();
	if (token) headers.Authorization = `Bearer ${token}`;
	let body: string | undefined;
	if (options.body !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(options.body);
	}
	return fetch(API_BASE + path + queryString(options.query), {
		method,
		headers,
		body,
		signal: options.signal,
		credentials: 'same-origin'
	});
}

async function errorOf(response: Response): Promise<ApiError> {
	let body: Partial<ErrorBody> = {};
	try {
		body = (await response.json()) as Partial<ErrorBody>;
	} catch {
		body = { code: 'http_error', message: `${response.status} ${response.statusText}` };
	}
	return new ApiError(response.status, body);
}

/** Call the API; resolves with the decoded JSON body (undefined for 204). */
export async function request<T>(
	method: string,
	path: string,
	options: RequestOptions = {}
): Promise<T> {
	let response = await send(method, path, options);
	if (response.status === 401 && !options.anonymous && tokens.token() !== null) {
		const error = await errorOf(response);
		if (error.code !== 'token_expired' && error.code !== 'unauthorized') throw error;
		if (!(await tokens.refresh())) {
			tokens.expired();
			throw error;
		}
		response = await send(method, path, options);
	}
	if (!response.ok) throw await errorOf(response);
	if (response.status === 204) return undefined as T;
	return (await response.json()) as T;
}

export const api = {
	get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
	post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
		request<T>('POST', path, { ...options, body: body ?? {} }),
	put: <T>(path: string, body?: unknown, options?: RequestOptions) =>
		request<T>('PUT', path, { ...options, body }),
	patch: <T>(path: string, body?: unknown, options?: RequestOptions) =>
		request<T>('PATCH', path, { ...options, body }),
	delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options)
};

/** A message fit to show a person, from anything thrown. */
export function describe(error: unknown): string {
	if (error instanceof ApiError) return error.message;
	if (error instanceof Error) return error.message;
	return String(error);
}
