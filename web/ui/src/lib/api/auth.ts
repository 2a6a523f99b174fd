/** /api/v1/auth: sign-in, the refresh-token flow (HttpOnly cookie), the profile. */
import { api } from './client';
import type {
	AcceptIn,
	InvitationView,
	LoginIn,
	Me,
	PasswordIn,
	ProfileIn,
	ProfileUpdated,
	RegisterIn,
	SignIn
} from './types.gen';

export const register = (body: RegisterIn) =>
	api.post<SignIn>('/auth/register', body, { anonymous: true });

export const login = (body: LoginIn) => api.post<SignIn>('/auth/login', body, { anonymous: true });

/** New tokens from the refresh cookie (which the server rotates). */
export const refresh = () => api.post<SignIn>('/auth/refresh', {}, { anonymous: true });

export const logout = () => api.post<void>('/auth/logout', {}, { anonymous: true });

export const me = () => api.get<Me>('/auth/me');

export const updateProfile = (body: ProfileIn) => api.patch<ProfileUpdated>('/auth/me', body);

/** Ends every other sign-in; answers new tokens (and a new refresh cookie). */
export const changePassword = (body: PasswordIn) => api.post<SignIn>('/auth/password', body);

/** New tokens for another organization of the account (the refresh cookie follows). */
export const switchOrganization = (organizationId: string) =>
	api.post<SignIn>('/auth/switch-organization', { organization_id: organizationId });

export const showInvitation = (token: string) =>
	api.get<InvitationView>(`/auth/invitations/${encodeURIComponent(token)}`, { anonymous: true });

export const acceptInvitation = (body: AcceptIn) =>
	api.post<SignIn>('/auth/invitations/accept', body, { anonymous: true });
