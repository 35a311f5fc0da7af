/**
 * A client holding its delegated admin (DAP) relationship and granular ones at once, through the
 * CLI over simulated time: Microsoft's path from DAP to GDAP (approve GDAP, assign, end DAP),
 * `client show` in every output form, remove vs terminate, extend and assign with several
 * relationships, acting through either, `--status`, and bad input (exit code, one line, store unchanged).
 */
import { ADMIN, expectOneLine, runBin, runInProcess, runOk, sandbox, storeHash, TENANT, type Sandbox } from '../helpers/cli.js';

const DAY = 86_400_000;
const T0 = '2026-01-01T00:00:00.000Z';
const plus = (days: number) => new Date(Date.parse(T0) + days * DAY).toISOString();
const UMA = 'uma@fabrikam.com';
const GROUP_OID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(() => sb.cleanup());

const envAt = (day: number, as?: string) => ({ ...sb.env, DELEGATE_NOW: plus(day), ...(as ? { DELEGATE_AS: as } : {}) });
const cli = (day: number, args: string[], as?: string) => runInProcess(args, { env: envAt(day, as) });
const ok = (day: number, args: string[], as?: string) => runOk(args, { env: envAt(day, as) });
const json = async <T = any>(day: number, args: string[], as?: string): Promise<T> => JSON.parse(await ok(day, [...args, '--json'], as)) as T;

interface Rel {
  kind: 'dap' | 'granular';
  status: string;
  displayName?: string;
  autoExtendDuration?: string;
  removedAt?: string | null;
}
interface ClientJson {
  domain: string;
  status: string;
  removedAt: string | null;
  offerId: string;
  relationships: Rel[];
  granular?: { displayName: string; status: string };
}

/** A refused command: its exit code, one line on stderr, and the store's files unchanged. */
async function refused(day: number, args: string[], code: number, message: RegExp, as?: string): Promise<void> {
  const before = await storeHash(sb.db);
  const r = await cli(day, args, as);
  expect(r.code).toBe(code);
  expectOneLine(r.stderr, message);
  if (code !== 4) expect(await storeHash(sb.db)).toBe(before);
}

async function granularOffer(day: number, name: string, roles: string): Promise<string> {
  const o = await json<{ url: string }>(day, ['offer', 'create', '--granular', '--roles', roles, '--duration', 'P730D', '--name', name]);
  return o.url;
}

describe('a DAP client approves GDAP, then DAP is ended (in order)', () => {
  let dapLink: string;

  test('setting up: a DAP client, a group with a member', async () => {
    await ok(0, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
    await ok(0, ['offer', 'create', '-q']);
    dapLink = (await ok(0, ['offer', 'link'])).trim();
    await ok(0, ['client', 'accept', dapLink, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', OTHER_TENANT, '-q']);
    await ok(0, ['user', 'add', UMA, '--name', 'Uma']);
    await ok(0, ['group', 'create', 'Users', '--object-id', GROUP_OID]);
    await ok(0, ['group', 'add-member', 'Users', UMA]);
  });

  test('accepting a granular offer is not a conflict: the client holds both, and is told to end DAP once assigned', async () => {
    const url = await granularOffer(1, 'Contoso users', 'User Administrator,Helpdesk Administrator');
    const r = await cli(2, ['client', 'accept', url, '--domain', 'contoso.com', '--json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout) as ClientJson;
    expect(c).toMatchObject({ status: 'active', removedAt: null, granular: { displayName: 'Contoso users', status: 'active' } });
    expect(c.relationships.map((x) => [x.kind, x.status])).toEqual([['dap', 'active'], ['granular', 'active']]);
    expect(r.stderr).toMatch(/delegate client remove contoso\.com/);
    // The name and tenant id recorded with the DAP acceptance are kept.
    expect(c).toMatchObject({ domain: 'contoso.com' });
    expect(await json(2, ['client', 'show', 'contoso.com'])).toMatchObject({ name: 'Contoso', tenantId: OTHER_TENANT });
    const inbox = await json<{ message: string }[]>(2, ['inbox']);
    expect(inbox[inbox.length - 1]!.message).toMatch(/DAP\) relationship is still active.*delegate client remove contoso\.com/);
  });

  test('client show lists every relationship in plain, csv and table output; JSON lists them too', async () => {
    const plain = (await ok(2, ['client', 'show', 'contoso.com'])).trimEnd().split('\n').map((l) => l.split('\t'));
    expect(plain).toHaveLength(2);
    expect(plain.map((f) => [f[0], f[3], f[4], f[5], f[6]])).toEqual([
      ['contoso.com', 'active', 'dap', 'delegated admin (DAP)', 'active'],
      ['contoso.com', 'active', 'granular', 'Contoso users', 'active'],
    ]);
    expect(plain[1]![11]).toBe('Helpdesk Administrator, User Administrator');
    const csv = (await ok(2, ['client', 'show', 'contoso.com', '--output', 'csv'])).trimEnd().split('\n');
    expect(csv[0]).toBe('domain,name,tenantId,status,kind,relationship,relationshipStatus,offerId,acceptedAt,endsAt,relationshipId,roles,autoExtend');
    expect(csv).toHaveLength(3);
    const table = await ok(2, ['client', 'show', 'contoso.com', '--output', 'table']);
    expect(table).toMatch(/delegated admin \(DAP\)/);
    expect(table).toMatch(/Contoso users/);
  });

  test('acting uses what the user holds through any active relationship', async () => {
    // Uma has no admin access and no role yet: refused, audited (exit 4).
    await refused(3, ['client', 'user', 'add', 'contoso.com', 'alice@contoso.com'], 4, /uma@fabrikam\.com may not add a non-admin user in contoso\.com.*it holds no DAP admin access and no GDAP roles/, UMA);
    await ok(3, ['client', 'assign', 'contoso.com', '--group', 'Users', '--roles', 'User Administrator']);
    // Through the granular relationship's group role ...
    await ok(3, ['client', 'user', 'add', 'contoso.com', 'alice@contoso.com', '-q'], UMA);
    // ... and through DAP admin access (full), while DAP is active.
    await ok(3, ['client', 'user', 'add', 'contoso.com', 'bob@contoso.com', '-q'], ADMIN);
  });

  test('client remove ends only the DAP relationship; the granular one stays, and so does its access', async () => {
    const r = await cli(4, ['client', 'remove', 'contoso.com', '--yes', '--json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout) as ClientJson;
    expect(c.status).toBe('active');
    expect(c.relationships.map((x) => [x.kind, x.status])).toEqual([['dap', 'removed'], ['granular', 'active']]);
    expect(c.relationships[0]!.removedAt).toBe(plus(4));
    expect(r.stderr).toMatch(/"Contoso users" stays active/);
    // DAP access is gone: the admin holds no role on the granular relationship.
    await refused(5, ['client', 'user', 'add', 'contoso.com', 'carol@contoso.com'], 4, /it holds no GDAP roles\s*$/, ADMIN);
    await ok(5, ['client', 'user', 'add', 'contoso.com', 'carol@contoso.com', '-q'], UMA);
    // Ending DAP again is terminate now (the client has granular relationships only): shown below.
  });

  test('a second granular relationship: extend applies to each active one, skipping Global Administrator', async () => {
    const url = await granularOffer(6, 'Contoso admins', 'Global Administrator,User Administrator');
    await ok(7, ['client', 'accept', url, '--domain', 'contoso.com', '-q']);
    const r = await cli(8, ['client', 'extend', 'contoso.com', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Skipped "Contoso admins": Global Administrator/);
    const c = JSON.parse(r.stdout) as ClientJson;
    expect(c.relationships.filter((x) => x.kind === 'granular').map((x) => [x.displayName, x.autoExtendDuration])).toEqual([
      ['Contoso users', 'P180D'],
      ['Contoso admins', 'PT0S'],
    ]);
    // The newest active granular relationship is the one JSON features.
    expect(c.granular!.displayName).toBe('Contoso admins');
    await refused(8, ['client', 'extend', 'contoso.com', '--relationship', 'contoso ADMINS'], 5, /"Contoso admins" with contoso\.com includes Global Administrator/);
    await refused(8, ['client', 'extend', 'contoso.com', '--relationship', 'Nobody'], 3, /contoso\.com has no granular relationship "Nobody" \(its relationships: "Contoso users", "Contoso admins"\)/);
  });

  test('assign with several active relationships asks for one (exit 2), then applies to the one named', async () => {
    await refused(8, ['client', 'assign', 'contoso.com', '--group', 'Users', '--roles', 'User Administrator'], 2, /2 active granular relationships .*--relationship/);
    await refused(8, ['client', 'assign', 'contoso.com', '--group', 'Users', '--roles', 'User Administrator', '--relationship', 'Nope'], 3, /no granular relationship "Nope"/);
    await refused(8, ['client', 'assign', 'contoso.com', '--group', 'Users', '--roles', 'Helpdesk Administrator', '--relationship', 'Contoso admins'], 2, /not among the roles of the granular relationship "Contoso admins"/);
    const a = await json(8, ['client', 'assign', 'contoso.com', '--group', 'Users', '--roles', 'Global Administrator', '--relationship', 'Contoso admins']);
    expect(a).toMatchObject({ group: 'Users', roles: [{ name: 'Global Administrator' }] });
    // Roles held through both relationships count together: Global Administrator lets Uma add a domain.
    await ok(8, ['client', 'domain', 'add', 'contoso.com', 'contoso.net', '-q'], UMA);
  });

  test('--expiring lists the client once, with its soonest relationship and how many more', async () => {
    const lines = (await ok(9, ['client', 'list', '--expiring', '800'])).trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\t').slice(0, 4)).toEqual(['contoso.com', 'Contoso', 'active', 'Contoso users (+1 more)']);
  });

  test('--plan with several active relationships: one request (or GET and PATCH) per relationship, nothing written', async () => {
    const before = await storeHash(sb.db);
    const term = await cli(10, ['client', 'terminate', 'contoso.com', '--plan']);
    expect(term.code).toBe(0);
    const requests = JSON.parse(term.stdout) as { id: string; method: string; body?: { action?: string } }[];
    expect(requests.map((r) => [r.id, r.method, r.body?.action])).toEqual([
      ['terminate-1', 'POST', 'terminate'],
      ['terminate-2', 'POST', 'terminate'],
    ]);
    const ext = await cli(10, ['client', 'extend', 'contoso.com', '--off', '--plan']);
    expect(ext.code).toBe(0);
    expect((JSON.parse(ext.stdout) as { id: string }[]).map((r) => r.id)).toEqual(['relationship', 'extend']);
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('terminate ends the named relationship, or each active one; then the status is Graph’s', async () => {
    const one = await cli(10, ['client', 'terminate', 'contoso.com', '--relationship', 'Contoso admins', '--yes', '--json']);
    expect(one.code).toBe(0);
    expect(one.stderr).toMatch(/Terminated granular relationship "Contoso admins"/);
    expect((JSON.parse(one.stdout) as ClientJson).status).toBe('active');
    await refused(10, ['client', 'terminate', 'contoso.com', '--relationship', 'Contoso admins', '--yes'], 5, /"Contoso admins" with contoso\.com is already terminated/);
    // client remove on a client without an active DAP relationship is terminate.
    const rest = await cli(11, ['client', 'remove', 'contoso.com', '--yes', '--json']);
    expect(rest.code).toBe(0);
    expect(rest.stderr).toMatch(/Terminated granular relationship "Contoso users"/);
    const c = JSON.parse(rest.stdout) as ClientJson;
    expect(c).toMatchObject({ status: 'terminated', removedAt: plus(11) });
    expect(c.relationships.map((x) => x.status)).toEqual(['removed', 'terminated', 'terminated']);
    await refused(12, ['client', 'remove', 'contoso.com', '--yes'], 5, /already terminated/);
    await refused(12, ['client', 'terminate', 'contoso.com', '--yes'], 5, /already terminated/);
    await refused(12, ['client', 'user', 'list', 'contoso.com'], 4, /granular relationship "Contoso admins" is terminated/, UMA);
  });

  test('--status takes active, removed or a Graph status; anything else is exit 2 naming them', async () => {
    expect((await ok(12, ['client', 'list', '--status', 'terminated'])).split('\t')[0]).toBe('contoso.com');
    expect(await ok(12, ['client', 'list', '--status', 'removed'])).toBe('');
    expect(await ok(12, ['client', 'list', '--status', 'approvalPending'])).toBe('');
    expect((await ok(12, ['client', 'list', '--status', 'TERMINATED'])).split('\t')[0]).toBe('contoso.com');
    await refused(12, ['client', 'list', '--status', 'gone'], 2, /--status.*active, removed, created, approvalPending.*terminated/);
  });

  test('a granular client may accept a DAP offer again; a second DAP acceptance while active is exit 5', async () => {
    const again = await json<ClientJson>(13, ['client', 'accept', dapLink, '--domain', 'contoso.com']);
    expect(again.status).toBe('active');
    expect(again.relationships.map((x) => [x.kind, x.status])).toEqual([['granular', 'terminated'], ['granular', 'terminated'], ['dap', 'active']]);
    await refused(14, ['client', 'accept', dapLink, '--domain', 'contoso.com'], 5, /already an active client with a delegated admin \(DAP\) relationship/);
    await refused(14, ['client', 'accept', dapLink, '--domain', 'contoso.com', '--tenant-id', TENANT], 5, /contoso\.com is tenant 1111/);
    // terminate on a client whose only active relationship is DAP names `client remove`.
    await refused(14, ['client', 'terminate', 'contoso.com', '--yes'], 5, /no active granular relationship; .*delegate client remove contoso\.com/);
  });
});

test('the built CLI: a DAP client accepting a granular offer shows both relationships, one line each', async () => {
  const own = await sandbox();
  try {
    const at = { ...own.env, DELEGATE_NOW: T0 };
    const run = async (args: string[]) => {
      const r = await runBin(args, at);
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await run(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
    await run(['offer', 'create', '-q']);
    await run(['client', 'accept', (await run(['offer', 'link'])).trim(), '--domain', 'contoso.com', '-q']);
    const offer = JSON.parse(await run(['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'Read only', '--json'])) as { url: string };
    await run(['client', 'accept', offer.url, '--domain', 'contoso.com', '-q']);
    const lines = (await run(['client', 'show', 'contoso.com'])).trimEnd().split('\n');
    expect(lines.map((l) => l.split('\t')[4])).toEqual(['dap', 'granular']);
  } finally {
    await own.cleanup();
  }
});
