/** The better-sqlite3 implementation of Store. All SQL lives here and in migrations.ts. */
import type Database from 'better-sqlite3';
import type {
  AccessAssignment,
  AdminAccess,
  Group,
  Relationship,
  Template,
  AuditEntry,
  ClientDomain,
  ClientRecord,
  ClientUser,
  Notification,
  OfferRecord,
  OfferStatus,
  Partner,
  PartnerUser,
} from '../../domain/core/model.js';
import {
  LEDGER_TABLES,
  type Acceptance,
  type AuditFilter,
  type ClientFilter,
  type ClientLineForm,
  type LedgerRow,
  type LedgerTable,
  type OfferLineSpec,
  type OfferWithRelationship,
  type Store,
  type Tx,
  type UserFilter,
} from '../../domain/core/store.js';
import { PRINTABLE, printedPage, printedSql } from '../client-lines.js';
import { offerLineSql, printedOffers, SQLITE_ISO_TIME } from '../offer-lines.js';
import { toStoreError } from './errors.js';
import { openDatabase, type OpenOptions } from './open.js';

type Row = Record<string, unknown>;

const toPartner = (r: Row): Partner => ({
  name: r.name as string,
  tenantId: r.tenant_id as string,
  cloud: r.cloud as Partner['cloud'],
  certified: r.certified === 1,
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

/** Columns SQLite keeps as 0/1 that the ledger's rows (db copy) carry as booleans. */
const BOOLEAN_COLUMNS: Partial<Record<LedgerTable, readonly string[]>> = {
  partner: ['certified'],
  client_users: ['is_admin', 'force_change'],
  client_domains: ['is_initial', 'verified'],
};
/** Each table's key, for a stable export order. */
const TABLE_KEYS: Record<LedgerTable, string> = {
  partner: 'id', users: 'email', offers: 'seq', clients: 'domain', acceptances: 'id', notifications: 'id',
  notification_reads: 'notification_id, email', audit: 'seq', client_users: 'client_domain, upn', client_domains: 'client_domain, name',
  relationships: 'id', templates: 'name', groups: 'name', group_members: 'group_name, email', access_assignments: 'relationship_id, group_name',
};

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
  // Only when Microsoft has said something: an offline relationship reads back as it was written.
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

/** A client row (as an array, in CLIENT_COLS order) with its granular relationships. */
const toClient = (r: readonly unknown[], gdap: Relationship[]): ClientRecord => ({
  domain: r[0] as string,
  name: r[1] as string,
  tenantId: (r[2] as string | null) ?? null,
  offerId: r[3] as string,
  acceptedAt: r[4] as string,
  dap: r[5] == null ? null : { offerId: r[5] as string, acceptedAt: r[6] as string, removedAt: (r[7] as string | null) ?? null },
  gdap,
});

const CLIENT_COLS = 'domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at, dap_removed_at';
/** A client's granular relationships, oldest first. */
const GDAP_ORDER = 'ORDER BY activated_at, created_at, id';

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

const AUDIT_COLS = 'seq, at, actor, action, target, outcome, detail, hash';
/** An audit row as an array, in AUDIT_COLS order. */
const auditOf = (r: readonly unknown[]): AuditEntry => ({
  seq: r[0] as number,
  at: r[1] as string,
  actor: r[2] as string,
  action: r[3] as string,
  target: r[4] as string,
  outcome: r[5] as AuditEntry['outcome'],
  detail: r[6] as string,
  hash: r[7] as string,
});

const toAudit = (r: Row): AuditEntry => ({
  seq: r.seq as number,
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
  isAdmin: r.is_admin === 1,
  passwordResetAt: (r.password_reset_at as string | null) ?? null,
  forceChangePasswordNextSignIn: r.force_change === 1,
  createdAt: r.created_at as string,
});

const toClientDomain = (r: Row): ClientDomain => ({
  clientDomain: r.client_domain as string,
  name: r.name as string,
  isInitial: r.is_initial === 1,
  verified: r.verified === 1,
  addedAt: r.added_at as string,
});

const OFFER_SELECT = `SELECT o.*, (SELECT count(*) FROM acceptances a WHERE a.offer_id = o.id) AS accepted_count FROM offers o`;
/**
 * Offers with the granular relationship each carries (one query for a page of offers), as arrays:
 * the offer's columns, its acceptance count, then the relationship's columns (NULL for other offers).
 */
const OFFER_WITH_RELATIONSHIP = `SELECT o.seq, o.id, o.kind, o.product, o.quantity, o.link, o.link_id, o.status, o.created_at, o.created_by, o.revoked_at,
  (SELECT count(*) FROM acceptances a WHERE a.offer_id = o.id),
  r.id, r.offer_id, r.display_name, r.duration, r.auto_extend, r.roles, r.status, r.created_at, r.activated_at, r.ends_at, r.terminated_at, r.client_domain, r.template, r.ms_status, r.etag
  FROM offers o LEFT JOIN relationships r ON o.kind = 'granular' AND r.offer_id = o.id`;

/** A row of OFFER_WITH_RELATIONSHIP. */
function offerWithRelationship(r: readonly unknown[]): OfferWithRelationship {
  const offer: OfferRecord = {
    id: r[1] as string,
    kind: r[2] as OfferRecord['kind'],
    product: (r[3] as string | null) ?? null,
    quantity: (r[4] as number | null) ?? null,
    link: (r[5] as string | null) ?? null,
    linkId: (r[6] as string | null) ?? null,
    status: r[7] as OfferStatus,
    createdAt: r[8] as string,
    createdBy: r[9] as string,
    revokedAt: (r[10] as string | null) ?? null,
    acceptedCount: (r[11] as number) ?? 0,
  };
  if (r[12] == null) return { offer };
  const relationship: Relationship = {
    id: r[12] as string,
    offerId: r[13] as string,
    displayName: r[14] as string,
    duration: r[15] as string,
    autoExtendDuration: r[16] as Relationship['autoExtendDuration'],
    roles: JSON.parse(r[17] as string) as string[],
    status: r[18] as Relationship['status'],
    createdAt: r[19] as string,
    activatedAt: (r[20] as string | null) ?? null,
    endsAt: (r[21] as string | null) ?? null,
    terminatedAt: (r[22] as string | null) ?? null,
    clientDomain: (r[23] as string | null) ?? null,
    template: (r[24] as string | null) ?? null,
    // Only when Microsoft has said something, as toRelationship reads it.
    ...(r[25] != null ? { msStatus: r[25] as string } : {}),
    ...(r[26] != null ? { etag: r[26] as string } : {}),
  };
  return { offer, relationship };
}


/** A relationship of the client is active at ? (the rule of countActiveClients and the domain's relationshipState). */
const ACTIVE_GDAP = "EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR r.ends_at > ?))";
const ACTIVE_CLIENT = `((c.dap_offer_id IS NOT NULL AND c.dap_removed_at IS NULL) OR ${ACTIVE_GDAP})`;

/**
 * Rows a multi-row INSERT carries: 200 rows of 8 columns are 1,600 bound values, far below SQLite's
 * limit (32,766); more rows a statement measured no faster.
 */
const ROWS_PER_STATEMENT = 200;

/** A page size for LIMIT: a whole number, at least 1. */
const pageSize = (size: number) => Math.max(1, Math.floor(size));

/** Escape LIKE wildcards so user text matches literally. */
const likeText = (s: string) => '%' + s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';

function checkTable(t: string): void {
  if (!(LEDGER_TABLES as readonly string[]).includes(t)) throw new Error(`not a ledger table: ${t}`);
}

class SqliteTx implements Tx {
  constructor(private readonly s: SqliteStore) {}
  private all(sql: string, ...params: unknown[]): Row[] {
    return this.s.stmt(sql).all(...params) as Row[];
  }
  private get(sql: string, ...params: unknown[]): Row | undefined {
    return this.s.stmt(sql).get(...params) as Row | undefined;
  }
  private run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.s.stmt(sql).run(...params);
  }

  async getPartner() {
    const r = this.get('SELECT * FROM partner WHERE id = 1');
    return r && toPartner(r);
  }
  async insertPartner(p: Partner) {
    this.run(
      'INSERT INTO partner (id, name, tenant_id, cloud, certified, mpn_id, created_at, admin_agents_group_id, helpdesk_agents_group_id) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)',
      p.name, p.tenantId, p.cloud, p.certified ? 1 : 0, p.mpnId, p.createdAt, p.adminAgentsGroupId ?? null, p.helpdeskAgentsGroupId ?? null,
    );
  }
  async updatePartner(p: Partner) {
    this.run(
      'UPDATE partner SET name = ?, tenant_id = ?, cloud = ?, certified = ?, mpn_id = ?, admin_agents_group_id = ?, helpdesk_agents_group_id = ? WHERE id = 1',
      p.name, p.tenantId, p.cloud, p.certified ? 1 : 0, p.mpnId, p.adminAgentsGroupId ?? null, p.helpdeskAgentsGroupId ?? null,
    );
  }

  async getUser(email: string) {
    const r = this.get('SELECT * FROM users WHERE email = ?', email);
    return r && toUser(r);
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
  async listUsers(f: UserFilter) {
    const out: PartnerUser[] = [];
    for await (const chunk of this.userChunks(f, 5000)) for (const u of chunk) out.push(u);
    return out;
  }
  async *userChunks(f: UserFilter, size: number): AsyncGenerator<PartnerUser[]> {
    // Keyset pages (email > last), as for clients.
    const st = this.s
      .stmt(`SELECT email, name, org_role, admin_access, created_at, db_login FROM users WHERE email > ?${f.access ? ' AND admin_access = ?' : ''} ORDER BY email LIMIT ${pageSize(size)}`)
      .raw(true);
    let last = '';
    for (;;) {
      const rows = (f.access ? st.all(last, f.access) : st.all(last)) as (string | null)[][];
      if (rows.length === 0) return;
      const chunk = rows.map((r) => ({ email: r[0]!, name: r[1]!, orgRole: r[2] as PartnerUser['orgRole'], adminAccess: r[3] as AdminAccess, createdAt: r[4]!, dbLogin: r[5] ?? null }));
      last = chunk[chunk.length - 1]!.email;
      yield chunk;
      if (rows.length < size) return;
    }
  }
  async firstGlobalAdmin() {
    const r = this.get("SELECT * FROM users WHERE org_role = 'global-admin' ORDER BY created_at, email LIMIT 1");
    return r && toUser(r);
  }
  async userByLogin(login: string) {
    const r = this.get('SELECT * FROM users WHERE db_login = ?', login);
    return r && toUser(r);
  }
  async setDbLogin(email: string, login: string | null) {
    this.run('UPDATE users SET db_login = ? WHERE email = ?', login, email);
  }
  async countGlobalAdmins() {
    return (this.get("SELECT count(*) AS n FROM users WHERE org_role = 'global-admin'") as { n: number }).n;
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
  async deleteUser(email: string) {
    this.run('DELETE FROM users WHERE email = ?', email);
  }

  async findOffers(idOrPrefix: string) {
    const exact = this.get(`${OFFER_SELECT} WHERE o.id = ?`, idOrPrefix);
    if (exact) return [toOffer(exact)];
    return this.all(`${OFFER_SELECT} WHERE o.id LIKE ? ESCAPE '\\' ORDER BY o.seq LIMIT 5`, likeText(idOrPrefix).slice(1)).map(toOffer);
  }
  async listOffers(opts: { all: boolean }) {
    const rows = opts.all
      ? this.all(`${OFFER_SELECT} ORDER BY o.seq`)
      : this.all(`${OFFER_SELECT} WHERE o.status = 'active' ORDER BY o.seq`);
    return rows.map(toOffer);
  }
  async *offerChunks(opts: { all: boolean }, size: number): AsyncGenerator<OfferWithRelationship[]> {
    const st = this.s.stmt(`${OFFER_WITH_RELATIONSHIP} WHERE o.seq > ?${opts.all ? '' : " AND o.status = 'active'"} ORDER BY o.seq LIMIT ${pageSize(size)}`).raw(true);
    let last = 0;
    for (;;) {
      const rows = st.all(last) as unknown[][];
      if (rows.length === 0) return;
      yield rows.map(offerWithRelationship);
      last = rows[rows.length - 1]![0] as number;
      if (rows.length < size) return;
    }
  }
  async *offerLines(opts: { all: boolean }, size: number, spec: OfferLineSpec): AsyncGenerator<(string | OfferWithRelationship)[]> {
    // Each row: its seq and its plain line (NULL unless a granular offer whose times compare exactly); records for the rest.
    const line = offerLineSql({ isoTime: SQLITE_ISO_TIME, now: '@now', pendingSince: '@pendingSince', urlPrefix: '@urlPrefix' });
    const st = this.s
      .stmt(`SELECT o.seq, ${line} FROM offers o LEFT JOIN relationships r ON o.kind = 'granular' AND r.offer_id = o.id WHERE o.seq > @last${opts.all ? '' : " AND o.status = 'active'"} ORDER BY o.seq LIMIT ${pageSize(size)}`)
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
  async latestActiveOffer(kind?: 'plain') {
    const r = kind
      ? this.get(`${OFFER_SELECT} WHERE o.status = 'active' AND o.kind = ? ORDER BY o.seq DESC LIMIT 1`, kind)
      : this.get(`${OFFER_SELECT} WHERE o.status = 'active' AND o.kind != 'granular' ORDER BY o.seq DESC LIMIT 1`);
    return r && toOffer(r);
  }
  async offerByLink(kind: 'trial' | 'purchase', linkId: string) {
    const r = this.get(`${OFFER_SELECT} WHERE o.kind = ? AND o.link_id = ? ORDER BY o.status = 'active' DESC, o.seq DESC LIMIT 1`, kind, linkId);
    return r && toOffer(r);
  }
  async insertOffer(o: OfferRecord) {
    this.run(
      'INSERT INTO offers (id, kind, product, quantity, link, link_id, status, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      o.id, o.kind, o.product, o.quantity, o.link, o.linkId, o.status, o.createdAt, o.createdBy, o.revokedAt,
    );
  }
  async setOfferStatus(id: string, status: OfferStatus, at: string | null) {
    this.run('UPDATE offers SET status = ?, revoked_at = ? WHERE id = ?', status, at, id);
  }

  async getClient(domain: string) {
    const r = this.s.stmt(`SELECT ${CLIENT_COLS} FROM clients WHERE domain = ?`).raw(true).get(domain) as unknown[] | undefined;
    return r && toClient(r, this.all(`SELECT * FROM relationships WHERE client_domain = ? ${GDAP_ORDER}`, domain).map((x) => toRelationship(x)));
  }
  async getClients(domains: readonly string[]) {
    // One statement for a whole chunk (the domains as a JSON array), relationships only for the clients found.
    const out = new Map<string, ClientRecord>();
    const st = this.s.stmt(`SELECT ${CLIENT_COLS} FROM clients WHERE domain IN (SELECT value FROM json_each(?))`).raw(true);
    const rels = this.s.stmt(`SELECT * FROM relationships WHERE client_domain = ? ${GDAP_ORDER}`);
    const CHUNK = 2000;
    for (let i = 0; i < domains.length; i += CHUNK) {
      for (const r of st.all(JSON.stringify(domains.slice(i, i + CHUNK))) as unknown[][]) {
        out.set(r[0] as string, toClient(r, (rels.all(r[0]) as Row[]).map((x) => toRelationship(x))));
      }
    }
    return out;
  }
  async clientByTenant(tenantId: string) {
    const r = this.get('SELECT domain FROM clients WHERE lower(tenant_id) = lower(?) ORDER BY domain LIMIT 1', tenantId) as { domain: string } | undefined;
    return r && this.getClient(r.domain);
  }
  async listClients(f: ClientFilter) {
    const out: ClientRecord[] = [];
    for await (const chunk of this.clientChunks(f, 5000)) for (const c of chunk) out.push(c);
    return out;
  }
  /** The WHERE clause (after the keyset condition) and parameters of a client filter. */
  private clientWhere(f: ClientFilter): { where: string; params: unknown[] } {
    const where = ['c.domain > ?'];
    const params: unknown[] = [];
    if (f.search) {
      where.push("(c.domain LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\' OR c.tenant_id LIKE ? ESCAPE '\\')");
      const t = likeText(f.search);
      params.push(t, t, t);
    }
    if (f.active) {
      where.push(f.active.is ? ACTIVE_CLIENT : `NOT ${ACTIVE_CLIENT}`);
      params.push(f.active.now);
    }
    if (f.endingBy) {
      where.push("EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR (r.ends_at > ? AND r.ends_at <= ?)))");
      params.push(f.endingBy.now, f.endingBy.by);
    }
    if (f.templated) where.push("EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND r.template IS NOT NULL)");
    return { where: where.join(' AND '), params };
  }

  /** The granular relationships of these clients (a page's), by client, oldest first. */
  private relationshipsOf(domains: readonly string[]): Map<string, Relationship[]> {
    const rels = new Map<string, Relationship[]>();
    if (domains.length === 0) return rels;
    const st = this.s.stmt(`SELECT * FROM relationships WHERE client_domain IN (SELECT value FROM json_each(?)) ORDER BY client_domain, activated_at, created_at, id`);
    for (const r of st.all(JSON.stringify(domains)) as Row[]) {
      const rel = toRelationship(r);
      const list = rels.get(rel.clientDomain!);
      if (list) list.push(rel);
      else rels.set(rel.clientDomain!, [rel]);
    }
    return rels;
  }

  async *clientChunks(f: ClientFilter, size: number): AsyncGenerator<ClientRecord[]> {
    // Keyset pages (domain > last) fetched with all(): far fewer native round trips than iterate().
    // Every filter is in the query; each page's relationships come with one more query (most clients have none).
    const { where, params } = this.clientWhere(f);
    const st = this.s.stmt(`SELECT ${CLIENT_COLS} FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${pageSize(size)}`).raw(true);
    const anyGdap = this.get('SELECT 1 AS x FROM relationships WHERE client_domain IS NOT NULL LIMIT 1') !== undefined;
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
    const { where, params } = this.clientWhere(f);
    const st = this.s.stmt(`SELECT c.domain, CASE WHEN ${PRINTABLE} THEN ${printedSql(form, 'sqlite')} END FROM clients c WHERE ${where} ORDER BY c.domain LIMIT ${pageSize(size)}`).raw(true);
    let last = '';
    for (;;) {
      const rows = st.all(last, ...params) as [string, string | null][];
      if (rows.length === 0) return;
      yield await printedPage(rows, form, (domains) => this.getClients(domains));
      last = rows[rows.length - 1]![0];
      if (rows.length < size) return;
    }
  }
  async countActiveClients(now: string) {
    // The same rule as the domain's clientStatus() (a relationship that auto-extends never expires), in one query.
    const sql = `SELECT count(*) AS n FROM clients c WHERE (c.dap_offer_id IS NOT NULL AND c.dap_removed_at IS NULL)
      OR EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR r.ends_at > ?))`;
    return (this.get(sql, now) as { n: number }).n;
  }
  async upsertClient(c: ClientRecord) {
    await this.upsertClients([c]);
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
  async recordAcceptance(a: Acceptance) {
    await this.recordAcceptances([a]);
  }
  async recordAcceptances(as: readonly Acceptance[]) {
    this.insertRows('INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) VALUES', '(?, ?, ?, ?)', '', as, (a, v) => v.push(a.offerId, a.clientDomain, a.at, a.recordedBy));
  }

  /**
   * Insert rows with multi-row VALUES statements, up to ROWS_PER_STATEMENT rows each (prepared once
   * per row count): a bulk chunk is a few statements, not one a row (README "Performance").
   */
  private insertRows<T>(head: string, tuple: string, tail: string, rows: readonly T[], values: (row: T, out: unknown[]) => void): void {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const n = Math.min(ROWS_PER_STATEMENT, rows.length - i);
      const params: unknown[] = [];
      for (let j = i; j < i + n; j++) values(rows[j]!, params);
      this.s.multiRow(head, tuple, tail, n).run(params);
    }
  }

  async getClientUser(clientDomain: string, upn: string) {
    const r = this.get('SELECT * FROM client_users WHERE client_domain = ? AND upn = ?', clientDomain, upn);
    return r && toClientUser(r);
  }
  async listClientUsers(clientDomain: string) {
    return this.all('SELECT * FROM client_users WHERE client_domain = ? ORDER BY upn', clientDomain).map(toClientUser);
  }
  async insertClientUsers(users: readonly ClientUser[]) {
    const st = this.s.stmt(
      'INSERT INTO client_users (client_domain, upn, name, is_admin, password_reset_at, force_change, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const u of users) st.run(u.clientDomain, u.upn, u.name, u.isAdmin ? 1 : 0, u.passwordResetAt, u.forceChangePasswordNextSignIn ? 1 : 0, u.createdAt);
  }
  async setPasswordReset(clientDomain: string, upn: string, at: string) {
    this.run('UPDATE client_users SET password_reset_at = ?, force_change = 1 WHERE client_domain = ? AND upn = ?', at, clientDomain, upn);
  }
  async deleteClientUser(clientDomain: string, upn: string) {
    return this.run('DELETE FROM client_users WHERE client_domain = ? AND upn = ?', clientDomain, upn).changes === 1;
  }
  async listClientDomains(clientDomain: string) {
    return this.all('SELECT * FROM client_domains WHERE client_domain = ? ORDER BY is_initial DESC, added_at, name', clientDomain).map(toClientDomain);
  }
  async domainOwners(name: string) {
    return this.all('SELECT client_domain FROM client_domains WHERE name = ? ORDER BY client_domain', name).map((r) => r.client_domain as string);
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
  async setDomainVerified(clientDomain: string, name: string) {
    this.run('UPDATE client_domains SET verified = 1 WHERE client_domain = ? AND name = ?', clientDomain, name);
  }
  async deleteClientDomain(clientDomain: string, name: string) {
    return this.run('DELETE FROM client_domains WHERE client_domain = ? AND name = ?', clientDomain, name).changes === 1;
  }
  async partnerUsesDomain(name: string) {
    return this.all("SELECT 1 FROM users WHERE substr(email, instr(email, '@') + 1) = ? LIMIT 1", name).length > 0;
  }

  async insertNotification(n: Omit<Notification, 'id'>) {
    const r = this.run(
      'INSERT INTO notifications (at, kind, client_domain, offer_id, message, read_at) VALUES (?, ?, ?, ?, ?, ?)',
      n.at, n.kind, n.clientDomain, n.offerId, n.message, n.readAt,
    );
    return Number(r.lastInsertRowid);
  }
  async insertNotifications(ns: readonly Omit<Notification, 'id'>[]) {
    this.insertRows('INSERT INTO notifications (at, kind, client_domain, offer_id, message, read_at) VALUES', '(?, ?, ?, ?, ?, ?)', '', ns, (n, v) =>
      v.push(n.at, n.kind, n.clientDomain, n.offerId, n.message, n.readAt),
    );
  }
  async listNotifications(opts: { unreadOnly: boolean; reader?: string }) {
    const out: Notification[] = [];
    for await (const chunk of this.notificationChunks(opts, 5000)) for (const n of chunk) out.push(n);
    return out;
  }
  async *notificationChunks(opts: { unreadOnly: boolean; reader?: string }, size: number): AsyncGenerator<Notification[]> {
    // With a reader (a team store's ledger copied here), read state is that user's own.
    const st =
      opts.reader !== undefined
        ? this.s.stmt(
            `SELECT n.id, n.at, n.kind, n.client_domain, n.offer_id, n.message, r.read_at FROM notifications n
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.email = ? WHERE n.id > ?${opts.unreadOnly ? ' AND r.read_at IS NULL' : ''} ORDER BY n.id LIMIT ${pageSize(size)}`,
          )
        : this.s.stmt(`SELECT * FROM notifications WHERE id > ?${opts.unreadOnly ? ' AND read_at IS NULL' : ''} ORDER BY id LIMIT ${pageSize(size)}`);
    let last = 0;
    for (;;) {
      const rows = (opts.reader !== undefined ? st.all(opts.reader, last) : st.all(last)) as Row[];
      if (rows.length === 0) return;
      yield rows.map(toNotification);
      last = rows[rows.length - 1]!.id as number;
      if (rows.length < size) return;
    }
  }
  async getNotification(id: number, reader?: string) {
    const r =
      reader !== undefined
        ? this.get(
            `SELECT n.id, n.at, n.kind, n.client_domain, n.offer_id, n.message, r.read_at FROM notifications n
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.email = ? WHERE n.id = ?`,
            reader, id,
          )
        : this.get('SELECT * FROM notifications WHERE id = ?', id);
    return r && toNotification(r);
  }
  async markNotificationsRead(ids: 'all' | number[], at: string, reader?: string) {
    if (reader !== undefined) {
      const insert = 'INSERT OR IGNORE INTO notification_reads (notification_id, email, read_at) SELECT id, ?, ? FROM notifications';
      if (ids === 'all') return this.run(insert, reader, at).changes;
      let n = 0;
      for (const id of ids) n += this.run(`${insert} WHERE id = ?`, reader, at, id).changes;
      return n;
    }
    if (ids === 'all') return this.run('UPDATE notifications SET read_at = ? WHERE read_at IS NULL', at).changes;
    let n = 0;
    for (const id of ids) n += this.run('UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL', at, id).changes;
    return n;
  }

  async lastAudit() {
    const r = this.get('SELECT * FROM audit ORDER BY seq DESC LIMIT 1');
    return r && toAudit(r);
  }
  async insertAudit(e: AuditEntry) {
    this.run(
      'INSERT INTO audit (seq, at, actor, action, target, outcome, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      e.seq, e.at, e.actor, e.action, e.target, e.outcome, e.detail, e.hash,
    );
  }
  async listAudit(f: AuditFilter) {
    const out: AuditEntry[] = [];
    for await (const chunk of this.auditChunks(f, 5000)) for (const e of chunk) out.push(e);
    return out;
  }
  async *auditChunks(f: AuditFilter, size: number): AsyncGenerator<AuditEntry[]> {
    const where = ['seq > ?'];
    const params: unknown[] = [];
    if (f.actor) (where.push('actor = ?'), params.push(f.actor));
    if (f.target) (where.push('target = ?'), params.push(f.target));
    if (f.client) (where.push("(target = ? OR target LIKE ? ESCAPE '\\')"), params.push(f.client, f.client.replace(/[\\%_]/g, (c) => '\\' + c) + '/%'));
    if (f.action) (where.push("(action = ? OR action LIKE ? ESCAPE '\\')"), params.push(f.action, f.action.replace(/[\\%_]/g, (c) => '\\' + c) + '.%'));
    if (f.since) (where.push('at >= ?'), params.push(f.since));
    const st = this.s.stmt(`SELECT ${AUDIT_COLS} FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${pageSize(size)}`).raw(true);
    let last = 0;
    for (;;) {
      const rows = st.all(last, ...params) as unknown[][];
      if (rows.length === 0) return;
      yield rows.map(auditOf);
      last = rows[rows.length - 1]![0] as number;
      if (rows.length < size) return;
    }
  }
  async eachAudit(fn: (e: AuditEntry) => boolean | void) {
    for (const r of this.s.stmt('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<Row>) {
      if (fn(toAudit(r)) === false) break;
    }
  }

  async insertRelationship(r: Relationship) {
    this.run(
      `INSERT INTO relationships (id, offer_id, display_name, duration, auto_extend, roles, status, created_at, activated_at, ends_at, terminated_at, client_domain, template, ms_status, etag)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id, r.offerId, r.displayName, r.duration, r.autoExtendDuration, JSON.stringify(r.roles), r.status, r.createdAt, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain, r.template, r.msStatus ?? null, r.etag ?? null,
    );
  }
  async updateRelationship(r: Relationship) {
    this.run(
      'UPDATE relationships SET auto_extend = ?, status = ?, activated_at = ?, ends_at = ?, terminated_at = ?, client_domain = ?, ms_status = ?, etag = ? WHERE id = ?',
      r.autoExtendDuration, r.status, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain, r.msStatus ?? null, r.etag ?? null, r.id,
    );
  }
  async getRelationship(id: string) {
    const r = this.get('SELECT * FROM relationships WHERE id = ?', id);
    return r && toRelationship(r);
  }
  async relationshipByOffer(offerId: string) {
    const r = this.get('SELECT * FROM relationships WHERE offer_id = ?', offerId);
    return r && toRelationship(r);
  }
  async listRelationships() {
    return this.all(`SELECT * FROM relationships ${GDAP_ORDER}`).map((x) => toRelationship(x));
  }
  async replaceRelationship(oldId: string, r: Relationship) {
    // The id is a key the access assignments refer to: both change in this transaction, checked at commit.
    if (oldId !== r.id) {
      this.s.db.pragma('defer_foreign_keys = ON');
      this.run('UPDATE access_assignments SET relationship_id = ? WHERE relationship_id = ?', r.id, oldId);
    }
    this.run(
      `UPDATE relationships SET id = ?, display_name = ?, duration = ?, auto_extend = ?, roles = ?, status = ?, activated_at = ?, ends_at = ?,
         terminated_at = ?, client_domain = ?, ms_status = ?, etag = ? WHERE id = ?`,
      r.id, r.displayName, r.duration, r.autoExtendDuration, JSON.stringify(r.roles), r.status, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain, r.msStatus ?? null, r.etag ?? null, oldId,
    );
  }
  async relationshipNameTaken(displayName: string) {
    return this.get('SELECT 1 AS x FROM relationships WHERE display_name = ?', displayName) !== undefined;
  }

  async insertTemplate(t: Template) {
    this.run(
      'INSERT INTO templates (name, roles, duration, auto_extend, assignments, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
      t.name, JSON.stringify(t.roles), t.duration, t.autoExtendDuration, JSON.stringify(t.assignments), t.createdAt, t.createdBy,
    );
  }
  async getTemplate(name: string) {
    const r = this.get('SELECT * FROM templates WHERE name = ?', name);
    return r && toTemplate(r);
  }
  async listTemplates() {
    return this.all('SELECT * FROM templates ORDER BY name').map(toTemplate);
  }
  async deleteTemplate(name: string) {
    return this.run('DELETE FROM templates WHERE name = ?', name).changes === 1;
  }

  async insertGroup(g: Omit<Group, 'members'>) {
    this.run('INSERT INTO groups (name, object_id, created_at) VALUES (?, ?, ?)', g.name, g.objectId, g.createdAt);
  }
  async setGroupObjectId(name: string, objectId: string) {
    return this.run('UPDATE groups SET object_id = ? WHERE name = ?', objectId, name).changes === 1;
  }
  private withMembers(r: Row): Group {
    const members = this.all('SELECT email FROM group_members WHERE group_name = ? ORDER BY email', r.name).map((m) => m.email as string);
    return { name: r.name as string, objectId: (r.object_id as string | null) ?? null, createdAt: r.created_at as string, members };
  }
  async getGroup(name: string) {
    const r = this.get('SELECT * FROM groups WHERE name = ?', name);
    return r && this.withMembers(r);
  }
  async listGroups() {
    return this.all('SELECT * FROM groups ORDER BY name').map((r) => this.withMembers(r));
  }
  async addGroupMembers(group: string, emails: readonly string[]) {
    const canonical = (this.get('SELECT name FROM groups WHERE name = ?', group) as { name: string }).name;
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
  async deleteGroup(name: string) {
    this.run('DELETE FROM access_assignments WHERE group_name = ?', name);
    return this.run('DELETE FROM groups WHERE name = ?', name).changes === 1;
  }
  async groupsOf(email: string) {
    return this.all('SELECT group_name FROM group_members WHERE email = ? ORDER BY group_name', email).map((r) => r.group_name as string);
  }

  async upsertAssignment(a: AccessAssignment) {
    this.run(
      `INSERT INTO access_assignments (relationship_id, group_name, roles, created_at, microsoft_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (relationship_id, group_name) DO UPDATE SET roles = excluded.roles, microsoft_id = coalesce(excluded.microsoft_id, microsoft_id)`,
      a.relationshipId, a.group, JSON.stringify(a.roles), a.createdAt, a.microsoftId ?? null,
    );
  }
  async listAssignments(relationshipId: string) {
    return this.all('SELECT * FROM access_assignments WHERE relationship_id = ? ORDER BY group_name', relationshipId).map(toAssignment);
  }
  async assignmentsOfGroup(group: string) {
    return this.all('SELECT * FROM access_assignments WHERE group_name = ? ORDER BY relationship_id', group).map(toAssignment);
  }
  async deleteAssignment(relationshipId: string, group: string) {
    return this.run('DELETE FROM access_assignments WHERE relationship_id = ? AND group_name = ?', relationshipId, group).changes === 1;
  }

  async *exportRows(table: LedgerTable): AsyncGenerator<LedgerRow[]> {
    checkTable(table);
    const bools = BOOLEAN_COLUMNS[table] ?? [];
    let page: LedgerRow[] = [];
    for (const r of this.s.stmt(`SELECT * FROM ${table} ORDER BY ${TABLE_KEYS[table]}`).iterate() as IterableIterator<LedgerRow>) {
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
    for (const c of cols) if (!/^[a-z_]+$/.test(c)) throw new Error(`bad column ${c}`);
    const st = this.s.stmt(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    for (const r of rows) st.run(...cols.map((c) => (bools.has(c) ? (r[c] ? 1 : 0) : r[c])));
  }
  async isEmpty() {
    for (const t of LEDGER_TABLES) if (this.get(`SELECT 1 AS x FROM ${t} LIMIT 1`)) return false;
    return true;
  }

  async rollbackWrites() {
    this.s.db.exec('ROLLBACK TO work');
  }
}

export class SqliteStore implements Store {
  private readonly cache = new Map<string, Database.Statement>();
  private readonly multi = new Map<string, Database.Statement>();
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
