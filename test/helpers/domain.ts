/** Helpers for tests that call the domain on a store directly. */
import type { Clock } from '../../src/domain/core/clock.js';
import type { Partner } from '../../src/domain/core/model.js';
import type { Session } from '../../src/domain/core/session.js';
import type { Store, Tx } from '../../src/domain/core/store.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** A partner to put straight into a store. */
export const PARTNER: Partner = {
  name: 'Fabrikam',
  tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
  cloud: 'global',
  certified: true,
  mpnId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  adminAgentsGroupId: null,
  helpdeskAgentsGroupId: null,
};

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

/** A session on `store` whose every Tx call is counted by name (to show work done per chunk, not per row). */
export function countingSession(store: Store, clock: Clock): { session: Session; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrap = (tx: Tx): Tx =>
    new Proxy(tx, {
      get(target, key) {
        const v = Reflect.get(target, key, target) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const counted: Store = { path: store.path, read: (fn) => store.read((tx) => fn(wrap(tx))), write: (fn) => store.write((tx) => fn(wrap(tx))), close: () => store.close() };
  return { session: { store: counted, clock }, calls };
}
