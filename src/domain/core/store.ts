/**
 * The port: the Store the domain needs, which each backend in store/ implements
 * (SQLite in store/sqlite, PostgreSQL in store/postgres; the SQL they share,
 * most of Tx written once, in store/sql). Async; every write
 * runs as one unit of work. What every backend keeps (pinned by the
 * conformance suite, test/store/conformance*.test.ts):
 * - write transactions are serialised against every other write on the same
 *   store, in any process: the audit entry a write reads with lastAudit() is
 *   still the newest when it commits, so appends never fork the chain
 *   (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level advisory lock
 *   taken first thing in every write);
 * - a read sees one consistent snapshot;
 * - a failed or thrown write leaves nothing behind;
 * - text comes back exactly as written (audit times feed the hash), numbers as numbers;
 * - the driver's errors never leave the store: they become StoreError
 *   (core/errors.ts) with a reason and one plain line.
 */
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
  Intent,
} from './model.js';
import type { PimTx } from './pim.js';
import type { AccessTx } from './access-store.js';

/** The ledger's tables, parents before children: what db copy moves, in this order. */
export const LEDGER_TABLES = [
  'partner', 'users', 'offers', 'clients', 'acceptances', 'notifications', 'notification_reads', 'audit',
  'client_users', 'client_domains', 'relationships', 'templates', 'groups', 'group_members', 'access_assignments',
  'group_eligibility',
] as const;
export type LedgerTable = (typeof LEDGER_TABLES)[number];
/** A row as db copy carries it: column name to value (text, number, boolean or null), the same on every backend. */
export type LedgerRow = Record<string, string | number | boolean | null>;

export interface UserFilter {
  access?: AdminAccess;
}

/**
 * Which clients to read. Status is derived from relationships and the clock, so the domain decides
 * it exactly (clients.ts); `active` and `endingBy` let the backend leave out, in its query, clients
 * that cannot match, so a filtered list reads only what it may show.
 */
export interface ClientFilter {
  /** Domain, name or tenant id contains this (any case). */
  search?: string;
  /**
   * Only clients that have (true) or have not (false) a relationship active at `now` (ISO time): an
   * active DAP relationship, or an active granular one that auto-extends or ends after `now`
   * (the rule of countActiveClients).
   */
  active?: { now: string; is: boolean };
  /**
   * Only clients with an active granular relationship that may end by `by` (ISO time): one that
   * auto-extends (its rolled-forward end is the domain's to work out), or whose end is after `now`
   * and at or before `by`.
   */
  endingBy?: { now: string; by: string };
  /** Only clients with an active granular relationship made from a template. */
  templated?: boolean;
}

/** An offer's acceptance by a client, as history keeps it. */
export interface Acceptance {
  offerId: string;
  clientDomain: string;
  at: string;
  recordedBy: string;
}

/** The forms a backend may print a client in itself (Tx.clientLines). */
export type ClientLineForm = 'csv' | 'json';

/** A page of offers, each with the granular relationship it carries (if it is a granular offer). */
export interface OfferWithRelationship {
  offer: OfferRecord;
  relationship?: Relationship;
}

/**
 * What a store needs to print an offer's plain line itself (Tx.offerLines): the clock, and the
 * invitation link's fixed start.
 */
export interface OfferLineSpec {
  /** The clock, as toISOString writes it. */
  now: string;
  /** The clock less PENDING_DAYS, the same way: a pending relationship made after it has not expired. */
  pendingSince: string;
  /** granularUrl(cloud, ''): a granular offer's link is this, then its relationship id (encoded). */
  urlPrefix: string;
}

export interface AuditFilter {
  actor?: string;
  target?: string;
  /** Entries about this client: target is the domain, or starts with "<domain>/". */
  client?: string;
  action?: string;
  since?: string;
}

/** What `sync` stages: one item of Microsoft's answers, keyed by what reconcile looks it up by. */
export type StageKind = 'relationship' | 'assignments' | 'contract' | 'dap' | 'agents' | 'cursor';
export interface StagedItem {
  kind: StageKind;
  /** Lower-case id (a relationship's id as Microsoft gives it). */
  key: string;
  /** JSON text. */
  body: string;
  /** The newest audit sequence number when the read was requested: a record written after it keeps the ledger's value. */
  seq: number;
  at: string;
}
/** The one sync running (or interrupted) on a store. */
export interface SyncRun {
  startedAt: string;
  /** The parts synced, comma-separated. */
  parts: string;
  full: boolean;
  owner: { host: string; pid: number; leaseUntil: string };
}
/** What sync reads and writes besides the ledger (store/sql/sync-stage.ts). */
export interface SyncTx {
  run(): Promise<SyncRun | undefined>;
  /** Take the run: insert it when `expectedLease` is null, else only if its lease is still that (compare-and-set). */
  claimRun(run: SyncRun, expectedLease: string | null): Promise<boolean>;
  renewRun(host: string, pid: number, until: string): Promise<void>;
  /** Finish (discard: the stage and the run go) or let go (the stage stays for the next sync to resume). */
  endRun(host: string, pid: number, discard: boolean): Promise<void>;
  discardStage(): Promise<void>;
  stage(items: readonly StagedItem[]): Promise<void>;
  staged(kind: StageKind, keys: readonly string[]): Promise<Map<string, StagedItem>>;
  /** Staged items of a kind in key order, after `after` (keyset pages). */
  stagedAfter(kind: StageKind, after: string, size: number): Promise<StagedItem[]>;
  stagedCount(kind: StageKind): Promise<number>;
  /** What the ledger last read of these relationships' access assignments, by relationship id. */
  relationshipReads(ids: readonly string[]): Promise<Map<string, { assignmentsEtag: string | null; assignmentsReadAt: string | null; unsettled: boolean }>>;
  markAssignmentsRead(reads: readonly { id: string; etag: string | null; at: string }[]): Promise<void>;
  /** The clients with these tenant ids (lower case), their DAP and when Partner Center was last read for them. */
  clientReads(tenantIds: readonly string[]): Promise<Map<string, { domain: string; name: string; dapActive: boolean; dapReadAt: string | null }>>;
  markDapRead(domains: readonly string[], at: string): Promise<void>;
  /** The relationship of this display name (any case), if any. */
  relationshipByName(name: string): Promise<Relationship | undefined>;
  /** Relationships in id order after `after` (their keys and states only): what sync compares with Microsoft's list. */
  relationshipPage(after: string, size: number): Promise<{ id: string; displayName: string; status: string; msStatus: string | null; clientDomain: string | null }[]>;
  /** Audit entries (allowed, other than `sync`'s own) after `seq`: their sequence numbers and targets (lower case). */
  auditTargetsSince(seq: number): Promise<{ seq: number; target: string }[]>;
}

/** What one transaction can read and write. */
export interface Tx {
  /** Sync's stage and read marks. */
  readonly sync: SyncTx;
  /** Eligibility for groups' membership and its activation (PIM for Groups). */
  readonly pim: PimTx;
  /** The reads behind `access show` and `access why`. */
  readonly access: AccessTx;
  getPartner(): Promise<Partner | undefined>;
  insertPartner(p: Partner): Promise<void>;
  updatePartner(p: Partner): Promise<void>;

  getUser(email: string): Promise<PartnerUser | undefined>;
  /** The users among `emails` that exist, keyed by lower-case email (without createdAt: bulk work does not need it). */
  getUsers(emails: readonly string[]): Promise<Map<string, Omit<PartnerUser, 'createdAt'>>>;
  listUsers(filter: UserFilter): Promise<PartnerUser[]>;
  /** The same users, in chunks, without holding them all (for large lists). */
  userChunks(filter: UserFilter, size: number): AsyncIterable<PartnerUser[]>;
  firstGlobalAdmin(): Promise<PartnerUser | undefined>;
  /** The user whose database login this is (team stores), if any. */
  userByLogin(login: string): Promise<PartnerUser | undefined>;
  /** Map a user to a database login (null: none); a login maps to one user at most. */
  setDbLogin(email: string, login: string | null): Promise<void>;
  countGlobalAdmins(): Promise<number>;
  insertUsers(users: readonly PartnerUser[]): Promise<void>;
  setAdminAccess(changes: readonly { email: string; adminAccess: AdminAccess }[]): Promise<void>;
  deleteUser(email: string): Promise<void>;

  /** Offers whose id equals `id` or starts with it (for copy-friendly prefixes). */
  findOffers(idOrPrefix: string): Promise<OfferRecord[]>;
  listOffers(opts: { all: boolean }): Promise<OfferRecord[]>;
  /** The same offers in pages of `size`, each with its granular relationship: one query a page, none per offer. */
  offerChunks(opts: { all: boolean }, size: number): AsyncIterable<OfferWithRelationship[]>;
  /**
   * offerChunks for printing a whole list as plain output: an offer may come, instead of its record,
   * as the exact line the default (piped) offer list prints for it, with its newline, made in the
   * page's query (docs/performance.md); one query a page, and one more for a page's records when
   * it has any. A record is always a correct answer. The text must be what render.ts would print
   * (tested: test/store/paged-reads.test.ts).
   */
  offerLines(opts: { all: boolean }, size: number, spec: OfferLineSpec): AsyncIterable<(string | OfferWithRelationship)[]>;
  /** The newest active non-granular offer; with 'plain', the newest active offer with neither trial nor purchase. */
  latestActiveOffer(kind?: 'plain'): Promise<OfferRecord | undefined>;
  /** The offer carrying the Partner Center link of this kind and id: the newest active one, else the newest. */
  offerByLink(kind: 'trial' | 'purchase', linkId: string): Promise<OfferRecord | undefined>;
  insertOffer(o: OfferRecord): Promise<void>;
  setOfferStatus(id: string, status: OfferStatus, at: string | null): Promise<void>;

  getClient(domain: string): Promise<ClientRecord | undefined>;
  /** The clients among `domains` that exist, keyed by domain: getClient for a chunk of a bulk file at once. */
  getClients(domains: readonly string[]): Promise<Map<string, ClientRecord>>;
  /** The client with this Microsoft tenant id (any case), if one is recorded. */
  clientByTenant(tenantId: string): Promise<ClientRecord | undefined>;
  listClients(filter: ClientFilter): Promise<ClientRecord[]>;
  /** The same clients, in chunks, without holding them all (for large lists). */
  clientChunks(filter: ClientFilter, size: number): AsyncIterable<ClientRecord[]>;
  /**
   * clientChunks for printing a whole list: consecutive clients may come, instead of their records,
   * as the exact text the default client list prints for them in `form` (CSV records, each with its
   * newline; JSON array elements as JSON.stringify(list, null, 2) indents them, joined with ",\n",
   * without a separator before the first or after the last), made in the store's query where that
   * is much cheaper than reading the records (docs/performance.md). A record is always a correct
   * answer: a backend that never prints stays correct. The text must be what render.ts would print
   * (tested: test/store/paged-reads.test.ts).
   */
  clientLines(filter: ClientFilter, size: number, form: ClientLineForm): AsyncIterable<(string | ClientRecord)[]>;
  /** Clients with an active relationship (DAP, or granular not yet past its end) as of `now` (ISO time). */
  countActiveClients(now: string): Promise<number>;
  /**
   * Insert or update the client and its DAP relationship. Its granular relationships are
   * written with insertRelationship/updateRelationship; history stays in acceptances.
   */
  upsertClient(c: ClientRecord): Promise<void>;
  /** upsertClient for many clients (a chunk of a bulk file), in a few statements rather than one a client. */
  upsertClients(cs: readonly ClientRecord[]): Promise<void>;
  recordAcceptance(a: Acceptance): Promise<void>;
  /** recordAcceptance for many, in order, in a few statements. */
  recordAcceptances(as: readonly Acceptance[]): Promise<void>;

  getClientUser(clientDomain: string, upn: string): Promise<ClientUser | undefined>;
  listClientUsers(clientDomain: string): Promise<ClientUser[]>;
  insertClientUsers(users: readonly ClientUser[]): Promise<void>;
  setPasswordReset(clientDomain: string, upn: string, at: string): Promise<void>;
  /** Remove a client user; false when there was none. */
  deleteClientUser(clientDomain: string, upn: string): Promise<boolean>;
  listClientDomains(clientDomain: string): Promise<ClientDomain[]>;
  /** Which clients hold a domain of this name. */
  domainOwners(name: string): Promise<string[]>;
  /** The names among `names` that some client holds as a domain (domainOwners for a chunk at once). */
  takenDomainNames(names: readonly string[]): Promise<Set<string>>;
  /** Insert domains (one already recorded for its client is left as it is), in a few statements. */
  insertClientDomains(domains: readonly ClientDomain[]): Promise<void>;
  setDomainVerified(clientDomain: string, name: string): Promise<void>;
  /** Remove a client's domain; false when there was none. */
  deleteClientDomain(clientDomain: string, name: string): Promise<boolean>;
  /** Whether any partner user's email is on this domain (the partner's own domains). */
  partnerUsesDomain(name: string): Promise<boolean>;

  insertNotification(n: Omit<Notification, 'id'>): Promise<number>;
  /** insertNotification for many, numbered in order, in a few statements. */
  insertNotifications(ns: readonly Omit<Notification, 'id'>[]): Promise<void>;
  /**
   * With `reader` (a team store), read state is that partner user's own: readAt is when they read it.
   * Without, read state is the ledger's (a solo store).
   */
  listNotifications(opts: { unreadOnly: boolean; reader?: string }): Promise<Notification[]>;
  /** The same notifications in pages of `size`, oldest first, without holding them all. */
  notificationChunks(opts: { unreadOnly: boolean; reader?: string }, size: number): AsyncIterable<Notification[]>;
  getNotification(id: number, reader?: string): Promise<Notification | undefined>;
  markNotificationsRead(ids: 'all' | number[], at: string, reader?: string): Promise<number>;

  lastAudit(): Promise<AuditEntry | undefined>;
  insertAudit(e: AuditEntry): Promise<void>;
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
  /** The same entries in pages of `size`, in order, without holding them all. */
  auditChunks(filter: AuditFilter, size: number): AsyncIterable<AuditEntry[]>;
  /** Walk the whole audit log in order, without holding it in memory. */
  eachAudit(fn: (e: AuditEntry) => boolean | void): Promise<void>;

  insertRelationship(r: Relationship): Promise<void>;
  updateRelationship(r: Relationship): Promise<void>;
  getRelationship(id: string): Promise<Relationship | undefined>;
  relationshipByOffer(offerId: string): Promise<Relationship | undefined>;
  relationshipNameTaken(displayName: string): Promise<boolean>;
  /** Every granular relationship, offers not yet accepted included. */
  listRelationships(): Promise<Relationship[]>;
  /**
   * Rewrite a relationship as Microsoft knows it: every field, the id included (a draft id made
   * offline becomes Microsoft's; its access assignments follow).
   */
  replaceRelationship(oldId: string, r: Relationship): Promise<void>;

  insertTemplate(t: Template): Promise<void>;
  getTemplate(name: string): Promise<Template | undefined>;
  listTemplates(): Promise<Template[]>;
  deleteTemplate(name: string): Promise<boolean>;

  insertGroup(g: Omit<Group, 'members'>): Promise<void>;
  /** Record a group's object id in the partner's tenant; false when there is no such group. */
  setGroupObjectId(name: string, objectId: string): Promise<boolean>;
  getGroup(name: string): Promise<Group | undefined>;
  listGroups(): Promise<Group[]>;
  addGroupMembers(group: string, emails: readonly string[]): Promise<number>;
  /** Take users out of a group; how many were members. */
  removeGroupMembers(group: string, emails: readonly string[]): Promise<number>;
  /** Delete a group, its memberships and its access assignments (the caller checks none is on an active relationship). */
  deleteGroup(name: string): Promise<boolean>;
  /** Names of the groups the user belongs to. */
  groupsOf(email: string): Promise<string[]>;

  upsertAssignment(a: AccessAssignment): Promise<void>;
  listAssignments(relationshipId: string): Promise<AccessAssignment[]>;
  /** Every access assignment of one group, on any relationship. */
  assignmentsOfGroup(group: string): Promise<AccessAssignment[]>;
  deleteAssignment(relationshipId: string, group: string): Promise<boolean>;

  /** Every row of a table, in key order, page by page (db copy). */
  exportRows(table: LedgerTable): AsyncIterable<LedgerRow[]>;
  /** Insert rows as exportRows gives them (db copy, into an empty store). */
  importRows(table: LedgerTable, rows: readonly LedgerRow[]): Promise<void>;
  /** Whether the ledger holds nothing at all (no partner, no audit entry, no row anywhere). */
  isEmpty(): Promise<boolean>;

  /**
   * Team stores only: give a database login what delegate needs and no more, in this transaction;
   * returns what was granted, in words. Undefined on a solo store (its file is its trust boundary).
   */
  grantLogin?(login: string): Promise<string[]>;

  /** Undo everything this transaction wrote so far, keeping it open (for audited refusals). */
  rollbackWrites(): Promise<void>;

  // ------------------------------------------------ intents (live mode, exactly once: plan/intent.ts)
  // Outside the audit chain and db copy: an intent is open until its effect is recorded (then it goes).

  /**
   * Commit intents before their requests are sent. A key another open intent reserves is not
   * inserted: the keys refused are returned (nothing of this call is written then).
   */
  openIntents(intents: readonly Intent[]): Promise<string[]>;
  /**
   * Keep the answers that came (redacted JSON text), each with its intent, until they are recorded.
   * An answer ends the wait: the intent's deadline becomes `at` when that is earlier.
   */
  answerIntents(answers: readonly { id: string; status: number; body: string | null; at: string }[]): Promise<void>;
  /** The change is known applied; a step a person must take remains (a password nobody saw). */
  markPasswordPending(ids: readonly string[]): Promise<void>;
  /** Close (remove) intents: their effect is recorded, or Microsoft refused them, or they were not applied. */
  closeIntents(ids: readonly string[]): Promise<void>;
  /** Open intents, oldest first; only those of these scopes, or these ids, when given. */
  listIntents(filter?: { scopes?: readonly string[]; ids?: readonly string[] }): Promise<Intent[]>;
  /** Whether any intent is open (on these scopes, when given), apart from those waiting only for a person to reset a password. */
  hasOpenIntents(scopes?: readonly string[]): Promise<boolean>;
  /**
   * Take an intent over for recovery: its owner and lease become these, only if its lease is still
   * `expectedLease` (so two recoveries never both take one). True when taken.
   */
  claimIntent(id: string, expectedLease: string, owner: Intent['owner']): Promise<boolean>;
  /** The running command's lease on these, its own open intents, runs until `until`. */
  renewLeases(ids: readonly string[], until: string): Promise<void>;
  /** End the lease of these intents (their command stopped working on them): recovery may take them now. */
  releaseIntents(ids: readonly string[]): Promise<void>;
}

export interface WriteOptions {
  /**
   * Asked before `fn` is run again after its transaction was rolled back (a deadlock or a
   * serialization failure): undo what the attempt did outside the transaction (results handed
   * out, counts kept) and return true; or return false when it cannot be done again (it read a
   * stream of rows that cannot be read twice), and the write fails with the store's error,
   * nothing written. Without it, `fn` is run again as it is.
   */
  rerun?: () => boolean;
}

export interface Store {
  /** What to call the store in messages (a PostgreSQL URL without its password). */
  readonly path: string;
  /**
   * On a team store (PostgreSQL), the database login this connection acts as (session_user):
   * the acting partner user is the one mapped to it, never a declared one. Undefined on a solo store.
   */
  readonly login?: string;
  /** Set when opening brought a team store's schema up to date (db migrate reports it). */
  readonly migrated?: { from: number; to: number };
  /** Read-only unit of work (a consistent snapshot). */
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * One write transaction: committed when `fn` resolves, rolled back when it throws. A team store
   * runs `fn` again, a bounded number of times, when the transaction lost a deadlock or hit a
   * serialization failure (nothing of it was committed); see WriteOptions.rerun.
   */
  write<T>(fn: (tx: Tx) => Promise<T>, opts?: WriteOptions): Promise<T>;
  close(): Promise<void>;
}
