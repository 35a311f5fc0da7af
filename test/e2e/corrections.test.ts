/**
 * Correcting records (SPEC.md "The terminal and the docs"): a typo at `init`
 * need not mean starting over. `partner set --tenant-id` while no offer or
 * client was made with it, `--cloud` while no client is recorded and no
 * sign-in is to the other cloud, `--name` always; else exit 5 naming why,
 * the store unchanged. `user set <email> --name / --global-admin /
 * --no-global-admin`, never leaving the partner without a global admin.
 * Every change audited; a refusal by a non-admin is exit 4, audited.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, OTHER_TENANT, TENANT, expectOneLine, initPartner, runBin, sandbox, storeHash, type Result, type Sandbox } from '../helpers/cli.js';

const GRACE = 'grace@fabrikam.com';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
  await initPartner(sb);
});
afterEach(() => sb.cleanup());

const run = (args: string[]) => runBin(args, sb.env);
async function ok(args: string[]): Promise<Result> {
  const r = await run(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}
const json = async (args: string[]) => JSON.parse((await ok([...args, '--json'])).stdout);
const lastAudit = async () => (await json(['audit'])).at(-1);

/** Refused with `code`, one line matching `message`, nothing on stdout, the store's bytes unchanged. */
async function refused(args: string[], code: number, message: RegExp): Promise<void> {
  const before = await storeHash(sb.db);
  const r = await run(args);
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, message);
  expect(await storeHash(sb.db)).toBe(before);
}

describe('partner set', () => {
  test('--tenant-id corrects a mistyped tenant id while nothing was made with it, audited', async () => {
    const p = await json(['partner', 'set', '--tenant-id', OTHER_TENANT]);
    expect(p).toMatchObject({ name: 'Fabrikam IT', tenantId: OTHER_TENANT });
    expect(await lastAudit()).toMatchObject({ action: 'partner.set', actor: ADMIN, target: TENANT, outcome: 'allowed', detail: `tenantId: ${TENANT} -> ${OTHER_TENANT}` });
    // The offers made now carry the corrected id.
    expect((await ok(['offer', 'create', '-q'])).stdout).toContain(`partnerId=${OTHER_TENANT}`);
  });

  test('--tenant-id once an offer was made with it: exit 5 naming the offers; a bad id is exit 2', async () => {
    await refused(['partner', 'set', '--tenant-id', 'not-a-guid'], 2, /--tenant-id "not-a-guid" is not a GUID/);
    await ok(['offer', 'create', '-q']);
    await refused(['partner', 'set', '--tenant-id', OTHER_TENANT], 5, /^Error: Cannot change the tenant id \(3f2a1b4c-[0-9a-f-]+\): offers were made with it, and their links carry it \(see `delegate offer list --all`\)\n$/);
    // The same id is no change at all.
    expect((await json(['partner', 'set', '--tenant-id', TENANT])).tenantId).toBe(TENANT);
  });

  test('--tenant-id and --cloud once a client is recorded: exit 5 naming the clients; --name always works', async () => {
    const offer = (await json(['offer', 'create'])).id as string;
    await ok(['client', 'accept', offer, '--domain', 'contoso.com']);
    await refused(['partner', 'set', '--tenant-id', OTHER_TENANT], 5, /Cannot change the tenant id \(.*\): clients were recorded with it \(see `delegate client list`\)/);
    await refused(['partner', 'set', '--cloud', 'china'], 5, /Cannot change the cloud \(global\): clients were recorded with it/);
    expect((await json(['partner', 'set', '--name', 'Fabrikam IT Services'])).name).toBe('Fabrikam IT Services');
    expect(await lastAudit()).toMatchObject({ action: 'partner.set', detail: 'name: Fabrikam IT -> Fabrikam IT Services' });
  });

  test('--cloud while no client is recorded, unless signed in to the other cloud', async () => {
    const dataDir = join(sb.dir, 'home', '.local', 'share', 'delegate');
    mkdirSync(dataDir, { recursive: true });
    const session = { version: 1, cloud: 'global', tenant: TENANT, clientId: '0b5f1c1e-7a47-4c36-9d7c-2f4c1a0c8e11', flow: 'device-code', account: ADMIN, homeAccountId: null, tenantId: TENANT, expiresOn: null };
    writeFileSync(join(dataDir, 'login.json'), JSON.stringify(session));
    await refused(['partner', 'set', '--cloud', 'china'], 5, /Cannot change the cloud to china: you are signed in to Microsoft's global cloud; run `delegate logout` first/);
    await ok(['logout']);
    expect((await json(['partner', 'set', '--cloud', 'china'])).cloud).toBe('china');
    expect(await lastAudit()).toMatchObject({ action: 'partner.set', detail: 'cloud: global -> china' });
  });

  test('a partner user who is not a global admin: exit 4, audited, before any state check', async () => {
    await ok(['user', 'add', GRACE]);
    await ok(['offer', 'create', '-q']);
    const r = await run(['--as', GRACE, 'partner', 'set', '--tenant-id', OTHER_TENANT]);
    expect(r.code).toBe(4);
    expect(await lastAudit()).toMatchObject({ action: 'partner.set', actor: GRACE, outcome: 'denied' });
    expect((await json(['partner', 'show'])).tenantId).toBe(TENANT);
  });
});

describe('user set', () => {
  test('--name and --global-admin correct a user, keeping its access and groups; audited', async () => {
    await ok(['user', 'add', GRACE, '--name', 'Grace Hoper']);
    await ok(['user', 'grant-admin', GRACE, '--role', 'limited']);
    await ok(['group', 'create', 'Helpdesk']);
    await ok(['group', 'add-member', 'Helpdesk', GRACE]);
    const r = await ok(['user', 'set', GRACE, '--name', 'Grace Hopper', '--global-admin', '--json']);
    // (+ dbLogin on a team store)
    expect(JSON.parse(r.stdout)).toMatchObject({ email: GRACE, name: 'Grace Hopper', orgRole: 'global-admin', adminAccess: 'limited', canCreateOffers: true });
    expect(r.stderr).toBe(`Changed ${GRACE}: name: Grace Hoper -> Grace Hopper; orgRole: user -> global-admin.\n`);
    expect(await lastAudit()).toMatchObject({ action: 'user.set', actor: ADMIN, target: GRACE, outcome: 'allowed', detail: 'name: Grace Hoper -> Grace Hopper; orgRole: user -> global-admin' });
    expect((await json(['group', 'list']))[0].members).toEqual([GRACE]);
    // Nothing to change: said so, nothing audited.
    const entries = (await json(['audit'])).length;
    expect((await ok(['user', 'set', GRACE, '--global-admin'])).stderr).toBe(`${GRACE} was already so: nothing changed.\n`);
    expect(await json(['audit'])).toHaveLength(entries);
  });

  test('--no-global-admin never leaves the partner without a global admin (exit 5); with another, it does', async () => {
    await refused(['user', 'set', ADMIN, '--no-global-admin'], 5, /^Error: ada@fabrikam\.com is the partner's last global admin: make another user a global admin first/);
    await ok(['user', 'add', GRACE, '--global-admin']);
    expect((await json(['user', 'set', ADMIN, '--no-global-admin'])).orgRole).toBe('user');
    expect(await lastAudit()).toMatchObject({ action: 'user.set', target: ADMIN, detail: 'orgRole: global-admin -> user' });
  });

  test('bad input is exit 2, an unknown user exit 3, a user who is not a global admin exit 4 (audited)', async () => {
    await refused(['user', 'set', GRACE], 2, /^Error: Nothing to change: give --name, --global-admin, --no-global-admin/);
    await refused(['user', 'set', GRACE, '--name', ''], 2, /--name/);
    await refused(['user', 'set', 'not-an-email', '--name', 'X'], 2, /not-an-email/);
    await refused(['user', 'set', GRACE, '--name', 'Grace'], 3, /^Error: grace@fabrikam\.com is not a user of this partner/);
    await ok(['user', 'add', GRACE]);
    const r = await run(['--as', GRACE, 'user', 'set', GRACE, '--global-admin']);
    expect(r.code).toBe(4);
    expect(await lastAudit()).toMatchObject({ action: 'user.set', actor: GRACE, outcome: 'denied' });
    expect((await json(['user', 'list'])).find((u: { email: string }) => u.email === GRACE).orgRole).toBe('user');
  });
});
