/** JSON views of a granular relationship: on a client, and on its offer. */
import type { Relationship } from '../core/model.js';
import { relationshipState } from '../relationship/relationships.js';
import { rolesJson } from '../relationship/roles.js';

export function granularClientJson(r: Relationship, now: Date) {
  const st = relationshipState(r, now);
  return {
    relationshipId: r.id,
    displayName: r.displayName,
    roles: rolesJson(r.roles),
    status: st.status,
    activatedAt: r.activatedAt,
    endsAt: st.endsAt,
    autoExtendDuration: r.autoExtendDuration,
  };
}

export function granularOfferJson(r: Relationship, now: Date) {
  const st = relationshipState(r, now);
  return {
    relationshipId: r.id,
    displayName: r.displayName,
    duration: r.duration,
    autoExtendDuration: r.autoExtendDuration,
    roles: rolesJson(r.roles),
    status: st.status,
    activatedAt: r.activatedAt,
    endsAt: st.endsAt,
    // SPEC "Granular relationships": offline, the id is the ledger's own and the link is not valid at
    // Microsoft until the relationship is made there (--live, or the plan followed by sync).
    ...(isDraft(r) ? { draft: true } : {}),
  };
}

/** A pending relationship Microsoft has never reported: made offline, its id is the ledger's own. */
export function isDraft(r: Relationship): boolean {
  return !r.msStatus && r.status === 'approvalPending';
}
