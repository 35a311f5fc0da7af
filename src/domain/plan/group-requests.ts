/**
 * Requests on security groups in the partner's own tenant (the DAP agent
 * groups and GDAP's groups), each after the Microsoft page cited next to it.
 */
import type { Cloud } from '../core/model.js';
import { type Ref, ref, tpl, type PlannedRequest, GRAPH_HOSTS, seg, ids, JSON_BODY, odataString } from './request.js';
import type { IntentSpec } from './intent.js';

const intent = (i: Omit<IntentSpec, 'scope'>): IntentSpec => ({ scope: '', ...i });
/**
 * A group's direct members, as a read-back lists them: GET /groups/{id}/members?$select=id
 * (https://learn.microsoft.com/graph/api/group-list-members; a default query, no ConsistencyLevel,
 * so it reads the directory and not the eventually consistent index: aad-advanced-queries).
 */
const membersRead = (cloud: Cloud, groupId: string) => `${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/members?$select=id`;
import { getUser } from './directory-requests.js';

/**
 * A security group: mailEnabled false, securityEnabled true, mailNickname
 * required (ASCII without `@ () \ [] " ; : . <> ,` and space, at most 64).
 * https://learn.microsoft.com/en-us/graph/api/group-post-groups?view=graph-rest-1.0
 * The mailNickname is `dlg-<uuid>`, fixed when the change is decided (groupNickname): Entra keeps
 * it unique only for Microsoft 365 groups ("unique for Microsoft 365 groups in the organization",
 * same page), the uuid makes it ours; a lost answer is found by it (resources/group: mailNickname
 * "Supports $filter (eq ...)").
 */
export function createSecurityGroup(cloud: Cloud, id: string, name: string, nickname: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/groups`,
    headers: { ...JSON_BODY },
    body: { displayName: name, mailEnabled: false, mailNickname: nickname, securityEnabled: true },
    intent: intent({
      kind: 'group.create',
      target: name,
      key: `group:${name.toLowerCase()}`,
      readBack: { url: `${GRAPH_HOSTS[cloud]}/groups?$filter=${encodeURIComponent(`mailNickname eq ${odataString(nickname)}`)}&$select=id,displayName,mailNickname`, look: { find: 'groupByNickname', mailNickname: nickname } },
      effect: { name },
    }),
  };
}

/** A group's mailNickname, `dlg-<uuid>`: 40 ASCII characters of [a-z0-9-], within group-post-groups' rules. */
export function groupNickname(uuid: string): string {
  return `dlg-${uuid.toLowerCase()}`;
}

/**
 * Add a member: `{"@odata.id": ".../directoryObjects/{id}"}`.
 * https://learn.microsoft.com/en-us/graph/api/group-post-members?view=graph-rest-1.0
 */
export function addGroupMember(cloud: Cloud, id: string, groupId: string, memberId: string | Ref, email: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/members/$ref`,
    headers: { ...JSON_BODY },
    body: { '@odata.id': tpl`${GRAPH_HOSTS[cloud]}/directoryObjects/${memberId}` },
    intent: intent({ kind: 'member.add', target: groupId, key: tpl`member:${groupId}:${memberId}`, readBack: { url: membersRead(cloud, groupId), look: { find: 'member', memberId } }, effect: { email, groupId } }),
  };
}

/**
 * Remove a member (with `/$ref`: without it the user itself would be deleted).
 * https://learn.microsoft.com/en-us/graph/api/group-delete-members?view=graph-rest-1.0
 */
export function removeGroupMember(cloud: Cloud, id: string, groupId: string, memberId: string | Ref, email: string): PlannedRequest {
  return {
    id,
    method: 'DELETE',
    url: tpl`${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/members/${memberId}/$ref`,
    intent: intent({ kind: 'member.remove', target: groupId, key: tpl`member:${groupId}:${memberId}`, readBack: { url: membersRead(cloud, groupId), look: { find: 'member', memberId, gone: true } }, effect: { email, groupId } }),
  };
}

/**
 * Delete a group (204 No Content; a security group is "permanently deleted
 * immediately", unlike a Microsoft 365 group).
 * https://learn.microsoft.com/en-us/graph/api/group-delete?view=graph-rest-1.0
 */
export function deleteGroup(cloud: Cloud, id: string, groupObjectId: string, name: string): PlannedRequest {
  return {
    id,
    method: 'DELETE',
    url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupObjectId)}`,
    // https://learn.microsoft.com/graph/api/group-get: 404 once it is gone.
    intent: intent({ kind: 'group.delete', target: groupObjectId, key: `group:${name.toLowerCase()}`, readBack: { url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupObjectId)}?$select=id`, look: { find: 'exists', gone: true } }, effect: { name, groupId: groupObjectId } }),
  };
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
        ...(from ? [removeGroupMember(cloud, leaveIds[i]!, groupId(from)!, user, c.email)] : []),
        ...(to ? [addGroupMember(cloud, joinIds[i]!, groupId(to)!, user, c.email)] : []),
      ];
    }),
  };
}

/** `group remove-member`: per member, its id from `GET /users/{upn}`, then remove it by `$ref`. */
export function planRemoveMembers(cloud: Cloud, groupObjectId: string, emails: readonly string[]): PlannedRequest[] {
  const userIds = ids('user', emails.length);
  const removeIds = ids('remove', emails.length);
  return emails.flatMap((e, i) => [getUser(cloud, userIds[i]!, e), removeGroupMember(cloud, removeIds[i]!, groupObjectId, ref(userIds[i]!, 'id'), e)]);
}

/** `group add-member`: per member, its id from `GET /users/{upn}`, then add it by `$ref`. */
export function planAddMembers(cloud: Cloud, groupObjectId: string, emails: readonly string[]): PlannedRequest[] {
  const userIds = ids('user', emails.length);
  const addIds = ids('add', emails.length);
  return emails.flatMap((e, i) => [getUser(cloud, userIds[i]!, e), addGroupMember(cloud, addIds[i]!, groupObjectId, ref(userIds[i]!, 'id'), e)]);
}
