/** /api/v1/teams/{id}/routing-rules: which policy (or schedule, or nobody) a team's alerts page. */
import type { Many, One, RoutingRule, RoutingRuleInput } from '$lib/paging-types';
import { api } from './client';

const rules = (team: string) => `/teams/${encodeURIComponent(team)}/routing-rules`;
const rule = (team: string, id: string) => `${rules(team)}/${encodeURIComponent(id)}`;

export const listRoutingRules = (team: string) => api.get<Many<RoutingRule>>(rules(team));
export const createRoutingRule = (team: string, body: RoutingRuleInput) =>
	api.post<One<RoutingRule>>(rules(team), body);
/** Change the fields the body names (`timeRestriction: null` removes it). */
export const updateRoutingRule = (team: string, id: string, body: Partial<RoutingRuleInput>) =>
	api.patch<One<RoutingRule>>(rule(team, id), body);
export const deleteRoutingRule = (team: string, id: string) => api.delete<unknown>(rule(team, id));
/** Move a rule to position `order` (from 0). */
export const moveRoutingRule = (team: string, id: string, order: number) =>
	api.post<One<RoutingRule>>(`${rule(team, id)}/change-order`, { order });
