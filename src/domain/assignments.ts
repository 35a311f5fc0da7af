/** Access assignments: which of the partner's security groups hold which roles on a granular relationship. */
import { appendAudit } from './audit.js';
import { NotFoundError, UsageError } from './errors.js';
import { createAccessAssignment } from './graph.js';
import { decideThenDo, type Outcome } from './decision.js';
import { objectIdOf } from './groups.js';
import type { AccessAssignment, Relationship } from './model.js';
import { chooseOne, granularClient, notActive, pick, relationshipState } from './relationships.js';
import { roleName } from './roles.js';
import { may, nowIso, requirePartner, resolveActor, type Session, clientKey } from './session.js';
import type { Tx } from './store.js';
import * as v from './validate.js';

export async function assignGroup(
  s: Session,
  domainIn: string,
  groupIn: string,
  roles: string[],
  opts: { plan: boolean; relationship?: string },
): Promise<Outcome<{ assignment: AccessAssignment; relationship: Relationship }>> {
  const ref = v.clientRef(domainIn);
  const group = v.displayName(groupIn, '--group', 120);
  return decideThenDo(
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
      if (relationshipState(rel, now).status !== 'active') throw notActive(gc, rel, now);
      const g = await tx.getGroup(group);
      if (!g) throw new NotFoundError(`No security group ${group} (create it with \`delegate group create ${group}\`)`);
      const assignment: AccessAssignment = { relationshipId: rel.id, group: g.name, roles, createdAt: nowIso(s) };
      return {
        requests: () => [createAccessAssignment(partner.cloud, 'assignment', rel.id, objectIdOf(g), roles)],
        apply: async () => {
          await tx.upsertAssignment(assignment);
          await appendAudit(tx, s.clock, {
            actor: actor.email,
            action: 'client.assign',
            target: domain,
            outcome: 'allowed',
            detail: `${g.name}: ${roles.map(roleName).join(', ')}${gc.gdap.length > 1 ? ` (relationship ${rel.displayName})` : ''}`,
          });
          return { assignment, relationship: rel };
        },
      };
    },
    opts.plan,
  );
}

/** The roles the acting user holds on a relationship through its security groups. */
export async function rolesOf(tx: Tx, email: string, r: Relationship): Promise<string[]> {
  const groups = new Set((await tx.groupsOf(email)).map((g) => g.toLowerCase()));
  const held = new Set<string>();
  for (const a of await tx.listAssignments(r.id)) {
    if (groups.has(a.group.toLowerCase())) for (const role of a.roles) if (r.roles.includes(role)) held.add(role);
  }
  return [...held];
}
