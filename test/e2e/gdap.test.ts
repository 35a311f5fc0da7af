/**
 * Granular delegated admin (GDAP) end to end through the built CLI, over
 * simulated time (DELEGATE_NOW): templates, groups, offers with --count,
 * acceptance by link, access assignments, acting as a group member,
 * --expiring, auto-extension, expiry and termination; legacy and granular
 * clients side by side; and bad input for every GDAP command.
 */
import { ROLES } from '../../src/domain/relationship/roles.js';
import { ADMIN, copyStore, initPartner, runBin, runInProcess, sandbox, storeHash, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { checkPlan } from '../helpers/plan.js';

const DAY = 86_400_000;
const T0 = '2026-01-01T00:00:00.000Z';
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const UA = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const GR = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';
const GROUP_OID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const GDAP_LINK = /^https:\/\/admin\.microsoft\.com\/AdminPortal\/Home#\/partners\/invitation\/granularAdminRelationships\/([0-9a-f-]{73})$/;
const adminLink = `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`;
const gdapLink = (id: string) => `https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/${id}`;

/** stderr is exactly one line, with no stack trace. */
function expectOneLine(stderr: string, message: RegExp): void {
  expect(stderr).toMatch(/\n$/);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).toMatch(message);
}

function json<T = unknown>(r: Result): T {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface GranularJson {
  relationshipId: string;
  displayName: string;
  duration?: string;
  autoExtendDuration: string;
  roles: { id: string; name: string }[];
  status: string;
  activatedAt: string | null;
  endsAt: string | null;
}
interface OfferJson {
  id: string;
  url: string;
  status: string;
  createdAt: string;
  createdBy: string;
  acceptedCount: number;
  granular?: GranularJson;
}
interface ClientJson {
  domain: string;
  name: string;
  status: string;
  offerId: string;
  removedAt: string | null;
  granular?: GranularJson;
}
interface AuditJson {
  seq: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
}

// ---------------------------------------------------------------------------

describe('a granular relationship over its whole life, through the CLI', () => {
  const HANA = 'hana@fabrikam.com'; // in group Helpdesk; no admin access
  const UMA = 'uma@fabrikam.com'; // in group Users; no admin access
  let sb: Sandbox;
  /** Run the CLI at `at` (DELEGATE_NOW), optionally as another partner user. */
  const cli = (at: string, args: string[], as?: string) => runBin([...args, ...(as ? ['--as', as] : [])], { ...sb.env, DELEGATE_NOW: at });
  const ok = async (at: string, args: string[], as?: string): Promise<Result> => {
    const r = await cli(at, args, as);
    if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r;
  };
  const show = async (at: string, domain: string) => json<ClientJson>(await cli(at, ['client', 'show', domain, '--json']));

  let offers: OfferJson[] = [];
  let plainOfferId = '';
  const ACCEPTED = plus(T0, 10 * DAY);
  const E0 = plus(ACCEPTED, 365 * DAY); // P1Y from the template
  const EXT = 180 * DAY;

  beforeAll(async () => {
    sb = await sandbox();
    await ok(T0, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
    await ok(T0, ['user', 'add', HANA]);
    await ok(T0, ['user', 'add', UMA]);
    await ok(T0, ['group', 'create', 'Helpdesk', '--object-id', GROUP_OID]);
    await ok(T0, ['group', 'create', 'Users']);
    await ok(T0, ['group', 'add-member', 'Helpdesk', HANA]);
    await ok(T0, ['group', 'add-member', 'users', UMA]);
    plainOfferId = json<OfferJson>(await ok(T0, ['offer', 'create', '--json'])).id;
  });
  afterAll(() => sb.cleanup());

  test('template create/list keeps roles, duration (canonical days), auto-extend and the group assignments', async () => {
    const made = json<{ roles: { id: string }[] }>(
      await cli(T0, [
        'template', 'create', 'std',
        '--roles', 'helpdesk administrator,User Administrator,' + GR,
        '--duration', 'P1Y',
        '--assign', 'Helpdesk=Helpdesk Administrator',
        '--assign', 'Users=User Administrator',
        '--json',
      ]),
    );
    const list = json<unknown[]>(await cli(T0, ['template', 'list', '--json']));
    expect(list).toEqual([made]);
    expect(made).toMatchObject({
      name: 'std',
      duration: 'P365D',
      autoExtendDuration: 'PT0S',
      assignments: [
        { group: 'Helpdesk', roles: [{ id: HA, name: 'Helpdesk Administrator' }] },
        { group: 'Users', roles: [{ id: UA, name: 'User Administrator' }] },
      ],
    });
    expect(made.roles.map((r) => r.id).sort()).toEqual([GR, HA, UA].sort());
    const groups = json<{ name: string; objectId: string | null; members: string[] }[]>(await cli(T0, ['group', 'list', '--json']));
    expect(groups.map((g) => [g.name, g.objectId, g.members])).toEqual([
      ['Helpdesk', GROUP_OID, [HANA]],
      ['Users', null, [UMA]],
    ]);
  });

  test('offer create --template --count 3: an array of three pending offers named "<name> 1..3", each with its own GDAP link', async () => {
    offers = json<OfferJson[]>(await cli(T0, ['offer', 'create', '--template', 'std', '--name', 'Std', '--count', '3', '--json']));
    expect(offers).toHaveLength(3);
    expect(offers.map((o) => o.granular!.displayName)).toEqual(['Std 1', 'Std 2', 'Std 3']);
    for (const o of offers) {
      expect(o.url).toMatch(GDAP_LINK);
      expect(GDAP_LINK.exec(o.url)![1]).toBe(o.granular!.relationshipId);
      expect(o.granular).toMatchObject({ duration: 'P365D', autoExtendDuration: 'PT0S', status: 'approvalPending', activatedAt: null, endsAt: null });
      expect(o.granular!.roles.map((r) => r.name).sort()).toEqual(['Global Reader', 'Helpdesk Administrator', 'User Administrator']);
    }
    expect(new Set(offers.map((o) => o.granular!.relationshipId)).size).toBe(3);
  });

  test('a client accepting the Microsoft admin link is recorded against the plain offer, not the newer granular ones', async () => {
    const legacy = json<ClientJson>(await cli(plus(T0, 5 * DAY), ['client', 'accept', adminLink, '--domain', 'legacy.com', '--json']));
    expect(legacy.offerId).toBe(plainOfferId);
    expect(legacy.granular).toBeUndefined();
  });

  test('accepting by its link activates the relationship: activatedAt = now, endsAt = now + P365D; the link is then used up (exit 5)', async () => {
    const c = json<ClientJson>(await cli(ACCEPTED, ['client', 'accept', offers[0]!.url, '--domain', 'contoso.com', '--name', 'Contoso Ltd', '--json']));
    expect(c).toMatchObject({ domain: 'contoso.com', name: 'Contoso Ltd', status: 'active', offerId: offers[0]!.id });
    expect(c.granular).toMatchObject({ relationshipId: offers[0]!.granular!.relationshipId, displayName: 'Std 1', status: 'active', activatedAt: ACCEPTED, endsAt: E0, autoExtendDuration: 'PT0S' });

    const before = await storeHash(sb.db);
    const again = await cli(plus(ACCEPTED, 1000), ['client', 'accept', offers[0]!.url, '--domain', 'other.com']);
    expect(again.code).toBe(5);
    expectOneLine(again.stderr, /already accepted by contoso\.com/);
    expect(await storeHash(sb.db)).toBe(before);
    const listed = json<OfferJson[]>(await cli(ACCEPTED, ['offer', 'list', '--json'])).find((o) => o.id === offers[0]!.id)!;
    expect(listed).toMatchObject({ acceptedCount: 1, granular: { status: 'active', endsAt: E0 } });
  });

  test('onboarding gave the template assignments on acceptance (no drift); one taken away is drift with its fix; the Graph plan writes nothing; assigning clears it', async () => {
    const at = plus(ACCEPTED, 60_000);
    expect(json(await cli(at, ['client', 'drift', '--json']))).toEqual([]);
    await ok(at, ['client', 'unassign', 'contoso.com', '--group', 'Helpdesk', '--yes']);
    await ok(at, ['client', 'unassign', 'contoso.com', '--group', 'Users', '--yes']);
    const d = json<{ domain: string; template: string; difference: string; fix: string }[]>(await cli(at, ['client', 'drift', '--json']));
    expect(d).toEqual([
      { domain: 'contoso.com', relationship: 'Std 1', template: 'std', difference: 'group Helpdesk is not assigned', fix: 'delegate client assign contoso.com --group "Helpdesk" --roles "Helpdesk Administrator"' },
      { domain: 'contoso.com', relationship: 'Std 1', template: 'std', difference: 'group Users is not assigned', fix: 'delegate client assign contoso.com --group "Users" --roles "User Administrator"' },
    ]);

    const before = await storeHash(sb.db);
    const plan = json(await cli(at, ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator', '--plan', 'graph']));
    expect(await storeHash(sb.db)).toBe(before);
    expect(plan).toEqual([
      {
        id: 'assignment',
        method: 'POST',
        url: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${offers[0]!.granular!.relationshipId}/accessAssignments`,
        headers: { 'Content-Type': 'application/json' },
        body: { accessContainer: { accessContainerId: GROUP_OID, accessContainerType: 'securityGroup' }, accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }] } },
      },
    ]);

    const assigned = json(await cli(at, ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator', '--json']));
    expect(assigned).toEqual({ relationshipId: offers[0]!.granular!.relationshipId, group: 'Helpdesk', roles: [{ id: HA, name: 'Helpdesk Administrator' }] });
    await ok(at, ['client', 'assign', 'contoso.com', '--group', 'Users', '--roles', 'user administrator']);
    expect(json(await cli(at, ['client', 'drift', '--json']))).toEqual([]);
  });

  test('acting as a group member uses only the roles its groups hold on that relationship', async () => {
    const at = plus(ACCEPTED, DAY);
    // User Administrator (uma, through Users) adds users; Helpdesk Administrator (hana) may not.
    const added = json<{ upn: string; temporaryPassword: string }>(await cli(at, ['client', 'user', 'add', 'contoso.com', 'alice@contoso.com', '--json'], UMA));
    expect(added.upn).toBe('alice@contoso.com');
    // User Administrator alone may not create a Global Administrator account (it would know its password).
    const noAdmin = await cli(at, ['client', 'user', 'add', 'contoso.com', 'boss@contoso.com', '--admin'], UMA);
    expect(noAdmin.code).toBe(4);
    expectOneLine(noAdmin.stderr, /may not add an admin user .*Global Administrator, or Privileged Role Administrator together with User Administrator; it holds GDAP roles User Administrator\n$/);
    const refused = await cli(at, ['client', 'user', 'add', 'contoso.com', 'eve@contoso.com'], HANA);
    expect(refused.code).toBe(4);
    expectOneLine(refused.stderr, /Global Administrator, or User Administrator; it holds GDAP roles Helpdesk Administrator\n$/);

    // Helpdesk Administrator resets a non-admin password, not an admin's.
    const reset = json(await cli(at, ['client', 'user', 'reset-password', 'contoso.com', 'alice@contoso.com', '--json'], HANA));
    expect(reset).toEqual({ upn: 'alice@contoso.com', temporaryPassword: expect.any(String), forceChangePasswordNextSignIn: true });
    const admin = await cli(at, ['client', 'user', 'reset-password', 'contoso.com', 'bob@contoso.com'], HANA);
    expect(admin.code).toBe(3); // no such user: existence is checked once the non-admin rule allows
    expect((await cli(at, ['client', 'domain', 'add', 'contoso.com', 'contoso.net'], HANA)).code).toBe(4);

    // The partner's global admin with full admin access holds no role here (adminAccess does not apply) ...
    const ada = await cli(at, ['client', 'user', 'list', 'contoso.com'], ADMIN);
    expect(ada.code).toBe(4);
    expectOneLine(ada.stderr, /may not read the client's users and domains .*it holds no GDAP roles\n$/);
    // ... but administers the legacy client as before.
    await ok(at, ['client', 'user', 'add', 'legacy.com', 'bob@legacy.com'], ADMIN);

    const denied = json<AuditJson[]>(await cli(at, ['audit', '--client', 'contoso.com', '--json'])).filter((e) => e.outcome === 'denied');
    expect(denied.map((e) => [e.actor, e.action])).toEqual([
      [UMA, 'client.user.add'],
      [HANA, 'client.user.add'],
      [HANA, 'client.domain.add'],
      [ADMIN, 'client.user.list'],
    ]);
  });

  test('a second client accepts by offer id; terminate needs --yes without a terminal, then ends access', async () => {
    await ok(plus(T0, 20 * DAY), ['client', 'accept', offers[1]!.id, '--domain', 'northwind.com']);
    await ok(plus(T0, 20 * DAY), ['client', 'assign', 'northwind.com', '--group', 'Users', '--roles', 'User Administrator']);
    const at = plus(T0, 30 * DAY);
    const before = await storeHash(sb.db);
    const noYes = await cli(at, ['client', 'terminate', 'northwind.com']);
    expect(noYes.code).toBe(2);
    expectOneLine(noYes.stderr, /--yes/);
    expect(await storeHash(sb.db)).toBe(before);

    const t = json<ClientJson>(await cli(at, ['client', 'terminate', 'northwind.com', '--yes', '--json']));
    expect(t).toMatchObject({ status: 'terminated', removedAt: at, granular: { status: 'terminated' } });
    expect(json<ClientJson[]>(await cli(at, ['client', 'list', '--status', 'terminated', '--json'])).map((c) => c.domain)).toEqual(['northwind.com']);
    const acting = await cli(plus(at, 1000), ['client', 'user', 'list', 'northwind.com'], UMA);
    expect(acting.code).toBe(4);
    expectOneLine(acting.stderr, /terminated/);
  });

  test('legacy and granular clients side by side in one client list', async () => {
    const at = plus(T0, 31 * DAY);
    const all = json<ClientJson[]>(await cli(at, ['client', 'list', '--json']));
    const byDomain = Object.fromEntries(all.map((c) => [c.domain, c]));
    expect(Object.keys(byDomain).sort()).toEqual(['contoso.com', 'legacy.com', 'northwind.com']);
    expect(byDomain['legacy.com']).toMatchObject({ status: 'active', offerId: plainOfferId });
    expect(byDomain['legacy.com']!.granular).toBeUndefined();
    expect(byDomain['contoso.com']).toMatchObject({ status: 'active', granular: { displayName: 'Std 1', endsAt: E0 } });
    expect(byDomain['northwind.com']).toMatchObject({ status: 'terminated', granular: { displayName: 'Std 2', status: 'terminated' } });

    const plain = (await ok(at, ['client', 'list'])).stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(plain.map((cols) => [cols[0], cols[3]]).sort()).toEqual([
      ['contoso.com', 'active'],
      ['legacy.com', 'active'],
      ['northwind.com', 'terminated'],
    ]);
    expect(json<ClientJson[]>(await cli(at, ['client', 'list', '--status', 'active', '--json'])).map((c) => c.domain).sort()).toEqual(['contoso.com', 'legacy.com']);
  });

  test('an offer nobody accepted is pending until exactly 90 days, then expired and refused (exit 5)', async () => {
    const third = () => cli(plus(T0, 90 * DAY - 1), ['offer', 'list', '--json']).then((r) => json<OfferJson[]>(r).find((o) => o.id === offers[2]!.id)!);
    expect((await third()).granular!.status).toBe('approvalPending');
    const at = plus(T0, 90 * DAY);
    const listed = json<OfferJson[]>(await cli(at, ['offer', 'list', '--json'])).find((o) => o.id === offers[2]!.id)!;
    expect(listed.granular!.status).toBe('expired');
    // Piped, the default list (whose lines the store makes itself) says the same, to the millisecond.
    const line = async (when: string) => (await ok(when, ['offer', 'list'])).stdout.split('\n').find((l) => l.startsWith(offers[2]!.id))!.split('\t');
    const [id, status, kind, accepted, createdAt, createdBy, url] = await line(plus(T0, 90 * DAY - 1));
    expect([id, status, kind, accepted, createdAt, createdBy, url]).toEqual([listed.id, 'active', 'granular: Std 3 (approvalPending)', '0', listed.createdAt, listed.createdBy, listed.url]);
    expect((await line(at))[2]).toBe('granular: Std 3 (expired)');
    const before = await storeHash(sb.db);
    const r = await cli(at, ['client', 'accept', offers[2]!.url, '--domain', 'late.com']);
    expect(r.code).toBe(5);
    expectOneLine(r.stderr, /expired/);
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('--expiring n lists it once its end is within n days (plain columns), marked as not auto-extending', async () => {
    const at = plus(E0, -30 * DAY);
    const r = await ok(at, ['client', 'list', '--expiring', '30']);
    expect(r.stdout).toBe(['contoso.com', 'Contoso Ltd', 'active', 'Std 1', E0, 'no'].join('\t') + '\n');
    expect((await ok(at, ['client', 'list', '--expiring', '29'])).stdout).toBe('');
  });

  test('client extend turns auto-extend on; from then on it never lapses, 180 days at a time', async () => {
    const c = json<ClientJson>(await cli(plus(E0, -30 * DAY), ['client', 'extend', 'contoso.com', '--json']));
    expect(c.granular).toMatchObject({ autoExtendDuration: 'P180D', endsAt: E0 });
    expect((await show(plus(E0, -1), 'contoso.com')).granular).toMatchObject({ status: 'active', endsAt: E0 });
    expect((await show(E0, 'contoso.com')).granular).toMatchObject({ status: 'active', endsAt: plus(E0, EXT) });
    // Several periods on, its current end is the third extension.
    const later = plus(E0, 400 * DAY);
    expect((await show(later, 'contoso.com')).granular).toMatchObject({ status: 'active', endsAt: plus(E0, 3 * EXT) });
    const warn = await ok(plus(E0, 3 * EXT - 10 * DAY), ['client', 'list', '--expiring', '10']);
    expect(warn.stdout).toBe(['contoso.com', 'Contoso Ltd', 'active', 'Std 1', plus(E0, 3 * EXT), 'auto-extends'].join('\t') + '\n');
  });

  test('extend --off keeps the end already reached; it expires exactly then, and access ends (exit 4, audited)', async () => {
    const E3 = plus(E0, 3 * EXT);
    const off = json<ClientJson>(await cli(plus(E3, -5 * DAY), ['client', 'extend', 'contoso.com', '--off', '--json']));
    expect(off.granular).toMatchObject({ autoExtendDuration: 'PT0S', endsAt: E3 });
    expect((await show(plus(E3, -1), 'contoso.com')).status).toBe('active');
    expect(await show(E3, 'contoso.com')).toMatchObject({ status: 'expired', granular: { status: 'expired', endsAt: E3 } });
    expect(json<ClientJson[]>(await cli(E3, ['client', 'list', '--status', 'expired', '--json'])).map((c) => c.domain)).toEqual(['contoso.com']);
    expect((await ok(E3, ['client', 'list', '--expiring', '3650'])).stdout).toBe('');

    const auditBefore = json<AuditJson[]>(await cli(E3, ['audit', '--json'])).length;
    const r = await cli(E3, ['client', 'user', 'add', 'contoso.com', 'late@contoso.com'], UMA);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /expired/);
    const after = json<AuditJson[]>(await cli(E3, ['audit', '--json']));
    expect(after).toHaveLength(auditBefore + 1);
    expect(after[after.length - 1]).toMatchObject({ actor: UMA, action: 'client.user.add', outcome: 'denied' });
    expect((await cli(E3, ['audit', 'verify'])).code).toBe(0);
  });
});

// ---------------------------------------------------------------------------

describe('offer create --granular --plan graph', () => {
  test('prints create + lockForApproval on ${relationship-n.id} for each offer (assignments wait for approval) and writes nothing', async () => {
    const sb = await sandbox();
    try {
      await initPartner(sb);
      const env = sb.env; // initPartner ran at the real time: the ledger's time cannot go back to T0
      await runBin(['group', 'create', 'Helpdesk', '--object-id', GROUP_OID], env);
      await runBin(['template', 'create', 'std', '--roles', 'Helpdesk Administrator', '--auto-extend', 'P180D', '--assign', 'Helpdesk=Helpdesk Administrator'], env);
      const before = await storeHash(sb.db);
      const r = await runBin(['offer', 'create', '--template', 'std', '--name', 'Planned', '--count', '2', '--plan', 'graph'], env);
      expect(r.code).toBe(0);
      expect(await storeHash(sb.db)).toBe(before);
      const plan = checkPlan(r.stdout, 'global');
      const base = 'https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships';
      expect(plan.map((q) => [q.id, q.method, q.url])).toEqual([
        ['relationship-1', 'POST', base],
        ['lock-1', 'POST', base + '/${relationship-1.id}/requests'],
        ['relationship-2', 'POST', base],
        ['lock-2', 'POST', base + '/${relationship-2.id}/requests'],
      ]);
      expect(plan[0]!.body).toEqual({ displayName: 'Planned 1', duration: 'P730D', accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }] }, autoExtendDuration: 'P180D' });
      expect(plan[1]!.body).toEqual({ action: 'lockForApproval' });
      expect((plan[2]!.body as { displayName: string }).displayName).toBe('Planned 2');
      // Plain `--plan` is the same as `--plan graph`.
      const bare = await runBin(['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'Bare', '--plan'], env);
      expect(bare.code).toBe(0);
      expect(checkPlan(bare.stdout, 'global').map((q) => q.id)).toEqual(['relationship', 'lock']);
      expect(await storeHash(sb.db)).toBe(before);
      expect(json<OfferJson[]>(await runBin(['offer', 'list', '--json'], env))).toEqual([]);
    } finally {
      await sb.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------
// Bad input: each case runs on its own copy of one prepared store.

const GRACE = 'grace@fabrikam.com'; // full admin access, not a global admin
const BOB = 'bob@fabrikam.com'; // limited admin access
const CAROL = 'carol@fabrikam.com'; // no admin access
const NOW = plus(T0, 100 * DAY);
const prepared = { sb: undefined as Sandbox | undefined, rel: {} as Record<string, { id: string; url: string }>, auditCount: 0 };

async function setup(args: string[], at: string, stdin?: string): Promise<string> {
  const r = await runInProcess(['--db', prepared.sb!.db, ...args], { stdin, env: { DELEGATE_NOW: at } });
  if (r.code !== 0) throw new Error(`setup ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function granular(name: string, roles: string, extra: string[] = []): Promise<void> {
  const o = JSON.parse(await setup(['offer', 'create', '--granular', '--roles', roles, '--name', name, ...extra, '--json'], T0)) as OfferJson;
  prepared.rel[name] = { id: o.id, url: o.url };
}

beforeAll(async () => {
  prepared.sb = await sandbox();
  await setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], T0);
  await setup(['user', 'add', '--file', '-'], T0, `email,name\n${GRACE},Grace\n${BOB},Bob\n${CAROL},Carol\n`);
  await setup(['user', 'grant-admin', '--file', '-'], T0, `email,role\n${GRACE},full\n${BOB},limited\n`);
  await setup(['group', 'create', 'Helpdesk'], T0);
  await setup(['template', 'create', 'std', '--roles', 'Helpdesk Administrator,Global Reader', '--assign', 'Helpdesk=Helpdesk Administrator'], T0);
  await granular('Contoso', 'Helpdesk Administrator,Global Reader', ['--duration', 'P365D']);
  await granular('GA rel', 'Global Administrator,User Administrator');
  await granular('Short', 'Global Reader', ['--duration', 'P1D']);
  await granular('Ended', 'Global Reader');
  await granular('Stale', 'Global Reader');
  await granular('Revoked', 'Global Reader');
  await setup(['offer', 'revoke', prepared.rel.Revoked!.id, '--yes'], T0);
  await setup(['client', 'accept', prepared.rel.Contoso!.url, '--domain', 'contoso.com'], plus(T0, DAY));
  await setup(['client', 'accept', prepared.rel['GA rel']!.url, '--domain', 'ga.example.com'], plus(T0, DAY));
  await setup(['client', 'accept', prepared.rel.Short!.url, '--domain', 'short.example.com'], plus(T0, DAY));
  await setup(['client', 'accept', prepared.rel.Ended!.url, '--domain', 'ended.example.com'], plus(T0, DAY));
  await setup(['client', 'terminate', 'ended.example.com', '--yes'], plus(T0, 2 * DAY));
  await setup(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator'], plus(T0, 2 * DAY));
  const plain = JSON.parse(await setup(['offer', 'create', '--json'], plus(T0, 2 * DAY))) as OfferJson;
  await setup(['client', 'accept', plain.id, '--domain', 'legacy.com'], plus(T0, 2 * DAY));
  prepared.auditCount = (JSON.parse(await setup(['audit', '--json'], NOW)) as unknown[]).length;
});
afterAll(() => prepared.sb?.cleanup());

async function copyOfPrepared(): Promise<Sandbox> {
  const sb = await sandbox();
  await copyStore(prepared.sb!, sb);
  return sb;
}

interface Case {
  name: string;
  args: string[] | (() => string[]);
  code: 2 | 3 | 5;
  message: RegExp;
  now?: string;
  stdin?: string;
}

const long = (n: number) => 'x'.repeat(n);

const BAD: Case[] = [
  // offer create --granular
  { name: 'offer: --granular without --roles', args: ['offer', 'create', '--granular'], code: 2, message: /--roles/ },
  { name: 'offer: unknown role', args: ['offer', 'create', '--granular', '--roles', 'Global Reader,Chief Wizard'], code: 2, message: /Unknown role "Chief Wizard"/ },
  { name: 'offer: --duration P0D', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--duration', 'P0D'], code: 2, message: /P1D to P2Y/ },
  { name: 'offer: --duration P731D', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--duration', 'P731D'], code: 2, message: /P1D to P2Y/ },
  { name: 'offer: --duration P2Y1D', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--duration', 'P2Y1D'], code: 2, message: /P1D to P2Y/ },
  { name: 'offer: --duration not ISO', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--duration', '2 years'], code: 2, message: /--duration/ },
  { name: 'offer: --auto-extend P90D', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--auto-extend', 'P90D'], code: 2, message: /PT0S.*P180D/ },
  { name: 'offer: P180D with Global Administrator', args: ['offer', 'create', '--granular', '--roles', 'Global Administrator', '--auto-extend', 'P180D'], code: 2, message: /Global Administrator/ },
  { name: 'offer: 51-character name', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', long(51)], code: 2, message: /50/ },
  { name: 'offer: 49-character name with --count 2 (51 with " 1")', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', long(49), '--count', '2'], code: 2, message: /50/ },
  { name: 'offer: name already used (other case)', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'CONTOSO'], code: 5, message: /already exists/ },
  { name: 'offer: unknown template', args: ['offer', 'create', '--template', 'nosuch'], code: 3, message: /No template nosuch/ },
  { name: 'offer: --count 0', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--count', '0'], code: 2, message: /--count/ },
  { name: 'offer: --roles without --granular', args: ['offer', 'create', '--roles', 'Global Reader'], code: 2, message: /--granular/ },
  { name: 'offer: granular with a trial', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--trial', 'Microsoft 365 Business Premium'], code: 2, message: /trial/ },
  { name: 'offer: granular with a purchase link', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--purchase-url', 'https://portal.office.com/partner/partnersignup.aspx?type=Purchase&id=0b5c2d1e-9f8a-4b7c-8d6e-5f4a3b2c1d0e&msppid=1234567'], code: 2, message: /granular offer cannot include a trial or purchase/ },
  { name: 'offer: --plan yaml', args: ['offer', 'create', '--granular', '--roles', 'Global Reader', '--plan', 'yaml'], code: 2, message: /--plan takes "graph"/ },
  // client accept of granular offers
  { name: 'accept: a used-up granular link', args: () => ['client', 'accept', prepared.rel.Contoso!.url, '--domain', 'other.com'], code: 5, message: /already accepted by contoso\.com/ },
  { name: 'accept: an expired pending offer', args: () => ['client', 'accept', prepared.rel.Stale!.url, '--domain', 'late.com'], code: 5, message: /expired/ },
  { name: 'accept: a revoked granular offer', args: () => ['client', 'accept', prepared.rel.Revoked!.url, '--domain', 'late.com'], code: 5, message: /revoked/, now: plus(T0, 2 * DAY) },
  { name: 'accept: a terminated relationship', args: () => ['client', 'accept', prepared.rel.Ended!.id, '--domain', 'late.com'], code: 5, message: /already accepted/ },
  {
    name: 'accept: a granular link of another partner (unknown relationship id)',
    args: ['client', 'accept', gdapLink('11111111-2222-4333-8444-555555555555-66666666-7777-4888-9999-000000000000'), '--domain', 'x.com'],
    code: 3,
    message: /No granular relationship/,
  },
  { name: 'accept: a granular link with a malformed id', args: ['client', 'accept', gdapLink('not-a-relationship'), '--domain', 'x.com'], code: 2, message: /not a relationship id/ },
  {
    name: 'accept: one granular offer for two clients (--file)',
    args: () => ['client', 'accept', prepared.rel.Stale!.id, '--file', '-'],
    stdin: 'domain\nfirst.com\nsecond.com\n',
    code: 5,
    message: /is for one client/,
    now: plus(T0, 3 * DAY),
  },
  // client extend
  { name: 'extend: a legacy client', args: ['client', 'extend', 'legacy.com'], code: 5, message: /not a granular one/ },
  { name: 'extend: Global Administrator among the roles', args: ['client', 'extend', 'ga.example.com'], code: 5, message: /Global Administrator/ },
  { name: 'extend: an expired relationship', args: ['client', 'extend', 'short.example.com'], code: 5, message: /expired, not active/ },
  { name: 'extend --off: a terminated relationship', args: ['client', 'extend', 'ended.example.com', '--off'], code: 5, message: /terminated, not active/ },
  { name: 'extend: unknown client', args: ['client', 'extend', 'nosuch.com'], code: 3, message: /No client nosuch\.com/ },
  { name: 'extend: not a domain', args: ['client', 'extend', 'not a domain'], code: 2, message: /domain/ },
  // client terminate / remove
  { name: 'terminate: without --yes', args: ['client', 'terminate', 'contoso.com'], code: 2, message: /--yes/ },
  { name: 'terminate: unknown client', args: ['client', 'terminate', 'nosuch.com', '--yes'], code: 3, message: /No client nosuch\.com/ },
  { name: 'terminate: already terminated', args: ['client', 'terminate', 'ended.example.com', '--yes'], code: 5, message: /already terminated/ },
  { name: 'terminate: already expired', args: ['client', 'terminate', 'short.example.com', '--yes'], code: 5, message: /already expired/ },
  { name: 'remove: a terminated granular client', args: ['client', 'remove', 'ended.example.com', '--yes'], code: 5, message: /already terminated/ },
  // client assign
  { name: 'assign: no --group', args: ['client', 'assign', 'contoso.com', '--roles', 'Global Reader'], code: 2, message: /--group/ },
  { name: 'assign: no --roles', args: ['client', 'assign', 'contoso.com', '--group', 'Helpdesk'], code: 2, message: /--roles/ },
  { name: 'assign: a role outside the relationship', args: ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'User Administrator'], code: 2, message: /User Administrator is not among the roles/ },
  { name: 'assign: unknown role', args: ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Chief Wizard'], code: 2, message: /Unknown role/ },
  { name: 'assign: a legacy client', args: ['client', 'assign', 'legacy.com', '--group', 'Helpdesk', '--roles', 'Global Reader'], code: 5, message: /not a granular one/ },
  { name: 'assign: an expired relationship', args: ['client', 'assign', 'short.example.com', '--group', 'Helpdesk', '--roles', 'Global Reader'], code: 5, message: /expired, not active/ },
  { name: 'assign: unknown group', args: ['client', 'assign', 'contoso.com', '--group', 'Nosuch', '--roles', 'Global Reader'], code: 3, message: /No security group Nosuch/ },
  { name: 'assign: unknown client', args: ['client', 'assign', 'nosuch.com', '--group', 'Helpdesk', '--roles', 'Global Reader'], code: 3, message: /No client nosuch\.com/ },
  { name: 'assign: --plan yaml', args: ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Global Reader', '--plan', 'yaml'], code: 2, message: /--plan takes "graph"/ },
  // client list
  { name: 'list: --expiring 0', args: ['client', 'list', '--expiring', '0'], code: 2, message: /--expiring/ },
  { name: 'list: --expiring soon', args: ['client', 'list', '--expiring', 'soon'], code: 2, message: /--expiring/ },
  { name: 'list: --status pending', args: ['client', 'list', '--status', 'pending'], code: 2, message: /--status/ },
  // template create
  { name: 'template: no --roles', args: ['template', 'create', 't'], code: 2, message: /--roles/ },
  { name: 'template: unknown role', args: ['template', 'create', 't', '--roles', 'Chief Wizard'], code: 2, message: /Unknown role/ },
  { name: 'template: --duration P731D', args: ['template', 'create', 't', '--roles', 'Global Reader', '--duration', 'P731D'], code: 2, message: /P1D to P2Y/ },
  { name: 'template: --auto-extend P1D', args: ['template', 'create', 't', '--roles', 'Global Reader', '--auto-extend', 'P1D'], code: 2, message: /PT0S.*P180D/ },
  { name: 'template: P180D with Global Administrator', args: ['template', 'create', 't', '--roles', 'Global Administrator', '--auto-extend', 'P180D'], code: 2, message: /Global Administrator/ },
  { name: 'template: --assign without "="', args: ['template', 'create', 't', '--roles', 'Global Reader', '--assign', 'Helpdesk'], code: 2, message: /--assign/ },
  { name: 'template: --assign a role outside its roles', args: ['template', 'create', 't', '--roles', 'Global Reader', '--assign', 'Helpdesk=User Administrator'], code: 2, message: /not among the template's roles/ },
  { name: 'template: --assign an unknown group', args: ['template', 'create', 't', '--roles', 'Global Reader', '--assign', 'Nosuch=Global Reader'], code: 3, message: /No security group Nosuch/ },
  { name: 'template: duplicate name', args: ['template', 'create', 'STD', '--roles', 'Global Reader'], code: 5, message: /already exists/ },
  // groups
  { name: 'group create: duplicate (other case)', args: ['group', 'create', 'helpdesk'], code: 5, message: /already exists/ },
  { name: 'group create: bad --object-id', args: ['group', 'create', 'Other', '--object-id', 'not-a-guid'], code: 2, message: /--object-id/ },
  { name: 'group add-member: unknown group', args: ['group', 'add-member', 'Nosuch', ADMIN], code: 3, message: /No security group Nosuch/ },
  { name: 'group add-member: not a partner user', args: ['group', 'add-member', 'Helpdesk', 'nobody@fabrikam.com'], code: 3, message: /nobody@fabrikam\.com is not a user/ },
  { name: 'group add-member: not an email', args: ['group', 'add-member', 'Helpdesk', 'not-an-email'], code: 2, message: /not-an-email/ },
  { name: 'group add-member: no emails', args: ['group', 'add-member', 'Helpdesk'], code: 2, message: /email/ },
  // the clock
  { name: 'DELEGATE_NOW is not a time', args: ['client', 'list', '--expiring', '30'], code: 2, message: /DELEGATE_NOW/, now: 'next tuesday' },
];

describe('bad input for each GDAP command: exit code, one line on stderr, store unchanged', () => {
  test.each(BAD.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const sb = await copyOfPrepared();
    try {
      const args = typeof c.args === 'function' ? c.args() : c.args;
      const before = await storeHash(sb.db);
      const r = await runBin(args, { ...sb.env, DELEGATE_NOW: c.now ?? NOW }, c.stdin);
      expect({ code: r.code, stdout: r.stdout, stderr: r.code === c.code ? '' : r.stderr }).toEqual({ code: c.code, stdout: '', stderr: '' });
      expectOneLine(r.stderr, c.message);
      expect(await storeHash(sb.db)).toBe(before);
    } finally {
      await sb.cleanup();
    }
  });
});

interface Denied {
  name: string;
  as: string;
  args: string[];
  action: string;
  message: RegExp;
}

const DENIED: Denied[] = [
  { name: 'offer create --granular without admin access', as: CAROL, args: ['offer', 'create', '--granular', '--roles', 'Global Reader'], action: 'offer.create', message: /admin access/ },
  { name: 'template create without admin access', as: CAROL, args: ['template', 'create', 't', '--roles', 'Global Reader'], action: 'template.create', message: /admin access/ },
  { name: 'client extend with limited access', as: BOB, args: ['client', 'extend', 'contoso.com'], action: 'client.extend', message: /full admin access or the partner's global admin role/ },
  { name: 'client terminate with limited access', as: BOB, args: ['client', 'terminate', 'contoso.com', '--yes'], action: 'client.terminate', message: /full admin access or the partner's global admin role/ },
  { name: 'client assign by a non-global-admin', as: GRACE, args: ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Global Reader'], action: 'client.assign', message: /only the partner's global admins/ },
  { name: 'group create by a non-global-admin', as: GRACE, args: ['group', 'create', 'Other'], action: 'group.create', message: /only the partner's global admins/ },
  { name: 'group add-member by a non-global-admin', as: GRACE, args: ['group', 'add-member', 'Helpdesk', CAROL], action: 'group.add-member', message: /only the partner's global admins/ },
  { name: 'acting on a granular client without a group role (full access does not apply)', as: GRACE, args: ['client', 'user', 'list', 'contoso.com'], action: 'client.user.list', message: /it holds no GDAP roles/ },
  { name: 'acting on an expired relationship', as: ADMIN, args: ['client', 'user', 'list', 'short.example.com'], action: 'client.user.list', message: /expired/ },
  { name: 'acting on a terminated relationship', as: ADMIN, args: ['client', 'domain', 'list', 'ended.example.com'], action: 'client.domain.list', message: /terminated/ },
];

describe('refused for permission: exit 4, one line, and exactly one "denied" audit entry appended', () => {
  test.each(DENIED.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const sb = await copyOfPrepared();
    try {
      const env = { ...sb.env, DELEGATE_NOW: NOW };
      const r = await runBin([...c.args, '--as', c.as], env);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 4, stdout: '' });
      expectOneLine(r.stderr, c.message);
      const trail = json<AuditJson[]>(await runBin(['audit', '--json'], env));
      expect(trail).toHaveLength(prepared.auditCount + 1);
      expect(trail[trail.length - 1]).toMatchObject({ actor: c.as, action: c.action, outcome: 'denied' });
    } finally {
      await sb.cleanup();
    }
  });

  test('group list and role list are open to every partner user (SPEC: reading is open)', async () => {
    const sb = await copyOfPrepared();
    try {
      const env = { ...sb.env, DELEGATE_NOW: NOW };
      const groups = json<{ name: string }[]>(await runBin(['group', 'list', '--json', '--as', CAROL], env));
      expect(groups.map((g) => g.name)).toEqual(['Helpdesk']);
      const roles = json<{ id: string; name: string }[]>(await runBin(['role', 'list', '--json', '--as', CAROL], env));
      expect(roles).toEqual(expect.arrayContaining([{ id: HA, name: 'Helpdesk Administrator' }, { id: UA, name: 'User Administrator' }, { id: GR, name: 'Global Reader' }]));
      // The whole catalogue of Microsoft Entra built-in roles, not a selection.
      expect(roles).toHaveLength(ROLES.length);
      expect(roles.length).toBeGreaterThanOrEqual(100);
      expect(roles).toEqual(expect.arrayContaining([{ id: '8329153b-31d0-4727-b945-745eb3bc5f31', name: 'Domain Name Administrator' }]));
      const plain = await runBin(['role', 'list', '--as', CAROL], env);
      expect(plain.stdout.trimEnd().split('\n')).toHaveLength(ROLES.length);
    } finally {
      await sb.cleanup();
    }
  });
});
