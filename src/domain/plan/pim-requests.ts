/**
 * PIM for Groups (Privileged Identity Management for a security group's membership), which Microsoft
 * suggests pairing with GDAP's security groups: eligibility made by an administrator, and a member's own
 * just-in-time activation and deactivation, each after the Microsoft page cited next to it. The bodies
 * are checked against Graph v1.0's metadata in test/microsoft/graph-metadata.test.ts.
 *
 * Permissions (delegated): PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup for eligibility
 * requests (https://learn.microsoft.com/graph/api/privilegedaccessgroup-post-eligibilityschedulerequests),
 * PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup for activation requests
 * (https://learn.microsoft.com/graph/api/privilegedaccessgroup-post-assignmentschedulerequests),
 * RoleManagementPolicy.Read.AzureADGroup for the group's policy
 * (https://learn.microsoft.com/graph/api/policyroot-list-rolemanagementpolicyassignments). Licence: each
 * eligible user needs Microsoft Entra ID P2 or Microsoft Entra ID Governance
 * (https://learn.microsoft.com/entra/id-governance/licensing-fundamentals).
 */
import type { Cloud } from '../core/model.js';
import { getUser } from './directory-requests.js';
import type { IntentSpec } from './intent.js';
import { GRAPH_HOSTS, JSON_BODY, ref, seg, tpl, type PlannedRequest, type Ref, type Template } from './request.js';

const PIM = '/identityGovernance/privilegedAccess/group';

/**
 * The schedule requests of one group and principal: GET .../eligibilityScheduleRequests or
 * .../assignmentScheduleRequests with `$filter=groupId eq '<g>' and principalId eq '<p>'` (the list pages:
 * "This method requires the $filter parameter to filter by either principalId or groupId";
 * https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityschedulerequests and
 * privilegedaccessgroup-list-assignmentschedulerequests). The read-back of a PIM request (SPEC "Read-back").
 */
export function scheduleRequestsRead(cloud: Cloud, which: 'eligibilityScheduleRequests' | 'assignmentScheduleRequests', groupId: string, principalId: string | Ref): Template {
  const q = (s: string) => encodeURIComponent(s);
  return tpl`${GRAPH_HOSTS[cloud]}${PIM}/${which}?$filter=${q(`groupId eq '${groupId}' and principalId eq '`)}${principalId}${q("'")}`;
}

const intent = (i: Omit<IntentSpec, 'scope'>): IntentSpec => ({ scope: '', ...i });

/**
 * Make a user eligible for a group's membership until `endDateTime`: POST
 * .../eligibilityScheduleRequests with `action: adminAssign`, `accessId: member`, the principal and the
 * group, and a schedule that ends (`expiration.type: afterDateTime`).
 * https://learn.microsoft.com/graph/api/privilegedaccessgroup-post-eligibilityschedulerequests (201 with
 * the request; example 1 "Create an eligibility schedule request").
 */
export function eligibilityRequest(cloud: Cloud, id: string, groupId: string, principalId: string | Ref, email: string, start: string, end: string, justification: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}${PIM}/eligibilityScheduleRequests`,
    headers: { ...JSON_BODY },
    body: { accessId: 'member', principalId, groupId, action: 'adminAssign', scheduleInfo: { startDateTime: start, expiration: { type: 'afterDateTime', endDateTime: end } }, justification },
    intent: intent({
      kind: 'eligibility.create',
      target: groupId,
      key: tpl`eligibility:${groupId}:${principalId}`,
      readBack: { url: scheduleRequestsRead(cloud, 'eligibilityScheduleRequests', groupId, principalId), look: { find: 'scheduleRequest', action: 'adminAssign' } },
      effect: { email, groupId, until: end },
    }),
  };
}

/** `group add-member --eligible`: per user, its id from GET /users/{upn}, then its eligibility request. */
export function planEligibility(cloud: Cloud, groupId: string, emails: readonly string[], start: string, end: string): PlannedRequest[] {
  const n = emails.length;
  return emails.flatMap((e, i) => {
    const [u, r] = n === 1 ? ['user', 'eligible'] : [`user-${i + 1}`, `eligible-${i + 1}`];
    return [getUser(cloud, u, e), eligibilityRequest(cloud, r, groupId, ref(u, 'id'), e, start, end, `delegate group add-member --eligible (${e})`)];
  });
}

/**
 * A member's own activation (`selfActivate`) or deactivation (`selfDeactivate`): POST
 * .../assignmentScheduleRequests with `accessId: member`, the caller's own principal, the group, the
 * justification and (to activate) a schedule of the duration asked (`expiration.type: afterDuration`).
 * https://learn.microsoft.com/graph/api/privilegedaccessgroup-post-assignmentschedulerequests (201 with
 * the request, whose status is e.g. Provisioned, or PendingApproval when the policy wants an approver;
 * https://learn.microsoft.com/graph/api/resources/privilegedaccessschedule lists the statuses).
 */
export function selfRequest(
  cloud: Cloud,
  id: string,
  action: 'selfActivate' | 'selfDeactivate',
  groupId: string,
  principalId: string | Ref,
  email: string,
  o: { start?: string; duration?: string; justification?: string },
): PlannedRequest {
  const body: Record<string, string | Ref | Record<string, string | Record<string, string>>> = { accessId: 'member', principalId, groupId, action };
  if (o.justification !== undefined) body.justification = o.justification;
  if (o.start && o.duration) body.scheduleInfo = { startDateTime: o.start, expiration: { type: 'afterDuration', duration: o.duration } };
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}${PIM}/assignmentScheduleRequests`,
    headers: { ...JSON_BODY },
    body,
    intent: intent({
      kind: action === 'selfActivate' ? 'activation.create' : 'activation.end',
      target: groupId,
      key: tpl`activation:${groupId}:${principalId}`,
      readBack: { url: scheduleRequestsRead(cloud, 'assignmentScheduleRequests', groupId, principalId), look: { find: 'scheduleRequest', action } },
      effect: { email, groupId, ...(o.duration ? { duration: o.duration } : {}) },
    }),
  };
}

/** `access activate` / `access deactivate`: the caller's id from GET /users/{upn}, then its own request. */
export function planSelf(cloud: Cloud, action: 'selfActivate' | 'selfDeactivate', groupId: string, email: string, o: { start?: string; duration?: string; justification?: string }): PlannedRequest[] {
  return [getUser(cloud, 'me', email), selfRequest(cloud, action === 'selfActivate' ? 'activate' : 'deactivate', action, groupId, ref('me', 'id'), email, o)];
}

/**
 * The group's PIM policy for membership, with its rules: GET /policies/roleManagementPolicyAssignments
 * with `$filter=scopeId eq '<group>' and scopeType eq 'Group' and roleDefinitionId eq 'member'` and
 * `$expand=policy($expand=rules)` (https://learn.microsoft.com/graph/api/policyroot-list-rolemanagementpolicyassignments,
 * example "Retrieve details of all role management policy assignments for PIM for groups";
 * resources/unifiedrolemanagementpolicyassignment: roleDefinitionId "For PIM for Groups membership and
 * ownership, it's either member or owner"). A read, not a change.
 */
export function groupPolicyRead(cloud: Cloud, id: string, groupId: string): PlannedRequest {
  const filter = encodeURIComponent(`scopeId eq '${groupId}' and scopeType eq 'Group' and roleDefinitionId eq 'member'`);
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/policies/roleManagementPolicyAssignments?$filter=${filter}&$expand=${encodeURIComponent('policy($expand=rules)')}` };
}

/** A group's members through nested groups too: GET /groups/{id}/transitiveMembers (https://learn.microsoft.com/graph/api/group-list-transitivemembers). */
export function transitiveMembersRead(cloud: Cloud, id: string, groupId: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/transitiveMembers?$select=id,userPrincipalName` };
}

/**
 * Every eligibility request of a group (doctor --live compares them with the ledger): GET
 * .../eligibilityScheduleRequests?$filter=groupId eq '<group>' (privilegedaccessgroup-list-eligibilityschedulerequests).
 */
export function groupEligibilityRead(cloud: Cloud, id: string, groupId: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}${PIM}/eligibilityScheduleRequests?$filter=${encodeURIComponent(`groupId eq '${groupId}'`)}` };
}

/** A relationship's access assignments with their status (https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments). */
export function assignmentsRead(cloud: Cloud, id: string, relationshipId: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/tenantRelationships/delegatedAdminRelationships/${seg(relationshipId)}/accessAssignments` };
}

/** Whether a group still exists (https://learn.microsoft.com/graph/api/group-get: 404 once deleted). */
export function groupRead(cloud: Cloud, id: string, groupId: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}?$select=id,displayName` };
}

/** A user by id, for the UPN of a principal Microsoft names (https://learn.microsoft.com/graph/api/user-get). */
export function userByIdRead(cloud: Cloud, id: string, userId: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/users/${seg(userId)}?$select=id,userPrincipalName` };
}
