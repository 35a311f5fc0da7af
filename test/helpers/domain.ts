/** Helpers for tests that call the domain on a store directly. */
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** Every row of every table: what "writes nothing" compares. */
export function dump(store: SqliteStore, opts: { withoutAudit?: boolean } = {}): Record<string, unknown[]> {
  const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return Object.fromEntries(
    tables.filter((t) => !(opts.withoutAudit && t.name === 'audit')).map((t) => [t.name, store.db.prepare(`SELECT * FROM "${t.name}"`).all()]),
  );
}

/** The error a promise rejects with, asserted to be of `type`. */
export async function rejects<E extends Error>(p: Promise<unknown>, type: new (...a: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected ${type.name}`);
}
