/** The partner's ledger: the records the store keeps and the domain reasons about. */
export const CLOUDS = ['global', 'china'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const ADMIN_ACCESS = ['full', 'limited', 'none'] as const;
export type AdminAccess = (typeof ADMIN_ACCESS)[number];

export const ORG_ROLES = ['global-admin', 'user'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export interface Partner {
  name: string;
  tenantId: string;
  cloud: Cloud;
  certified: boolean;
  /** The integer Partner ID (formerly MPN ID) Partner Center puts in trial and purchase links as `msppid`; null until set. */
  mpnId: number | null;
  createdAt: string;
  /** Object id of the partner's `AdminAgents` group (full access = membership), when known. */
  adminAgentsGroupId?: string | null;
  /** Object id of the partner's `HelpdeskAgents` group (limited access = membership), when known. */
  helpdeskAgentsGroupId?: string | null;
}

export interface PartnerUser {
  email: string;
  name: string;
  orgRole: OrgRole;
  adminAccess: AdminAccess;
  createdAt: string;
  /** The database login that acts as this user on a team store (PostgreSQL); null or absent: none. */
  dbLogin?: string | null;
}

export type OfferKind = 'plain' | 'trial' | 'purchase' | 'granular';
/** `imported`: an offer record sync made for a DAP customer the ledger lacked (origin `sync`); never offered to anyone. */
export type OfferStatus = 'active' | 'revoked' | 'imported';

export interface OfferRecord {
  id: string;
  kind: OfferKind;
  product: string | null;
  quantity: number | null;
  /**
   * The trial invitation or purchase offer link Partner Center made, as passed
   * in; null for plain and granular offers, and for trial and purchase offers
   * made before links were taken from Partner Center (their made-up links were dropped).
   */
  link: string | null;
  /** Partner Center's offer id in `link`, lower-cased: what acceptances of that link are matched by. */
  linkId: string | null;
  status: OfferStatus;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  acceptedCount: number;
  /** Who made the record: delegate (an offer sent), or sync (a relationship found at Microsoft); absent = delegate. */
  origin?: 'delegate' | 'sync';
}

/**
 * Microsoft Graph's delegatedAdminRelationshipStatus, in lifecycle order, with Graph's meanings
 * (https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationship?view=graph-rest-1.0,
 * "delegatedAdminRelationshipStatus values"):
 * - created: the partner has created a new relationship; in this state it can be modified.
 * - approvalPending: the partner has finalized it with the `lockForApproval` request action.
 * - approved: the customer has approved it with the `approve` request action.
 * - activating: the system starts provisioning the relationship.
 * - active: the system completes the provisioning of the relationship.
 * - expiring: the relationship has passed its expiration date (Graph's word; not our `--expiring <days>` filter).
 * - expired: the system completes the deprovisioning of the relationship.
 * - terminationRequested: the partner or customer requested termination with the `terminate` request action.
 * - terminating: the system starts deprovisioning the relationship.
 * - terminated: the system has completed deprovisioning the relationship.
 * (Graph's evolvable-enum sentinel `unknownFutureValue` is not a status and is left out.)
 * Offline, the ledger moves through the ones its own commands can see: approvalPending, active,
 * expired (computed from endsAt) and terminated; the others are for live mode and `sync`.
 */
export const RELATIONSHIP_STATUSES = [
  'created',
  'approvalPending',
  'approved',
  'activating',
  'active',
  'expiring',
  'expired',
  'terminationRequested',
  'terminating',
  'terminated',
] as const;
export type RelationshipStatus = (typeof RELATIONSHIP_STATUSES)[number];
/** What the ledger stores offline; `expired` is computed from endsAt (see relationships.ts relationshipState). */
export type RelationshipStoredStatus = 'approvalPending' | 'active' | 'terminated';

/** The delegated admin (DAP) relationship's status: the seed's relationship is active until removed. */
export type DapStatus = 'active' | 'removed';

/**
 * A client's status: `active` while any of its relationships is active; otherwise `removed` when its
 * last relationship was the DAP one, else its newest granular relationship's Graph status.
 */
export const CLIENT_STATUSES = ['active', 'removed', ...RELATIONSHIP_STATUSES.filter((x) => x !== 'active')] as const;
export type ClientStatus = 'removed' | RelationshipStatus;

/** The seed's delegated administration (DAP) relationship: from the offer the client accepted until removed. */
export interface DapRelationship {
  offerId: string;
  acceptedAt: string;
  removedAt: string | null;
}

export interface ClientRecord {
  domain: string;
  name: string;
  tenantId: string | null;
  /** The offer of the client's latest acceptance (of any kind), and when. */
  offerId: string;
  acceptedAt: string;
  /** Its delegated admin (DAP) relationship, if it ever accepted one (the latest; earlier ones are in acceptances and audit). */
  dap: DapRelationship | null;
  /** Every granular relationship it approved, oldest first (history is kept). */
  gdap: Relationship[];
}

/** A granular delegated admin relationship (Graph's delegatedAdminRelationship). */
export interface Relationship {
  id: string;
  offerId: string;
  displayName: string;
  /** Canonical ISO-8601 duration, PnD. */
  duration: string;
  autoExtendDuration: 'PT0S' | 'P180D';
  /** Microsoft Entra role template ids. */
  roles: string[];
  status: RelationshipStoredStatus;
  createdAt: string;
  activatedAt: string | null;
  /** endsAt as stored; auto-extension past it is computed on read (see relationships.ts relationshipState). */
  endsAt: string | null;
  terminatedAt: string | null;
  clientDomain: string | null;
  template: string | null;
  /**
   * Graph's status as Microsoft last reported it (a live command's answer, or `sync`); null or
   * absent for a relationship Microsoft has not seen (an offline draft). `status` keeps the
   * ledger's three states; relationshipState shows this one where it says more.
   */
  msStatus?: string | null;
  /** The relationship's `@odata.etag` as Microsoft last returned it (If-Match for an update). */
  etag?: string | null;
}

export interface Template {
  name: string;
  roles: string[];
  duration: string;
  autoExtendDuration: 'PT0S' | 'P180D';
  assignments: { group: string; roles: string[] }[];
  createdAt: string;
  createdBy: string;
}

export interface Group {
  name: string;
  objectId: string | null;
  createdAt: string;
  members: string[];
}

export interface AccessAssignment {
  relationshipId: string;
  group: string;
  roles: string[];
  createdAt: string;
  /** Microsoft's id for it (a delegatedAdminAccessAssignment's `id`), once `sync` has read it; a request naming it needs it. */
  microsoftId?: string | null;
  /**
   * Its status as Microsoft last gave it (delegatedAdminAccessAssignment: pending, active, deleting,
   * deleted, error; https://learn.microsoft.com/graph/api/resources/delegatedadminaccessassignment);
   * null for one recorded offline.
   */
  status?: string | null;
}

export interface Notification {
  id: number;
  at: string;
  kind: string;
  clientDomain: string | null;
  offerId: string | null;
  message: string;
  readAt: string | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: 'allowed' | 'denied';
  detail: string;
  hash: string;
}

/** `canCreateOffers` is exactly `adminAccess != none` (SPEC.md). */
export function canCreateOffers(u: Pick<PartnerUser, 'adminAccess'>): boolean {
  return u.adminAccess !== 'none';
}

/** A user in a client's organization, as the partner administers it. */
export interface ClientUser {
  clientDomain: string;
  upn: string;
  name: string;
  isAdmin: boolean;
  /** When a password was last set by the partner; the password itself is never stored. */
  passwordResetAt: string | null;
  forceChangePasswordNextSignIn: boolean;
  createdAt: string;
}

/** A domain of a client's organization: the one it accepted under, its initial one, and added ones. */
export interface ClientDomain {
  clientDomain: string;
  name: string;
  isInitial: boolean;
  /** The accepted and initial domains are; an added one is once `client domain verify` records it. */
  verified: boolean;
  addedAt: string;
}

/** An intent as the ledger keeps it (values filled: what was really sent). */
export interface Intent {
  id: string;
  openedAt: string;
  /** The partner user who sent it. */
  actor: string;
  /** The audited action of the command that sent it (e.g. `client.user.add`). */
  command: string;
  /** A ChangeKind (plan/intent.ts). */
  kind: string;
  target: string;
  scope: string;
  key: string | null;
  method: string;
  url: string;
  /** The request body as sent, with every secret replaced by "<redacted>" (JSON text), or null. */
  body: string | null;
  /** The client tenant it went to (acting for a client), or null for the partner's own. */
  tenantId: string | null;
  /** The read-back: a GET URL and what to look for (JSON text of `{url, look}`). */
  readBack: string;
  /** JSON text of IntentSpec.effect, or null. */
  effect: string | null;
  owner: { host: string; pid: number; leaseUntil: string };
  /** When the whole answer was due: a read showing nothing is "not applied" only `live.settle` after this. */
  deadline: string;
  /** The answer's status and body (redacted) when one came but was not recorded yet, else null. */
  answer: { status: number; body: string | null } | null;
  /** Set once the change is known applied but a step a person must take remains (a password nobody saw). */
  passwordPending: boolean;
}
