/**
 * A private, throwaway PostgreSQL cluster for tests that restart a server or
 * need password authentication (never the shared one): initdb and pg_ctl on
 * a port of its own, run as the postgres user when the tests run as root,
 * with scram-sha-256 password authentication over TCP.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.DELEGATE_TEST_PG_BIN || '/usr/lib/postgresql/15/bin';

export interface Cluster {
  port: number;
  /** The superuser's password (its login is postgres). */
  password: string;
  /** A URL to the cluster; password null: none in the URL (PGPASSWORD or ~/.pgpass then). */
  url(db?: string, login?: string, password?: string | null): string;
  sql(sql: string, db?: string): string;
  restart(): void;
  stop(): void;
}

function asOwner(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const root = userInfo().uid === 0;
  const [c, a] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return spawnSync(c, a, { encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 60_000 });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed: ${devNullProblem() ?? ''}${firstLines(r.stderr || String(r.error))}`);
  return r.stdout;
}

/** initdb's own shell commands write to /dev/null as the postgres user: say so when this machine's cannot take that. */
function devNullProblem(): string | undefined {
  const st = statSync('/dev/null');
  if (!st.isCharacterDevice()) return `/dev/null is not a character device on this machine (mode ${st.mode.toString(8)}): something replaced it; `;
  if ((st.mode & 0o002) === 0) return `/dev/null is not writable by other users on this machine (mode ${st.mode.toString(8)}); `;
  return undefined;
}

/** A failing tool's output, its repeated lines once. */
function firstLines(text: string): string {
  return [...new Set(text.trim().split('\n'))].slice(0, 5).join('\n');
}

/** Whether a private cluster can be made here (the server binaries are installed). */
export function canMakeCluster(): string | undefined {
  const r = spawnSync(join(BIN, 'initdb'), ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `no initdb at ${BIN} (set DELEGATE_TEST_PG_BIN)`;
}

export function startCluster(): Cluster {
  const dir = mkdtempSync(join(tmpdir(), 'delegate-pg-'));
  chmodSync(dir, 0o700);
  if (userInfo().uid === 0) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
  const data = join(dir, 'data');
  const password = 'pw-' + Math.random().toString(36).slice(2);
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password + '\n');
  if (userInfo().uid === 0) chownSync(pwfile, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), 0);
  must(asOwner(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8']), 'initdb');
  // A port of its own: try a few until one is free.
  let port = 0;
  for (let attempt = 0; attempt < 10 && !port; attempt++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    const r = asOwner(join(BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${p} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
    if (r.status === 0) port = p;
  }
  if (!port) throw new Error('could not start a private PostgreSQL cluster');
  const url = (db = 'postgres', login = 'postgres', pw: string | null = password) =>
    `postgres://${encodeURIComponent(login)}${pw === null ? '' : ':' + encodeURIComponent(pw)}@127.0.0.1:${port}/${db}`;
  const ctl = (args: string[]) => must(asOwner(join(BIN, 'pg_ctl'), ['-D', data, '-w', ...args]), `pg_ctl ${args.join(' ')}`);
  return {
    port,
    password,
    url,
    sql: (sql, db = 'postgres') => must(spawnSync('psql', [url(db), '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }), 'psql'),
    restart: () => void ctl(['-m', 'fast', '-l', join(dir, 'log'), 'restart', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`]),
    stop: () => {
      asOwner(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
