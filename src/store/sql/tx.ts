/**
 * The store's plain reads and writes, written once for both backends: SQL with `?` placeholders run
 * through a SqlDriver (driver.ts), what still differs between the dialects taken from a Dialect
 * (dialect.ts), rows mapped by rows.ts. Each backend's Tx extends SqlTx with what it does its own
 * way (the abstract methods below: bulk writes, keyset pages that print or prefetch, db copy,
 * transaction control); sqlite/sqlite-store.ts and postgres/pg-store.ts.
 */
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
  type Tx,
  type UserFilter,
} from '../../domain/core/store.js';
import type { Dialect } from './dialect.js';
import type { SqlDriver } from './driver.js';
import { intentMethods, type IntentTx } from './intents.js';
import { syncMethods } from './sync-stage.js';
import { pimMethods } from './pim.js';
import { accessMethods } from './access-reads.js';
import { auditWhere, likeEscaped, pageSize } from './queries.js';
import {
  AUDIT_COLS,
  auditOf,
  CLIENT_COLS,
  GDAP_ORDER,
  int,
  OFFER_SELECT,
  OFFERED,
  OFFER_WITH_RELATIONSHIP,
  offerWithRelationship,
  toAssignment,
  toAudit,
  toClient,
  toClientDomain,
  toClientUser,
  toGroup,
  toNotification,
  toOffer,
  toPartner,
  toRelationship,
  toTemplate,
  toUser,
  USER_COLS,
  userOf,
  type Row,
} from './rows.js';

/** How many records the list methods read a page (they gather the chunk methods' pages). */
const LIST_PAGE = 5000;

export abstract class SqlTx implements Tx {
  /** The intents table (live mode, exactly once): sql/intents.ts. */
  private readonly intents: IntentTx;
  /** Sync's stage and read marks: sql/sync-stage.ts. */
  readonly sync: Tx['sync'];
  /** Eligibility and activation (PIM for Groups): sql/pim.ts. */
  readonly pim: Tx['pim'];
  /** The reads behind `access show` and `access why`: sql/access-reads.ts. */
  readonly access: Tx['access'];
  constructor(
    protected readonly db: SqlDriver,
    protected readonly d: Dialect,
  ) {
    this.intents = intentMethods(db);
    this.sync = syncMethods(db, d);
    this.pim = pimMethods(db, d);
    this.access = accessMethods(db);
  }

  // ---------------------------------------------------------------- intents
  openIntents(...a: Parameters<Tx['openIntents']>) {
    return this.intents.openIntents(...a);
  }
  answerIntents(...a: Parameters<Tx['answerIntents']>) {
    return this.intents.answerIntents(...a);
  }
  markPasswordPending(...a: Parameters<Tx['markPasswordPending']>) {
    return this.intents.markPasswordPending(...a);
  }
  closeIntents(...a: Parameters<Tx['closeIntents']>) {
    return this.intents.closeIntents(...a);
  }
  listIntents(...a: Parameters<Tx['listIntents']>) {
    return this.intents.listIntents(...a);
  }
  hasOpenIntents(...a: Parameters<Tx['hasOpenIntents']>) {
    return this.intents.hasOpenIntents(...a);
  }
  claimIntent(...a: Parameters<Tx['claimIntent']>) {
    return this.intents.claimIntent(...a);
  }
  renewLeases(...a: Parameters<Tx['renewLeases']>) {
    return this.intents.renewLeases(...a);
  }
  releaseIntents(...a: Parameters<Tx['releaseIntents']>) {
    return this.intents.releaseIntents(...a);
  }

  // ---------------------------------------------------------------- what each backend does its own way
  abstract getUsers(emails: readonly string[]): Promise<Map<string, Omit<PartnerUser, 'createdAt'>>>;
  abstract insertUsers(users: readonly PartnerUser[]): Promise<void>;
  abstract setAdminAccess(changes: readonly { email: string; adminAccess: AdminAccess }[]): Promise<void>;
  abstract offerLines(opts: { all: boolean }, size: number, spec: OfferLineSpec): AsyncIterable<(string | OfferWithRelationship)[]>;
  abstract getClients(domains: readonly string[]): Promise<Map<string, ClientRecord>>;
  abstract clientChunks(filter: ClientFilter, size: number): AsyncIterable<ClientRecord[]>;
  abstract clientLines(filter: ClientFilter, size: number, form: ClientLineForm): AsyncIterable<(string | ClientRecord)[]>;
  abstract upsertClients(cs: readonly ClientRecord[]): Promise<void>;
  abstract recordAcceptances(as: readonly Acceptance[]): Promise<void>;
  abstract insertClientUsers(users: readonly ClientUser[]): Promise<void>;
  abstract takenDomainNames(names: readonly string[]): Promise<Set<string>>;
  abstract insertClientDomains(domains: readonly ClientDomain[]): Promise<void>;
  abstract insertNotifications(ns: readonly Omit<Notification, 'id'>[]): Promise<void>;
  abstract markNotificationsRead(ids: 'all' | number[], at: string, reader?: string): Promise<number>;
  abstract eachAudit(fn: (e: AuditEntry) => boolean | void): Promise<void>;
  abstract addGroupMembers(group: string, emails: readonly string[]): Promise<number>;
  abstract removeGroupMembers(group: string, emails: readonly string[]): Promise<number>;
  abstract exportRows(table: LedgerTable): AsyncIterable<LedgerRow[]>;
  abstract importRows(table: LedgerTable, rows: readonly LedgerRow[]): Promise<void>;
  abstract rollbackWrites(): Promise<void>;
  /**
   * Before a relationship's id changes (replaceRelationship): what the backend needs so that its
   * access assignments follow (SQLite moves them itself; PostgreSQL's key cascades).
   */
  protected abstract relationshipIdChanging(oldId: string, newId: string): Promise<void>;

  // ---------------------------------------------------------------- partner
  async getPartner() {
    const r = await this.db.get('SELECT * FROM partner WHERE id = 1', []);
    return r && toPartner(r);
  }
  async insertPartner(p: Partner) {
    await this.db.run(
      'INSERT INTO partner (id, name, tenant_id, cloud, certified, mpn_id, created_at, admin_agents_group_id, helpdesk_agents_group_id) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)',
      [p.name, p.tenantId, p.cloud, this.d.bool(p.certified), p.mpnId, p.createdAt, p.adminAgentsGroupId ?? null, p.helpdeskAgentsGroupId ?? null],
    );
  }
  async updatePartner(p: Partner) {
    await this.db.run(
      'UPDATE partner SET name = ?, tenant_id = ?, cloud = ?, certified = ?, mpn_id = ?, admin_agents_group_id = ?, helpdesk_agents_group_id = ? WHERE id = 1',
      [p.name, p.tenantId, p.cloud, this.d.bool(p.certified), p.mpnId, p.adminAgentsGroupId ?? null, p.helpdeskAgentsGroupId ?? null],
    );
  }

  // ---------------------------------------------------------------- partner users
  async getUser(email: string) {
    const r = await this.db.get('SELECT * FROM users WHERE email = ?', [email]);
    return r && toUser(r);
  }
  async listUsers(f: UserFilter) {
    const out: PartnerUser[] = [];
    for await (const chunk of this.userChunks(f, LIST_PAGE)) for (const u of chunk) out.push(u);
    return out;
  }
  async *userChunks(f: UserFilter, size: number): AsyncGenerator<PartnerUser[]> {
    // Keyset pages (email > last), as arrays.
    const sql = `SELECT ${USER_COLS} FROM users WHERE email > ?${f.access ? ' AND admin_access = ?' : ''} ORDER BY email LIMIT ${pageSize(size)}`;
    let last = '';
    for (;;) {
      const rows = await this.db.rows(sql, f.access ? [last, f.access] : [last]);
      if (rows.length === 0) return;
      const chunk = rows.map(userOf);
      last = chunk[chunk.length - 1]!.email;
      yield chunk;
      if (rows.length < size) return;
    }
  }
  async firstGlobalAdmin() {
    const r = await this.db.get("SELECT * FROM users WHERE org_role = 'global-admin' ORDER BY created_at, email LIMIT 1", []);
    return r && toUser(r);
  }
  async userByLogin(login: string) {
    const r = await this.db.get('SELECT * FROM users WHERE db_login = ?', [login]);
    return r && toUser(r);
  }
  async setDbLogin(email: string, login: string | null) {
    await this.db.run('UPDATE users SET db_login = ? WHERE email = ?', [login, email]);
  }
  async countGlobalAdmins() {
    return int((await this.db.get("SELECT count(*) AS n FROM users WHERE org_role = 'global-admin'", []))!.n);
  }
  async deleteUser(email: string) {
    await this.db.run('DELETE FROM users WHERE email = ?', [email]);
  }

  // ---------------------------------------------------------------- offers
  async findOffers(idOrPrefix: string) {
    const exact = await this.db.get(`${OFFER_SELECT} WHERE o.id = ?`, [idOrPrefix]);
    if (exact) return [toOffer(exact)];
    return (await this.db.all(`${OFFER_SELECT} WHERE o.id ${this.d.like} ? ESCAPE '\\' ORDER BY o.seq LIMIT 5`, [likeEscaped(idOrPrefix) + '%'])).map(toOffer);
  }
  async listOffers(opts: { all: boolean }) {
    const rows = opts.all ? await this.db.all(`${OFFER_SELECT} ORDER BY o.seq`, []) : await this.db.all(`${OFFER_SELECT} WHERE ${OFFERED} ORDER BY o.seq`, []);
    return rows.map(toOffer);
  }
  async *offerChunks(opts: { all: boolean }, size: number): AsyncGenerator<OfferWithRelationship[]> {
    const sql = `${OFFER_WITH_RELATIONSHIP} WHERE o.seq > ?${opts.all ? '' : ` AND ${OFFERED}`} ORDER BY o.seq LIMIT ${pageSize(size)}`;
    let last = 0;
    for (;;) {
      const rows = await this.db.rows(sql, [last]);
      if (rows.length === 0) return;
      yield rows.map(offerWithRelationship);
      last = int(rows[rows.length - 1]![0]);
      if (rows.length < size) return;
    }
  }
  async latestActiveOffer(kind?: 'plain') {
    const r = kind
      ? await this.db.get(`${OFFER_SELECT} WHERE ${OFFERED} AND o.kind = ? ORDER BY o.seq DESC LIMIT 1`, [kind])
      : await this.db.get(`${OFFER_SELECT} WHERE ${OFFERED} AND o.kind != 'granular' ORDER BY o.seq DESC LIMIT 1`, []);
    return r && toOffer(r);
  }
  async offerByLink(kind: 'trial' | 'purchase', linkId: string) {
    const r = await this.db.get(`${OFFER_SELECT} WHERE o.kind = ? AND o.link_id = ? ORDER BY (o.status = 'active') DESC, o.seq DESC LIMIT 1`, [kind, linkId]);
    return r && toOffer(r);
  }
  async insertOffer(o: OfferRecord) {
    await this.db.run(
      'INSERT INTO offers (id, kind, product, quantity, link, link_id, status, created_at, created_by, revoked_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      // An imported offer is stored active (the status column keeps its two states) with origin sync.
      [o.id, o.kind, o.product, o.quantity, o.link, o.linkId, o.status === 'imported' ? 'active' : o.status, o.createdAt, o.createdBy, o.revokedAt, o.origin ?? 'delegate'],
    );
  }
  async setOfferStatus(id: string, status: OfferStatus, at: string | null) {
    await this.db.run('UPDATE offers SET status = ?, revoked_at = ? WHERE id = ?', [status, at, id]);
  }

  // ---------------------------------------------------------------- clients
  async getClient(domain: string) {
    const r = (await this.db.rows(`SELECT ${CLIENT_COLS} FROM clients c WHERE c.domain = ?`, [domain]))[0];
    return r && toClient(r, (await this.db.all(`SELECT * FROM relationships WHERE client_domain = ? ORDER BY ${GDAP_ORDER}`, [domain])).map(toRelationship));
  }
  async clientByTenant(tenantId: string) {
    const r = await this.db.get('SELECT domain FROM clients WHERE lower(tenant_id) = lower(?) ORDER BY domain LIMIT 1', [tenantId]);
    return r && this.getClient(r.domain as string);
  }
  async listClients(f: ClientFilter) {
    const out: ClientRecord[] = [];
    for await (const chunk of this.clientChunks(f, LIST_PAGE)) for (const c of chunk) out.push(c);
    return out;
  }
  async countActiveClients(now: string) {
    // The same rule as the domain's clientStatus() (a relationship that auto-extends never expires), in one query.
    const sql = `SELECT count(*) AS n FROM clients c WHERE (c.dap_offer_id IS NOT NULL AND c.dap_removed_at IS NULL)
      OR EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR r.ends_at > ?))`;
    return int((await this.db.get(sql, [now]))!.n);
  }
  async upsertClient(c: ClientRecord) {
    await this.db.run(
      `INSERT INTO clients (domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at, dap_removed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (domain) DO UPDATE SET name = excluded.name, tenant_id = excluded.tenant_id, offer_id = excluded.offer_id, accepted_at = excluded.accepted_at,
         dap_offer_id = excluded.dap_offer_id, dap_accepted_at = excluded.dap_accepted_at, dap_removed_at = excluded.dap_removed_at`,
      [c.domain, c.name, c.tenantId, c.offerId, c.acceptedAt, c.dap?.offerId ?? null, c.dap?.acceptedAt ?? null, c.dap?.removedAt ?? null],
    );
  }
  async recordAcceptance(a: Acceptance) {
    await this.db.run('INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) VALUES (?, ?, ?, ?)', [a.offerId, a.clientDomain, a.at, a.recordedBy]);
  }

  // ---------------------------------------------------------------- a client's users and domains
  async getClientUser(clientDomain: string, upn: string) {
    const r = await this.db.get('SELECT * FROM client_users WHERE client_domain = ? AND upn = ?', [clientDomain, upn]);
    return r && toClientUser(r);
  }
  async listClientUsers(clientDomain: string) {
    return (await this.db.all('SELECT * FROM client_users WHERE client_domain = ? ORDER BY upn', [clientDomain])).map(toClientUser);
  }
  async setPasswordReset(clientDomain: string, upn: string, at: string) {
    await this.db.run('UPDATE client_users SET password_reset_at = ?, force_change = TRUE WHERE client_domain = ? AND upn = ?', [at, clientDomain, upn]);
  }
  async deleteClientUser(clientDomain: string, upn: string) {
    return (await this.db.run('DELETE FROM client_users WHERE client_domain = ? AND upn = ?', [clientDomain, upn])) === 1;
  }
  async listClientDomains(clientDomain: string) {
    return (await this.db.all('SELECT * FROM client_domains WHERE client_domain = ? ORDER BY is_initial DESC, added_at, name', [clientDomain])).map(toClientDomain);
  }
  async domainOwners(name: string) {
    return (await this.db.all('SELECT client_domain FROM client_domains WHERE name = ? ORDER BY client_domain', [name])).map((r) => r.client_domain as string);
  }
  async setDomainVerified(clientDomain: string, name: string) {
    await this.db.run('UPDATE client_domains SET verified = TRUE WHERE client_domain = ? AND name = ?', [clientDomain, name]);
  }
  async deleteClientDomain(clientDomain: string, name: string) {
    return (await this.db.run('DELETE FROM client_domains WHERE client_domain = ? AND name = ?', [clientDomain, name])) === 1;
  }
  async partnerUsesDomain(name: string) {
    return (await this.db.get(`SELECT 1 AS x FROM users WHERE ${this.d.emailDomain('email')} = ? LIMIT 1`, [name])) !== undefined;
  }

  // ---------------------------------------------------------------- notifications
  async insertNotification(n: Omit<Notification, 'id'>) {
    const rows = await this.db.all('INSERT INTO notifications (at, kind, client_domain, offer_id, message, read_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id', [
      n.at, n.kind, n.clientDomain, n.offerId, n.message, n.readAt,
    ]);
    return int(rows[0]!.id);
  }
  async listNotifications(opts: { unreadOnly: boolean; reader?: string }) {
    const out: Notification[] = [];
    for await (const chunk of this.notificationChunks(opts, LIST_PAGE)) for (const n of chunk) out.push(n);
    return out;
  }
  async *notificationChunks(opts: { unreadOnly: boolean; reader?: string }, size: number): AsyncGenerator<Notification[]> {
    // With a reader (a team store, or its ledger copied to a file), read state is that partner user's own.
    const sql =
      opts.reader !== undefined
        ? `SELECT n.id, n.at, n.kind, n.client_domain, n.offer_id, n.message, r.read_at FROM notifications n
           LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.email = ? WHERE n.id > ?${opts.unreadOnly ? ' AND r.read_at IS NULL' : ''} ORDER BY n.id LIMIT ${pageSize(size)}`
        : `SELECT * FROM notifications WHERE id > ?${opts.unreadOnly ? ' AND read_at IS NULL' : ''} ORDER BY id LIMIT ${pageSize(size)}`;
    let last = 0;
    for (;;) {
      const rows = await this.db.all(sql, opts.reader !== undefined ? [opts.reader, last] : [last]);
      if (rows.length === 0) return;
      const chunk = rows.map(toNotification);
      last = chunk[chunk.length - 1]!.id;
      yield chunk;
      if (rows.length < size) return;
    }
  }
  async getNotification(id: number, reader?: string) {
    const r =
      reader !== undefined
        ? await this.db.get(
            `SELECT n.id, n.at, n.kind, n.client_domain, n.offer_id, n.message, r.read_at FROM notifications n
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.email = ? WHERE n.id = ?`,
            [reader, id],
          )
        : await this.db.get('SELECT * FROM notifications WHERE id = ?', [id]);
    return r && toNotification(r);
  }

  // ---------------------------------------------------------------- audit
  async lastAudit() {
    const r = await this.db.get('SELECT * FROM audit ORDER BY seq DESC LIMIT 1', []);
    return r && toAudit(r);
  }
  async insertAudit(e: AuditEntry) {
    await this.db.run('INSERT INTO audit (seq, at, actor, action, target, outcome, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      e.seq, e.at, e.actor, e.action, e.target, e.outcome, e.detail, e.hash,
    ]);
  }
  async listAudit(f: AuditFilter) {
    const out: AuditEntry[] = [];
    for await (const chunk of this.auditChunks(f, LIST_PAGE)) for (const e of chunk) out.push(e);
    return out;
  }
  async *auditChunks(f: AuditFilter, size: number): AsyncGenerator<AuditEntry[]> {
    const { where, params } = auditWhere(f);
    const sql = `SELECT ${AUDIT_COLS} FROM audit WHERE ${where} ORDER BY seq LIMIT ${pageSize(size)}`;
    let last = 0;
    for (;;) {
      const rows = await this.db.rows(sql, [last, ...params]);
      if (rows.length === 0) return;
      const chunk = rows.map(auditOf);
      last = chunk[chunk.length - 1]!.seq;
      yield chunk;
      if (rows.length < size) return;
    }
  }

  // ---------------------------------------------------------------- granular relationships
  async insertRelationship(r: Relationship) {
    await this.db.run(
      `INSERT INTO relationships (id, offer_id, display_name, duration, auto_extend, roles, status, created_at, activated_at, ends_at, terminated_at, client_domain, template, ms_status, etag)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.id, r.offerId, r.displayName, r.duration, r.autoExtendDuration, JSON.stringify(r.roles), r.status, r.createdAt, r.activatedAt, r.endsAt, r.terminatedAt,
        r.clientDomain, r.template, r.msStatus ?? null, r.etag ?? null,
      ],
    );
  }
  async updateRelationship(r: Relationship) {
    await this.db.run(
      'UPDATE relationships SET auto_extend = ?, status = ?, activated_at = ?, ends_at = ?, terminated_at = ?, client_domain = ?, ms_status = ?, etag = ? WHERE id = ?',
      [r.autoExtendDuration, r.status, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain, r.msStatus ?? null, r.etag ?? null, r.id],
    );
  }
  async getRelationship(id: string) {
    const r = await this.db.get('SELECT * FROM relationships WHERE id = ?', [id]);
    return r && toRelationship(r);
  }
  async relationshipByOffer(offerId: string) {
    const r = await this.db.get('SELECT * FROM relationships WHERE offer_id = ?', [offerId]);
    return r && toRelationship(r);
  }
  async relationshipNameTaken(displayName: string) {
    return (await this.db.get(`SELECT 1 AS x FROM relationships WHERE ${this.d.sameName('display_name')}`, [displayName])) !== undefined;
  }
  async listRelationships() {
    return (await this.db.all(`SELECT * FROM relationships ORDER BY ${GDAP_ORDER}`, [])).map(toRelationship);
  }
  async replaceRelationship(oldId: string, r: Relationship) {
    // The id is a key the access assignments refer to: they follow it in this transaction.
    if (oldId !== r.id) await this.relationshipIdChanging(oldId, r.id);
    await this.db.run(
      `UPDATE relationships SET id = ?, display_name = ?, duration = ?, auto_extend = ?, roles = ?, status = ?, activated_at = ?, ends_at = ?,
         terminated_at = ?, client_domain = ?, ms_status = ?, etag = ? WHERE id = ?`,
      [r.id, r.displayName, r.duration, r.autoExtendDuration, JSON.stringify(r.roles), r.status, r.activatedAt, r.endsAt, r.terminatedAt, r.clientDomain, r.msStatus ?? null, r.etag ?? null, oldId],
    );
  }

  // ---------------------------------------------------------------- templates
  async insertTemplate(t: Template) {
    await this.db.run('INSERT INTO templates (name, roles, duration, auto_extend, assignments, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      t.name, JSON.stringify(t.roles), t.duration, t.autoExtendDuration, JSON.stringify(t.assignments), t.createdAt, t.createdBy,
    ]);
  }
  async getTemplate(name: string) {
    const r = await this.db.get(`SELECT * FROM templates WHERE ${this.d.sameName('name')}`, [name]);
    return r && toTemplate(r);
  }
  async listTemplates() {
    return (await this.db.all(`SELECT * FROM templates ORDER BY ${this.d.byName('name')}`, [])).map(toTemplate);
  }
  async deleteTemplate(name: string) {
    return (await this.db.run(`DELETE FROM templates WHERE ${this.d.sameName('name')}`, [name])) === 1;
  }

  // ---------------------------------------------------------------- security groups
  async insertGroup(g: Omit<Group, 'members'>) {
    await this.db.run('INSERT INTO groups (name, object_id, created_at) VALUES (?, ?, ?)', [g.name, g.objectId, g.createdAt]);
  }
  async setGroupObjectId(name: string, objectId: string) {
    return (await this.db.run(`UPDATE groups SET object_id = ? WHERE ${this.d.sameName('name')}`, [objectId, name])) === 1;
  }
  private async withMembers(r: Row): Promise<Group> {
    const members = (await this.db.all('SELECT email FROM group_members WHERE group_name = ? ORDER BY email', [r.name])).map((m) => m.email as string);
    return toGroup(r, members);
  }
  async getGroup(name: string) {
    const r = await this.db.get(`SELECT * FROM groups WHERE ${this.d.sameName('name')}`, [name]);
    return r && this.withMembers(r);
  }
  async listGroups() {
    const out: Group[] = [];
    for (const r of await this.db.all(`SELECT * FROM groups ORDER BY ${this.d.byName('name')}`, [])) out.push(await this.withMembers(r));
    return out;
  }
  /** The group's name as recorded (a name is looked up without case); it must exist. */
  protected async groupName(name: string): Promise<string> {
    return (await this.db.get(`SELECT name FROM groups WHERE ${this.d.sameName('name')}`, [name]))!.name as string;
  }
  async deleteGroup(name: string) {
    await this.db.run('DELETE FROM access_assignments WHERE group_name = ?', [name]);
    return (await this.db.run(`DELETE FROM groups WHERE ${this.d.sameName('name')}`, [name])) === 1;
  }
  async groupsOf(email: string) {
    return (await this.db.all(`SELECT group_name FROM group_members WHERE email = ? ORDER BY ${this.d.byName('group_name')}`, [email])).map((r) => r.group_name as string);
  }

  // ---------------------------------------------------------------- access assignments
  async upsertAssignment(a: AccessAssignment) {
    await this.db.run(
      `INSERT INTO access_assignments (relationship_id, group_name, roles, created_at, microsoft_id, status) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (relationship_id, group_name) DO UPDATE SET roles = excluded.roles, microsoft_id = coalesce(excluded.microsoft_id, access_assignments.microsoft_id),
         status = coalesce(excluded.status, access_assignments.status)`,
      [a.relationshipId, a.group, JSON.stringify(a.roles), a.createdAt, a.microsoftId ?? null, a.status ?? null],
    );
  }
  async listAssignments(relationshipId: string) {
    return (await this.db.all(`SELECT * FROM access_assignments WHERE relationship_id = ? ORDER BY ${this.d.byName('group_name')}`, [relationshipId])).map(toAssignment);
  }
  async assignmentsOfGroup(group: string) {
    return (await this.db.all('SELECT * FROM access_assignments WHERE group_name = ? ORDER BY relationship_id', [group])).map(toAssignment);
  }
  async deleteAssignment(relationshipId: string, group: string) {
    return (await this.db.run('DELETE FROM access_assignments WHERE relationship_id = ? AND group_name = ?', [relationshipId, group])) === 1;
  }

  // ---------------------------------------------------------------- the ledger as a whole
  async isEmpty() {
    for (const t of LEDGER_TABLES) if (await this.db.get(`SELECT 1 AS x FROM ${t} LIMIT 1`, [])) return false;
    return true;
  }
}
