/** How each record looks: default columns for table/plain/csv, and its JSON shape. */
import type { AccessChange } from '../domain/users.js';
import { canCreateOffers, type ClientRecord, type Notification, type Partner, type PartnerUser } from '../domain/model.js';
import type { Offer } from '../domain/offers.js';
import type { Column, View } from './render.js';
import { clientStatus, granularClientJson, relationshipState } from '../domain/granular.js';
import { roleName } from '../domain/roles.js';

export const userJson = (u: Pick<PartnerUser, 'email' | 'name' | 'orgRole' | 'adminAccess'>) => ({
  email: u.email,
  name: u.name,
  orgRole: u.orgRole,
  adminAccess: u.adminAccess,
  canCreateOffers: canCreateOffers(u),
});

export const userView: View<PartnerUser> = {
  columns: [
    { header: 'email', value: (u) => u.email },
    { header: 'name', value: (u) => u.name },
    { header: 'orgRole', value: (u) => u.orgRole },
    { header: 'adminAccess', value: (u) => u.adminAccess },
    { header: 'canCreateOffers', value: (u) => canCreateOffers(u) },
  ],
  json: userJson,
};

export const accessChangeView: View<AccessChange> = {
  columns: [
    { header: 'email', value: (c) => c.email },
    { header: 'name', value: (c) => c.name },
    { header: 'from', value: (c) => c.from },
    { header: 'to', value: (c) => c.to },
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
  if (!b) return 'delegated admin';
  const what = [o.purchase?.product ?? o.trial?.product, o.purchase?.quantity === undefined ? undefined : `x${o.purchase.quantity}`].filter(Boolean).join(' ');
  return `${o.trial ? 'trial' : 'purchase'}${what ? `: ${what}` : ''}${b.url === null ? ' (link dropped: made up by an older delegate)' : ''}`;
}

export const offerView: View<Offer> = {
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

export const clientJson = (c: ClientRecord, now: Date) => ({
  domain: c.domain,
  name: c.name,
  tenantId: c.tenantId,
  status: clientStatus(c, now),
  offerId: c.offerId,
  acceptedAt: c.acceptedAt,
  removedAt: c.removedAt,
  ...(c.relationship ? { granular: granularClientJson(c.relationship, now) } : {}),
});

/** Clients, as of `now` (a granular client's status and end move with the clock). */
export function clientView(now: Date, opts: { expiry?: boolean; granular?: boolean } = {}): View<ClientRecord> {
  const base: Column<ClientRecord>[] = [
    { header: 'domain', value: (c) => c.domain },
    { header: 'name', value: (c) => c.name },
    { header: 'tenantId', value: (c) => c.tenantId },
    { header: 'status', value: (c) => clientStatus(c, now) },
    { header: 'offerId', value: (c) => c.offerId },
    { header: 'acceptedAt', value: (c) => c.acceptedAt },
    { header: 'removedAt', value: (c) => c.removedAt },
  ];
  const expiry: Column<ClientRecord>[] = [
    { header: 'relationship', value: (c) => c.relationship?.displayName ?? '' },
    { header: 'endsAt', value: (c) => (c.relationship ? relationshipState(c.relationship, now).endsAt : '') },
    { header: 'autoExtend', value: (c) => (c.relationship ? (c.relationship.autoExtendDuration === 'P180D' ? 'auto-extends' : 'no') : '') },
  ];
  const granular: Column<ClientRecord>[] = [
    expiry[0]!,
    { header: 'relationshipId', value: (c) => c.relationship?.id ?? '' },
    { header: 'roles', value: (c) => (c.relationship ? c.relationship.roles.map(roleName).join(', ') : '') },
    expiry[1]!,
    expiry[2]!,
  ];
  const columns = opts.expiry ? [base[0]!, base[1]!, base[3]!, ...expiry] : opts.granular ? [...base, ...granular] : base;
  return { columns, json: (c) => clientJson(c, now) };
}

export const notificationView: View<Notification> = {
  columns: [
    { header: 'id', value: (n) => n.id },
    { header: 'at', value: (n) => n.at },
    { header: 'read', value: (n) => n.readAt !== null },
    { header: 'message', value: (n) => n.message },
  ],
  json: (n) => ({ id: n.id, at: n.at, kind: n.kind, clientDomain: n.clientDomain, offerId: n.offerId, message: n.message, read: n.readAt !== null, readAt: n.readAt }),
};
