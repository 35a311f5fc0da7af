/**
 * Many delegate processes writing one store at once (SPEC "Behaviour every
 * command keeps": every write is one transaction; processes writing the same
 * store at once all succeed, thanks to WAL and the busy timeout, and nothing
 * is lost). Eight workers run at the same time, each a sequence of CLI
 * processes: single adds, bulk adds, admin grants and client acceptances.
 * Afterwards every write is there, once, and the audit chain is intact with
 * exactly one entry per write.
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { ADMIN, initPartner, spawnBin, sandbox, type Result, type Sandbox } from '../helpers/cli.js';

const WORKERS = 8;
const OPS = 5; // single operations per worker (bulk workers add one bulk file on top)
const BULK_ROWS = 300;
const PRE_USERS = 2 * OPS; // users that the grant workers promote

interface UserJson {
  email: string;
  orgRole: string;
  adminAccess: string;
  canCreateOffers: boolean;
}
interface ClientJson {
  domain: string;
  status: string;
  offerId: string;
}

let sb: Sandbox;
let offerId = '';
let setupAuditEntries = 0;

async function ok(args: string[], stdin?: string): Promise<Result> {
  const r = await spawnBin(args, sb.env, stdin);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}
const json = async <T>(args: string[]): Promise<T> => JSON.parse((await ok([...args, '--json'])).stdout) as T;

const preUser = (i: number) => `pre${i}@fabrikam.com`;
const addedUser = (w: number, j: number) => `w${w}-op${j}@fabrikam.com`;
const bulkUser = (w: number, j: number) => `bulk-w${w}-${j}@fabrikam.com`;
const clientDomain = (w: number, j: number) => `w${w}-client${j}.example.com`;

beforeAll(async () => {
  sb = await sandbox();
  await initPartner(sb);
  offerId = (await json<{ id: string }>(['offer', 'create'])).id;
  const pre = ['email,name', ...Array.from({ length: PRE_USERS }, (_, i) => `${preUser(i)},Pre ${i}`)].join('\n') + '\n';
  await ok(['user', 'add', '--file', '-'], pre);
  setupAuditEntries = 3; // init, offer create, one bulk add
  for (const w of [0, 1, 2]) {
    const rows = Array.from({ length: BULK_ROWS }, (_, j) => `${bulkUser(w, j)},Bulk ${w} ${j}`);
    writeFileSync(join(sb.dir, `bulk-${w}.csv`), ['email,name', ...rows].join('\n') + '\n');
  }
});

afterAll(() => sb?.cleanup());

/** The command lines one worker runs, in order. */
function plan(w: number): string[][] {
  const ops: string[][] = [];
  if (w <= 2) {
    // user add: single adds around one bulk file that holds the write lock longer
    for (let j = 0; j < OPS; j++) {
      ops.push(['user', 'add', addedUser(w, j), '--name', `Worker ${w} op ${j}`]);
      if (j === 2) ops.push(['user', 'add', '--file', join(sb.dir, `bulk-${w}.csv`), '-q']);
    }
  } else if (w <= 4) {
    // user grant-admin: each grant worker promotes its own half of the prepared users
    for (let j = 0; j < OPS; j++) {
      const i = (w - 3) * OPS + j;
      ops.push(['user', 'grant-admin', preUser(i), '--role', i % 2 === 0 ? 'full' : 'limited']);
    }
  } else {
    // client accept <offer-id> --domain
    for (let j = 0; j < OPS; j++) ops.push(['client', 'accept', offerId, '--domain', clientDomain(w, j), '--name', `Client ${w}.${j}`]);
  }
  return ops;
}

interface Ran {
  args: string[];
  r: Result;
}

async function worker(w: number): Promise<Ran[]> {
  const ran: Ran[] = [];
  for (const args of plan(w)) ran.push({ args, r: await spawnBin(args, sb.env) });
  return ran;
}

describe(`${WORKERS} processes writing one store at once`, () => {
  let results: Ran[] = [];
  let readers: Result[][] = [];

  beforeAll(async () => {
    let writing = true;
    // Readers poll the store while the writers run: reading never waits for, or fails on, a writer.
    const reader = async () => {
      const out: Result[] = [];
      while (writing) out.push(await spawnBin(['client', 'list', '--json'], sb.env));
      return out;
    };
    const readerRuns = [reader(), reader()];
    const perWorker = await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    writing = false;
    results = perWorker.flat();
    readers = await Promise.all(readerRuns);
  }, 120_000);

  test('every process exits 0 and none reports a locked or busy store', () => {
    expect(results).toHaveLength(3 * (OPS + 1) + 2 * OPS + 3 * OPS);
    const failed = results.filter(({ r }) => r.code !== 0).map(({ args, r }) => `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    expect(failed).toEqual([]);
    for (const { r } of results) {
      expect(r.stderr).not.toMatch(/locked|busy/i);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  test('readers running alongside the writers always succeed, and never see an acceptance disappear', () => {
    for (const runs of readers) {
      expect(runs.length).toBeGreaterThan(0);
      let seen = 0;
      for (const r of runs) {
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
        const clients = JSON.parse(r.stdout) as ClientJson[];
        for (const c of clients) expect(c).toMatchObject({ status: 'active', offerId });
        expect(clients.length).toBeGreaterThanOrEqual(seen);
        expect(clients.length).toBeLessThanOrEqual(3 * OPS);
        seen = clients.length;
      }
    }
  });

  test('every user add is present, exactly once', async () => {
    const users = await json<UserJson[]>(['user', 'list']);
    const emails = users.map((u) => u.email);
    expect(new Set(emails).size).toBe(emails.length);
    const expected = [ADMIN, ...Array.from({ length: PRE_USERS }, (_, i) => preUser(i))];
    for (const w of [0, 1, 2]) {
      for (let j = 0; j < OPS; j++) expected.push(addedUser(w, j));
      for (let j = 0; j < BULK_ROWS; j++) expected.push(bulkUser(w, j));
    }
    expect([...emails].sort()).toEqual([...expected].sort());
    expect(users.find((u) => u.email === addedUser(1, 3))).toMatchObject({ orgRole: 'user', adminAccess: 'none' });
  });

  test('every grant-admin took effect', async () => {
    const users = await json<UserJson[]>(['user', 'list']);
    const access = Object.fromEntries(users.map((u) => [u.email, u.adminAccess]));
    for (let i = 0; i < PRE_USERS; i++) expect([preUser(i), access[preUser(i)]]).toEqual([preUser(i), i % 2 === 0 ? 'full' : 'limited']);
    const full = await json<UserJson[]>(['user', 'list', '--access', 'full']);
    expect(full.map((u) => u.email).sort()).toEqual([ADMIN, ...Array.from({ length: PRE_USERS }, (_, i) => preUser(i)).filter((_, i) => i % 2 === 0)].sort());
  });

  test('every client acceptance is present, counted on the offer, and notified', async () => {
    const clients = await json<ClientJson[]>(['client', 'list']);
    const expected: string[] = [];
    for (const w of [5, 6, 7]) for (let j = 0; j < OPS; j++) expected.push(clientDomain(w, j));
    expect(clients.map((c) => c.domain).sort()).toEqual(expected.sort());
    for (const c of clients) expect(c).toMatchObject({ status: 'active', offerId });
    const offers = await json<{ id: string; acceptedCount: number }[]>(['offer', 'list']);
    expect(offers.find((o) => o.id === offerId)?.acceptedCount).toBe(3 * OPS);
    const inbox = await json<unknown[]>(['inbox']);
    expect(inbox).toHaveLength(3 * OPS);
  });

  test('audit verify passes with one entry per write', async () => {
    const r = await ok(['audit', 'verify', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, entries: setupAuditEntries + results.length });
    const entries = await json<{ seq: number; action: string; outcome: string }[]>(['audit']);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: entries.length }, (_, i) => i + 1));
    const count = (action: string) => entries.filter((e) => e.action === action && e.outcome === 'allowed').length;
    expect(count('user.add')).toBe(1 + 3 * (OPS + 1));
    expect(count('user.grant-admin')).toBe(2 * OPS);
    expect(count('client.accept')).toBe(3 * OPS);
  });
});

describe('a writer that finds the store locked by another process', () => {
  /** Hold the store's write lock from this process (as another delegate in a long transaction would). */
  function holdWriteLock(db: string): { release: () => void } {
    const conn = new Database(db);
    conn.pragma('busy_timeout = 1000');
    conn.exec('BEGIN IMMEDIATE');
    return {
      release: () => {
        if (conn.inTransaction) conn.exec('ROLLBACK');
        conn.close();
      },
    };
  }

  test('waits for the lock instead of failing, while readers are not blocked at all', async () => {
    const own = await sandbox();
    try {
      await initPartner(own);
      const lock = holdWriteLock(own.db);
      const started = Date.now();
      const writer = spawnBin(['user', 'add', 'waiter@fabrikam.com'], own.env);
      try {
        const read = await spawnBin(['user', 'list', '--json'], own.env);
        expect({ code: read.code, stderr: read.stderr }).toEqual({ code: 0, stderr: '' });
        expect((JSON.parse(read.stdout) as UserJson[]).map((u) => u.email)).toEqual([ADMIN]);
        await new Promise((r) => setTimeout(r, 1500));
      } finally {
        lock.release();
      }
      const w = await writer;
      expect({ code: w.code, stderr: w.stderr }).toEqual({ code: 0, stderr: '' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      const users = JSON.parse((await spawnBin(['user', 'list', '--json'], own.env)).stdout) as UserJson[];
      expect(users.map((u) => u.email).sort()).toEqual([ADMIN, 'waiter@fabrikam.com']);
    } finally {
      await own.cleanup();
    }
  });

  test('gives up after the busy timeout with one clear line, exit 1, and writes nothing', async () => {
    const own = await sandbox();
    try {
      await initPartner(own);
      const lock = holdWriteLock(own.db);
      let r: Result;
      const started = Date.now();
      try {
        r = await spawnBin(['user', 'add', 'impatient@fabrikam.com'], own.env);
      } finally {
        lock.release();
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(14_000); // it did wait (busy_timeout is 15 s)
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/busy|locked/i);
      expect(r.stderr).toMatch(/try again/i);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      const users = JSON.parse((await spawnBin(['user', 'list', '--json'], own.env)).stdout) as UserJson[];
      expect(users.map((u) => u.email)).toEqual([ADMIN]);
      const verify = await spawnBin(['audit', 'verify', '--json'], own.env);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, entries: 1 });
    } finally {
      await own.cleanup();
    }
  }, 40_000);
});
