/**
 * SIGINT, SIGTERM and SIGHUP during a 200,000-row `user grant-admin` (SPEC.md
 * "Behaviour every command keeps" and "Exit codes"): the transaction rolls
 * back unless it had committed, the spool of results (a temporary file once
 * the output passes 4 MiB) is removed, the store is closed (no -wal or -shm
 * left), and ONE line on stderr says "nothing was written" or that the change
 * was committed and how much of its output was printed. Exit 130, 143, 129,
 * as a status (the process is not killed by the signal).
 *
 * No timing: each signal is sent once the command shows it is at the moment
 * wanted. Before the commit: the rows come on stdin, which is kept open, so
 * the command cannot commit whatever the machine's speed; the spool file
 * appearing shows it is well into the transaction. After the commit: the
 * first bytes on stdout (results are printed only after the commit), with
 * stdout then left unread so the command is still printing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { runOnPty } from '../helpers/pty.js';
import { BIN, expectOneLine, initPartner, spawnBin, sandbox, storeHash, type Sandbox } from '../helpers/cli.js';

const ROWS = 200_000;
const SIGNALS = [
  { signal: 'SIGINT', code: 130 },
  { signal: 'SIGTERM', code: 143 },
  { signal: 'SIGHUP', code: 129 },
] as const;

let template: Sandbox;
let grants = '';

beforeAll(async () => {
  template = await sandbox();
  await initPartner(template);
  const users = join(template.dir, 'users.csv');
  writeFileSync(users, ['email,name', ...Array.from({ length: ROWS }, (_, i) => `bulk${i}@contoso.com,Bulk User ${i}`)].join('\n') + '\n');
  const add = await spawnBin(['-q', 'user', 'add', '--file', users], template.env);
  if (add.code !== 0) throw new Error(`user add failed: ${add.stderr}`);
  grants = ['email,role', ...Array.from({ length: ROWS }, (_, i) => `bulk${i}@contoso.com,full`)].join('\n') + '\n';
  writeFileSync(join(template.dir, 'grants.csv'), grants);
  expect(existsSync(template.db + '-wal')).toBe(false);
}, 120_000);

afterAll(() => template?.cleanup());

interface Box extends Sandbox {
  tmp: string;
}

/** A copy of the template store, and a private TMPDIR where the spool can be seen. */
async function fromTemplate(): Promise<Box> {
  const sb = await sandbox();
  mkdirSync(dirname(sb.db), { recursive: true, mode: 0o700 });
  copyFileSync(template.db, sb.db);
  const tmp = join(sb.dir, 'tmp');
  mkdirSync(tmp);
  return { ...sb, tmp, env: { ...sb.env, TMPDIR: tmp } };
}

/** Rows with full access (read it last: a read-only connection leaves -wal/-shm of its own). */
function fullAccessCount(db: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return (conn.prepare("SELECT count(*) AS n FROM users WHERE admin_access = 'full' AND email LIKE 'bulk%'").get() as { n: number }).n;
  } finally {
    conn.close();
  }
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(sb: Box, args: string[]): { child: ChildProcess; ended: Promise<Ended>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: sb.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  // An interrupted command stops reading its stdin: rows still being written to it hit a closed pipe.
  child.stdin!.on('error', () => undefined);
  child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
  const ended = new Promise<Ended>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, ended, stderr: () => stderr };
}

/** Resolve once `cond` holds (polled; no deadline of our own: Jest's timeout is the limit). */
function until(cond: () => boolean, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (cond()) {
        clearInterval(poll);
        resolve();
      } else if (child.exitCode !== null || child.signalCode !== null) {
        clearInterval(poll);
        reject(new Error('the command ended before the moment came'));
      }
    }, 2);
  });
}

const spoolPresent = (sb: Box) => readdirSync(sb.tmp).some((d) => d.startsWith('delegate-') && existsSync(join(sb.tmp, d, 'out')));

describe(`a ${ROWS.toLocaleString('en')}-row user grant-admin interrupted before it commits`, () => {
  test.each(SIGNALS)('$signal: exit $code, one line "nothing was written", spool removed, no -wal/-shm, the store byte for byte as it was', async ({ signal, code }) => {
    const sb = await fromTemplate();
    try {
      const before = await storeHash(sb.db);
      const run = start(sb, ['user', 'grant-admin', '--file', '-']);
      // Every row, but stdin stays open: the command can read them all, never commit.
      run.child.stdin!.write(grants);
      await until(() => spoolPresent(sb), run.child);
      expect(run.child.kill(signal)).toBe(true);
      const r = await run.ended;
      expect({ code: r.code, signal: r.signal, stdout: r.stdout }).toEqual({ code, signal: null, stdout: '' });
      expectOneLine(r.stderr, new RegExp(`^Interrupted \\(${signal}\\): nothing was written\\.\\n$`));
      expect(readdirSync(sb.tmp)).toEqual([]);
      expect(readdirSync(dirname(sb.db))).toEqual(['delegate.db']);
      expect(await storeHash(sb.db)).toBe(before);
      expect(fullAccessCount(sb.db)).toBe(0);
    } finally {
      await sb.cleanup();
    }
  });

  test('SIGINT with --json: the same outcome, the line is a JSON error with code "interrupted"', async () => {
    const sb = await fromTemplate();
    try {
      const before = await storeHash(sb.db);
      const run = start(sb, ['user', 'grant-admin', '--file', '-', '--json']);
      run.child.stdin!.write(grants);
      await until(() => spoolPresent(sb), run.child);
      run.child.kill('SIGINT');
      const r = await run.ended;
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 130, stdout: '' });
      expectOneLine(r.stderr);
      expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'interrupted', message: 'Interrupted (SIGINT): nothing was written.' } });
      expect(readdirSync(sb.tmp)).toEqual([]);
      expect(await storeHash(sb.db)).toBe(before);
    } finally {
      await sb.cleanup();
    }
  });

  test('SIGTERM while it waits for more rows on stdin (no row read yet): exit 143, nothing written, no -wal/-shm', async () => {
    const sb = await fromTemplate();
    try {
      const before = await storeHash(sb.db);
      const run = start(sb, ['user', 'grant-admin', '--file', '-']);
      run.child.stdin!.write('email,role\n');
      // The store is open (its -shm exists) and the command waits on stdin.
      await until(() => existsSync(sb.db + '-shm'), run.child);
      run.child.kill('SIGTERM');
      const r = await run.ended;
      expect({ code: r.code, signal: r.signal, stdout: r.stdout }).toEqual({ code: 143, signal: null, stdout: '' });
      expectOneLine(r.stderr, /^Interrupted \(SIGTERM\): nothing was written\.$/m);
      expect(readdirSync(dirname(sb.db))).toEqual(['delegate.db']);
      expect(await storeHash(sb.db)).toBe(before);
    } finally {
      await sb.cleanup();
    }
  });
});

describe(`a ${ROWS.toLocaleString('en')}-row user grant-admin interrupted after it committed, while printing its results`, () => {
  test.each(SIGNALS)('$signal: exit $code, one line saying it was committed and how many rows were printed; all rows changed; spool removed', async ({ signal, code }) => {
    const sb = await fromTemplate();
    try {
      const run = start(sb, ['user', 'grant-admin', '--file', join(template.dir, 'grants.csv')]);
      const out = run.child.stdout!;
      // Results reach stdout only after the commit: the first bytes are the sign. Then stop reading.
      await new Promise<void>((resolve) => out.once('data', () => resolve()));
      out.pause();
      run.child.kill(signal);
      // Read on once the command has said what happened, so it can flush and exit.
      await until(() => run.stderr().includes('\n'), run.child);
      out.resume();
      const r = await run.ended;
      expect({ code: r.code, signal: r.signal }).toEqual({ code, signal: null });
      expectOneLine(r.stderr, new RegExp(`^Interrupted \\(${signal}\\) after the change was committed: [\\d,]+ of 200,000 result rows were printed\\.$`, 'm'));
      const printed = Number(/: ([\d,]+) of/.exec(r.stderr)![1]!.replace(/,/g, ''));
      expect(printed).toBeLessThan(ROWS);
      // The rows it says were printed were printed whole (plus perhaps part of the next chunk).
      const lines = r.stdout.split('\n').slice(0, -1);
      expect(lines.length).toBeGreaterThanOrEqual(printed);
      expect(lines.length).toBeLessThan(ROWS);
      expect(lines.slice(0, printed).every((l) => /^bulk\d+@contoso\.com\t/.test(l))).toBe(true);
      expect(readdirSync(sb.tmp)).toEqual([]);
      expect(readdirSync(dirname(sb.db))).toEqual(['delegate.db']);
      expect(fullAccessCount(sb.db)).toBe(ROWS);
      const verify = await spawnBin(['audit', 'verify', '--json'], sb.env);
      expect(verify.code).toBe(0);
    } finally {
      await sb.cleanup();
    }
  });
});


describe('Ctrl-C typed at a terminal during a bulk grant-admin --file (progress bar on stderr)', () => {
  test('exit 130, the progress bar stopped and the cursor shown again, one line that matches the store, nothing left behind', async () => {
    const sb = await fromTemplate();
    try {
      // The terminal turns the typed Ctrl-C into SIGINT for the command; the progress bar drawing is the sign it runs.
      const r = await runOnPty(['user', 'grant-admin', '--file', join(template.dir, 'grants.csv')], sb.env, /delegate \[/, '\x03');
      expect(r.acted).toBe(true);
      expect(r.code).toBe(130);
      const hidden = r.output.lastIndexOf('\x1b[?25l');
      expect(hidden).toBeGreaterThanOrEqual(0);
      expect(r.output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(hidden);
      const lines = r.output.split(/\r?\n/).filter((l) => l.includes('Interrupted'));
      expect(lines).toHaveLength(1);
      // The file is read from disk, so the command may have committed before the signal was seen: the line must say which.
      const committed = /after the change was committed/.test(lines[0]!);
      if (!committed) expect(lines[0]).toMatch(/Interrupted \(SIGINT\): nothing was written\.$/);
      expect(readdirSync(sb.tmp)).toEqual([]);
      expect(readdirSync(dirname(sb.db))).toEqual(['delegate.db']);
      expect(fullAccessCount(sb.db)).toBe(committed ? ROWS : 0);
    } finally {
      await sb.cleanup();
    }
  });
});
