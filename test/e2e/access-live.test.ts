/**
 * `access why --live` against the loopback fake of Graph: the relationship, its access assignments
 * and the group's members are read from Microsoft now, and a change made there (outside delegate)
 * shows as the broken link, with source `microsoft`. Nothing is sent but GETs; the ledger unchanged.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { ADMIN, runBin, storeHash, TENANT, type Result, type Sandbox } from '../helpers/cli.js';

const CONTOSO = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const LEE = 'lee@fabrikam.com';

const theFake = fakeForSuite();
let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let leeId: string;
let relId: string;
let groupId: string;

async function ok(args: string[]): Promise<string> {
  const r = await runBin(args, env);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Contoso active through a relationship made live; Helpdesk made, filled with Lee and assigned, all at Microsoft. */
beforeEach(async () => {
  ({ fake, sb, env } = await liveSandbox(theFake()));
  fake.addUser(ADMIN);
  leeId = fake.addUser(LEE);
  fake.addCustomer({ tenantId: CONTOSO, displayName: 'Contoso', defaultDomainName: 'contoso.com', allowDelegatedAccess: true });
  await setupAt(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupAt(sb, ['user', 'add', LEE, '--name', 'Lee']);
  relId = JSON.parse(await ok(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator,User Administrator', '--name', 'Contoso GDAP', '--json', '--live'])).granular.relationshipId;
  fake.approve(relId, { tenantId: CONTOSO, displayName: 'Contoso' });
  await ok(['sync', '--json']);
  groupId = JSON.parse(await ok(['group', 'create', 'Helpdesk', '--json', '--live'])).objectId;
  await ok(['group', 'add-member', 'Helpdesk', LEE, '--live']);
  await ok(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator', '--live']);
});

type L = { link: string; state: string; source: string; readAt: string; fix?: string };
const why = async (live: boolean): Promise<{ r: Result; paths: { via: string; links: L[] }[] }> => {
  const r = await runBin(['access', 'why', LEE, 'contoso.com', '--json', ...(live ? ['--live'] : [])], env);
  return { r, paths: JSON.parse(r.stdout).paths };
};

describe('access why --live', () => {
  it('pending at Microsoft (the fake: pending until read once), then holds, every link read from Microsoft now; only GETs are sent, the ledger unchanged', async () => {
    const before = await storeHash(sb.db);
    const sent = fake.requests.length;
    // As Microsoft answers a new assignment (whatever earlier reads did to the fake's).
    fake.accessAssignments.get(relId)![0]!.status = 'pending';
    const first = await why(true);
    expect(first.r.code).toBe(1);
    expect(first.paths[0]!.links.at(-1)).toMatchObject({ link: 'assignment active', state: expect.stringMatching(/^pending;/), source: 'microsoft', fix: 'delegate sync --only relationships' });
    const { r, paths } = await why(true);
    expect(r.code).toBe(0);
    expect(paths[0]!.links.map((l) => [l.link, l.source])).toEqual([
      ['member of Helpdesk', 'microsoft'],
      ['Helpdesk assigned on "Contoso GDAP"', 'microsoft'],
      ['assignment active', 'microsoft'],
      ['relationship "Contoso GDAP" active', 'microsoft'],
      ['roles allow: read the client\'s users and domains', 'microsoft'],
    ]);
    const made = fake.requests.slice(sent);
    expect(made.length).toBeGreaterThan(0);
    expect(made.filter((x) => x.method !== 'GET')).toEqual([]);
    expect(await storeHash(sb.db)).toBe(before);
  });

  it('a member removed at Microsoft: the ledger still says member, --live names the broken link and its fix', async () => {
    await why(true);
    fake.groups.get(groupId)!.members.delete(leeId);
    expect((await why(false)).r.code).toBe(0);
    const { r, paths } = await why(true);
    expect(r.code).toBe(1);
    expect(paths[0]!.links).toEqual([{ link: 'member of Helpdesk', state: 'not a member', source: 'microsoft', readAt: expect.any(String), fix: `delegate group add-member Helpdesk ${LEE}` }]);
  });

  it('an assignment in error at Microsoft, and a relationship expiring there', async () => {
    await why(true); // read once: the fake's pending assignment is active from then on
    fake.accessAssignments.get(relId)![0]!.status = 'error';
    let { r, paths } = await why(true);
    expect(r.code).toBe(1);
    expect(paths[0]!.links.at(-1)).toMatchObject({ link: 'assignment active', state: 'error at Microsoft: make it again', source: 'microsoft' });
    fake.accessAssignments.get(relId)![0]!.status = 'active';
    fake.relationships.get(relId)!.status = 'expiring';
    ({ r, paths } = await why(true));
    expect(r.code).toBe(1);
    expect(paths[0]!.links.at(-1)).toMatchObject({ link: 'relationship "Contoso GDAP" active', state: expect.stringMatching(/^expiring;/), source: 'microsoft', fix: expect.stringMatching(/^delegate offer create --granular/) });
  });
});

describe('access show --live', () => {
  type Row = { user: string; client: string; role: { name: string }; readAt: string };
  const show = async (live: boolean): Promise<{ r: Result; rows: Row[] }> => {
    const r = await runBin(['access', 'show', '--client', 'contoso.com', '--json', ...(live ? ['--live'] : [])], env);
    return { r, rows: r.code === 0 ? (JSON.parse(r.stdout) as Row[]) : [] };
  };

  it("reads the client's relationship, its assignments and the group's members now: a member added at Microsoft shows, one removed there goes; only GETs, the ledger unchanged", async () => {
    // As Microsoft answers an assignment already made (the fake: pending until read once).
    await why(true);
    const before = await storeHash(sb.db);
    const kim = fake.addUser('kim@fabrikam.com');
    fake.groups.get(groupId)!.members.add(kim);
    fake.groups.get(groupId)!.members.delete(leeId);
    const ledger = await show(false);
    expect(ledger.rows.map((x) => x.user)).toEqual([LEE]);
    const sent = fake.requests.length;
    const { r, rows } = await show(true);
    expect(`exit ${r.code}: ${r.stderr}`).toMatch(/^exit 0/);
    expect(rows.map((x) => [x.user, x.client, x.role.name])).toEqual([['kim@fabrikam.com', 'contoso.com', 'Helpdesk Administrator']]);
    expect(fake.requests.slice(sent).filter((x) => x.method !== 'GET')).toEqual([]);
    expect(await storeHash(sb.db)).toBe(before);
  });

  it('a relationship Microsoft ended: no row through it; above 50 clients without --client: exit 2 before any request', async () => {
    await why(true);
    fake.relationships.get(relId)!.status = 'terminated';
    expect((await show(false)).rows).toHaveLength(1);
    expect((await show(true)).rows).toEqual([]);
    const offer = JSON.parse(await ok(['offer', 'create', '--json'])).id as string;
    for (let i = 0; i < 51; i++) await ok(['client', 'accept', offer, '--domain', `c${i}.example`]);
    const sent = fake.requests.length;
    const r = await runBin(['access', 'show', '--live'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/name at most 50 with --client/);
    expect(fake.requests.length).toBe(sent);
  });
});
