/**
 * `delegate sync` against the loopback fake of Microsoft, both in-process and through the built CLI:
 * a relationship approved at Microsoft becomes active (its draft id replaced with Microsoft's), one
 * Microsoft terminated becomes terminated, paging, a customer without a domain recorded under its
 * tenant id (and then found by it), agent groups mapped to admin access, --dry-run, a 429 retried,
 * a dropped connection, and the refusals before any request.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ADMIN, expectOneLine, ledgerOf, runBin, runInProcess, sandbox, storeHash, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';

const CONTOSO = '6e2c1f3a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
const NODOMAIN = '7a1b2c3d-4e5f-4061-9728-394a5b6c7d8e';
const LEE = 'lee@fabrikam.com';
const NOEL = 'noel@fabrikam.com';

type Run = (args: string[], env: NodeJS.ProcessEnv) => Promise<Result>;
const DRIVERS: [string, Run][] = [
  ['in-process', (args, env) => runInProcess(args, { env })],
  ['built CLI', (args, env) => runBin(args, env)],
];

let fake: FakeMicrosoft;
beforeAll(async () => {
  fake = await startFakeMicrosoft();
});
afterAll(async () => {
  await fake.close();
});

interface SyncJson {
  dryRun: boolean;
  counts: { added: number; changed: number; ended: number };
  changes: { kind: string; what: string; target: string; detail: string }[];
  notAtMicrosoft: string[];
  unknownMembers: string[];
  notes: string[];
}

describe.each(DRIVERS)('sync (%s)', (_name, run) => {
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;

  const ok = async (args: string[]): Promise<string> => {
    const r = await run(args, env);
    if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const sync = async (extra: string[] = []): Promise<SyncJson> => JSON.parse(await ok(['sync', '--json', ...extra])) as SyncJson;
  const show = async (client: string) => JSON.parse(await ok(['client', 'show', client, '--json'])) as Record<string, any>;

  beforeEach(async () => {
    fake.relationships.clear();
    fake.contracts.length = 0;
    fake.customers.clear();
    fake.groups.clear();
    fake.users.clear();
    fake.clearFaults();
    fake.requests.length = 0;
    fake.pageSize = 100;
    sb = await sandbox();
    env = { ...sb.env, ...fake.env() };
    await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
    fake.addCustomer({ tenantId: CONTOSO, displayName: 'Contoso', defaultDomainName: 'contoso.com', allowDelegatedAccess: false });
  });
  afterEach(() => sb.cleanup());

  it('a granular offer made offline, approved at Microsoft: the draft id becomes Microsoft\'s, then active after sync', async () => {
    const offer = JSON.parse(await ok(['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'Contoso GDAP', '--json'])) as { granular: { relationshipId: string } };
    // The same relationship at Microsoft (made there by display name), approved by Contoso between two reads.
    const id = fake.addRelationship({ displayName: 'Contoso GDAP', status: 'approvalPending', customer: { tenantId: CONTOSO, displayName: 'Contoso' } });
    expect(id).not.toBe(offer.granular.relationshipId);
    fake.changeStatusAfterReads(id, 'active', 1);

    const first = await sync();
    expect(first.changes).toEqual([expect.objectContaining({ kind: 'changed', what: 'relationship', target: 'Contoso GDAP', detail: `id ${offer.granular.relationshipId} -> ${id} (Microsoft's)` })]);
    await expect(show('contoso.com').catch((e: Error) => e.message)).resolves.toMatch(/exited 3/);

    const second = await sync();
    expect(second.counts).toEqual({ added: 1, changed: 1, ended: 0 });
    expect(second.changes.map((c) => [c.kind, c.what, c.target])).toEqual([
      ['added', 'client', 'contoso.com'],
      ['changed', 'relationship', 'Contoso GDAP'],
    ]);
    const c = await show('contoso.com');
    expect(c).toMatchObject({ domain: 'contoso.com', name: 'Contoso', tenantId: CONTOSO, status: 'active', granular: { relationshipId: id, displayName: 'Contoso GDAP', status: 'active' } });
    // Addressable by its tenant id too.
    expect((await show(CONTOSO)).domain).toBe('contoso.com');
    const audit = JSON.parse(await ok(['audit', '--action', 'sync', '--json'])) as { detail: string }[];
    // Each chunk that changed the ledger has its own entry, then one with the totals.
    expect(audit.map((a) => a.detail)).toEqual([
      'relationships 1-1 of 1: 0 added, 1 changed, 0 ended',
      '0 added, 1 changed, 0 ended (clients, relationships, users)',
      'relationships 1-1 of 1: 1 added, 1 changed, 0 ended',
      '1 added, 1 changed, 0 ended (clients, relationships, users)',
    ]);
  });

  it("a relationship recorded offline keeps its access assignments when its id becomes Microsoft's; Microsoft's assignments for known groups are recorded", async () => {
    const HELPDESK_OID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const USERS_OID = '1b2c3d4e-5f60-4b7c-8d9e-0f1a2b3c4d5e';
    await ok(['group', 'create', 'Helpdesk', '--object-id', HELPDESK_OID]);
    await ok(['group', 'create', 'Users', '--object-id', USERS_OID]);
    const offer = JSON.parse(await ok(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator,User Administrator', '--name', 'Contoso GDAP', '--json'])) as { url: string; granular: { relationshipId: string } };
    await ok(['client', 'accept', offer.url, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CONTOSO]);
    await ok(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
    const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
    const UA = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
    const id = fake.addRelationship({ displayName: 'Contoso GDAP', status: 'active', customer: { tenantId: CONTOSO, displayName: 'Contoso' }, roles: [HA, UA] });
    // Every access assignment Microsoft lists has its id (https://learn.microsoft.com/graph/api/resources/delegatedadminaccessassignment).
    const assignment = (oid: string, roles: string[]) => ({ id: `assignment-${oid}`, status: 'active', accessContainer: { accessContainerId: oid, accessContainerType: 'securityGroup' }, accessDetails: { unifiedRoles: roles.map((roleDefinitionId) => ({ roleDefinitionId })) } });
    fake.accessAssignments.set(id, [assignment(HELPDESK_OID, [HA]), assignment(USERS_OID, [UA]), assignment('2c3d4e5f-6071-4c8d-9eaf-1a2b3c4d5e6f', [UA])]);
    const r = await sync(['--only', 'relationships']);
    expect(r.changes.map((c) => [c.kind, c.what, c.target])).toEqual([
      ['changed', 'relationship', 'Contoso GDAP'],
      ['added', 'assignment', 'Contoso GDAP/Users'],
    ]);
    expect(r.changes[0]!.detail).toBe(`id ${offer.granular.relationshipId} -> ${id} (Microsoft's)`);
    expect(r.notes).toEqual([expect.stringMatching(/access assignment for group 2c3d4e5f-6071-4c8d-9eaf-1a2b3c4d5e6f, which the ledger does not know/)]);
    const c = await show('contoso.com');
    expect(c.granular.relationshipId).toBe(id);
    // Both assignments hang off Microsoft's id now: acting as a Helpdesk member in Contoso works as before.
    const groups = JSON.parse(await ok(['group', 'list', '--json'])) as unknown[];
    expect(groups).toHaveLength(2);
    expect((await sync(['--only', 'relationships'])).changes).toEqual([]);
  });

  it("records Microsoft's id for each access assignment, which `client unassign --plan` then names", async () => {
    const HELPDESK_OID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
    await ok(['group', 'create', 'Helpdesk', '--object-id', HELPDESK_OID]);
    const offer = JSON.parse(await ok(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--json'])) as { url: string };
    await ok(['client', 'accept', offer.url, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CONTOSO]);
    await ok(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
    const id = fake.addRelationship({ displayName: 'Contoso GDAP', status: 'active', customer: { tenantId: CONTOSO, displayName: 'Contoso' }, roles: [HA] });
    fake.accessAssignments.set(id, [{ id: 'ms-assignment-1', status: 'active', accessContainer: { accessContainerId: HELPDESK_OID, accessContainerType: 'securityGroup' }, accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }] } }]);
    // Same roles as the ledger: no change to report, but the id is kept.
    expect((await sync(['--only', 'relationships'])).changes.map((c) => c.what)).toEqual(['relationship']);
    const plan = JSON.parse(await ok(['client', 'unassign', 'contoso.com', '--group', 'Helpdesk', '--plan'])) as { method: string; url: string }[];
    expect(plan.map((p) => p.method)).toEqual(['GET', 'DELETE']);
    expect(plan[1]!.url).toMatch(new RegExp(`/delegatedAdminRelationships/${id}/accessAssignments/ms-assignment-1$`));
  });

  it('a relationship Microsoft terminated ends in the ledger; one the ledger only drafted stays, listed as not at Microsoft', async () => {
    const id = fake.addRelationship({ displayName: 'Contoso GDAP', status: 'active', customer: { tenantId: CONTOSO, displayName: 'Contoso' } });
    await ok(['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'Never sent', '--json']);
    const first = await sync();
    expect(first.changes.find((c) => c.what === 'relationship')).toMatchObject({ kind: 'added', target: 'Contoso GDAP' });
    expect(first.notAtMicrosoft).toEqual([expect.stringMatching(/^Never sent \(approvalPending; kept as it is\)$/)]);
    expect((await show('contoso.com')).status).toBe('active');

    fake.changeStatusAfterReads(id, 'terminated', 0);
    const second = await sync(['--only', 'relationships']);
    expect(second.changes).toEqual([expect.objectContaining({ kind: 'ended', what: 'relationship', target: 'Contoso GDAP', detail: 'active with contoso.com -> terminated with contoso.com' })]);
    expect((await show('contoso.com')).status).toBe('terminated');
    // Nothing more to do: a second sync changes nothing.
    expect((await sync()).changes).toEqual([]);
  });

  it('follows @odata.nextLink over several pages, and records a customer without a domain under its tenant id', async () => {
    fake.pageSize = 2;
    fake.addCustomer({ tenantId: NODOMAIN, displayName: 'Northwind', defaultDomainName: null });
    for (let i = 1; i <= 5; i++) fake.addRelationship({ displayName: `Elsewhere ${i}`, status: 'approvalPending' });
    fake.addRelationship({ displayName: 'Northwind GDAP', status: 'active', customer: { tenantId: NODOMAIN, displayName: 'Northwind' } });
    const r = await sync(['--only', 'relationships']);
    // Reconciled in the order of their ids (the stage's key), not Microsoft's.
    expect(r.changes.filter((c) => c.what === 'relationship').map((c) => c.target).sort()).toEqual(['Elsewhere 1', 'Elsewhere 2', 'Elsewhere 3', 'Elsewhere 4', 'Elsewhere 5', 'Northwind GDAP']);
    expect(fake.seen({ service: 'graph', path: '/tenantRelationships/delegatedAdminRelationships' })).toHaveLength(3);
    expect(r.changes).toContainEqual(expect.objectContaining({ kind: 'added', what: 'client', target: NODOMAIN, detail: expect.stringContaining('recorded under its tenant id') }));
    expect(await show(NODOMAIN)).toMatchObject({ domain: NODOMAIN, name: 'Northwind', tenantId: NODOMAIN, status: 'active' });
    expect(JSON.parse(await ok(['offer', 'list', '--json'])) as unknown[]).toHaveLength(6);
  });

  it('agent group members set admin access: AdminAgents full, HelpdeskAgents limited, neither none; the group ids are recorded', async () => {
    await ok(['user', 'add', LEE, '--name', 'Lee']);
    await ok(['user', 'add', NOEL, '--name', 'Noel']);
    await ok(['user', 'grant-admin', NOEL, '--role', 'full']);
    const admin = fake.addGroup('AdminAgents');
    const helpdesk = fake.addGroup('HelpdeskAgents');
    fake.groups.get(admin)!.members.add(fake.addUser(ADMIN));
    fake.groups.get(helpdesk)!.members.add(fake.addUser(LEE));
    fake.groups.get(helpdesk)!.members.add(fake.addUser('stranger@fabrikam.com'));
    const r = await sync(['--only', 'users']);
    expect(r.changes.map((c) => [c.kind, c.what, c.target, c.detail])).toEqual([
      ['changed', 'partner', TENANT, `agent group ids: AdminAgents ${admin}, HelpdeskAgents ${helpdesk}`],
      ['changed', 'user', LEE, 'admin access none -> limited'],
      ['changed', 'user', NOEL, 'admin access full -> none'],
    ]);
    expect(r.unknownMembers).toEqual(['stranger@fabrikam.com']);
    const users = JSON.parse(await ok(['user', 'list', '--json'])) as { email: string; adminAccess: string }[];
    expect(Object.fromEntries(users.map((u) => [u.email, u.adminAccess]))).toEqual({ [ADMIN]: 'full', [LEE]: 'limited', [NOEL]: 'none' });
    // The ids are known now: the next sync does not look the groups up by name.
    fake.requests.length = 0;
    await sync(['--only', 'users']);
    expect(fake.seen({ path: '/groups' })).toEqual([]);
  });

  it('Partner Center saying DAP is no longer allowed ends the DAP relationship', async () => {
    const offerId = (JSON.parse(await ok(['offer', 'create', '--json'])) as { id: string }).id;
    await ok(['client', 'accept', offerId, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CONTOSO]);
    const r = await sync(['--only', 'clients']);
    expect(r.changes).toEqual([expect.objectContaining({ kind: 'ended', what: 'dap', target: 'contoso.com' })]);
    expect((await show('contoso.com')).status).toBe('removed');
    expect(fake.seen({ service: 'partnerCenter', path: `/v1/customers/${CONTOSO}` })).toHaveLength(1);
  });

  it('--dry-run prints the changes and writes nothing', async () => {
    fake.addRelationship({ displayName: 'Contoso GDAP', status: 'active', customer: { tenantId: CONTOSO, displayName: 'Contoso' } });
    const before = await storeHash(sb.db);
    const r = await sync(['--dry-run']);
    expect(r.dryRun).toBe(true);
    expect(r.changes.map((c) => [c.kind, c.what, c.target])).toEqual([
      ['added', 'client', 'contoso.com'],
      ['added', 'relationship', 'Contoso GDAP'],
    ]);
    expect(await storeHash(sb.db)).toBe(before);
    const plain = await run(['sync', '--dry-run', '--output', 'plain'], env);
    expect(plain.stdout).toBe('added\tclient\tcontoso.com\tContoso\nadded\trelationship\tContoso GDAP\t' + r.changes[1]!.detail + '\n');
    expect(plain.stderr).toMatch(/Dry run, nothing written: would have 2 added, 0 changed, 0 ended \(\d+ requests to Microsoft\)\./);
    expect(await storeHash(sb.db)).toBe(before);
  });

  it('a 429 in the middle is retried after Retry-After', async () => {
    fake.addRelationship({ displayName: 'Contoso GDAP', status: 'active', customer: { tenantId: CONTOSO, displayName: 'Contoso' } });
    fake.fault({ kind: 'throttle', service: 'graph', path: '/contracts', retryAfter: '0' });
    const r = await run(['sync', '--json'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Microsoft answered 429 to GET \/contracts; retrying/);
    expect((JSON.parse(r.stdout) as SyncJson).counts.added).toBe(2);
    expect(fake.seen({ path: '/contracts' })).toHaveLength(2);
  });

  it('a dropped connection: exit 1, one line, the ledger unchanged; the next sync resumes from what was read', async () => {
    fake.addRelationship({ displayName: 'Contoso GDAP', status: 'active', customer: { tenantId: CONTOSO, displayName: 'Contoso' } });
    fake.fault({ kind: 'drop', service: 'graph', path: '/contracts' });
    const before = await ledgerOf(sb.db);
    const r = await run(['sync'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, /contracts/);
    expect(await ledgerOf(sb.db)).toEqual(before);
    // The relationships were read and staged: the next sync does not ask for them again.
    fake.clearFaults();
    const again = await run(['sync', '--json'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Resuming an interrupted sync/);
    expect((JSON.parse(again.stdout) as SyncJson).counts.added).toBe(2);
    expect(fake.seen({ service: 'graph', path: '/tenantRelationships/delegatedAdminRelationships' })).toHaveLength(1);
  });

  it('refusals before any request: DELEGATE_NOW (2), a bad --only (2), no sign-in (4), not permitted (4, audited once)', async () => {
    const before = await storeHash(sb.db);
    fake.requests.length = 0;
    const pinned = await run(['sync'], { ...env, DELEGATE_NOW: '2026-01-01T00:00:00Z', DELEGATE_TEST_KEEP_NOW: '1' });
    expect(pinned.code).toBe(2);
    expectOneLine(pinned.stderr, /DELEGATE_NOW/);
    const only = await run(['sync', '--only', 'offers'], env);
    expect(only.code).toBe(2);
    expectOneLine(only.stderr, /--only/);
    const { DELEGATE_ACCESS_TOKEN: _t, ...noToken } = env;
    const signedOut = await run(['sync'], noToken);
    expect(signedOut.code).toBe(4);
    expectOneLine(signedOut.stderr, /delegate login/);
    expect(await storeHash(sb.db)).toBe(before);
    await ok(['user', 'add', LEE, '--name', 'Lee']);
    const denied = await run(['sync', '--as', LEE], env);
    expect(denied.code).toBe(4);
    expectOneLine(denied.stderr, /may not sync/);
    const audit = JSON.parse(await ok(['audit', '--action', 'sync', '--json'])) as { outcome: string }[];
    expect(audit.map((a) => a.outcome)).toEqual(['denied']);
    expect(fake.requests).toEqual([]);
  });
});
