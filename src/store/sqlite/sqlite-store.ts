/**
 * The better-sqlite3 implementation of Store. The plain reads and writes are shared with PostgreSQL
 * (store/sql/tx.ts, run here through SqliteDriver); this file holds what SQLite does its own way:
 * lists passed as JSON arrays (json_each), multi-row INSERTs, statements prepared once and kept,
 * the printed-lines pages, db copy's rows, and transactions (BEGIN IMMEDIATE, a savepoint for
 * rollbackWrites). The schema is in migrations.ts, opening the file in open.ts.
 */
import type Database from 'better-sqlite3';
import type { AdminAccess, AuditEntry, ClientDomain, ClientRecord, ClientUser, Notification, PartnerUser, Relationship } from '../../domain/core/model.js';
import type {
  Acceptance,
  ClientFilter,
  ClientLineForm,
  LedgerRow,
  LedgerTable,
  OfferLineSpec,
  OfferWithRelationship,
  Store,
  Tx,
} from '../../domain/core/store.js';
import { PRINTABLE, printedPage, printedSql } from '../sql/client-lines.js';
import { SQLITE } from '../sql/dialect.js';
import type { SqlDriver } from '../sql/driver.js';
import { offerLineSql, printedOffers } from '../sql/offer-lines.js';
import { checkColumns, checkTable, clientWhere, pageSize, TABLE_KEYS } from '../sql/queries.js';
import { byClient, CLIENT_COLS, GDAP_ORDER, OFFERED, OFFER_WITH_RELATIONSHIP, offerWithRelationship, toAudit, toClient, toRelationship, type Row } from '../sql/rows.js';
import { SqlTx } from '../sql/tx.js';
import { toStoreError } from './errors.js';
import { openDatabase, type OpenOptions } from './open.js';

/** Columns SQLite keeps as 0/1 that the ledger's rows (db copy) carry as booleans. */
const BOOLEAN_COLUMNS: Partial<Record<LedgerTable, readonly string[]>> = {
  partner: ['certified'],
  client_users: ['is_admin', 'force_change'],
  client_domains: ['is_initial', 'verified'],
};

/**
 * Rows a multi-row INSERT carries: 200 rows of 8 columns are 1,600 bound values, far below SQLite's
 * limit (32,766); more rows a statement measured no faster.
 */
const ROWS_PER_STATEMENT = 200;

/**
 * The shared SQL's driver: every statement prepared once (SqliteStore.stmt) and run at once; the
 * answers are values, not promises. The row shape (objects or arrays) is set on each call, since one
 * prepared statement may be read both ways.
 */
class SqliteDriver implements SqlDriver {
  constructor(private readonly s: SqliteStore) {}
  all(sql: string, params: readonly unknown[]): Row[] {
    return this.s.stmt(sql).raw(false).all(...params) as Row[];
  }
  get(sql: string, params: readonly unknown[]): Row | undefined {
    return this.s.stmt(sql).raw(false).get(...params) as Row | undefined;
  }
  rows(sql: string, params: readonly unknown[]): unknown[][] {
    return this.s.stmt(sql).raw(true).all(...params) as unknown[][];
  }
  run(sql: string, params: readonly unknown[]): number {
    return this.s.stmt(sql).run(...params).changes;
  }
}

class SqliteTx extends SqlTx {
  constructor(private readonly s: SqliteStore) {
    super(s.driver, SQLITE);
  }

  async getUsers(emails: readonly string[]) {
    // One statement for a whole chunk: the emails go in as a JSON array (json_each), rows come back as arrays.
    const out = new Map<string, Omit<PartnerUser, 'createdAt'>>();
    const st = this.s.stmt('SELECT u.email, u.name, u.org_role, u.admin_access FROM json_each(?) j JOIN users u ON u.email = j.value').raw(true);
    const CHUNK = 2000;
    for (let i = 0; i < emails.length; i += CHUNK) {
      for (const r of st.all(JSON.stringify(emails.slice(i, i + CHUNK))) as string[][]) {
        out.set(r[0]!, { email: r[0]!, name: r[1]!, orgRole: r[2] as PartnerUser['orgRole'], adminAccess: r[3] as AdminAccess });
      }
    }
    return out;
  }
  async insertUsers(users: readonly PartnerUser[]) {
    const st = this.s.stmt('INSERT INTO users (email, name, org_role, admin_access, created_at, db_login) VALUES (?, ?, ?, ?, ?, ?)');
    for (const u of users) st.run(u.email, u.name, u.orgRole, u.adminAccess, u.createdAt, u.dbLogin ?? null);
  }
  async setAdminAccess(changes: readonly { email: string; adminAccess: AdminAccess }[]) {
    // One UPDATE per access level and chunk, the emails passed as a JSON array.
    const st = this.s.stmt('UPDATE users SET admin_access = ? WHERE email IN (SELECT value FROM json_each(?))');
    const CHUNK = 5000;
    for (let i = 0; i < changes.length; i += CHUNK) {
      const byAccess = new Map<AdminAccess, string[]>();
      for (const c of changes.slice(i, i + CHUNK)) {
        const list = byAccess.get(c.adminAccess);
        if (list) list.push(c.email);
        else byAccess.set(c.adminAccess, [c.email]);
      }
      for (const [access, emails] of byAccess) st.run(access, JSON.stringify(emails));
    }
  }

  async *offerLines(opts: { all: boolean }, size: number, spec: OfferLineSpec): AsyncGenerator<(string | OfferWithRelationship)[]> {
    // Each row: its seq and its plain line (NULL unless a granular offer whose times compare exactly); records for the rest.
    const line = offerLineSql({ isoTime: SQLITE.isoTime, now: '@now', pendingSince: '@pendingSince', urlPrefix: '@urlPrefix' });
    const st = this.s
      .stmt(`SELECT o.seq, ${line} FROM offers o LEFT JOIN relationships r ON o.kind = 'granular' AND r.offer_id = o.id WHERE o.seq > @last${opts.all ? '' : ` AND ${OFFERED}`} ORDER BY o.seq LIMIT ${pageSize(size)}`)
      .raw(true);
    const records = this.s.stmt(`${OFFER_WITH_RELATIONSHIP} WHERE o.seq IN (SELECT value FROM json_each(?))`).raw(true);
    const bySeq = async (seqs: (number | string)[]) => new Map((records.all(JSON.stringify(seqs)) as unknown[][]).map((r) => [String(r[0]), offerWithRelationship(r)]));
    let last = 0;
    for (;;) {
      const rows = st.all({ ...spec, last }) as [number, string | null][];
      if (rows.length === 0) return;
      yield await printedOffers(rows, spec, bySeq);
      last = rows[rows.length - 1]![0];
      if (rows.length < size) return;
    }
  }

  async getClients(domains: readonly string[]) {
    // One statement for a whole chunk (the domains as a JSON array), relationships only for the clients found.
    const out = new Map<string, ClientRecord>();
    const st = this.s.stmt(`SELECT ${CLIENT_COLS} FROM clients c WHERE c.domain IN (SELECT value FROM json_each(?))`).raw(true);
    const rels = this.s.stmt(`SELECT * FROM relationships WHERE client_domain = ? ORDER BY ${GDAP_ORDER}`).raw(false);
    const CHUNK = 2000;
    for (let i = 0; i < domains.length; i += CHUNK) {
      for (const r of st.all(JSON.stringify(domains.slice(i, i + CHUNK))) as unknown[][]) {
        out.set(r[0] as string, toClient(r, (rels.all(r[0]) as Row[]).map(toRelationship)));
      }
    }
    return out;
  }

  /** The granular relationships of these clients (a page's), by client, oldest first. */
  private relationshipsOf(domains: readonly string[]): Map<string, Relationship[]> {
    if (domains.length === 0) return new Map();
    const st = this.s.stmt(`SELECT * FROM relationships WHERE client_domain IN (SELECT value FROM json_each(?)) ORDER BY client_domain, ${GDAP_ORDER}`).raw(false);
    return byClient(st.all(JSON.stringify(domains)) as Row[]);
  }

  async *clientChunks(f: ClientFilter, size: number): AsyncGenerator<ClientRecord[]> {
    // Keyset pages (domain > last) fetched with all(): far fewer native round trips than iterate().
    // Every filter is in the query; each page's relationships come with one more query (most clients have none).
    const { where, params } = clientWhere(f, SQLITE);
    const st = this.s.stmt(`SELECT ${CLIENT_COLS} FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${pageSize(size)}`).raw(true);
    const anyGdap = this.s.stmt('SELECT 1 AS x FROM relationships WHERE client_domain IS NOT NULL LIMIT 1').raw(false).get() !== undefined;
    let last = '';
    for (;;) {
      const rows = st.all(last, ...params) as unknown[][];
      if (rows.length === 0) return;
      const rels = anyGdap ? this.relationshipsOf(rows.map((r) => r[0] as string)) : new Map<string, Relationship[]>();
      const chunk: ClientRecord[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        chunk[i] = toClient(r, (rels.size && rels.get(r[0] as string)) || []);
      }
      last = chunk[chunk.length - 1]!.domain;
      yield chunk;
      if (rows.length < size) return;
    }
  }

  async *clientLines(f: ClientFilter, size: number, form: ClientLineForm): AsyncGenerator<(string | ClientRecord)[]> {
    // Each row: its domain and its printed text (NULL when it is not a DAP-only client); records for the rest.
    const { where, params } = clientWhere(f, SQLITE);
    const st = this.s.stmt(`SELECT c.domain, CASE WHEN ${PRINTABLE} THEN ${printedSql(form, SQLITE)} END FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${pageSize(size)}`).raw(true);
    let last = '';
    for (;;) {
      const rows = st.all(last, ...params) as [string, string | null][];
      if (rows.length === 0) return;
      yield await printedPage(rows, form, (domains) => this.getClients(domains));
      last = rows[rows.length - 1]![0];
      if (rows.length < size) return;
    }
  }

  async upsertClients(cs: readonly ClientRecord[]) {
    this.insertRows(
      'INSERT INTO clients (domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at, dap_removed_at) VALUES',
      '(?, ?, ?, ?, ?, ?, ?, ?)',
      `ON CONFLICT (domain) DO UPDATE SET name = excluded.name, tenant_id = excluded.tenant_id, offer_id = excluded.offer_id, accepted_at = excluded.accepted_at,
         dap_offer_id = excluded.dap_offer_id, dap_accepted_at = excluded.dap_accepted_at, dap_removed_at = excluded.dap_removed_at`,
      cs,
      (c, v) => v.push(c.domain, c.name, c.tenantId, c.offerId, c.acceptedAt, c.dap?.offerId ?? null, c.dap?.acceptedAt ?? null, c.dap?.removedAt ?? null),
    );
  }
  async recordAcceptances(as: readonly Acceptance[]) {
    this.insertRows('INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) VALUES', '(?, ?, ?, ?)', '', as, (a, v) => v.push(a.offerId, a.clientDomain, a.at, a.recordedBy));
  }

  /**
   * Insert rows with multi-row VALUES statements, up to ROWS_PER_STATEMENT rows each (prepared once
   * per row count): a bulk chunk is a few statements, not one a row (docs/performance.md).
   */
  private insertRows<T>(head: string, tuple: string, tail: string, rows: readonly T[], values: (row: T, out: unknown[]) => void): void {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const n = Math.min(ROWS_PER_STATEMENT, rows.length - i);
      const params: unknown[] = [];
      for (let j = i; j < i + n; j++) values(rows[j]!, params);
      this.s.multiRow(head, tuple, tail, n).run(params);
    }
  }

  async insertClientUsers(users: readonly ClientUser[]) {
    const st = this.s.stmt('INSERT INTO client_users (client_domain, upn, name, is_admin, password_reset_at, force_change, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const u of users) st.run(u.clientDomain, u.upn, u.name, u.isAdmin ? 1 : 0, u.passwordResetAt, u.forceChangePasswordNextSignIn ? 1 : 0, u.createdAt);
  }
  async takenDomainNames(names: readonly string[]) {
    const taken = new Set<string>();
    if (names.length === 0) return taken;
    const st = this.s.stmt('SELECT DISTINCT name FROM client_domains WHERE name IN (SELECT value FROM json_each(?))').pluck();
    for (const n of st.all(JSON.stringify(names)) as string[]) taken.add(n);
    return taken;
  }
  async insertClientDomains(domains: readonly ClientDomain[]) {
    this.insertRows('INSERT OR IGNORE INTO client_domains (client_domain, name, is_initial, verified, added_at) VALUES', '(?, ?, ?, ?, ?)', '', domains, (d, v) =>
      v.push(d.clientDomain, d.name, d.isInitial ? 1 : 0, d.verified ? 1 : 0, d.addedAt),
    );
  }

  async insertNotifications(ns: readonly Omit<Notification, 'id'>[]) {
    this.insertRows('INSERT INTO notifications (at, kind, client_domain, offer_id, message, read_at) VALUES', '(?, ?, ?, ?, ?, ?)', '', ns, (n, v) =>
      v.push(n.at, n.kind, n.clientDomain, n.offerId, n.message, n.readAt),
    );
  }
  async markNotificationsRead(ids: 'all' | number[], at: string, reader?: string) {
    if (reader !== undefined) {
      const insert = 'INSERT OR IGNORE INTO notification_reads (notification_id, email, read_at) SELECT id, ?, ? FROM notifications';
      if (ids === 'all') return this.s.stmt(insert).run(reader, at).changes;
      const st = this.s.stmt(`${insert} WHERE id = ?`);
      let n = 0;
      for (const id of ids) n += st.run(reader, at, id).changes;
      return n;
    }
    if (ids === 'all') return this.s.stmt('UPDATE notifications SET read_at = ? WHERE read_at IS NULL').run(at).changes;
    const st = this.s.stmt('UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL');
    let n = 0;
    for (const id of ids) n += st.run(at, id).changes;
    return n;
  }

  async eachAudit(fn: (e: AuditEntry) => boolean | void) {
    for (const r of this.s.stmt('SELECT * FROM audit ORDER BY seq').raw(false).iterate() as IterableIterator<Row>) {
      if (fn(toAudit(r)) === false) break;
    }
  }

  protected async relationshipIdChanging(oldId: string, newId: string) {
    // Both keys change in this transaction, checked at commit.
    this.s.db.pragma('defer_foreign_keys = ON');
    this.s.stmt('UPDATE access_assignments SET relationship_id = ? WHERE relationship_id = ?').run(newId, oldId);
  }

  async addGroupMembers(group: string, emails: readonly string[]) {
    const canonical = await this.groupName(group);
    const st = this.s.stmt('INSERT OR IGNORE INTO group_members (group_name, email) VALUES (?, ?)');
    let n = 0;
    for (const e of emails) n += st.run(canonical, e).changes;
    return n;
  }
  async removeGroupMembers(group: string, emails: readonly string[]) {
    const st = this.s.stmt('DELETE FROM group_members WHERE group_name = ? AND email = ?');
    let n = 0;
    for (const e of emails) n += st.run(group, e).changes;
    return n;
  }

  async *exportRows(table: LedgerTable): AsyncGenerator<LedgerRow[]> {
    checkTable(table);
    const bools = BOOLEAN_COLUMNS[table] ?? [];
    let page: LedgerRow[] = [];
    for (const r of this.s.stmt(`SELECT * FROM ${table} ORDER BY ${TABLE_KEYS[table]}`).raw(false).iterate() as IterableIterator<LedgerRow>) {
      for (const c of bools) r[c] = r[c] === 1;
      page.push(r);
      if (page.length === 2000) {
        yield page;
        page = [];
      }
    }
    if (page.length) yield page;
  }
  async importRows(table: LedgerTable, rows: readonly LedgerRow[]) {
    checkTable(table);
    if (rows.length === 0) return;
    const bools = new Set(BOOLEAN_COLUMNS[table] ?? []);
    const cols = Object.keys(rows[0]!);
    checkColumns(cols);
    const st = this.s.stmt(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    for (const r of rows) st.run(...cols.map((c) => (bools.has(c) ? (r[c] ? 1 : 0) : r[c])));
  }

  async rollbackWrites() {
    this.s.db.exec('ROLLBACK TO work');
  }
}

export class SqliteStore implements Store {
  private readonly cache = new Map<string, Database.Statement>();
  private readonly multi = new Map<string, Database.Statement>();
  /** What the shared SQL (store/sql/tx.ts) runs through. */
  readonly driver: SqlDriver = new SqliteDriver(this);
  private busy = false;
  private closed = false;

  private constructor(
    readonly path: string,
    readonly db: Database.Database,
  ) {}

  static open(path: string, opts: OpenOptions): SqliteStore {
    return new SqliteStore(path, openDatabase(path, opts));
  }

  /** The statement inserting `rows` rows: `head` then `tuple` that many times, then `tail`; prepared once per shape. */
  multiRow(head: string, tuple: string, tail: string, rows: number): Database.Statement {
    const key = `${rows}\u0000${head}\u0000${tail}`;
    let st = this.multi.get(key);
    if (!st) {
      st = this.db.prepare(`${head} ${Array<string>(rows).fill(tuple).join(', ')} ${tail}`);
      this.multi.set(key, st);
    }
    return st;
  }

  stmt(sql: string): Database.Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.cache.set(sql, st);
    }
    return st;
  }

  private async unit<T>(begin: string, fn: (tx: Tx) => Promise<T>, savepoint: boolean): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    if (this.busy) throw new Error('nested transaction');
    this.busy = true;
    try {
      this.db.exec(begin);
    } catch (e) {
      this.busy = false;
      throw toStoreError(e);
    }
    try {
      if (savepoint) this.db.exec('SAVEPOINT work');
      const result = await fn(new SqliteTx(this));
      if (savepoint) this.db.exec('RELEASE work');
      this.db.exec('COMMIT');
      return result;
    } catch (e) {
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // the transaction is gone with the failure that ended it
      }
      throw toStoreError(e);
    } finally {
      this.busy = false;
    }
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.unit('BEGIN DEFERRED', fn, false);
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.unit('BEGIN IMMEDIATE', fn, true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.multi.clear();
    try {
      this.db.close();
    } catch (e) {
      throw toStoreError(e);
    }
  }
}
