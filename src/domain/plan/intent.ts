/**
 * Exactly once against Microsoft (SPEC.md "Live mode, exactly once"): before
 * a request that changes Microsoft is sent, the ledger commits an *intent*
 * (what is about to change, the read that finds its effect, and who owns it);
 * the answer's transaction closes it. An intent still open is *pending*, and
 * recovery reads its effect back by the key the intent holds, never re-sending
 * blind (Stripe's idempotency keys; Terraform's state with partial apply).
 *
 * This module is the vocabulary: the kinds of change, each with its
 * read-back (READ_BACK, the table docs/live-mode.md repeats), the intent as
 * stored, and the pure judgement of what a read-back shows. Sending is
 * src/microsoft/execute.ts's; storing is the store's; recording a recovered
 * effect in the ledger is src/domain/recovery/.
 */
import type { Value } from './value.js';
import type { Intent } from '../core/model.js';

export type { Intent };

/** Every kind of change delegate sends to Microsoft. */
export const CHANGE_KINDS = [
  'relationship.create',
  'relationship.lock',
  'relationship.terminate',
  'relationship.update',
  'assignment.create',
  'assignment.update',
  'assignment.delete',
  'group.create',
  'group.delete',
  'member.add',
  'member.remove',
  'user.create',
  'user.delete',
  'user.password',
  'role.assign',
  'domain.add',
  'domain.delete',
  'domain.verify',
  'dap.end',
  'eligibility.create',
  'activation.create',
  'activation.end',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * What a request that changes Microsoft carries for its intent, as the plan
 * builds it (its values may refer to earlier responses, filled when sent).
 */
export interface IntentSpec {
  kind: ChangeKind;
  /** What it changes, for people: a relationship id, a group id, `<tenant>/<upn>`, `<tenant>/<domain>`, a customer id. */
  target: Value;
  /**
   * The ledger thing it belongs to: `client:<domain>`, `group:<name>`, `user:<email>`,
   * `relationship:<displayName>`. Offline writes and plans on a scope with a pending intent are
   * refused; a live command first recovers the lapsed intents of its own scopes.
   */
  scope: string;
  /** The key it creates, reserved while the intent is open (a second intent for it is refused). */
  key?: Value;
  /** The read that finds the effect: a GET (followed through its pages), and what to look for. */
  readBack: { url: Value; look: Look };
  /** What the ledger needs to record the effect when recovery finds it (names the ledger knows things by). */
  effect?: Record<string, Value>;
}

/**
 * What a read-back looks for in what it reads. Each kind's row of READ_BACK
 * says which Microsoft page the read follows and what "applied" means.
 */
export type Look =
  | { find: 'relationship'; displayName: Value }
  | { find: 'request'; action: 'lockForApproval' | 'terminate' }
  | { find: 'values'; expect: Record<string, Value>; etagSent?: Value }
  | { find: 'assignment'; groupId: Value; roles?: readonly Value[]; gone?: boolean }
  | { find: 'groupByNickname'; mailNickname: Value }
  | { find: 'exists'; gone?: boolean }
  | { find: 'member'; memberId: Value; gone?: boolean }
  | { find: 'roleAssignment'; roleDefinitionId: Value }
  | { find: 'verified' }
  | { find: 'dapEnded' }
  | { find: 'scheduleRequest'; action: Value }
  | { find: 'nothing' };

/** One row of the read-back table: how a kind of change is found at Microsoft. */
export interface ReadBackRow {
  change: string;
  read: string;
  applied: string;
  source: string;
}

/**
 * The read-back of every kind of change (docs/live-mode.md "Exactly once"
 * prints this table). Pages on learn.microsoft.com; GRAPH = /graph/api/.
 */
export const READ_BACK: Record<ChangeKind, ReadBackRow> = {
  'relationship.create': {
    change: 'create a granular relationship',
    read: "GET /tenantRelationships/delegatedAdminRelationships?$filter=displayName eq '<name>' (where Microsoft refuses the filter: every page of the list)",
    applied: 'a relationship with that display name (unique across the partner\'s relationships)',
    source: 'GRAPH tenantrelationship-list-delegatedadminrelationships ($filter supported; filterable properties not documented); resources/delegatedadminrelationship (displayName "Must be unique across all delegated admin relationships of the partner")',
  },
  'relationship.lock': {
    change: 'lock a relationship for approval',
    read: 'GET .../delegatedAdminRelationships/{id}/requests',
    applied: 'a lockForApproval request (status created, pending or succeeded; failed = not applied)',
    source: 'GRAPH delegatedadminrelationship-list-requests; resources/delegatedadminrelationshiprequest (action, status)',
  },
  'relationship.terminate': {
    change: 'terminate a relationship',
    read: 'GET .../delegatedAdminRelationships/{id}/requests',
    applied: 'a terminate request (status created, pending or succeeded; failed = not applied)',
    source: 'GRAPH delegatedadminrelationship-list-requests; resources/delegatedadminrelationshiprequest',
  },
  'relationship.update': {
    change: 'change a relationship (auto-extend, roles)',
    read: 'GET .../delegatedAdminRelationships/{id}',
    applied: 'the values sent are the relationship\'s; else, the ETag unchanged from the one sent = not applied (an inference: Microsoft documents the ETag, not this rule)',
    source: 'GRAPH delegatedadminrelationship-get; delegatedadminrelationship-update (If-Match "Required")',
  },
  'assignment.create': {
    change: 'assign a group roles on a relationship',
    read: 'GET .../delegatedAdminRelationships/{id}/accessAssignments (every page)',
    applied: 'an assignment for that group (status active = applied; pending = accepted, Microsoft finishes it later; error or deleted = not applied)',
    source: 'GRAPH delegatedadminrelationship-list-accessassignments; resources/delegatedadminaccessassignment (status pending, active, deleting, deleted, error)',
  },
  'assignment.update': {
    change: "change an assignment's roles",
    read: 'GET .../delegatedAdminRelationships/{id}/accessAssignments (every page)',
    applied: 'the group\'s assignment holds exactly the roles sent (pending = accepted)',
    source: 'GRAPH delegatedadminaccessassignment-update (202 with an operation); delegatedadminrelationship-list-accessassignments',
  },
  'assignment.delete': {
    change: 'remove an assignment',
    read: 'GET .../delegatedAdminRelationships/{id}/accessAssignments (every page)',
    applied: 'no assignment for that group, or one deleted (deleting = accepted)',
    source: 'GRAPH delegatedadminaccessassignment-delete (204); resources/delegatedadminaccessassignment',
  },
  'group.create': {
    change: 'create a security group',
    read: "GET /groups?$filter=mailNickname eq 'dlg-<uuid>' (no ConsistencyLevel: a default query reads the directory, not the eventual index)",
    applied: 'a group with the mailNickname fixed when the change was decided (two: both reported, none chosen)',
    source: 'GRAPH resources/group (mailNickname supports $filter eq); group-post-groups (mailNickname: unique for Microsoft 365 groups only, hence the uuid); aad-advanced-queries',
  },
  'group.delete': {
    change: 'delete a security group',
    read: 'GET /groups/{id}',
    applied: '404 (a security group is deleted at once)',
    source: 'GRAPH group-delete; group-get',
  },
  'member.add': {
    change: 'add a member to a group',
    read: 'GET /groups/{id}/members?$select=id (every page)',
    applied: 'the member is listed',
    source: 'GRAPH group-list-members (direct members); group-post-members (400 when already a member)',
  },
  'member.remove': {
    change: 'remove a member from a group',
    read: 'GET /groups/{id}/members?$select=id (every page)',
    applied: 'the member is not listed',
    source: 'GRAPH group-list-members; group-delete-members',
  },
  'user.create': {
    change: "create a user in a client's tenant",
    read: 'GET /users/{upn} in that tenant',
    applied: 'the user exists (its password was never shown: the password step stays pending for `delegate recover`)',
    source: 'GRAPH user-get ("If a user with the ID doesn\'t exist, this method returns a 404"); user-post-users',
  },
  'user.delete': {
    change: "delete a user in a client's tenant",
    read: 'GET /users/{upn} in that tenant',
    applied: '404 (the user went to deleted items)',
    source: 'GRAPH user-get; user-delete ("moved to a temporary container and can be restored within 30 days")',
  },
  'user.password': {
    change: "reset a user's password",
    read: 'none: a password cannot be read back',
    applied: 'never known: only `delegate recover`, run by someone allowed to reset that password, resets it again and shows the new one once',
    source: 'GRAPH user-update (passwordProfile); no read returns a password',
  },
  'role.assign': {
    change: "give a client's user a directory role",
    read: "GET /roleManagement/directory/roleAssignments?$filter=principalId eq '<id>'",
    applied: 'an assignment of that role definition to that principal',
    source: 'GRAPH rbacapplication-list-roleassignments; resources/unifiedroleassignment (principalId supports $filter eq)',
  },
  'domain.add': {
    change: "add a domain to a client's tenant",
    read: 'GET /domains/{name} in that tenant',
    applied: 'the domain exists',
    source: 'GRAPH domain-get; domain-post-domains',
  },
  'domain.delete': {
    change: "remove a domain from a client's tenant",
    read: 'GET /domains/{name} in that tenant',
    applied: '404',
    source: 'GRAPH domain-get; domain-delete ("Deleted domains are not recoverable")',
  },
  'domain.verify': {
    change: "verify a client's domain",
    read: 'GET /domains/{name} in that tenant',
    applied: 'isVerified is true',
    source: 'GRAPH resources/domain (isVerified); domain-verify',
  },
  'dap.end': {
    change: 'end a delegated admin (DAP) relationship',
    read: 'Partner Center GET /v1/customers/{customer tenant id}',
    applied: 'allowDelegatedAccess is false',
    source: 'partner-center/developer/customer-resources (allowDelegatedAccess "only available when getting a customer by ID"); remove-dap',
  },
  'eligibility.create': {
    change: "make a user eligible for a group's membership (PIM for Groups)",
    read: "GET /identityGovernance/privilegedAccess/group/eligibilityScheduleRequests?$filter=groupId eq '<group>' and principalId eq '<user>'",
    applied: 'an adminAssign request made since (Provisioned, Granted or ScheduleCreated = applied; Pending* = accepted; Denied, Failed, Canceled = not applied)',
    source: 'GRAPH privilegedaccessgroup-list-eligibilityschedulerequests ($filter by groupId or principalId required); resources/privilegedaccessschedule (status values)',
  },
  'activation.create': {
    change: "activate one's own eligibility for a group's membership",
    read: "GET /identityGovernance/privilegedAccess/group/assignmentScheduleRequests?$filter=groupId eq '<group>' and principalId eq '<user>'",
    applied: 'a selfActivate request made since (Provisioned, Granted or ScheduleCreated = applied; PendingApproval and other Pending* = accepted; Denied, Failed, Canceled = not applied)',
    source: 'GRAPH privilegedaccessgroup-list-assignmentschedulerequests; privilegedaccessgroup-post-assignmentschedulerequests; resources/privilegedaccessschedule',
  },
  'activation.end': {
    change: "end one's own activation of a group's membership",
    read: "GET /identityGovernance/privilegedAccess/group/assignmentScheduleRequests?$filter=groupId eq '<group>' and principalId eq '<user>'",
    applied: 'a selfDeactivate request made since, not Denied, Failed or Canceled',
    source: 'GRAPH privilegedaccessgroup-list-assignmentschedulerequests; resources/privilegedaccessschedulerequest (selfDeactivate)',
  },
};

/** PIM schedule request statuses (https://learn.microsoft.com/graph/api/resources/privilegedaccessschedule): done, on its way, or refused. */
const PIM_DONE = new Set(['provisioned', 'granted', 'schedulecreated']);
const PIM_REFUSED = new Set(['denied', 'failed', 'canceled', 'revoked']);

/** What recovery concludes about an intent (SPEC "Recovery"). */
export type RecoveryOutcome = 'applied' | 'accepted' | 'notApplied' | 'unknown';

/** How recovery judges what a read-back found. */
export type Found =
  | { read: 'ok'; body: unknown }
  /** 404: there is nothing at that URL. */
  | { read: 'absent' }
  /** 401/403: the recovering user may not read it (its roles in that tenant). */
  | { read: 'forbidden'; message: string };

/** Secrets never reach the ledger: passwordProfile.password (and anything named password) become "<redacted>". */
export function redact(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redact);
  if (body && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, /password$/i.test(k) && typeof v === 'string' ? '<redacted>' : redact(v)]));
  }
  return body;
}

const LIST = (body: unknown): Record<string, unknown>[] => {
  const v = (body as { value?: unknown })?.value;
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
};
const lower = (v: unknown) => String(v ?? '').toLowerCase();
const sameSet = (a: readonly unknown[], b: readonly unknown[]) => {
  const x = [...a].map(lower).sort();
  const y = [...b].map(lower).sort();
  return x.length === y.length && x.every((e, i) => e === y[i]);
};
const roleIdsOf = (o: Record<string, unknown>) =>
  (((o.accessDetails as { unifiedRoles?: { roleDefinitionId?: string }[] } | undefined)?.unifiedRoles ?? []).map((r) => r.roleDefinitionId ?? ''));

/**
 * What a read-back shows about one intent. `look` and the answer were filled
 * with the values really sent. A read refused for the recovering user's roles
 * is unknown; "not applied" is the caller's to confirm (only `live.settle`
 * after the deadline: Entra is eventually consistent, and a newly created
 * object may read as absent for a while).
 */
export function judge(kind: ChangeKind, look: Look, found: Found, sentAt: string): { outcome: RecoveryOutcome; detail: string; body?: Record<string, unknown> } {
  if (found.read === 'forbidden') return { outcome: 'unknown', detail: `the read-back was refused: ${found.message}` };
  const body = found.read === 'ok' ? found.body : undefined;
  switch (look.find) {
    case 'relationship': {
      const hit = LIST(body).filter((r) => r.displayName === look.displayName);
      if (hit.length === 0) return { outcome: 'notApplied', detail: `no relationship named "${String(look.displayName)}" at Microsoft` };
      return { outcome: 'applied', detail: `relationship ${String(hit[0]!.id)} exists (${String(hit[0]!.status)})`, body: hit[0] };
    }
    case 'request': {
      // Only requests made since the intent was opened count (an older terminate was another one).
      const mine = LIST(body).filter((r) => r.action === look.action && !(typeof r.createdDateTime === 'string' && r.createdDateTime < sentAt));
      if (mine.length === 0) return { outcome: 'notApplied', detail: `no ${look.action} request at Microsoft` };
      const ok = mine.find((r) => r.status !== 'failed');
      if (!ok) return { outcome: 'notApplied', detail: `Microsoft's ${look.action} request failed` };
      return { outcome: ok.status === 'succeeded' ? 'applied' : 'accepted', detail: `${look.action} request ${String(ok.status)}`, body: ok };
    }
    case 'values': {
      if (found.read === 'absent') return { outcome: 'notApplied', detail: 'the relationship is gone at Microsoft' };
      const o = (body ?? {}) as Record<string, unknown>;
      const holds = Object.entries(look.expect).every(([k, v]) => (k === 'roles' ? sameSet(roleIdsOf(o), v as unknown[]) : o[k] === v));
      if (holds) return { outcome: o.status === 'pending' ? 'accepted' : 'applied', detail: 'Microsoft holds the values sent', body: o };
      if (look.etagSent !== undefined && o['@odata.etag'] === look.etagSent) return { outcome: 'notApplied', detail: 'the ETag is the one sent: unchanged', body: o };
      return { outcome: 'unknown', detail: 'Microsoft holds other values and a newer ETag: changed by someone else since', body: o };
    }
    case 'assignment': {
      const mine = LIST(body).filter((a) => lower((a.accessContainer as { accessContainerId?: string } | undefined)?.accessContainerId) === lower(look.groupId));
      const live = mine.filter((a) => a.status !== 'deleted' && a.status !== 'error');
      if (look.gone) {
        if (live.length === 0) return { outcome: 'applied', detail: 'no assignment for the group' };
        return live.every((a) => a.status === 'deleting') ? { outcome: 'accepted', detail: 'the assignment is being deleted', body: live[0] } : { outcome: 'notApplied', detail: 'the assignment is still there', body: live[0] };
      }
      const a = live.find((x) => !look.roles || sameSet(roleIdsOf(x), look.roles));
      if (!a) return { outcome: 'notApplied', detail: mine.some((x) => x.status === 'error') ? 'the assignment is in error at Microsoft' : 'no such assignment for the group' };
      return { outcome: a.status === 'active' || a.status === undefined ? 'applied' : 'accepted', detail: `assignment ${String(a.id)} ${String(a.status ?? 'active')}`, body: a };
    }
    case 'groupByNickname': {
      const hit = LIST(body).filter((g) => g.mailNickname === undefined || g.mailNickname === look.mailNickname);
      if (hit.length === 0) return { outcome: 'notApplied', detail: `no group with mailNickname ${String(look.mailNickname)}` };
      if (hit.length > 1) return { outcome: 'unknown', detail: `${hit.length} groups have mailNickname ${String(look.mailNickname)} (${hit.map((g) => String(g.id)).join(', ')}): none chosen` };
      return { outcome: 'applied', detail: `group ${String(hit[0]!.id)}`, body: hit[0] };
    }
    case 'exists': {
      const status = (body as { status?: unknown } | undefined)?.status;
      if (look.gone) {
        if (found.read === 'absent' || status === 'deleted') return { outcome: 'applied', detail: 'gone at Microsoft' };
        return status === 'deleting' ? { outcome: 'accepted', detail: 'being deleted at Microsoft' } : { outcome: 'notApplied', detail: 'still at Microsoft', body: body as Record<string, unknown> };
      }
      return found.read === 'absent' ? { outcome: 'notApplied', detail: 'not at Microsoft' } : { outcome: 'applied', detail: 'exists at Microsoft', body: body as Record<string, unknown> };
    }
    case 'member': {
      const listed = LIST(body).some((m) => lower(m.id) === lower(look.memberId));
      if (found.read === 'absent') return look.gone ? { outcome: 'applied', detail: 'the group is gone' } : { outcome: 'notApplied', detail: 'the group is gone' };
      return listed !== !!look.gone ? { outcome: 'applied', detail: look.gone ? 'not a member' : 'a member' } : { outcome: 'notApplied', detail: look.gone ? 'still a member' : 'not a member' };
    }
    case 'roleAssignment': {
      const hit = LIST(body).find((a) => lower(a.roleDefinitionId) === lower(look.roleDefinitionId));
      return hit ? { outcome: 'applied', detail: `role assignment ${String(hit.id)}`, body: hit } : { outcome: 'notApplied', detail: 'no assignment of that role to the user' };
    }
    case 'verified': {
      if (found.read === 'absent') return { outcome: 'notApplied', detail: 'the domain is not in the tenant' };
      // The domain read stands in for verify's answer (the same domain resource, isVerified true).
      return (body as { isVerified?: unknown })?.isVerified === true ? { outcome: 'applied', detail: 'verified', body: body as Record<string, unknown> } : { outcome: 'notApplied', detail: 'not verified' };
    }
    case 'dapEnded': {
      if (found.read === 'absent') return { outcome: 'unknown', detail: 'Partner Center does not know the customer' };
      const allow = (body as { allowDelegatedAccess?: unknown })?.allowDelegatedAccess;
      if (allow === false) return { outcome: 'applied', detail: 'allowDelegatedAccess is false' };
      return allow === true ? { outcome: 'notApplied', detail: 'allowDelegatedAccess is still true' } : { outcome: 'unknown', detail: 'Partner Center did not say' };
    }
    case 'scheduleRequest': {
      // Only requests made since the intent was opened count (an older one was another change).
      const mine = LIST(body).filter((r) => r.action === look.action && !(typeof r.createdDateTime === 'string' && r.createdDateTime < sentAt));
      // A deactivation done reads Revoked (its activation revoked; unconfirmed for groups: PIM for roles' example shows it).
      const ending = look.action === 'selfDeactivate';
      const done = (r: Record<string, unknown>) => PIM_DONE.has(lower(r.status)) || (ending && lower(r.status) === 'revoked');
      const ok = mine.find((r) => done(r) || !PIM_REFUSED.has(lower(r.status)));
      if (!ok) return { outcome: 'notApplied', detail: mine.length ? `Microsoft's ${String(look.action)} request was ${String(mine[0]!.status)}` : `no ${String(look.action)} request at Microsoft` };
      return { outcome: done(ok) ? 'applied' : 'accepted', detail: `${String(look.action)} request ${String(ok.status)}`, body: ok };
    }
    case 'nothing':
      return { outcome: 'unknown', detail: 'a password reset cannot be read back' };
  }
  void kind;
  return { outcome: 'unknown', detail: 'nothing to judge by' };
}
