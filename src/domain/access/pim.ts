/**
 * Just-in-time membership of the partner's security groups (PIM for Groups; SPEC.md "Access: who can do
 * what, and why not"): `group add-member --eligible` (a global admin makes users eligible, with an end),
 * `access activate` and `access deactivate` (a technician's own activation of its own eligibility).
 * Offline the ledger records them; `--plan` prints the requests (plan/pim-requests.ts); `--live` sends
 * them through the same intent machinery as every other change. The acting rules count an eligibility
 * only while it is activated (access/assignments.ts rolesOf).
 */
import { appendAudit } from '../core/audit.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from '../core/errors.js';
import { activationPolicy, durationMs, isActivated, isoTime, type ActivationPolicy, type Eligibility } from '../core/pim.js';
import { nowIso, requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';
import type { Tx } from '../core/store.js';
import * as v from '../core/validate.js';
import { addDays, durationDays } from '../core/duration.js';
import { carryOut } from '../plan/carry-out.js';
import { withSteps, type Carried, type Mode } from '../plan/decision.js';
import { groupPolicyRead, planEligibility, planSelf } from '../plan/pim-requests.js';
import { byItem, inScope } from '../plan/request.js';
import { membersToAdd, objectIdOf } from './groups.js';

/** An eligibility's length when `--for` is not given: a year (unconfirmed: Entra's default eligibility policy allows one year). */
export const DEFAULT_ELIGIBILITY = 'P365D';
/** An activation's floor, and its cap when the group's policy is not read (offline, a plan) or allows more: SPEC.md. */
export const MIN_ACTIVATION_MS = 5 * 60_000;
export const MAX_ACTIVATION_MS = 8 * 3_600_000;
/**
 * A new activation cannot be deactivated for five minutes (SPEC.md; Microsoft's PIM pages say so of role
 * activations; not confirmed here for PIM for Groups' selfDeactivate).
 */
export const DEACTIVATE_AFTER_MS = 5 * 60_000;

/** The users a command made eligible for a group, and until when. */
export interface EligibleChanged {
  group: string;
  eligibleUntil: string;
  changed: string[];
  eligible: Eligibility[];
}

/**
 * `group add-member <group> <email...> --eligible [--for <duration>]`: each user eligible for the group's
 * membership until now + `--for` (default P365D). A global admin's action, like other membership changes.
 */
export async function groupAddEligible(s: Session, groupIn: string, emailsIn: readonly string[], forIn: string | undefined, mode: Mode): Promise<Carried<EligibleChanged>> {
  const group = v.displayName(groupIn, 'group name', 120);
  if (emailsIn.length === 0) throw new UsageError('Give one or more member emails');
  const emails = [...new Set(emailsIn.map((e) => v.email(e)))];
  const days = durationDays(forIn ?? DEFAULT_ELIGIBILITY, '--for');
  return carryOut(
    s,
    async (tx) => {
      const { partner, actor, g } = await membersToAdd(tx, s, group, emails);
      const start = nowIso(s);
      const until = addDays(start, days);
      const write = async (tx2: Tx, done: string[], how: string): Promise<EligibleChanged> => {
        for (const email of done) await tx2.pim.putEligibility({ group: g.name, email, eligibleUntil: until, createdAt: start });
        if (done.length) await appendAudit(tx2, s.clock, { actor: actor.email, action: 'group.add-member', target: g.name, outcome: 'allowed', detail: `${done.join(', ')} eligible until ${until}${how}` });
        return { group: g.name, eligibleUntil: until, changed: done, eligible: await tx2.pim.listEligibilities(g.name) };
      };
      return withSteps(
        {
          labels: emails,
          apply: (tx2) => write(tx2, emails, ''),
          record: (tx2, responses) => write(tx2, emails.filter((_, i) => responses.has(emails.length === 1 ? 'eligible' : `eligible-${i + 1}`)), ' (at Microsoft)'),
        },
        () => byItem(inScope(`group:${g.name.toLowerCase()}`, planEligibility(partner.cloud, objectIdOf(g), emails, start, until))),
      );
    },
    mode,
  );
}

/** What `access activate` and `access deactivate` return: `{group, status, activeUntil}`. */
export interface ActivationResult {
  group: string;
  status: 'active' | 'pendingApproval' | 'inactive';
  activeUntil: string | null;
}

/** The acting user's own eligibility for a group (exit 3 for no group, exit 4 when it has none or it ended). */
async function ownEligibility(tx: Tx, s: Session, groupIn: string, action: string) {
  const partner = await requirePartner(tx);
  const actor = await resolveActor(tx, s);
  const g = await tx.getGroup(groupIn);
  if (!g) throw new NotFoundError(`No security group ${groupIn} (see \`delegate group list\`)`);
  const e = await tx.pim.getEligibility(g.name, actor.email);
  const audit = { actor: actor.email, action, target: g.name };
  // One activates only one's own eligibility (SPEC.md): another's, or none, is not the caller's to use.
  if (!e) throw new NotPermittedError(`${actor.email} is not eligible for membership of ${g.name}: a global admin makes you eligible with \`delegate group add-member ${g.name} ${actor.email} --eligible\``, audit);
  if (Date.parse(e.eligibleUntil) <= s.clock.now().getTime()) throw new NotPermittedError(`${actor.email}'s eligibility for ${g.name} ended ${e.eligibleUntil}: a global admin renews it with \`delegate group add-member ${g.name} ${actor.email} --eligible\``, audit);
  return { partner, actor, g, e };
}

/**
 * The group's policy for a live activation, read at Microsoft (undefined offline and for a plan:
 * the default cap applies). A read refused is exit 4 naming the permission it needs.
 */
async function livePolicy(s: Session, groupIn: string, mode: Mode): Promise<ActivationPolicy | undefined> {
  if (mode.kind !== 'live') return undefined;
  const { partner, g } = await writeAudited(s, (tx) => ownEligibility(tx, s, v.displayName(groupIn, 'group name', 120), 'access.activate'));
  const found = await mode.microsoft.read(String(groupPolicyRead(partner.cloud, 'policy', objectIdOf(g)).url), {});
  if (found.read === 'forbidden') {
    throw new NotPermittedError(`Microsoft refused to read ${g.name}'s PIM policy (it needs RoleManagementPolicy.Read.AzureADGroup): ${found.message}`, { actor: s.actorEmail ?? '', action: 'access.activate', target: g.name });
  }
  return found.read === 'ok' ? activationPolicy(found.body) : undefined;
}

/**
 * `access activate <group> [--for <duration>] --reason <text>`: the acting user's own selfActivate. `--for`
 * defaults to, and may not pass, the group's policy maximum (read live; PT8H otherwise, and never more), at
 * least PT5M. A policy requirement delegate's request cannot meet (a ticket, MFA at activation) is exit 4
 * naming it; one that needs an approver gives `pendingApproval`.
 */
export async function accessActivate(s: Session, groupIn: string, opts: { for?: string; reason: string }, mode: Mode): Promise<Carried<ActivationResult>> {
  const group = v.displayName(groupIn, 'group name', 120);
  const reason = opts.reason.trim();
  if (!reason) throw new UsageError('--reason must say why (PIM keeps it as the justification)');
  if (reason.length > 500) throw new UsageError('--reason must be at most 500 characters');
  let asked: number | undefined;
  if (opts.for !== undefined) {
    asked = durationMs(opts.for);
    if (asked === undefined) throw new UsageError(`--for ${JSON.stringify(opts.for.slice(0, 30))} is not an ISO-8601 duration (e.g. PT30M, PT2H)`);
    if (asked < MIN_ACTIVATION_MS) throw new UsageError(`--for must be at least PT5M, not ${opts.for.toUpperCase()}`);
  }
  const policy = await livePolicy(s, group, mode);
  const max = Math.min(policy?.maxMs ?? MAX_ACTIVATION_MS, MAX_ACTIVATION_MS);
  if (asked !== undefined && asked > max) {
    throw new UsageError(`--for ${opts.for!.toUpperCase()} is longer than ${policy ? "the group's PIM policy allows" : 'an activation may last'} (${isoTime(max)}): ask for ${isoTime(max)} or less`);
  }
  const ms = asked ?? max;
  return carryOut(
    s,
    async (tx) => {
      const { partner, actor, g, e } = await ownEligibility(tx, s, group, 'access.activate');
      const audit = { actor: actor.email, action: 'access.activate', target: g.name };
      if (policy?.ticket) throw new NotPermittedError(`${g.name}'s PIM policy requires ticket information to activate, which delegate does not send: activate in the Microsoft Entra admin center (My roles > Groups)`, audit);
      if (policy?.mfa) throw new NotPermittedError(`${g.name}'s PIM policy requires multifactor authentication at activation, which delegate's sign-in does not prove: activate in the Microsoft Entra admin center (My roles > Groups)`, audit);
      const now = s.clock.now();
      if (isActivated(e, now)) throw new ConflictError(`Your membership of ${g.name} is already active until ${e.activeUntil}`);
      const start = now.toISOString();
      const until = new Date(Math.min(now.getTime() + ms, Date.parse(e.eligibleUntil))).toISOString();
      const write = async (tx2: Tx, status: 'active' | 'pendingApproval', how: string): Promise<ActivationResult> => {
        await tx2.pim.setActivation(g.name, actor.email, { activatedAt: start, activeUntil: until, activation: status });
        await appendAudit(tx2, s.clock, { actor: actor.email, action: 'access.activate', target: g.name, outcome: 'allowed', detail: `${status === 'active' ? 'active' : 'pending approval'} until ${until} (${isoTime(ms)}): ${reason}${how}` });
        return { group: g.name, status, activeUntil: until };
      };
      return withSteps(
        {
          apply: (tx2) => write(tx2, 'active', ''),
          record: async (tx2, responses) => {
            const r = responses.get('activate');
            if (!r) return { group: g.name, status: 'inactive', activeUntil: null };
            return write(tx2, /^pending/i.test(String(r.status ?? '')) ? 'pendingApproval' : 'active', ' (at Microsoft)');
          },
        },
        () => [inScope(`group:${g.name.toLowerCase()}`, planSelf(partner.cloud, 'selfActivate', objectIdOf(g), actor.email, { start, duration: isoTime(ms), justification: reason }))],
      );
    },
    mode,
  );
}

/** `access deactivate <group>`: the acting user's own selfDeactivate; within five minutes of activating, exit 5 naming when. */
export async function accessDeactivate(s: Session, groupIn: string, mode: Mode): Promise<Carried<ActivationResult>> {
  const group = v.displayName(groupIn, 'group name', 120);
  return carryOut(
    s,
    async (tx) => {
      const { partner, actor, g, e } = await ownEligibility(tx, s, group, 'access.deactivate');
      const now = s.clock.now();
      if (!e.activation || !e.activeUntil || Date.parse(e.activeUntil) <= now.getTime()) throw new ConflictError(`Your membership of ${g.name} is not active: nothing to deactivate`);
      const possible = Date.parse(e.activatedAt ?? e.activeUntil) + DEACTIVATE_AFTER_MS;
      if (now.getTime() < possible) {
        throw new ConflictError(`An activation cannot be deactivated in its first five minutes: deactivate ${g.name} at ${new Date(possible).toISOString()} or later`);
      }
      const write = async (tx2: Tx, how: string): Promise<ActivationResult> => {
        await tx2.pim.setActivation(g.name, actor.email, { activatedAt: null, activeUntil: null, activation: null });
        await appendAudit(tx2, s.clock, { actor: actor.email, action: 'access.deactivate', target: g.name, outcome: 'allowed', detail: `was ${e.activation} until ${e.activeUntil}${how}` });
        return { group: g.name, status: 'inactive', activeUntil: null };
      };
      return withSteps(
        {
          apply: (tx2) => write(tx2, ''),
          record: async (tx2, responses) => (responses.has('deactivate') ? write(tx2, ' (at Microsoft)') : { group: g.name, status: e.activation!, activeUntil: e.activeUntil }),
        },
        () => [inScope(`group:${g.name.toLowerCase()}`, planSelf(partner.cloud, 'selfDeactivate', objectIdOf(g), actor.email, { justification: 'delegate access deactivate' }))],
      );
    },
    mode,
  );
}
