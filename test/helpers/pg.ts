/**
 * Team-store tests against a real PostgreSQL server (test/pg-setup.mjs finds
 * it). Each store lives in its own schema, named uniquely and dropped after;
 * test roles are cluster-wide, so they are named uniquely and dropped too.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Why the PostgreSQL tests cannot run here (undefined: they run). */
export const PG_MISSING = process.env.DELEGATE_TEST_PG_MISSING;
export const PG_URL = process.env.DELEGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** describe, or describe.skip without a server (the run says why once, in pg-setup). */
export const describePg: jest.Describe = PG_MISSING ? describe.skip : describe;

/** This run's id (pg-setup.mjs): every schema and role a test makes carries it, so teardown can drop leftovers. */
export const RUN_ID = process.env.DELEGATE_TEST_RUN_ID ?? 'norun';
export const uniqueName = (prefix: string) => `${prefix}_${RUN_ID}_${process.pid}${randomBytes(3).toString('hex')}`;

/** Run SQL as the server's superuser (psql), failing loudly. */
export function psql(sql: string, url = PG_URL): string {
  const r = spawnSync('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout;
}

/** A store URL whose tables live in `schema` (search_path through libpq's options). */
export function schemaUrl(schema: string, base = PG_URL): string {
  // %20, not +: libpq (psql) does not read + as a space.
  return `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export interface PgSchema {
  name: string;
  url: string;
  drop(): void;
}

/** A new empty schema (no delegate tables yet). */
export function freshSchema(): PgSchema {
  const name = uniqueName('dlgt');
  psql(`CREATE SCHEMA ${name}`);
  return { name, url: schemaUrl(name), drop: () => void psql(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}

/** Roles made by a test file (cluster-wide): each named uniquely, all dropped with dropRoles(). */
const roles: string[] = [];
export function makeRole(prefix = 'dlgt_tech'): string {
  const name = uniqueName(prefix);
  psql(`CREATE ROLE ${name} LOGIN`);
  roles.push(name);
  return name;
}
export function dropRoles(): void {
  for (const r of roles.splice(0)) psql(`DROP OWNED BY ${r} CASCADE; DROP ROLE IF EXISTS ${r}`);
}

/** The same store URL as another login. */
export function asLogin(url: string, login: string): string {
  const u = new URL(url);
  u.username = login;
  u.password = '';
  return u.toString();
}
