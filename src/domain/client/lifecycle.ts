/**
 * Extending and terminating a client's granular relationships: each decides, the executors carry it out.
 */
import { appendAudit } from '../core/audit.js';
import { ConflictError } from '../core/errors.js';
import { byItem } from '../plan/request.js';
import { planExtend, planTerminate } from '../plan/relationship-requests.js';
import type { MsRelationshipReply } from '../plan/relationship-requests.js';
import { modeOf, type Carried, type Change, type Mode } from '../plan/decision.js';
import { inScope } from '../plan/request.js';
import { carryOut } from '../plan/carry-out.js';
import type { ClientRecord, Cloud, Relationship } from '../core/model.js';
import { activeDap, granularClient, noneActive, notActive, pick, relationshipState, replaceGdap } from '../relationship/relationships.js';
import { GLOBAL_ADMINISTRATOR } from '../relationship/roles.js';
import { may, nowIso, requirePartner, resolveActor, type Session, clientKey } from '../core/session.js';
import * as v from '../core/validate.js';
import type { Tx } from '../core/store.js';

export interface Extended {
  client: ClientRecord;
  /** The relationships whose auto-extend was set (or already was as asked). */
  changed: Relationship[];
  unchanged: Relationship[];
  /** Active relationships left alone: Global Administrator is among their roles. */
  skipped: Relationship[];
}

/** A relationship's Graph status, ETag and auto-extend as an update answered them (kept as they were where it says nothing). */
export function fromReply(r: Relationship, reply: MsRelationshipReply): Relationship {
  return {
    ...r,
    autoExtendDuration: reply.autoExtendDuration === 'P180D' ? 'P180D' : reply.autoExtendDuration === undefined ? r.autoExtendDuration : 'PT0S',
    endsAt: reply.endDateTime ?? r.endsAt,
    msStatus: reply.status ?? r.msStatus ?? null,
    etag: reply['@odata.etag'] ?? r.etag ?? null,
  };
}

/**
 * Decide auto-extend for one client (bulk work decides it client by client): on (P180D) or off
 * (PT0S) for its active granular relationships, the one named with `relationship`, else each
 * active one (turning it on skips those with Global Administrator, which Graph does not let
 * auto-extend). Exit 5 when none qualifies. Requests, per relationship: read it for its ETag, then
 * PATCH autoExtendDuration with If-Match (nothing for those already as asked). Live, a relationship
 * is recorded as Microsoft's PATCH answered it (200 with the relationship), only when it succeeded.
 */
export function decideExtend(s: Session, cloud: Cloud, actorEmail: string, c: ClientRecord, on: boolean, relationship?: string): Change<Extended> {
  const domain = c.domain;
  const now = s.clock.now();
  const { chosen, active } = pick(c, now, relationship);
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
  const steps = byItem(inScope(`client:${domain}`, planExtend(cloud, changed.map((r) => r.id), want)));
  const write = async (tx: Tx, done: Relationship[], live: boolean): Promise<Extended> => {
    for (const r of done) await tx.updateRelationship(r);
    if (done.length) {
      await appendAudit(tx, s.clock, {
        actor: actorEmail,
        action: 'client.extend',
        target: domain,
        outcome: 'allowed',
        detail: done.map((r) => `"${r.displayName}": auto-extend ${r.autoExtendDuration}; ends ${r.endsAt}`).join('; ') + (live ? ' (at Microsoft)' : ''),
      });
    }
    return { client: replaceGdap(c, done), changed: done, unchanged, skipped };
  };
  return {
    steps,
    labels: changed.map((r) => r.displayName),
    apply: (tx) => write(tx, changed, false),
    record: (tx, responses) => {
      const ids = new Map(steps.map((g, i) => [changed[i]!.id, g[g.length - 1]!.id]));
      const done = changed.filter((r) => responses.has(ids.get(r.id)!)).map((r) => fromReply(r, responses.get(ids.get(r.id)!) as MsRelationshipReply));
      return write(tx, done, true);
    },
  };
}

/** `client extend` / `--off` for one client: in the ledger, as a plan, or at Microsoft (see decideExtend). */
export async function extendClient(s: Session, domainIn: string, on: boolean, opts: { plan?: boolean; mode?: Mode; relationship?: string }): Promise<Carried<Extended>> {
  const ref = v.clientRef(domainIn);
  return carryOut(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.fullOrGlobalAdmin(actor, 'client.extend', domain, 'change how client relationships extend');
      const c = await granularClient(tx, domain);
      return decideExtend(s, partner.cloud, actor.email, c, on, opts.relationship);
    },
    opts.mode ?? modeOf(opts.plan),
  );
}

/**
 * Terminate granular relationships of a client (already checked active): Graph's `terminate`
 * request for each (https://learn.microsoft.com/graph/api/delegatedadminrelationship-post-requests,
 * 201 with the request). Offline the ledger marks them terminated; live, each one Microsoft took the
 * request for is recorded as Graph then has it, `terminationRequested` (Graph's status while the
 * termination is under way: https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship),
 * until `sync` reads `terminated`.
 */
export function decideTermination(s: Session, cloud: Cloud, c: ClientRecord, rels: readonly Relationship[], actorEmail: string): Change<ClientRecord> {
  const steps = byItem(inScope(`client:${c.domain}`, planTerminate(cloud, rels.map((r) => r.id))));
  const write = async (tx: Tx, ended: Relationship[], live: boolean) => {
    for (const r of ended) await tx.updateRelationship(r);
    if (ended.length) {
      await appendAudit(tx, s.clock, {
        actor: actorEmail,
        action: 'client.terminate',
        target: c.domain,
        outcome: 'allowed',
        detail: ended.map((r) => `relationship ${r.displayName} (${r.id}) ${live ? 'termination requested at Microsoft' : 'terminated'}`).join('; '),
      });
    }
    return replaceGdap(c, ended);
  };
  return {
    steps,
    labels: rels.map((r) => r.displayName),
    apply: (tx) => {
      const at = nowIso(s);
      return write(tx, rels.map((r): Relationship => ({ ...r, status: 'terminated', terminatedAt: at })), false);
    },
    record: (tx, responses) => {
      const at = nowIso(s);
      const ended = rels.flatMap((r, i): Relationship[] => {
        const reply = responses.get(steps[i]![0]!.id) as { createdDateTime?: string } | undefined;
        return reply ? [{ ...r, status: 'terminated', msStatus: 'terminationRequested', terminatedAt: reply.createdDateTime ?? at }] : [];
      });
      return write(tx, ended, true);
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
