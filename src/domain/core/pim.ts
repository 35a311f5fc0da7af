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

/**
 * Milliseconds in an ISO-8601 duration with days and time (`PT30M`, `PT8H`, `P1DT2H`); `what` names the
 * option in the message of a UsageError-worthy text (the caller throws).
 */
export function durationMs(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text.trim().toUpperCase());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/.test(text.trim().toUpperCase())) return undefined;
  const [d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number];
  return ((d * 24 + h) * 60 + mi) * 60_000 + s * 1000;
}

/** A duration in milliseconds as ISO-8601 time (`PT8H`, `PT1H30M`, `PT5M`). */
export function isoTime(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${r || (!h && !m) ? `${r}S` : ''}`;
}

/**
 * What a group's PIM policy asks of a member's own activation (the `EndUser` `Assignment` rules of
 * the group's membership policy: https://learn.microsoft.com/graph/api/resources/unifiedrolemanagementpolicyrule
 * and the rule types' pages). `maxMs` is the expiration rule's maximumDuration.
 */
export interface ActivationPolicy {
  maxMs: number;
  approval: boolean;
  ticket: boolean;
  mfa: boolean;
  justification: boolean;
}

/**
 * The policy from the answer to GET /policies/roleManagementPolicyAssignments?...&$expand=policy($expand=rules)
 * (plan/pim-requests.ts groupPolicyRead). The rules that govern activation are those whose
 * target.caller is `EndUser` and target.level `Assignment`
 * (https://learn.microsoft.com/graph/api/resources/unifiedrolemanagementpolicyruletarget; rule ids such as
 * Expiration_EndUser_Assignment, Approval_EndUser_Assignment, Enablement_EndUser_Assignment are how Microsoft's
 * own examples name them: https://learn.microsoft.com/graph/identity-governance-pim-rules-overview).
 * Undefined when the answer names no policy.
 */
export function activationPolicy(body: unknown): ActivationPolicy | undefined {
  const value = (body as { value?: unknown })?.value;
  const first = Array.isArray(value) ? (value[0] as { policy?: { rules?: unknown } } | undefined) : undefined;
  const rules = first?.policy?.rules;
  if (!Array.isArray(rules)) return undefined;
  const p: ActivationPolicy = { maxMs: 8 * 3_600_000, approval: false, ticket: false, mfa: false, justification: false };
  for (const r of rules as Record<string, unknown>[]) {
    const t = (r.target ?? {}) as { caller?: string; level?: string };
    const endUser = t.caller === 'EndUser' && t.level === 'Assignment';
    const id = String(r.id ?? '');
    if (!endUser && !/_EndUser_Assignment$/.test(id)) continue;
    const type = String(r['@odata.type'] ?? '');
    if (type.endsWith('ExpirationRule') && typeof r.maximumDuration === 'string') {
      const ms = durationMs(r.maximumDuration);
      if (ms) p.maxMs = ms;
    } else if (type.endsWith('ApprovalRule')) {
      p.approval = (r.setting as { isApprovalRequired?: unknown } | undefined)?.isApprovalRequired === true;
    } else if (type.endsWith('EnablementRule') && Array.isArray(r.enabledRules)) {
      const on = new Set((r.enabledRules as unknown[]).map(String));
      p.ticket = on.has('Ticketing');
      p.mfa = on.has('MultiFactorAuthentication');
      p.justification = on.has('Justification');
    }
  }
  return p;
}
