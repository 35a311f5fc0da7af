/**
 * Intents (src/domain/plan/intent.ts): every request that changes Microsoft carries one, with a
 * read-back on the same service; secrets never reach the ledger; and what a read-back finds is
 * judged, kind by kind, as Microsoft's pages describe it (READ_BACK).
 */
import { describe, expect, test } from '@jest/globals';
import { CHANGE_KINDS, judge, READ_BACK, redact, type Found, type Look } from '../../src/domain/plan/intent.js';
import { planAddUsers, planVerifyDomain, addDomain, deleteDomain, deleteUser, resetPassword } from '../../src/domain/plan/directory-requests.js';
import { createSecurityGroup, deleteGroup, groupNickname, planAccessChanges, planAddMembers, planRemoveMembers } from '../../src/domain/plan/group-requests.js';
import { createAccessAssignment, deleteAccessAssignment, planExtend, planRemoveDap, planRemoveRole, planTerminate, planUnassign, updateAccessAssignment } from '../../src/domain/plan/relationship-requests.js';
import { sendable, type PlannedRequest } from '../../src/domain/plan/request.js';
import { planEligibility, planSelf } from '../../src/domain/plan/pim-requests.js';
import { planCreateRelationships } from '../helpers/shortcuts.js';

const GA = '62e90394-69f5-4237-9190-012177145e10';
const REL = 'rel-1';
const OID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const TENANT = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const SENT = '2026-03-01T09:00:00.000Z';

/** Every builder that changes Microsoft, as the plans use them (each plan on its own: ids repeat across plans). */
function everyPlan(): PlannedRequest[][] {
  const cloud = 'global';
  const dap = planAccessChanges(cloud, [{ email: 'c@fabrikam.com', from: 'limited', to: 'full' }], { adminAgentsGroupId: OID, helpdeskAgentsGroupId: OID });
  return [
    planAddUsers(cloud, [{ upn: 'a@contoso.com', name: 'A', isAdmin: true, password: 'Secret-1234567890' }]),
    [resetPassword(cloud, 'reset', 'a@contoso.com', 'Secret-1234567890')],
    [deleteUser(cloud, 'gone', 'a@contoso.com')],
    [addDomain(cloud, 'domain', 'shop.example')],
    planVerifyDomain(cloud, 'shop.example'),
    [deleteDomain(cloud, 'undomain', 'shop.example')],
    [createSecurityGroup(cloud, 'group', 'Helpdesk', groupNickname('6c3a2f0e-1b2d-4e5f-8a9b-0c1d2e3f4a5b'))],
    [deleteGroup(cloud, 'ungroup', OID, 'Helpdesk')],
    planAddMembers(cloud, OID, ['a@fabrikam.com']),
    planRemoveMembers(cloud, OID, ['b@fabrikam.com']),
    'requests' in dap ? dap.requests : [],
    planCreateRelationships(cloud, [{ displayName: "O'Brien & Co", duration: 'P730D', autoExtendDuration: 'PT0S', roles: [GA] }]),
    planExtend(cloud, [REL], 'P180D'),
    planRemoveRole(cloud, [{ id: REL, roles: [] }]),
    planTerminate(cloud, [REL]),
    [createAccessAssignment(cloud, 'assignment', REL, OID, [GA])],
    planUnassign(cloud, REL, 'as-1', [GA]),
    [updateAccessAssignment(cloud, 'upd', REL, 'as-1', 'W/"1"', [GA])],
    [deleteAccessAssignment(cloud, 'del', REL, 'as-1', 'W/"1"')],
    planRemoveDap(cloud, 'contoso.com', TENANT),
    planEligibility(cloud, OID, ['a@fabrikam.com'], SENT, '2027-03-01T09:00:00.000Z'),
    planSelf(cloud, 'selfActivate', OID, 'a@fabrikam.com', { start: SENT, duration: 'PT2H', justification: 'ticket' }),
    planSelf(cloud, 'selfDeactivate', OID, 'a@fabrikam.com', {}),
  ];
}
const entries = () => everyPlan().flatMap((p) => sendable(p));

describe('every change carries an intent', () => {
  const all = everyPlan().flat();
  test.each(all.map((r) => [r.id, r] as const))('%s', (_id, r) => {
    if (r.method === 'GET') {
      expect(r.intent).toBeUndefined();
      return;
    }
    expect(r.intent).toBeDefined();
    expect(CHANGE_KINDS).toContain(r.intent!.kind);
  });

  test('each read-back is a GET on the same service as its change, and every kind has a read-back row citing its page', () => {
    for (const e of entries()) {
      if (!e.intent) continue;
      const rb = (e.intent as { readBack: { url: string } }).readBack.url;
      expect(new URL(rb.replace(/\$\{[^}]*\}/g, 'x')).host).toBe(new URL(e.url.replace(/\$\{[^}]*\}/g, 'x')).host);
    }
    for (const kind of CHANGE_KINDS) {
      expect(READ_BACK[kind].read).toBeTruthy();
      expect(READ_BACK[kind].applied).toBeTruthy();
      expect(READ_BACK[kind].source).toMatch(/GRAPH |partner-center\//);
    }
    expect(new Set(all.flatMap((r) => (r.intent ? [r.intent.kind] : []))).size).toBe(CHANGE_KINDS.length);
  });

  test('a display name with a quote is an OData string literal in the read-back filter', () => {
    const create = entries().find((e) => e.id === 'relationship')!;
    expect(decodeURIComponent((create.intent as { readBack: { url: string } }).readBack.url)).toContain("displayName eq 'O''Brien & Co'");
  });

  test('keys reserve what a change creates; a value from an earlier answer stays a reference until sent', () => {
    const byId = new Map(entries().filter((e) => e.intent).reverse().map((e) => [e.id, e.intent as { key?: string; target: string }]));
    expect(byId.get('user')!.key).toBe('user:a@contoso.com');
    expect(byId.get('group')!.key).toBe('group:helpdesk');
    expect(byId.get('add')!.key).toBe(`member:${OID}:\${user.id}`);
    expect(byId.get('lock')!.target).toBe('${relationship.id}');
  });
});

describe('secrets never reach the ledger', () => {
  test('passwordProfile.password (and any *password) is redacted, the rest kept', () => {
    expect(redact({ displayName: 'A', passwordProfile: { forceChangePasswordNextSignIn: true, password: 'Secret-1' }, list: [{ newPassword: 'x' }] })).toEqual({
      displayName: 'A',
      passwordProfile: { forceChangePasswordNextSignIn: true, password: '<redacted>' },
      list: [{ newPassword: '<redacted>' }],
    });
  });
});

describe('judging a read-back', () => {
  const ok = (body: unknown): Found => ({ read: 'ok', body });
  const list = (...value: unknown[]) => ok({ value });
  const cases: [string, Parameters<typeof judge>[0], Look, Found, string][] = [
    ['relationship found by name', 'relationship.create', { find: 'relationship', displayName: 'X' }, list({ id: 'r9', displayName: 'X', status: 'created' }), 'applied'],
    ['relationship not there', 'relationship.create', { find: 'relationship', displayName: 'X' }, list({ id: 'r9', displayName: 'Y' }), 'notApplied'],
    ['terminate request pending', 'relationship.terminate', { find: 'request', action: 'terminate' }, list({ action: 'terminate', status: 'pending', createdDateTime: SENT }), 'accepted'],
    ['terminate request succeeded', 'relationship.terminate', { find: 'request', action: 'terminate' }, list({ action: 'terminate', status: 'succeeded', createdDateTime: SENT }), 'applied'],
    ['terminate request failed', 'relationship.terminate', { find: 'request', action: 'terminate' }, list({ action: 'terminate', status: 'failed', createdDateTime: SENT }), 'notApplied'],
    ['an older terminate request is another one', 'relationship.terminate', { find: 'request', action: 'terminate' }, list({ action: 'terminate', status: 'succeeded', createdDateTime: '2026-01-01T00:00:00Z' }), 'notApplied'],
    ['an unknown request status (Microsoft\'s example says "running")', 'relationship.lock', { find: 'request', action: 'lockForApproval' }, list({ action: 'lockForApproval', status: 'running', createdDateTime: SENT }), 'accepted'],
    ['PATCH values hold', 'relationship.update', { find: 'values', expect: { autoExtendDuration: 'P180D' }, etagSent: 'W/"1"' }, ok({ autoExtendDuration: 'P180D', '@odata.etag': 'W/"2"' }), 'applied'],
    ['PATCH: the ETag sent is still the ETag', 'relationship.update', { find: 'values', expect: { autoExtendDuration: 'P180D' }, etagSent: 'W/"1"' }, ok({ autoExtendDuration: 'PT0S', '@odata.etag': 'W/"1"' }), 'notApplied'],
    ['PATCH: someone else changed it since', 'relationship.update', { find: 'values', expect: { autoExtendDuration: 'P180D' }, etagSent: 'W/"1"' }, ok({ autoExtendDuration: 'PT0S', '@odata.etag': 'W/"3"' }), 'unknown'],
    ['roles compared as a set', 'relationship.update', { find: 'values', expect: { roles: ['B', 'a'] } }, ok({ accessDetails: { unifiedRoles: [{ roleDefinitionId: 'A' }, { roleDefinitionId: 'b' }] } }), 'applied'],
    ['assignment pending', 'assignment.create', { find: 'assignment', groupId: 'G', roles: ['r'] }, list({ id: 'a1', status: 'pending', accessContainer: { accessContainerId: 'g' }, accessDetails: { unifiedRoles: [{ roleDefinitionId: 'r' }] } }), 'accepted'],
    ['assignment active', 'assignment.create', { find: 'assignment', groupId: 'G', roles: ['r'] }, list({ id: 'a1', status: 'active', accessContainer: { accessContainerId: 'G' }, accessDetails: { unifiedRoles: [{ roleDefinitionId: 'r' }] } }), 'applied'],
    ['assignment in error', 'assignment.create', { find: 'assignment', groupId: 'G' }, list({ id: 'a1', status: 'error', accessContainer: { accessContainerId: 'G' } }), 'notApplied'],
    ['assignment deleting', 'assignment.delete', { find: 'exists', gone: true }, ok({ id: 'a1', status: 'deleting' }), 'accepted'],
    ['assignment deleted', 'assignment.delete', { find: 'exists', gone: true }, ok({ id: 'a1', status: 'deleted' }), 'applied'],
    ['group by nickname', 'group.create', { find: 'groupByNickname', mailNickname: 'dlg-1' }, list({ id: 'g1', mailNickname: 'dlg-1' }), 'applied'],
    ['two groups with the nickname: none chosen', 'group.create', { find: 'groupByNickname', mailNickname: 'dlg-1' }, list({ id: 'g1', mailNickname: 'dlg-1' }, { id: 'g2', mailNickname: 'dlg-1' }), 'unknown'],
    ['PIM eligibility provisioned', 'eligibility.create', { find: 'scheduleRequest', action: 'adminAssign' }, list({ id: 'e1', action: 'adminAssign', status: 'Provisioned', createdDateTime: SENT }), 'applied'],
    ['PIM activation pending approval is accepted', 'activation.create', { find: 'scheduleRequest', action: 'selfActivate' }, list({ id: 'a1', action: 'selfActivate', status: 'PendingApproval', createdDateTime: SENT }), 'accepted'],
    ['PIM activation denied', 'activation.create', { find: 'scheduleRequest', action: 'selfActivate' }, list({ id: 'a1', action: 'selfActivate', status: 'Denied', createdDateTime: SENT }), 'notApplied'],
    ['an older PIM activation is another one', 'activation.create', { find: 'scheduleRequest', action: 'selfActivate' }, list({ id: 'a1', action: 'selfActivate', status: 'Provisioned', createdDateTime: '2026-01-01T00:00:00Z' }), 'notApplied'],
    ['PIM deactivation revoked', 'activation.end', { find: 'scheduleRequest', action: 'selfDeactivate' }, list({ id: 'd1', action: 'selfDeactivate', status: 'Revoked', createdDateTime: SENT }), 'applied'],
    ['PIM deactivation failed', 'activation.end', { find: 'scheduleRequest', action: 'selfDeactivate' }, list({ id: 'd1', action: 'selfDeactivate', status: 'Failed', createdDateTime: SENT }), 'notApplied'],
    ['member listed', 'member.add', { find: 'member', memberId: 'U1' }, list({ id: 'u1' }), 'applied'],
    ['member not listed', 'member.add', { find: 'member', memberId: 'U1' }, list({ id: 'u2' }), 'notApplied'],
    ['removed member gone', 'member.remove', { find: 'member', memberId: 'U1', gone: true }, list(), 'applied'],
    ['user exists', 'user.create', { find: 'exists' }, ok({ id: 'u1' }), 'applied'],
    ['user absent', 'user.create', { find: 'exists' }, { read: 'absent' }, 'notApplied'],
    ['deleted user absent', 'user.delete', { find: 'exists', gone: true }, { read: 'absent' }, 'applied'],
    ['role held', 'role.assign', { find: 'roleAssignment', roleDefinitionId: GA }, list({ id: 'ra', roleDefinitionId: GA }), 'applied'],
    ['domain verified', 'domain.verify', { find: 'verified' }, ok({ id: 'x', isVerified: true }), 'applied'],
    ['domain not verified', 'domain.verify', { find: 'verified' }, ok({ id: 'x', isVerified: false }), 'notApplied'],
    ['DAP ended', 'dap.end', { find: 'dapEnded' }, ok({ allowDelegatedAccess: false }), 'applied'],
    ['DAP still on', 'dap.end', { find: 'dapEnded' }, ok({ allowDelegatedAccess: true }), 'notApplied'],
    ['a password reset cannot be read back', 'user.password', { find: 'nothing' }, ok({ id: 'u1' }), 'unknown'],
    ['a read refused for the recovering user\'s roles', 'user.create', { find: 'exists' }, { read: 'forbidden', message: '403' }, 'unknown'],
  ];
  test.each(cases)('%s', (_name, kind, look, found, outcome) => {
    expect(judge(kind, look, found, SENT).outcome).toBe(outcome);
  });
});
