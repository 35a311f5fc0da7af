/**
 * Bulk relationship actions (SPEC.md "Fleet work and the shell"): `client
 * extend`, `client terminate` and `client remove-role` over many clients:
 * the bulk rules (all-or-nothing, every bad client named, --dry-run), --all
 * with what it skips, one line per client, permissions, audit, --plan and
 * --live against the fake.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import { ADMIN, TENANT, auditOf, copySandbox, expectRefused, expectUnchanged, runBin, sandbox, setupIn, storeHash, withStore, type Result, type Sandbox } from '../helpers/cli.js';
import { checkPlan } from '../helpers/plan.js';

const T0 = '2026-03-01T09:00:00.000Z';
const T1 = '2026-03-02T09:00:00.000Z';
const LEE = 'lee@fabrikam.com'; // limited admin access
const GA = '62e90394-69f5-4237-9190-012177145e10';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

const sandboxes: Sandbox[] = [];
let template: Sandbox;
const rel: Record<string, string> = {};

/** contoso.com: Global Administrator and Helpdesk; wingtip.com and tailspin.com: Helpdesk; fourth.com: DAP only. */
async function build(): Promise<Sandbox> {
  const sb = await sandbox();
  sb.env.DELEGATE_NOW = T0;
  sandboxes.push(sb);
  await setupIn(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupIn(sb, ['user', 'add', LEE]);
  await setupIn(sb, ['user', 'grant-admin', LEE, '--role', 'limited']);
  for (const [name, roles] of [
    ['contoso', 'Global Administrator,Helpdesk Administrator'],
    ['wingtip', 'Helpdesk Administrator'],
    ['tailspin', 'Helpdesk Administrator'],
  ] as const) {
    const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--granular', '--name', name, '--roles', roles, '--json']));
    rel[name] = offer.granular.relationshipId;
    await setupIn(sb, ['client', 'accept', offer.id, '--domain', `${name}.com`]);
  }
  const plain = JSON.parse(await setupIn(sb, ['offer', 'create', '--json']));
  await setupIn(sb, ['client', 'accept', plain.id, '--domain', 'fourth.com']);
  return sb;
}

beforeAll(async () => {
  template = await build();
});
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

async function copyOf(): Promise<Sandbox> {
  const sb = await copySandbox(template, { DELEGATE_NOW: T1 });
  sandboxes.push(sb);
  return sb;
}

async function ok(sb: Sandbox, args: string[]): Promise<Result> {
  const r = await runBin(args, sb.env);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}
const lines = async (sb: Sandbox, args: string[]) => JSON.parse((await ok(sb, [...args, '--json'])).stdout) as { client: string; outcome: string; relationships: string[]; detail: string }[];

describe('client extend, many clients', () => {
  test('--all turns auto-extend on where it can, one line per client, and lists those Global Administrator keeps out; each client audited', async () => {
    const sb = await copyOf();
    const out = await lines(sb, ['client', 'extend', '--all']);
    expect(out).toEqual([
      { client: 'tailspin.com', outcome: 'done', relationships: ['tailspin'], detail: 'auto-extend P180D' },
      { client: 'wingtip.com', outcome: 'done', relationships: ['wingtip'], detail: 'auto-extend P180D' },
      { client: 'contoso.com', outcome: 'skipped', relationships: [], detail: 'The granular relationship "contoso" with contoso.com includes Global Administrator, so it cannot auto-extend' },
    ]);
    const audit = (await auditOf(sb)).filter((e) => e.action === 'client.extend');
    expect(audit.map((e) => [e.target, e.outcome])).toEqual([
      ['tailspin.com', 'allowed'],
      ['wingtip.com', 'allowed'],
    ]);
    // Again: already as asked.
    expect((await lines(sb, ['client', 'extend', 'wingtip.com', 'tailspin.com'])).map((x) => x.outcome)).toEqual(['unchanged', 'unchanged']);
  });

  test('named clients are all-or-nothing: each bad one named in one line, exit 2, nothing written', async () => {
    await expectUnchanged(
      await copyOf(),
      ['client', 'extend', 'wingtip.com', 'contoso.com', 'nope.com', 'fourth.com'],
      2,
      /^Error: 3 bad clients, nothing written: The granular relationship "contoso" with contoso\.com includes Global Administrator, so it cannot auto-extend; nope\.com: no such client; fourth\.com has no granular relationship \(its client status is active\)\n$/,
    );
  });

  test('--file (a domain column; a tenant id also serves): bad rows named by line, nothing written', async () => {
    const sb = await copyOf();
    const file = join(sb.dir, 'clients.csv');
    writeFileSync(file, 'domain\nwingtip.com\nnope.com\nnot a domain\nwingtip.com\n');
    await expectUnchanged(sb, ['client', 'extend', '--file', file], 2, /^Error: .*clients\.csv: 3 bad rows, nothing written: line 3: nope\.com: no such client; line 4: .*; line 5: wingtip\.com appears twice \(also on line 2\)/);
    writeFileSync(file, 'domain\nwingtip.com\ntailspin.com\n');
    expect((await lines(sb, ['client', 'extend', '--file', file, '--off'])).map((x) => [x.client, x.outcome, x.detail])).toEqual([
      ['wingtip.com', 'unchanged', 'auto-extend already PT0S'],
      ['tailspin.com', 'unchanged', 'auto-extend already PT0S'],
    ]);
  });

  test('--dry-run prints the lines and writes nothing; --plan prints every client\'s requests with unique ids', async () => {
    const sb = await copyOf();
    const before = await storeHash(sb.db);
    const dry = await ok(sb, ['client', 'extend', '--all', '--dry-run']);
    expect(dry.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(dry.stderr).toMatch(/^Dry run: 2 clients would change, 1 skipped; nothing was written\.$/m);
    const plan = checkPlan((await ok(sb, ['client', 'extend', 'wingtip.com', 'tailspin.com', '--plan'])).stdout, 'global');
    expect(plan.map((p) => [p.id, p.method])).toEqual([
      ['c1_relationship', 'GET'],
      ['c1_extend', 'PATCH'],
      ['c2_relationship', 'GET'],
      ['c2_extend', 'PATCH'],
    ]);
    expect(plan[3]!.headers!['If-Match']).toBe('${c2_relationship.@odata.etag}');
    expect(plan[3]!.url).toContain(rel.tailspin);
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('limited access is refused once for the whole command (exit 4, audited)', async () => {
    await expectRefused(await copyOf(), ['--as', LEE, 'client', 'extend', '--all'], { actor: LEE, action: 'client.extend', target: 'arguments' }, /may not change how client relationships extend/);
  });

  test('one client named alone keeps the single-client output (the client JSON)', async () => {
    const sb = await copyOf();
    const one = JSON.parse((await ok(sb, ['client', 'extend', 'wingtip.com', '--json'])).stdout);
    expect(one).toMatchObject({ domain: 'wingtip.com', granular: { autoExtendDuration: 'P180D' } });
  });
});

describe('client terminate, many clients', () => {
  test('asks y/N (or --yes); each client one line, each audited', async () => {
    const sb = await copyOf();
    await expectUnchanged(sb, ['client', 'terminate', 'wingtip.com', 'tailspin.com'], 2, /pass --yes/);
    const out = await lines(sb, ['client', 'terminate', 'wingtip.com', 'tailspin.com', '--yes']);
    expect(out).toEqual([
      { client: 'wingtip.com', outcome: 'done', relationships: ['wingtip'], detail: 'terminated' },
      { client: 'tailspin.com', outcome: 'done', relationships: ['tailspin'], detail: 'terminated' },
    ]);
    expect((await auditOf(sb)).filter((e) => e.action === 'client.terminate').map((e) => e.target)).toEqual(['wingtip.com', 'tailspin.com']);
    // Terminated already: a bad client now.
    await expectUnchanged(sb, ['client', 'terminate', 'wingtip.com', 'contoso.com', '--yes'], 2, /1 bad client, nothing written: .*wingtip\.com/);
  });

  test('--plan: one terminate request per relationship, ids unique across clients', async () => {
    const sb = await copyOf();
    const plan = checkPlan((await ok(sb, ['client', 'terminate', 'wingtip.com', 'tailspin.com', '--plan'])).stdout, 'global');
    expect(plan.map((p) => [p.id, p.method, p.body])).toEqual([
      ['c1_terminate', 'POST', { action: 'terminate' }],
      ['c2_terminate', 'POST', { action: 'terminate' }],
    ]);
  });
});

describe('client remove-role', () => {
  test('--all --role "Global Administrator": removed where held, the rest listed as skipped; it can then auto-extend', async () => {
    const sb = await copyOf();
    const out = await lines(sb, ['client', 'remove-role', '--all', '--role', 'Global Administrator', '--yes']);
    expect(out[0]).toEqual({ client: 'contoso.com', outcome: 'done', relationships: ['contoso'], detail: 'Global Administrator removed' });
    expect(out.slice(1).map((x) => [x.client, x.outcome])).toEqual([
      ['tailspin.com', 'skipped'],
      ['wingtip.com', 'skipped'],
    ]);
    const c = JSON.parse((await ok(sb, ['client', 'show', 'contoso.com', '--json'])).stdout);
    expect(c.granular.roles.map((r: { id: string }) => r.id)).toEqual([HA]);
    expect((await auditOf(sb)).at(-1)).toMatchObject({ action: 'client.remove-role', target: 'contoso.com', detail: '"contoso": Global Administrator removed' });
    expect((await lines(sb, ['client', 'extend', 'contoso.com', 'wingtip.com'])).map((x) => x.outcome)).toEqual(['done', 'done']);
  });

  test('only Global Administrator (exit 2); --role is required (exit 2); a client without it is a bad client', async () => {
    const sb = await copyOf();
    await expectUnchanged(sb, ['client', 'remove-role', 'contoso.com', '--role', 'Helpdesk Administrator', '--yes'], 2, /Graph lets an active relationship lose only Global Administrator/);
    await expectUnchanged(sb, ['client', 'remove-role', 'contoso.com', '--yes'], 2, /Missing --role/);
    await expectUnchanged(sb, ['client', 'remove-role', 'wingtip.com', '--role', 'Global Administrator', '--yes'], 2, /No active granular relationship with wingtip\.com has Global Administrator/);
  });

  test('--plan: read for the ETag, then PATCH the roles it keeps with If-Match', async () => {
    const sb = await copyOf();
    const plan = checkPlan((await ok(sb, ['client', 'remove-role', 'contoso.com', '--role', GA, '--plan'])).stdout, 'global');
    expect(plan).toEqual([
      { id: 'c1_relationship', method: 'GET', url: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${rel.contoso}` },
      {
        id: 'c1_roles',
        method: 'PATCH',
        url: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${rel.contoso}`,
        headers: { 'If-Match': '${c1_relationship.@odata.etag}', 'Content-Type': 'application/json' },
        body: { accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }] } },
      },
    ]);
  });

  test('limited access is refused (exit 4, audited)', async () => {
    await expectRefused(await copyOf(), ['--as', LEE, 'client', 'remove-role', '--all', '--role', 'Global Administrator', '--yes'], { actor: LEE, action: 'client.remove-role', target: 'contoso.com' }, /may not end client relationships/);
  });
});

describe('--live, against the fake', () => {
  let fake: FakeMicrosoft;
  beforeAll(async () => {
    fake = await startFakeMicrosoft();
  });
  afterAll(async () => {
    await fake.close();
  });

  test('remove-role --live removes Global Administrator at Microsoft, then records it; extend --live over two clients', async () => {
    const sb = await copyOf();
    fake.relationships.clear();
    fake.requests.length = 0;
    // The relationships as Microsoft holds them, under the ledger's ids.
    const ids: Record<string, string> = {};
    for (const [name, roles] of [
      ['contoso', [GA, HA]],
      ['wingtip', [HA]],
    ] as const) {
      ids[name] = fake.addRelationship({ displayName: name, status: 'active', roles: [...roles] });
    }
    await withStore(sb.db, (store) =>
      store.write(async (tx) => {
        for (const name of ['contoso', 'wingtip']) {
          const r = (await tx.getRelationship(rel[name]!))!;
          // As sync records it: Microsoft's id and status (a relationship Microsoft never reported is a draft, refused live).
          await tx.replaceRelationship(r.id, { ...r, id: ids[name]!, msStatus: 'active' });
        }
      }),
    );
    const env = { ...sb.env, ...fake.env() };
    delete env.DELEGATE_NOW;
    const r = await runBin(['client', 'remove-role', 'contoso.com', '--role', 'Global Administrator', '--yes', '--live', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ client: 'contoso.com', outcome: 'done', relationships: ['contoso'], detail: 'Global Administrator removed' }]);
    expect((fake.relationships.get(ids.contoso!)!.accessDetails as { unifiedRoles: { roleDefinitionId: string }[] }).unifiedRoles).toEqual([{ roleDefinitionId: HA }]);
    expect((await auditOf(sb)).at(-1)).toMatchObject({ action: 'client.remove-role', detail: '"contoso": Global Administrator removed (at Microsoft)' });

    const ext = await runBin(['client', 'extend', 'contoso.com', 'wingtip.com', '--live', '--json'], env);
    expect(ext.code).toBe(0);
    expect(JSON.parse(ext.stdout).map((x: { client: string; outcome: string }) => [x.client, x.outcome])).toEqual([
      ['contoso.com', 'done'],
      ['wingtip.com', 'done'],
    ]);
    expect(fake.relationships.get(ids.wingtip!)!.autoExtendDuration).toBe('P180D');
  });
});
