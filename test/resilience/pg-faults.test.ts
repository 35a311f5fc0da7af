/**
 * Faults on a team store (SPEC.md "Team store": faults): the connection
 * terminated mid-bulk (pg_terminate_backend) and the server restarted
 * mid-bulk each give one clear line and a non-zero exit, and the store holds
 * all of the command's rows or none. A wrong password is one line naming the
 * store, never the password; PGPASSWORD and ~/.pgpass work as with libpq.
 * The restart and the passwords use a private throwaway cluster, never the
 * shared server.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, BIN, expectOneLine, spawnBin, sandbox, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { describePg, freshSchema, psql, uniqueName, type PgSchema } from '../helpers/pg.js';
import { canMakeCluster, startCluster, type Cluster } from '../helpers/private-cluster.js';

const ROWS = 150_000;
const sandboxes: Sandbox[] = [];
const schemas: PgSchema[] = [];
afterAll(async () => {
  for (const s of sandboxes) await s.cleanup();
  for (const s of schemas) await s.drop();
});

function bigFile(sb: Sandbox): string {
  const path = join(sb.dir, 'big.csv');
  const lines = ['email,name'];
  for (let i = 0; i < ROWS; i++) lines.push(`bulk${i}@fabrikam.com,Bulk ${i}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Run the CLI; `whileRunning` is called (again and again) until it returns true or the command ends. */
function runDuring(args: string[], env: NodeJS.ProcessEnv, whileRunning: () => Promise<boolean>): Promise<Result & { acted: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let done = false;
    let acted = false;
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      done = true;
      resolve({ code: code ?? 1, stdout: '', stderr, acted });
    });
    const poll = async () => {
      while (!done && !acted) acted = await whileRunning();
    };
    poll().catch(reject);
  });
}

const asyncPsql = (url: string, sql: string) =>
  new Promise<string>((resolve, reject) => {
    const c = spawn('psql', [url, '-XAtqc', sql], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`psql: ${err}`))));
  });

/** Whether the command (by its application_name) is inside its write transaction, before its COMMIT. */
const inTransaction = (app: string, what = 'count(*)') =>
  `SELECT ${what} FROM pg_stat_activity WHERE application_name = '${app}' AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction') AND query NOT ILIKE 'COMMIT%'`;

describePg('a team store when the connection dies mid-bulk', () => {
  test('pg_terminate_backend during user add --file: one line, exit 1, none of the rows', async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    const sb = await sandbox();
    sandboxes.push(sb);
    sb.env.DELEGATE_DB = schema.url;
    expect((await spawnBin(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN], sb.env)).code).toBe(0);
    const file = bigFile(sb);
    const app = uniqueName('dlgt_bulk');
    // One statement finds the command inside its write transaction and ends its connection.
    // Only that one connection: the rows are chosen first (OFFSET 0 keeps the planner from calling
    // pg_terminate_backend on rows before the filter has run; this is a shared server).
    const kill = `SELECT count(pg_terminate_backend(pid)) FROM (${inTransaction(app, 'pid')} OFFSET 0) mine`;
    const r = await runDuring(['user', 'add', '--file', file], { ...sb.env, PGAPPNAME: app }, async () => (await asyncPsql(schema.url, kill)) !== '0');
    expect(r.acted).toBe(true);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /connection to the store .* was lost.*nothing of this command was committed/);
    expect((await psql(`SELECT count(*) FROM ${schema.name}.users`)).trim()).toBe('1');
    expect((await spawnBin(['audit', 'verify'], sb.env)).code).toBe(0);
  });
});

const noCluster = canMakeCluster();
(noCluster ? describe.skip : describePg)('a private cluster: restart mid-bulk, passwords', () => {
  let cluster: Cluster;
  let sb: Sandbox;
  let url: string;
  beforeAll(async () => {
    cluster = startCluster();
    cluster.sql('CREATE DATABASE ledger');
    sb = await sandbox();
    sandboxes.push(sb);
    url = cluster.url('ledger', 'postgres', null);
    sb.env.DELEGATE_DB = url;
    sb.env.PGPASSWORD = cluster.password;
  }, 120_000);
  afterAll(() => cluster?.stop());

  test('a wrong password is one line naming the store without the password, exit 1; PGPASSWORD and ~/.pgpass work', async () => {
    const wrong = await spawnBin(['--db', cluster.url('ledger', 'postgres', 'not-the-password'), 'user', 'list'], { ...sb.env, PGPASSWORD: '' });
    expect(wrong.code).toBe(1);
    expectOneLine(wrong.stderr, /The store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/ledger refused the login/);
    expect(wrong.stderr).not.toContain('not-the-password');
    const none = await spawnBin(['user', 'list'], { ...sb.env, PGPASSWORD: '' });
    expect(none.code).toBe(1);
    expectOneLine(none.stderr, /refused the login|password/);
    expect((await spawnBin(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN], sb.env)).code).toBe(0);
    const home = sb.env.HOME!;
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.pgpass'), `127.0.0.1:${cluster.port}:ledger:postgres:${cluster.password}\n`);
    chmodSync(join(home, '.pgpass'), 0o600);
    const viaPgpass = await spawnBin(['user', 'list', '--json'], { ...sb.env, PGPASSWORD: undefined });
    expect(viaPgpass.code).toBe(0);
    expect(viaPgpass.stderr).toBe('');
  });

  test('the server restarted during user add --file: one line, non-zero exit, none of the rows', async () => {
    const file = bigFile(sb);
    const app = uniqueName('dlgt_restart');
    const admin = cluster.url('ledger');
    const r = await runDuring(['user', 'add', '--file', file], { ...sb.env, PGAPPNAME: app }, async () => {
      if ((await asyncPsql(admin, inTransaction(app))) === '0') return false;
      cluster.restart();
      return true;
    });
    expect(r.acted).toBe(true);
    expect(r.code).not.toBe(0);
    expectOneLine(r.stderr, /connection to the store .* was lost|not accepting connections|terminat/);
    expect(cluster.sql("SELECT count(*) FROM users WHERE email LIKE 'bulk%'", 'ledger').trim()).toBe('0');
    expect((await spawnBin(['audit', 'verify'], sb.env)).code).toBe(0);
  }, 120_000);
});
