/** /api/v1/teams, /api/v1/users and /api/v1/invitations: who is in the organization. */
import { api } from './client';
import type {
	AddUserIn,
	InvitationList,
	InvitationOne,
	InviteIn,
	MemberList,
	MemberOne,
	TeamIn,
	TeamList,
	TeamMemberOne,
	TeamOne
} from './types.gen';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;

const team = (id: string) => `/teams/${encodeURIComponent(id)}`;

export const listTeams = () => api.get<TeamList>('/teams');
export const getTeam = (id: string) => api.get<TeamOne>(team(id));
export const createTeam = (body: TeamIn) => api.post<TeamOne>('/teams', body);
export const deleteTeam = (id: string) => api.delete<unknown>(team(id));
export const addTeamMember = (id: string, userId: string, role = 'member') =>
	api.post<TeamMemberOne>(`${team(id)}/members`, { user_id: userId, role });
export const removeTeamMember = (id: string, userId: string) =>
	api.delete<unknown>(`${team(id)}/members/${encodeURIComponent(userId)}`);

export const listMembers = () => api.get<MemberList>('/users');
export const addMember = (body: AddUserIn) => api.post<MemberOne>('/users', body);
export const changeRole = (id: string, role: string) =>
	api.patch<MemberOne>(`/users/${encodeURIComponent(id)}`, { role });
export const removeMember = (id: string) => api.delete<unknown>(`/users/${encodeURIComponent(id)}`);

export const listInvitations = () => api.get<InvitationList>('/invitations');
export const invite = (body: InviteIn) => api.post<InvitationOne>('/invitations', body);
export const revokeInvitation = (id: string) =>
	api.delete<unknown>(`/invitations/${encodeURIComponent(id)}`);
