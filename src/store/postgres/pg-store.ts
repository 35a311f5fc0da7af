/**
 * The PostgreSQL implementation of Store (a team store): the same contract as
 * store/sqlite, on one pg connection. All of its SQL lives here, in
 * migrations.ts and in admin.ts.
 *
 * - A read is one REPEATABLE READ READ ONLY transaction (one snapshot).
 * - A write takes a transaction-level advisory lock first (LOCK.write), so
 *   writes are serialised across processes and machines, as SQLite's BEGIN
 *   IMMEDIATE serialises them: the audit chain's head a write reads stays the
 *   head until it commits, so the chain is one chain in commit order. A
 *   serialization failure or deadlock (a session outside delegate holding row
 *   locks) is retried, a bounded number of times.
 * - bigint comes back as a number (seq, ids, counts); times are text, exactly
 *   as written (the audit hash covers them).
 */
import { createRequire } from 'node:module';
import type { Client as PgClient, ClientConfig, QueryResultRow } from 'pg';
import type {
  AccessAssignment,
  AdminAccess,
  AuditEntry,
  ClientDomain,
  ClientRecord,
  ClientUser,
  Group,
  Notification,
  OfferRecord,
  OfferStatus,
  Partner,
  PartnerUser,
  Relationship,
  Template,
} from '../../domain/core/model.js';
import { ConflictError, NotFoundError, StoreError } from '../../domain/core/errors.js';
import { LEDGER_TABLES, type Acceptance, type AuditFilter, type ClientFilter, type ClientLineForm, type LedgerRow, type LedgerTable, type OfferLineSpec, type OfferWithRelationship, type Store, type Tx, type UserFilter, type WriteOptions } from '../../domain/core/store.js';
import { PRINTABLE, printedPage, printedSql } from '../client-lines.js';
import { offerLineSql, PG_ISO_TIME, printedOffers } from '../offer-lines.js';
import { clientConfig, redacted } from './connect.js';
import { toStoreError } from './errors.js';
import { LATEST_VERSION, LOCK, MIGRATIONS } from './migrations.js';

const require = createRequire(import.meta.url);
type PgModule = typeof import('pg');
let pgModule: PgModule | undefined;
const pg = (): PgModule => (pgModule ??= require('pg') as PgModule);

type Row = Record<string, unknown>;

const toPartner = (r: Row): Partner => ({
  name: r.name as string,
  tenantId: r.tenant_id as string,
  cloud: r.cloud as Partner['cloud'],
  certified: r.certified === true,
  mpnId: (r.mpn_id as number | null) ?? null,
  createdAt: r.created_at as string,
  adminAgentsGroupId: (r.admin_agents_group_id as string | null) ?? null,
  helpdeskAgentsGroupId: (r.helpdesk_agents_group_id as string | null) ?? null,
});

const toUser = (r: Row): PartnerUser => ({
  email: r.email as string,
  name: r.name as string,
  orgRole: r.org_role as PartnerUser['orgRole'],
  adminAccess: r.admin_access as AdminAccess,
  createdAt: r.created_at as string,
  dbLogin: (r.db_login as string | null) ?? null,
});

const toOffer = (r: Row): OfferRecord => ({
  id: r.id as string,
  kind: r.kind as OfferRecord['kind'],
  product: (r.product as string | null) ?? null,
  quantity: (r.quantity as number | null) ?? null,
  link: (r.link as string | null) ?? null,
  linkId: (r.link_id as string | null) ?? null,
  status: r.status as OfferStatus,
  createdAt: r.created_at as string,
  createdBy: r.created_by as string,
  revokedAt: (r.revoked_at as string | null) ?? null,
  acceptedCount: (r.accepted_count as number) ?? 0,
});

const toRelationship = (r: Row, p = ''): Relationship => ({
  id: r[p + 'id'] as string,
  offerId: r[p + 'offer_id'] as string,
  displayName: r[p + 'display_name'] as string,
  duration: r[p + 'duration'] as string,
  autoExtendDuration: r[p + 'auto_extend'] as Relationship['autoExtendDuration'],
  roles: JSON.parse(r[p + 'roles'] as string) as string[],
  status: r[p + 'status'] as Relationship['status'],
  createdAt: r[p + 'created_at'] as string,
  activatedAt: (r[p + 'activated_at'] as string | null) ?? null,
  endsAt: (r[p + 'ends_at'] as string | null) ?? null,
  terminatedAt: (r[p + 'terminated_at'] as string | null) ?? null,
  clientDomain: (r[p + 'client_domain'] as string | null) ?? null,
  template: (r[p + 'template'] as string | null) ?? null,
  ...(r[p + 'ms_status'] != null ? { msStatus: r[p + 'ms_status'] as string } : {}),
  ...(r[p + 'etag'] != null ? { etag: r[p + 'etag'] as string } : {}),
});

const toAssignment = (r: Row): AccessAssignment => ({
  relationshipId: r.relationship_id as string,
  group: r.group_name as string,
  roles: JSON.parse(r.roles as string) as string[],
  createdAt: r.created_at as string,
  microsoftId: (r.microsoft_id as string | null) ?? null,
});

const RELATIONSHIP_COLS = ['id', 'offer_id', 'display_name', 'duration', 'auto_extend', 'roles', 'status', 'created_at', 'activated_at', 'ends_at', 'terminated_at', 'client_domain', 'template', 'ms_status', 'etag'];
/** Offers with the granular relationship each carries, its columns prefixed r_ (one query for a page of offers). */
const OFFER_WITH_RELATIONSHIP = `SELECT o.*, (SELECT count(*) FROM acceptances a WHERE a.offer_id = o.id) AS accepted_count,
  ${RELATIONSHIP_COLS.map((c) => `r.${c} AS r_${c}`).join(', ')}
  FROM offers o LEFT JOIN relationships r ON o.kind = 'granular' AND r.offer_id = o.id`;

/** A row of OFFER_WITH_RELATIONSHIP. */
const offerRow = (r: Row): OfferWithRelationship => (r.r_id == null ? { offer: toOffer(r) } : { offer: toOffer(r), relationship: toRelationship(r, 'r_') });

/** A page size for LIMIT: a whole number, at least 1. */
const pageSize = (size: number) => Math.max(1, Math.floor(size));

const CLIENT_COLS = 'domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at, dap_removed_at';
const GDAP_ORDER = 'ORDER BY activated_at NULLS FIRST, created_at, id';

const toClient = (r: readonly unknown[], gdap: Relationship[]): ClientRecord => ({
  domain: r[0] as string,
  name: r[1] as string,
  tenantId: (r[2] as string | null) ?? null,
  offerId: r[3] as string,
  acceptedAt: r[4] as string,
  dap: r[5] == null ? null : { offerId: r[5] as string, acceptedAt: r[6] as string, removedAt: (r[7] as string | null) ?? null },
  gdap,
});

const toTemplate = (r: Row): Template => ({
  name: r.name as string,
  roles: JSON.parse(r.roles as string) as string[],
  duration: r.duration as string,
  autoExtendDuration: r.auto_extend as Template['autoExtendDuration'],
  assignments: JSON.parse(r.assignments as string) as Template['assignments'],
  createdAt: r.created_at as string,
  createdBy: r.created_by as string,
});

const toNotification = (r: Row): Notification => ({
  id: r.id as number,
  at: r.at as string,
  kind: r.kind as string,
  clientDomain: (r.client_domain as string | null) ?? null,
  offerId: (r.offer_id as string | null) ?? null,
  message: r.message as string,
  readAt: (r.read_at as string | null) ?? null,
});

const toAudit = (r: Row): AuditEntry => ({
  seq: Number(r.seq),
  at: r.at as string,
  actor: r.actor as string,
  action: r.action as string,
  target: r.target as string,
  outcome: r.outcome as AuditEntry['outcome'],
  detail: r.detail as string,
  hash: r.hash as string,
});

const toClientUser = (r: Row): ClientUser => ({
  clientDomain: r.client_domain as string,
  upn: r.upn as string,
  name: r.name as string,
  isAdmin: r.is_admin === true,
  passwordResetAt: (r.password_reset_at as string | null) ?? null,
  forceChangePasswordNextSignIn: r.force_change === true,
  createdAt: r.created_at as string,
});

const toClientDomain = (r: Row): ClientDomain => ({
  clientDomain: r.client_domain as string,
  name: r.name as string,
  isInitial: r.is_initial === true,
  verified: r.verified === true,
  addedAt: r.added_at as string,
});

const OFFER_SELECT = `SELECT o.*, (SELECT count(*) FROM acceptances a WHERE a.offer_id = o.id) AS accepted_count FROM offers o`;

/** Escape LIKE wildcards so user text matches literally (SQLite's LIKE ignores ASCII case: ILIKE here). */
const likeText = (s: string) => '%' + s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';

/** Each table's key, for a stable export order. */
const TABLE_KEYS: Record<LedgerTable, string> = {
  partner: 'id', users: 'email', offers: 'seq', clients: 'domain', acceptances: 'id', notifications: 'id',
  notification_reads: 'notification_id, email', audit: 'seq', client_users: 'client_domain, upn', client_domains: 'client_domain, name',
  relationships: 'id', templates: 'name', groups: 'name', group_members: 'group_name, email', access_assignments: 'relationship_id, group_name',
};
/** Serial columns whose sequence follows rows copied in. */
const SERIALS: Partial<Record<LedgerTable, string>> = { offers: 'seq', acceptances: 'id', notifications: 'id' };

function checkTable(t: string): void {
  if (!(LEDGER_TABLES as readonly string[]).includes(t)) throw new Error(`not a ledger table: ${t}`);
}

/** The WHERE clause of a client filter, after the keyset condition c.domain > $1 (its parameters from $2 on). */
function clientWhere(f: ClientFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [''];
  const p = (v: unknown) => (params.push(v), `$${params.length}`);
  const where = ['c.domain > $1'];
  if (f.search) {
    const t = p(likeText(f.search));
    where.push(`(c.domain ILIKE ${t} ESCAPE '\\' OR c.name ILIKE ${t} ESCAPE '\\' OR c.tenant_id ILIKE ${t} ESCAPE '\\')`);
  }
  if (f.active) {
    const active = `((c.dap_offer_id IS NOT NULL AND c.dap_removed_at IS NULL) OR EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR r.ends_at > ${p(f.active.now)})))`;
    where.push(f.active.is ? active : `NOT ${active}`);
  }
  if (f.endingBy) {
    where.push(
      `EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR (r.ends_at > ${p(f.endingBy.now)} AND r.ends_at <= ${p(f.endingBy.by)})))`,
    );
  }
  if (f.templated) where.push("EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND r.template IS NOT NULL)");
  return { where: where.join(' AND '), params: params.slice(1) };
}

class PgTx implements Tx {
  constructor(private readonly s: PgStore) {}
  /**
   * Rows of `sql` (its $1 the key after which a page starts, its other parameters `params`) in keyset
   * pages of `n`, as arrays; the next page is asked for before this one is handed out, so the
   * server works while it is printed.
   */
  private async *keysetPages<R extends readonly unknown[]>(sql: string, params: readonly unknown[], n: number, start: string | number = ''): AsyncGenerator<R[]> {
    const pageAfter = (after: string | number) => {
      const q = this.s.query(sql, [after, ...params], true).then((r) => r.rows as unknown as R[]);
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
  private async all(sql: string, ...params: unknown[]): Promise<Row[]> {
    return (await this.s.query(sql, params)).rows;
  }
  private async get(sql: string, ...params: unknown[]): Promise<Row | undefined> {
    return (await this.s.query(sql, params)).rows[0];
  }
  private async run(sql: string, ...params: unknown[]): Promise<number> {
    return (await this.s.query(sql, params)).rowCount ?? 0;
  }

  async getPartner() {
    const r = await this.get('SELECT * FROM partner WHERE id = 1');
    return r && toPartner(r);
  }
  async insertPartner(p: Partner) {
    await this.run(
      'INSERT INTO partner (id, name, tenant_id, cloud, certified, mpn_id, created_at, admin_agents_group_id, helpdesk_agents_group_id) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)',
      p.name, p.tenantId, p.cloud, p.certified, p.mpnId, p.createdAt, p.adminAgentsGroupId ?? null, p.helpdeskAgentsGroupId ?? null,
    );
  }
  async updatePartner(p: Partner) {
    await this.run(
      'UPDATE partner SET name = $1, tenant_id = $2, cloud = $3, certified = $4, mpn_id = $5, admin_agents_group_id = $6, helpdesk_agents_group_id = $7 WHERE id = 1',
      p.name, p.tenantId, p.cloud, p.certified, p.mpnId, p.adminAgentsGroupId ?? null, p.helpdeskAgentsGroupId ?? null,
    );
  }

  async getUser(email: string) {
    const r = await this.get('SELECT * FROM users WHERE email = $1', email);
    return r && toUser(r);
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
  async listUsers(f: UserFilter) {
    const out: PartnerUser[] = [];
    for await (const chunk of this.userChunks(f, 5000)) for (const u of chunk) out.push(u);
    return out;
  }
  async *userChunks(f: UserFilter, size: number): AsyncGenerator<PartnerUser[]> {
    const n = Math.max(1, Math.floor(size));
    const sql = `SELECT email, name, org_role, admin_access, created_at, db_login FROM users WHERE email > $1${f.access ? ' AND admin_access = $2' : ''} ORDER BY email LIMIT ${n}`;
    let last = '';
    for (;;) {
      const rows = (await this.s.query(sql, f.access ? [last, f.access] : [last], true)).rows as unknown as (string | null)[][];
      if (rows.length === 0) return;
      const chunk = rows.map((r) => ({ email: r[0]!, name: r[1]!, orgRole: r[2] as PartnerUser['orgRole'], adminAccess: r[3] as AdminAccess, createdAt: r[4]!, dbLogin: r[5] ?? null }));
      last = chunk[chunk.length - 1]!.email;
      yield chunk;
    }
  }
  async firstGlobalAdmin() {
    const r = await this.get("SELECT * FROM users WHERE org_role = 'global-admin' ORDER BY created_at, email LIMIT 1");
    return r && toUser(r);
  }
  async userByLogin(login: string) {
    const r = await this.get('SELECT * FROM users WHERE db_login = $1', login);
    return r && toUser(r);
  }
  async setDbLogin(email: string, login: string | null) {
    await this.run('UPDATE users SET db_login = $1 WHERE email = $2', login, email);
  }
  async countGlobalAdmins() {
    return (await this.get("SELECT count(*) AS n FROM users WHERE org_role = 'global-admin'"))!.n as number;
  }
  async insertUsers(users: readonly PartnerUser[]) {
    // One set-based statement per chunk: the columns go in as arrays.
    const CHUNK = 5000;
    for (let i = 0; i < users.length; i += CHUNK) {
      const part = users.slice(i, i + CHUNK);
      await this.run(
        `INSERT INTO users (email, name, org_role, admin_access, created_at, db_login)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        part.map((u) => u.email), part.map((u) => u.name), part.map((u) => u.orgRole), part.map((u) => u.adminAccess), part.map((u) => u.createdAt),
        part.map((u) => u.dbLogin ?? null),
      );
    }
  }
  async setAdminAccess(changes: readonly { email: string; adminAccess: AdminAccess }[]) {
    if (changes.length === 0) return;
    await this.s.queueAccessChanges(changes);
  }
  async deleteUser(email: string) {
    await this.run('DELETE FROM users WHERE email = $1', email);
  }

  async findOffers(idOrPrefix: string) {
    const exact = await this.get(`${OFFER_SELECT} WHERE o.id = $1`, idOrPrefix);
    if (exact) return [toOffer(exact)];
    return (await this.all(`${OFFER_SELECT} WHERE o.id ILIKE $1 ESCAPE '\\' ORDER BY o.seq LIMIT 5`, likeText(idOrPrefix).slice(1))).map(toOffer);
  }
  async *offerChunks(opts: { all: boolean }, size: number): AsyncGenerator<OfferWithRelationship[]> {
    let last = 0;
    for (;;) {
      const rows = await this.all(`${OFFER_WITH_RELATIONSHIP} WHERE o.seq > $1${opts.all ? '' : " AND o.status = 'active'"} ORDER BY o.seq LIMIT ${pageSize(size)}`, last);
      if (rows.length === 0) return;
      yield rows.map(offerRow);
      last = rows[rows.length - 1]!.seq as number;
      if (rows.length < size) return;
    }
  }
  async *offerLines(opts: { all: boolean }, size: number, spec: OfferLineSpec): AsyncGenerator<(string | OfferWithRelationship)[]> {
    // Each row: its seq and its plain line, NULL for the offers read as records (offer-lines.ts: the same SQL as on SQLite).
    const n = pageSize(size);
    const line = offerLineSql({ isoTime: PG_ISO_TIME, now: '$2', pendingSince: '$3', urlPrefix: '$4' });
    const sql = `SELECT o.seq, ${line} FROM offers o LEFT JOIN relationships r ON o.kind = 'granular' AND r.offer_id = o.id WHERE o.seq > $1${opts.all ? '' : " AND o.status = 'active'"} ORDER BY o.seq LIMIT ${n}`;
    const bySeq = async (seqs: (number | string)[]) =>
      new Map((await this.all(`${OFFER_WITH_RELATIONSHIP} WHERE o.seq = ANY($1::bigint[])`, seqs)).map((r) => [String(r.seq), offerRow(r)]));
    for await (const rows of this.keysetPages<[string, string | null]>(sql, [spec.now, spec.pendingSince, spec.urlPrefix], n, 0)) yield await printedOffers(rows, spec, bySeq);
  }
  async listOffers(opts: { all: boolean }) {
    const rows = opts.all ? await this.all(`${OFFER_SELECT} ORDER BY o.seq`) : await this.all(`${OFFER_SELECT} WHERE o.status = 'active' ORDER BY o.seq`);
    return rows.map(toOffer);
  }
  async latestActiveOffer(kind?: 'plain') {
    const r = kind
      ? await this.get(`${OFFER_SELECT} WHERE o.status = 'active' AND o.kind = $1 ORDER BY o.seq DESC LIMIT 1`, kind)
      : await this.get(`${OFFER_SELECT} WHERE o.status = 'active' AND o.kind != 'granular' ORDER BY o.seq DESC LIMIT 1`);
    return r && toOffer(r);
  }
  async offerByLink(kind: 'trial' | 'purchase', linkId: string) {
    const r = await this.get(`${OFFER_SELECT} WHERE o.kind = $1 AND o.link_id = $2 ORDER BY (o.status = 'active') DESC, o.seq DESC LIMIT 1`, kind, linkId);
    return r && toOffer(r);
  }
  async insertOffer(o: OfferRecord) {
    await this.run(
      'INSERT INTO offers (id, kind, product, quantity, link, link_id, status, created_at, created_by, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      o.id, o.kind, o.product, o.quantity, o.link, o.linkId, o.status, o.createdAt, o.createdBy, o.revokedAt,
    );
  }
  async setOfferStatus(id: string, status: OfferStatus, at: string | null) {
    await this.run('UPDATE offers SET status = $1, revoked_at = $2 WHERE id = $3', status, at, id);
  }

  async getClient(domain: string) {
    const r = (await this.s.query(`SELECT ${CLIENT_COLS} FROM clients WHERE domain = $1`, [domain], true)).rows[0] as unknown as unknown[] | undefined;
    return r && toClient(r, (await this.all(`SELECT * FROM relationships WHERE client_domain = $1 ${GDAP_ORDER}`, domain)).map((x) => toRelationship(x)));
  }
  async getClients(domains: readonly string[]) {
    const out = new Map<string, ClientRecord>();
    if (domains.length === 0) return out;
    const rows = (await this.s.query(`SELECT ${CLIENT_COLS} FROM clients WHERE domain = ANY($1::text[])`, [domains], true)).rows as unknown as unknown[][];
    const rels = new Map<string, Relationship[]>();
    if (rows.length) {
      for (const r of await this.all(`SELECT * FROM relationships WHERE client_domain = ANY($1::text[]) ORDER BY client_domain, activated_at NULLS FIRST, created_at, id`, rows.map((x) => x[0]))) {
        const rel = toRelationship(r);
        const list = rels.get(rel.clientDomain!);
        if (list) list.push(rel);
        else rels.set(rel.clientDomain!, [rel]);
      }
    }
    for (const r of rows) out.set(r[0] as string, toClient(r, rels.get(r[0] as string) ?? []));
    return out;
  }
  async *clientLines(f: ClientFilter, size: number, form: ClientLineForm): AsyncGenerator<(string | ClientRecord)[]> {
    // Each row: its domain and its printed text (NULL unless a DAP-only client); records for the rest
    // (client-lines.ts: the same SQL and text as on SQLite). The next page is asked for early.
    const { where, params } = clientWhere(f);
    const n = pageSize(size);
    const sql = `SELECT c.domain, CASE WHEN ${PRINTABLE} THEN ${printedSql(form, 'postgres')} END FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${n}`;
    for await (const rows of this.keysetPages<[string, string | null]>(sql, params, n)) yield await printedPage(rows, form, (domains) => this.getClients(domains));
  }
  async clientByTenant(tenantId: string) {
    const r = await this.get('SELECT domain FROM clients WHERE lower(tenant_id) = lower($1) ORDER BY domain LIMIT 1', tenantId);
    return r && this.getClient(r.domain as string);
  }
  async listClients(f: ClientFilter) {
    const out: ClientRecord[] = [];
    for await (const chunk of this.clientChunks(f, 5000)) for (const c of chunk) out.push(c);
    return out;
  }
  async *clientChunks(f: ClientFilter, size: number): AsyncGenerator<ClientRecord[]> {
    // Keyset pages (domain > last): every filter in the query, each page's relationships with one more query.
    const n = pageSize(size);
    const { where, params } = clientWhere(f);
    const sql = `SELECT ${CLIENT_COLS.split(', ').map((x) => 'c.' + x).join(', ')} FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${n}`;
    const anyGdap = (await this.get('SELECT 1 AS x FROM relationships WHERE client_domain IS NOT NULL LIMIT 1')) !== undefined;
    for await (const rows of this.keysetPages<unknown[]>(sql, params, n)) {
      const rels = new Map<string, Relationship[]>();
      if (anyGdap) {
        for (const r of await this.all(`SELECT * FROM relationships WHERE client_domain = ANY($1::text[]) ORDER BY client_domain, activated_at NULLS FIRST, created_at, id`, rows.map((x) => x[0]))) {
          const rel = toRelationship(r);
          const list = rels.get(rel.clientDomain!);
          if (list) list.push(rel);
          else rels.set(rel.clientDomain!, [rel]);
        }
      }
      const chunk: ClientRecord[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        chunk[i] = toClient(r, rels.get(r[0] as string) ?? []);
      }
      yield chunk;
      if (rows.length < n) return;
    }
  }
  async countActiveClients(now: string) {
    const sql = `SELECT count(*) AS n FROM clients c WHERE (c.dap_offer_id IS NOT NULL AND c.dap_removed_at IS NULL)
      OR EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR r.ends_at > $1))`;
    return (await this.get(sql, now))!.n as number;
  }
  async upsertClient(c: ClientRecord) {
    await this.run(
      `INSERT INTO clients (domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at, dap_removed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (domain) DO UPDATE SET name = excluded.name, tenant_id = excluded.tenant_id, offer_id = excluded.offer_id, accepted_at = excluded.accepted_at,
         dap_offer_id = excluded.dap_offer_id, dap_accepted_at = excluded.dap_accepted_at, dap_removed_at = excluded.dap_removed_at`,
      c.domain, c.name, c.tenantId, c.offerId, c.acceptedAt, c.dap?.offerId ?? null, c.dap?.acceptedAt ?? null, c.dap?.removedAt ?? null,
    );
  }
  async upsertClients(cs: readonly ClientRecord[]) {
    // One statement for the lot (arrays unnested in order); each client appears once.
    if (cs.length === 0) return;
    await this.run(
      `INSERT INTO clients (domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at, dap_removed_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT (domain) DO UPDATE SET name = excluded.name, tenant_id = excluded.tenant_id, offer_id = excluded.offer_id, accepted_at = excluded.accepted_at,
         dap_offer_id = excluded.dap_offer_id, dap_accepted_at = excluded.dap_accepted_at, dap_removed_at = excluded.dap_removed_at`,
      cs.map((c) => c.domain), cs.map((c) => c.name), cs.map((c) => c.tenantId), cs.map((c) => c.offerId), cs.map((c) => c.acceptedAt),
      cs.map((c) => c.dap?.offerId ?? null), cs.map((c) => c.dap?.acceptedAt ?? null), cs.map((c) => c.dap?.removedAt ?? null),
    );
  }
  async recordAcceptance(a: Acceptance) {
    await this.run('INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) VALUES ($1, $2, $3, $4)', a.offerId, a.clientDomain, a.at, a.recordedBy);
  }
  async recordAcceptances(as: readonly Acceptance[]) {
    if (as.length === 0) return;
    await this.run(
      `INSERT INTO acceptances (offer_id, client_domain, at, recorded_by)
       SELECT o, d, t, b FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(o, d, t, b, i) ORDER BY i`,
      as.map((a) => a.offerId), as.map((a) => a.clientDomain), as.map((a) => a.at), as.map((a) => a.recordedBy),
    );
  }

  async getClientUser(clientDomain: string, upn: string) {
    const r = await this.get('SELECT * FROM client_users WHERE client_domain = $1 AND upn = $2', clientDomain, upn);
    return r && toClientUser(r);
  }
  async listClientUsers(clientDomain: string) {
    return (await this.all('SELECT * FROM client_users WHERE client_domain = $1 ORDER BY upn', clientDomain)).map(toClientUser);
  }
  async insertClientUsers(users: readonly ClientUser[]) {
    if (users.length === 0) return;
    await this.run(
      `INSERT INTO client_users (client_domain, upn, name, is_admin, password_reset_at, force_change, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::boolean[], $7::text[])`,
      users.map((u) => u.clientDomain), users.map((u) => u.upn), users.map((u) => u.name), users.map((u) => u.isAdmin),
      users.map((u) => u.passwordResetAt), users.map((u) => u.forceChangePasswordNextSignIn), users.map((u) => u.createdAt),
    );
  }
  async deleteClientUser(clientDomain: string, upn: string) {
    return (await this.run('DELETE FROM client_users WHERE client_domain = $1 AND upn = $2', clientDomain, upn)) === 1;
  }
  async deleteClientDomain(clientDomain: string, name: string) {
    return (await this.run('DELETE FROM client_domains WHERE client_domain = $1 AND name = $2', clientDomain, name)) === 1;
  }
  async setPasswordReset(clientDomain: string, upn: string, at: string) {
    await this.run('UPDATE client_users SET password_reset_at = $1, force_change = true WHERE client_domain = $2 AND upn = $3', at, clientDomain, upn);
  }
  async listClientDomains(clientDomain: string) {
    return (await this.all('SELECT * FROM client_domains WHERE client_domain = $1 ORDER BY is_initial DESC, added_at, name', clientDomain)).map(toClientDomain);
  }
  async domainOwners(name: string) {
    return (await this.all('SELECT client_domain FROM client_domains WHERE name = $1 ORDER BY client_domain', name)).map((r) => r.client_domain as string);
  }
  async takenDomainNames(names: readonly string[]) {
    if (names.length === 0) return new Set<string>();
    return new Set((await this.all('SELECT DISTINCT name FROM client_domains WHERE name = ANY($1::text[])', names)).map((r) => r.name as string));
  }
  async insertClientDomains(domains: readonly ClientDomain[]) {
    if (domains.length === 0) return;
    await this.run(
      `INSERT INTO client_domains (client_domain, name, is_initial, verified, added_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::boolean[], $5::text[]) ON CONFLICT DO NOTHING`,
      domains.map((d) => d.clientDomain), domains.map((d) => d.name), domains.map((d) => d.isInitial), domains.map((d) => d.verified), domains.map((d) => d.addedAt),
    );
  }
  async setDomainVerified(clientDomain: string, name: string) {
    await this.run('UPDATE client_domains SET verified = true WHERE client_domain = $1 AND name = $2', clientDomain, name);
  }
  async partnerUsesDomain(name: string) {
    return (await this.get("SELECT 1 AS x FROM users WHERE split_part(email, '@', 2) = $1 LIMIT 1", name)) !== undefined;
  }

  async insertNotification(n: Omit<Notification, 'id'>) {
    const r = await this.get(
      'INSERT INTO notifications (at, kind, client_domain, offer_id, message, read_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      n.at, n.kind, n.clientDomain, n.offerId, n.message, n.readAt,
    );
    return r!.id as number;
  }
  async insertNotifications(ns: readonly Omit<Notification, 'id'>[]) {
    // Numbered in order: the rows are inserted in the arrays' order.
    if (ns.length === 0) return;
    await this.run(
      `INSERT INTO notifications (at, kind, client_domain, offer_id, message, read_at)
       SELECT a, k, d, o, m, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS x(a, k, d, o, m, r, i) ORDER BY i`,
      ns.map((n) => n.at), ns.map((n) => n.kind), ns.map((n) => n.clientDomain), ns.map((n) => n.offerId), ns.map((n) => n.message), ns.map((n) => n.readAt),
    );
  }
  async listNotifications(opts: { unreadOnly: boolean; reader?: string }) {
    const out: Notification[] = [];
    for await (const chunk of this.notificationChunks(opts, 5000)) for (const n of chunk) out.push(n);
    return out;
  }
  async *notificationChunks(opts: { unreadOnly: boolean; reader?: string }, size: number): AsyncGenerator<Notification[]> {
    // With a reader (a team store), read state is that partner user's own.
    const sql =
      opts.reader !== undefined
        ? `SELECT n.id, n.at, n.kind, n.client_domain, n.offer_id, n.message, r.read_at FROM notifications n
           LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.email = $2 WHERE n.id > $1${opts.unreadOnly ? ' AND r.read_at IS NULL' : ''} ORDER BY n.id LIMIT ${pageSize(size)}`
        : `SELECT * FROM notifications WHERE id > $1${opts.unreadOnly ? ' AND read_at IS NULL' : ''} ORDER BY id LIMIT ${pageSize(size)}`;
    let last = 0;
    for (;;) {
      const rows = await this.all(sql, ...(opts.reader !== undefined ? [last, opts.reader] : [last]));
      if (rows.length === 0) return;
      yield rows.map(toNotification);
      last = rows[rows.length - 1]!.id as number;
      if (rows.length < size) return;
    }
  }
  async getNotification(id: number, reader?: string) {
    const r =
      reader !== undefined
        ? await this.get(
            `SELECT n.id, n.at, n.kind, n.client_domain, n.offer_id, n.message, r.read_at FROM notifications n
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.email = $1 WHERE n.id = $2`,
            reader, id,
          )
        : await this.get('SELECT * FROM notifications WHERE id = $1', id);
    return r && toNotification(r);
  }
  async markNotificationsRead(ids: 'all' | number[], at: string, reader?: string) {
    if (reader !== undefined) {
      const insert = 'INSERT INTO notification_reads (notification_id, email, read_at) SELECT id, $1, $2 FROM notifications';
      if (ids === 'all') return this.run(`${insert} ON CONFLICT DO NOTHING`, reader, at);
      return this.run(`${insert} WHERE id = ANY($3::bigint[]) ON CONFLICT DO NOTHING`, reader, at, ids);
    }
    if (ids === 'all') return this.run('UPDATE notifications SET read_at = $1 WHERE read_at IS NULL', at);
    return this.run('UPDATE notifications SET read_at = $1 WHERE id = ANY($2::bigint[]) AND read_at IS NULL', at, ids);
  }

  async lastAudit() {
    const r = await this.get('SELECT * FROM audit ORDER BY seq DESC LIMIT 1');
    return r && toAudit(r);
  }
  async insertAudit(e: AuditEntry) {
    await this.run(
      'INSERT INTO audit (seq, at, actor, action, target, outcome, detail, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      e.seq, e.at, e.actor, e.action, e.target, e.outcome, e.detail, e.hash,
    );
  }
  async listAudit(f: AuditFilter) {
    const out: AuditEntry[] = [];
    for await (const chunk of this.auditChunks(f, 5000)) for (const e of chunk) out.push(e);
    return out;
  }
  async *auditChunks(f: AuditFilter, size: number): AsyncGenerator<AuditEntry[]> {
    const params: unknown[] = [0];
    const p = (v: unknown) => (params.push(v), `$${params.length}`);
    const esc = (t: string) => t.replace(/[\\%_]/g, (c) => '\\' + c);
    const where = ['seq > $1'];
    if (f.actor) where.push(`actor = ${p(f.actor)}`);
    if (f.target) where.push(`target = ${p(f.target)}`);
    if (f.client) where.push(`(target = ${p(f.client)} OR target LIKE ${p(esc(f.client) + '/%')} ESCAPE '\\')`);
    if (f.action) where.push(`(action = ${p(f.action)} OR action LIKE ${p(esc(f.action) + '.%')} ESCAPE '\\')`);
    if (f.since) where.push(`at >= ${p(f.since)}`);
    const sql = `SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${pageSize(size)}`;
    for (;;) {
      const rows = await this.all(sql, ...params);
      if (rows.length === 0) return;
      yield rows.map(toAudit);
      params[0] = Number(rows[rows.length - 1]!.seq);
      if (rows.length < size) return;
    }
  }
  async eachAudit(fn: (e: AuditEntry) => boolean | void) {
    // Keyset pages, so a long trail is never held whole.
    let last = 0;
    for (;;) {
      const rows = await this.all('SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT 5000', last);
      for (const r of rows) if (fn(toAudit(r)) === false) return;
      if (rows.length < 5000) return;
      last = Number(rows[rows.length - 1]!.seq);
    }
  }

  async insertRelationship(r: Relationship) {
    await this.run(
      `INSERT INTO relationships (id, offer_id, display_name, duration, auto_extend, roles, status, created_at, activated_at, ends_at, terminated_at, client_domain, template, ms_status, etag)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      r.id, r.offerId, r.displayName, r.duration, r.autoExtendDuration, JSON.stringify(r.roles), r.status, r.createdAt, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain, r.template,
      r.msStatus ?? null, r.etag ?? null,
    );
  }
  async updateRelationship(r: Relationship) {
    await this.run(
      'UPDATE relationships SET auto_extend = $1, status = $2, activated_at = $3, ends_at = $4, terminated_at = $5, client_domain = $6, ms_status = $7, etag = $8 WHERE id = $9',
      r.autoExtendDuration, r.status, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain, r.msStatus ?? null, r.etag ?? null, r.id,
    );
  }
  async getRelationship(id: string) {
    const r = await this.get('SELECT * FROM relationships WHERE id = $1', id);
    return r && toRelationship(r);
  }
  async relationshipByOffer(offerId: string) {
    const r = await this.get('SELECT * FROM relationships WHERE offer_id = $1', offerId);
    return r && toRelationship(r);
  }
  async listRelationships() {
    return (await this.all(`SELECT * FROM relationships ${GDAP_ORDER}`)).map((x) => toRelationship(x));
  }
  async replaceRelationship(oldId: string, r: Relationship) {
    // The access assignments follow the id (ON UPDATE CASCADE).
    await this.run(
      `UPDATE relationships SET id = $1, display_name = $2, duration = $3, auto_extend = $4, roles = $5, status = $6, activated_at = $7, ends_at = $8,
         terminated_at = $9, client_domain = $10, ms_status = $11, etag = $12 WHERE id = $13`,
      r.id, r.displayName, r.duration, r.autoExtendDuration, JSON.stringify(r.roles), r.status, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain,
      r.msStatus ?? null, r.etag ?? null, oldId,
    );
  }
  async relationshipNameTaken(displayName: string) {
    return (await this.get('SELECT 1 AS x FROM relationships WHERE lower(display_name) = lower($1)', displayName)) !== undefined;
  }

  async insertTemplate(t: Template) {
    await this.run(
      'INSERT INTO templates (name, roles, duration, auto_extend, assignments, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      t.name, JSON.stringify(t.roles), t.duration, t.autoExtendDuration, JSON.stringify(t.assignments), t.createdAt, t.createdBy,
    );
  }
  async getTemplate(name: string) {
    const r = await this.get('SELECT * FROM templates WHERE lower(name) = lower($1)', name);
    return r && toTemplate(r);
  }
  async deleteTemplate(name: string) {
    return (await this.run('DELETE FROM templates WHERE lower(name) = lower($1)', name)) === 1;
  }
  async listTemplates() {
    return (await this.all('SELECT * FROM templates ORDER BY lower(name), name')).map(toTemplate);
  }

  async insertGroup(g: Omit<Group, 'members'>) {
    await this.run('INSERT INTO groups (name, object_id, created_at) VALUES ($1, $2, $3)', g.name, g.objectId, g.createdAt);
  }
  async setGroupObjectId(name: string, objectId: string) {
    return (await this.run('UPDATE groups SET object_id = $1 WHERE lower(name) = lower($2)', objectId, name)) === 1;
  }
  private async withMembers(r: Row): Promise<Group> {
    const members = (await this.all('SELECT email FROM group_members WHERE group_name = $1 ORDER BY email', r.name)).map((m) => m.email as string);
    return { name: r.name as string, objectId: (r.object_id as string | null) ?? null, createdAt: r.created_at as string, members };
  }
  async getGroup(name: string) {
    const r = await this.get('SELECT * FROM groups WHERE lower(name) = lower($1)', name);
    return r && this.withMembers(r);
  }
  async listGroups() {
    const out: Group[] = [];
    for (const r of await this.all('SELECT * FROM groups ORDER BY lower(name), name')) out.push(await this.withMembers(r));
    return out;
  }
  async addGroupMembers(group: string, emails: readonly string[]) {
    const canonical = (await this.get('SELECT name FROM groups WHERE lower(name) = lower($1)', group))!.name as string;
    return this.run(
      'INSERT INTO group_members (group_name, email) SELECT $1, e FROM unnest($2::text[]) AS e ON CONFLICT DO NOTHING',
      canonical, emails,
    );
  }
  async removeGroupMembers(group: string, emails: readonly string[]) {
    return this.run('DELETE FROM group_members WHERE group_name = $1 AND email = ANY($2::text[])', group, emails);
  }
  async deleteGroup(name: string) {
    await this.run('DELETE FROM access_assignments WHERE group_name = $1', name);
    return (await this.run('DELETE FROM groups WHERE lower(name) = lower($1)', name)) === 1;
  }
  async groupsOf(email: string) {
    return (await this.all('SELECT group_name FROM group_members WHERE email = $1 ORDER BY lower(group_name), group_name', email)).map((r) => r.group_name as string);
  }

  async upsertAssignment(a: AccessAssignment) {
    await this.run(
      `INSERT INTO access_assignments (relationship_id, group_name, roles, created_at, microsoft_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (relationship_id, group_name) DO UPDATE SET roles = excluded.roles, microsoft_id = coalesce(excluded.microsoft_id, access_assignments.microsoft_id)`,
      a.relationshipId, a.group, JSON.stringify(a.roles), a.createdAt, a.microsoftId ?? null,
    );
  }
  async listAssignments(relationshipId: string) {
    return (await this.all('SELECT * FROM access_assignments WHERE relationship_id = $1 ORDER BY lower(group_name), group_name', relationshipId)).map(toAssignment);
  }
  async assignmentsOfGroup(group: string) {
    return (await this.all('SELECT * FROM access_assignments WHERE group_name = $1 ORDER BY relationship_id', group)).map(toAssignment);
  }
  async deleteAssignment(relationshipId: string, group: string) {
    return (await this.run('DELETE FROM access_assignments WHERE relationship_id = $1 AND group_name = $2', relationshipId, group)) === 1;
  }

  async *exportRows(table: LedgerTable): AsyncGenerator<LedgerRow[]> {
    checkTable(table);
    const key = TABLE_KEYS[table];
    let offset = 0;
    for (;;) {
      const rows = (await this.all(`SELECT * FROM ${table} ORDER BY ${key} LIMIT 2000 OFFSET ${offset}`)) as LedgerRow[];
      if (rows.length) yield rows;
      if (rows.length < 2000) return;
      offset += rows.length;
    }
  }
  async importRows(table: LedgerTable, rows: readonly LedgerRow[]) {
    checkTable(table);
    if (rows.length === 0) return;
    const cols = Object.keys(rows[0]!);
    for (const c of cols) if (!/^[a-z_]+$/.test(c)) throw new Error(`bad column ${c}`);
    // Column types from the catalog, so that each array is cast as its column.
    const types = new Map(
      (await this.all('SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', table)).map((r) => [
        r.column_name as string,
        r.data_type as string,
      ]),
    );
    const cast = (c: string) => ({ boolean: 'boolean', bigint: 'bigint', integer: 'integer' })[types.get(c) ?? ''] ?? 'text';
    const CHUNK = 2000;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      await this.run(
        `INSERT INTO ${table} (${cols.join(', ')}) SELECT * FROM unnest(${cols.map((c, j) => `$${j + 1}::${cast(c)}[]`).join(', ')})`,
        ...cols.map((c) => part.map((r) => (cast(c) === 'boolean' && typeof r[c] === 'number' ? r[c] === 1 : r[c]))),
      );
    }
    const serial = SERIALS[table];
    if (serial) await this.run(`SELECT setval(pg_get_serial_sequence('${table}', '${serial}'), (SELECT max(${serial}) FROM ${table}))`);
  }
  async isEmpty() {
    for (const t of LEDGER_TABLES) if (await this.get(`SELECT 1 AS x FROM ${t} LIMIT 1`)) return false;
    return true;
  }

  async grantLogin(login: string) {
    const role = await this.get('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1', login);
    if (!role) throw new NotFoundError(`There is no database login ${login} on this server: create it first (CREATE ROLE ... LOGIN), then run db grant again`);
    const here = (await this.get(
      "SELECT current_schema() AS schema, current_database() AS db, pg_has_role($1, (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit'), 'MEMBER') AS owns",
      login,
    ))!;
    if (role.rolsuper || here.owns) {
      throw new ConflictError(`The login ${login} ${role.rolsuper ? 'is a superuser' : "owns the store's tables"}: the database cannot hold it to anything; grant a technician's own login instead`);
    }
    const L = ident(login);
    const S = ident(here.schema as string);
    const writable = LEDGER_TABLES.filter((t) => t !== 'audit').map((t) => `${S}.${ident(t)}`);
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
    for (const [sql] of steps) await this.run(sql);
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

