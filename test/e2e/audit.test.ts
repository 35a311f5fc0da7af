/**
 * The audit trail end to end (SPEC.md "Audit"): what is recorded, the hash
 * chain recomputed here independently, tamper detection by `audit verify`,
 * and the filters of `delegate audit`.
 */
import { createHash } from 'node:crypto';
import { ADMIN, emptyStore, copyStore, storeSql, TENANT, expectOneLine, runBin, runInProcess, spawnBin, sandbox, storeHash, type Result, type Sandbox } from '../helpers/cli.js';
import { PG_MODE } from '../helpers/pg-e2e.js';

const T0 = '2026-03-01T09:00:00.000Z';
const T1 = '2026-03-02T09:00:00.000Z';
const T2 = '2026-03-03T09:00:00.000Z';
const LEE = 'lee@fabrikam.com';
const NOEL = 'noel@fabrikam.com';

interface Entry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: 'allowed' | 'denied';
  detail: string;
  hash: string;
}

const sandboxes: Sandbox[] = [];
let template: Sandbox;
let offerId: string;
let revokedOfferId: string;
/** The full trail of the template, as `audit --json` printed it. */
let trail: Entry[];

async function newSandbox(): Promise<Sandbox> {
  const sb = await sandbox();
  sandboxes.push(sb);
  return sb;
}

async function run(sb: Sandbox, args: string[], at: string, expectCode = 0): Promise<Result> {
  const r = await runBin(args, { ...sb.env, DELEGATE_NOW: at });
  if (r.code !== expectCode) throw new Error(`delegate ${args.join(' ')} exited ${r.code}, expected ${expectCode}: ${r.stderr}`);
  return r;
}

/** Set-up steps run in this process (same runCli as the binary, without the start-up cost). */
async function step(sb: Sandbox, args: string[], at: string, expectCode = 0): Promise<string> {
  const r = await runInProcess(args, { env: { ...sb.env, DELEGATE_NOW: at } });
  if (r.code !== expectCode) throw new Error(`delegate ${args.join(' ')} exited ${r.code}, expected ${expectCode}: ${r.stderr}`);
  return r.stdout;
}

async function audit(sb: Sandbox, args: string[] = []): Promise<Entry[]> {
  const r = await runBin(['audit', ...args, '--json'], sb.env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

async function copyOfTemplate(): Promise<Sandbox> {
  const sb = await newSandbox();
  await copyStore(template, sb);
  return sb;
}

/** Change the store behind delegate's back, as someone with the file (or the store's owner login) could: `fn` lists the SQL, run in order. */
async function tamper(sb: Sandbox, fn: (exec: (sql: string, ...params: unknown[]) => void) => void): Promise<void> {
  const statements: [string, unknown[]][] = [];
  fn((sql, ...params) => void statements.push([sql, params]));
  for (const [sql, params] of statements) await storeSql(sb.db, sql, ...params);
}

/** SPEC.md: sha256(previous hash + "\n" + JSON.stringify([seq, at, actor, action, target, outcome, detail])), 64 zeros first. */
function chainHash(prev: string, e: Omit<Entry, 'hash'>): string {
  return createHash('sha256')
    .update(prev + '\n' + JSON.stringify([e.seq, e.at, e.actor, e.action, e.target, e.outcome, e.detail]))
    .digest('hex');
}

beforeAll(async () => {
  template = await newSandbox();
  const sb = template;
  await step(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], T0); // 1
  await step(sb, ['user', 'add', LEE, '--name', 'Lee'], T0); // 2
  await step(sb, ['user', 'grant-admin', LEE, '--role', 'limited'], T0); // 3
  await step(sb, ['user', 'add', NOEL], T0); // 4
  offerId = JSON.parse(await step(sb, ['offer', 'create', '--json'], T0)).id; // 5
  revokedOfferId = JSON.parse(await step(sb, ['offer', 'create', '--json'], T0)).id; // 6
  await step(sb, ['offer', 'revoke', revokedOfferId, '--yes'], T0); // 7
  await step(sb, ['client', 'accept', offerId, '--domain', 'contoso.com'], T1); // 8
  await step(sb, ['client', 'accept', offerId, '--domain', 'contoso.com.au'], T1); // 9
  await step(sb, ['inbox', 'read', '--all'], T1); // 10
  await step(sb, ['client', 'user', 'add', 'contoso.com', 'alex@contoso.com'], T1); // 11
  await step(sb, ['--as', LEE, 'client', 'user', 'add', 'contoso.com', 'x@contoso.com'], T1, 4); // 12 denied
  await step(sb, ['--as', NOEL, 'offer', 'create'], T1, 4); // 13 denied
  await step(sb, ['--as', LEE, 'user', 'remove', NOEL, '--yes'], T2, 4); // 14 denied
  await step(sb, ['user', 'revoke-admin', LEE, '--yes'], T2); // 15
  await step(sb, ['client', 'remove', 'contoso.com.au', '--yes'], T2); // 16
  await step(sb, ['user', 'remove', NOEL, '--yes'], T2); // 17
  trail = await audit(sb);
});
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

const seqs = (entries: Entry[]) => entries.map((e) => e.seq);

describe('what is recorded', () => {
  test('every change and every refusal, in order, with who, what, on what and the outcome', () => {
    expect(trail.map((e) => [e.seq, e.actor, e.action, e.target, e.outcome])).toEqual([
      [1, ADMIN, 'partner.init', TENANT, 'allowed'],
      [2, ADMIN, 'user.add', LEE, 'allowed'],
      [3, ADMIN, 'user.grant-admin', LEE, 'allowed'],
      [4, ADMIN, 'user.add', NOEL, 'allowed'],
      [5, ADMIN, 'offer.create', offerId, 'allowed'],
      [6, ADMIN, 'offer.create', revokedOfferId, 'allowed'],
      [7, ADMIN, 'offer.revoke', revokedOfferId, 'allowed'],
      [8, ADMIN, 'client.accept', 'contoso.com', 'allowed'],
      [9, ADMIN, 'client.accept', 'contoso.com.au', 'allowed'],
      [10, ADMIN, 'inbox.read', 'all', 'allowed'],
      [11, ADMIN, 'client.user.add', 'contoso.com/alex@contoso.com', 'allowed'],
      [12, LEE, 'client.user.add', 'contoso.com/x@contoso.com', 'denied'],
      [13, NOEL, 'offer.create', TENANT, 'denied'],
      [14, LEE, 'user.remove', NOEL, 'denied'],
      [15, ADMIN, 'user.revoke-admin', LEE, 'allowed'],
      [16, ADMIN, 'client.remove', 'contoso.com.au', 'allowed'],
      [17, ADMIN, 'user.remove', NOEL, 'allowed'],
    ]);
  });

  test('entries carry exactly seq, at, actor, action, target, outcome, detail, hash; at is the command time', () => {
    for (const e of trail) expect(Object.keys(e).sort()).toEqual(['action', 'actor', 'at', 'detail', 'hash', 'outcome', 'seq', 'target']);
    expect(trail.map((e) => e.at)).toEqual([...Array(7).fill(T0), ...Array(6).fill(T1), ...Array(4).fill(T2)]);
    expect(trail[2]!.detail).toBe('none -> limited');
    expect(trail[14]!.detail).toBe('limited -> none');
  });

  test('a refusal records the rule that refused it as its detail', () => {
    expect(trail[11]!.detail).toMatch(/^lee@fabrikam\.com may not add a non-admin user in contoso\.com: that needs DAP full admin access \(admin agent\).*; it holds DAP limited admin access \(helpdesk agent\)/);
    expect(trail[12]!.detail).toMatch(/^noel@fabrikam\.com may not create offers/);
    expect(trail[13]!.detail).toMatch(/only the partner's global admins/);
  });

  // Bug: a refused `user add` is audited with the target "arguments" (the
  // name of its row source) instead of the user it would have added.
  test('a refused user add names the user it would have added', async () => {
    const sb = await copyOfTemplate();
    await run(sb, ['--as', LEE, 'user', 'add', 'z@fabrikam.com'], T2, 4);
    expect((await audit(sb)).at(-1)).toMatchObject({ actor: LEE, action: 'user.add', target: 'z@fabrikam.com', outcome: 'denied' });
  });

  test('the hash chain recomputes independently from the printed entries', () => {
    let prev = '0'.repeat(64);
    for (const e of trail) {
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.hash).toBe(chainHash(prev, e));
      prev = e.hash;
    }
  });

  test('reading, bad input and not-found leave the trail and the store as they were', async () => {
    const sb = await copyOfTemplate();
    const before = await storeHash(sb.db);
    const reads: [string[], number][] = [
      [['user', 'list'], 0],
      [['client', 'list'], 0],
      [['client', 'show', 'contoso.com'], 0],
      [['offer', 'list', '--all'], 0],
      [['inbox'], 0],
      [['client', 'user', 'list', 'contoso.com', '--plan', 'graph'], 0],
      [['audit', 'verify'], 0],
      [['user', 'add', 'not-an-email'], 2],
      [['client', 'user', 'reset-password', 'contoso.com', 'ghost@contoso.com'], 3],
    ];
    for (const [args, code] of reads) expect([args.join(' '), (await runBin(args, sb.env)).code]).toEqual([args.join(' '), code]);
    expect(await storeHash(sb.db)).toBe(before);
    expect(await audit(sb)).toEqual(trail);
  });
});

describe('audit verify', () => {
  test('an intact trail: exit 0, the entry count and the head hash', async () => {
    const sb = await copyOfTemplate();
    const before = await storeHash(sb.db);
    const plain = await runBin(['audit', 'verify'], sb.env);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`ok\t17\t17:${trail[16]!.hash}\n`);
    const json = await runBin(['audit', 'verify', '--json'], sb.env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, entries: 17, head: { seq: 17, hash: trail[16]!.hash }, warnings: [] });
    expect(await storeHash(sb.db)).toBe(before);
  });

  async function expectBroken(sb: Sandbox, seq: number): Promise<Result> {
    const before = await storeHash(sb.db);
    const r = await runBin(['audit', 'verify'], sb.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^Error: Audit entry ${seq} `));
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await storeHash(sb.db)).toBe(before);
    return r;
  }

  test('an edited detail is found, naming that entry', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => exec("UPDATE audit SET detail = 'nothing to see' WHERE seq = 5"));
    await expectBroken(sb, 5);
    const j = await runBin(['audit', 'verify', '--json'], sb.env);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stderr)).toEqual({ error: { code: 'audit_mismatch', message: expect.stringMatching(/^Audit entry 5 /) } });
  });

  test('with several edits, the first one is named', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => {
      exec("UPDATE audit SET detail = 'x' WHERE seq = 12");
      exec("UPDATE audit SET detail = 'y' WHERE seq = 3");
    });
    await expectBroken(sb, 3);
  });

  test('a refusal turned into an allowed entry is found', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => exec("UPDATE audit SET outcome = 'allowed' WHERE seq = 12"));
    await expectBroken(sb, 12);
  });

  test('an edited actor or time is found', async () => {
    const a = await copyOfTemplate();
    await tamper(a, (exec) => exec('UPDATE audit SET actor = ? WHERE seq = 14', ADMIN));
    await expectBroken(a, 14);
    const b = await copyOfTemplate();
    await tamper(b, (exec) => exec("UPDATE audit SET at = '2026-02-28T09:00:00.000Z' WHERE seq = 1"));
    await expectBroken(b, 1);
  });

  test('re-hashing the edited entry itself breaks the next one', async () => {
    const sb = await copyOfTemplate();
    const forged = { ...trail[7]!, target: 'northwind.com' };
    await tamper(sb, (exec) => exec('UPDATE audit SET target = ?, hash = ? WHERE seq = 8', forged.target, chainHash(trail[6]!.hash, forged)));
    await expectBroken(sb, 9);
  });

  test('an edited hash on the last entry is found', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => exec("UPDATE audit SET hash = ? WHERE seq = 17", 'f'.repeat(64)));
    await expectBroken(sb, 17);
  });

  test('a deleted entry is found', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => exec('DELETE FROM audit WHERE seq = 8'));
    const r = await expectBroken(sb, 9);
    expect(r.stderr).toMatch(/8/);
  });

  test('a deleted entry with the rest renumbered is found', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => {
      exec('DELETE FROM audit WHERE seq = 8');
      exec('UPDATE audit SET seq = -(seq - 1) WHERE seq > 8');
      exec('UPDATE audit SET seq = -seq WHERE seq < 0');
    });
    await expectBroken(sb, 8);
  });

  test('a trail that verifies keeps verifying as new entries are appended after a check', async () => {
    const sb = await copyOfTemplate();
    await run(sb, ['--as', LEE, 'client', 'mdm', 'contoso.com'], T2, 4);
    await run(sb, ['client', 'domain', 'add', 'contoso.com', 'contoso.org'], T2);
    const entries = await audit(sb);
    expect(entries.slice(0, 17)).toEqual(trail);
    expect(entries.slice(17).map((e) => [e.seq, e.actor, e.action, e.outcome])).toEqual([
      [18, LEE, 'client.mdm', 'denied'],
      [19, ADMIN, 'client.domain.add', 'allowed'],
    ]);
    expect(entries[17]!.hash).toBe(chainHash(trail[16]!.hash, entries[17]!));
    expect(entries[18]!.hash).toBe(chainHash(entries[17]!.hash, entries[18]!));
    const r = await runBin(['audit', 'verify', '--json'], sb.env);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, entries: 19, head: { seq: 19, hash: entries[18]!.hash }, warnings: [] });
  });
});

test('concurrent writers, allowed and refused, each get their own entry and the chain stays intact', async () => {
  const sb = await copyOfTemplate();
  const commands: [string[], number][] = [
    [['client', 'user', 'add', 'contoso.com', 'c1@contoso.com'], 0],
    [['client', 'user', 'add', 'contoso.com', 'c2@contoso.com'], 0],
    [['client', 'domain', 'add', 'contoso.com', 'contoso.org'], 0],
    [['--as', LEE, 'client', 'user', 'list', 'contoso.com'], 4],
    [['client', 'mdm', 'contoso.com'], 4],
    [['--as', LEE, 'offer', 'create'], 4],
  ];
  // Processes of their own, at once (runBin runs one command at a time).
  const results = await Promise.all(commands.map(([args]) => spawnBin(args, { ...sb.env, DELEGATE_NOW: T2 })));
  expect(results.map((r) => r.code)).toEqual(commands.map(([, code]) => code));
  const entries = await audit(sb);
  expect(seqs(entries)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  expect(entries.slice(17).map((e) => e.action).sort()).toEqual(
    ['client.domain.add', 'client.mdm', 'client.user.add', 'client.user.add', 'client.user.list', 'offer.create'].sort(),
  );
  let prev = '0'.repeat(64);
  for (const e of entries) {
    expect(e.hash).toBe(chainHash(prev, e));
    prev = e.hash;
  }
  expect((await runBin(['audit', 'verify'], sb.env)).code).toBe(0);
});

describe('audit filters', () => {
  test('--actor: only that partner user’s entries', async () => {
    expect(seqs(await audit(template, ['--actor', LEE]))).toEqual([12, 14]);
    expect(seqs(await audit(template, ['--actor', 'Noel@Fabrikam.com']))).toEqual([13]);
    expect(await audit(template, ['--actor', 'nobody@fabrikam.com'])).toEqual([]);
  });

  test('--client: entries on that client and its users, not on a longer domain', async () => {
    expect(seqs(await audit(template, ['--client', 'contoso.com']))).toEqual([8, 11, 12]);
    expect(seqs(await audit(template, ['--client', 'contoso.com.au']))).toEqual([9, 16]);
  });

  test('--action: an exact name, or a prefix ending at a dot', async () => {
    expect(seqs(await audit(template, ['--action', 'offer.create']))).toEqual([5, 6, 13]);
    expect(seqs(await audit(template, ['--action', 'offer']))).toEqual([5, 6, 7, 13]);
    expect(seqs(await audit(template, ['--action', 'client']))).toEqual([8, 9, 11, 12, 16]);
    expect(seqs(await audit(template, ['--action', 'client.user']))).toEqual([11, 12]);
    expect(await audit(template, ['--action', 'off'])).toEqual([]);
  });

  test('--since: entries at or after that time, in any ISO-8601 spelling', async () => {
    expect(seqs(await audit(template, ['--since', T1]))).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(seqs(await audit(template, ['--since', '2026-03-03T10:00:00+01:00']))).toEqual([14, 15, 16, 17]);
    expect(seqs(await audit(template, ['--since', '2026-03-02']))).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(await audit(template, ['--since', '2026-03-03T09:00:00.001Z'])).toEqual([]);
  });

  test('filters combine, and filtered entries are the stored ones, hash included', async () => {
    const got = await audit(template, ['--actor', ADMIN, '--action', 'client', '--since', T2]);
    expect(got).toEqual([trail[15]]);
    expect(seqs(await audit(template, ['--client', 'contoso.com', '--action', 'client.user.add', '--actor', LEE]))).toEqual([12]);
  });

  test('csv has a header row; plain is one tab-separated line an entry; both without the hash', async () => {
    const csv = await runBin(['audit', '--output', 'csv', '--actor', LEE], template.env);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('seq,at,actor,action,target,outcome,detail');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^12,${T1},${LEE},client\\.user\\.add,contoso\\.com/x@contoso\\.com,denied,`));

    const plain = await runBin(['audit', '--output', 'plain', '--since', T2], template.env);
    expect(plain.code).toBe(0);
    const rows = plain.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => r.slice(0, 6))).toEqual(trail.slice(13).map((e) => [String(e.seq), e.at, e.actor, e.action, e.target, e.outcome]));
    for (const r of rows) expect(r).toHaveLength(7);
    expect(plain.stdout).not.toContain(trail[16]!.hash);
  });

  test('table output has the columns as a header', async () => {
    const r = await runBin(['audit', '--output', 'table', '--action', 'partner'], template.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/seq.*at.*actor.*action.*target.*outcome.*detail/);
    expect(r.stdout).toContain('partner.init');
  });
});

// ---------------------------------------------------------------------------
// Anchoring (SPEC.md "Audit"): a chain alone cannot show that its newest
// entries were cut off or that it was rewritten whole; `audit head` kept
// elsewhere and `audit verify --expect` can.

const ZEROS = '0'.repeat(64);

/** Rewrite the whole trail through `edit`, recomputing every hash, as someone with the file and SPEC.md could. */
async function rewriteChain(sb: Sandbox, edit: (e: Entry) => Entry): Promise<Entry[]> {
  let prev = ZEROS;
  const out = trail.map((e0) => {
    const e = edit({ ...e0 });
    e.hash = chainHash(prev, e);
    prev = e.hash;
    return e;
  });
  await tamper(sb, (exec) => {
    for (const e of out) exec('UPDATE audit SET at = ?, actor = ?, action = ?, target = ?, outcome = ?, detail = ?, hash = ? WHERE seq = ?', e.at, e.actor, e.action, e.target, e.outcome, e.detail, e.hash, e.seq);
  });
  return out;
}

/** `delegate ...args`: exit `code`, nothing on stdout, one line on stderr matching `message`, the store unchanged. */
async function refused(sb: Sandbox, args: string[], code: number, message: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const before = await storeHash(sb.db);
  const r = await runBin(args, { ...sb.env, ...env });
  expect([args.join(' '), r.code]).toEqual([args.join(' '), code]);
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, message);
  expect(await storeHash(sb.db)).toBe(before);
  return r;
}

const anchorOf = (e: Entry) => `${e.seq}:${e.hash}`;

describe('audit head', () => {
  test('prints the newest entry’s seq:hash (plain and table, as --expect takes it), json and csv; writes nothing', async () => {
    const sb = await copyOfTemplate();
    const before = await storeHash(sb.db);
    const head = trail[16]!;
    const plain = await runBin(['audit', 'head'], sb.env);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`17:${head.hash}\n`);
    expectOneLine(plain.stderr, new RegExp(`delegate audit verify --expect 17:${head.hash}`));
    const json = await runBin(['audit', 'head', '--json'], sb.env);
    expect(JSON.parse(json.stdout)).toEqual({ seq: 17, hash: head.hash });
    const csv = await runBin(['audit', 'head', '--output', 'csv'], sb.env);
    expect(csv.stdout).toBe(`seq,hash\n17,${head.hash}\n`);
    const table = await runBin(['audit', 'head', '--output', 'table'], sb.env);
    expect(table.stdout).toBe(`17:${head.hash}\n`);
    // What it prints is what --expect takes, and verify --json gives the same head object.
    expect((await runBin(['audit', 'verify', '--expect', plain.stdout.trim()], sb.env)).code).toBe(0);
    expect(JSON.parse((await runBin(['audit', 'verify', '--json'], sb.env)).stdout).head).toEqual(JSON.parse(json.stdout));
    expect((await runBin(['audit', 'head', '-q'], sb.env)).stderr).toBe('');
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('moves with each new entry, refused ones included', async () => {
    const sb = await copyOfTemplate();
    await run(sb, ['--as', LEE, 'offer', 'create'], T2, 4);
    const entries = await audit(sb);
    expect(JSON.parse((await runBin(['audit', 'head', '--json'], sb.env)).stdout)).toEqual({ seq: 18, hash: entries[17]!.hash });
  });

  test('the command its note suggests passes; an empty trail is exit 3; extra arguments exit 2', async () => {
    const sb = await copyOfTemplate();
    const note = (await runBin(['audit', 'head'], sb.env)).stderr;
    const suggested = /`delegate (audit verify --expect \S+)`/.exec(note)![1]!.split(' ');
    expect((await runBin(suggested, sb.env)).code).toBe(0);
    await refused(sb, ['audit', 'head', '17'], 2, /too many arguments|unknown/i);

    const empty = await newSandbox();
    await emptyStore(empty.db);
    await refused(empty, ['audit', 'head'], 3, /^Error: The audit trail has no entries yet/);
    await refused(empty, ['audit', 'verify', '--expect', `1:${ZEROS}`], 1, /^Error: Audit entry 1 is missing: the trail has no entries/);
  });
});

describe('audit verify --expect <seq>:<hash>', () => {
  test('an intact trail and its own head: exit 0; an older anchor stays valid as entries are appended; hex in any case', async () => {
    const sb = await copyOfTemplate();
    const before = await storeHash(sb.db);
    const r = await runBin(['audit', 'verify', '--expect', anchorOf(trail[16]!)], sb.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ok\t17\t17:${trail[16]!.hash}\n`);
    expect(r.stderr).toBe('Audit trail intact: 17 entries; entry 17 has the expected hash.\n');
    expect((await runBin(['audit', 'verify', '--expect', `17:${trail[16]!.hash.toUpperCase()}`], sb.env)).code).toBe(0);
    expect(await storeHash(sb.db)).toBe(before);
    await run(sb, ['client', 'domain', 'add', 'contoso.com', 'contoso.org'], T2);
    const j = await runBin(['audit', 'verify', '--expect', anchorOf(trail[16]!), '--json'], sb.env);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, entries: 18 });
    expect((await runBin(['audit', 'verify', '--expect', anchorOf(trail[4]!)], sb.env)).code).toBe(0);
  });

  test('the newest entries cut off: plain verify cannot tell; --expect names the missing entry (exit 1)', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => exec('DELETE FROM audit WHERE seq >= 15'));
    const plain = await runBin(['audit', 'verify'], sb.env);
    expect([plain.code, plain.stdout]).toEqual([0, `ok\t14\t14:${trail[13]!.hash}\n`]); // what a chain alone shows
    const r = await refused(sb, ['audit', 'verify', '--expect', anchorOf(trail[16]!)], 1, /^Error: Audit entry 17 is missing: the trail ends at entry 14/);
    expect(r.stderr).not.toMatch(/intact/);
    const j = await refused(sb, ['audit', 'verify', '--expect', anchorOf(trail[16]!), '--json'], 1, /^\{"error"/);
    expect(JSON.parse(j.stderr)).toEqual({ error: { code: 'audit_mismatch', message: expect.stringMatching(/^Audit entry 17 is missing/) } });
  });

  test('the newest entry cut off and a new one written in its place: --expect finds the other hash', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => exec('DELETE FROM audit WHERE seq = 17'));
    await run(sb, ['client', 'domain', 'add', 'contoso.com', 'contoso.org'], T2);
    expect((await runBin(['audit', 'verify'], sb.env)).code).toBe(0);
    await refused(sb, ['audit', 'verify', '--expect', anchorOf(trail[16]!)], 1, new RegExp(`^Error: Audit entry 17 does not match: its hash is [0-9a-f]{64}, not the expected ${trail[16]!.hash}`));
  });

  test('the whole chain rewritten with recomputed hashes (a refusal turned into an allowed change): plain verify passes; --expect fails', async () => {
    const sb = await copyOfTemplate();
    const forged = await rewriteChain(sb, (e) => (e.seq === 12 ? { ...e, outcome: 'allowed', detail: 'alex added' } : e));
    expect((await audit(sb))[11]).toMatchObject({ outcome: 'allowed', hash: forged[11]!.hash });
    expect((await runBin(['audit', 'verify'], sb.env)).code).toBe(0); // what a chain alone shows
    await refused(sb, ['audit', 'verify', '--expect', anchorOf(trail[16]!)], 1, /^Error: Audit entry 17 does not match: its hash is/);
    // An anchor vouches for the entries up to it, no further: entry 11 was not touched.
    expect((await runBin(['audit', 'verify', '--expect', anchorOf(trail[10]!)], sb.env)).code).toBe(0);
    await refused(sb, ['audit', 'verify', '--expect', anchorOf(trail[11]!)], 1, /^Error: Audit entry 12 does not match/);
  });

  test('a broken chain is reported first, whatever the anchor says', async () => {
    const sb = await copyOfTemplate();
    await tamper(sb, (exec) => exec("UPDATE audit SET detail = 'x' WHERE seq = 3"));
    await refused(sb, ['audit', 'verify', '--expect', anchorOf(trail[16]!)], 1, /^Error: Audit entry 3 does not match: its hash does not match its content/);
  });

  const h = 'ab'.repeat(32);
  test.each([
    ['no colon', '17'],
    ['no hash', '17:'],
    ['no seq', `:${h}`],
    ['seq 0', `0:${h}`],
    ['negative seq', `-1:${h}`],
    ['seq with a leading zero', `017:${h}`],
    ['seq not a number', `x:${h}`],
    ['seq in exponent form', `1e3:${h}`],
    ['a 63-digit hash', `17:${h.slice(1)}`],
    ['a 65-digit hash', `17:${h}a`],
    ['a hash that is not hex', `17:${'g'.repeat(64)}`],
    ['two anchors', `17:${h},16:${h}`],
    ['an enormous seq', `99999999999999999:${h}`],
    ['empty', ''],
  ])('a bad --expect (%s) is exit 2 naming the shape', async (_what, value) => {
    const sb = await copyOfTemplate();
    await refused(sb, ['audit', 'verify', '--expect', value], 2, /^Error: --expect must be <seq>:<hash> as `delegate audit head` prints it/);
  });

  test('--expect without a value is exit 2', async () => {
    const sb = await copyOfTemplate();
    await refused(sb, ['audit', 'verify', '--expect'], 2, /--expect/);
  });
});

// ---------------------------------------------------------------------------
// The ledger's time never runs backwards (SPEC.md "Behaviour every command keeps").

describe('the ledger’s time never runs backwards', () => {
  const EARLIER = '2026-03-02T09:00:00.000Z'; // T1: before the newest entry (T2)

  test.each([
    ['user add', ['user', 'add', 'new@fabrikam.com']],
    ['offer create', ['offer', 'create']],
    ['client accept', () => ['client', 'accept', offerId, '--domain', 'northwind.com']],
    ['client user add', ['client', 'user', 'add', 'contoso.com', 'kim@contoso.com']],
    ['a refusal that would be audited (exit 4 at the right time)', ['--as', LEE, 'offer', 'create']],
    ['client remove', ['client', 'remove', 'contoso.com', '--yes']],
  ] as [string, string[] | (() => string[])][])(
    PG_MODE ? 'on a team store DELEGATE_NOW is refused whatever its time (SPEC): exit 2, one line, store unchanged: %s' : 'a write pinned before the newest entry is exit 2, one line, store unchanged: %s',
    async (_what, args) => {
      const sb = await copyOfTemplate();
      const argv = typeof args === 'function' ? args() : args;
      if (PG_MODE) await refused(sb, argv, 2, /^Error: DELEGATE_NOW is refused on a team store/, { DELEGATE_NOW: EARLIER, DELEGATE_TEST_KEEP_NOW: '1' });
      else
        await refused(sb, argv, 2, new RegExp(`^Error: DELEGATE_NOW ${EARLIER} is earlier than the newest audit entry \\(entry 17, at ${T2}\\): the ledger's time never runs backwards; nothing was written$`, 'm'), {
          DELEGATE_NOW: EARLIER,
        });
    },
  );

  if (PG_MODE) {
    test('on a team store a machine clock behind the newest entry is moved up to it: the write is dated at the newest entry', async () => {
      const sb = await copyOfTemplate();
      await run(sb, ['user', 'add', 'behind@fabrikam.com'], EARLIER); // the test process's clock, frozen at EARLIER
      expect((await audit(sb)).at(-1)).toMatchObject({ seq: 18, at: T2, action: 'user.add' });
      expect((await runBin(['audit', 'verify'], sb.env)).stderr).not.toMatch(/Warning/);
    });
  }

  test('the same time as the newest entry is allowed; reading at an earlier time still works and writes nothing', async () => {
    const sb = await copyOfTemplate();
    await run(sb, ['user', 'add', 'same@fabrikam.com'], T2);
    expect((await audit(sb)).at(-1)).toMatchObject({ seq: 18, at: T2 });
    const before = await storeHash(sb.db);
    for (const args of [['client', 'list'], ['audit'], ['client', 'user', 'list', 'contoso.com'], ['offer', 'list']]) {
      expect([args.join(' '), (await runBin(args, { ...sb.env, DELEGATE_NOW: T0 })).code]).toEqual([args.join(' '), 0]);
    }
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('an expired granular relationship cannot be re-opened by a backdated DELEGATE_NOW', async () => {
    const sb = await copyOfTemplate();
    const A = '2026-03-04T09:00:00.000Z';
    const offer = JSON.parse((await run(sb, ['offer', 'create', '--granular', '--roles', 'Global Reader', '--duration', 'P1D', '--name', 'Short', '--json'], A)).stdout) as { url: string };
    await run(sb, ['client', 'accept', offer.url, '--domain', 'short.example.com'], A);
    const LATER = '2026-03-06T09:00:00.000Z'; // the relationship ended on the 5th
    await run(sb, ['user', 'add', 'later@fabrikam.com'], LATER);
    await refused(sb, ['client', 'extend', 'short.example.com'], 5, /expired, not active/, { DELEGATE_NOW: LATER });
    // Back to when it was running: refused, and it stays expired (a team store takes no DELEGATE_NOW: there a
    // clock set back is moved up to the newest entry, where the relationship has ended).
    if (PG_MODE) await refused(sb, ['client', 'extend', 'short.example.com'], 5, /expired, not active/, { DELEGATE_NOW: '2026-03-04T21:00:00.000Z' });
    else await refused(sb, ['client', 'extend', 'short.example.com'], 2, /^Error: DELEGATE_NOW 2026-03-04T21:00:00\.000Z is earlier than the newest audit entry/, { DELEGATE_NOW: '2026-03-04T21:00:00.000Z' });
    const shown = JSON.parse((await run(sb, ['client', 'show', 'short.example.com', '--json'], LATER)).stdout) as { granular: { status: string; autoExtendDuration: string } };
    expect(shown.granular).toMatchObject({ status: 'expired', autoExtendDuration: 'PT0S' });
    expect((await runBin(['audit', 'verify'], sb.env)).stderr).not.toMatch(/Warning/);
  });

  test('audit verify lists entries dated earlier than the one before as warnings; the hashes decide the exit code', async () => {
    const sb = await copyOfTemplate();
    // As an older version could write (or anyone with the file, hashes recomputed): entry 10 dated before entry 9.
    const forged = await rewriteChain(sb, (e) => (e.seq === 10 ? { ...e, at: T0 } : e));
    const r = await runBin(['audit', 'verify'], sb.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ok\t17\t17:${forged[16]!.hash}\n`);
    expect(r.stderr).toBe(`Warning: audit entry 10 is dated ${T0}, earlier than entry 9 (${T1})\nAudit trail intact: 17 entries.\n`);
    const q = await runBin(['audit', 'verify', '-q', '--json'], sb.env);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual({ ok: true, entries: 17, head: { seq: 17, hash: forged[16]!.hash }, warnings: [{ seq: 10, at: T0, previousAt: T1 }] });
    expect(q.stderr).toBe(`Warning: audit entry 10 is dated ${T0}, earlier than entry 9 (${T1})\n`);
    // The rewrite itself shows against the anchor taken before it.
    expect((await runBin(['audit', 'verify', '--expect', anchorOf(trail[16]!)], sb.env)).code).toBe(1);
  });
});
