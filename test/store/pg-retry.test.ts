/**
 * A team store's write that loses a deadlock or a serialization failure is run
 * again, a bounded number of times (SPEC.md "Team store (PostgreSQL)":
 * "serialization failures and deadlocks retried, bounded"). Against the real
 * server, through the CLI in this process:
 * - a real deadlock with a session outside delegate (its row lock, then
 *   delegate's write lock), which delegate's backend detects first and so
 *   loses: the command succeeds on its next attempt, prints its result once,
 *   records one audit entry, and the outside session's change is kept too;
 * - a write that keeps failing (a trigger the test adds raises SQLSTATE 40001)
 *   stops after MAX_ATTEMPTS with one line, exit 1, the store unchanged;
 * - a bulk write whose rows came from a stream (stdin) cannot be run again:
 *   the deadlock ends it with the same one line, nothing written or printed.
 */
import { createRequire } from 'node:module';
import type { Client as PgClient } from 'pg';
import { ADMIN, expectOneLine, runInProcess, sandbox, TENANT, type Sandbox } from '../helpers/cli.js';
import { describePg, freshSchema, PG_URL, psql, type PgSchema } from '../helpers/pg.js';
import { pgStoreHash } from '../helpers/pg-e2e.js';
import { LOCK } from '../../src/store/postgres/migrations.js';
import { MAX_ATTEMPTS } from '../../src/store/postgres/pg-store.js';

const require = createRequire(import.meta.url);
const { Client } = require('pg') as typeof import('pg');

const BOB = 'bob@fabrikam.com';
const CAROL = 'carol@fabrikam.com';
const RETRY_LINE = /could not serialise this change \(.*\): nothing was written; try again/;

const schemas: PgSchema[] = [];
const sandboxes: Sandbox[] = [];
const clients: PgClient[] = [];

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  for (const s of schemas) await s.drop();
  for (const sb of sandboxes) await sb.cleanup();
});

interface Team {
  schema: string;
  url: string;
  run(args: string[], stdin?: string): ReturnType<typeof runInProcess>;
  ok(args: string[]): Promise<string>;
}

/** A team store in a schema of its own, with a partner (ADMIN, acting through this login) and two users. */
async function team(): Promise<Team> {
  const schema = await freshSchema();
  schemas.push(schema);
  const sb = await sandbox();
  sandboxes.push(sb);
  const env = { ...sb.env, DELEGATE_DB: schema.url };
  const run: Team['run'] = (args, stdin) => runInProcess(args, { env, ...(stdin !== undefined ? { stdin } : {}) });
  const ok: Team['ok'] = async (args) => {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await ok(['user', 'add', BOB, '--name', 'Bob']);
  await ok(['user', 'add', CAROL, '--name', 'Carol']);
  return { schema: schema.name, url: schema.url, run, ok };
}

async function connect(schema: string): Promise<PgClient> {
  const c = new Client({ connectionString: PG_URL });
  clients.push(c);
  await c.connect();
  await c.query(`SET search_path = ${schema}`);
  return c;
}

/**
 * Run `command` while a session outside delegate deadlocks with it: the outside session renames
 * `email` (holding that row's lock), waits until a backend is blocked behind it (delegate's write,
 * which holds the write lock), then asks for delegate's write lock. The outside session's
 * deadlock_timeout is 10 s, delegate's the server's 1 s: delegate's backend finds the deadlock and
 * is the one cancelled. Returns the command's result, and whether the outside session got the
 * write lock while delegate's first attempt held it (so that attempt was rolled back).
 */
async function deadlocked<R>(t: Team, email: string, command: () => Promise<R>): Promise<R> {
  const outside = await connect(t.schema);
  const watcher = await connect(t.schema);
  const pid = ((await outside.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
  await outside.query("SET deadlock_timeout = '10s'");
  await outside.query('BEGIN');
  await outside.query("UPDATE users SET name = 'Bob Outside' WHERE email = $1", [email]);
  const running = command();
  // Delegate's write waiting on the outside session's row lock (polled, not slept for).
  for (let i = 0; ; i++) {
    const n = ((await watcher.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid])).rows[0] as { n: number }).n;
    if (n > 0) break;
    if (i > 2000) throw new Error('no backend ever waited for the outside session');
    await new Promise((r) => setTimeout(r, 10));
  }
  // Granted only once delegate's attempt (which holds it) has been rolled back.
  await outside.query(`SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`, [LOCK.write]);
  await outside.query('COMMIT');
  return running;
}

const userRow = async (t: Team, email: string) => (await psql(`SELECT name, admin_access FROM ${t.schema}.users WHERE email = '${email}'`)).trim();
const auditActions = async (t: Team) => (await psql(`SELECT action || ' ' || target FROM ${t.schema}.audit ORDER BY seq`)).trim().split('\n');

describePg('team store: writes retried after a deadlock or serialization failure', () => {
  test('a write that loses a real deadlock is run again: exit 0, printed once, one audit entry, the chain intact, the other session kept', async () => {
    const t = await team();
    const before = await auditActions(t);
    const r = await deadlocked(t, BOB, () => t.run(['user', 'grant-admin', BOB, '--role', 'full', '--json']));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('1 user changed.\n');
    // Printed once, not once per attempt, and the change counted once.
    const printed = JSON.parse(r.stdout) as { email: string; adminAccess: string; changed: boolean }[];
    expect(printed).toEqual([expect.objectContaining({ email: BOB, adminAccess: 'full', changed: true })]);
    // Both changes are stored: delegate's grant, the outside session's rename.
    expect(await userRow(t, BOB)).toBe('Bob Outside|full');
    expect(await auditActions(t)).toEqual([...before, `user.grant-admin ${BOB}`]);
    expect(await t.ok(['audit', 'verify'])).toMatch(/^ok\t4\t/);
  });

  test('a write that keeps hitting serialization failures stops after MAX_ATTEMPTS: one line, exit 1, the store unchanged', async () => {
    const t = await team();
    const s = t.schema;
    await psql(`CREATE SEQUENCE ${s}.test_attempts;
      CREATE FUNCTION ${s}.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM nextval('${s}.test_attempts'); RAISE EXCEPTION 'injected by the test' USING ERRCODE = 'serialization_failure'; END $$;
      CREATE TRIGGER test_refuse BEFORE UPDATE ON ${s}.users FOR EACH ROW EXECUTE FUNCTION ${s}.test_refuse()`);
    const hash = await pgStoreHash(t.url);
    const r = await t.run(['user', 'grant-admin', BOB, '--role', 'full']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, RETRY_LINE);
    expect(r.stderr).toMatch(/injected by the test/);
    // Each attempt reached the UPDATE once; nextval is not rolled back with the attempt.
    expect(MAX_ATTEMPTS).toBeGreaterThan(1);
    expect((await psql(`SELECT last_value FROM ${s}.test_attempts`)).trim()).toBe(String(MAX_ATTEMPTS));
    expect(await pgStoreHash(t.url)).toBe(hash);
    await psql(`DROP TRIGGER test_refuse ON ${s}.users`);
    expect(await t.ok(['audit', 'verify'])).toMatch(/^ok\t3\t/);
  });

  test('a bulk write whose rows were read from stdin is not run again after a deadlock: one line, exit 1, nothing written or printed', async () => {
    const t = await team();
    const before = await auditActions(t);
    const r = await deadlocked(t, BOB, () => t.run(['user', 'grant-admin', '--file', '-', '--role', 'limited'], `email\n${BOB}\n${CAROL}\n`));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, RETRY_LINE);
    expect(r.stderr).toMatch(/deadlock/);
    expect(await userRow(t, BOB)).toBe('Bob Outside|none');
    expect(await userRow(t, CAROL)).toBe('Carol|none');
    expect(await auditActions(t)).toEqual(before);
    expect(await t.ok(['audit', 'verify'])).toMatch(/^ok\t3\t/);
  });
});
