/**
 * PIM for Groups live (SPEC.md "Access" > "Just-in-time access"; "Live mode, exactly once"): the built CLI
 * with --live against the loopback fake, on SQLite and PostgreSQL. Eligibility (adminAssign with an end),
 * one's own selfActivate capped by the group's policy read at Microsoft, an approval policy giving
 * pendingApproval, an MFA policy refused naming it, selfDeactivate; each through an intent that closes.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { ADMIN, auditOf, expectOneLine, runBin, TENANT, withStore, type Result, type Sandbox } from '../helpers/cli.js';

const LEE = 'lee@fabrikam.com';
const KIM = 'kim@fabrikam.com';
const PIM = '/identityGovernance/privilegedAccess/group';

const theFake = fakeForSuite();
let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let leeId: string;
let groupId: string;

const live = (args: string[]): Promise<Result> => runBin([...args, '--live'], env);
const eligibility = (email: string) => withStore(sb.db, (st) => st.read((tx) => tx.pim.getEligibility('Helpdesk', email)));
const openIntents = () => withStore(sb.db, (st) => st.read((tx) => tx.listIntents({})));
const posts = (what: string) => fake.requests.filter((r) => r.method === 'POST' && r.path === `${PIM}/${what}`);

beforeEach(async () => {
  ({ fake, sb, env } = await liveSandbox(theFake()));
  fake.addUser(ADMIN);
  leeId = fake.addUser(LEE);
  fake.addUser(KIM);
  await setupAt(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupAt(sb, ['user', 'add', LEE, '--name', 'Lee']);
  await setupAt(sb, ['user', 'add', KIM, '--name', 'Kim']);
  const g = await live(['group', 'create', 'Helpdesk', '--output', 'json']);
  if (g.code !== 0) throw new Error(g.stderr);
  groupId = JSON.parse(g.stdout).objectId as string;
});
afterEach(() => sb.cleanup());

async function eligibleLee(): Promise<void> {
  const r = await live(['group', 'add-member', 'Helpdesk', LEE, '--eligible', '--for', 'P30D', '--output', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
}

describe('group add-member --eligible --live', () => {
  it('sends adminAssign with an end for the user Microsoft names, records the eligibility, closes its intent', async () => {
    const r = await live(['group', 'add-member', 'Helpdesk', LEE, '--eligible', '--for', 'P30D', '--output', 'json']);
    expect(r.code).toBe(0);
    const [sent] = posts('eligibilityScheduleRequests');
    expect(sent!.body).toMatchObject({ accessId: 'member', principalId: leeId, groupId, action: 'adminAssign', scheduleInfo: { expiration: { type: 'afterDateTime' } } });
    const end = (sent!.body as { scheduleInfo: { expiration: { endDateTime: string } } }).scheduleInfo.expiration.endDateTime;
    expect(fake.pim.eligible.get(`${groupId}:${leeId}`)).toBe(end);
    expect(JSON.parse(r.stdout)).toEqual([{ group: 'Helpdesk', email: LEE, membership: 'eligible', eligibleUntil: end, activation: null, activeUntil: null }]);
    expect(await eligibility(LEE)).toMatchObject({ eligibleUntil: end });
    expect(await openIntents()).toEqual([]);
    expect((await auditOf(sb)).at(-1)).toMatchObject({ action: 'group.add-member', detail: `${LEE} eligible until ${end} (at Microsoft)` });
    expect(fake.violations).toEqual([]);
  });
});

describe('exactly once', () => {
  it('an eligibility whose answer is lost is read back at once by the group and principal, found, and recorded: nothing sent twice, no intent left', async () => {
    fake.fault({ kind: 'lost', method: 'POST', path: `${PIM}/eligibilityScheduleRequests` });
    const r = await live(['group', 'add-member', 'Helpdesk', LEE, '--eligible']);
    expect(r.code).toBe(0);
    expect(posts('eligibilityScheduleRequests')).toHaveLength(1);
    const readBack = fake.requests.find((x) => x.method === 'GET' && x.path === `${PIM}/eligibilityScheduleRequests`);
    expect(new URLSearchParams(readBack!.query).get('$filter')).toBe(`groupId eq '${groupId}' and principalId eq '${leeId}'`);
    expect(await eligibility(LEE)).toBeDefined();
    expect(await openIntents()).toEqual([]);
    expect(fake.violations).toEqual([]);
  });
});

describe('recovery', () => {
  it('an activation whose answer is lost and whose read-back fails is pending (exit naming `delegate pending`); `delegate recover` finds it and records the activation', async () => {
    await eligibleLee();
    fake.fault({ kind: 'lost', method: 'POST', path: `${PIM}/assignmentScheduleRequests` });
    fake.fault({ kind: 'error', status: 500, method: 'GET', path: `${PIM}/assignmentScheduleRequests`, times: 5 });
    const r = await live(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 5', '--for', 'PT30M']);
    fake.clearFaults();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pending \(see `delegate pending`/);
    expect(await eligibility(LEE)).toMatchObject({ activation: null });
    const open = await openIntents();
    expect(open.map((i) => i.kind)).toEqual(['activation.create']);
    const rec = await runBin(['recover', '--json'], env);
    expect(rec.code).toBe(0);
    expect((JSON.parse(rec.stdout) as { outcome: string }[]).map((x) => x.outcome)).toEqual(['applied']);
    expect(await eligibility(LEE)).toMatchObject({ activation: 'active' });
    expect(await openIntents()).toEqual([]);
    expect(posts('assignmentScheduleRequests')).toHaveLength(1);
  });
});

describe('access activate --live', () => {
  it("--for defaults to the group's policy maximum read at Microsoft; more than it is exit 2 before any request; it sends selfActivate with the justification", async () => {
    await eligibleLee();
    fake.pim.policies.set(groupId, { maximumDuration: 'PT1H', approval: false, enabledRules: ['Justification'] });
    const over = await live(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 9', '--for', 'PT2H']);
    expect(over.code).toBe(2);
    expectOneLine(over.stderr, /--for PT2H is longer than the group's PIM policy allows \(PT1H\)/);
    expect(posts('assignmentScheduleRequests')).toEqual([]);

    const r = await live(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 9', '--output', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ group: 'Helpdesk', status: 'active' });
    expect(r.stderr).toMatch(/An activation may take minutes to reach client tenants/);
    const [sent] = posts('assignmentScheduleRequests');
    expect(sent!.body).toMatchObject({ accessId: 'member', principalId: leeId, groupId, action: 'selfActivate', justification: 'ticket 9', scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } } });
    expect(fake.pim.active.get(`${groupId}:${leeId}`)?.status).toBe('Provisioned');
    expect(await eligibility(LEE)).toMatchObject({ activation: 'active', activeUntil: out.activeUntil });
    expect(await openIntents()).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('an approval policy gives pendingApproval; an MFA or ticket policy is exit 4 naming it, nothing sent', async () => {
    await eligibleLee();
    fake.pim.policies.set(groupId, { maximumDuration: 'PT8H', approval: false, enabledRules: ['MultiFactorAuthentication', 'Justification'] });
    const mfa = await live(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 1']);
    expect(mfa.code).toBe(4);
    expectOneLine(mfa.stderr, /Helpdesk's PIM policy requires multifactor authentication at activation/);
    fake.pim.policies.set(groupId, { maximumDuration: 'PT8H', approval: false, enabledRules: ['Ticketing'] });
    const ticket = await live(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 1']);
    expect(ticket.code).toBe(4);
    expectOneLine(ticket.stderr, /requires ticket information/);
    expect(posts('assignmentScheduleRequests')).toEqual([]);
    expect((await auditOf(sb)).at(-1)).toMatchObject({ actor: LEE, action: 'access.activate', outcome: 'denied' });

    fake.pim.policies.set(groupId, { maximumDuration: 'PT4H', approval: true, enabledRules: ['Justification'] });
    const r = await live(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 2', '--output', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ group: 'Helpdesk', status: 'pendingApproval' });
    expect(r.stderr).toMatch(/wants an approver/);
    expect(await eligibility(LEE)).toMatchObject({ activation: 'pendingApproval' });
  });

  it("someone else's eligibility is exit 4 before any request to Microsoft", async () => {
    await eligibleLee();
    const before = fake.requests.length;
    const r = await live(['--as', KIM, 'access', 'activate', 'Helpdesk', '--reason', 'mine now']);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /kim@fabrikam\.com is not eligible for membership of Helpdesk/);
    expect(fake.requests.slice(before)).toEqual([]);
  });
});

describe('access deactivate --live', () => {
  it('within five minutes is exit 5 naming when (nothing sent); later it sends selfDeactivate and ends the activation', async () => {
    await eligibleLee();
    const a = await live(['--as', LEE, 'access', 'activate', 'Helpdesk', '--reason', 'ticket 3', '--for', 'PT1H']);
    expect(a.code).toBe(0);
    const soon = await live(['--as', LEE, 'access', 'deactivate', 'Helpdesk']);
    expect(soon.code).toBe(5);
    expectOneLine(soon.stderr, /cannot be deactivated in its first five minutes: deactivate Helpdesk at \S+ or later/);
    expect(fake.requests.some((r) => r.method === 'POST' && (r.body as { action?: string } | undefined)?.action === 'selfDeactivate')).toBe(false);

    // Ten minutes on, at Microsoft and in the ledger.
    const earlier = new Date(Date.now() - 10 * 60_000).toISOString();
    const key = `${groupId}:${leeId}`;
    fake.pim.active.set(key, { ...fake.pim.active.get(key)!, since: earlier });
    const e = (await eligibility(LEE))!;
    await withStore(sb.db, (st) => st.write((tx) => tx.pim.setActivation('Helpdesk', LEE, { ...e, activatedAt: earlier })));
    const r = await live(['--as', LEE, 'access', 'deactivate', 'Helpdesk', '--output', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ group: 'Helpdesk', status: 'inactive', activeUntil: null });
    expect(fake.pim.active.has(key)).toBe(false);
    expect(await eligibility(LEE)).toMatchObject({ activation: null });
    expect(await openIntents()).toEqual([]);
    expect(fake.violations).toEqual([]);
  });
});
