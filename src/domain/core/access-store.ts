/**
 * The part of the store port (store.ts) that `access show` and `access why` read: group memberships
 * and, for a chunk of clients at once, their access assignments and what sync last read of them.
 */
import type { AccessAssignment } from './model.js';

/**
 * A partner user's membership of a security group. `direct`: a member (what `group add-member`
 * records); `eligible`: may activate it (PIM for Groups), holds nothing until then; `activated`: an
 * eligibility activated, until `activeUntil`.
 */
export const MEMBERSHIP_KINDS = ['direct', 'eligible', 'activated'] as const;
export type MembershipKind = (typeof MEMBERSHIP_KINDS)[number];
export interface Membership {
  group: string;
  email: string;
  kind: MembershipKind;
  /** An activated membership's end (ISO time); null otherwise. */
  activeUntil: string | null;
  /** A PIM eligibility's end (ISO time); absent for a direct membership. */
  eligibleUntil?: string | null;
}

/** What `access show` and `access why` read of many clients at once (store/sql/access-reads.ts): set-based, no query per client. */
export interface AccessReads {
  /** The access assignments on these relationships. */
  assignments: AccessAssignment[];
  /** When sync last read each relationship's assignments from Microsoft (null: never), by relationship id. */
  assignmentsReadAt: Map<string, string | null>;
  /** When sync last read each client's DAP relationship from Partner Center (null: never), by client domain. */
  dapReadAt: Map<string, string | null>;
}
export interface AccessTx {
  reads(relationshipIds: readonly string[], domains: readonly string[]): Promise<AccessReads>;
  /** Every group membership (of one user, when given), by group then email. */
  memberships(email?: string): Promise<Membership[]>;
}
