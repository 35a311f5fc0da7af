/** The partner's security groups, which granular relationships give access to. */
import { appendAudit } from './audit.js';
import { ConflictError, NotFoundError, UsageError } from './errors.js';
import { createSecurityGroup, planAddMembers } from './graph.js';
import { decideThenDo, done, type Outcome } from './decision.js';
import type { Group } from './model.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';
import * as v from './validate.js';

/** A group's object id, for a plan (exit 5 naming the fix when the ledger has none). */
export function objectIdOf(g: Pick<Group, 'name' | 'objectId'>): string {
  if (g.objectId) return g.objectId;
  throw new ConflictError(
    `Security group ${g.name} has no object id in the ledger, so no request can name it: record its object id in your Microsoft Entra tenant with \`delegate group set ${quoteArg(g.name)} --object-id <guid>\``,
  );
}

/** A value as a shell argument in a printed command: bare when safe, else double-quoted. */
export const quoteArg = (s: string) => (/^[A-Za-z0-9._@-]+$/.test(s) ? s : `"${s.replace(/["\\$`]/g, '\\$&')}"`);

/** Create a security group (plan: POST /groups in the partner's own tenant). */
export async function createGroup(s: Session, nameIn: string, objectId: string | undefined): Promise<Group> {
  return done(await groupCreate(s, nameIn, objectId, false));
}

export async function groupCreate(s: Session, nameIn: string, objectId: string | undefined, plan: boolean): Promise<Outcome<Group>> {
  const name = v.displayName(nameIn, 'group name', 120);
  const oid = objectId === undefined ? null : v.guid(objectId, '--object-id');
  return decideThenDo(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.globalAdmin(actor, 'group.create', name, 'create security groups');
      if (await tx.getGroup(name)) throw new ConflictError(`A security group named ${name} already exists`);
      return {
        requests: () => [createSecurityGroup(partner.cloud, 'group', name)],
        apply: async () => {
          const g = { name, objectId: oid, createdAt: nowIso(s) };
          await tx.insertGroup(g);
          await appendAudit(tx, s.clock, { actor: actor.email, action: 'group.create', target: name, outcome: 'allowed', detail: oid ? `object id ${oid}` : '' });
          return { ...g, members: [] };
        },
      };
    },
    plan,
  );
}

/** Add partner users to a group (plan: each user's id from GET /users/{upn}, then POST .../members/$ref). */
export async function addGroupMembers(s: Session, groupIn: string, emailsIn: readonly string[]): Promise<Group> {
  return done(await groupAddMembers(s, groupIn, emailsIn, false));
}

export async function groupAddMembers(s: Session, groupIn: string, emailsIn: readonly string[], plan: boolean): Promise<Outcome<Group>> {
  const group = v.displayName(groupIn, 'group name', 120);
  if (emailsIn.length === 0) throw new UsageError('Give one or more member emails');
  const emails = emailsIn.map((e) => v.email(e));
  return decideThenDo(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.globalAdmin(actor, 'group.add-member', group, 'change security groups');
      const g = await tx.getGroup(group);
      if (!g) throw new NotFoundError(`No security group ${group} (see \`delegate group list\`)`);
      const users = await tx.getUsers(emails);
      const unknown = emails.filter((e) => !users.has(e));
      if (unknown.length) throw new NotFoundError(`${unknown.join(', ')} ${unknown.length === 1 ? 'is not a user' : 'are not users'} of this partner`);
      return {
        requests: () => {
          const fresh = [...new Set(emails)].filter((e) => !g.members.includes(e));
          return fresh.length ? planAddMembers(partner.cloud, objectIdOf(g), fresh) : [];
        },
        apply: async () => {
          const added = await tx.addGroupMembers(g.name, emails);
          if (added > 0) await appendAudit(tx, s.clock, { actor: actor.email, action: 'group.add-member', target: g.name, outcome: 'allowed', detail: emails.join(', ') });
          return (await tx.getGroup(g.name))!;
        },
      };
    },
    plan,
  );
}

/** Record a group's object id (from Microsoft Entra), so plans can name the group. */
export async function setGroupObjectId(s: Session, nameIn: string, objectId: string): Promise<Group> {
  const name = v.displayName(nameIn, 'group name', 120);
  const oid = v.guid(objectId, '--object-id');
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.globalAdmin(actor, 'group.set', name, 'change security groups');
    const g = await tx.getGroup(name);
    if (!g) throw new NotFoundError(`No security group ${name} (see \`delegate group list\`)`);
    if (g.objectId === oid) return g;
    await tx.setGroupObjectId(g.name, oid);
    await appendAudit(tx, s.clock, { actor: actor.email, action: 'group.set', target: g.name, outcome: 'allowed', detail: `object id ${g.objectId ?? 'none'} -> ${oid}` });
    return { ...g, objectId: oid };
  });
}

export async function listGroups(s: Session): Promise<Group[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    return tx.listGroups();
  });
}
