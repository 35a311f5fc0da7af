/** How each record looks: default columns for table/plain/csv, and its JSON shape. */
import type { AccessChange } from '../domain/partner/users.js';
import { canCreateOffers, type ClientRecord, type Notification, type Partner, type PartnerUser } from '../domain/core/model.js';
import type { Offer } from '../domain/offer/offers.js';
import type { Column, View } from './render.js';
import { granularClientJson } from '../domain/offer/granular-views.js';
import { allRelationships, type AnyRelationship, clientSummary, dapStatus, expiringGdap, featuredGdap, relationshipState } from '../domain/relationship/relationships.js';
import { roleName } from '../domain/relationship/roles.js';

export const userJson = (u: Pick<PartnerUser, 'email' | 'name' | 'orgRole' | 'adminAccess'>) => ({
  email: u.email,
  name: u.name,
  orgRole: u.orgRole,
  adminAccess: u.adminAccess,
  canCreateOffers: canCreateOffers(u),
});

export const userView: View<PartnerUser> = {
  fields: ['email', 'name', 'orgRole', 'adminAccess', 'canCreateOffers'],
  table: { key: ['email'], drop: ['canCreateOffers', 'orgRole'] },
  empty: 'No users.',
  columns: [
    { header: 'email', value: (u) => u.email },
    { header: 'name', value: (u) => u.name },
    { header: 'orgRole', value: (u) => u.orgRole },
    { header: 'adminAccess', value: (u) => u.adminAccess },
    { header: 'canCreateOffers', value: (u) => canCreateOffers(u) },
  ],
  json: userJson,
};

/** A user on a team store: the database login that acts as them, too (SPEC.md JSON shapes). */
export const teamUserView: View<PartnerUser> = {
  fields: [...userView.fields!, 'dbLogin'],
  table: { key: ['email'], drop: ['canCreateOffers', 'orgRole', 'dbLogin'] },
  empty: 'No users.',
  columns: [...userView.columns, { header: 'dbLogin', value: (u) => u.dbLogin ?? '' }],
  json: (u) => ({ ...userJson(u), dbLogin: u.dbLogin ?? null }),
};

/** The user view for this store: with dbLogin on a team store. */
export const userViewFor = (store: { login?: string }): View<PartnerUser> => (store.login !== undefined ? teamUserView : userView);

export const accessChangeView: View<AccessChange> = {
  table: { key: ['email'], drop: ['changed', 'name'] },
  columns: [
    { header: 'email', value: (c) => c.email },
    { header: 'name', value: (c) => c.name },
    { header: 'previousAdminAccess', value: (c) => c.from },
    { header: 'adminAccess', value: (c) => c.to },
    { header: 'changed', value: (c) => c.changed },
  ],
  json: (c) => ({ ...userJson({ email: c.email, name: c.name, orgRole: c.orgRole, adminAccess: c.to }), previousAdminAccess: c.from, changed: c.changed }),
};

export const partnerView: View<Partner> = {
  columns: [
    { header: 'name', value: (p) => p.name },
    { header: 'tenantId', value: (p) => p.tenantId },
    { header: 'cloud', value: (p) => p.cloud },
    { header: 'certified', value: (p) => p.certified },
    { header: 'mpnId', value: (p) => p.mpnId },
    { header: 'adminAgentsGroupId', value: (p) => p.adminAgentsGroupId ?? null },
    { header: 'helpdeskAgentsGroupId', value: (p) => p.helpdeskAgentsGroupId ?? null },
    { header: 'createdAt', value: (p) => p.createdAt },
  ],
  json: (p) => ({
    name: p.name,
    tenantId: p.tenantId,
    cloud: p.cloud,
    certified: p.certified,
    mpnId: p.mpnId,
    adminAgentsGroupId: p.adminAgentsGroupId ?? null,
    helpdeskAgentsGroupId: p.helpdeskAgentsGroupId ?? null,
    createdAt: p.createdAt,
  }),
};

/** What an offer bundles; a trial or purchase whose made-up link was dropped says so. */
function offerKind(o: Offer): string {
  if (o.granular) return `granular: ${o.granular.displayName} (${o.granular.status})`;
  const b = o.trial ?? o.purchase;
  if (!b) return o.origin === 'sync' ? 'delegated admin (imported by sync)' : 'delegated admin';
  const what = [o.purchase?.product ?? o.trial?.product, o.purchase?.quantity === undefined ? undefined : `x${o.purchase.quantity}`].filter(Boolean).join(' ');
  return `${o.trial ? 'trial' : 'purchase'}${what ? `: ${what}` : ''}${b.url === null ? ' (link dropped: made up by an older delegate)' : ''}`;
}

const GRANULAR_OFFER_FIELDS = ['relationshipId', 'displayName', 'duration', 'autoExtendDuration', 'roles', 'status', 'activatedAt', 'endsAt'];

export const offerView: View<Offer> = {
  fields: [
    ...['id', 'url', 'text', 'status', 'origin', 'createdAt', 'createdBy', 'acceptedCount'],
    ...['trial', 'trial.product', 'trial.url', 'purchase', 'purchase.product', 'purchase.quantity', 'purchase.url'],
    ...['granular', ...GRANULAR_OFFER_FIELDS.map((f) => `granular.${f}`)],
  ],
  // The link is printed whole by `offer link`; a table at 80 columns keeps the id, status and kind.
  table: { key: ['id'], drop: ['url', 'createdBy', 'createdAt', 'acceptedCount'], min: { kind: 16 } },
  empty: 'No active offers (--all lists revoked ones too).',
  columns: [
    { header: 'id', value: (o) => o.id },
    { header: 'status', value: (o) => o.status },
    { header: 'kind', value: offerKind },
    { header: 'acceptedCount', value: (o) => o.acceptedCount },
    { header: 'createdAt', value: (o) => o.createdAt },
    { header: 'createdBy', value: (o) => o.createdBy },
    { header: 'url', value: (o) => o.url },
  ],
  json: (o) => o,
};

/** One relationship of a client, as JSON: `{kind: "dap"|"granular", status, ...}`. */
export function relationshipJson(r: AnyRelationship, now: Date) {
  if (r.kind === 'dap') return { kind: 'dap' as const, status: dapStatus(r.dap), offerId: r.dap.offerId, acceptedAt: r.dap.acceptedAt, removedAt: r.dap.removedAt };
  const { status, ...g } = granularClientJson(r.rel, now);
  return { kind: 'granular' as const, status, offerId: r.rel.offerId, ...g, terminatedAt: r.rel.terminatedAt };
}

/**
 * A client as scripts see it. `status` and `removedAt` are derived from its relationships (see
 * relationships.ts); `offerId`/`acceptedAt` are its latest acceptance; `relationships` lists every
 * one, DAP and granular, in the order accepted; `granular` is the newest active granular one, else
 * the newest one, when it has any.
 */
export const clientJson = (c: ClientRecord, now: Date) => {
  const { status, removedAt } = clientSummary(c, now);
  const featured = featuredGdap(c, now);
  return {
    domain: c.domain,
    name: c.name,
    tenantId: c.tenantId,
    status,
    offerId: c.offerId,
    acceptedAt: c.acceptedAt,
    removedAt,
    relationships: allRelationships(c).map((r) => relationshipJson(r, now)),
    ...(featured ? { granular: granularClientJson(featured, now) } : {}),
  };
};

/** What `client list --fields` accepts (the keys of clientJson). */
export const CLIENT_FIELDS = [
  ...['domain', 'name', 'tenantId', 'status', 'offerId', 'acceptedAt', 'removedAt', 'relationships'],
  ...['granular', ...['relationshipId', 'displayName', 'roles', 'status', 'activatedAt', 'endsAt', 'autoExtendDuration'].map((f) => `granular.${f}`)],
];

/** A client table at a narrow terminal: the domain whole; the tenant id, offer and times left out first. */
const CLIENT_TABLE = { key: ['domain'], drop: ['tenantId', 'offerId', 'removedAt', 'acceptedAt'], min: { name: 12 } };

/** Clients, as of `now` (a granular relationship's status and end move with the clock). */
export function clientView(now: Date, opts: { expiry?: { days: number } } = {}): View<ClientRecord> {
  const base: Column<ClientRecord>[] = [
    { header: 'domain', value: (c) => c.domain },
    { header: 'name', value: (c) => c.name },
    { header: 'tenantId', value: (c) => c.tenantId },
    { header: 'status', value: (c) => clientSummary(c, now).status },
    { header: 'offerId', value: (c) => c.offerId },
    { header: 'acceptedAt', value: (c) => c.acceptedAt },
    { header: 'removedAt', value: (c) => clientSummary(c, now).removedAt },
  ];
  if (!opts.expiry) return { columns: base, json: (c) => clientJson(c, now), fields: CLIENT_FIELDS, table: CLIENT_TABLE, empty: 'No clients.' };
  // --expiring: the relationship that ends first within the window, and how many more do.
  const days = opts.expiry.days;
  const first = (c: ClientRecord) => expiringGdap(c, now, days);
  const expiry: Column<ClientRecord>[] = [
    {
      header: 'relationship',
      value: (c) => {
        const list = first(c);
        return list.length ? `${list[0]!.rel.displayName}${list.length > 1 ? ` (+${list.length - 1} more)` : ''}` : '';
      },
    },
    { header: 'endsAt', value: (c) => first(c)[0]?.endsAt ?? '' },
    { header: 'autoExtend', value: (c) => (first(c)[0] ? (first(c)[0]!.rel.autoExtendDuration === 'P180D' ? 'auto-extends' : 'no') : '') },
  ];
  return {
    columns: [base[0]!, base[1]!, base[3]!, ...expiry],
    json: (c) => clientJson(c, now),
    fields: CLIENT_FIELDS,
    table: { key: ['domain'], drop: ['status', 'autoExtend'] },
    empty: `No client has a granular relationship ending within ${days} days.`,
  };
}

/** One line per relationship of a client: `client show` in table, plain and csv output. */
export interface ClientRelationshipRow {
  client: ClientRecord;
  rel: AnyRelationship;
}

export function clientRelationshipRows(c: ClientRecord): ClientRelationshipRow[] {
  return allRelationships(c).map((rel) => ({ client: c, rel }));
}

/** `client show`'s columns of the client itself. */
export function clientOwnColumns(now: Date): Column<ClientRecord>[] {
  return [
    { header: 'domain', value: (c) => c.domain },
    { header: 'name', value: (c) => c.name },
    { header: 'tenantId', value: (c) => c.tenantId },
    { header: 'status', value: (c) => clientSummary(c, now).status },
  ];
}

/** `client show`'s columns of one relationship. */
export function relationshipColumns(now: Date): Column<ClientRelationshipRow>[] {
  const g = (x: ClientRelationshipRow) => (x.rel.kind === 'granular' ? x.rel.rel : undefined);
  return [
    { header: 'kind', value: (x) => x.rel.kind },
    { header: 'relationship', value: (x) => g(x)?.displayName ?? 'delegated admin (DAP)' },
    { header: 'relationshipStatus', value: (x) => (x.rel.kind === 'dap' ? dapStatus(x.rel.dap) : relationshipState(x.rel.rel, now).status) },
    { header: 'offerId', value: (x) => (x.rel.kind === 'dap' ? x.rel.dap.offerId : x.rel.rel.offerId) },
    { header: 'acceptedAt', value: (x) => (x.rel.kind === 'dap' ? x.rel.dap.acceptedAt : x.rel.rel.activatedAt) },
    { header: 'endsAt', value: (x) => (x.rel.kind === 'dap' ? x.rel.dap.removedAt : relationshipState(x.rel.rel, now).endsAt) },
    { header: 'relationshipId', value: (x) => g(x)?.id ?? '' },
    { header: 'roles', value: (x) => (g(x) ? g(x)!.roles.map(roleName).join(', ') : '') },
    { header: 'autoExtend', value: (x) => (g(x) ? (g(x)!.autoExtendDuration === 'P180D' ? 'auto-extends' : 'no') : '') },
  ];
}

/** `client show` in plain and csv: the client's columns, then one relationship's (a line per relationship). */
export function clientShowView(now: Date): View<ClientRelationshipRow> {
  const own = clientOwnColumns(now).map((c): Column<ClientRelationshipRow> => ({ header: c.header, value: (x) => c.value(x.client) }));
  return { columns: [...own, ...relationshipColumns(now)], json: (x) => clientJson(x.client, now) };
}

export const notificationView: View<Notification> = {
  fields: ['id', 'at', 'kind', 'clientDomain', 'offerId', 'message', 'read', 'readAt'],
  table: { key: ['id'], drop: ['read'], min: { message: 24 } },
  columns: [
    { header: 'id', value: (n) => n.id },
    { header: 'at', value: (n) => n.at },
    { header: 'read', value: (n) => n.readAt !== null },
    { header: 'message', value: (n) => n.message },
  ],
  json: (n) => ({ id: n.id, at: n.at, kind: n.kind, clientDomain: n.clientDomain, offerId: n.offerId, message: n.message, read: n.readAt !== null, readAt: n.readAt }),
};
