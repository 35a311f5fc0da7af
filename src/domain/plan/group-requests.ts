/**
 * Requests on security groups in the partner's own tenant (the DAP agent
 * groups and GDAP's groups), each after the Microsoft page cited next to it.
 */
import type { Cloud } from '../core/model.js';
import { Ref, ref, tpl, PlannedRequest, GRAPH_HOSTS, seg, mailNickname, ids, JSON_BODY } from './request.js';
import { getUser } from './directory-requests.js';

/**
 * A security group: mailEnabled false, securityEnabled true, mailNickname
 * required (ASCII without `@ () \ [] " ; : . <> ,` and space, at most 64).
 * https://learn.microsoft.com/en-us/graph/api/group-post-groups?view=graph-rest-1.0
 */
export function createSecurityGroup(cloud: Cloud, id: string, name: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/groups`,
    headers: { ...JSON_BODY },
    body: { displayName: name, mailEnabled: false, mailNickname: mailNickname(name), securityEnabled: true },
  };
}

/**
 * Add a member: `{"@odata.id": ".../directoryObjects/{id}"}`.
 * https://learn.microsoft.com/en-us/graph/api/group-post-members?view=graph-rest-1.0
 */
export function addGroupMember(cloud: Cloud, id: string, groupId: string, memberId: string | Ref): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/members/$ref`,
    headers: { ...JSON_BODY },
    body: { '@odata.id': tpl`${GRAPH_HOSTS[cloud]}/directoryObjects/${memberId}` },
  };
}

/**
 * Remove a member (with `/$ref`: without it the user itself would be deleted).
 * https://learn.microsoft.com/en-us/graph/api/group-delete-members?view=graph-rest-1.0
 */
export function removeGroupMember(cloud: Cloud, id: string, groupId: string, memberId: string | Ref): PlannedRequest {
  return { id, method: 'DELETE', url: tpl`${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/members/${memberId}/$ref` };
}

/**
 * Delete a group (204 No Content; a security group is "permanently deleted
 * immediately", unlike a Microsoft 365 group).
 * https://learn.microsoft.com/en-us/graph/api/group-delete?view=graph-rest-1.0
 */
export function deleteGroup(cloud: Cloud, id: string, groupObjectId: string): PlannedRequest {
  return { id, method: 'DELETE', url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupObjectId)}` };
}

/** The partner's agent groups (object ids in its own tenant), as the ledger holds them. */
export interface AgentGroups {
  adminAgentsGroupId: string | null;
  helpdeskAgentsGroupId: string | null;
}

export type AgentGroupName = 'AdminAgents' | 'HelpdeskAgents';

/** The agent group behind an admin access level (Partner Center: full = admin agent, limited = helpdesk agent). */
export function agentGroupOf(access: 'full' | 'limited' | 'none'): AgentGroupName | undefined {
  return access === 'full' ? 'AdminAgents' : access === 'limited' ? 'HelpdeskAgents' : undefined;
}

/**
 * DAP grant/revoke as agent group membership in the partner's own tenant:
 * per changed user, `GET /users/{upn}` for its id, then leave the old group
 * and join the new one. Returns the groups it needs whose id is unknown
 * instead of a plan (a lookup by name cannot be expressed: its id sits in
 * `value[0]`, not at the top level of the response).
 */
export function planAccessChanges(
  cloud: Cloud,
  changes: readonly { email: string; from: 'full' | 'limited' | 'none'; to: 'full' | 'limited' | 'none' }[],
  groups: AgentGroups,
): { requests: PlannedRequest[] } | { missing: AgentGroupName[] } {
  const changed = changes.filter((c) => c.from !== c.to);
  const groupId = (g: AgentGroupName) => (g === 'AdminAgents' ? groups.adminAgentsGroupId : groups.helpdeskAgentsGroupId);
  const needed = new Set(changed.flatMap((c) => [agentGroupOf(c.from), agentGroupOf(c.to)]).filter((g): g is AgentGroupName => g !== undefined));
  const missing = [...needed].filter((g) => !groupId(g));
  if (missing.length) return { missing };
  const userIds = ids('user', changed.length);
  const leaveIds = ids('leave', changed.length);
  const joinIds = ids('join', changed.length);
  return {
    requests: changed.flatMap((c, i) => {
      const from = agentGroupOf(c.from);
      const to = agentGroupOf(c.to);
      const user = ref(userIds[i]!, 'id');
      return [
        getUser(cloud, userIds[i]!, c.email),
        ...(from ? [removeGroupMember(cloud, leaveIds[i]!, groupId(from)!, user)] : []),
        ...(to ? [addGroupMember(cloud, joinIds[i]!, groupId(to)!, user)] : []),
      ];
    }),
  };
}

/** `group remove-member`: per member, its id from `GET /users/{upn}`, then remove it by `$ref`. */
export function planRemoveMembers(cloud: Cloud, groupObjectId: string, emails: readonly string[]): PlannedRequest[] {
  const userIds = ids('user', emails.length);
  const removeIds = ids('remove', emails.length);
  return emails.flatMap((e, i) => [getUser(cloud, userIds[i]!, e), removeGroupMember(cloud, removeIds[i]!, groupObjectId, ref(userIds[i]!, 'id'))]);
}

/** `group add-member`: per member, its id from `GET /users/{upn}`, then add it by `$ref`. */
export function planAddMembers(cloud: Cloud, groupObjectId: string, emails: readonly string[]): PlannedRequest[] {
  const userIds = ids('user', emails.length);
  const addIds = ids('add', emails.length);
  return emails.flatMap((e, i) => [getUser(cloud, userIds[i]!, e), addGroupMember(cloud, addIds[i]!, groupObjectId, ref(userIds[i]!, 'id'))]);
}
