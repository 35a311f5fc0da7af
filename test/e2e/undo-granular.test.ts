/**
 * Undoing what the partner set up for granular access (SPEC.md "Fleet work
 * and the shell"): `group remove-member`, `group delete`, `template delete`,
 * `client unassign`: good input, bad input (one line, exit code, store
 * unchanged), who may do it, the audit entry, y/N and --yes, --plan, and
 * --live against the fake.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import { ADMIN, TENANT, auditOf, copySandbox, expectOneLine, expectRefused, expectUnchanged, runBin, runInProcess, sandbox, setupIn, storeHash, type Result, withStore, type Sandbox } from '../helpers/cli.js';
import type { Store } from '../../src/domain/core/store.js';
import { checkPlan } from '../helpers/plan.js';

const T0 = '2026-03-01T09:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const LEE = 'lee@fabrikam.com'; // limited admin access; in Helpdesk
const FAY = 'fay@fabrikam.com'; // full admin access, not a global admin
const HELPDESK_OID = '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
const HELPDESK = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const GRAPH = 'https://graph.microsoft.com/v1.0';

const sandboxes: Sandbox[] = [];
let template: Sandbox;
let relationshipId: string;

const setup = setupIn;

/**
 * wingtip.com: granular (Helpdesk and User Administrator), the Helpdesk group (object id known,
 * Lee and Fay) holding both roles; the Spare group (no object id, no assignment); template std
 * naming Helpdesk, with one offer made from it not yet accepted.
 */
async function build(): Promise<Sandbox> {
  const sb = await sandbox();
  sb.env.DELEGATE_NOW = T0;
  sandboxes.push(sb);
  await setup(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setup(sb, ['user', 'add', LEE, '--name', 'Lee']);
  await setup(sb, ['user', 'grant-admin', LEE, '--role', 'limited']);
  await setup(sb, ['user', 'add', FAY, '--name', 'Fay']);
  await setup(sb, ['user', 'grant-admin', FAY, '--role', 'full']);
  await setup(sb, ['group', 'create', 'Helpdesk', '--object-id', HELPDESK_OID]);
  await setup(sb, ['group', 'add-member', 'Helpdesk', LEE, FAY]);
  await setup(sb, ['group', 'create', 'Spare']);
  const offer = JSON.parse(await setup(sb, ['offer', 'create', '--granular', '--name', 'Wingtip', '--roles', 'Helpdesk Administrator,User Administrator', '--json']));
  relationshipId = offer.granular.relationshipId;
  await setup(sb, ['client', 'accept', offer.id, '--domain', 'wingtip.com']);
  await setup(sb, ['client', 'assign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator,User Administrator']);
  await setup(sb, ['client', 'user', 'add', 'wingtip.com', 'amy@wingtip.com', '--as', LEE]);
  await setup(sb, ['template', 'create', 'std', '--roles', 'Helpdesk Administrator', '--assign', 'Helpdesk=Helpdesk Administrator']);
  await setup(sb, ['offer', 'create', '--granular', '--template', 'std', '--name', 'Pending']);
  return sb;
}

beforeAll(async () => {
  template = await build();
});
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

async function copyOf(): Promise<Sandbox> {
  const sb = await copySandbox(template, { DELEGATE_NOW: T1 });
  sandboxes.push(sb);
  return sb;
}

async function ok(sb: Sandbox, args: string[]): Promise<Result> {
  const r = await runBin(args, sb.env);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}


const auditEntries = auditOf;

describe('group remove-member', () => {
  test('takes users out with --yes: they lose what the group gave them; audited', async () => {
    const sb = await copyOf();
    const r = await ok(sb, ['group', 'remove-member', 'helpdesk', LEE, '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'Helpdesk', members: [FAY] });
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ actor: ADMIN, action: 'group.remove-member', target: 'Helpdesk', outcome: 'allowed', detail: LEE });
    // Lee reached wingtip.com only through Helpdesk.
    const refused = await runBin(['--as', LEE, 'client', 'user', 'list', 'wingtip.com'], sb.env);
    expect(refused.code).toBe(4);
  });

  test('a named user who is not a member is skipped and said so; none a member is exit 5', async () => {
    const sb = await copyOf();
    const r = await ok(sb, ['group', 'remove-member', 'Helpdesk', LEE, ADMIN, '--yes']);
    expect(r.stderr).toContain(`${ADMIN}: not a member of Helpdesk, skipped`);
    await expectUnchanged(sb, ['group', 'remove-member', 'Helpdesk', ADMIN, '--yes'], 5, /^Error: ada@fabrikam\.com is not a member of Helpdesk\n$/);
  });

  test.each([
    ['an unknown group', ['group', 'remove-member', 'Nope', LEE, '--yes'], 3, /No security group Nope/],
    ['an unknown user', ['group', 'remove-member', 'Helpdesk', 'who@fabrikam.com', '--yes'], 3, /who@fabrikam\.com is not a user of this partner/],
    ['a malformed email', ['group', 'remove-member', 'Helpdesk', 'not-an-email', '--yes'], 2, /email/i],
    ['no --yes and no terminal', ['group', 'remove-member', 'Helpdesk', LEE], 2, /pass --yes/],
  ] as const)('%s: its exit code, one line, nothing written', async (_n, args, code, message) => {
    await expectUnchanged(await copyOf(), [...args], code, message);
  });

  test('only global admins: full admin access is refused, audited', async () => {
    await expectRefused(await copyOf(), ['--as', FAY, 'group', 'remove-member', 'Helpdesk', LEE, '--yes'], { actor: FAY, action: 'group.remove-member', target: 'Helpdesk' }, /may not change security groups: only the partner's global admins may/);
  });

  test('asks y/N on a terminal; no is exit 130 and nothing written', async () => {
    const sb = await copyOf();
    const before = await storeHash(sb.db);
    const r = await runInProcess(['group', 'remove-member', 'Helpdesk', LEE], { env: sb.env, tty: true, answers: [false] });
    expect(r.code).toBe(130);
    expect(r.asked).toEqual([`Remove ${LEE} from security group Helpdesk?`]);
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('--plan: per member its id, then DELETE .../members/{id}/$ref; a group without an object id is exit 5', async () => {
    const sb = await copyOf();
    const before = await storeHash(sb.db);
    const r = await ok(sb, ['group', 'remove-member', 'Helpdesk', LEE, '--plan']);
    expect(checkPlan(r.stdout, 'global')).toEqual([
      { id: 'user', method: 'GET', url: `${GRAPH}/users/lee%40fabrikam.com?$select=id,userPrincipalName` },
      { id: 'remove', method: 'DELETE', url: `${GRAPH}/groups/${HELPDESK_OID}/members/\${user.id}/$ref` },
    ]);
    expect(await storeHash(sb.db)).toBe(before);
    await ok(sb, ['group', 'add-member', 'Spare', LEE]);
    const mid = await storeHash(sb.db);
    const r2 = await runBin(['group', 'remove-member', 'Spare', LEE, '--plan'], sb.env);
    expect(r2.code).toBe(5);
    expectOneLine(r2.stderr, /Security group Spare has no object id in the ledger/);
    expect(await storeHash(sb.db)).toBe(mid);
    // Offline, the ledger change needs no object id.
    await ok(sb, ['group', 'remove-member', 'Spare', LEE, '--yes']);
  });
});

describe('group delete', () => {
  test('refused while assigned on an active relationship, or named in a template (exit 5, nothing written)', async () => {
    const sb = await copyOf();
    await expectUnchanged(sb, ['group', 'delete', 'Helpdesk', '--yes'], 5, /is assigned on active relationships with wingtip\.com \("Wingtip"\): remove that assignment first with `delegate client unassign <domain> --group Helpdesk`/);
    await ok(sb, ['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', '--yes']);
    await expectUnchanged(sb, ['group', 'delete', 'Helpdesk', '--yes'], 5, /is named in template std: delete it first/);
    await ok(sb, ['template', 'delete', 'std', '--yes']);
    const r = await ok(sb, ['group', 'delete', 'Helpdesk', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'Helpdesk', objectId: HELPDESK_OID });
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'group.delete', target: 'Helpdesk', outcome: 'allowed', detail: `2 members; object id ${HELPDESK_OID}` });
    const groups = JSON.parse((await ok(sb, ['group', 'list', '--json'])).stdout);
    expect(groups.map((g: { name: string }) => g.name)).toEqual(['Spare']);
  });

  test('an unknown group is exit 3; full admin access is refused (exit 4, audited); no --yes is exit 2', async () => {
    const sb = await copyOf();
    await expectUnchanged(sb, ['group', 'delete', 'Nope', '--yes'], 3, /No security group Nope/);
    await expectUnchanged(sb, ['group', 'delete', 'Spare'], 2, /pass --yes/);
    await expectRefused(sb, ['--as', FAY, 'group', 'delete', 'Spare', '--yes'], { actor: FAY, action: 'group.delete', target: 'Spare' }, /may not delete security groups/);
  });

  test('--plan is DELETE /groups/{object id}', async () => {
    const sb = await copyOf();
    await ok(sb, ['group', 'set', 'Spare', '--object-id', '99999999-9999-4999-8999-999999999999']);
    const before = await storeHash(sb.db);
    const r = await ok(sb, ['group', 'delete', 'Spare', '--plan']);
    expect(checkPlan(r.stdout, 'global')).toEqual([{ id: 'group', method: 'DELETE', url: `${GRAPH}/groups/99999999-9999-4999-8999-999999999999` }]);
    expect(await storeHash(sb.db)).toBe(before);
  });
});

describe('template delete', () => {
  test('deletes with --yes, says which offers made from it are pending, audited; full admin access may', async () => {
    const sb = await copyOf();
    const r = await ok(sb, ['--as', FAY, 'template', 'delete', 'STD', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'std' });
    expect(r.stderr).toMatch(/1 granular offer made from it is not accepted yet: on acceptance it gets no group assignments from it/);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ actor: FAY, action: 'template.delete', target: 'std', outcome: 'allowed' });
    expect(JSON.parse((await ok(sb, ['template', 'list', '--json'])).stdout)).toEqual([]);
  });

  test('limited access is refused (exit 4, audited); unknown is exit 3; no --yes is exit 2', async () => {
    const sb = await copyOf();
    await expectRefused(sb, ['--as', LEE, 'template', 'delete', 'std', '--yes'], { actor: LEE, action: 'template.delete', target: 'std' }, /may not delete relationship templates: it needs full admin access or the partner's global admin role/);
    await expectUnchanged(sb, ['template', 'delete', 'nope', '--yes'], 3, /No template nope/);
    await expectUnchanged(sb, ['template', 'delete', 'std'], 2, /pass --yes/);
  });

  test('--plan is empty: templates are the ledger\'s own', async () => {
    const sb = await copyOf();
    const before = await storeHash(sb.db);
    const r = await ok(sb, ['template', 'delete', 'std', '--plan']);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toMatch(/nothing would be sent to Microsoft/);
    expect(await storeHash(sb.db)).toBe(before);
  });
});

describe('client unassign', () => {
  test('without --roles the assignment goes: its members lose access; audited', async () => {
    const sb = await copyOf();
    const r = await ok(sb, ['client', 'unassign', 'wingtip.com', '--group', 'helpdesk', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({
      relationshipId,
      group: 'Helpdesk',
      removed: [
        { id: HELPDESK, name: 'Helpdesk Administrator' },
        { id: USER_ADMIN, name: 'User Administrator' },
      ],
      roles: [],
    });
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.unassign', target: 'wingtip.com', outcome: 'allowed', detail: 'Helpdesk: assignment removed (Helpdesk Administrator, User Administrator)' });
    expect((await runBin(['--as', LEE, 'client', 'user', 'list', 'wingtip.com'], sb.env)).code).toBe(4);
  });

  test('--roles takes only those: the group keeps the rest', async () => {
    const sb = await copyOf();
    const r = await ok(sb, ['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'User Administrator', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ removed: [{ name: 'User Administrator' }], roles: [{ name: 'Helpdesk Administrator' }] });
    expect(r.stderr).toMatch(/Helpdesk keeps Helpdesk Administrator on "Wingtip"/);
    // Lee can still reset a non-admin's password, no longer add users.
    await ok(sb, ['--as', LEE, 'client', 'user', 'reset-password', 'wingtip.com', 'amy@wingtip.com']);
    expect((await runBin(['--as', LEE, 'client', 'user', 'add', 'wingtip.com', 'bo@wingtip.com'], sb.env)).code).toBe(4);
  });

  test.each([
    ['a role the group does not hold', ['--roles', 'Global Reader'], 5, /Helpdesk does not hold Global Reader on "Wingtip" with wingtip\.com/],
    ['an unknown role', ['--roles', 'Chief Wizard'], 2, /Chief Wizard/],
  ] as const)('%s: its exit code, one line, nothing written', async (_n, extra, code, message) => {
    await expectUnchanged(await copyOf(), ['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', ...extra, '--yes'], code, message);
  });

  test('bad input and state: no --group (2), no client (3), a group not assigned there (3), no --yes (2)', async () => {
    const sb = await copyOf();
    await expectUnchanged(sb, ['client', 'unassign', 'wingtip.com', '--yes'], 2, /Missing --group <group>/);
    await expectUnchanged(sb, ['client', 'unassign', 'nowhere.com', '--group', 'Helpdesk', '--yes'], 3, /No client nowhere\.com/);
    await expectUnchanged(sb, ['client', 'unassign', 'wingtip.com', '--group', 'Spare', '--yes'], 3, /Security group Spare is not assigned on any active granular relationship with wingtip\.com/);
    await expectUnchanged(sb, ['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk'], 2, /pass --yes/);
  });

  test('only global admins: full admin access is refused, audited', async () => {
    await expectRefused(await copyOf(), ['--as', FAY, 'client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', '--yes'], { actor: FAY, action: 'client.unassign', target: 'wingtip.com' }, /may not assign security groups to client relationships/);
  });

  test("--plan names Microsoft's id for the assignment: unknown is exit 5 naming sync; known, GET for its ETag then DELETE or PATCH with If-Match", async () => {
    const sb = await copyOf();
    await expectUnchanged(sb, ['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', '--plan'], 5, /Microsoft's id for Helpdesk's access assignment on "Wingtip" is not in the ledger.*`delegate sync --only relationships`/);
    await withStore(sb.db, (st: Store) =>
      st.write(async (tx) => {
        const a = (await tx.listAssignments(relationshipId))[0]!;
        await tx.upsertAssignment({ ...a, microsoftId: 'assignment-1' });
      }),
    );
    const before = await storeHash(sb.db);
    const base = `${GRAPH}/tenantRelationships/delegatedAdminRelationships/${relationshipId}/accessAssignments/assignment-1`;
    const all = await ok(sb, ['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', '--plan']);
    expect(checkPlan(all.stdout, 'global')).toEqual([
      { id: 'assignment', method: 'GET', url: base },
      { id: 'delete', method: 'DELETE', url: base, headers: { 'If-Match': '${assignment.@odata.etag}' } },
    ]);
    const some = await ok(sb, ['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'User Administrator', '--plan']);
    expect(checkPlan(some.stdout, 'global')[1]).toEqual({
      id: 'update',
      method: 'PATCH',
      url: base,
      headers: { 'If-Match': '${assignment.@odata.etag}', 'Content-Type': 'application/json' },
      body: { accessDetails: { unifiedRoles: [{ roleDefinitionId: HELPDESK }] } },
    });
    expect(await storeHash(sb.db)).toBe(before);
  });
});

describe('--live, against the fake', () => {
  let fake: FakeMicrosoft;
  beforeAll(async () => {
    fake = await startFakeMicrosoft();
  });
  afterAll(async () => {
    await fake.close();
  });

  async function liveCopy(): Promise<{ sb: Sandbox; run: (args: string[]) => Promise<Result> }> {
    const sb = await copyOf();
    fake.requests.length = 0;
    fake.clearFaults();
    fake.users.clear();
    fake.groups.clear();
    const env = { ...sb.env, ...fake.env() };
    delete env.DELEGATE_NOW;
    return { sb, run: (args) => runBin([...args, '--live'], env) };
  }

  test('group remove-member --live removes the member at Microsoft, then records it', async () => {
    const { sb, run } = await liveCopy();
    const lee = fake.addUser(LEE);
    fake.addGroup('Helpdesk', HELPDESK_OID);
    fake.groups.get(HELPDESK_OID)!.members.add(lee);
    const r = await run(['group', 'remove-member', 'Helpdesk', LEE, '--yes']);
    expect(r.code).toBe(0);
    expect(fake.groups.get(HELPDESK_OID)!.members.has(lee)).toBe(false);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'group.remove-member', detail: `${LEE} (at Microsoft)` });
  });

  test('group delete --live deletes the group at Microsoft, then records it', async () => {
    const { sb, run } = await liveCopy();
    await ok(sb, ['group', 'set', 'Spare', '--object-id', '99999999-9999-4999-8999-999999999999']);
    fake.addGroup('Spare', '99999999-9999-4999-8999-999999999999');
    const r = await run(['group', 'delete', 'Spare', '--yes']);
    expect(r.code).toBe(0);
    expect(fake.groups.has('99999999-9999-4999-8999-999999999999')).toBe(false);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'group.delete', target: 'Spare', detail: expect.stringMatching(/\(at Microsoft\)$/) });
  });

  test('client unassign --live reads the ETag and deletes the assignment at Microsoft, then records it', async () => {
    const { sb, run } = await liveCopy();
    // The relationship as Microsoft has it, with the assignment sync would have read.
    const msId = fake.addRelationship({ displayName: 'Wingtip', status: 'active', roles: [HELPDESK, USER_ADMIN] });
    fake.accessAssignments.set(msId, [
      { id: 'assignment-1', '@odata.etag': 'W/"1"', status: 'active', accessContainer: { accessContainerId: HELPDESK_OID, accessContainerType: 'securityGroup' }, accessDetails: { unifiedRoles: [{ roleDefinitionId: HELPDESK }, { roleDefinitionId: USER_ADMIN }] } },
    ]);
    await withStore(sb.db, (st: Store) =>
      st.write(async (tx) => {
        const r = (await tx.getRelationship(relationshipId))!;
        await tx.replaceRelationship(relationshipId, { ...r, id: msId, msStatus: 'active' });
        const a = (await tx.listAssignments(msId))[0]!;
        await tx.upsertAssignment({ ...a, microsoftId: 'assignment-1' });
      }),
    );
    const r = await run(['client', 'unassign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'User Administrator', '--yes']);
    expect(r.code).toBe(0);
    expect(fake.seen({ service: 'graph' }).map((x) => x.method)).toEqual(['GET', 'PATCH']);
    expect(fake.accessAssignments.get(msId)![0]!.accessDetails).toEqual({ unifiedRoles: [{ roleDefinitionId: HELPDESK }] });
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.unassign', detail: 'Helpdesk: removed User Administrator; keeps Helpdesk Administrator (at Microsoft)' });
  });
});
