/**
 * Undoing what acting for a client did (SPEC.md "Fleet work and the shell"):
 * `client user remove` and `client domain remove`: good input, bad input
 * (one line, exit code, store unchanged), who may do it, the audit entry, the
 * y/N confirmation and --yes, --plan, and --live against the fake.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import {
  ADMIN,
  TENANT,
  auditOf,
  copySandbox,
  expectOneLine,
  expectRefused as expectRefusedIn,
  expectUnchanged as expectUnchangedIn,
  runBin,
  runInProcess,
  sandbox,
  setupIn,
  storeHash,
  type Result,
  type Sandbox,
} from '../helpers/cli.js';
import { checkPlan } from '../helpers/plan.js';

const T0 = '2026-03-01T09:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const LIMITED = 'lee@fabrikam.com';
const UMA = 'uma@fabrikam.com'; // User Administrator on wingtip.com
const PAT = 'pat@fabrikam.com'; // Privileged Authentication Administrator on wingtip.com
const DINA = 'dina@fabrikam.com'; // Domain Name Administrator on wingtip.com
const PRU = 'pru@fabrikam.com'; // Privileged Role Administrator with User Administrator on wingtip.com
const CLIENT_TENANT = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';

const sandboxes: Sandbox[] = [];
let template: Sandbox;

async function newSandbox(): Promise<Sandbox> {
  const sb = await sandbox();
  sb.env.DELEGATE_NOW = T0;
  sandboxes.push(sb);
  return sb;
}

const setup = setupIn;

/**
 * contoso.com (DAP; alex, boss the admin, old.contoso.com added, shop.contoso.com added with
 * a user on it) and wingtip.com (granular: User, Privileged Authentication and Domain Name
 * Administrators through groups; a user and an admin).
 */
async function build(): Promise<Sandbox> {
  const sb = await newSandbox();
  await setup(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  const offerId = JSON.parse(await setup(sb, ['offer', 'create', '--json'])).id as string;
  await setup(sb, ['client', 'accept', offerId, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CLIENT_TENANT]);
  await setup(sb, ['user', 'add', LIMITED, '--name', 'Lee']);
  await setup(sb, ['user', 'grant-admin', LIMITED, '--role', 'limited']);
  await setup(sb, ['client', 'user', 'add', 'contoso.com', 'alex@contoso.com', '--name', 'Alex Wilber']);
  await setup(sb, ['client', 'user', 'add', 'contoso.com', 'boss@contoso.com', '--name', 'The Boss', '--admin']);
  await setup(sb, ['client', 'domain', 'add', 'contoso.com', 'old.example']);
  await setup(sb, ['client', 'domain', 'add', 'contoso.com', 'shop.example']);
  await setup(sb, ['client', 'domain', 'verify', 'contoso.com', 'shop.example']);
  await setup(sb, ['client', 'user', 'add', 'contoso.com', 'clerk@shop.example']);

  const gdap = JSON.parse(
    await setup(sb, ['offer', 'create', '--granular', '--name', 'Wingtip', '--roles', 'User Administrator,Privileged Authentication Administrator,Domain Name Administrator,Privileged Role Administrator', '--json']),
  );
  await setup(sb, ['client', 'accept', gdap.id, '--domain', 'wingtip.com']);
  for (const [group, member, roles] of [
    ['Users', UMA, 'User Administrator'],
    ['Auth', PAT, 'Privileged Authentication Administrator'],
    ['Domains', DINA, 'Domain Name Administrator'],
    ['Roles', PRU, 'Privileged Role Administrator,User Administrator'],
  ] as const) {
    await setup(sb, ['user', 'add', member]);
    await setup(sb, ['group', 'create', group]);
    await setup(sb, ['group', 'add-member', group, member]);
    await setup(sb, ['client', 'assign', 'wingtip.com', '--group', group, '--roles', roles]);
  }
  await setup(sb, ['--as', UMA, 'client', 'user', 'add', 'wingtip.com', 'amy@wingtip.com']);
  await setup(sb, ['--as', PRU, 'client', 'user', 'add', 'wingtip.com', 'root@wingtip.com', '--admin']);
  await setup(sb, ['--as', DINA, 'client', 'domain', 'add', 'wingtip.com', 'wingtip.net']);
  return sb;
}

async function copyOf(from: Sandbox): Promise<Sandbox> {
  const sb = await copySandbox(from, { DELEGATE_NOW: T0 });
  sandboxes.push(sb);
  return sb;
}

beforeAll(async () => {
  template = await build();
});
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

async function ok(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const r = await runBin(args, { ...sb.env, DELEGATE_NOW: T1, ...env });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

async function json(sb: Sandbox, args: string[]): Promise<any> {
  const r = await runInProcess([...args, '--json'], { env: { ...sb.env, DELEGATE_NOW: T1 } });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const auditEntries = auditOf;
const expectUnchanged = (sb: Sandbox, args: string[], code: number, message: RegExp) => expectUnchangedIn(sb, args, code, message, { DELEGATE_NOW: T1 });
const expectRefused = (sb: Sandbox, args: string[], audit: { actor: string; action: string; target: string }, rule: RegExp) => expectRefusedIn(sb, args, audit, rule, { DELEGATE_NOW: T1 });

describe('client user remove', () => {
  test('removes the user with --yes, prints it, and audits the removal', async () => {
    const sb = await copyOf(template);
    const r = await ok(sb, ['client', 'user', 'remove', 'contoso.com', 'Alex@Contoso.com', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ upn: 'alex@contoso.com', name: 'Alex Wilber', isAdmin: false, passwordResetAt: T0 });
    expect(r.stderr).toMatch(/^Removed alex@contoso\.com from contoso\.com in the ledger\. Nothing was sent to Microsoft/);
    const users = await json(sb, ['client', 'user', 'list', 'contoso.com']);
    expect(users.map((u: { upn: string }) => u.upn).sort()).toEqual(['boss@contoso.com', 'clerk@shop.example']);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ actor: ADMIN, action: 'client.user.remove', target: 'contoso.com/alex@contoso.com', outcome: 'allowed', at: T1, detail: 'Alex Wilber removed' });
  });

  test('asks y/N on a terminal: no is exit 130 with nothing written; yes removes', async () => {
    const sb = await copyOf(template);
    const before = await storeHash(sb.db);
    const env = { ...sb.env, DELEGATE_NOW: T1 };
    const no = await runInProcess(['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com'], { env, tty: true, answers: [false] });
    expect(no.code).toBe(130);
    expect(no.asked).toEqual(['Remove user alex@contoso.com from contoso.com?']);
    expect(await storeHash(sb.db)).toBe(before);
    const yes = await runInProcess(['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com'], { env, tty: true, answers: [true] });
    expect(yes.code).toBe(0);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.user.remove', outcome: 'allowed' });
  });

  test('without a terminal and without --yes: exit 2 naming --yes, nothing written', async () => {
    await expectUnchanged(await copyOf(template), ['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com'], 2, /pass --yes/);
  });

  test.each([
    ['a malformed UPN', ['client', 'user', 'remove', 'contoso.com', 'not-an-email', '--yes'], 2, /UPN/],
    ['a UPN outside the client\'s domains', ['client', 'user', 'remove', 'contoso.com', 'alex@elsewhere.com', '--yes'], 2, /not in a domain of contoso\.com/],
    ['an unknown user', ['client', 'user', 'remove', 'contoso.com', 'nobody@contoso.com', '--yes'], 3, /^Error: No user nobody@contoso\.com in contoso\.com/],
    ['a client that never accepted', ['client', 'user', 'remove', 'nowhere.com', 'a@nowhere.com', '--yes'], 4, /never accepted/],
  ] as const)('%s: its exit code, one line', async (_name, args, code, message) => {
    const sb = await copyOf(template);
    if (code === 4) {
      await expectRefused(sb, [...args], { actor: ADMIN, action: 'client.user.remove', target: 'nowhere.com/a@nowhere.com' }, message);
    } else {
      await expectUnchanged(sb, [...args], code, message);
    }
  });

  test('limited (helpdesk) access may not remove a user: exit 4, audited, nothing else written', async () => {
    await expectRefused(
      await copyOf(template),
      ['--as', LIMITED, 'client', 'user', 'remove', 'contoso.com', 'alex@contoso.com', '--yes'],
      { actor: LIMITED, action: 'client.user.remove', target: 'contoso.com/alex@contoso.com' },
      /^Error: lee@fabrikam\.com may not remove a non-admin user in contoso\.com: that needs DAP full admin access \(admin agent\), or .*User Administrator, or Global Administrator/,
    );
  });

  test('GDAP: User Administrator removes a non-admin but not an admin; Privileged Authentication Administrator removes the admin', async () => {
    const sb = await copyOf(template);
    await expectRefused(
      sb,
      ['--as', UMA, 'client', 'user', 'remove', 'wingtip.com', 'root@wingtip.com', '--yes'],
      { actor: UMA, action: 'client.user.remove', target: 'wingtip.com/root@wingtip.com' },
      /may not remove an admin user in wingtip\.com: that needs .*Privileged Authentication Administrator, or Global Administrator; it holds GDAP roles User Administrator/,
    );
    // SPEC.md's rows: Privileged Authentication Administrator removes admins, not non-admins.
    await expectRefused(
      sb,
      ['--as', PAT, 'client', 'user', 'remove', 'wingtip.com', 'amy@wingtip.com', '--yes'],
      { actor: PAT, action: 'client.user.remove', target: 'wingtip.com/amy@wingtip.com' },
      /may not remove a non-admin user in wingtip\.com: that needs .*User Administrator, or Global Administrator; it holds GDAP roles Privileged Authentication Administrator/,
    );
    await ok(sb, ['--as', UMA, 'client', 'user', 'remove', 'wingtip.com', 'amy@wingtip.com', '--yes']);
    await expectRefused(
      sb,
      ['--as', DINA, 'client', 'user', 'remove', 'wingtip.com', 'root@wingtip.com', '--yes'],
      { actor: DINA, action: 'client.user.remove', target: 'wingtip.com/root@wingtip.com' },
      /may not remove a non-admin user in wingtip\.com/,
    );
    const gone = JSON.parse((await ok(sb, ['--as', PAT, 'client', 'user', 'remove', 'wingtip.com', 'root@wingtip.com', '--yes', '--json'])).stdout);
    expect(gone).toMatchObject({ upn: 'root@wingtip.com', isAdmin: true });
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ actor: PAT, action: 'client.user.remove', detail: 'root, admin removed' });
    expect(await json(sb, ['--as', UMA, 'client', 'user', 'list', 'wingtip.com'])).toEqual([]);
  });

  test('--plan prints DELETE /users/{upn}, needs no --yes, and writes nothing', async () => {
    const sb = await copyOf(template);
    const before = await storeHash(sb.db);
    const r = await runBin(['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com', '--plan'], { ...sb.env, DELEGATE_NOW: T1 });
    expect(r.code).toBe(0);
    expect(checkPlan(r.stdout, 'global')).toEqual([{ id: 'user', method: 'DELETE', url: 'https://graph.microsoft.com/v1.0/users/alex%40contoso.com' }]);
    expect(r.stderr).toMatch(/^Plan only: nothing was changed\./);
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('--plan still checks permission: exit 4, audited', async () => {
    await expectRefused(
      await copyOf(template),
      ['--as', LIMITED, 'client', 'user', 'remove', 'contoso.com', 'alex@contoso.com', '--plan'],
      { actor: LIMITED, action: 'client.user.remove', target: 'contoso.com/alex@contoso.com' },
      /may not remove a non-admin user/,
    );
  });
});

describe('client domain remove', () => {
  test('removes an added domain with --yes, prints it, and audits the removal', async () => {
    const sb = await copyOf(template);
    const r = await ok(sb, ['client', 'domain', 'remove', 'contoso.com', 'old.example', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'old.example', isInitial: false, verified: false, addedAt: T0 });
    expect((await json(sb, ['client', 'domain', 'list', 'contoso.com'])).map((d: { name: string }) => d.name).sort()).toEqual([
      'contoso.com',
      'contoso.onmicrosoft.com',
      'shop.example',
    ]);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ actor: ADMIN, action: 'client.domain.remove', target: 'contoso.com/old.example', outcome: 'allowed', detail: 'unverified domain removed' });
  });

  test.each([
    ['the initial domain', 'contoso.onmicrosoft.com', 5, /initial domain: Microsoft gives every organization one, and it cannot be removed/],
    ['the domain the client is recorded under', 'contoso.com', 5, /is the domain contoso\.com is recorded under/],
    ['a domain a user signs in on', 'shop.example', 5, /1 user of contoso\.com signs in on shop\.example \(clerk@shop\.example\): remove them first with `delegate client user remove contoso\.com <upn>`/],
    ['a domain the client does not have', 'nope.example', 3, /^Error: nope\.example is not a domain of contoso\.com/],
    ['a malformed domain', 'not a domain', 2, /domain/],
  ] as const)('%s: its exit code, one line, nothing written', async (_name, name, code, message) => {
    await expectUnchanged(await copyOf(template), ['client', 'domain', 'remove', 'contoso.com', name, '--yes'], code, message);
  });

  test('once its users are gone, a domain can be removed', async () => {
    const sb = await copyOf(template);
    await ok(sb, ['client', 'user', 'remove', 'contoso.com', 'clerk@shop.example', '--yes']);
    await ok(sb, ['client', 'domain', 'remove', 'contoso.com', 'shop.example', '--yes']);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.domain.remove', detail: 'verified domain removed' });
  });

  test('without a terminal and without --yes: exit 2 naming --yes', async () => {
    await expectUnchanged(await copyOf(template), ['client', 'domain', 'remove', 'contoso.com', 'old.example'], 2, /pass --yes/);
  });

  test('limited access may not; GDAP Domain Name Administrator may, User Administrator may not', async () => {
    const sb = await copyOf(template);
    await expectRefused(
      sb,
      ['--as', LIMITED, 'client', 'domain', 'remove', 'contoso.com', 'old.example', '--yes'],
      { actor: LIMITED, action: 'client.domain.remove', target: 'contoso.com/old.example' },
      /may not remove a domain in contoso\.com: that needs DAP full admin access \(admin agent\), or .*Domain Name Administrator, or Global Administrator/,
    );
    await expectRefused(
      sb,
      ['--as', UMA, 'client', 'domain', 'remove', 'wingtip.com', 'wingtip.net', '--yes'],
      { actor: UMA, action: 'client.domain.remove', target: 'wingtip.com/wingtip.net' },
      /may not remove a domain in wingtip\.com/,
    );
    await ok(sb, ['--as', DINA, 'client', 'domain', 'remove', 'wingtip.com', 'wingtip.net', '--yes']);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ actor: DINA, action: 'client.domain.remove', outcome: 'allowed' });
  });

  test('--plan prints DELETE /domains/{name} (21Vianet on its own host) and writes nothing', async () => {
    const sb = await copyOf(template);
    const before = await storeHash(sb.db);
    const r = await runBin(['client', 'domain', 'remove', 'contoso.com', 'old.example', '--plan', 'graph'], { ...sb.env, DELEGATE_NOW: T1 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ id: 'domain', method: 'DELETE', url: 'https://graph.microsoft.com/v1.0/domains/old.example' }]);
    expect(await storeHash(sb.db)).toBe(before);

    const cn = await newSandbox();
    await setup(cn, ['init', '--name', 'Fabrikam CN', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', '--cloud', 'china']);
    const offerId = JSON.parse(await setup(cn, ['offer', 'create', '--json'])).id as string;
    await setup(cn, ['client', 'accept', offerId, '--domain', 'contoso.cn']);
    await setup(cn, ['client', 'domain', 'add', 'contoso.cn', 'old.cn']);
    const plan = checkPlan((await ok(cn, ['client', 'domain', 'remove', 'contoso.cn', 'old.cn', '--plan'])).stdout, 'china');
    expect(plan).toEqual([{ id: 'domain', method: 'DELETE', url: 'https://microsoftgraph.chinacloudapi.cn/v1.0/domains/old.cn' }]);
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

  /** A copy of the template whose client tenant, at Microsoft, holds what the ledger does. */
  async function liveCopy(): Promise<{ sb: Sandbox; run: (args: string[]) => Promise<Result> }> {
    const sb = await copyOf(template);
    fake.requests.length = 0;
    fake.clearFaults();
    fake.users.clear();
    fake.domains.clear();
    fake.roleAssignments.length = 0;
    for (const [id, isInitial, isVerified] of [
      ['contoso.com', false, true],
      ['contoso.onmicrosoft.com', true, true],
      ['old.example', false, false],
      ['shop.example', false, true],
    ] as const) {
      fake.domains.set(id, { id, isInitial, isVerified, isDefault: id === 'contoso.com', authenticationType: 'Managed', supportedServices: [] });
    }
    fake.addUser('alex@contoso.com');
    const bossId = fake.addUser('boss@contoso.com');
    fake.roleAssignments.push({ id: 'ra-boss', roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10', principalId: bossId, directoryScopeId: '/' });
    fake.addUser('clerk@shop.example');
    const env = { ...sb.env, ...fake.env() };
    delete env.DELEGATE_NOW;
    return { sb, run: (args) => runBin([...args, '--live'], env) };
  }

  test('client user remove --live deletes the user at Microsoft, then records it', async () => {
    const { sb, run } = await liveCopy();
    const r = await run(['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ upn: 'alex@contoso.com', isAdmin: false });
    expect(fake.seen({ service: 'graph' }).map((x) => `${x.method} ${x.path}`)).toEqual([
      'GET /domains',
      'GET /users/alex%40contoso.com',
      expect.stringMatching(/^GET \/roleManagement\/directory\/roleAssignments/),
      'DELETE /users/alex%40contoso.com',
    ]);
    expect([...fake.users.values()].some((u) => u.userPrincipalName === 'alex@contoso.com')).toBe(false);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.user.remove', outcome: 'allowed', detail: 'Alex Wilber removed (at Microsoft)' });
    expect(r.stderr).toMatch(/at Microsoft \(restorable there for 30 days\) and from the ledger/);
  });

  test('a user the tenant holds but the ledger does not is removed at Microsoft (live acts on what is there)', async () => {
    const { sb, run } = await liveCopy();
    fake.addUser('temp@contoso.com');
    const r = await run(['client', 'user', 'remove', 'contoso.com', 'temp@contoso.com', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ upn: 'temp@contoso.com', name: 'temp', isAdmin: false });
    expect(fake.seen({ method: 'DELETE' }).map((x) => x.path)).toEqual(['/users/temp%40contoso.com']);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.user.remove', target: 'contoso.com/temp@contoso.com', detail: 'temp removed (at Microsoft)' });
  });

  test('a user the ledger holds but the tenant no longer does: removed from the ledger, nothing sent (running again carries on)', async () => {
    const { sb, run } = await liveCopy();
    fake.users.delete([...fake.users.values()].find((u) => u.userPrincipalName === 'alex@contoso.com')!.id as string);
    const r = await run(['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/removed there already/);
    expect(fake.seen({ method: 'DELETE' })).toEqual([]);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.user.remove', detail: 'Alex Wilber removed (not at Microsoft: removed there already)' });
  });

  test('Microsoft refusing the delete: the failed step is named, nothing is recorded but the refusal, audited with its code', async () => {
    const { sb, run } = await liveCopy();
    fake.fault({ kind: 'error', method: 'DELETE', path: '/users/alex%40contoso.com', status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    const before = (await auditEntries(sb)).length;
    const r = await run(['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com', '--yes']);
    expect(r.code).not.toBe(0);
    expectOneLine(r.stderr, /Step "user" failed: .*Insufficient privileges.*Nothing is recorded in the ledger/);
    const after = await auditEntries(sb);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ action: 'client.user.remove', outcome: 'allowed', target: 'alex@contoso.com', detail: 'user.delete: refused by Microsoft: Authorization_RequestDenied' });
  });

  test('client domain remove --live deletes the domain at Microsoft, then records it', async () => {
    const { sb, run } = await liveCopy();
    const r = await run(['client', 'domain', 'remove', 'contoso.com', 'old.example', '--yes']);
    expect(r.code).toBe(0);
    expect(fake.seen({ method: 'DELETE' }).map((x) => x.path)).toEqual(['/domains/old.example']);
    expect(fake.domains.has('old.example')).toBe(false);
    expect((await auditEntries(sb)).at(-1)).toMatchObject({ action: 'client.domain.remove', detail: 'unverified domain removed (at Microsoft)' });
  });
});
