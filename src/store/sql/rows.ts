/**
 * Rows to records, once for both backends. The drivers differ in two ways, each read by one helper:
 * booleans (SQLite's 0/1, PostgreSQL's true/false: flag) and integers (SQLite's numbers; PostgreSQL's
 * bigint, which pg hands over as text unless told otherwise: int). Text comes back as written on
 * both (times feed the audit hash), JSON columns (roles, assignments) as text.
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
import type { OfferWithRelationship } from '../../domain/core/store.js';

/** A row as an object, column name to value. */
export type Row = Record<string, unknown>;

/** A boolean column as either driver gives it (0/1 or true/false). */
export const flag = (v: unknown): boolean => v === true || v === 1;
/** An integer or bigint column as either driver gives it (a number, or bigint's text). */
export const int = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
/** The same, NULL kept. */
export const intOrNull = (v: unknown): number | null => (v == null ? null : int(v));
const text = (v: unknown): string | null => (v as string | null) ?? null;

export const toPartner = (r: Row): Partner => ({
  name: r.name as string,
  tenantId: r.tenant_id as string,
  cloud: r.cloud as Partner['cloud'],
  certified: flag(r.certified),
  mpnId: intOrNull(r.mpn_id),
  createdAt: r.created_at as string,
  adminAgentsGroupId: text(r.admin_agents_group_id),
  helpdeskAgentsGroupId: text(r.helpdesk_agents_group_id),
});

export const toUser = (r: Row): PartnerUser => ({
  email: r.email as string,
  name: r.name as string,
  orgRole: r.org_role as PartnerUser['orgRole'],
  adminAccess: r.admin_access as AdminAccess,
  createdAt: r.created_at as string,
  dbLogin: text(r.db_login),
});

/** The columns USER_COLS reads, as an array row. */
export const USER_COLS = 'email, name, org_role, admin_access, created_at, db_login';
export const userOf = (r: readonly unknown[]): PartnerUser => ({
  email: r[0] as string,
  name: r[1] as string,
  orgRole: r[2] as PartnerUser['orgRole'],
  adminAccess: r[3] as AdminAccess,
  createdAt: r[4] as string,
  dbLogin: text(r[5]),
});

export const toOffer = (r: Row): OfferRecord => ({
  id: r.id as string,
  kind: r.kind as OfferRecord['kind'],
  product: text(r.product),
  quantity: intOrNull(r.quantity),
  link: text(r.link),
  linkId: text(r.link_id),
  status: offerStatus(r.status, r.origin),
  createdAt: r.created_at as string,
  createdBy: r.created_by as string,
  revokedAt: text(r.revoked_at),
  acceptedCount: r.accepted_count == null ? 0 : int(r.accepted_count),
  // Only a sync-made record says so (absent = delegate's), as the records delegate writes are.
  ...(r.origin === 'sync' ? { origin: 'sync' as const } : {}),
});

/** An imported offer (origin sync) is stored active and read as `imported`. */
export function offerStatus(status: unknown, origin: unknown): OfferStatus {
  return origin === 'sync' && status === 'active' ? 'imported' : (status as OfferStatus);
}

/** Offers delegate may offer, use or list without --all: active and not imported. */
export const OFFERED = "o.status = 'active' AND o.origin = 'delegate'";

export const toRelationship = (r: Row): Relationship => ({
  id: r.id as string,
  offerId: r.offer_id as string,
  displayName: r.display_name as string,
  duration: r.duration as string,
  autoExtendDuration: r.auto_extend as Relationship['autoExtendDuration'],
  roles: JSON.parse(r.roles as string) as string[],
  status: r.status as Relationship['status'],
  createdAt: r.created_at as string,
  activatedAt: text(r.activated_at),
  endsAt: text(r.ends_at),
  terminatedAt: text(r.terminated_at),
  clientDomain: text(r.client_domain),
  template: text(r.template),
  // Only when Microsoft has said something: an offline relationship reads back as it was written.
  ...(r.ms_status != null ? { msStatus: r.ms_status as string } : {}),
  ...(r.etag != null ? { etag: r.etag as string } : {}),
});

/** A client's granular relationships, oldest first (ORDER BY terms after the client's own). */
export const GDAP_ORDER = 'activated_at NULLS FIRST, created_at, id';

/** Relationships by client, each list oldest first, from rows ordered by client then GDAP_ORDER. */
export function byClient(rows: readonly Row[]): Map<string, Relationship[]> {
  const rels = new Map<string, Relationship[]>();
  for (const r of rows) {
    const rel = toRelationship(r);
    const list = rels.get(rel.clientDomain!);
    if (list) list.push(rel);
    else rels.set(rel.clientDomain!, [rel]);
  }
  return rels;
}

export const toAssignment = (r: Row): AccessAssignment => ({
  relationshipId: r.relationship_id as string,
  group: r.group_name as string,
  roles: JSON.parse(r.roles as string) as string[],
  createdAt: r.created_at as string,
  microsoftId: text(r.microsoft_id),
  status: text(r.status),
});

/** A client's columns, in the order toClient reads an array row. */
export const CLIENT_COLS = 'c.domain, c.name, c.tenant_id, c.offer_id, c.accepted_at, c.dap_offer_id, c.dap_accepted_at, c.dap_removed_at';
/** A client row (an array, in CLIENT_COLS order) with its granular relationships. */
export const toClient = (r: readonly unknown[], gdap: Relationship[]): ClientRecord => ({
  domain: r[0] as string,
  name: r[1] as string,
  tenantId: text(r[2]),
  offerId: r[3] as string,
  acceptedAt: r[4] as string,
  dap: r[5] == null ? null : { offerId: r[5] as string, acceptedAt: r[6] as string, removedAt: text(r[7]) },
  gdap,
});

export const toTemplate = (r: Row): Template => ({
  name: r.name as string,
  roles: JSON.parse(r.roles as string) as string[],
  duration: r.duration as string,
  autoExtendDuration: r.auto_extend as Template['autoExtendDuration'],
  assignments: JSON.parse(r.assignments as string) as Template['assignments'],
  createdAt: r.created_at as string,
  createdBy: r.created_by as string,
});

export const toGroup = (r: Row, members: string[]): Group => ({
  name: r.name as string,
  objectId: text(r.object_id),
  createdAt: r.created_at as string,
  members,
});

export const toNotification = (r: Row): Notification => ({
  id: int(r.id),
  at: r.at as string,
  kind: r.kind as string,
  clientDomain: text(r.client_domain),
  offerId: text(r.offer_id),
  message: r.message as string,
  readAt: text(r.read_at),
});

export const toAudit = (r: Row): AuditEntry => ({
  seq: int(r.seq),
  at: r.at as string,
  actor: r.actor as string,
  action: r.action as string,
  target: r.target as string,
  outcome: r.outcome as AuditEntry['outcome'],
  detail: r.detail as string,
  hash: r.hash as string,
});

/** The audit columns, in the order auditOf reads an array row. */
export const AUDIT_COLS = 'seq, at, actor, action, target, outcome, detail, hash';
export const auditOf = (r: readonly unknown[]): AuditEntry => ({
  seq: int(r[0]),
  at: r[1] as string,
  actor: r[2] as string,
  action: r[3] as string,
  target: r[4] as string,
  outcome: r[5] as AuditEntry['outcome'],
  detail: r[6] as string,
  hash: r[7] as string,
});

export const toClientUser = (r: Row): ClientUser => ({
  clientDomain: r.client_domain as string,
  upn: r.upn as string,
  name: r.name as string,
  isAdmin: flag(r.is_admin),
  passwordResetAt: text(r.password_reset_at),
  forceChangePasswordNextSignIn: flag(r.force_change),
  createdAt: r.created_at as string,
});

export const toClientDomain = (r: Row): ClientDomain => ({
  clientDomain: r.client_domain as string,
  name: r.name as string,
  isInitial: flag(r.is_initial),
  verified: flag(r.verified),
  addedAt: r.added_at as string,
});

/** Offers with their acceptance count. */
export const OFFER_SELECT = 'SELECT o.*, (SELECT count(*) FROM acceptances a WHERE a.offer_id = o.id) AS accepted_count FROM offers o';

/**
 * Offers with the granular relationship each carries (one query for a page of offers), read as
 * arrays: the offer's columns (seq first, the page's key), its acceptance count, then the
 * relationship's columns (NULL for other offers).
 */
export const OFFER_WITH_RELATIONSHIP = `SELECT o.seq, o.id, o.kind, o.product, o.quantity, o.link, o.link_id, o.status, o.created_at, o.created_by, o.revoked_at,
  (SELECT count(*) FROM acceptances a WHERE a.offer_id = o.id),
  r.id, r.offer_id, r.display_name, r.duration, r.auto_extend, r.roles, r.status, r.created_at, r.activated_at, r.ends_at, r.terminated_at, r.client_domain, r.template, r.ms_status, r.etag, o.origin
  FROM offers o LEFT JOIN relationships r ON o.kind = 'granular' AND r.offer_id = o.id`;

/** A row of OFFER_WITH_RELATIONSHIP. */
export function offerWithRelationship(r: readonly unknown[]): OfferWithRelationship {
  const offer: OfferRecord = {
    id: r[1] as string,
    kind: r[2] as OfferRecord['kind'],
    product: text(r[3]),
    quantity: intOrNull(r[4]),
    link: text(r[5]),
    linkId: text(r[6]),
    status: offerStatus(r[7], r[27]),
    createdAt: r[8] as string,
    createdBy: r[9] as string,
    revokedAt: text(r[10]),
    acceptedCount: r[11] == null ? 0 : int(r[11]),
    ...(r[27] === 'sync' ? { origin: 'sync' as const } : {}),
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
    activatedAt: text(r[20]),
    endsAt: text(r[21]),
    terminatedAt: text(r[22]),
    clientDomain: text(r[23]),
    template: text(r[24]),
    // Only when Microsoft has said something, as toRelationship reads it.
    ...(r[25] != null ? { msStatus: r[25] as string } : {}),
    ...(r[26] != null ? { etag: r[26] as string } : {}),
  };
  return { offer, relationship };
}
