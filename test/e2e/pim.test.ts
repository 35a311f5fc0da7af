/**
 * PIM for Groups offline (SPEC.md "Access: who can do what, and why not" > "Just-in-time access"):
 * `group add-member --eligible`, `access activate`, `access deactivate` through the CLI, on SQLite and
 * PostgreSQL; and the acting rules counting only direct or activated (not expired) membership.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN, auditOf, expectOneLine, expectRefused, expectUnchanged, runBin, runInProcess, sandbox, TENANT, withStore, type Sandbox } from '../helpers/cli.js';

const LEE = 'lee@fabrikam.com';
const KIM = 'kim@fabrikam.com';
const T0 = '2026-03-01T09:00:00.000Z';
const at = (iso: string) => ({ DELEGATE_NOW: iso });
const plus = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString();

let sb: Sandbox;

async function ok(args: string[], when: string): Promise<string> {
  const r = await runInProcess(args, { env: { ...sb.env, ...at(when) } });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const eligibility = (group: string, email: string) => withStore(sb.db, (st) => st.read((tx) => tx.pim.getEligibility(group, email)));

beforeAll(async () => {
  sb = await sandbox();
  await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], T0);
  const offer = JSON.parse(await ok(['offer', 'create', '--granular', '--name', 'Wingtip', '--roles', 'User Administrator', '--json'], T0));
  await ok(['client', 'accept', offer.id, '--domain', 'wingtip.com'], T0);
  for (const u of [LEE, KIM]) await ok(['user', 'add', u], T0);
  await ok(['group', 'create', 'Helpdesk'], T0);
  await ok(['client', 'assign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'User Administrator'], T0);
});
afterAll(() => sb.cleanup());

describe('group add-member --eligible (offline)', () => {
  test('records each user eligible until now + --for, prints the eligible members, audits it; --for without --eligible is exit 2, store unchanged', async () => {
    await expectUnchanged(sb, ['group', 'add-member', 'Helpdesk', LEE, '--for', 'P30D'], 2, /--for is the length of an eligibility: give it with --eligible/, at(plus(1)));
    await expectUnchanged(sb, ['group', 'add-member', 'Helpdesk', LEE, '--eligible', '--for', 'PT8H'], 2, /--for "PT8H" is not an ISO-8601 duration in days/, at(plus(1)));
    await expectRefused(sb, ['--as', KIM, 'group', 'add-member', 'Helpdesk', LEE, '--eligible'], { actor: KIM, action: 'group.add-member', target: 'Helpdesk' }, /kim@fabrikam\.com may not change security groups: only the partner's global admins may/, at(plus(1)));
    const out = JSON.parse(await ok(['group', 'add-member', 'helpdesk', LEE, '--eligible', '--for', 'P30D', '--output', 'json'], plus(1)));
    const until = new Date(Date.parse(plus(1)) + 30 * 86_400_000).toISOString();
    expect(out).toEqual([{ group: 'Helpdesk', email: LEE, membership: 'eligible', eligibleUntil: until, activation: null, activeUntil: null }]);
    expect(await eligibility('Helpdesk', LEE)).toMatchObject({ group: 'Helpdesk', eligibleUntil: until, activation: null });
    // Eligible is not a member: the group's direct members are unchanged.
    expect(JSON.parse(await ok(['group', 'list', '--output', 'json'], plus(1)))[0].members).toEqual([]);
    expect((await auditOf(sb)).at(-1)).toMatchObject({ actor: ADMIN, action: 'group.add-member', target: 'Helpdesk', outcome: 'allowed', detail: `${LEE} eligible until ${until}` });
    // Correcting the user's record keeps its eligibility (the row is written again: user-changes.ts).
    await ok(['user', 'set', LEE, '--name', 'Lee Gu'], plus(1));
    expect(await eligibility('Helpdesk', LEE)).toMatchObject({ eligibleUntil: until });
  });
});

describe('access activate / deactivate (offline)', () => {
  test('the acting rules count an eligibility only while it is activated: refused before, allowed within, refused once it ran out', async () => {
    const rule = /lee@fabrikam\.com may not add a non-admin user in wingtip\.com: .*it holds no GDAP roles/;
    await expectRefused(sb, ['--as', LEE, 'client', 'user', 'add', 'wingtip.com', 'a@wingtip.com'], { actor: LEE, action: 'client.user.add', target: 'wingtip.com/a@wingtip.com' }, rule, at(plus(2)));

    // Bad --for: below PT5M, above the cap (PT8H offline), not a duration: exit 2, nothing written.
    await expectUnchanged(sb, ['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 1', '--for', 'PT4M'], 2, /--for must be at least PT5M, not PT4M/, at(plus(3)));
    await expectUnchanged(sb, ['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 1', '--for', 'PT9H'], 2, /--for PT9H is longer than an activation may last \(PT8H\): ask for PT8H or less/, at(plus(3)));
    await expectUnchanged(sb, ['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 1', '--for', 'soon'], 2, /--for "soon" is not an ISO-8601 duration/, at(plus(3)));
    await expectUnchanged(sb, ['--as', LEE, 'access', 'activate', 'Helpdesk'], 2, /--reason is required/, at(plus(3)));
    // Someone else's eligibility (kim has none) is not kim's to activate: exit 4, audited.
    await expectRefused(sb, ['--as', KIM, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 1'], { actor: KIM, action: 'access.activate', target: 'Helpdesk' }, /kim@fabrikam\.com is not eligible for membership of Helpdesk/, at(plus(3)));

    const r = await runBin(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 1', '--for', 'PT1H', '--output', 'json'], { ...sb.env, ...at(plus(3)) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ group: 'Helpdesk', status: 'active', activeUntil: plus(63) });
    expect(r.stderr).toMatch(/An activation may take minutes to reach client tenants/);
    expect((await auditOf(sb)).at(-1)).toMatchObject({ actor: LEE, action: 'access.activate', target: 'Helpdesk', outcome: 'allowed', detail: `active until ${plus(63)} (PT1H): ticket 1` });
    await ok(['--as', LEE, 'client', 'user', 'add', 'wingtip.com', 'b@wingtip.com'], plus(4));
    await expectUnchanged(sb, ['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'again'], 5, /already active until/, at(plus(5)));
    // Past activeUntil the membership is gone again.
    await expectRefused(sb, ['--as', LEE, 'client', 'user', 'add', 'wingtip.com', 'c@wingtip.com'], { actor: LEE, action: 'client.user.add', target: 'wingtip.com/c@wingtip.com' }, rule, at(plus(64)));
  });

  test('the default is the cap (PT8H); deactivate within five minutes is exit 5 naming when, after it ends the activation', async () => {
    const out = JSON.parse(await ok(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 2', '--output', 'json'], plus(100)));
    expect(out).toEqual({ group: 'Helpdesk', status: 'active', activeUntil: plus(100 + 480) });
    await expectUnchanged(sb, ['--as', LEE, 'access', 'deactivate', 'Helpdesk'], 5, new RegExp(`cannot be deactivated in its first five minutes: deactivate Helpdesk at ${plus(105).replace(/\./g, '\\.')} or later`), at(plus(102)));
    await expectRefused(sb, ['--as', KIM, 'access', 'deactivate', 'Helpdesk'], { actor: KIM, action: 'access.deactivate', target: 'Helpdesk' }, /kim@fabrikam\.com is not eligible/, at(plus(103)));
    expect(JSON.parse(await ok(['--as', LEE, 'access', 'deactivate', 'Helpdesk', '--output', 'json'], plus(106)))).toEqual({ group: 'Helpdesk', status: 'inactive', activeUntil: null });
    expect(await eligibility('Helpdesk', LEE)).toMatchObject({ activation: null, activeUntil: null });
    await expectUnchanged(sb, ['--as', LEE, 'access', 'deactivate', 'Helpdesk'], 5, /is not active: nothing to deactivate/, at(plus(107)));
    expect((await auditOf(sb)).at(-1)).toMatchObject({ actor: LEE, action: 'access.deactivate', outcome: 'allowed' });
  });

  test('--plan prints the requests (own principal, selfActivate, the justification, the schedule) and writes nothing; an unknown group is exit 3', async () => {
    await withStore(sb.db, (st) => st.write((tx) => tx.setGroupObjectId('Helpdesk', 'c0ffee00-0000-4000-8000-000000000001').then(() => undefined)));
    const r = await runBin(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 3', '--for', 'PT2H', '--plan'], { ...sb.env, ...at(plus(200)) });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.map((p: { method: string; url: string }) => `${p.method} ${p.url.replace(/\?.*/, '')}`)).toEqual([
      'GET https://graph.microsoft.com/v1.0/users/lee%40fabrikam.com',
      'POST https://graph.microsoft.com/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests',
    ]);
    expect(plan[1].body).toEqual({
      accessId: 'member',
      principalId: '${me.id}',
      groupId: 'c0ffee00-0000-4000-8000-000000000001',
      action: 'selfActivate',
      justification: 'ticket 3',
      scheduleInfo: { startDateTime: plus(200), expiration: { type: 'afterDuration', duration: 'PT2H' } },
    });
    expect(await eligibility('Helpdesk', LEE)).toMatchObject({ activation: null });
    const elig = JSON.parse((await runBin(['group', 'add-member', 'Helpdesk', KIM, '--eligible', '--plan'], { ...sb.env, ...at(plus(201)) })).stdout);
    expect(elig[1]).toMatchObject({ method: 'POST', url: 'https://graph.microsoft.com/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests' });
    expect(elig[1].body).toMatchObject({ accessId: 'member', action: 'adminAssign', principalId: '${user.id}', scheduleInfo: { expiration: { type: 'afterDateTime' } } });
    expect(await eligibility('Helpdesk', KIM)).toBeUndefined();
    const missing = await runBin(['--as', LEE, 'access', 'activate', 'Nope', '--reason', 'x'], { ...sb.env, ...at(plus(202)) });
    expect(missing.code).toBe(3);
    expectOneLine(missing.stderr, /No security group Nope/);
  });
});
