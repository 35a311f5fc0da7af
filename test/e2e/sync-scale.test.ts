/**
 * `delegate sync` at partner scale (SPEC.md "Sync at partner scale") against the loopback fake, on
 * both backends: DAP customers imported (and kept out of offers), incremental reads (a second sync
 * with nothing changed reads no access assignments and asks Partner Center nothing; a new ETag reads
 * that relationship's again; --full reads everything), staged reads resumed after a failure, a
 * SIGINT and a SIGKILL (and --restart discarding them), a record written after its read kept
 * (keptNewer), a relationship deleted at Microsoft, and one sync at a time.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { hostname } from 'node:os';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { killAfterAnswer } from '../helpers/faults.js';
import { fakeForSuite, liveSandbox } from '../helpers/live.js';
import { ADMIN, ledgerOf, runBin, storeSql, TENANT, type Sandbox } from '../helpers/cli.js';

interface SyncJson {
  counts: { added: number; changed: number; ended: number };
  changes: { kind: string; what: string; target: string; detail: string }[];
  keptNewer: string[];
  deletedAtMicrosoft: string[];
  notAtMicrosoft: string[];
  reads: { requests: { graph: number; partnerCenter: number }; resumed: number; assignmentsSkipped: number; dapSkipped: number };
}

const theFake = fakeForSuite();
let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;

const tenant = (i: number) => `0000${String(i).padStart(4, '0')}-1b2c-4d3e-8f4a-5b6c7d8e9f01`;
const ok = async (args: string[]): Promise<string> => {
  const r = await runBin(args, env);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
};
const sync = async (extra: string[] = []): Promise<SyncJson> => JSON.parse(await ok(['sync', '--json', ...extra])) as SyncJson;
const pcReads = () => fake.seen({ service: 'partnerCenter', path: /^\/v1\/customers\// }).length;
const assignmentReads = () => fake.requests.filter((r) => /\/accessAssignments$/.test(r.path) && r.method === 'GET').length;

/** `n` customers with active GDAP relationships; every third also has DAP at Partner Center. */
function customers(n: number): string[] {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    fake.addCustomer({ tenantId: tenant(i), displayName: `Customer ${i}`, defaultDomainName: `customer${i}.example`, allowDelegatedAccess: i % 3 === 0 });
    ids.push(fake.addRelationship({ displayName: `GDAP ${i}`, status: 'active', customer: { tenantId: tenant(i), displayName: `Customer ${i}` } }));
  }
  return ids;
}

beforeEach(async () => {
  ({ fake, sb, env } = await liveSandbox(theFake()));
  await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
});
afterEach(() => sb.cleanup());

describe('DAP customers', () => {
  it('a customer with DAP the ledger lacks is imported as a client with active DAP, against an offer of origin sync that offers never use', async () => {
    fake.addCustomer({ tenantId: tenant(1), displayName: 'Contoso', defaultDomainName: 'contoso.com', allowDelegatedAccess: true });
    fake.addCustomer({ tenantId: tenant(2), displayName: 'No DAP', defaultDomainName: 'nodap.example', allowDelegatedAccess: false });
    const r = await sync(['--only', 'clients']);
    expect(r.changes).toEqual([{ kind: 'added', what: 'client', target: 'contoso.com', detail: 'Contoso (delegated admin (DAP) at Partner Center: imported)' }]);
    const c = JSON.parse(await ok(['client', 'show', 'contoso.com', '--json'])) as Record<string, any>;
    expect(c).toMatchObject({ domain: 'contoso.com', name: 'Contoso', tenantId: tenant(1), status: 'active' });
    // The imported offer: only with --all, origin sync, status imported; never the offer a link or an acceptance uses.
    expect(JSON.parse(await ok(['offer', 'list', '--json']))).toEqual([]);
    const all = JSON.parse(await ok(['offer', 'list', '--all', '--json'])) as { origin: string; status: string; id: string }[];
    expect(all).toEqual([expect.objectContaining({ origin: 'sync', status: 'imported' })]);
    const link = await runBin(['offer', 'link'], env);
    expect(link.code).toBe(5);
    expect(link.stdout).toBe('');
    const revoke = await runBin(['offer', 'revoke', all[0]!.id, '--yes'], env);
    expect(revoke.code).toBe(5);
    expect(revoke.stderr).toMatch(/imported/);
    // A second sync changes nothing and asks Partner Center nothing more (known, read just now).
    const before = pcReads();
    expect((await sync(['--only', 'clients'])).changes).toEqual([]);
    expect(pcReads() - before).toBe(1);
  });
});

describe('incremental reads', () => {
  it('a second sync with nothing changed reads no access assignments and only unknown customers at Partner Center; a new ETag reads that one; --full reads all', async () => {
    const ids = customers(12);
    const first = await sync();
    expect(first.counts.added).toBeGreaterThanOrEqual(24);
    expect(assignmentReads()).toBe(12);
    expect(pcReads()).toBe(12);

    fake.requests.length = 0;
    const second = await sync();
    expect(second.changes).toEqual([]);
    expect(assignmentReads()).toBe(0);
    // Every customer is a client now; those with DAP were read just now: nobody is read again.
    expect(pcReads()).toBe(0);
    expect(second.reads).toMatchObject({ assignmentsSkipped: 12, dapSkipped: 12 });
    expect(second.reads.requests.graph).toBeLessThanOrEqual(first.reads.requests.graph / 4);

    fake.requests.length = 0;
    fake.relationships.get(ids[4]!)!['@odata.etag'] = 'W/"changed"';
    await sync();
    expect(assignmentReads()).toBe(1);

    fake.requests.length = 0;
    await sync(['--full']);
    expect(assignmentReads()).toBe(12);
    expect(pcReads()).toBe(12);
  });
});

describe('staged and resumable', () => {
  it('a failure after the relationships were read: the ledger unchanged, the next sync resumes without reading them again; --restart reads them again', async () => {
    customers(5);
    fake.fault({ kind: 'error', service: 'partnerCenter', path: /^\/v1\/customers\//, status: 500, times: Infinity });
    const before = await ledgerOf(sb.db);
    const failed = await runBin(['sync'], env);
    expect(failed.code).toBe(1);
    expect(await ledgerOf(sb.db)).toEqual(before);
    expect((await storeSql(sb.db, "SELECT count(*) AS n FROM sync_stage WHERE kind = 'relationship'"))[0]!.n).toBe(5);
    fake.clearFaults();
    fake.requests.length = 0;
    const resumed = await runBin(['sync', '--json'], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/Resuming an interrupted sync/);
    expect(fake.seen({ service: 'graph', path: '/tenantRelationships/delegatedAdminRelationships' })).toHaveLength(0);
    expect((JSON.parse(resumed.stdout) as SyncJson).counts.added).toBe(10);
    // Done: nothing stays staged.
    expect((await storeSql(sb.db, 'SELECT count(*) AS n FROM sync_stage'))[0]!.n).toBe(0);

    fake.fault({ kind: 'error', service: 'partnerCenter', path: /^\/v1\/customers\//, status: 500, times: Infinity });
    expect((await runBin(['sync', '--full'], env)).code).toBe(1);
    fake.clearFaults();
    fake.requests.length = 0;
    expect((await runBin(['sync', '--full', '--restart'], env)).code).toBe(0);
    expect(fake.seen({ service: 'graph', path: '/tenantRelationships/delegatedAdminRelationships' })).toHaveLength(1);
  });

  it('a list cut after its first page: the next sync carries on from the staged next link, not from the start', async () => {
    customers(5);
    fake.pageSize = 2;
    const list = '/tenantRelationships/delegatedAdminRelationships';
    fake.fault({ kind: 'error', service: 'graph', path: list, status: 500, after: 1, times: Infinity });
    expect((await runBin(['sync'], env)).code).toBe(1);
    expect((await storeSql(sb.db, "SELECT count(*) AS n FROM sync_stage WHERE kind = 'relationship'"))[0]!.n).toBe(2);
    fake.clearFaults();
    fake.requests.length = 0;
    const r = await runBin(['sync', '--json'], env);
    expect(`exit ${r.code}: ${r.stderr}`).toMatch(/^exit 0: Resuming an interrupted sync/);
    // Pages 2 and 3 only: the first request carries the skip token of the link page 1 gave.
    const pages = fake.seen({ service: 'graph', path: list });
    expect(pages).toHaveLength(2);
    expect(pages[0]!.query).toMatch(/skiptoken/);
    expect((JSON.parse(r.stdout) as SyncJson).counts.added).toBe(10);
  });

  it.each([['SIGKILL'], ['SIGINT']] as const)('%s in the middle of the Partner Center reads: the next sync sends fewer requests and ends with the full ledger', async (signal) => {
    customers(40);
    // What an uninterrupted sync sends (a dry run reads the same, and keeps nothing).
    await ok(['sync', '--dry-run']);
    const full = fake.requests.length;
    fake.requests.length = 0;
    // Once 30 customers were answered and the 31st is held, and the first twenty answers are staged.
    const staged = async () => Number((await storeSql(sb.db, "SELECT count(*) AS n FROM sync_stage WHERE kind = 'dap'"))[0]!.n);
    const beforeKill = async () => {
      for (let i = 0; i < 600 && (await staged()) < 20; i++) await new Promise((r) => setTimeout(r, 50));
    };
    const k = await killAfterAnswer(fake, sb, ['sync', '--json'], { method: 'GET', path: /^\/v1\/customers\//, after: 30 }, { signal, beforeKill });
    expect(await staged()).toBeGreaterThanOrEqual(20);
    if (signal === 'SIGKILL') expect(k.signal).toBe('SIGKILL');
    else expect(k.code).toBe(130);
    fake.clearFaults();
    fake.requests.length = 0;
    const r = await runBin(['sync', '--json'], env);
    expect(`exit ${r.code}: ${r.stderr}`).toMatch(/^exit 0: Resuming an interrupted sync/);
    const again = fake.requests.length;
    expect(again).toBeLessThan(full);
    expect(pcReads()).toBeLessThan(40);
    const clients = JSON.parse(await ok(['client', 'list', '--json'])) as unknown[];
    expect(clients).toHaveLength(40);
  });
});

describe('what the ledger wrote after the read', () => {
  it('a relationship whose client was written after the read keeps the ledger\'s value (keptNewer); the next fresh sync applies Microsoft\'s', async () => {
    const [id] = customers(1);
    await sync();
    // Microsoft ends it; a sync reads that, then fails before recording it.
    fake.relationships.get(id!)!.status = 'terminated';
    fake.fault({ kind: 'error', service: 'partnerCenter', path: /^\/v1\/customers\//, status: 500, times: Infinity });
    const failed = await runBin(['sync', '--full'], env);
    expect(failed.code).toBe(1);
    fake.clearFaults();
    // Meanwhile a technician writes on that client.
    await ok(['client', 'extend', 'customer1.example', '--yes']);
    const resumed = await sync(['--full']);
    // The relationship was read before that write (the customer too, but nothing of it would change).
    expect(resumed.keptNewer).toEqual(['relationship GDAP 1 (written in the ledger after it was read)']);
    expect((JSON.parse(await ok(['client', 'show', 'customer1.example', '--json'])) as { status: string }).status).toBe('active');
    const fresh = await sync(['--full']);
    expect(fresh.keptNewer).toEqual([]);
    expect(fresh.changes).toContainEqual(expect.objectContaining({ kind: 'ended', what: 'relationship', target: 'GDAP 1' }));
  });
});

describe('relationships Microsoft no longer lists', () => {
  it('one Microsoft had as created is recorded deletedAtMicrosoft; an offline draft stays, not at Microsoft', async () => {
    const id = fake.addRelationship({ displayName: 'Draft at Microsoft', status: 'created' });
    await ok(['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'Offline draft']);
    await sync(['--only', 'relationships']);
    fake.relationships.delete(id);
    const r = await sync(['--only', 'relationships']);
    expect(r.deletedAtMicrosoft).toEqual(['Draft at Microsoft']);
    expect(r.notAtMicrosoft).toEqual([expect.stringMatching(/^Offline draft /)]);
    expect(r.changes).toEqual([expect.objectContaining({ kind: 'ended', what: 'relationship', target: 'Draft at Microsoft' })]);
  });
});

describe('agent groups and PIM for Groups', () => {
  it('a member of AdminAgents only through an activated PIM assignment is listed as an activation, not recorded as full access', async () => {
    const LEE = 'lee@fabrikam.com';
    const KIM = 'kim@fabrikam.com';
    await ok(['user', 'add', LEE, '--name', 'Lee']);
    await ok(['user', 'add', KIM, '--name', 'Kim']);
    const admins = fake.addGroup('AdminAgents');
    const helpdesk = fake.addGroup('HelpdeskAgents');
    const lee = fake.addUser(LEE);
    const kim = fake.addUser(KIM);
    fake.groups.get(admins)!.members.add(lee);
    fake.groups.get(helpdesk)!.members.add(kim);
    // Lee's selfActivate, provisioned, for eight hours from now
    // (https://learn.microsoft.com/graph/api/resources/privilegedaccessgroupassignmentschedulerequest).
    const start = new Date().toISOString();
    fake.pim.assignmentRequests.push({ id: 'req-1', status: 'Provisioned', action: 'selfActivate', accessId: 'member', groupId: admins, principalId: lee, createdDateTime: start, justification: 'ticket 1', scheduleInfo: { startDateTime: start, expiration: { type: 'afterDuration', duration: 'PT8H' } } });
    const r = (await sync(['--only', 'users'])) as SyncJson & { activations: string[] };
    expect(r.activations).toEqual([expect.stringMatching(/^lee@fabrikam\.com in AdminAgents until .* \(activated\)$/)]);
    const users = JSON.parse(await ok(['user', 'list', '--json'])) as { email: string; adminAccess: string }[];
    expect(users.find((u) => u.email === LEE)!.adminAccess).toBe('none');
    expect(users.find((u) => u.email === KIM)!.adminAccess).toBe('limited');
  });
});

describe('one sync at a time', () => {
  it('a second sync while one holds its lease is exit 5 naming it, the ledger unchanged', async () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    await storeSql(
      sb.db,
      'INSERT INTO sync_run (id, started_at, parts, full_read, owner_host, owner_pid, lease_until) VALUES (1, ?, ?, 0, ?, ?, ?)',
      new Date().toISOString(), 'clients,relationships,users', hostname(), process.pid, until,
    );
    const before = await ledgerOf(sb.db);
    const r = await runBin(['sync'], env);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`a sync is already running on this store \\(process ${process.pid} on `));
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await ledgerOf(sb.db)).toEqual(before);
  });
});
