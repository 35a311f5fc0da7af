/**
 * Team-store tests against a real PostgreSQL server (test/pg-setup.mjs finds
 * it). Each store lives in its own schema, named uniquely and dropped after;
 * test roles are cluster-wide, so they are named uniquely and dropped too.
 * The harness talks to the server through one small pool of `pg` connections
 * (as the server's superuser), not a psql process per statement.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Pool, PoolClient } from 'pg';

/** Why the PostgreSQL tests cannot run here (undefined: they run). */
export const PG_MISSING = process.env.DELEGATE_TEST_PG_MISSING;
export const PG_URL = process.env.DELEGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** describe, or describe.skip without a server (the run says why once, in pg-setup). */
export const describePg: jest.Describe = PG_MISSING ? describe.skip : describe;

/** This run's id (pg-setup.mjs): every schema and role a test makes carries it, so teardown can drop leftovers. */
export const RUN_ID = process.env.DELEGATE_TEST_RUN_ID ?? 'norun';
export const uniqueName = (prefix: string) => `${prefix}_${RUN_ID}_${process.pid}${randomBytes(3).toString('hex')}`;

let pool: Pool | undefined;

/** This test file's connections to the server (idle ones close by themselves, so none outlives the file). */
function harnessPool(): Pool {
  const { Pool: PgPool } = createRequire(import.meta.url)('pg') as typeof import('pg');
  pool ??= new PgPool({ connectionString: PG_URL, max: 3, idleTimeoutMillis: 1000, allowExitOnIdle: true, application_name: 'delegate-tests' });
  return pool;
}

/**
 * One connection of the pool for `fn`, its session settings reset before it goes back
 * (a statement may SET search_path or session_replication_role for itself).
 */
export async function withPg<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await harnessPool().connect();
  try {
    return await fn(c);
  } finally {
    await c.query('RESET ALL').then(
      () => c.release(),
      (e: Error) => c.release(e),
    );
  }
}

type Row = Record<string, unknown>;

/** A connection of its own as another login (`url`), for `fn` only. */
async function asOther<T>(url: string, fn: (c: import('pg').ClientBase) => Promise<T>): Promise<T> {
  const { Client } = createRequire(import.meta.url)('pg') as typeof import('pg');
  const c = new Client({ connectionString: url, application_name: 'delegate-tests' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Run SQL as the server's superuser, failing loudly: one statement or several (then in one
 * implicit transaction, as psql -c runs them). The rows of the last statement that returns any.
 */
export async function pgSql(sql: string, url = PG_URL): Promise<Row[]> {
  return (url === PG_URL ? withPg : (fn: (c: import('pg').ClientBase) => Promise<Row[]>) => asOther(url, fn))(async (c) => {
    let result: { rows: Row[] } | { rows: Row[] }[];
    try {
      result = (await c.query(sql)) as unknown as typeof result;
    } catch (e) {
      throw new Error(`SQL on the test server failed: ${(e as Error).message}\n${sql.slice(0, 500)}`);
    }
    const all = Array.isArray(result) ? result : [result];
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.rows.length > 0) return all[i]!.rows;
    return [];
  });
}

/**
 * Run SQL as the server's superuser (or as the login of `url`) and give its rows as psql -XAt would print them: a line each,
 * fields joined by |, nothing for statements without rows.
 */
export async function psql(sql: string, url = PG_URL): Promise<string> {
  const rows = await pgSql(sql, url);
  return rows.map((r) => Object.values(r).map((v) => (v === null ? '' : String(v))).join('|') + '\n').join('');
}

/** A store URL whose tables live in `schema` (search_path through libpq's options). */
export function schemaUrl(schema: string, base = PG_URL): string {
  // %20, not +: libpq (psql) does not read + as a space.
  return `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export interface PgSchema {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new empty schema (no delegate tables yet). */
export async function freshSchema(): Promise<PgSchema> {
  const name = uniqueName('dlgt');
  await pgSql(`CREATE SCHEMA ${name}`);
  return { name, url: schemaUrl(name), drop: async () => void (await pgSql(`DROP SCHEMA IF EXISTS ${name} CASCADE`)) };
}

/** Roles made by a test file (cluster-wide): each named uniquely, all dropped with dropRoles(). */
const roles: string[] = [];
export async function makeRole(prefix = 'dlgt_tech'): Promise<string> {
  const name = uniqueName(prefix);
  await pgSql(`CREATE ROLE ${name} LOGIN`);
  roles.push(name);
  return name;
}
export async function dropRoles(): Promise<void> {
  for (const r of roles.splice(0)) await pgSql(`DROP OWNED BY ${r} CASCADE; DROP ROLE IF EXISTS ${r}`);
}

/** The same store URL as another login. */
export function asLogin(url: string, login: string): string {
  const u = new URL(url);
  u.username = login;
  u.password = '';
  return u.toString();
}
