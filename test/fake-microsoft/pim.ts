/**
 * The fake's PIM for Groups: eligibility schedule requests (adminAssign), assignment schedule requests
 * (selfActivate, selfDeactivate), each group's membership policy with its rules, and transitive members,
 * each after the Microsoft page cited next to it. What Microsoft's pages leave open is marked so.
 */
import { randomUUID } from 'node:crypto';
import { graphError, methodNotAllowed, notFound, now, publicUser, type Json, type Reply, type Req } from './replies.js';
import type { FakeMicrosoft } from './server.js';

const CTX = 'https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group';

/** A group's membership policy as the fake holds it (the EndUser Assignment rules: pim-requests.ts). */
export interface FakePolicy {
  maximumDuration: string;
  approval: boolean;
  enabledRules: string[];
}

/** PIM state of the fake's world. */
export class FakePim {
  readonly eligibilityRequests: Json[] = [];
  readonly assignmentRequests: Json[] = [];
  /** Eligibilities by `<groupId>:<principalId>`: when they end. */
  readonly eligible = new Map<string, string>();
  /** Activations by `<groupId>:<principalId>`: when they end and when they were made. */
  readonly active = new Map<string, { until: string; since: string; status: string }>();
  /** Policies by group id; a group without one has Microsoft's default (PT8H, no approval, justification). */
  readonly policies = new Map<string, FakePolicy>();

  reset(): void {
    this.eligibilityRequests.length = 0;
    this.assignmentRequests.length = 0;
    this.eligible.clear();
    this.active.clear();
    this.policies.clear();
  }
}

const isoMs = (d: string): number | undefined => {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(d);
  return m ? (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60_000 : undefined;
};

/**
 * POST .../eligibilityScheduleRequests (https://learn.microsoft.com/graph/api/privilegedaccessgroup-post-eligibilityschedulerequests:
 * accessId, principalId, groupId, action, scheduleInfo required; 201 with the request). The status of an
 * admin assignment is Provisioned in the page's example.
 */
function postEligibility(w: FakeMicrosoft, r: Req): Reply {
  const b = (r.body ?? {}) as Json;
  for (const k of ['accessId', 'principalId', 'groupId', 'action', 'scheduleInfo']) if (b[k] === undefined) return graphError(400, 'BadRequest', `Property '${k}' is required.`);
  if (!w.groups.has(String(b.groupId))) return notFound(`group ${String(b.groupId)}`);
  if (!w.users.has(String(b.principalId))) return notFound(`principal ${String(b.principalId)}`);
  const end = ((b.scheduleInfo as Json).expiration as Json | undefined)?.endDateTime;
  const req = { '@odata.type': '#microsoft.graph.privilegedAccessGroupEligibilityScheduleRequest', id: randomUUID(), status: 'Provisioned', createdDateTime: now(), completedDateTime: now(), ...b };
  if (b.action === 'adminAssign') w.pim.eligible.set(`${String(b.groupId)}:${String(b.principalId)}`, String(end ?? '9999-12-31T00:00:00Z'));
  w.pim.eligibilityRequests.push(req);
  return { status: 201, body: { '@odata.context': `${CTX}/eligibilityScheduleRequests/$entity`, ...req } };
}

/**
 * POST .../assignmentScheduleRequests (https://learn.microsoft.com/graph/api/privilegedaccessgroup-post-assignmentschedulerequests).
 * selfActivate needs an eligibility of that principal (the answer without one is not documented: 400
 * RoleAssignmentDoesNotExist here, as PIM for roles answers); a duration above the policy's maximum is
 * refused (400 ExpirationRule, unconfirmed wording); with approval required the request waits
 * (status PendingApproval: resources/privilegedaccessschedule). selfDeactivate ends the activation (status Revoked
 * in Microsoft's example; 400 ActiveDurationTooShort within five minutes, unconfirmed wording).
 */
function postAssignment(w: FakeMicrosoft, r: Req): Reply {
  const b = (r.body ?? {}) as Json;
  for (const k of ['accessId', 'principalId', 'groupId', 'action']) if (b[k] === undefined) return graphError(400, 'BadRequest', `Property '${k}' is required.`);
  const key = `${String(b.groupId)}:${String(b.principalId)}`;
  const policy = w.pim.policies.get(String(b.groupId)) ?? { maximumDuration: 'PT8H', approval: false, enabledRules: ['Justification'] };
  let status: string;
  if (b.action === 'selfActivate') {
    const until = w.pim.eligible.get(key);
    if (!until || Date.parse(until) <= w.clock()) return graphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
    const asked = isoMs(String(((b.scheduleInfo as Json | undefined)?.expiration as Json | undefined)?.duration ?? ''));
    const max = isoMs(policy.maximumDuration)!;
    if (asked === undefined) return graphError(400, 'BadRequest', 'scheduleInfo.expiration.duration is required.');
    if (asked > max) return graphError(400, 'RoleAssignmentRequestPolicyValidationFailed', `ExpirationRule: the duration is longer than ${policy.maximumDuration}.`);
    if (policy.enabledRules.includes('Justification') && !b.justification) return graphError(400, 'RoleAssignmentRequestPolicyValidationFailed', 'JustificationRule');
    status = policy.approval ? 'PendingApproval' : 'Provisioned';
    w.pim.active.set(key, { until: new Date(w.clock() + asked).toISOString(), since: new Date(w.clock()).toISOString(), status });
  } else if (b.action === 'selfDeactivate') {
    const a = w.pim.active.get(key);
    if (!a) return graphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
    if (w.clock() - Date.parse(a.since) < 5 * 60_000) return graphError(400, 'ActiveDurationTooShort', 'The role assignment cannot be deactivated within five minutes of activation.');
    w.pim.active.delete(key);
    status = 'Revoked';
  } else return graphError(400, 'BadRequest', `The fake does not serve action ${String(b.action)}.`);
  const req = { '@odata.type': '#microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest', id: randomUUID(), status, createdDateTime: now(), ...b };
  w.pim.assignmentRequests.push(req);
  return { status: 201, body: { '@odata.context': `${CTX}/assignmentScheduleRequests/$entity`, ...req } };
}

/**
 * GET /policies/roleManagementPolicyAssignments with `$filter` on scopeId, scopeType, roleDefinitionId and
 * `$expand=policy($expand=rules)` (https://learn.microsoft.com/graph/api/policyroot-list-rolemanagementpolicyassignments):
 * the rules that govern a member's activation, as Microsoft's own rule ids name them
 * (https://learn.microsoft.com/graph/identity-governance-pim-rules-overview).
 */
function policyAssignments(w: FakeMicrosoft, r: Req): Reply {
  const list = [...w.groups.keys()].map((gid) => {
    const p = w.pim.policies.get(gid) ?? { maximumDuration: 'PT8H', approval: false, enabledRules: ['Justification'] };
    const target = (level: string) => ({ '@odata.type': 'microsoft.graph.unifiedRoleManagementPolicyRuleTarget', caller: 'EndUser', operations: ['All'], level });
    const policyId = `Group_${gid}_member`;
    return {
      id: `${policyId}_${gid}_member`,
      policyId,
      scopeId: gid,
      scopeType: 'Group',
      roleDefinitionId: 'member',
      policy: {
        id: policyId,
        rules: [
          { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule', id: 'Expiration_EndUser_Assignment', isExpirationRequired: true, maximumDuration: p.maximumDuration, target: target('Assignment') },
          { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule', id: 'Enablement_EndUser_Assignment', enabledRules: p.enabledRules, target: target('Assignment') },
          { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule', id: 'Approval_EndUser_Assignment', setting: { isApprovalRequired: p.approval }, target: target('Assignment') },
        ],
      },
    };
  });
  return w.page(r, list, '$metadata#policies/roleManagementPolicyAssignments(policy(rules()))');
}

/** https://learn.microsoft.com/graph/api/group-list-transitivemembers: members, and the members of member groups. */
function transitiveMembers(w: FakeMicrosoft, r: Req, groupId: string): Reply {
  const g = w.groups.get(groupId);
  if (!g) return notFound(`group ${groupId}`);
  const seen = new Set<string>();
  const walk = (ids: Iterable<string>) => {
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      const inner = w.groups.get(id);
      if (inner) walk(inner.members);
    }
  };
  walk(g.members);
  const list = [...seen].map((id) => {
    const u = w.users.get(id);
    return u ? { '@odata.type': '#microsoft.graph.user', ...publicUser(u) } : { '@odata.type': '#microsoft.graph.group', id, displayName: w.groups.get(id)?.displayName };
  });
  return w.page(r, list, '$metadata#directoryObjects');
}

/** The PIM routes (server.ts route() asks here first); undefined when the path is not PIM's. */
export function pimRoute(w: FakeMicrosoft, r: Req): Reply | undefined {
  const { method: m, path: p } = r;
  const base = '/identityGovernance/privilegedAccess/group';
  if (p === `${base}/eligibilityScheduleRequests`) {
    if (m === 'POST') return postEligibility(w, r);
    // The list requires a $filter by groupId or principalId (privilegedaccessgroup-list-eligibilityschedulerequests).
    if (m === 'GET') return r.query.get('$filter') ? w.page(r, w.pim.eligibilityRequests, '$metadata#identityGovernance/privilegedAccess/group/eligibilityScheduleRequests') : graphError(400, 'BadRequest', 'A $filter on groupId or principalId is required.');
    return methodNotAllowed();
  }
  if (p === `${base}/assignmentScheduleRequests`) {
    if (m === 'POST') return postAssignment(w, r);
    if (m === 'GET') return r.query.get('$filter') ? w.page(r, w.pim.assignmentRequests, '$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests') : graphError(400, 'BadRequest', 'A $filter on groupId or principalId is required.');
    return methodNotAllowed();
  }
  if (p === '/policies/roleManagementPolicyAssignments' && m === 'GET') return policyAssignments(w, r);
  const g = /^\/groups\/([^/]+)\/transitiveMembers$/.exec(p);
  if (g && m === 'GET') return transitiveMembers(w, r, decodeURIComponent(g[1]!));
  return undefined;
}
