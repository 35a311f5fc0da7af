/** Access assignments: which of the partner's security groups hold which roles on a granular relationship. */
import { appendAudit } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { createAccessAssignment, planUnassign } from '../plan/relationship-requests.js';
import { modeOf, withSteps, type Carried, type Mode } from '../plan/decision.js';
import { inScope } from '../plan/request.js';
import { carryOut } from '../plan/carry-out.js';
import { objectIdOf, quoteArg } from './groups.js';
import type { AccessAssignment, Relationship } from '../core/model.js';
import { activeGdap, chooseOne, granularClient, notActive, pick, relationshipState, usable } from '../relationship/relationships.js';
import { roleName } from '../relationship/roles.js';
import { may, nowIso, requirePartner, resolveActor, type Session, clientKey } from '../core/session.js';
import type { Tx } from '../core/store.js';
import * as v from '../core/validate.js';

export async function assignGroup(
  s: Session,
  domainIn: string,
  groupIn: string,
  roles: string[],
  opts: { plan?: boolean; mode?: Mode; relationship?: string },
): Promise<Carried<{ assignment: AccessAssignment; relationship: Relationship }>> {
  const ref = v.clientRef(domainIn);
  const group = v.displayName(groupIn, '--group', 120);
  return carryOut(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      const now = s.clock.now();
      const c = await tx.getClient(domain);
      // Which relationship: the named one, else the only active one (several active: exit 2 asking for --relationship).
      let target: Relationship | undefined;
      if (c && c.gdap.length) {
        const { chosen, active } = pick(c, now, opts.relationship);
        if (!chosen && active.length > 1) chooseOne(c, active, 'assign on');
        target = chosen ?? active[0] ?? c.gdap[c.gdap.length - 1]!;
        const outside = roles.filter((r) => !target!.roles.includes(r));
        if (outside.length) {
          throw new UsageError(
            `${outside.map(roleName).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among the roles of the granular relationship "${target.displayName}" with ${domain} (${target.roles.map(roleName).join(', ')})`,
          );
        }
      }
      may.globalAdmin(actor, 'client.assign', domain, 'assign security groups to client relationships');
      const gc = await granularClient(tx, domain);
      const rel = target ?? gc.gdap[gc.gdap.length - 1]!;
      if (!usable(relationshipState(rel, now).status)) throw notActive(gc, rel, now);
      const g = await tx.getGroup(group);
      if (!g) throw new NotFoundError(`No security group ${group} (create it with \`delegate group create ${group}\`)`);
      const assignment: AccessAssignment = { relationshipId: rel.id, group: g.name, roles, createdAt: nowIso(s) };
      // The group's assignment on this relationship as the ledger holds it: a plan or a live run changes its
      // roles (PATCH) instead of making a second one, and sends nothing when it holds these roles already (the
      // same command again, after an earlier run's change was recorded or recovered).
      const existing = (await tx.listAssignments(rel.id)).find((a) => a.group.toLowerCase() === g.name.toLowerCase());
      const same = existing !== undefined && existing.roles.length === roles.length && roles.every((r) => existing.roles.includes(r));
      const write = async (tx: Tx, a: AccessAssignment, live: boolean) => {
        await tx.upsertAssignment(a);
        await appendAudit(tx, s.clock, {
          actor: actor.email,
          action: 'client.assign',
          target: domain,
          outcome: 'allowed',
          detail: `${g.name}: ${roles.map(roleName).join(', ')}${gc.gdap.length > 1 ? ` (relationship ${rel.displayName})` : ''}${live ? ' (at Microsoft)' : ''}`,
        });
        return { assignment: a, relationship: rel };
      };
      // https://learn.microsoft.com/graph/api/delegatedadminrelationship-post-accessassignments: 201 with the
      // assignment (status pending at first). Live, recorded only when Microsoft took it, at its time.
      return {
        // Only a plan or a live run needs the group's object id (offline works without one).
        get steps() {
          if (same) return [];
          if (existing) {
            if (!existing.microsoftId) {
              throw new ConflictError(
                `Microsoft's id for ${g.name}'s access assignment on "${rel.displayName}" is not in the ledger, so no request can change its roles: run \`delegate sync --only relationships\` to read it, then run this command again`,
              );
            }
            // https://learn.microsoft.com/graph/api/delegatedadminaccessassignment-update (If-Match, the new roles).
            return [inScope(`client:${gc.domain}`, planUnassign(partner.cloud, rel.id, existing.microsoftId, roles))];
          }
          return [inScope(`client:${gc.domain}`, [createAccessAssignment(partner.cloud, 'assignment', rel.id, objectIdOf(g), roles)])];
        },
        apply: (tx) => write(tx, assignment, false),
        record: async (tx, responses) => {
          // An update's answer is the PATCH's ('assignment' is then the read for its ETag).
          const reply = responses.get(existing ? 'update' : 'assignment') as { id?: string; createdDateTime?: string } | undefined;
          if (!reply) return { assignment: existing && same ? existing : assignment, relationship: rel };
          // Microsoft's id for it too, so `client unassign` can name it without a `sync` first.
          const createdAt = existing?.createdAt ?? reply.createdDateTime ?? assignment.createdAt;
          return write(tx, { ...assignment, createdAt, microsoftId: reply.id ?? existing?.microsoftId ?? null }, true);
        },
      };
    },
    opts.mode ?? modeOf(opts.plan),
  );
}

/** rolesOf lives with the acting rules (acting/standing.ts), which access's paths build on: access -> acting, never back. */
export { rolesOf } from '../acting/standing.js';

export interface Unassigned {
  relationship: Relationship;
  group: string;
  /** The roles taken away. */
  removed: string[];
  /** The roles the group keeps on the relationship (none: the assignment is gone). */
  kept: string[];
}

/**
 * Take roles (all of them without `roles`) from a security group on a
 * client's active granular relationship. Plan and live: read the assignment
 * for its ETag, then PATCH the roles it keeps, or DELETE it when it keeps
 * none (both with If-Match). Those requests name Microsoft's id for the
 * assignment, which the ledger learns from `sync`.
 */
export async function unassignGroup(
  s: Session,
  domainIn: string,
  groupIn: string,
  roles: string[] | undefined,
  opts: { mode: Mode; relationship?: string },
): Promise<Carried<Unassigned>> {
  const ref = v.clientRef(domainIn);
  const group = v.displayName(groupIn, '--group', 120);
  return carryOut(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      const now = s.clock.now();
      const c = await granularClient(tx, domain);
      const g = await tx.getGroup(group);
      if (!g) throw new NotFoundError(`No security group ${group} (see \`delegate group list\`)`);
      const mine = async (r: Relationship) => (await tx.listAssignments(r.id)).find((a) => a.group.toLowerCase() === g.name.toLowerCase());
      // Which relationship: the named one, else the active one(s) where the group is assigned.
      let rel: Relationship;
      const { chosen } = pick(c, now, opts.relationship);
      if (chosen) rel = chosen;
      else {
        const holding: Relationship[] = [];
        for (const r of activeGdap(c, now)) if (await mine(r)) holding.push(r);
        if (holding.length > 1) chooseOne(c, holding, 'unassign on');
        if (holding.length === 0) throw new NotFoundError(`Security group ${g.name} is not assigned on any active granular relationship with ${domain}`);
        rel = holding[0]!;
      }
      const a = await mine(rel);
      if (!a) throw new NotFoundError(`Security group ${g.name} is not assigned on the granular relationship "${rel.displayName}" with ${domain}`);
      may.globalAdmin(actor, 'client.unassign', domain, 'assign security groups to client relationships');
      if (relationshipState(rel, now).status !== 'active') throw notActive(c, rel, now);
      const removed = roles ?? a.roles;
      const notHeld = removed.filter((r) => !a.roles.includes(r));
      if (notHeld.length) {
        throw new ConflictError(
          `${g.name} does not hold ${notHeld.map(roleName).join(', ')} on "${rel.displayName}" with ${domain} (it holds ${a.roles.map(roleName).join(', ')})`,
        );
      }
      const kept = a.roles.filter((r) => !removed.includes(r));
      const value: Unassigned = { relationship: rel, group: g.name, removed, kept };
      const write = async (tx2: Tx, how: string) => {
        if (kept.length) await tx2.upsertAssignment({ ...a, roles: kept });
        else await tx2.deleteAssignment(rel.id, a.group);
        await appendAudit(tx2, s.clock, {
          actor: actor.email,
          action: 'client.unassign',
          target: domain,
          outcome: 'allowed',
          detail: `${g.name}: ${kept.length ? `removed ${removed.map(roleName).join(', ')}; keeps ${kept.map(roleName).join(', ')}` : `assignment removed (${removed.map(roleName).join(', ')})`}${c.gdap.length > 1 ? ` (relationship ${rel.displayName})` : ''}${how}`,
        });
        return value;
      };
      return withSteps({ apply: (tx2) => write(tx2, ''), record: async (tx2, responses) => (responses.has(kept.length ? 'update' : 'delete') ? write(tx2, ' (at Microsoft)') : value) }, () => {
        if (!a.microsoftId) {
          throw new ConflictError(
            `Microsoft's id for ${g.name}'s access assignment on "${rel.displayName}" is not in the ledger, so no request can name it: run \`delegate sync --only relationships\` to read it, then run \`delegate client unassign ${quoteArg(domain)} --group ${quoteArg(g.name)}\` again`,
          );
        }
        return [inScope(`client:${c.domain}`, planUnassign(partner.cloud, rel.id, a.microsoftId, kept))];
      });
    },
    opts.mode,
  );
}

/**
 * Onboarding: a granular relationship made from a template gets the
 * template's group assignments when it becomes active (a client accepted,
 * or `sync` saw it approved), in that same transaction, each audited as a
 * `client.assign`. Roles the relationship lacks are left out (Graph takes
 * only its roles); a group the template names that no longer exists is
 * skipped. Returns what was assigned.
 */
export async function onboard(tx: Tx, clock: Clock, actor: string, rel: Relationship, domain: string, at: string, when: string): Promise<AccessAssignment[]> {
  return recordOnboarding(tx, clock, actor, domain, rel.template ?? '', await templateAssignments(tx, rel, at), when);
}

/** Write a template's assignments for a relationship that became active, each audited as a `client.assign`. */
export async function recordOnboarding(tx: Tx, clock: Clock, actor: string, domain: string, template: string, wanted: readonly AccessAssignment[], when: string): Promise<AccessAssignment[]> {
  for (const a of wanted) {
    await tx.upsertAssignment(a);
    await appendAudit(tx, clock, { actor, action: 'client.assign', target: domain, outcome: 'allowed', detail: `${a.group}: ${a.roles.map(roleName).join(', ')} (template ${template}, ${when})` });
  }
  return [...wanted];
}

/** The assignments a relationship's template gives it (nothing written). */
export async function templateAssignments(tx: Tx, rel: Relationship, at: string): Promise<AccessAssignment[]> {
  const t = rel.template ? await tx.getTemplate(rel.template) : undefined;
  const out: AccessAssignment[] = [];
  for (const want of t?.assignments ?? []) {
    const roles = want.roles.filter((r) => rel.roles.includes(r));
    const g = await tx.getGroup(want.group);
    if (g && roles.length) out.push({ relationshipId: rel.id, group: g.name, roles, createdAt: at });
  }
  return out;
}
