/**
 * `delegate doctor` (SPEC.md "Fleet work and the shell"): per client, what
 * stands between the partner and working access, each finding with the
 * command that fixes it; exit 0 when every finding is info, 1 otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN, TENANT, copySandbox, expectOneLine, runBin, runInProcess, sandbox, setupIn, storeHash, withStore, type Sandbox } from '../helpers/cli.js';

const T0 = '2026-03-01T09:00:00.000Z';
/** 15 days later: the 20-day relationship has 5 days left. */
const T1 = '2026-03-16T09:00:00.000Z';
const LEE = 'lee@fabrikam.com';
const GA_ROLE = '62e90394-69f5-4237-9190-012177145e10';

const sandboxes: Sandbox[] = [];
let fleet: Sandbox;

const setup = setupIn;

async function acceptGranular(sb: Sandbox, domain: string, args: string[]): Promise<string> {
  const offer = JSON.parse(await setup(sb, ['offer', 'create', '--granular', ...args, '--json']));
  await setup(sb, ['client', 'accept', offer.id, '--domain', domain]);
  return offer.granular.relationshipId as string;
}

/**
 * contoso.com: DAP, an unverified domain. wingtip.com: granular with Global Administrator, 20
 * days, the Helpdesk group (Lee) assigned; ada has full access and is in no group. northwind.com:
 * from a template that assigns Helpdesk, that assignment taken away. tailspin.com: DAP, removed.
 * adatum.com: granular, an empty group assigned, and (written straight to the store, as sync
 * could record it) a role the relationship lacks.
 */
async function buildFleet(): Promise<Sandbox> {
  const sb = await sandbox();
  sb.env.DELEGATE_NOW = T0;
  sandboxes.push(sb);
  await setup(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setup(sb, ['user', 'add', LEE, '--name', 'Lee']);
  await setup(sb, ['user', 'grant-admin', LEE, '--role', 'limited']);
  await setup(sb, ['group', 'create', 'Helpdesk']);
  await setup(sb, ['group', 'add-member', 'Helpdesk', LEE]);
  await setup(sb, ['group', 'create', 'Nobody']);
  const plain = JSON.parse(await setup(sb, ['offer', 'create', '--json'])).id as string;
  await setup(sb, ['client', 'accept', plain, '--domain', 'contoso.com']);
  await setup(sb, ['client', 'domain', 'add', 'contoso.com', 'contoso.net']);
  await setup(sb, ['client', 'accept', plain, '--domain', 'tailspin.com']);
  await setup(sb, ['client', 'remove', 'tailspin.com', '--yes']);
  await acceptGranular(sb, 'wingtip.com', ['--name', 'Wingtip', '--roles', 'Global Administrator,Helpdesk Administrator', '--duration', 'P20D']);
  await setup(sb, ['client', 'assign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
  await setup(sb, ['template', 'create', 'std', '--roles', 'Helpdesk Administrator,User Administrator', '--auto-extend', 'P180D', '--assign', 'Helpdesk=Helpdesk Administrator']);
  await acceptGranular(sb, 'northwind.com', ['--name', 'Northwind', '--template', 'std']);
  // Onboarding gave the template's assignment on acceptance; taken away, nothing is assigned.
  await setup(sb, ['client', 'unassign', 'northwind.com', '--group', 'Helpdesk', '--yes']);
  const adatum = await acceptGranular(sb, 'adatum.com', ['--name', 'Adatum', '--roles', 'User Administrator', '--auto-extend', 'P180D']);
  await setup(sb, ['client', 'assign', 'adatum.com', '--group', 'Nobody', '--roles', 'User Administrator']);
  await withStore(sb.db, (store) => store.write((tx) => tx.upsertAssignment({ relationshipId: adatum, group: 'Helpdesk', roles: [GA_ROLE], createdAt: T0 })));
  return sb;
}

beforeAll(async () => {
  fleet = await buildFleet();
});
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

type F = { client: string | null; check: string; severity: string; message: string; fix: string | null };

async function doctorJson(sb: Sandbox, args: string[] = [], now = T1): Promise<{ code: number; findings: F[]; stderr: string }> {
  const r = await runBin(['doctor', ...args, '--json'], { ...sb.env, DELEGATE_NOW: now });
  return { code: r.code, findings: JSON.parse(r.stdout), stderr: r.stderr };
}

describe('doctor', () => {
  test('lists every finding with its fix, JSON {client, check, severity, message, fix}; exit 1 when any needs attention', async () => {
    const before = await storeHash(fleet.db);
    const { code, findings, stderr } = await doctorJson(fleet);
    expect(code).toBe(1);
    expect(JSON.parse(stderr)).toEqual({ error: { code: 'findings', message: expect.stringMatching(/^\d+ errors? and \d+ warnings? need attention/) } });
    for (const f of findings) expect(Object.keys(f)).toEqual(['client', 'check', 'severity', 'message', 'fix']);
    const of = (client: string | null, check: string) => findings.filter((f) => f.client === client && f.check === check);

    // contoso.com: DAP only (info, with the way to GDAP), and its unverified domain.
    expect(of('contoso.com', 'relationship')).toEqual([expect.objectContaining({ severity: 'info', fix: 'delegate offer create --granular --roles <roles>' })]);
    expect(of('contoso.com', 'unverified-domain')).toEqual([
      { client: 'contoso.com', check: 'unverified-domain', severity: 'warning', message: 'domain contoso.net is not verified: no user can be added on it', fix: 'delegate client domain verify contoso.com contoso.net' },
    ]);

    // tailspin.com: offboarded (DAP removed): for information only, with the way back.
    expect(of('tailspin.com', 'relationship')).toEqual([
      { client: 'tailspin.com', check: 'relationship', severity: 'info', message: `ended: no active relationship (removed since ${T0}); a new offer brings tailspin.com back`, fix: 'delegate offer create --granular --roles <roles>' },
    ]);
    expect(findings.filter((f) => f.client === 'tailspin.com')).toHaveLength(1);

    // wingtip.com: 5 days left, not auto-extending because of Global Administrator; ada reaches it through no group.
    expect(of('wingtip.com', 'relationship')).toEqual([
      expect.objectContaining({ severity: 'warning', message: 'granular relationship "Wingtip" active, 5 days left (ends 2026-03-21T09:00:00.000Z), not auto-extending' }),
    ]);
    expect(of('wingtip.com', 'global-admin-auto-extend')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: 'granular relationship "Wingtip" includes Global Administrator, so it cannot auto-extend: it ends 2026-03-21T09:00:00.000Z (in 5 days)',
        fix: 'delegate client remove-role wingtip.com --role "Global Administrator" && delegate client extend wingtip.com',
      }),
    ]);
    expect(of('wingtip.com', 'users-without-group')).toEqual([
      expect.objectContaining({ severity: 'warning', message: expect.stringContaining('1 partner user with admin access is in no group assigned on wingtip.com'), fix: `delegate group add-member Helpdesk ${ADMIN}` }),
    ]);
    expect(of('wingtip.com', 'no-group')).toEqual([]);

    // northwind.com: nothing assigned; the fix is the template's assignment.
    expect(of('northwind.com', 'no-group')).toEqual([
      {
        client: 'northwind.com',
        check: 'no-group',
        severity: 'error',
        message: 'granular relationship "Northwind" has no security group assigned: nobody at Fabrikam IT can use it',
        fix: 'delegate client assign northwind.com --group Helpdesk --roles "Helpdesk Administrator"',
      },
    ]);
    expect(of('northwind.com', 'relationship')).toEqual([expect.objectContaining({ severity: 'info', message: expect.stringMatching(/auto-extends by 180 days$/), fix: null })]);

    // adatum.com: an empty group, and a role the relationship lacks.
    expect(of('adatum.com', 'empty-group')).toEqual([expect.objectContaining({ severity: 'warning', fix: 'delegate group add-member Nobody <email>' })]);
    expect(of('adatum.com', 'roles-lacking')).toEqual([
      expect.objectContaining({ severity: 'warning', fix: 'delegate client unassign adatum.com --group Helpdesk --roles "Global Administrator"' }),
    ]);

    // The partner: agent groups unknown while a DAP client is active; not signed in, the fix works offline.
    expect(of(null, 'agent-groups')).toEqual([
      expect.objectContaining({ severity: 'warning', fix: 'delegate partner set --admin-agents-group <object id> --helpdesk-agents-group <object id>' }),
    ]);
    expect(findings.map((f) => f.fix ?? '').join('\n')).not.toMatch(/\bsync\b|--live/);
    // Reading changes nothing, not even the audit trail.
    expect(await storeHash(fleet.db)).toBe(before);
  });

  test('named clients only (a tenant id serves too); unknown ones are exit 3, all named in one line', async () => {
    const { findings } = await doctorJson(fleet, ['northwind.com']);
    expect(new Set(findings.map((f) => f.client))).toEqual(new Set(['northwind.com', null]));
    const r = await runBin(['doctor', 'contoso.com', 'nope.com', 'gone.org'], { ...fleet.env, DELEGATE_NOW: T1 });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, /^Error: No client nope\.com, gone\.org \(see `delegate client list`\)\n$/);
    const bad = await runBin(['doctor', 'not a domain'], { ...fleet.env, DELEGATE_NOW: T1 });
    expect(bad.code).toBe(2);
    expectOneLine(bad.stderr);
  });

  test('exit 0 when every finding is info', async () => {
    const sb = await copySandbox(fleet, { DELEGATE_NOW: T1 });
    sandboxes.push(sb);
    await setup(sb, ['group', 'add-member', 'Helpdesk', ADMIN]);
    await setup(sb, ['partner', 'set', '--admin-agents-group', '11111111-1111-4111-8111-111111111111', '--helpdesk-agents-group', '22222222-2222-4222-8222-222222222222']);
    const r = await runBin(['doctor', 'northwind.com'], sb.env);
    expect(r.code).toBe(1); // nothing assigned yet
    await setup(sb, ['client', 'assign', 'northwind.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
    const fixed = await runBin(['doctor', 'northwind.com', '--output', 'plain'], sb.env);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toBe('northwind.com\tinfo\trelationship\tgranular relationship "Northwind" active, 715 days left (ends 2028-02-29T09:00:00.000Z), auto-extends by 180 days\t\n');
    expect(fixed.stderr).toBe('Nothing stands in the way: every finding is for information.\n');
  });

  test('table, csv and --fields go through the renderer', async () => {
    const csv = await runBin(['doctor', 'contoso.com', '--output', 'csv'], { ...fleet.env, DELEGATE_NOW: T1 });
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('client,severity,check,message,fix');
    expect(lines).toContain('contoso.com,warning,unverified-domain,domain contoso.net is not verified: no user can be added on it,delegate client domain verify contoso.com contoso.net');
    expect(lines).toContain(
      "(partner),warning,agent-groups,the object ids of Fabrikam IT's AdminAgents and HelpdeskAgents groups are unknown: DAP grant and revoke cannot be planned or done live,delegate partner set --admin-agents-group <object id> --helpdesk-agents-group <object id>",
    );
    const fields = await runBin(['doctor', 'contoso.com', '--fields', 'check,severity', '--json'], { ...fleet.env, DELEGATE_NOW: T1 });
    expect(JSON.parse(fields.stdout)).toContainEqual({ check: 'unverified-domain', severity: 'warning' });
    const table = await runInProcess(['doctor', 'contoso.com'], { env: { ...fleet.env, DELEGATE_NOW: T1 }, tty: true });
    expect(table.stdout.split('\n')[0]).toMatch(/^client +severity +check +message +fix$/);
  });

  test('signed in (or given a token), the agent groups are read from Microsoft: the fix is sync; one known group is not asked for again', async () => {
    const token = { DELEGATE_ACCESS_TOKEN: 'test-token' };
    const live = await runBin(['doctor', 'contoso.com', '--json'], { ...fleet.env, ...token, DELEGATE_NOW: T1 });
    expect(JSON.parse(live.stdout)).toContainEqual(expect.objectContaining({ check: 'agent-groups', fix: 'delegate sync --only users' }));
    const sb = await copySandbox(fleet, { DELEGATE_NOW: T1 });
    sandboxes.push(sb);
    await setup(sb, ['partner', 'set', '--admin-agents-group', '11111111-1111-4111-8111-111111111111']);
    const { findings } = await doctorJson(sb, ['contoso.com']);
    expect(findings).toContainEqual(expect.objectContaining({ check: 'agent-groups', fix: 'delegate partner set --helpdesk-agents-group <object id>' }));
  });

  test('a partner who offboarded clients passes: removed and terminated clients are info', async () => {
    const sb = await sandbox();
    sandboxes.push(sb);
    sb.env.DELEGATE_NOW = T0;
    await setup(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
    await setup(sb, ['partner', 'set', '--admin-agents-group', '11111111-1111-4111-8111-111111111111', '--helpdesk-agents-group', '22222222-2222-4222-8222-222222222222']);
    await setup(sb, ['group', 'create', 'Helpdesk']);
    await setup(sb, ['group', 'add-member', 'Helpdesk', ADMIN]);
    await acceptGranular(sb, 'contoso.com', ['--name', 'Contoso', '--roles', 'Helpdesk Administrator', '--auto-extend', 'P180D']);
    await setup(sb, ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
    await acceptGranular(sb, 'wingtip.com', ['--name', 'Wingtip', '--roles', 'Helpdesk Administrator']);
    await setup(sb, ['client', 'terminate', 'wingtip.com', '--yes']);
    const plain = JSON.parse(await setup(sb, ['offer', 'create', '--json'])).id as string;
    await setup(sb, ['client', 'accept', plain, '--domain', 'tailspin.com']);
    await setup(sb, ['client', 'remove', 'tailspin.com', '--yes']);
    const r = await runBin(['doctor', '--json'], sb.env);
    const findings = JSON.parse(r.stdout) as F[];
    expect(findings.filter((f) => f.client === 'wingtip.com')).toEqual([expect.objectContaining({ check: 'relationship', severity: 'info', message: expect.stringMatching(/^ended: no active relationship \(terminated since /) })]);
    expect(findings.filter((f) => f.client === 'tailspin.com')).toEqual([expect.objectContaining({ check: 'relationship', severity: 'info', message: expect.stringMatching(/^ended: no active relationship \(removed since /) })]);
    expect(findings.every((f) => f.severity === 'info')).toBe(true);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Nothing stands in the way: every finding is for information.\n');
  });

  test('a store with no clients: exit 0, an empty list', async () => {
    const sb = await sandbox();
    sandboxes.push(sb);
    sb.env.DELEGATE_NOW = T0;
    await setup(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
    const { code, findings } = await doctorJson(sb, [], T0);
    expect(code).toBe(0);
    expect(findings).toEqual([expect.objectContaining({ client: null, check: 'agent-groups', severity: 'info' })]);
  });
});
