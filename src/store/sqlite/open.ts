/**
 * Open (or create) a delegate store file safely: check what the file is before
 * SQLite touches it, then WAL, foreign keys, busy timeout and migrations.
 */
import { accessSync, chmodSync, closeSync, constants, existsSync, lstatSync, openSync, readSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { NotFoundError, StoreError, UsageError } from '../../domain/core/errors.js';
import { makePrivateDirs, makePrivateFile, PRIVATE_FILE } from '../files.js';
import { explainSqlite } from './errors.js';
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from './migrations.js';

// better-sqlite3 is CommonJS: require() loads it without the ES module loader's CommonJS scan.
const load = createRequire(import.meta.url);
const BetterSqlite3 = load('better-sqlite3') as typeof Database;
/**
 * The addon's own path, so better-sqlite3 skips the `bindings` package, which
 * on every start reads a stack trace and tries a dozen paths to find it.
 * Where the build put it elsewhere, `bindings` still finds it.
 */
const ADDON = ((): string | undefined => {
  const built = join(dirname(load.resolve('better-sqlite3')), '..', 'build', 'Release', 'better_sqlite3.node');
  return existsSync(built) ? built : undefined;
})();

export interface OpenOptions {
  /** Create the file (and its 0700 directory) when missing: only `init` does. */
  create: boolean;
  busyTimeoutMs?: number;
}

const SQLITE_HEADER = 'SQLite format 3\u0000';

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Refuse anything that is not (or cannot become) a delegate store, without writing to it. */
function checkFile(path: string, create: boolean): 'new' | 'existing' {
  checkLink(path);
  if (!existsSync(path)) {
    if (!create) throw new NotFoundError(`No delegate store at ${path}: run \`delegate init\` first (or pass --db)`);
    return 'new';
  }
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new StoreError(`Cannot read the store ${path}: ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new StoreError(`The store path ${path} is a directory, not a file`);
  if (st.size === 0) {
    if (create) return 'new';
    throw new StoreError(`The store ${path} is an empty file, not a delegate store: run \`delegate init\` to set it up`);
  }
  let header: string;
  try {
    header = readHeader(path);
  } catch (e) {
    throw new StoreError(`Cannot read the store ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (header !== SQLITE_HEADER) throw new StoreError(`${path} is not a delegate store (not an SQLite database)`);
  checkWritable(path);
  return 'existing';
}

/**
 * A store path that is a symbolic link to nothing is a mistake to point out,
 * not a store to create at the link's target (or to report as missing).
 */
function checkLink(path: string): void {
  let link;
  try {
    link = lstatSync(path);
  } catch {
    return; // nothing there at all
  }
  if (!link.isSymbolicLink() || existsSync(path)) return;
  let target = '';
  try {
    target = ` (to ${readlinkSync(path)})`;
  } catch {
    /* the link's target is only for the message */
  }
  throw new UsageError(`The store path ${path} is a symbolic link to nothing${target}: fix or remove the link, or pass another --db`);
}

/**
 * SQLite in WAL mode writes next to the store even to read it (the -wal and
 * -shm files), so a store that cannot be written is refused before it is
 * opened: otherwise it would leave files behind that block later writers.
 */
function checkWritable(path: string): void {
  const targets = [path, `${path}-wal`, `${path}-shm`].filter((p) => p === path || existsSync(p));
  for (const p of [...targets, dirname(path)]) {
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      // Another process may close the store meanwhile and remove its -wal/-shm: gone is not read-only.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new StoreError(
        `The store ${path} is read-only (${p === dirname(path) ? 'its directory' : p} cannot be written): delegate needs to write the store and its directory; check their permissions`,
      );
    }
  }
}

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code ? `${err.code}: ${err.message}` : String(err.message ?? e);
}

/** A failure while opening: the plain explanation when there is one, else what SQLite said. */
function openFailure(path: string, e: unknown): StoreError {
  const plain = explainSqlite(e);
  return new StoreError(plain ? `${plain} (${path})` : `Cannot use the store ${path}: ${describe(e)}`);
}

export function openDatabase(path: string, opts: OpenOptions): Database.Database {
  // ':memory:' is for tests: a private, throw-away store.
  const state = path === ':memory:' ? 'new' : checkFile(path, opts.create);
  if (state === 'new' && path !== ':memory:') makePrivateDirs(dirname(path));
  const sideFiles = path === ':memory:' ? [] : [`${path}-wal`, `${path}-shm`].filter((p) => !existsSync(p));
  let db: Database.Database;
  try {
    db = new BetterSqlite3(path, { fileMustExist: state === 'existing', ...(ADDON ? { nativeBinding: ADDON } : {}) });
  } catch (e) {
    throw openFailure(path, e);
  }
  try {
    if (state === 'new' && path !== ':memory:') chmodSync(path, PRIVATE_FILE);
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 15000}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const appId = db.pragma('application_id', { simple: true }) as number;
    if (version > 0 && appId !== APPLICATION_ID) throw new StoreError(`${path} is an SQLite database but not a delegate store`);
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (tables.n > 0) throw new StoreError(`${path} is an SQLite database but not a delegate store`);
      if (!opts.create) throw new StoreError(`The store ${path} is not set up: run \`delegate init\` first`);
    }
    if (version > LATEST_VERSION) {
      throw new StoreError(
        `The store ${path} was written by a newer delegate (store version ${version}; this delegate knows up to ${LATEST_VERSION}): upgrade delegate`,
      );
    }
    // An existing store, and any -wal/-shm beside it, is narrowed to 0600 once it is known to be a
    // delegate store (SQLite gives the -wal/-shm files it creates the store's mode).
    if (state === 'existing') for (const p of [path, `${path}-wal`, `${path}-shm`]) makePrivateFile(p);
    if (path !== ':memory:' && (db.pragma('journal_mode', { simple: true }) as string) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -8192'); // 8 MiB of page cache: enough for bulk work, small enough for a 200 MB ceiling
    migrate(db, version);
    return db;
  } catch (e) {
    db.close();
    if (explainSqlite(e)?.startsWith('The disk is full')) removeEmptySideFiles(path, sideFiles);
    if (e instanceof StoreError || e instanceof NotFoundError) throw e;
    throw openFailure(path, e);
  }
}

/**
 * A disk too full for SQLite's shared-memory file leaves an empty WAL and a
 * partial -shm behind (the connection could not clean up). They hold no data;
 * remove the ones this open created, so the store's files stay as they were.
 */
function removeEmptySideFiles(path: string, created: string[]): void {
  const wal = `${path}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) return;
  for (const p of created) rmSync(p, { force: true });
}

function migrate(db: Database.Database, from: number): void {
  for (let v = from; v < LATEST_VERSION; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Re-read inside the lock: another process may have migrated meanwhile.
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > v) {
        db.exec('COMMIT');
        continue;
      }
      db.exec(MIGRATIONS[v]!);
      if (v === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
}
