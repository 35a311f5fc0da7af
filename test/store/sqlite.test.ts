/**
 * The SQLite store on real files: how it is created, what it refuses to open
 * (without touching the file), and its unit-of-work transactions.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NotFoundError, StoreError } from '../../src/domain/core/errors.js';
import type { AuditEntry, PartnerUser } from '../../src/domain/core/model.js';
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PARTNER } from '../helpers/domain.js';

let dir: string;
const open: SqliteStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'delegate-store-test-'));
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function openStore(path: string, create: boolean): SqliteStore {
  const s = SqliteStore.open(path, { create });
  open.push(s);
  return s;
}

const mode = (path: string) => statSync(path).mode & 0o777;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const USER: PartnerUser = { email: 'ada@fabrikam.com', name: 'Ada', orgRole: 'global-admin', adminAccess: 'full', createdAt: '2026-01-01T00:00:00.000Z' };
const ENTRY: AuditEntry = { seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'ada@fabrikam.com', action: 'test', target: 't', outcome: 'allowed', detail: '', hash: 'h' };

/** A real store with a partner in it, closed. */
async function realStore(path: string): Promise<void> {
  const s = SqliteStore.open(path, { create: true });
  await s.write(async (tx) => {
    await tx.insertPartner(PARTNER);
    await tx.insertUsers([USER]);
  });
  await s.close();
}

/**
 * Opening `path` is refused with `type`, in one line, and the file and its
 * directory are exactly as they were (no bytes changed, no -wal/-shm/-journal left).
 */
function refusedUntouched(path: string, create: boolean, type: typeof StoreError | typeof NotFoundError): Error {
  const bytes = sha(path);
  const listing = readdirSync(dir, { recursive: true }).sort();
  let err: unknown;
  try {
    openStore(path, create);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  const message = (err as Error).message;
  expect(message).not.toMatch(/\n/);
  expect(message).toContain(path);
  expect(sha(path)).toBe(bytes);
  expect(readdirSync(dir, { recursive: true }).sort()).toEqual(listing);
  return err as Error;
}

describe('a new store', () => {
  test('is a 0600 file in a 0700 directory it creates', () => {
    const path = join(dir, 'data', 'delegate', 'delegate.db');
    openStore(path, true);
    expect(mode(path)).toBe(0o600);
    expect(mode(join(dir, 'data', 'delegate'))).toBe(0o700);
    expect(mode(join(dir, 'data'))).toBe(0o700);
  });

  test('its WAL and shared-memory files are private too', async () => {
    const path = join(dir, 'delegate.db');
    const s = openStore(path, true);
    await s.write(async (tx) => tx.insertPartner(PARTNER));
    for (const f of [`${path}-wal`, `${path}-shm`]) {
      expect(existsSync(f)).toBe(true);
      expect(mode(f)).toBe(0o600);
    }
  });

  test('uses WAL, enforces foreign keys, and is marked as a delegate store at the latest version', () => {
    const s = openStore(join(dir, 'delegate.db'), true);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(s.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(Number(s.db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
  });

  test('the WAL setting persists in the file', async () => {
    const path = join(dir, 'delegate.db');
    await realStore(path);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    } finally {
      raw.close();
    }
  });

  test('an empty file may become a store when creating', async () => {
    const path = join(dir, 'delegate.db');
    writeFileSync(path, '');
    const s = openStore(path, true);
    expect(s.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
  });
});

describe('upgrading', () => {
  test('a store from before the agent group ids keeps its partner, with both ids null until set', async () => {
    const path = join(dir, 'old.db');
    const before = MIGRATIONS.findIndex((m) => m.includes('admin_agents_group_id'));
    const raw = new Database(path);
    for (const m of MIGRATIONS.slice(0, before)) raw.exec(m);
    raw.pragma(`user_version = ${before}`);
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.prepare("INSERT INTO partner (id, name, tenant_id, cloud, certified, created_at) VALUES (1, 'Fabrikam', ?, 'global', 1, ?)").run(PARTNER.tenantId, PARTNER.createdAt);
    raw.close();
    const s = SqliteStore.open(path, { create: false });
    try {
      expect(s.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(await s.read((tx) => tx.getPartner())).toEqual(PARTNER);
      const set = { ...PARTNER, adminAgentsGroupId: '0b1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' };
      await s.write((tx) => tx.updatePartner(set));
      expect(await s.read((tx) => tx.getPartner())).toEqual(set);
    } finally {
      await s.close();
    }
  });
});

describe('reopening', () => {
  test('keeps the data and the version, whether or not create is asked for', async () => {
    const path = join(dir, 'delegate.db');
    await realStore(path);
    for (const create of [false, true, false]) {
      const s = SqliteStore.open(path, { create });
      expect(s.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(await s.read((tx) => tx.getPartner())).toEqual(PARTNER);
      expect(await s.read((tx) => tx.listUsers({}))).toEqual([{ ...USER, dbLogin: null }]);
      await s.close();
    }
  });

  test('does not change the file when nothing is written', async () => {
    const path = join(dir, 'delegate.db');
    await realStore(path);
    const bytes = sha(path);
    const s = SqliteStore.open(path, { create: false });
    await s.read((tx) => tx.getPartner());
    await s.close();
    expect(sha(path)).toBe(bytes);
  });
});

describe('refused without touching the file', () => {
  test('a missing file when not creating is not found, and nothing is created', () => {
    const path = join(dir, 'nowhere', 'delegate.db');
    let err: unknown;
    try {
      openStore(path, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('delegate init');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('an empty file when not creating', () => {
    const path = join(dir, 'delegate.db');
    writeFileSync(path, '');
    expect(refusedUntouched(path, false, StoreError).message).toContain('empty');
  });

  test.each([false, true])('a text file (create: %s)', (create) => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'shopping list\neggs\nmilk\n'.repeat(50));
    expect(refusedUntouched(path, create, StoreError).message).toContain('not a delegate store');
  });

  test.each([false, true])('a file shorter than the SQLite header (create: %s)', (create) => {
    const path = join(dir, 'short.db');
    writeFileSync(path, 'SQLite');
    refusedUntouched(path, create, StoreError);
  });

  test.each([false, true])('a truncated store whose header still says "SQLite format 3" (create: %s)', async (create) => {
    const real = join(dir, 'real.db');
    await realStore(real);
    const path = join(dir, 'truncated.db');
    writeFileSync(path, readFileSync(real).subarray(0, 100));
    expect(readFileSync(path).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
    refusedUntouched(path, create, StoreError);
  });

  test.each([false, true])("another program's SQLite database (create: %s)", (create) => {
    const path = join(dir, 'other.db');
    const raw = new Database(path);
    raw.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');");
    raw.close();
    expect(refusedUntouched(path, create, StoreError).message).toContain('not a delegate store');
  });

  test("another program's SQLite database that uses user_version too", () => {
    const path = join(dir, 'other.db');
    const raw = new Database(path);
    raw.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); PRAGMA user_version = 1;");
    raw.close();
    expect(refusedUntouched(path, false, StoreError).message).toContain('not a delegate store');
  });

  test('a store written by a newer delegate', async () => {
    const path = join(dir, 'delegate.db');
    await realStore(path);
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    const err = refusedUntouched(path, false, StoreError);
    expect(err.message).toContain('newer');
    expect(err.message).toContain(String(LATEST_VERSION + 1));
    refusedUntouched(path, true, StoreError);
  });

  test('a directory', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    let err: unknown;
    try {
      openStore(path, true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect(readdirSync(path)).toEqual([]);
  });
});

// better-sqlite3 registers its SqliteError constructor once per process, so in
// a Jest worker that loaded it for another test file first, SQLite errors come
// from another vm realm (not `instanceof Error` here): match on `code`, not toThrow.
describe('transactions', () => {
  test('write commits what fn wrote when it resolves', async () => {
    const path = join(dir, 'delegate.db');
    const s = openStore(path, true);
    expect(await s.write(async (tx) => (await tx.insertPartner(PARTNER), 'done'))).toBe('done');
    await s.close();
    const again = openStore(path, false);
    expect(await again.read((tx) => tx.getPartner())).toEqual(PARTNER);
  });

  test('write rolls back everything when fn throws, and rethrows the same error', async () => {
    const path = join(dir, 'delegate.db');
    const s = openStore(path, true);
    const boom = new Error('boom');
    await expect(
      s.write(async (tx) => {
        await tx.insertPartner(PARTNER);
        await tx.insertUsers([USER]);
        await tx.insertAudit(ENTRY);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await s.read((tx) => tx.getPartner())).toBeUndefined();
    expect(await s.read((tx) => tx.listUsers({}))).toEqual([]);
    expect(await s.read((tx) => tx.lastAudit())).toBeUndefined();
    expect(s.db.inTransaction).toBe(false);
    // The store is still usable afterwards.
    await s.write(async (tx) => tx.insertPartner(PARTNER));
    expect(await s.read((tx) => tx.getPartner())).toEqual(PARTNER);
  });

  test('a constraint violation rolls back the writes before it', async () => {
    const s = openStore(join(dir, 'delegate.db'), true);
    await expect(
      s.write(async (tx) => {
        await tx.insertUsers([USER]);
        await tx.insertUsers([{ ...USER, name: 'Duplicate' }]);
      }),
    ).rejects.toMatchObject({ code: 'store', reason: 'constraint', message: expect.stringMatching(/SQLITE_CONSTRAINT/) });
    expect(await s.read((tx) => tx.listUsers({}))).toEqual([]);
  });

  test('foreign keys are enforced: a client must name an existing offer', async () => {
    const s = openStore(join(dir, 'delegate.db'), true);
    await expect(
      s.write((tx) =>
        tx.upsertClient({ domain: 'contoso.com', name: 'Contoso', tenantId: null, offerId: 'no-such-offer', acceptedAt: ENTRY.at, dap: null, gdap: [] }),
      ),
    ).rejects.toMatchObject({ code: 'store', reason: 'constraint', message: expect.stringMatching(/SQLITE_CONSTRAINT_FOREIGNKEY/) });
  });

  test('rollbackWrites undoes what was written so far and keeps the transaction open', async () => {
    const s = openStore(join(dir, 'delegate.db'), true);
    await s.write(async (tx) => {
      await tx.insertPartner(PARTNER);
      await tx.insertUsers([USER]);
      await tx.rollbackWrites();
      expect(await tx.getPartner()).toBeUndefined();
      expect(s.db.inTransaction).toBe(true);
      await tx.insertAudit(ENTRY);
    });
    expect(await s.read((tx) => tx.getPartner())).toBeUndefined();
    expect(await s.read((tx) => tx.listUsers({}))).toEqual([]);
    expect(await s.read((tx) => tx.lastAudit())).toEqual(ENTRY);
  });
});

describe('closing', () => {
  test('checkpoints the WAL: no -wal or -shm file is left and the data is in the main file', async () => {
    const path = join(dir, 'delegate.db');
    const s = SqliteStore.open(path, { create: true });
    await s.write(async (tx) => {
      await tx.insertPartner(PARTNER);
      await tx.insertUsers([USER]);
    });
    await s.close();
    expect(readdirSync(dir)).toEqual(['delegate.db']);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.prepare('SELECT email FROM users').all()).toEqual([{ email: USER.email }]);
    } finally {
      raw.close();
    }
  });

  test('closing twice is harmless; using a closed store is an error', async () => {
    const s = SqliteStore.open(join(dir, 'delegate.db'), { create: true });
    await s.close();
    await s.close();
    await expect(s.read((tx) => tx.getPartner())).rejects.toThrow(/closed/);
  });
});
