/**
 * Just-in-time membership of a security group (PIM for Groups, SPEC.md "Access: who can do what, and
 * why not"): besides a direct member, a partner user may be *eligible* for a group's membership until
 * an end, and, while eligible, *activate* it for a while (then it counts as membership until
 * `activeUntil`). The ledger's record of it, and the store's port for it (no SQL here).
 */

/** How a user belongs to a group: a direct member, eligible only, or eligible and activated now. */
export type MembershipKind = 'direct' | 'eligible' | 'activated';

/** One user's eligibility for one group's membership, and its activation when there is one. */
export interface Eligibility {
  group: string;
  email: string;
  /** When the eligibility ends (PIM's eligibility schedule has an end: adminAssign with an expiration). */
  eligibleUntil: string;
  createdAt: string;
  /** The latest activation: when it was made, until when, and what Microsoft (or the ledger) said of it. */
  activatedAt: string | null;
  activeUntil: string | null;
  /** `active`, or `pendingApproval` (the group's policy wants an approver); null when never activated or deactivated. */
  activation: 'active' | 'pendingApproval' | null;
}

/** Whether an eligibility counts as membership at `now` (an activation approved, not yet over, within the eligibility). */
export function isActivated(e: Pick<Eligibility, 'activation' | 'activeUntil' | 'eligibleUntil'>, now: Date): boolean {
  if (e.activation !== 'active' || !e.activeUntil) return false;
  const t = now.getTime();
  return Date.parse(e.activeUntil) > t && Date.parse(e.eligibleUntil) > t;
}

/** The store's part for eligibility (src/store/sql/pim.ts writes it once for both backends). */
export interface PimTx {
  /** Record (or renew) an eligibility; an existing activation is kept. */
  putEligibility(e: Pick<Eligibility, 'group' | 'email' | 'eligibleUntil' | 'createdAt'>): Promise<void>;
  getEligibility(group: string, email: string): Promise<Eligibility | undefined>;
  /** Every eligibility of a group (all groups without one), by group then email. */
  listEligibilities(group?: string): Promise<Eligibility[]>;
  /** Every eligibility of a user (to keep them when the user's row is written again). */
  eligibilitiesOf(email: string): Promise<Eligibility[]>;
  /** Record an activation, or its end (all three null). */
  setActivation(group: string, email: string, a: Pick<Eligibility, 'activatedAt' | 'activeUntil' | 'activation'>): Promise<void>;
}
