/** /api/v1/escalation-policies: who is paged, in which order, until someone answers. */
import type { EscalationPolicy, Many, One, PolicyInput } from '$lib/paging-types';
import { api } from './client';

const path = (id: string) => `/escalation-policies/${encodeURIComponent(id)}`;

/** One page of policies by name (at most 100), from `cursor` (the answer's `next_cursor`). */
export const listPolicies = (cursor?: string | null) =>
	api.get<Many<EscalationPolicy>>('/escalation-policies', { query: { cursor } });
export const getPolicy = (id: string) => api.get<One<EscalationPolicy>>(path(id));
export const createPolicy = (body: PolicyInput) =>
	api.post<One<EscalationPolicy>>('/escalation-policies', body);
export const updatePolicy = (id: string, body: PolicyInput) =>
	api.patch<One<EscalationPolicy>>(path(id), body);
export const deletePolicy = (id: string) => api.delete<unknown>(path(id));
