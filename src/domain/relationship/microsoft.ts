/**
 * A granular relationship as Microsoft Graph gives it, and how the ledger records it (sync and
 * recovery read relationships back the same way).
 * Graph's statuses map onto the ledger's: created, approvalPending, approved, activating ->
 * approvalPending; active -> active; expiring ("has passed its expiration date") and expired ->
 * active with Microsoft's end and no auto-extension (so it reads as expiring or expired, and no
 * access is counted through it); terminationRequested, terminating, terminated ->
 * terminated (Microsoft has been asked to end it; its end is Microsoft's endDateTime)
 * (https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship, "delegatedAdminRelationshipStatus values").
 */
import type { Relationship, RelationshipStoredStatus } from '../core/model.js';

/** A delegatedAdminRelationship as Graph returns it (the fields the ledger reads). */
export interface MsRelationship {
  id: string;
  displayName: string;
  status: string;
  duration: string;
  autoExtendDuration?: string | null;
  customer?: { tenantId?: string | null; displayName?: string | null } | null;
  accessDetails?: { unifiedRoles?: { roleDefinitionId: string }[] } | null;
  createdDateTime?: string | null;
  activatedDateTime?: string | null;
  endDateTime?: string | null;
  lastModifiedDateTime?: string | null;
  '@odata.etag'?: string | null;
}

const PENDING = new Set(['created', 'approvalPending', 'approved', 'activating']);
const ENDING = new Set(['terminationRequested', 'terminating', 'terminated']);

/** Graph's status as the ledger stores it (the module comment gives the mapping). */
export function storedStatus(status: string): RelationshipStoredStatus {
  if (PENDING.has(status)) return 'approvalPending';
  if (ENDING.has(status)) return 'terminated';
  return 'active';
}

/** The role template ids of a relationship or an access assignment, lower case, sorted. */
export function roleIds(m: { accessDetails?: MsRelationship['accessDetails'] }): string[] {
  return (m.accessDetails?.unifiedRoles ?? []).map((r) => r.roleDefinitionId.toLowerCase()).sort();
}

/** The ledger's relationship as Microsoft reports it, keeping what Microsoft does not say. */
export function fromMicrosoft(m: MsRelationship, base: Relationship, clientDomain: string | null, at: string): Relationship {
  const status = storedStatus(m.status);
  const expired = m.status === 'expired' || m.status === 'expiring';
  const roles = roleIds(m);
  return {
    ...base,
    id: m.id,
    displayName: m.displayName,
    duration: m.duration || base.duration,
    autoExtendDuration: expired ? 'PT0S' : m.autoExtendDuration === 'P180D' ? 'P180D' : 'PT0S',
    roles: roles.length ? roles : base.roles,
    status,
    activatedAt: m.activatedDateTime ?? (status === 'approvalPending' ? null : base.activatedAt),
    endsAt: m.endDateTime ?? base.endsAt,
    terminatedAt: status === 'terminated' ? (m.endDateTime ?? m.lastModifiedDateTime ?? base.terminatedAt ?? at) : null,
    clientDomain: status === 'approvalPending' ? base.clientDomain : clientDomain,
    // Graph's own status, kept as Microsoft said it (relationshipState shows it), and the ETag.
    msStatus: m.status,
    etag: m['@odata.etag'] ?? base.etag ?? null,
  };
}
