/** The signed-in user's contact methods, notification rules and quiet hours (`/users/me/...`). */
import type {
	ContactMethod,
	ContactMethodType,
	Many,
	NotificationRule,
	NotificationRuleInput,
	One,
	QuietHours
} from '$lib/paging-types';
import { api } from './client';

const me = '/users/me';
const method = (id: string) => `${me}/contact-methods/${encodeURIComponent(id)}`;
const rule = (id: string) => `${me}/notification-rules/${encodeURIComponent(id)}`;

export const listMethods = () => api.get<Many<ContactMethod>>(`${me}/contact-methods`);
export const addMethod = (body: { method: ContactMethodType; address: string; name: string }) =>
	api.post<One<ContactMethod>>(`${me}/contact-methods`, body);
export const updateMethod = (id: string, body: { enabled?: boolean; name?: string; address?: string }) =>
	api.patch<One<ContactMethod>>(method(id), body);
export const deleteMethod = (id: string) => api.delete<unknown>(method(id));
export const verifyMethod = (id: string, code: string) =>
	api.post<One<ContactMethod>>(`${method(id)}/verify`, { code });
export const resendVerification = (id: string) =>
	api.post<unknown>(`${method(id)}/resend-verification`);

export const listRules = () => api.get<Many<NotificationRule>>(`${me}/notification-rules`);
export const addRule = (body: NotificationRuleInput) =>
	api.post<One<NotificationRule>>(`${me}/notification-rules`, body);
export const updateRule = (id: string, body: NotificationRuleInput) =>
	api.patch<One<NotificationRule>>(rule(id), body);
export const deleteRule = (id: string) => api.delete<unknown>(rule(id));

export const getQuietHours = () => api.get<One<QuietHours>>(`${me}/quiet-hours`);
export const setQuietHours = (body: QuietHours) => api.put<One<QuietHours>>(`${me}/quiet-hours`, body);
