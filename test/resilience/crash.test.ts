/**
 * A 200,000-row `user add --file` killed with SIGKILL (no chance to clean up)
 * at several moments: while starting, while reading the file, while the
 * transaction spills uncommitted pages into the WAL, while the committed WAL
 * is checkpointed into the database file, and just before it would finish.
 * The import is one transaction (SPEC: every write is one transaction; a bulk
 * command is all-or-nothing), so after each crash the store must be intact,
 * hold all 200,000 new users or none of them, and keep working.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ADMIN, BIN, initPartner, spawnBin, sandbox, type Sandbox } from '../helpers/cli.js';

const ROWS = 200_000;
const MiB = 1 << 20;

let template: Sandbox;
let csv = '';
let templateSize = 0;
/** How long an uninterrupted import takes on this machine (measured by the first test). */
let fullRunMs = 0;

beforeAll(async () => {
  template = await sandbox();
  await initPartner(template);
  expect(existsSync(template.db + '-wal')).toBe(false);
  templateSize = statSync(template.db).size;
  csv = join(template.dir, 'users.csv');
  const lines = ['email,name'];
  for (let i = 0; i < ROWS; i++) lines.push(`bulk${i}@contoso.com,"Bulk User ${i}, Contoso"`);
  writeFileSync(csv, lines.join('\r\n') + '\r\n');
});

afterAll(() => template?.cleanup());

async function fromTemplate(): Promise<Sandbox> {
  const sb = await sandbox();
  mkdirSync(dirname(sb.db), { recursive: true, mode: 0o700 });
  copyFileSync(template.db, sb.db);
  return sb;
}

const size = (p: string) => {
  try {
    return statSync(p).size;
  } catch {
    return -1;
  }
};

interface Run {
  /** The process was killed by our SIGKILL (false: it finished first). */
  killed: boolean;
  /** The kill condition was met while the process was still running. */
  triggered: boolean;
  code: number | null;
  stderr: string;
  ms: number;
}

/** Run the import; SIGKILL it the first time `when` says so (polled every millisecond). */
function importAndKill(sb: Sandbox, when: (elapsedMs: number) => boolean): Promise<Run> {
  return new Promise((resolveP, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, '--db', sb.db, '-q', 'user', 'add', '--file', csv], {
      env: sb.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let triggered = false;
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      if (!triggered && child.exitCode === null && when(Date.now() - started)) {
        triggered = true;
        child.kill('SIGKILL');
      }
    }, 1);
    child.on('error', (e) => {
      clearInterval(poll);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolveP({ killed: signal === 'SIGKILL', triggered, code, stderr, ms: Date.now() - started });
    });
  });
}

interface StoreState {
  integrity: string;
  users: number;
  bulkUsers: number;
  partners: number;
  audit: { action: string; target: string }[];
}

/** Open the file directly, as any SQLite tool would after the crash. */
function inspect(db: string): StoreState {
  const conn = new Database(db);
  try {
    const integrity = (conn.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const count = (sql: string) => (conn.prepare(sql).get() as { n: number }).n;
    return {
      integrity,
      users: count('SELECT count(*) AS n FROM users'),
      bulkUsers: count("SELECT count(*) AS n FROM users WHERE email LIKE 'bulk%@contoso.com'"),
      partners: count('SELECT count(*) AS n FROM partner'),
      audit: conn.prepare('SELECT action, target FROM audit ORDER BY seq').all() as { action: string; target: string }[],
    };
  } finally {
    conn.close();
  }
}

/** After any crash: intact, all or nothing, and the store keeps working through the CLI. */
async function expectConsistentAndWorking(sb: Sandbox): Promise<'all' | 'none'> {
  const s = inspect(sb.db);
  expect(s.integrity).toBe('ok');
  expect(s.partners).toBe(1);
  expect([1, ROWS + 1]).toContain(s.users);
  expect(s.bulkUsers).toBe(s.users - 1);
  const outcome = s.users === 1 ? 'none' : 'all';
  // The audit entry is in the same transaction as the rows it records.
  expect(s.audit.map((e) => e.action)).toEqual(outcome === 'all' ? ['partner.init', 'user.add'] : ['partner.init']);

  const list = await spawnBin(['user', 'list', '--json'], sb.env);
  expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
  const users = JSON.parse(list.stdout) as { email: string }[];
  expect(users).toHaveLength(s.users);
  expect(users.map((u) => u.email)).toContain(ADMIN);

  const verify = await spawnBin(['audit', 'verify', '--json'], sb.env);
  expect(verify.code).toBe(0);
  expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, entries: s.audit.length });

  const add = await spawnBin(['user', 'add', 'after-crash@fabrikam.com'], sb.env);
  expect({ code: add.code, stderr: add.stderr }).toEqual({ code: 0, stderr: '' });
  return outcome;
}

describe(`a ${ROWS.toLocaleString('en')}-row user add --file killed with SIGKILL`, () => {
  test('uninterrupted, it adds every row in one transaction (and sets the pace for the late kill)', async () => {
    const sb = await fromTemplate();
    try {
      const run = await importAndKill(sb, () => false);
      fullRunMs = run.ms;
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await expectConsistentAndWorking(sb)).toBe('all');
    } finally {
      await sb.cleanup();
    }
  }, 60_000);

  interface Moment {
    name: string;
    /** The kill condition; `attempt` counts runs in which the command finished before the moment came. */
    when: (sb: Sandbox, attempt: number) => (elapsedMs: number) => boolean;
    /** The only outcome possible at that moment, when there is one. */
    expected?: 'all' | 'none';
  }
  // The late kill aims at the end of a run; when the command beat it, it aims earlier.
  const LATE = [0.95, 0.9, 0.8, 0.65, 0.5];
  const moments: Moment[] = [
    { name: 'after 100 ms (starting up)', when: () => (t) => t >= 100, expected: 'none' },
    { name: 'after 400 ms', when: () => (t) => t >= 400 },
    { name: 'while uncommitted pages spill into the WAL (WAL over 1 MiB)', when: (sb) => () => size(sb.db + '-wal') > MiB },
    { name: 'after 1 s', when: () => (t) => t >= 1000 },
    {
      // The database file only grows once the transaction has committed to the WAL.
      name: 'while the committed WAL is checkpointed into the database file',
      when: (sb) => () => size(sb.db) > templateSize,
      expected: 'all',
    },
    { name: 'late: at 95% of an uninterrupted run', when: (_sb, attempt) => (t) => t >= fullRunMs * LATE[attempt]! },
  ];

  /**
   * Run until a kill really lands on a running command: a run that finished
   * before its moment came (or between the moment and the kill) proves
   * nothing about a crash, so it is checked as a normal run and tried again.
   */
  async function killWhileRunning(moment: Moment): Promise<{ sb: Sandbox; run: Run }> {
    for (let attempt = 0; attempt < LATE.length; attempt++) {
      const sb = await fromTemplate();
      const run = await importAndKill(sb, moment.when(sb, attempt));
      if (run.killed) return { sb, run };
      try {
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
        expect(await expectConsistentAndWorking(sb)).toBe('all');
      } finally {
        await sb.cleanup();
      }
    }
    throw new Error(`the command finished before every one of ${LATE.length} kills aimed at "${moment.name}"`);
  }

  test.each(moments)('$name: the kill lands on the running command; integrity ok, all rows or none, and the store still works', async (moment) => {
    expect(fullRunMs).toBeGreaterThan(0);
    const { sb, run } = await killWhileRunning(moment);
    try {
      // Killed by our SIGKILL, sent while the process was still running: not a run that had finished.
      expect({ killed: run.killed, triggered: run.triggered, code: run.code }).toEqual({ killed: true, triggered: true, code: null });
      const outcome = await expectConsistentAndWorking(sb);
      if (moment.expected) expect(outcome).toBe(moment.expected);
    } finally {
      await sb.cleanup();
    }
  }, 240_000);
});
