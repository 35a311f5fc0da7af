/**
 * Three ways to drive the CLI:
 * - runBin: a command line as a user types it, run in this process (runCli) with
 *   the sandbox's environment and nothing else, the settings file that
 *   environment names, stdin as given, no terminal: what the built bin does,
 *   without starting a process for each command;
 * - spawnBin: the built bin/delegate.js as a child process, for tests whose
 *   subject is the process itself (install, start-up, terminals, signals,
 *   crashes, concurrency, the process's own trust store);
 * - runInProcess: runCli with injected I/O, prompter, settings and clipboard.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/main.js';
import { systemClipboard, type Clipboard } from '../../src/cli/clipboard.js';
import type { IO } from '../../src/cli/io.js';
import type { Interrupts } from '../../src/cli/interrupt.js';
import { confSettings, type Settings, type SettingKey } from '../../src/cli/settings.js';
import { openStore } from '../../src/store/open.js';
import { isPgUrl, pgActing, pgCopyStore, pgSandboxStore, pgStoreHash, pgStoreSql, pgStoreText, PG_MODE } from './pg-e2e.js';
import type { Store } from '../../src/domain/core/store.js';
import { fakeIO } from './fake-io.js';
import { scriptedPrompter, type Answer } from './prompter.js';
import { finished } from './process.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'delegate.js');

export const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
export const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';
export const ADMIN = 'ada@fabrikam.com';

/** A temporary home: a store path, a config dir, and an environment that never touches the real home. */
export interface Sandbox {
  dir: string;
  db: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/**
 * A sandbox; with DELEGATE_TEST_STORE=postgres its store is a schema of its own on the test server
 * (see pg-e2e.ts). `file: true`: a SQLite store file in either project, for tests whose subject is
 * the store file itself (its mode, a symbolic link to it).
 */
export async function sandbox(opts: { file?: boolean } = {}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'delegate-test-'));
  if (PG_MODE && !opts.file) {
    const pg = await pgSandboxStore();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: join(dir, 'home'),
      DELEGATE_DB: pg.url,
      DELEGATE_CONFIG_DIR: join(dir, 'config'),
      DELEGATE_NO_CLIPBOARD: '1',
      NO_COLOR: '1',
    };
    return { dir, db: pg.url, env, cleanup: () => (rmSync(dir, { recursive: true, force: true }), pg.drop()) };
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    DELEGATE_DB: join(dir, 'store', 'delegate.db'),
    DELEGATE_CONFIG_DIR: join(dir, 'config'),
    DELEGATE_NO_CLIPBOARD: '1',
    NO_COLOR: '1',
  };
  return { dir, db: env.DELEGATE_DB!, env, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a child process (no terminal): for tests whose subject is the process itself. */
export async function spawnBin(argsIn: string[], envIn: NodeJS.ProcessEnv, stdin?: string | Buffer[]): Promise<Result> {
  const { args, env } = PG_MODE ? await pgActing(argsIn, envIn) : { args: argsIn, env: envIn };
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = finished(child);
  child.stdin.on('error', () => undefined); // the CLI may stop reading at the first fault
  // Chunks are written one by one, so the CLI's reads can split anywhere.
  if (Array.isArray(stdin)) for (const c of stdin) child.stdin.write(c);
  child.stdin.end(typeof stdin === 'string' ? stdin : '');
  return done;
}

/**
 * Run a command line as the built CLI would run it, in this process: runCli with exactly the
 * environment given (nothing of this process's own), the settings file and the clipboard that
 * environment names (DELEGATE_CONFIG_DIR, DELEGATE_NO_CLIPBOARD), stdin as bytes (each chunk of an
 * array read on its own, so the CLI's reads split where the chunks do), no terminal, and no
 * signals. On PostgreSQL, a declared actor acts through its login and a pinned time freezes the
 * clock (pg-e2e.ts), as for a child process. What bin/delegate.js answers itself, before loading the
 * CLI (`--version` or `--help` alone), is answered by the bin: spawned.
 *
 * One command at a time, as a process runs one: commands a test starts together run one after
 * another here (two SQLite writers in one thread would wait on each other's lock, synchronously).
 * Concurrency is the subject of spawned tests. Each command is a process of its own to the
 * ledger (an intent it leaves behind belongs to a process that has ended, as a child's would).
 */
export function runBin(argsIn: string[], envIn: NodeJS.ProcessEnv, stdin?: string | Buffer[]): Promise<Result> {
  if (answeredByBin(argsIn)) return spawnBin(argsIn, envIn, stdin);
  const run = commands.then(() => runOne(argsIn, envIn, stdin));
  commands = run.catch(() => undefined);
  return run;
}

let commands: Promise<unknown> = Promise.resolve();
/** A process id no process has (above Linux's largest, 2^22), one for each command run in this process. */
let nextPid = 4_194_304 + 1;

async function runOne(argsIn: string[], envIn: NodeJS.ProcessEnv, stdin?: string | Buffer[]): Promise<Result> {
  const acting: { args: string[]; env: NodeJS.ProcessEnv; frozenAt?: Date } = PG_MODE ? await pgActing(argsIn, envIn) : { args: argsIn, env: envIn };
  // What a child process is given: the variables that are set.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(acting.env).filter(([, v]) => v !== undefined));
  let stdout = '';
  let stderr = '';
  const chunks = stdin === undefined ? [] : typeof stdin === 'string' ? [Buffer.from(stdin, 'utf8')] : stdin.map((c) => Buffer.from(c));
  const io: IO = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    drained: async () => undefined,
    stdin: Readable.from(chunks, { objectMode: false }),
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
  };
  const prompter = scriptedPrompter([]);
  const clipboard = systemClipboard(env);
  const code = await runCli(acting.args, {
    io,
    env,
    prompter: () => prompter,
    clipboard: () => clipboard,
    settings: () => confSettings(env),
    openStore: (path, o) => openStore(path, o, env),
    process: { host: hostname(), pid: nextPid++ },
    ...(acting.frozenAt ? { clock: { now: () => new Date(acting.frozenAt!.getTime()) } } : {}),
  });
  return { code, stdout, stderr };
}

/** A command line bin/delegate.js answers without loading the CLI. */
const answeredByBin = (args: readonly string[]) => args.length === 1 && ['--version', '-V', '--help', '-h'].includes(args[0]!);

export function memorySettings(initial: Partial<Record<SettingKey, string>> = {}): Settings {
  const data = { ...initial };
  return {
    get: (k) => data[k],
    set: async (k, v) => void (data[k] = v),
    unset: async (k) => void delete data[k],
    all: () => ({ ...data }),
    path: '(memory)',
  };
}

export interface InProcessOptions {
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  answers?: Answer[];
  stdin?: string | AsyncIterable<string>;
  settings?: Settings;
  clipboard?: Clipboard;
  /** Signals, raised by the test (none by default). */
  interrupts?: Interrupts;
  /** Called with each piece of stdout before it is recorded. */
  onOut?: (text: string) => void;
}

/** Run the CLI in this process with injected dependencies. */
export async function runInProcess(argsIn: string[], optsIn: InProcessOptions = {}) {
  const acting: { args: string[]; env?: NodeJS.ProcessEnv; frozenAt?: Date } = PG_MODE ? await pgActing(argsIn, optsIn.env ?? {}) : { args: argsIn, env: optsIn.env };
  const args = acting.args;
  const opts: InProcessOptions = { ...optsIn, ...(acting.env ? { env: acting.env } : {}) };
  const io = fakeIO({ tty: opts.tty, stdin: opts.stdin });
  const record = io.out;
  if (opts.onOut) io.out = (t) => (opts.onOut!(t), record(t));
  const prompter = scriptedPrompter(opts.answers ?? []);
  const settings = opts.settings ?? memorySettings();
  const copied: string[] = [];
  const clipboard: Clipboard = opts.clipboard ?? { copy: async (t) => void copied.push(t) };
  const code = await runCli(args, {
    // A frozen system clock (not a pinned one: the ledger moves it up to its newest entry, as it would a real clock).
    ...(acting.frozenAt ? { clock: { now: () => new Date(acting.frozenAt!.getTime()) } } : {}),
    io,
    env: { NO_COLOR: '1', ...(opts.env ?? {}) },
    prompter: () => prompter,
    clipboard: () => clipboard,
    settings: async () => settings,
    openStore: async (path, o) => openStore(path, o, { ...process.env, ...(opts.env ?? {}) }),
    ...(opts.interrupts ? { interrupts: opts.interrupts } : {}),
  });
  return { code, stdout: io.stdout(), stderr: io.stderr(), asked: prompter.asked, copied };
}

/** Run the CLI in this process for scene-setting: its stdout, or an error naming the command. */
export async function runOk(args: string[], opts: InProcessOptions = {}): Promise<string> {
  const r = await runInProcess(args, opts);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** stderr is one line (no stack trace, no source locations), matching `message` when given. */
export function expectOneLine(stderr: string, message?: RegExp): void {
  expect(stderr).toMatch(/\n$/);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/\.(js|ts):\d+/);
  if (message) expect(stderr).toMatch(message);
}

/** SHA-256 of the store file and its WAL/SHM siblings (absent ones count as absent). */
export async function storeHash(db: string): Promise<string> {
  if (isPgUrl(db)) return pgStoreHash(db);
  const h = createHash('sha256');
  for (const p of [db, db + '-wal', db + '-shm']) {
    h.update(p.slice(db.length) + ':');
    h.update(existsSync(p) ? readFileSync(p) : Buffer.from('<absent>'));
  }
  return h.digest('hex');
}

/** Every row of the ledger's tables (not sync's stage, not intents), to compare a ledger before and after. */
export async function ledgerOf(db: string): Promise<Record<string, Record<string, unknown>[]>> {
  const { LEDGER_TABLES } = await import('../../src/domain/core/store.js');
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const t of LEDGER_TABLES) out[t] = await storeSql(db, `SELECT * FROM ${t} ORDER BY 1, 2`);
  return out;
}

/** Whether a ledger was made at `db`: SQLite, the store file exists; PostgreSQL (set up by db migrate), it holds a partner or an audit entry. */
export async function storeExists(db: string): Promise<boolean> {
  if (!isPgUrl(db)) return existsSync(db);
  return (await pgStoreSql(db, 'SELECT (SELECT count(*) FROM partner) + (SELECT count(*) FROM audit) AS n', []))[0]!.n !== 0;
}

/** Copy one sandbox's store into another's (SQLite: the file, WAL and SHM; PostgreSQL: the schema). */
export async function copyStore(from: Sandbox, to: Sandbox): Promise<void> {
  if (isPgUrl(to.db)) return pgCopyStore(from.db, to.db);
  mkdirSync(dirname(to.db), { recursive: true, mode: 0o700 });
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(from.db + suffix)) copyFileSync(from.db + suffix, to.db + suffix);
}

/** A new sandbox holding a copy of another's store, for tests that share one set-up. */
export async function copySandbox(from: Sandbox, env: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const sb = await sandbox();
  Object.assign(sb.env, env);
  await copyStore(from, sb);
  return sb;
}

/** What the store holds, as bytes (SQLite: the file and its WAL; PostgreSQL: every row), to show a secret never reached it. */
export async function storeContents(db: string): Promise<Buffer> {
  if (isPgUrl(db)) return Buffer.from(await pgStoreText(db));
  return Buffer.concat([db, db + '-wal'].filter(existsSync).map((p) => readFileSync(p)));
}

/**
 * SQL straight at a sandbox's store, past delegate (to tamper with it, or to set up what the CLI
 * cannot): `?` placeholders, the same SQL on both backends. A SELECT returns its rows.
 */
export async function storeSql(db: string, sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]> {
  if (isPgUrl(db)) return pgStoreSql(db, sql, params);
  const { default: Database } = await import('better-sqlite3');
  const conn = new Database(db);
  try {
    const st = conn.prepare(sql);
    return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
  } finally {
    conn.close();
  }
}

/** Make an empty store (the schema, no partner yet) at `db`, on either backend. */
export async function emptyStore(db: string): Promise<void> {
  if (!isPgUrl(db)) mkdirSync(dirname(db), { recursive: true, mode: 0o700 });
  await (await openStore(db, { create: true, migrate: true })).close();
}

/** Open a sandbox's store through the store contract (either backend), run `fn`, close it. */
export async function withStore<T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db, { create: false });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Set up a certified partner with its first admin in a sandbox, through the CLI. */
export async function initPartner(sb: Sandbox, extra: string[] = ['--certified']): Promise<void> {
  const r = await runBin(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, ...extra], sb.env);
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
}

/** Scene-setting in this process against a sandbox: its stdout, or an error naming the command. */
export async function setupIn(sb: Sandbox, args: string[]): Promise<string> {
  const r = await runInProcess(args, { env: sb.env });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The audit trail, read straight from a sandbox's store. */
export async function auditOf(sb: Sandbox): Promise<import('../../src/domain/core/model.js').AuditEntry[]> {
  return withStore(sb.db, (store) => store.read((tx) => tx.listAudit({})));
}

/** Bad input or state through the CLI: this exit code, one line, and the store's files byte for byte as they were. */
export async function expectUnchanged(sb: Sandbox, args: string[], code: number, message: RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const before = await storeHash(sb.db);
  const r = await runBin(args, { ...sb.env, ...env });
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, message);
  expect(await storeHash(sb.db)).toBe(before);
}

/** A refusal through the CLI: exit 4, one line naming the rule, exactly one "denied" audit entry added. */
export async function expectRefused(
  sb: Sandbox,
  args: string[],
  audit: { actor: string; action: string; target: string },
  rule: RegExp,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const before = (await auditOf(sb)).length;
  const r = await runBin(args, { ...sb.env, ...env });
  expect(r.code).toBe(4);
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, rule);
  const entries = await auditOf(sb);
  expect(entries).toHaveLength(before + 1);
  expect(entries.at(-1)).toMatchObject({ ...audit, outcome: 'denied' });
}
