/**
 * Which backend a --db names: a postgres:// or postgresql:// URL is a team
 * store on PostgreSQL (pg is loaded only then, so a solo store starts as
 * fast as before); anything else is an SQLite file.
 */
import type { Store } from '../domain/core/store.js';

export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

export async function openStore(db: string, opts: { create: boolean; migrate?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  if (isPostgresUrl(db)) return (await import('./postgres/pg-store.js')).PgStore.open(db, { ...opts, env });
  return (await import('./sqlite/sqlite-store.js')).SqliteStore.open(db, { create: opts.create });
}
