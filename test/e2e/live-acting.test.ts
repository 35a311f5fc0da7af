/**
 * Live mode, acting for a client (SPEC.md "Live mode"): the built CLI with
 * --live (and mode=live, DELEGATE_MODE=live) against the loopback fake of
 * Microsoft Graph, with DELEGATE_ACCESS_TOKEN. The ledger records what the
 * fake answered, never what did not happen; a fault at each step leaves a
 * truthful ledger, and running the same command again carries on.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Store } from '../../src/domain/core/store.js';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { ADMIN, expectOneLine, runBin, storeHash, TENANT, withStore, type Result, type Sandbox } from '../helpers/cli.js';
import { PG_MODE } from '../helpers/pg-e2e.js';
import { listAuditEntries } from '../helpers/shortcuts.js';

const CLIENT_TENANT = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const LIMITED = 'lee@fabrikam.com';
const GLOBAL_ADMIN_ROLE = '62e90394-69f5-4237-9190-012177145e10';

const theFake = fakeForSuite();
let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;

const setup = (args: string[]): Promise<string> => setupAt(sb, args);

beforeEach(async () => {
  ({ fake, sb, env } = await liveSandbox(theFake()));
  // The client's tenant as Microsoft holds it: its accepted domain and initial domain, verified.
  for (const [id, isInitial] of [
    ['contoso.com', false],
    ['contoso.onmicrosoft.com', true],
  ] as const) {
    fake.domains.set(id, { id, isInitial, isVerified: true, isDefault: !isInitial, authenticationType: 'Managed', supportedServices: [] });
  }
  await setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  const offerId = JSON.parse(await setup(['offer', 'create', '--json'])).id as string;
  await setup(['client', 'accept', offerId, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CLIENT_TENANT]);
  await setup(['user', 'add', LIMITED, '--name', 'Lee']);
  await setup(['user', 'grant-admin', LIMITED, '--role', 'limited']);
});
afterEach(() => sb.cleanup());

const live = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Result> => runBin([...args, '--live'], { ...env, ...extra });

const ledger = <T>(fn: (store: Store) => Promise<T>): Promise<T> => withStore(sb.db, fn);
const ledgerUser = (upn: string) => ledger((st) => st.read((tx) => tx.getClientUser('contoso.com', upn)));
const ledgerDomains = () => ledger((st) => st.read((tx) => tx.listClientDomains('contoso.com')));
const audit = () => ledger((st) => listAuditEntries(st, {}));
const fakeUser = (upn: string) => [...fake.users.values()].find((u) => u.userPrincipalName === upn);

describe('client user add --live', () => {
  it('creates the user at Microsoft with the printed password, then records it', async () => {
    const r = await live(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com', '--name', 'Alex Wilber', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ upn: 'alex@contoso.com', name: 'Alex Wilber', isAdmin: false, forceChangePasswordNextSignIn: true });
    const created = fakeUser('alex@contoso.com')!;
    expect(created.passwordProfile).toEqual({ forceChangePasswordNextSignIn: true, password: out.temporaryPassword });
    expect(created.displayName).toBe('Alex Wilber');
    // The tenant was read first (its domains, and whether the user exists), then the user was created.
    expect(fake.seen({ service: 'graph' }).map((x) => `${x.method} ${x.path}`)).toEqual(['GET /domains', 'GET /users/alex%40contoso.com', 'POST /users']);
    expect(await ledgerUser('alex@contoso.com')).toMatchObject({ name: 'Alex Wilber', isAdmin: false });
    expect((await audit()).at(-1)).toMatchObject({ action: 'client.user.add', outcome: 'allowed', detail: 'Alex Wilber (at Microsoft)' });
  });

  it('an admin gets Global Administrator assigned to the id Microsoft gave the new user', async () => {
    const r = await live(['client', 'user', 'add', 'contoso.com', 'boss@contoso.com', '--admin', '--json']);
    expect(r.code).toBe(0);
    const id = fakeUser('boss@contoso.com')!.id;
    expect(fake.roleAssignments).toEqual([expect.objectContaining({ principalId: id, roleDefinitionId: GLOBAL_ADMIN_ROLE, directoryScopeId: '/' })]);
    expect(await ledgerUser('boss@contoso.com')).toMatchObject({ isAdmin: true });
  });

  it('a user the tenant already has is a conflict (exit 5), found by reading the tenant, and nothing is sent or written', async () => {
    fake.addUser('alex@contoso.com');
    const before = await storeHash(sb.db);
    const r = await live(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com']);
    expect(r.code).toBe(5);
    expectOneLine(r.stderr, /alex@contoso\.com already exists in contoso\.com/);
    expect(fake.seen({ method: 'POST' })).toEqual([]);
    expect(await storeHash(sb.db)).toBe(before);
  });

  it('a UPN on a domain the tenant does not hold is exit 2 before anything is sent', async () => {
    const before = await storeHash(sb.db);
    const r = await live(['client', 'user', 'add', 'contoso.com', 'alex@elsewhere.com']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /not in a domain of contoso\.com/);
    expect(fake.seen({ method: 'POST' })).toEqual([]);
    expect(await storeHash(sb.db)).toBe(before);
  });

  it("a refusal by delegate's own rules comes before any request: exit 4, one audit entry", async () => {
    const entries = (await audit()).length;
    const r = await live(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com', '--as', LIMITED]);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /may not add a non-admin user in contoso\.com/);
    expect(fake.requests).toEqual([]);
    const after = await audit();
    expect(after).toHaveLength(entries + 1);
    expect(after.at(-1)).toMatchObject({ actor: LIMITED, outcome: 'denied', action: 'client.user.add' });
  });

  it('a bulk file: each row applied and recorded on its own; a failed row is listed, the others kept, exit 1; running again carries on', async () => {
    fake.addUser('bo@contoso.com'); // Graph refuses a second user with this UPN (400)
    const file = join(sb.dir, 'staff.csv');
    writeFileSync(file, 'upn,name,admin\nal@contoso.com,Al,false\nbo@contoso.com,Bo,false\ncy@contoso.com,Cy,true\n');
    const r = await live(['client', 'user', 'add', 'contoso.com', '--file', file, '--json']);
    expect(r.code).toBe(1);
    // A live bulk command's JSON: each item's outcome, with what an applied one made (its password, shown once).
    const items = JSON.parse(r.stdout);
    expect(items).toEqual([
      { item: 'al@contoso.com', outcome: 'applied', result: expect.objectContaining({ upn: 'al@contoso.com', temporaryPassword: fakeUser('al@contoso.com')!.passwordProfile!.password }) },
      { item: 'bo@contoso.com', outcome: 'failed', step: 'user-2', message: expect.stringMatching(/^Microsoft Graph answered 400 to POST \/users: Request_BadRequest: Another object/) },
      { item: 'cy@contoso.com', outcome: 'applied', result: expect.objectContaining({ upn: 'cy@contoso.com', isAdmin: true }) },
    ]);
    expect(r.stderr).toMatch(/1 of 3 items not applied at Microsoft \(their outcomes are listed\): the others are applied and recorded; run the same command again to carry on/);
    expect(await ledgerUser('al@contoso.com')).toBeDefined();
    expect(await ledgerUser('bo@contoso.com')).toBeUndefined();
    expect(await ledgerUser('cy@contoso.com')).toMatchObject({ isAdmin: true });
    // The conflict is resolved at Microsoft; the same command sends only the row still missing.
    fake.users.delete(String(fakeUser('bo@contoso.com')!.id));
    fake.requests.length = 0;
    const again = await live(['client', 'user', 'add', 'contoso.com', '--file', file, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).map((u: { upn: string }) => u.upn)).toEqual(['bo@contoso.com']);
    expect(again.stderr).toContain('al@contoso.com: in the ledger already (added by an earlier run), skipped');
    expect(fake.seen({ method: 'POST' }).map((x) => x.path)).toEqual(['/users']);
    expect(await ledgerUser('bo@contoso.com')).toBeDefined();
  });

  it('a bad file is refused whole before anything is sent (exit 2)', async () => {
    const file = join(sb.dir, 'staff.csv');
    writeFileSync(file, 'upn,name,admin\nal@contoso.com,Al,false\nnot-an-email,Bo,false\n');
    const before = await storeHash(sb.db);
    const r = await live(['client', 'user', 'add', 'contoso.com', '--file', file]);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /line 3/);
    expect(fake.seen({ method: 'POST' })).toEqual([]);
    expect(await storeHash(sb.db)).toBe(before);
  });
});

describe('faults: the ledger holds exactly what Microsoft did', () => {
  it('429 then success: retried after Retry-After, recorded once', async () => {
    fake.fault({ kind: 'throttle', method: 'POST', path: '/users', retryAfter: '0' });
    const r = await live(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Microsoft answered 429 to POST \/users; trying again in 0 s \(attempt 2\)/);
    expect(fake.seen({ method: 'POST', path: '/users' })).toHaveLength(2);
    expect(await ledgerUser('alex@contoso.com')).toBeDefined();
  });

  it('503 until the retry budget runs out: exit 1 naming the step, nothing recorded but the refusal; running again completes', async () => {
    // Microsoft asks for 2 s; a budget of 1 s (DELEGATE_RETRY_BUDGET) leaves no room for that wait.
    fake.fault({ kind: 'unavailable', method: 'POST', path: '/users', retryAfter: '2' });
    const entries = (await audit()).length;
    const r = await live(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com'], { DELEGATE_RETRY_BUDGET: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^Error: Step "user" failed: Microsoft Graph answered 503 to POST \/users.*gave up after 1 attempt in \d+ ms: Microsoft asked to wait 2 s more, beyond the retry budget of 1 s \(DELEGATE_RETRY_BUDGET\).*Nothing is recorded in the ledger; run the same command again to carry on\.$/,
    );
    expect(await ledgerUser('alex@contoso.com')).toBeUndefined();
    // A 503 was not applied: its intent is closed, and the refusal audited with Microsoft's code.
    const after = await audit();
    expect(after).toHaveLength(entries + 1);
    expect(after.at(-1)).toMatchObject({ action: 'client.user.add', detail: 'user.create: refused by Microsoft: serviceNotAvailable' });
    expect(JSON.parse((await runBin(['pending', '--json'], env)).stdout)).toEqual([]);
    const again = await live(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com']);
    expect(again.code).toBe(0);
    expect(await ledgerUser('alex@contoso.com')).toBeDefined();
  });

  it('a dropped connection: one line, exit 1, nothing recorded, the change pending; once settled, running again completes', async () => {
    fake.fault({ kind: 'drop', method: 'POST', path: '/domains' });
    const quick = { DELEGATE_HTTP_TIMEOUT: '1' };
    const r = await live(['client', 'domain', 'add', 'contoso.com', 'fabrikam-shop.com'], quick);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^Error: Step "domain" failed: Cannot reach Microsoft Graph \(POST \/domains\).*Nothing is recorded in the ledger; Microsoft may or may not have applied this step.*pending/);
    expect((await ledgerDomains()).map((d) => d.name)).not.toContain('fabrikam-shop.com');
    expect(JSON.parse((await runBin(['pending', '--json'], env)).stdout)).toEqual([expect.objectContaining({ action: 'domain.add', target: 'fabrikam-shop.com', command: 'client.domain.add' })]);
    await runBin(['config', 'set', 'live.settle', '0'], env);
    await new Promise((done) => setTimeout(done, 1100));
    const again = await live(['client', 'domain', 'add', 'contoso.com', 'fabrikam-shop.com', '--json'], quick);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Recovered an earlier run's change: add a domain to a client's tenant fabrikam-shop\.com: not applied at Microsoft/);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: 'fabrikam-shop.com', verified: false });
    expect(fake.seen({ method: 'POST', path: '/domains' })).toHaveLength(2);
  });

  it('an admin whose role assignment fails is recorded as created without the role, and the failed step is named', async () => {
    fake.fault({ kind: 'error', method: 'POST', path: '/roleManagement/directory/roleAssignments', status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    const r = await live(['client', 'user', 'add', 'contoso.com', 'boss@contoso.com', '--admin']);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /^Error: Step "role" failed: .*403.*The steps before it were applied at Microsoft and are recorded in the ledger/);
    expect(fakeUser('boss@contoso.com')).toBeDefined();
    expect(await ledgerUser('boss@contoso.com')).toMatchObject({ isAdmin: false });
  });
});

describe('client user reset-password --live', () => {
  it('resets a user the tenant holds (even one the ledger does not know) and records the time', async () => {
    fake.addUser('alex@contoso.com');
    const r = await live(['client', 'user', 'reset-password', 'contoso.com', 'alex@contoso.com', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(fakeUser('alex@contoso.com')!.passwordProfile).toEqual({ forceChangePasswordNextSignIn: true, password: out.temporaryPassword });
    expect(await ledgerUser('alex@contoso.com')).toMatchObject({ passwordResetAt: expect.any(String), isAdmin: false });
  });

  it("reads the user's directory roles: a limited agent may not reset an admin's password (exit 4, nothing sent)", async () => {
    const id = fake.addUser('boss@contoso.com');
    fake.roleAssignments.push({ id: 'ra1', principalId: id, roleDefinitionId: GLOBAL_ADMIN_ROLE, directoryScopeId: '/' });
    const r = await live(['client', 'user', 'reset-password', 'contoso.com', 'boss@contoso.com', '--as', LIMITED]);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /may not reset an admin's password/);
    expect(fake.seen({ method: 'PATCH' })).toEqual([]);
    expect(fake.seen({ path: '/roleManagement/directory/roleAssignments' })).toHaveLength(1);
  });

  it('a user the tenant does not have is exit 3', async () => {
    const r = await live(['client', 'user', 'reset-password', 'contoso.com', 'ghost@contoso.com']);
    expect(r.code).toBe(3);
    expectOneLine(r.stderr, /No user ghost@contoso\.com in contoso\.com/);
  });
});

describe('client domain add and verify --live', () => {
  it('adds the domain unverified, then verify reads the TXT record Microsoft wants and records what Microsoft says', async () => {
    const add = await live(['client', 'domain', 'add', 'contoso.com', 'shop.example.org', '--json']);
    expect(add.code).toBe(0);
    expect(fake.domains.get('shop.example.org')).toMatchObject({ isVerified: false });
    const v = await live(['client', 'domain', 'verify', 'contoso.com', 'shop.example.org', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ name: 'shop.example.org', verified: true });
    expect(v.stderr).toMatch(/Microsoft verified shop\.example\.org for contoso\.com \(its DNS record: TXT shop\.example\.org "MS=ms/);
    expect(fake.domains.get('shop.example.org')).toMatchObject({ isVerified: true });
    expect((await ledgerDomains()).find((d) => d.name === 'shop.example.org')).toMatchObject({ verified: true });
    expect((await audit()).at(-1)).toMatchObject({ action: 'client.domain.verify', detail: 'verified by Microsoft' });
  });

  it('when Microsoft refuses to verify, the domain stays unverified and the error carries the DNS record to put in place', async () => {
    await live(['client', 'domain', 'add', 'contoso.com', 'shop.example.org']);
    fake.fault({ kind: 'error', method: 'POST', path: '/domains/shop.example.org/verify', status: 400, code: 'Request_BadRequest', message: 'Domain verification failed.' });
    const r = await live(['client', 'domain', 'verify', 'contoso.com', 'shop.example.org']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /^Error: Step "verify" failed: .*Domain verification failed.*Microsoft wants this DNS record in place first: TXT shop\.example\.org "MS=ms/);
    expect((await ledgerDomains()).find((d) => d.name === 'shop.example.org')).toMatchObject({ verified: false });
  });
});

describe('choosing live mode, and who acts', () => {
  it('the mode setting and DELEGATE_MODE turn live mode on; a bad DELEGATE_MODE is exit 2', async () => {
    expect((await runBin(['config', 'set', 'mode', 'live'], env)).code).toBe(0);
    const r = await runBin(['client', 'domain', 'add', 'contoso.com', 'a.example.org'], env);
    expect(r.code).toBe(0);
    expect(fake.domains.has('a.example.org')).toBe(true);
    const off = await runBin(['client', 'domain', 'add', 'contoso.com', 'b.example.org'], { ...env, DELEGATE_MODE: 'offline' });
    expect(off.code).toBe(0);
    expect(fake.domains.has('b.example.org')).toBe(false);
    const bad = await runBin(['client', 'domain', 'add', 'contoso.com', 'c.example.org'], { ...env, DELEGATE_MODE: 'sometimes' });
    expect(bad.code).toBe(2);
    expectOneLine(bad.stderr, /DELEGATE_MODE must be offline or live/);
  });

  it('config set mode takes offline or live only', async () => {
    const r = await runBin(['config', 'set', 'mode', 'maybe'], env);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
  });

  it('DELEGATE_NOW in live mode is exit 2; --plan with --live is exit 2; nothing sent', async () => {
    const before = await storeHash(sb.db);
    const now = await live(['client', 'domain', 'add', 'contoso.com', 'a.example.org'], { DELEGATE_NOW: '2026-12-01T00:00:00Z', DELEGATE_TEST_KEEP_NOW: '1' });
    expect(now.code).toBe(2);
    expectOneLine(now.stderr, /DELEGATE_NOW is refused in live mode/);
    const both = await live(['client', 'domain', 'add', 'contoso.com', 'a.example.org', '--plan']);
    expect(both.code).toBe(2);
    expectOneLine(both.stderr, /--plan .* --live .*give one/);
    expect(fake.requests).toEqual([]);
    expect(await storeHash(sb.db)).toBe(before);
  });

  it('--live without a sign-in or a token is exit 4 naming delegate login', async () => {
    const { DELEGATE_ACCESS_TOKEN: _none, ...noToken } = env;
    const r = await runBin(['client', 'domain', 'add', 'contoso.com', 'a.example.org', '--live'], noToken);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /`delegate login`/);
    expect(fake.requests).toEqual([]);
  });

  it('offline commands are unchanged: without --live nothing goes to Microsoft', async () => {
    const r = await runBin(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com'], env);
    expect(r.code).toBe(0);
    expect(fake.requests).toEqual([]);
  });
});

describe('who acts in live mode when signed in', () => {
  // login.json as `delegate login` writes it (src/microsoft/signin.ts); only its account and flow matter here,
  // since these refusals come before any token is asked for.
  function signedIn(account: string | null, flow: string): NodeJS.ProcessEnv {
    const dir = join(sb.dir, 'home', '.local', 'share', 'delegate');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const session = { version: 1, cloud: 'global', tenant: TENANT, clientId: '0b5f1c1e-7a47-4c36-9d7c-2f4c1a0c8e11', flow, account, homeAccountId: null, tenantId: TENANT, expiresOn: null };
    writeFileSync(join(dir, 'login.json'), JSON.stringify(session), { mode: 0o600 });
    const { DELEGATE_ACCESS_TOKEN: _none, ...rest } = env;
    return rest;
  }

  it('an --as naming someone other than the signed-in account is exit 4, audited once, nothing sent', async () => {
    const e = signedIn(ADMIN, 'device-code');
    const entries = (await audit()).length;
    const r = await runBin(['client', 'domain', 'add', 'contoso.com', 'a.example.org', '--live', '--as', LIMITED], e);
    expect(r.code).toBe(4);
    // On a team store --as is a database login (the harness connects as lee's): the same rule, in its terms.
    expectOneLine(r.stderr, PG_MODE ? /the actor is the signed-in account ada@fabrikam\.com; the database login \S+ acts for lee@fabrikam\.com, someone else/ : /the actor is the signed-in account ada@fabrikam\.com; --as lee@fabrikam\.com names someone else/);
    expect(fake.requests).toEqual([]);
    const after = await audit();
    expect(after).toHaveLength(entries + 1);
    expect(after.at(-1)).toMatchObject({ actor: LIMITED, outcome: 'denied', action: 'client.domain.add' });
  });

  it('an app-only sign-in cannot act in a client: exit 4 naming why, audited once, nothing sent', async () => {
    const e = signedIn(null, 'secret');
    const entries = (await audit()).length;
    const r = await runBin(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com', '--live'], e);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /app-only sign-in .* cannot act in a client/);
    expect(fake.requests).toEqual([]);
    expect(await audit()).toHaveLength(entries + 1);
  });
});
