/**
 * Live mode for granular relationships, groups and ending DAP (SPEC.md "Live mode", "Granular
 * relationships (GDAP)"): the built CLI with --live against the loopback fake of Graph and Partner
 * Center. A granular offer made live carries Microsoft's relationship id in its link; the client
 * approves at the fake and `sync` makes it active; the partner's group is made, filled and
 * assigned, auto-extend turned on, and the relationship terminated, each at Microsoft first. A
 * fault at each step leaves a truthful ledger (exactly the steps that succeeded), the output names
 * the failed step, and running the same command again carries on. An interrupt in live mode says
 * what was applied at Microsoft and recorded.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Store } from '../../src/domain/core/store.js';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { ADMIN, BIN, expectOneLine, runBin, TENANT, withStore, type Result, type Sandbox } from '../helpers/cli.js';
import { listAuditEntries } from '../helpers/shortcuts.js';

const CONTOSO = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const LEE = 'lee@fabrikam.com';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const UA = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const REL = '/tenantRelationships/delegatedAdminRelationships';

const theFake = fakeForSuite();
let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;

const setup = (args: string[]): Promise<string> => setupAt(sb, args);

beforeEach(async () => {
  ({ fake, sb, env } = await liveSandbox(theFake()));
  fake.addUser(ADMIN);
  fake.addUser(LEE);
  fake.addCustomer({ tenantId: CONTOSO, displayName: 'Contoso', defaultDomainName: 'contoso.com', allowDelegatedAccess: true });
  await setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setup(['user', 'add', LEE, '--name', 'Lee']);
});
afterEach(() => sb.cleanup());

const live = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Result> => runBin([...args, '--live'], { ...env, ...extra });
async function ok(args: string[]): Promise<string> {
  const r = await runBin(args, env);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const show = async (client: string) => JSON.parse(await ok(['client', 'show', client, '--json'])) as Record<string, any>;

const ledger = <T>(fn: (store: Store) => Promise<T>): Promise<T> => withStore(sb.db, fn);
const relationships = () => ledger((st) => st.read((tx) => tx.listRelationships()));
const group = (name: string) => ledger((st) => st.read((tx) => tx.getGroup(name)));
const audit = () => ledger((st) => listAuditEntries(st, {}));
const atFake = (name: string) => [...fake.relationships.values()].find((r) => r.displayName === name);

/** A granular offer made live and approved by Contoso at Microsoft, then synced: the client is active. */
async function activeClient(name = 'Contoso GDAP'): Promise<string> {
  const r = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator,User Administrator', '--name', name, '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
  const id = JSON.parse(r.stdout).granular.relationshipId as string;
  fake.approve(id, { tenantId: CONTOSO, displayName: 'Contoso' });
  await ok(['sync', '--json']);
  return id;
}

describe('drafts are not at Microsoft', () => {
  it('a live change to an offline draft is exit 5 before any request, naming the command that creates it; that command creates and locks it with the draft\'s settings, and Microsoft\'s id replaces the draft\'s', async () => {
    const offline = JSON.parse(await ok(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator,User Administrator', '--duration', 'P365D', '--name', 'Contoso Draft', '--json']));
    const draftId = offline.granular.relationshipId as string;
    await ok(['client', 'accept', offline.url, '--domain', 'contoso.com', '--tenant-id', CONTOSO]);
    expect((await show('contoso.com')).granular).toMatchObject({ relationshipId: draftId, status: 'active' });
    for (const args of [['client', 'extend', 'contoso.com'], ['client', 'terminate', 'contoso.com', '--yes']]) {
      const r = await live(args);
      expect(r.code).toBe(5);
      expectOneLine(r.stderr, /The granular relationship "Contoso Draft" is an offline draft, not at Microsoft: create and lock it there with `delegate offer create --granular --live --name "Contoso Draft"`/);
    }
    expect(fake.requests.filter((x) => x.method !== 'GET')).toEqual([]);
    expect(JSON.parse(await ok(['pending', '--json']))).toEqual([]);
    const made = await live(['offer', 'create', '--granular', '--name', 'Contoso Draft', '--json']);
    expect(made.code).toBe(0);
    const atMs = atFake('Contoso Draft')!;
    expect(atMs).toMatchObject({ status: 'approvalPending', duration: 'P365D' });
    expect(fake.seen({ method: 'POST', path: REL })[0]!.body).toMatchObject({ accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }, { roleDefinitionId: UA }] } });
    expect(JSON.parse(made.stdout).granular).toMatchObject({ relationshipId: atMs.id, status: 'approvalPending' });
    const rels = await relationships();
    expect(rels).toEqual([expect.objectContaining({ id: atMs.id, displayName: 'Contoso Draft', msStatus: 'approvalPending', status: 'approvalPending', offerId: offline.id })]);
    expect(rels.map((r) => r.id)).not.toContain(draftId);
  });
});

describe('offer create --granular --live', () => {
  it("creates the relationship at Microsoft, locks it for approval, and prints the link with Microsoft's id; the ledger records Microsoft's id, status and time", async () => {
    const r = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator,User Administrator', '--name', 'Contoso GDAP', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const atMs = atFake('Contoso GDAP')!;
    expect(atMs.status).toBe('approvalPending');
    expect(out.granular).toMatchObject({ relationshipId: atMs.id, displayName: 'Contoso GDAP', status: 'approvalPending' });
    expect(out.url).toContain(atMs.id);
    expect(out.granular.draft).toBeUndefined();
    expect(fake.seen({ method: 'POST' }).map((x) => [x.path, x.body])).toEqual([
      [REL, expect.objectContaining({ displayName: 'Contoso GDAP', duration: 'P730D', autoExtendDuration: 'PT0S', accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }, { roleDefinitionId: UA }] } })],
      [`${REL}/${atMs.id}/requests`, { action: 'lockForApproval' }],
    ]);
    const [rel] = await relationships();
    expect(rel).toMatchObject({ id: atMs.id, status: 'approvalPending', msStatus: 'approvalPending', createdAt: atMs.createdDateTime });
    expect(r.stderr).toMatch(/created at Microsoft and locked for approval/);
    expect((await audit()).at(-1)).toMatchObject({ action: 'offer.create', outcome: 'allowed', detail: expect.stringContaining('(at Microsoft)') });
  });

  it("offline, the offer is a draft: the ledger's own id, and the output says the link is not valid at Microsoft yet", async () => {
    const r = await runBin(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Offline GDAP', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).granular).toMatchObject({ displayName: 'Offline GDAP', status: 'approvalPending', draft: true });
    expect(r.stderr).toMatch(/Draft: the link carries the ledger's own relationship id and is not valid at Microsoft/);
    expect(fake.requests).toEqual([]);
  });

  it('a 500 on create: nothing recorded, the create pending (a 500 may or may not have been applied); once settled, running again creates it', async () => {
    fake.fault({ kind: 'error', method: 'POST', path: REL, status: 500, code: 'generalException', message: 'Boom.' });
    const r = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /Step "relationship" failed: .*500.*Nothing is recorded in the ledger; Microsoft may or may not have applied this step, and reading it back has not found it: it is pending/);
    expect(await relationships()).toEqual([]);
    expect(JSON.parse(await ok(['pending', '--json']))).toEqual([expect.objectContaining({ action: 'relationship.create', target: 'Contoso GDAP', method: 'POST', command: 'offer.create' })]);
    // Not settled yet (live.settle, 120 s by default): the same create is refused while its outcome is unknown.
    const early = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP']);
    expect(early.code).toBe(5);
    expectOneLine(early.stderr, /relationship:contoso gdap was sent to Microsoft and its outcome is not recorded yet: see `delegate pending`/);
    expect(fake.relationships.size).toBe(0);
    await ok(['config', 'set', 'live.settle', '0']);
    const again = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--json']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Recovered an earlier run's change: create a granular relationship Contoso GDAP: not applied at Microsoft \(no relationship named "Contoso GDAP" at Microsoft\)/);
    expect(JSON.parse(again.stdout).granular.relationshipId).toBe(atFake('Contoso GDAP')!.id);
    expect(fake.relationships.size).toBe(1);
    expect(JSON.parse(await ok(['pending', '--json']))).toEqual([]);
  });

  it('a failed lock records the relationship as created (no link printed); the same --name carries on with the lock alone', async () => {
    fake.fault({ kind: 'error', method: 'POST', path: /\/requests$/, status: 400, code: 'BadRequest', message: 'Not now.' });
    const r = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP']);
    expect(r.code).toBe(2); // Microsoft's 400, as every refusal by Graph
    expect(r.stdout).toBe('');
    const id = atFake('Contoso GDAP')!.id;
    expectOneLine(r.stderr, new RegExp(`Step "lock" failed: .*recorded in the ledger.*"Contoso GDAP" \\(${id}\\) exists at Microsoft, recorded as created .*same --name`));
    expect(await relationships()).toEqual([expect.objectContaining({ id, status: 'approvalPending', msStatus: 'created' })]);
    const offers = JSON.parse(await ok(['offer', 'list', '--json']));
    expect(offers[0].granular).toMatchObject({ relationshipId: id, status: 'created' });

    fake.requests.length = 0;
    const again = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--json']);
    expect(again.code).toBe(0);
    expect(fake.seen({ method: 'POST' }).map((x) => x.path)).toEqual([`${REL}/${id}/requests`]);
    expect(JSON.parse(again.stdout).granular).toMatchObject({ relationshipId: id, status: 'approvalPending' });
    expect(fake.relationships.size).toBe(1);
    // Once more: already done at Microsoft, nothing sent, shown again.
    fake.requests.length = 0;
    const third = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--json']);
    expect(third.code).toBe(0);
    expect(fake.requests).toEqual([]);
    expect(third.stderr).toMatch(/already created and locked for approval at Microsoft/);
  });

  it('--count makes each relationship in $batch rounds; one failed part: the others recorded, the failed one named, exit 1', async () => {
    fake.fault({ kind: 'error', method: 'POST', path: REL, status: 409, code: 'Conflict', message: 'Taken.', inBatch: true });
    const r = await live(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Wave', '--count', '3', '--json']);
    expect(r.code).toBe(1);
    expect(fake.seen({ path: '/$batch' }).length).toBeGreaterThanOrEqual(2);
    const made = JSON.parse(r.stdout) as { granular: { displayName: string; relationshipId: string } }[];
    expect(made.map((o) => o.granular.displayName)).toEqual(['Wave 2', 'Wave 3']);
    for (const o of made) expect(o.granular.relationshipId).toBe(atFake(o.granular.displayName)!.id);
    expect(r.stderr).toMatch(/Wave 1: failed at step "relationship-1": Microsoft Graph answered 409/);
    expect((await relationships()).map((x) => x.displayName).sort()).toEqual(['Wave 2', 'Wave 3']);
  });
});

describe('a granular client, live from approval to termination', () => {
  it('approve at Microsoft -> sync -> active; group create, add-member, assign, extend, terminate at Microsoft first', async () => {
    const id = await activeClient();
    expect(await show('contoso.com')).toMatchObject({ status: 'active', tenantId: CONTOSO, granular: { relationshipId: id, status: 'active' } });

    const g = await live(['group', 'create', 'Helpdesk', '--json']);
    expect(g.code).toBe(0);
    const oid = JSON.parse(g.stdout).objectId as string;
    expect(fake.groups.get(oid)?.displayName).toBe('Helpdesk');

    const m = await live(['group', 'add-member', 'Helpdesk', ADMIN, LEE, '--json']);
    expect(m.code).toBe(0);
    // Two members: a live bulk change, whose JSON is each item's outcome.
    expect(JSON.parse(m.stdout)).toEqual([
      { item: ADMIN, outcome: 'applied' },
      { item: LEE, outcome: 'applied' },
    ]);
    expect((await group('Helpdesk'))!.members.sort()).toEqual([ADMIN, LEE]);
    expect(fake.groups.get(oid)!.members.size).toBe(2);
    expect(fake.seen({ inBatch: true, method: 'POST', path: `/groups/${oid}/members/$ref` })).toHaveLength(2);

    const a = await live(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator', '--json']);
    expect(a.code).toBe(0);
    expect(fake.accessAssignments.get(id)).toEqual([expect.objectContaining({ accessContainer: { accessContainerId: oid, accessContainerType: 'securityGroup' }, accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }] } })]);
    // Microsoft's id for the assignment was recorded from its answer: unassign (and assign again) needs no sync first.
    const u = await live(['client', 'unassign', 'contoso.com', '--group', 'Helpdesk', '--yes', '--json']);
    expect(u.code).toBe(0);
    expect(fake.accessAssignments.get(id)).toEqual([]);
    expect((await live(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator'])).code).toBe(0);

    // Acting in the client live, with the roles the group holds there: Helpdesk Administrator resets a
    // non-admin's password but may not add users (User Administrator may), read from the tenant first.
    fake.domains.set('contoso.com', { id: 'contoso.com', isInitial: false, isVerified: true, isDefault: true, authenticationType: 'Managed', supportedServices: [] });
    fake.addUser('alex@contoso.com');
    const reset = await live(['client', 'user', 'reset-password', 'contoso.com', 'alex@contoso.com', '--json']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ upn: 'alex@contoso.com', forceChangePasswordNextSignIn: true });
    expect(fake.seen({ method: 'PATCH', path: '/users/alex%40contoso.com' })).toHaveLength(1);
    const add = await live(['client', 'user', 'add', 'contoso.com', 'sam@contoso.com']);
    expect(add.code).toBe(4);
    expect(fake.seen({ method: 'POST', path: '/users' })).toEqual([]);

    const etag = fake.relationships.get(id)!['@odata.etag'];
    const e = await live(['client', 'extend', 'contoso.com', '--json']);
    expect(e.code).toBe(0);
    expect(fake.relationships.get(id)!.autoExtendDuration).toBe('P180D');
    expect(fake.seen({ method: 'PATCH', path: `${REL}/${id}` })[0]!.headers['if-match']).toBe(etag);
    const [rel] = await relationships();
    expect(rel).toMatchObject({ autoExtendDuration: 'P180D', etag: fake.relationships.get(id)!['@odata.etag'] });

    const t = await live(['client', 'terminate', 'contoso.com', '--yes', '--json']);
    expect(t.code).toBe(0);
    expect(fake.relationships.get(id)!.status).toBe('terminationRequested');
    expect(t.stderr).toMatch(/terminationRequested until Microsoft ends it/);
    expect((await show('contoso.com')).granular.status).toBe('terminationRequested');
    // Microsoft ends it in its own time (the fake: by the next read); sync reads it back.
    await ok(['sync', '--json']);
    await ok(['sync', '--json']);
    expect((await show('contoso.com')).granular.status).toBe('terminated');
  });

  it('a failed PATCH leaves auto-extend as it was; running again carries on', async () => {
    await activeClient();
    fake.fault({ kind: 'error', method: 'PATCH', status: 412, code: 'PreconditionFailed', message: 'The etag does not match.' });
    const r = await live(['client', 'extend', 'contoso.com']);
    expect(r.code).toBe(5);
    // Only a read (the ETag) came before it: nothing was changed, and the message says so.
    expectOneLine(r.stderr, /Step "extend" failed: .*412.*Nothing is recorded in the ledger; run the same command again to carry on/);
    expect((await relationships())[0]!.autoExtendDuration).toBe('PT0S');
    expect((await live(['client', 'extend', 'contoso.com'])).code).toBe(0);
    expect((await relationships())[0]!.autoExtendDuration).toBe('P180D');
  });

  it('a failed terminate leaves the relationship active; running again carries on', async () => {
    await activeClient();
    fake.fault({ kind: 'unavailable', method: 'POST', path: /\/requests$/, retryAfter: '0' });
    const r = await live(['client', 'terminate', 'contoso.com', '--yes'], { DELEGATE_RETRY_BUDGET: '0' });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/Step "terminate" failed: .*503.*Nothing is recorded/);
    expect((await show('contoso.com')).granular.status).toBe('active');
    expect((await live(['client', 'terminate', 'contoso.com', '--yes'])).code).toBe(0);
    expect((await show('contoso.com')).granular.status).toBe('terminationRequested');
  });

  it('a group add-member $batch with one failed part: the others recorded, the failed member named, exit 1; running again adds it', async () => {
    const g = JSON.parse((await live(['group', 'create', 'Helpdesk', '--json'])).stdout) as { objectId: string };
    const leeId = [...fake.users.values()].find((u) => u.userPrincipalName === LEE)!.id as string;
    fake.fault({ kind: 'error', method: 'POST', path: `/groups/${g.objectId}/members/$ref`, status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges.', inBatch: true });
    const r = await live(['group', 'add-member', 'Helpdesk', ADMIN, LEE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ada@fabrikam\.com: failed at step "add-1": Microsoft Graph answered 403/);
    expect((await group('Helpdesk'))!.members).toEqual([LEE]);
    expect([...fake.groups.get(g.objectId)!.members]).toEqual([leeId]);
    const again = await live(['group', 'add-member', 'Helpdesk', ADMIN, LEE]);
    expect(again.code).toBe(0);
    expect((await group('Helpdesk'))!.members.sort()).toEqual([ADMIN, LEE]);
  });

  it('a group made offline gets created at Microsoft by `group create --live`, with its object id recorded', async () => {
    await setup(['group', 'create', 'Helpdesk']);
    const r = await live(['group', 'create', 'Helpdesk', '--json']);
    expect(r.code).toBe(0);
    const oid = JSON.parse(r.stdout).objectId as string;
    expect(fake.groups.get(oid)?.displayName).toBe('Helpdesk');
    expect((await group('Helpdesk'))!.objectId).toBe(oid);
    expect((await live(['group', 'create', 'Helpdesk'])).code).toBe(5);
  });
});

describe('ending DAP live (Partner Center)', () => {
  beforeEach(async () => {
    const offerId = JSON.parse(await setup(['offer', 'create', '--json'])).id as string;
    await setup(['client', 'accept', offerId, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CONTOSO]);
  });

  it("PATCHes the customer with AllowDelegatedAccess false, then records the end", async () => {
    const r = await live(['client', 'remove', 'contoso.com', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(fake.seen({ service: 'partnerCenter' }).map((x) => [x.method, x.path, x.body])).toEqual([
      ['PATCH', `/v1/customers/${CONTOSO}`, { AllowDelegatedAccess: false, attributes: { objectType: 'Customer' } }],
    ]);
    expect(fake.customers.get(CONTOSO)!.allowDelegatedAccess).toBe(false);
    expect(JSON.parse(r.stdout).status).toBe('removed');
    expect(r.stderr).toMatch(/at Partner Center/);
    // The client's tenant id names it in the audit as its domain does.
    const byDomain = JSON.parse(await ok(['audit', '--client', 'contoso.com', '--json'])) as { action: string }[];
    expect(byDomain.map((e) => e.action)).toEqual(['client.accept', 'client.remove']);
    expect(JSON.parse(await ok(['audit', '--client', CONTOSO.toUpperCase(), '--json']))).toEqual(byDomain);
  });

  it('a dropped connection to Partner Center ends nothing in the ledger and leaves the change pending; once settled, running again carries on', async () => {
    fake.fault({ kind: 'drop', service: 'partnerCenter', method: 'PATCH' });
    // Answers are due within a second here, so the pending change settles quickly.
    const r = await live(['client', 'remove', 'contoso.com', '--yes'], { DELEGATE_HTTP_TIMEOUT: '1' });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /Step "customer" failed: .*Nothing is recorded in the ledger; Microsoft may or may not have applied this step.*pending/);
    expect((await show('contoso.com')).status).toBe('active');
    expect(JSON.parse(await ok(['pending', '--json']))).toEqual([expect.objectContaining({ action: 'dap.end', method: 'PATCH' })]);
    await ok(['config', 'set', 'live.settle', '0']);
    await new Promise((done) => setTimeout(done, 1100));
    expect((await live(['client', 'remove', 'contoso.com', '--yes'], { DELEGATE_HTTP_TIMEOUT: '1' })).code).toBe(0);
    expect((await show('contoso.com')).status).toBe('removed');
    expect(JSON.parse(await ok(['pending', '--json']))).toEqual([]);
  });

  it('an app-only sign-in cannot end DAP (Partner Center takes App+User only): exit 4 naming why, audited, nothing sent', async () => {
    const dir = join(sb.dir, 'home', '.local', 'share', 'delegate');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const session = { version: 1, cloud: 'global', tenant: TENANT, clientId: '0b5f1c1e-7a47-4c36-9d7c-2f4c1a0c8e11', flow: 'secret', secretEnv: 'FABRIKAM_APP_SECRET', account: null, homeAccountId: null, tenantId: TENANT, expiresOn: null };
    writeFileSync(join(dir, 'login.json'), JSON.stringify(session), { mode: 0o600 });
    const { DELEGATE_ACCESS_TOKEN: _none, ...rest } = env;
    const appEnv = { ...rest, FABRIKAM_APP_SECRET: 'not-a-real-secret' };
    const entries = (await audit()).length;
    const r = await runBin(['client', 'remove', 'contoso.com', '--yes', '--live'], appEnv);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /goes to Partner Center, which accepts it only from a signed-in person \(App\+User\)/);
    expect(fake.requests).toEqual([]);
    const after = await audit();
    expect(after).toHaveLength(entries + 1);
    expect(after.at(-1)).toMatchObject({ outcome: 'denied', action: 'client.remove', target: 'contoso.com' });
  });
});

describe('an interrupt in live mode', () => {
  it('SIGINT while the lock request hangs: one line saying what was applied at Microsoft and recorded, and what may have been', async () => {
    fake.fault({ kind: 'hang', method: 'POST', path: /\/requests$/ });
    const child = spawn(process.execPath, [BIN, 'offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--live'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Wait until the lock request has reached Microsoft (the fake holds it unanswered), then interrupt.
    while (fake.seen({ method: 'POST', path: /\/requests$/ }).length === 0) await new Promise((r) => setImmediate(r));
    child.kill('SIGINT');
    expect(await done).toBe(130);
    const id = atFake('Contoso GDAP')!.id;
    expectOneLine(
      stderr,
      /^Interrupted \(SIGINT\) in live mode: 1 change applied at Microsoft and recorded in the ledger \(relationship\); lock was sent without an answer, so Microsoft may or may not have applied it: pending \(`delegate pending`; `delegate recover` reads it back\)\. Run the same command again to carry on\.\n$/,
    );
    expect(await relationships()).toEqual([expect.objectContaining({ id, msStatus: 'created' })]);
  });
});
