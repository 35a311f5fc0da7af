/**
 * `delegate access why` and `delegate access show` (SPEC.md "Access: who can do what, and why not"):
 * every path from a partner user to a client, each broken link with the command that mends it; the
 * matrix of who holds which role where; `--output html` only for `access show`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN, TENANT, expectUnchanged, runBin, sandbox, setupIn, storeHash, storeSql, type Sandbox } from '../helpers/cli.js';

const T0 = '2026-03-01T09:00:00.000Z';
const LEE = 'lee@fabrikam.com';
const KIM = 'kim@fabrikam.com';
const SAM = 'sam@fabrikam.com';
const READ = '2026-02-28T12:00:00.000Z';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const GA = '62e90394-69f5-4237-9190-012177145e10';

const sandboxes: Sandbox[] = [];
let sb: Sandbox;

async function granular(domain: string, name: string, roles: string, extra: string[] = []): Promise<string> {
  const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--granular', '--name', name, '--roles', roles, ...extra, '--json']));
  await setupIn(sb, ['client', 'accept', offer.id, '--domain', domain]);
  return offer.granular.relationshipId as string;
}

/**
 * ada: full admin access. kim: limited. lee: in Helpdesk. sam: in Users (assigned nowhere).
 * wingtip.com: Helpdesk holds Helpdesk Administrator (relationship also has User Administrator).
 * adatum.com: Helpdesk assigned, pending at Microsoft (as sync read it). northwind.com: in error.
 * tailwind.com: the relationship is `expiring` at Microsoft. contoso.com: DAP. tailspin.com: DAP removed.
 */
beforeAll(async () => {
  sb = await sandbox();
  sandboxes.push(sb);
  sb.env.DELEGATE_NOW = T0;
  await setupIn(sb, ['init', '--name', 'Fabrikam <IT> & "Co"', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  for (const [email, name] of [[LEE, 'Lee'], [KIM, 'Kim'], [SAM, 'Sam']] as const) await setupIn(sb, ['user', 'add', email, '--name', name]);
  await setupIn(sb, ['user', 'grant-admin', KIM, '--role', 'limited']);
  await setupIn(sb, ['group', 'create', 'Helpdesk']);
  await setupIn(sb, ['group', 'add-member', 'Helpdesk', LEE]);
  await setupIn(sb, ['group', 'create', 'Users']);
  await setupIn(sb, ['group', 'add-member', 'Users', SAM]);
  await granular('wingtip.com', 'Wingtip', 'Helpdesk Administrator,User Administrator', ['--duration', 'P20D']);
  await setupIn(sb, ['client', 'assign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
  for (const [domain, name] of [['adatum.com', 'Adatum'], ['northwind.com', 'Northwind'], ['tailwind.com', 'Tailwind']] as const) {
    await granular(domain, name, 'Helpdesk Administrator');
    await setupIn(sb, ['client', 'assign', domain, '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
  }
  // What sync would have recorded: Microsoft's statuses, and when it read them.
  const rel = (domain: string) => `(SELECT id FROM relationships WHERE client_domain = '${domain}')`;
  await storeSql(sb.db, `UPDATE access_assignments SET status = 'pending' WHERE relationship_id IN ${rel('adatum.com')}`);
  await storeSql(sb.db, `UPDATE relationships SET assignments_read_at = ? WHERE client_domain = 'adatum.com'`, READ);
  await storeSql(sb.db, `UPDATE access_assignments SET status = 'error' WHERE relationship_id IN ${rel('northwind.com')}`);
  await storeSql(sb.db, `UPDATE relationships SET ms_status = 'expiring' WHERE client_domain = 'tailwind.com'`);
  const plain = JSON.parse(await setupIn(sb, ['offer', 'create', '--json'])).id as string;
  await setupIn(sb, ['client', 'accept', plain, '--domain', 'contoso.com']);
  await setupIn(sb, ['client', 'accept', plain, '--domain', 'tailspin.com']);
  await setupIn(sb, ['client', 'remove', 'tailspin.com', '--yes']);
});
afterAll(() => Promise.all(sandboxes.map((s) => s.cleanup())));

type L = { link: string; state: string; source: string; readAt: string; fix?: string };
type W = { user: string; client: string; action: string; holds: boolean; paths: { via: string; links: L[] }[] };

async function why(user: string, client: string, action?: string, now = T0): Promise<{ code: number; w: W; stderr: string }> {
  const r = await runBin(['access', 'why', user, client, ...(action ? ['--action', action] : []), '--json'], { ...sb.env, DELEGATE_NOW: now });
  return { code: r.code, w: JSON.parse(r.stdout), stderr: r.stderr };
}

/** The first path's broken link (paths come furthest first): the one a partner mends first. */
const firstBroken = (w: W) => w.paths[0]!.links.find((l) => l.fix !== undefined)!;

describe('access why: one test per broken link, each naming its fix', () => {
  test('a path that holds: exit 0, JSON {user, client, action, holds, paths: [{via, links}]}, every link held and no fix', async () => {
    const before = await storeHash(sb.db);
    const { code, w, stderr } = await why(LEE, 'wingtip.com', 'reset-password');
    expect(code).toBe(0);
    expect(Object.keys(w)).toEqual(['user', 'client', 'action', 'holds', 'paths']);
    expect(w).toMatchObject({ user: LEE, client: 'wingtip.com', action: 'reset-password', holds: true });
    const held = w.paths[0]!;
    expect(held.via).toMatch(/^relationship "Wingtip" \(.+\) via group Helpdesk$/);
    expect(held.links.map((l) => l.link)).toEqual([
      'member of Helpdesk',
      'Helpdesk assigned on "Wingtip"',
      'assignment active',
      'relationship "Wingtip" active',
      "roles allow: reset a non-admin's password",
    ]);
    for (const l of held.links) {
      expect(Object.keys(l)).toEqual(['link', 'state', 'source', 'readAt']);
      expect(l).toMatchObject({ source: 'ledger', readAt: T0 });
    }
    expect(held.links[2]!.state).toMatch(/recorded offline/);
    expect(stderr).toMatch(/Conditional Access policies .* not visible/);
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('not a member of the assigned group: fix is group add-member', async () => {
    const { code, w } = await why(SAM, 'wingtip.com');
    expect(code).toBe(1);
    expect(w.holds).toBe(false);
    const viaHelpdesk = w.paths.find((p) => p.via.endsWith('via group Helpdesk'))!;
    expect(viaHelpdesk.links).toEqual([{ link: 'member of Helpdesk', state: 'not a member', source: 'ledger', readAt: T0, fix: `delegate group add-member Helpdesk ${SAM}` }]);
  });

  test('group not assigned on the relationship: fix is client assign (the least privileged role that allows the action); that path comes first, it got further', async () => {
    const { code, w, stderr } = await why(SAM, 'wingtip.com', 'add-user');
    expect(code).toBe(1);
    expect(w.paths[0]!.via).toMatch(/via group Users$/);
    expect(w.paths[0]!.links.map((l) => l.state)).toEqual(['direct', 'not assigned']);
    expect(firstBroken(w).fix).toBe('delegate client assign wingtip.com --group Users --roles "User Administrator"');
    // The error line names the first broken link's fix too.
    expect(stderr).toMatch(/fixed by: delegate client assign wingtip.com --group Users/);
  });

  test('assignment pending at Microsoft: source microsoft with the time sync read it; fix is to sync again', async () => {
    const { code, w } = await why(LEE, 'adatum.com');
    expect(code).toBe(1);
    const l = firstBroken(w);
    expect(l).toMatchObject({ link: 'assignment active', state: expect.stringMatching(/^pending; Microsoft is still provisioning/), source: 'microsoft', readAt: READ });
    expect(l.fix).toBe('delegate sync --only relationships');
  });

  test('assignment in error: fix is to make it again with client assign', async () => {
    const { w } = await why(LEE, 'northwind.com');
    expect(firstBroken(w)).toMatchObject({ link: 'assignment active', state: 'error at Microsoft: make it again' });
    expect(firstBroken(w).fix).toMatch(/^delegate client assign northwind.com --group Helpdesk --roles "Helpdesk Administrator"/);
  });

  test("relationship `expiring` (Graph: past its expiration date) is not a holding link; fix is a new granular offer", async () => {
    const { code, w } = await why(LEE, 'tailwind.com');
    expect(code).toBe(1);
    expect(firstBroken(w)).toMatchObject({ link: 'relationship "Tailwind" active', state: 'expiring; on its way out: tailwind.com accepts a new relationship' });
    expect(firstBroken(w).fix).toBe('delegate offer create --granular --roles "Helpdesk Administrator"');
  });

  test('relationship expired (its end passed): fix is a new granular offer', async () => {
    const { code, w } = await why(LEE, 'wingtip.com', 'list', '2026-04-01T09:00:00.000Z');
    expect(code).toBe(1);
    expect(firstBroken(w).link).toBe('relationship "Wingtip" active');
    expect(firstBroken(w).state).toMatch(/^expired/);
    expect(firstBroken(w).fix).toMatch(/^delegate offer create --granular/);
  });

  test("the roles don't allow the action: fix adds the role that does", async () => {
    const { code, w } = await why(LEE, 'wingtip.com', 'add-user');
    expect(code).toBe(1);
    const l = firstBroken(w);
    expect(l.link).toBe('roles allow: add a non-admin user');
    expect(l.state).toMatch(/^holds Helpdesk Administrator; needs/);
    expect(l.fix).toBe('delegate client assign wingtip.com --group Helpdesk --roles "Helpdesk Administrator,User Administrator"');
  });

  test('a role the relationship lacks: fix is a new relationship with it', async () => {
    const { w } = await why(LEE, 'wingtip.com', 'add-domain');
    expect(firstBroken(w)).toMatchObject({ state: expect.stringMatching(/which relationship "Wingtip" lacks$/), fix: 'delegate offer create --granular --roles "Domain Name Administrator"' });
  });

  test('DAP: no admin access; fix is grant-admin', async () => {
    const { code, w } = await why(LEE, 'contoso.com');
    expect(code).toBe(1);
    expect(w.paths).toEqual([
      { via: 'DAP', links: [{ link: 'admin access (AdminAgents or HelpdeskAgents)', state: 'none', source: 'ledger', readAt: T0, fix: `delegate user grant-admin ${LEE} --role full` }] },
    ]);
  });

  test('DAP limited access (HelpdeskAgents): reset a password yes, an admin\'s no', async () => {
    expect((await why(KIM, 'contoso.com', 'reset-password')).code).toBe(0);
    const { code, w } = await why(KIM, 'contoso.com', 'reset-admin-password');
    expect(code).toBe(1);
    expect(firstBroken(w)).toMatchObject({ link: "admin access allows: reset an admin's password", fix: `delegate user grant-admin ${KIM} --role full` });
  });

  test('DAP ended: fix is a granular relationship', async () => {
    const { code, w } = await why(ADMIN, 'tailspin.com');
    expect(code).toBe(1);
    expect(firstBroken(w)).toMatchObject({ link: 'DAP relationship active' });
    expect(firstBroken(w).state).toMatch(/^removed at /);
    expect(firstBroken(w).fix).toMatch(/^delegate offer create --granular --roles /);
  });

  test('text output: each link and the fix; exit 1 with one error line naming the fix', async () => {
    const r = await runBin(['access', 'why', SAM, 'wingtip.com'], sb.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no path holds/);
    expect(r.stdout).toMatch(/BROKEN Users assigned on "Wingtip": not assigned/);
    expect(r.stdout).toMatch(/fix: delegate client assign wingtip.com --group Users/);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  test('unknown user or client: exit 3; unknown action: exit 2; the store unchanged', async () => {
    await expectUnchanged(sb, ['access', 'why', 'nobody@fabrikam.com', 'wingtip.com'], 3, /No partner user nobody@fabrikam.com/);
    await expectUnchanged(sb, ['access', 'why', LEE, 'nowhere.com'], 3, /nowhere.com is not a client/);
    await expectUnchanged(sb, ['access', 'why', LEE, 'wingtip.com', '--action', 'fly'], 2, /--action must be one of list, add-user, add-admin/);
  });
});

type Row = { user: string; client: string; role: { id: string; name: string }; via: { kind: string; group?: string; relationshipId?: string }; endsAt: string | null; membership: string; readAt: string };

describe('access show', () => {
  test('JSON: one row per (user, client, role) that holds: groups on active relationships with active assignments, and DAP', async () => {
    const before = await storeHash(sb.db);
    const r = await runBin(['access', 'show', '--json'], sb.env);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((x) => [x.client, x.user, x.role.name, x.via.kind, x.via.group ?? null])).toEqual([
      ['contoso.com', ADMIN, 'Global Administrator', 'dap', null],
      ['contoso.com', KIM, 'Helpdesk Administrator', 'dap', null],
      ['wingtip.com', LEE, 'Helpdesk Administrator', 'group', 'Helpdesk'],
    ]);
    expect(Object.keys(rows[2]!)).toEqual(['user', 'client', 'role', 'via', 'endsAt', 'membership', 'readAt']);
    expect(rows[2]).toMatchObject({ role: { id: HA, name: 'Helpdesk Administrator' }, endsAt: '2026-03-21T09:00:00.000Z', membership: 'direct', readAt: T0 });
    expect(rows[2]!.via.relationshipId).toEqual(expect.any(String));
    expect(rows[0]).toMatchObject({ role: { id: GA }, via: { kind: 'dap' }, endsAt: null });
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('one user, or some clients; CSV with --fields', async () => {
    const mine = JSON.parse((await runBin(['access', 'show', KIM, '--json'], sb.env)).stdout) as Row[];
    expect(mine.map((x) => x.client)).toEqual(['contoso.com']);
    const some = JSON.parse((await runBin(['access', 'show', '--client', 'wingtip.com', '--client', 'adatum.com', '--json'], sb.env)).stdout) as Row[];
    expect(some.map((x) => x.user)).toEqual([LEE]);
    const csv = await runBin(['access', 'show', '--output', 'csv', '--fields', 'client,user,role.name'], sb.env);
    expect(csv.stdout).toBe(`client,user,role.name\ncontoso.com,${ADMIN},Global Administrator\ncontoso.com,${KIM},Helpdesk Administrator\nwingtip.com,${LEE},Helpdesk Administrator\n`);
  });

  test('unknown user or client: exit 3, store unchanged; a bad field: exit 2', async () => {
    await expectUnchanged(sb, ['access', 'show', 'nobody@fabrikam.com'], 3, /No partner user/);
    await expectUnchanged(sb, ['access', 'show', '--client', 'nowhere.com'], 3, /nowhere.com is not a client/);
    await expectUnchanged(sb, ['access', 'show', '--fields', 'user,color'], 2, /Unknown field "color"/);
  });

  test('--output html: one page, CSP default-src none, no script, text escaped, the audit head; with --client no other client', async () => {
    const r = await runBin(['access', 'show', '--client', 'wingtip.com', '--output', 'html'], sb.env);
    expect(r.code).toBe(0);
    const html = r.stdout;
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Fabrikam &lt;IT&gt; &amp; &quot;Co&quot;');
    expect(html).not.toContain('Fabrikam <IT>');
    const head = (await storeSql(sb.db, 'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0]!;
    expect(html).toContain(`${Number(head.seq)}:${head.hash as string}`);
    expect(html).toContain('wingtip.com');
    for (const other of ['contoso.com', 'adatum.com', 'tailwind.com', 'northwind.com', 'tailspin.com']) expect(html).not.toContain(other);
    // The timeline: Wingtip ends within 180 days.
    expect(html).toMatch(/<table id="timeline">[\s\S]*2026-03-21T09:00:00.000Z[\s\S]*Wingtip/);
  });

  test('--output html anywhere else: exit 2 naming access show, nothing printed, store unchanged', async () => {
    for (const args of [['client', 'list'], ['audit'], ['access', 'why', LEE, 'wingtip.com'], ['user', 'add', 'x@fabrikam.com', '--name', 'X']]) {
      await expectUnchanged(sb, [...args, '--output', 'html'], 2, /--output html is only for `delegate access show`/);
    }
  });
});

test('access help lists show and why', async () => {
  const r = await runBin(['access', '--help'], sandboxes[0]!.env);
  expect(r.stdout).toMatch(/show \[options\] \[user\]/);
  expect(r.stdout).toMatch(/why \[options\] <user> <client>/);
});
