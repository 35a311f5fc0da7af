/**
 * Extending and terminating a client's granular relationships: each decides, the executors carry it out.
 */
import { appendAudit } from './audit.js';
import { ConflictError } from './errors.js';
import { planExtend, planTerminate } from './graph.js';
import { decideThenDo, done, type Decision, type Outcome } from './decision.js';
import type { ClientRecord, Cloud, Relationship } from './model.js';
import { activeDap, granularClient, noneActive, notActive, pick, relationshipState, replaceGdap } from './relationships.js';
import { GLOBAL_ADMINISTRATOR } from './roles.js';
import { may, nowIso, requirePartner, resolveActor, type Session, clientKey } from './session.js';
import * as v from './validate.js';
import type { Tx } from './store.js';

export interface Extended {
  client: ClientRecord;
  /** The relationships whose auto-extend was set (or already was as asked). */
  changed: Relationship[];
  unchanged: Relationship[];
  /** Active relationships left alone: Global Administrator is among their roles. */
  skipped: Relationship[];
}

/**
 * Turn auto-extend on (P180D) or off (PT0S) for a client's active granular relationships: the one
 * named with `relationship`, else each active one (turning it on skips those with Global
 * Administrator, which Graph does not let auto-extend). Exit 5 when none qualifies. Plan: per
 * relationship, read it for its ETag, then PATCH with If-Match (nothing for those already as asked).
 */
export async function extendClient(s: Session, domainIn: string, on: boolean, opts: { plan: boolean; relationship?: string }): Promise<Outcome<Extended>> {
  const ref = v.clientRef(domainIn);
  return decideThenDo(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.fullOrGlobalAdmin(actor, 'client.extend', domain, 'change how client relationships extend');
      const c = await granularClient(tx, domain);
      const now = s.clock.now();
      const { chosen, active } = pick(c, now, opts.relationship);
      const hasGa = (r: Relationship) => on && r.roles.includes(GLOBAL_ADMINISTRATOR);
      const gaWords = (r: Relationship) => `The granular relationship "${r.displayName}" with ${domain} includes Global Administrator, so it cannot auto-extend`;
      if (chosen && !active.includes(chosen)) throw notActive(c, chosen, now);
      if (chosen && hasGa(chosen)) throw new ConflictError(gaWords(chosen));
      if (!chosen && active.length === 0) throw noneActive(c, now);
      const candidates = chosen ? [chosen] : active;
      const skipped = candidates.filter(hasGa);
      const apply = candidates.filter((r) => !hasGa(r));
      if (apply.length === 0) {
        throw new ConflictError(skipped.length === 1 ? gaWords(skipped[0]!) : `Every active granular relationship with ${domain} includes Global Administrator, so none can auto-extend`);
      }
      const want = on ? 'P180D' : 'PT0S';
      const unchanged = apply.filter((r) => r.autoExtendDuration === want);
      // Fix the current end first, so turning auto-extend off never shortens a period already granted.
      const changed = apply
        .filter((r) => r.autoExtendDuration !== want)
        .map((r): Relationship => ({ ...r, autoExtendDuration: want, endsAt: relationshipState(r, now).endsAt }));
      return {
        requests: () => planExtend(partner.cloud, changed.map((r) => r.id), want),
        apply: async () => {
          for (const r of changed) await tx.updateRelationship(r);
          if (changed.length) {
            await appendAudit(tx, s.clock, {
              actor: actor.email,
              action: 'client.extend',
              target: domain,
              outcome: 'allowed',
              detail: changed.map((r) => `"${r.displayName}": auto-extend ${want}; ends ${r.endsAt}`).join('; '),
            });
          }
          return { client: replaceGdap(c, changed), changed, unchanged, skipped };
        },
      };
    },
    opts.plan,
  );
}

export async function setAutoExtend(s: Session, domainIn: string, on: boolean, relationship?: string): Promise<Extended> {
  return done(await extendClient(s, domainIn, on, { plan: false, ...(relationship === undefined ? {} : { relationship }) }));
}

/** Terminate granular relationships of a client (already checked active): Graph's `terminate` request for each. */
export function decideTermination(tx: Tx, s: Session, cloud: Cloud, c: ClientRecord, rels: readonly Relationship[], actorEmail: string): Decision<ClientRecord> {
  return {
    requests: () => planTerminate(cloud, rels.map((r) => r.id)),
    apply: async () => {
      const at = nowIso(s);
      const ended = rels.map((r): Relationship => ({ ...r, status: 'terminated', terminatedAt: at }));
      for (const r of ended) await tx.updateRelationship(r);
      await appendAudit(tx, s.clock, {
        actor: actorEmail,
        action: 'client.terminate',
        target: c.domain,
        outcome: 'allowed',
        detail: ended.map((r) => `relationship ${r.displayName} (${r.id}) terminated`).join('; '),
      });
      return replaceGdap(c, ended);
    },
  };
}

/** Which of a client's granular relationships `client terminate` ends: the named one, else each active one (exit 5 when none is active). */
export function toTerminate(c: ClientRecord, now: Date, relationship?: string): Relationship[] {
  const { chosen, active } = pick(c, now, relationship);
  if (chosen) {
    if (!active.includes(chosen)) throw new ConflictError(`The granular relationship "${chosen.displayName}" with ${c.domain} is already ${relationshipState(chosen, now).status}`);
    return [chosen];
  }
  if (active.length === 0) {
    if (activeDap(c)) throw new ConflictError(`${c.domain} has no active granular relationship; its delegated admin (DAP) relationship is ended with \`delegate client remove ${c.domain}\``);
    throw noneActive(c, now, true);
  }
  return active;
}
