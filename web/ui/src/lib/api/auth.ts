/** /api/v1/auth: sign-in, the refresh-token flow (HttpOnly cookie), the profile. */
import { api } from './client';
import type { LoginIn, Me, ProfileIn, ProfileUpdated, RegisterIn, SignIn } from './types.gen';

export const register = (body: RegisterIn) =>
	api.post<SignIn>('/auth/register', body, { anonymous: true });

export const login = (body: LoginIn) => api.post<SignIn>('/auth/login', body, { anonymous: true });

/** New tokens from the refresh cookie (which the server rotates). */
export const refresh = () => api.post<SignIn>('/auth/refresh', {}, { anonymous: true });

export const logout = () => api.post<void>('/auth/logout', {}, { anonymous: true });

export const me = () => api.get<Me>('/auth/me');

export const updateProfile = (body: ProfileIn) => api.patch<ProfileUpdated>('/auth/me', body);
