/**
 * The PostgreSQL implementation of Store (a team store): the same contract as store/sqlite, on one
 * pg connection. The plain reads and writes are shared with SQLite (store/sql/tx.ts, their `?`
 * placeholders numbered once per statement, sql/placeholders.ts); this file holds what PostgreSQL
 * does its own way: lists passed as arrays (= ANY, unnest), COPY into a temporary table for bulk
 * admin changes, keyset pages that ask for the next page early, db copy's rows, grants, and
 * transactions. The schema and the advisory locks' keys are in migrations.ts.
 *
 * - A read is one REPEATABLE READ READ ONLY transaction (one snapshot).
 * - A write takes a transaction-level advisory lock first (LOCK.write), so
 *   writes are serialised across processes and machines, as SQLite's BEGIN
 *   IMMEDIATE serialises them: the audit chain's head a write reads stays the
 *   head until it commits, so the chain is one chain in commit order. A
 *   serialization failure or deadlock (a session outside delegate holding row
 *   locks) is retried, a bounded number of times.
 * - bigint comes back as a number (seq, ids, counts: the connection's type
 *   parser); times are text, exactly as written (the audit hash covers them).
 */
import { createRequire } from 'node:module';
import type { Client as PgClient, ClientConfig, QueryResultRow } from 'pg';
import type { AdminAccess, AuditEntry, ClientDomain, ClientRecord, ClientUser, Notification, PartnerUser, Relationship } from '../../domain/core/model.js';
import { ConflictError, NotFoundError, StoreError } from '../../domain/core/errors.js';
import {
  LEDGER_TABLES,
  type Acceptance,
  type ClientFilter,
  type ClientLineForm,
  type LedgerRow,
  type LedgerTable,
  type OfferLineSpec,
  type OfferWithRelationship,
  type Store,
  type Tx,
  type WriteOptions,
} from '../../domain/core/store.js';
import { PRINTABLE, printedPage, printedSql } from '../sql/client-lines.js';
import { POSTGRES } from '../sql/dialect.js';
import type { SqlDriver } from '../sql/driver.js';
import { offerLineSql, printedOffers } from '../sql/offer-lines.js';
import { numbered } from '../sql/placeholders.js';
import { checkColumns, checkTable, clientWhere, pageSize, TABLE_KEYS } from '../sql/queries.js';
import { auditOf, AUDIT_COLS, byClient, CLIENT_COLS, GDAP_ORDER, OFFERED, OFFER_WITH_RELATIONSHIP, offerWithRelationship, toClient, type Row } from '../sql/rows.js';
import { SqlTx } from '../sql/tx.js';
import { clientConfig, redacted } from './connect.js';
import { toStoreError } from './errors.js';
import { LATEST_VERSION, LOCK, MIGRATIONS } from './migrations.js';

const require = createRequire(import.meta.url);
type PgModule = typeof import('pg');
let pgModule: PgModule | undefined;
const pg = (): PgModule => (pgModule ??= require('pg') as PgModule);

/** Serial columns whose sequence follows rows copied in. */
const SERIALS: Partial<Record<LedgerTable, string>> = { offers: 'seq', acceptances: 'id', notifications: 'id' };

/** The shared SQL's driver: each statement's `?` numbered once (cached), then run by PgStore.query. */
class PgDriver implements SqlDriver {
  constructor(private readonly s: PgStore) {}
  async all(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return (await this.s.query(numbered(sql), params)).rows;
  }
  async get(sql: string, params: readonly unknown[]): Promise<Row | undefined> {
    return (await this.s.query(numbered(sql), params)).rows[0];
  }
  async rows(sql: string, params: readonly unknown[]): Promise<unknown[][]> {
    return (await this.s.query(numbered(sql), params, true)).rows as unknown as unknown[][];
  }
  async run(sql: string, params: readonly unknown[]): Promise<number> {
    return (await this.s.query(numbered(sql), params)).rowCount ?? 0;
  }
}

class PgTx extends SqlTx {
  constructor(private readonly s: PgStore) {
    super(s.driver, POSTGRES);
  }
  /**
   * Rows of `sql` (`?` placeholders; the first is the key after which a page starts, the others
   * `params`) in keyset pages of `n`, as arrays; the next page is asked for before this one is
   * handed out, so the server works while it is printed.
   */
  private async *keysetPages<R extends readonly unknown[]>(sql: string, params: readonly unknown[], n: number, start: string | number = ''): AsyncGenerator<R[]> {
    const text = numbered(sql);
    const pageAfter = (after: string | number) => {
      const q = this.s.query(text, [after, ...params], true).then((r) => r.rows as unknown as R[]);
      q.catch(() => undefined);
      return q;
    };
    let next = pageAfter(start);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) return;
      if (rows.length === n) next = pageAfter(rows[rows.length - 1]![0] as string);
      yield rows;
      if (rows.length < n) return;
    }
  }
  /** The granular relationships of these clients, by client, oldest first. */
  private async relationshipsOf(domains: readonly unknown[]): Promise<Map<string, Relationship[]>> {
    return byClient((await this.s.query(`SELECT * FROM relationships WHERE client_domain = ANY($1::text[]) ORDER BY client_domain, ${GDAP_ORDER}`, [domains])).rows);
  }

  async getUsers(emails: readonly string[]) {
    const out = new Map<string, Omit<PartnerUser, 'createdAt'>>();
    if (emails.length === 0) return out;
    // Read past access changes still queued for their one UPDATE (the queue is overlaid, not flushed).
    const res = await this.s.query('SELECT u.email, u.name, u.org_role, u.admin_access, u.db_login FROM users u WHERE u.email = ANY($1::text[])', [emails], true, true);
    const queued = this.s.queuedAccess;
    for (const r of res.rows as unknown as (string | null)[][]) {
      out.set(r[0]!, { email: r[0]!, name: r[1]!, orgRole: r[2] as PartnerUser['orgRole'], adminAccess: (queued.get(r[0]!) ?? r[3]) as AdminAccess, dbLogin: r[4] ?? null });
    }
    return out;
  }
  async insertUsers(users: readonly PartnerUser[]) {
    // One set-based statement per chunk: the columns go in as arrays.
    const CHUNK = 5000;
    for (let i = 0; i < users.length; i += CHUNK) {
      const part = users.slice(i, i + CHUNK);
      await this.s.query(
        `INSERT INTO users (email, name, org_role, admin_access, created_at, db_login)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [part.map((u) => u.email), part.map((u) => u.name), part.map((u) => u.orgRole), part.map((u) => u.adminAccess), part.map((u) => u.createdAt), part.map((u) => u.dbLogin ?? null)],
      );
    }
  }
  async setAdminAccess(changes: readonly { email: string; adminAccess: AdminAccess }[]) {
    if (changes.length === 0) return;
    await this.s.queueAccessChanges(changes);
  }

  async *offerLines(opts: { all: boolean }, size: number, spec: OfferLineSpec): AsyncGenerator<(string | OfferWithRelationship)[]> {
    // Each row: its seq and its plain line, NULL for the offers read as records (offer-lines.ts: the same SQL as on SQLite).
    const n = pageSize(size);
    const line = offerLineSql({ isoTime: POSTGRES.isoTime, now: '$2', pendingSince: '$3', urlPrefix: '$4' });
    const sql = `SELECT o.seq, ${line} FROM offers o LEFT JOIN relationships r ON o.kind = 'granular' AND r.offer_id = o.id WHERE o.seq > $1${opts.all ? '' : ` AND ${OFFERED}`} ORDER BY o.seq LIMIT ${n}`;
    const bySeq = async (seqs: (number | string)[]) =>
      new Map(((await this.s.query(`${OFFER_WITH_RELATIONSHIP} WHERE o.seq = ANY($1::bigint[])`, [seqs], true)).rows as unknown as unknown[][]).map((r) => [String(r[0]), offerWithRelationship(r)]));
    for await (const rows of this.keysetPages<[string, string | null]>(sql, [spec.now, spec.pendingSince, spec.urlPrefix], n, 0)) yield await printedOffers(rows, spec, bySeq);
  }

  async getClients(domains: readonly string[]) {
    const out = new Map<string, ClientRecord>();
    if (domains.length === 0) return out;
    const rows = (await this.s.query(`SELECT ${CLIENT_COLS} FROM clients c WHERE c.domain = ANY($1::text[])`, [domains], true)).rows as unknown as unknown[][];
    const rels = rows.length ? await this.relationshipsOf(rows.map((x) => x[0])) : new Map<string, Relationship[]>();
    for (const r of rows) out.set(r[0] as string, toClient(r, rels.get(r[0] as string) ?? []));
    return out;
  }
  async *clientChunks(f: ClientFilter, size: number): AsyncGenerator<ClientRecord[]> {
    // Keyset pages (domain > last): every filter in the query, each page's relationships with one more query.
    const n = pageSize(size);
    const { where, params } = clientWhere(f, POSTGRES);
    const sql = `SELECT ${CLIENT_COLS} FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${n}`;
    const anyGdap = (await this.s.query('SELECT 1 AS x FROM relationships WHERE client_domain IS NOT NULL LIMIT 1')).rows.length > 0;
    for await (const rows of this.keysetPages<unknown[]>(sql, params, n)) {
      const rels = anyGdap ? await this.relationshipsOf(rows.map((x) => x[0])) : new Map<string, Relationship[]>();
      const chunk: ClientRecord[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        chunk[i] = toClient(r, rels.get(r[0] as string) ?? []);
      }
      yield chunk;
      if (rows.length < n) return;
    }
  }
  async *clientLines(f: ClientFilter, size: number, form: ClientLineForm): AsyncGenerator<(string | ClientRecord)[]> {
    // Each row: its domain and its printed text (NULL unless a DAP-only client); records for the rest
    // (client-lines.ts: the same SQL and text as on SQLite). The next page is asked for early.
    const { where, params } = clientWhere(f, POSTGRES);
    const n = pageSize(size);
    const sql = `SELECT c.domain, CASE WHEN ${PRINTABLE} THEN ${printedSql(form, POSTGRES)} END FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${n}`;
    for await (const rows of this.keysetPages<[string, string | null]>(sql, params, n)) yield await printedPage(rows, form, (domains) => this.getClients(domains));
  }
  async upsertClients(cs: readonly ClientRecord[]) {
    // One statement for the lot (arrays unnested in order); each client appears once.
    if (cs.length === 0) return;
    await this.s.query(
      `INSERT INTO clients (domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at, dap_removed_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT (domain) DO UPDATE SET name = excluded.name, tenant_id = excluded.tenant_id, offer_id = excluded.offer_id, accepted_at = excluded.accepted_at,
         dap_offer_id = excluded.dap_offer_id, dap_accepted_at = excluded.dap_accepted_at, dap_removed_at = excluded.dap_removed_at`,
      [
        cs.map((c) => c.domain), cs.map((c) => c.name), cs.map((c) => c.tenantId), cs.map((c) => c.offerId), cs.map((c) => c.acceptedAt),
        cs.map((c) => c.dap?.offerId ?? null), cs.map((c) => c.dap?.acceptedAt ?? null), cs.map((c) => c.dap?.removedAt ?? null),
      ],
    );
  }
  async recordAcceptances(as: readonly Acceptance[]) {
    if (as.length === 0) return;
    await this.s.query(
      `INSERT INTO acceptances (offer_id, client_domain, at, recorded_by)
       SELECT o, d, t, b FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(o, d, t, b, i) ORDER BY i`,
      [as.map((a) => a.offerId), as.map((a) => a.clientDomain), as.map((a) => a.at), as.map((a) => a.recordedBy)],
    );
  }

  async insertClientUsers(users: readonly ClientUser[]) {
    if (users.length === 0) return;
    await this.s.query(
      `INSERT INTO client_users (client_domain, upn, name, is_admin, password_reset_at, force_change, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::boolean[], $7::text[])`,
      [
        users.map((u) => u.clientDomain), users.map((u) => u.upn), users.map((u) => u.name), users.map((u) => u.isAdmin),
        users.map((u) => u.passwordResetAt), users.map((u) => u.forceChangePasswordNextSignIn), users.map((u) => u.createdAt),
      ],
    );
  }
  async takenDomainNames(names: readonly string[]) {
    if (names.length === 0) return new Set<string>();
    return new Set((await this.s.query('SELECT DISTINCT name FROM client_domains WHERE name = ANY($1::text[])', [names])).rows.map((r) => r.name as string));
  }
  async insertClientDomains(domains: readonly ClientDomain[]) {
    if (domains.length === 0) return;
    await this.s.query(
      `INSERT INTO client_domains (client_domain, name, is_initial, verified, added_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::boolean[], $5::text[]) ON CONFLICT DO NOTHING`,
      [domains.map((d) => d.clientDomain), domains.map((d) => d.name), domains.map((d) => d.isInitial), domains.map((d) => d.verified), domains.map((d) => d.addedAt)],
    );
  }

  async insertNotifications(ns: readonly Omit<Notification, 'id'>[]) {
    // Numbered in order: the rows are inserted in the arrays' order.
    if (ns.length === 0) return;
    await this.s.query(
      `INSERT INTO notifications (at, kind, client_domain, offer_id, message, read_at)
       SELECT a, k, d, o, m, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS x(a, k, d, o, m, r, i) ORDER BY i`,
      [ns.map((n) => n.at), ns.map((n) => n.kind), ns.map((n) => n.clientDomain), ns.map((n) => n.offerId), ns.map((n) => n.message), ns.map((n) => n.readAt)],
    );
  }
  async markNotificationsRead(ids: 'all' | number[], at: string, reader?: string) {
    const run = async (sql: string, params: unknown[]) => (await this.s.query(sql, params)).rowCount ?? 0;
    if (reader !== undefined) {
      const insert = 'INSERT INTO notification_reads (notification_id, email, read_at) SELECT id, $1, $2 FROM notifications';
      if (ids === 'all') return run(`${insert} ON CONFLICT DO NOTHING`, [reader, at]);
      return run(`${insert} WHERE id = ANY($3::bigint[]) ON CONFLICT DO NOTHING`, [reader, at, ids]);
    }
    if (ids === 'all') return run('UPDATE notifications SET read_at = $1 WHERE read_at IS NULL', [at]);
    return run('UPDATE notifications SET read_at = $1 WHERE id = ANY($2::bigint[]) AND read_at IS NULL', [at, ids]);
  }

  async eachAudit(fn: (e: AuditEntry) => boolean | void) {
    // Keyset pages, so a long trail is never held whole.
    let last = 0;
    for (;;) {
      const rows = (await this.s.query(`SELECT ${AUDIT_COLS} FROM audit WHERE seq > $1 ORDER BY seq LIMIT 5000`, [last], true)).rows as unknown as unknown[][];
      for (const r of rows) if (fn(auditOf(r)) === false) return;
      if (rows.length < 5000) return;
      last = auditOf(rows[rows.length - 1]!).seq;
    }
  }

  protected async relationshipIdChanging() {
    // The access assignments follow the id by themselves (ON UPDATE CASCADE).
  }

  async addGroupMembers(group: string, emails: readonly string[]) {
    const canonical = await this.groupName(group);
    return (await this.s.query('INSERT INTO group_members (group_name, email) SELECT $1, e FROM unnest($2::text[]) AS e ON CONFLICT DO NOTHING', [canonical, emails])).rowCount ?? 0;
  }
  async removeGroupMembers(group: string, emails: readonly string[]) {
    return (await this.s.query('DELETE FROM group_members WHERE group_name = $1 AND email = ANY($2::text[])', [group, emails])).rowCount ?? 0;
  }

  async *exportRows(table: LedgerTable): AsyncGenerator<LedgerRow[]> {
    checkTable(table);
    const key = TABLE_KEYS[table];
    let offset = 0;
    for (;;) {
      const rows = (await this.s.query(`SELECT * FROM ${table} ORDER BY ${key} LIMIT 2000 OFFSET ${offset}`)).rows as LedgerRow[];
      if (rows.length) yield rows;
      if (rows.length < 2000) return;
      offset += rows.length;
    }
  }
  async importRows(table: LedgerTable, rows: readonly LedgerRow[]) {
    checkTable(table);
    if (rows.length === 0) return;
    const cols = Object.keys(rows[0]!);
    checkColumns(cols);
    // Column types from the catalog, so that each array is cast as its column.
    const types = new Map(
      (await this.s.query('SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [table])).rows.map((r) => [
        r.column_name as string,
        r.data_type as string,
      ]),
    );
    const cast = (c: string) => ({ boolean: 'boolean', bigint: 'bigint', integer: 'integer' })[types.get(c) ?? ''] ?? 'text';
    const CHUNK = 2000;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      await this.s.query(
        `INSERT INTO ${table} (${cols.join(', ')}) SELECT * FROM unnest(${cols.map((c, j) => `$${j + 1}::${cast(c)}[]`).join(', ')})`,
        cols.map((c) => part.map((r) => (cast(c) === 'boolean' && typeof r[c] === 'number' ? r[c] === 1 : r[c]))),
      );
    }
    const serial = SERIALS[table];
    if (serial) await this.s.query(`SELECT setval(pg_get_serial_sequence('${table}', '${serial}'), (SELECT max(${serial}) FROM ${table}))`);
  }

  async grantLogin(login: string) {
    const role = (await this.s.query('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1', [login])).rows[0];
    if (!role) throw new NotFoundError(`There is no database login ${login} on this server: create it first (CREATE ROLE ... LOGIN), then run db grant again`);
    const here = (
      await this.s.query(
        "SELECT current_schema() AS schema, current_database() AS db, pg_has_role($1, (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit'), 'MEMBER') AS owns",
        [login],
      )
    ).rows[0]!;
    if (role.rolsuper || here.owns) {
      throw new ConflictError(`The login ${login} ${role.rolsuper ? 'is a superuser' : "owns the store's tables"}: the database cannot hold it to anything; grant a technician's own login instead`);
    }
    const L = ident(login);
    const S = ident(here.schema as string);
    // The ledger's tables, the intents (live mode) and sync's stage: changed freely; audit only appended.
    const writable = [...LEDGER_TABLES.filter((t) => t !== 'audit'), 'intents', 'sync_stage', 'sync_run'].map((t) => `${S}.${ident(t)}`);
    const steps: [string, string][] = [
      [`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(here.db as string)} TO ${L}`, 'connect (and temporary tables for bulk work)'],
      [`GRANT USAGE ON SCHEMA ${S} TO ${L}`, `use the schema ${here.schema}`],
      [`REVOKE CREATE ON SCHEMA ${S} FROM ${L}`, 'no new objects in it'],
      [`REVOKE ALL ON ALL TABLES IN SCHEMA ${S} FROM ${L}`, 'nothing granted before'],
      [`GRANT SELECT ON ALL TABLES IN SCHEMA ${S} TO ${L}`, 'read every table'],
      [`GRANT INSERT, UPDATE, DELETE ON ${writable.join(', ')} TO ${L}`, 'change the ledger'],
      [`GRANT INSERT ON ${S}.audit TO ${L}`, 'add audit entries, never change or delete them'],
      [`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${S} TO ${L}`, 'number new rows'],
    ];
    for (const [sql] of steps) await this.s.query(sql);
    return steps.map(([, what]) => what);
  }

  async rollbackWrites() {
    this.s.forgetQueued();
    await this.s.query('ROLLBACK TO SAVEPOINT work');
  }
}

/** An SQL identifier, quoted. */
const ident = (name: string) => '"' + name.replace(/"/g, '""') + '"';

export interface PgOpenOptions {
  /** init: migrate an empty or older database (as `db migrate` does). */
  create: boolean;
  env: NodeJS.ProcessEnv;
  /** db migrate: bring the schema up to date and report what was done. */
  migrate?: boolean;
}

/** The second key of delegate's advisory locks: this store's schema. */
const ACCESS_TEMP = 'delegate_access_changes';
const STORE_KEY = "hashtext(coalesce(current_schema(), ''))";

/** How many times, at most, a write transaction is attempted (the first, and reruns after a serialization failure or deadlock). */
export const MAX_ATTEMPTS = 5;

export class PgStore implements Store {
  private busy = false;
  private closed = false;
  private broken: unknown;
  migrated?: { from: number; to: number };
  /** Temporary tables made in the current transaction (dropped at its end: ON COMMIT DROP, or the rollback). */
  private readonly temps = new Set<string>();
  /** What the shared SQL (store/sql/tx.ts) runs through. */
  readonly driver: SqlDriver = new PgDriver(this);

  private constructor(
    readonly path: string,
    readonly client: PgClient,
    readonly login: string,
  ) {
    // A connection that dies while idle is reported on the next use, not as an uncaught error.
    client.on('error', (e) => (this.broken ??= e));
  }

  static async open(url: string, opts: PgOpenOptions): Promise<PgStore> {
    const name = redacted(url);
    const config: ClientConfig = clientConfig(url, opts.env);
    const { Client, types } = pg();
    const client = new Client({
      ...config,
      types: { getTypeParser: ((oid: number, format?: string) => (oid === 20 ? Number : types.getTypeParser(oid, format as 'text'))) as never },
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw toStoreError(e, name, 'connect');
    }
    try {
      const who = (await client.query('SELECT session_user AS login')).rows[0] as { login: string };
      const store = new PgStore(name, client, who.login);
      await store.checkSchema(opts);
      return store;
    } catch (e) {
      await client.end().catch(() => undefined);
      throw toStoreError(e, name, 'connect');
    }
  }

  /** The schema's version: 0 for a database delegate has not set up. */
  private async version(): Promise<number> {
    const has = (await this.client.query("SELECT to_regclass('delegate_schema') IS NOT NULL AS has")).rows[0] as { has: boolean };
    if (!has.has) {
      const other = (await this.client.query("SELECT to_regclass('audit') IS NOT NULL AS has")).rows[0] as { has: boolean };
      if (other.has) throw new StoreError(`${this.path} holds tables that are not a delegate store's (an audit table without delegate_schema)`);
      return 0;
    }
    const r = (await this.client.query('SELECT version FROM delegate_schema')).rows[0] as { version: number } | undefined;
    return r?.version ?? 0;
  }

  private async checkSchema(opts: PgOpenOptions): Promise<void> {
    const version = await this.version();
    if (version > LATEST_VERSION) {
      throw new StoreError(
        `The store ${this.path} was written by a newer delegate (schema version ${version}; this delegate knows up to ${LATEST_VERSION}): upgrade delegate`,
      );
    }
    if (version === LATEST_VERSION) {
      this.migrated = { from: version, to: version };
      return;
    }
    if (!opts.create && !opts.migrate) {
      throw new ConflictError(
        version === 0
          ? `The store ${this.path} is not set up: its owner runs \`delegate db migrate\` first (then \`delegate init\`)`
          : `The store ${this.path} has an older schema (version ${version}; this delegate needs ${LATEST_VERSION}): its owner runs \`delegate db migrate\``,
      );
    }
    await this.migrate();
  }

  /**
   * Numbered migrations under a session-level advisory lock: two CLIs that start at
   * once take turns, and the second finds the work done (the version is re-read inside).
   */
  private async migrate(): Promise<void> {
    const c = this.client;
    await c.query(`SELECT pg_advisory_lock($1, ${STORE_KEY})`, [LOCK.migrate]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS delegate_schema (version integer NOT NULL, one boolean PRIMARY KEY DEFAULT true CHECK (one))');
      await c.query('INSERT INTO delegate_schema (version) VALUES (0) ON CONFLICT DO NOTHING');
      let v = await this.version();
      this.migrated = { from: v, to: LATEST_VERSION };
      if (v > LATEST_VERSION) throw new StoreError(`The store ${this.path} was written by a newer delegate (schema version ${v}): upgrade delegate`);
      for (; v < LATEST_VERSION; v++) {
        await c.query('BEGIN');
        try {
          await c.query(MIGRATIONS[v]!);
          await c.query('UPDATE delegate_schema SET version = $1', [v + 1]);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }
    } finally {
      await c.query(`SELECT pg_advisory_unlock($1, ${STORE_KEY})`, [LOCK.migrate]).catch(() => undefined);
    }
  }

  /**
   * One query, its driver errors made the store's own. `array`: rows as arrays (cheaper for long
   * lists). Queued access changes are applied first, so every other statement sees them;
   * `overlay` is for the one read that overlays the queue itself (getUsers).
   */
  async query(sql: string, params: readonly unknown[] = [], array = false, overlay = false): Promise<{ rows: QueryResultRow[]; rowCount: number | null }> {
    if (this.broken) throw toStoreError(this.broken, this.path);
    if (this.queuedAccess.size && !overlay) await this.applyQueued();
    try {
      return array ? await this.client.query({ text: sql, values: params as unknown[], rowMode: 'array' }) : await this.client.query(sql, params as unknown[]);
    } catch (e) {
      throw toStoreError(e, this.path);
    }
  }

  /** Admin access changes COPYed into the temporary table, not yet applied (email to access). */
  readonly queuedAccess = new Map<string, string>();

  /**
   * PostgreSQL's bulk path for admin access: each chunk's rows are COPYed into a temporary table
   * as they come; one set-based UPDATE ... FROM applies them all, just before the next statement
   * that is not the bulk's own (at the latest, the commit). A user named again while queued
   * applies the queue first, so the table never holds two rows for one user.
   */
  async queueAccessChanges(changes: readonly { email: string; adminAccess: string }[]): Promise<void> {
    if (changes.some((c) => this.queuedAccess.has(c.email))) await this.applyQueued();
    if (!this.temps.has(ACCESS_TEMP)) {
      await this.query(`CREATE TEMP TABLE ${ACCESS_TEMP} (email text COLLATE "C", admin_access text) ON COMMIT DROP`, [], false, true);
      this.temps.add(ACCESS_TEMP);
    }
    await this.copyIn(`COPY ${ACCESS_TEMP} FROM STDIN (FORMAT text)`, changes.map((c) => [c.email, c.adminAccess]));
    for (const c of changes) this.queuedAccess.set(c.email, c.adminAccess);
  }

  private async applyQueued(): Promise<void> {
    const n = this.queuedAccess.size;
    this.queuedAccess.clear();
    if (n === 0) return;
    // Statistics first: without them the planner may probe users row by row instead of one join.
    await this.query(`ANALYZE ${ACCESS_TEMP}`, [], false, true);
    await this.query(`UPDATE users u SET admin_access = c.admin_access FROM ${ACCESS_TEMP} c WHERE u.email = c.email`, [], false, true);
    await this.query(`TRUNCATE ${ACCESS_TEMP}`, [], false, true);
  }

  /** Drop the queue (the writes it stood for are being rolled back). */
  forgetQueued(): void {
    this.queuedAccess.clear();
    this.temps.clear();
  }

  /** COPY ... FROM STDIN with rows in COPY's text format. */
  private async copyIn(sql: string, rows: readonly (readonly (string | null)[])[]): Promise<void> {
    if (this.broken) throw toStoreError(this.broken, this.path);
    const { from } = require('pg-copy-streams') as typeof import('pg-copy-streams');
    const esc = (v: string | null) => (v === null ? '\\N' : v.replace(/[\\\n\r\t]/g, (ch) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[ch]!));
    try {
      await new Promise<void>((resolve, reject) => {
        const stream = this.client.query(from(sql));
        stream.on('error', reject);
        stream.on('finish', () => resolve());
        const CHUNK = 2000;
        for (let i = 0; i < rows.length; i += CHUNK) {
          let text = '';
          for (const r of rows.slice(i, i + CHUNK)) text += r.map(esc).join('\t') + '\n';
          stream.write(text);
        }
        stream.end();
      });
    } catch (e) {
      throw toStoreError(e, this.path);
    }
  }

  private async unit<T>(kind: 'read' | 'write', fn: (tx: Tx) => Promise<T>, opts: WriteOptions = {}): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    if (this.busy) throw new Error('nested transaction');
    this.busy = true;
    try {
      for (let attempt = 1; ; attempt++) {
        let began = false;
        this.forgetQueued();
        try {
          if (kind === 'read') {
            await this.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
            began = true;
          } else {
            await this.query('BEGIN');
            began = true;
            await this.query(`SELECT pg_advisory_xact_lock($1, ${STORE_KEY})`, [LOCK.write]);
            await this.query('SAVEPOINT work');
          }
          const result = await fn(new PgTx(this));
          if (kind === 'write') await this.query('RELEASE SAVEPOINT work');
          try {
            await this.client.query('COMMIT');
          } catch (e) {
            began = false;
            throw toStoreError(e, this.path, 'commit');
          }
          return result;
        } catch (e) {
          if (began) await this.client.query('ROLLBACK').catch(() => undefined);
          const err = toStoreError(e, this.path);
          // Nothing of the attempt was committed: run it again, if what it did outside the transaction can be undone.
          if (kind === 'write' && err instanceof StoreError && err.reason === 'retry' && attempt < MAX_ATTEMPTS && (opts.rerun?.() ?? true)) continue;
          throw err;
        }
      }
    } finally {
      this.busy = false;
    }
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.unit('read', fn);
  }

  write<T>(fn: (tx: Tx) => Promise<T>, opts?: WriteOptions): Promise<T> {
    return this.unit('write', fn, opts);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }
}

