/** How alerts page: an alert's escalations and log, a person's notification log. */
import { session } from '$lib/session.svelte';
import type { AlertPaging, Many, NotificationRecord, One } from '$lib/paging-types';
import { api } from './client';
import type { AlertActionResult } from './types.gen';

const alert = (id: string) => `/alerts/${encodeURIComponent(id)}`;

export const alertPaging = (id: string) => api.get<One<AlertPaging>>(`${alert(id)}/notifications`);

/** Jump to the alert's next escalation rule now. */
export const escalateToNext = (id: string) =>
	api.post<AlertActionResult>(`${alert(id)}/escalate-to-next`, {
		user: session.user?.name || session.user?.email || '',
		source: 'web'
	});

export const myNotifications = () => api.get<Many<NotificationRecord>>('/users/me/notifications');
