/**
 * `doctor --live` (SPEC.md "Access: who can do what, and why not"): against the loopback fake, on SQLite and
 * PostgreSQL, it reports what Microsoft holds that the ledger does not know: an access assignment in error,
 * one stuck pending for a group the ledger lacks, a group deleted at Microsoft, members added elsewhere
 * (through a nested group too: transitive), PIM eligibility made elsewhere; a client whose relationship
 * ended is info; a read Microsoft refuses says to sign in; not signed in is exit 4 naming `delegate login`.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { ADMIN, expectOneLine, runBin, TENANT, type Result, type Sandbox } from '../helpers/cli.js';

const CONTOSO = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const LEE = 'lee@fabrikam.com';
const KIM = 'kim@fabrikam.com';

const theFake = fakeForSuite();
let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let leeId: string;
let kimId: string;

const live = (args: string[]): Promise<Result> => runBin([...args, '--live'], env);
async function ok(args: string[]): Promise<string> {
  const r = await runBin(args, env);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
interface F {
  client: string | null;
  check: string;
  severity: string;
  message: string;
  fix: string | null;
}
async function doctorLive(args: string[] = []): Promise<{ code: number; findings: F[]; stderr: string }> {
  const r = await runBin(['doctor', '--live', ...args, '--output', 'json'], env);
  return { code: r.code, findings: r.stdout ? (JSON.parse(r.stdout) as F[]) : [], stderr: r.stderr };
}

/** Contoso active on a granular relationship made live and approved; Helpdesk (with the admin) assigned on it at Microsoft. */
async function world(): Promise<{ rel: string; helpdesk: string }> {
  const offer = await live(['offer', 'create', '--granular', '--roles', 'User Administrator', '--name', 'Contoso GDAP', '--json']);
  if (offer.code !== 0) throw new Error(offer.stderr);
  const rel = JSON.parse(offer.stdout).granular.relationshipId as string;
  fake.approve(rel, { tenantId: CONTOSO, displayName: 'Contoso' });
  await ok(['sync', '--json']);
  const helpdesk = JSON.parse(await ok(['group', 'create', 'Helpdesk', '--live', '--output', 'json'])).objectId as string;
  await ok(['group', 'add-member', 'Helpdesk', ADMIN, '--live']);
  await ok(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'User Administrator', '--live']);
  return { rel, helpdesk };
}

beforeEach(async () => {
  ({ fake, sb, env } = await liveSandbox(theFake()));
  fake.addUser(ADMIN);
  leeId = fake.addUser(LEE);
  kimId = fake.addUser(KIM);
  fake.addCustomer({ tenantId: CONTOSO, displayName: 'Contoso', defaultDomainName: 'contoso.com', allowDelegatedAccess: false });
  await setupAt(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupAt(sb, ['user', 'add', LEE, '--name', 'Lee']);
  await setupAt(sb, ['user', 'add', KIM, '--name', 'Kim']);
});
afterEach(() => sb.cleanup());

describe('doctor --live', () => {
  it('a new assignment still pending is a warning; once Microsoft finished it, nothing to report', async () => {
    await world();
    // A new assignment is pending at Microsoft until Microsoft finishes it (the fake: at its first read): doctor says so.
    expect((await doctorLive()).findings.map((f) => [f.check, f.severity])).toEqual([['assignment-status', 'warning']]);
    const r = await doctorLive();
    expect(r.findings).toEqual([]);
    expect(r.code).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  it('reports an assignment in error, one stuck pending for a group the ledger lacks, a deleted group, members and eligibility added elsewhere (transitively)', async () => {
    const { rel, helpdesk } = await world();
    // At Microsoft: the ledger's assignment in error; another group's assignment pending for good.
    const assignments = fake.accessAssignments.get(rel)!;
    assignments[0]!.status = 'error';
    const other = fake.addGroup('Made elsewhere');
    assignments.push({ id: 'as-other', status: 'pending', stuck: true, createdDateTime: '2026-03-01T09:00:00Z', accessContainer: { accessContainerId: other, accessContainerType: 'securityGroup' }, accessDetails: { unifiedRoles: [] } });
    // Lee added to Helpdesk in the portal; Kim reaches it through a nested group; the admin removed there.
    const nested = fake.addGroup('Nested');
    fake.groups.get(nested)!.members.add(kimId);
    const h = fake.groups.get(helpdesk)!;
    h.members.add(leeId);
    h.members.add(nested);
    h.members.delete([...fake.users.values()].find((u) => u.userPrincipalName === ADMIN)!.id as string);
    // Kim made eligible for Helpdesk elsewhere (PIM for Groups).
    fake.pim.eligibilityRequests.push({ id: 'e-1', action: 'adminAssign', accessId: 'member', status: 'Provisioned', groupId: helpdesk, principalId: kimId, scheduleInfo: { expiration: { type: 'afterDateTime', endDateTime: '2099-01-01T00:00:00Z' } } });
    // A group the ledger holds, deleted at Microsoft.
    const gone = JSON.parse(await ok(['group', 'create', 'Gone', '--live', '--output', 'json'])).objectId as string;
    fake.groups.delete(gone);

    const before = fake.requests.length;
    const r = await doctorLive();
    expect(r.code).toBe(1);
    // Reading only: doctor sent nothing that changes Microsoft.
    expect(fake.requests.slice(before).filter((x) => x.method !== 'GET')).toEqual([]);
    const by = (check: string) => r.findings.filter((f) => f.check === check);
    expect(by('assignment-status')).toEqual([
      {
        client: 'contoso.com',
        check: 'assignment-status',
        severity: 'error',
        message: 'the assignment of group Helpdesk on granular relationship "Contoso GDAP" is in error at Microsoft: its roles do not work',
        fix: 'delegate client unassign contoso.com --group Helpdesk --live && delegate client assign contoso.com --group Helpdesk --roles "User Administrator" --live',
      },
      expect.objectContaining({ severity: 'warning', message: expect.stringMatching(new RegExp(`^the assignment of group ${other} on granular relationship "Contoso GDAP" is still pending at Microsoft \\(since 2026-03-01T09:00:00Z\\)`)), fix: 'delegate sync' }),
    ]);
    expect(by('group-deleted')).toEqual([expect.objectContaining({ client: null, severity: 'error', message: expect.stringMatching(/^security group Gone \(object id .*\) is deleted at Microsoft/) })]);
    expect(by('members-elsewhere').map((f) => [f.message, f.fix])).toEqual([
      [expect.stringMatching(/^kim@fabrikam\.com, lee@fabrikam\.com are members of Helpdesk at Microsoft \(added elsewhere, or through a nested group\)/), 'delegate group add-member Helpdesk kim@fabrikam.com lee@fabrikam.com'],
      [expect.stringMatching(/^ada@fabrikam\.com is in the ledger's Helpdesk but not a member at Microsoft/), 'delegate group remove-member Helpdesk ada@fabrikam.com'],
    ]);
    expect(by('eligibility-elsewhere')).toEqual([expect.objectContaining({ severity: 'warning', fix: 'delegate group add-member Helpdesk kim@fabrikam.com --eligible' })]);
    expect(fake.violations).toEqual([]);
  });

  it('an ended client is info; a read Microsoft refuses says to sign in; not signed in is exit 4 naming `delegate login`', async () => {
    const { rel } = await world();
    fake.accessAssignments.get(rel)![0]!.status = 'error';
    fake.relationships.get(rel)!.status = 'terminated';
    await ok(['sync', '--json']);
    const ended = await doctorLive(['contoso.com']);
    expect(ended.findings.filter((f) => f.check === 'assignment-status').map((f) => f.severity)).toEqual(['info']);

    fake.fault({ kind: 'error', status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.', path: /\/transitiveMembers$/, times: 5 });
    const refused = await doctorLive();
    expect(refused.findings).toContainEqual(expect.objectContaining({ check: 'unread', severity: 'warning', message: expect.stringMatching(/^could not read the members of Helpdesk at Microsoft .*it needs a sign-in with GroupMember\.Read\.All/), fix: 'delegate login' }));

    const noToken = { ...env };
    delete noToken.DELEGATE_ACCESS_TOKEN;
    const r = await runBin(['doctor', '--live'], noToken);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /Not signed in to Microsoft: run `delegate login`/);
  });
});
