/** The partner's security groups, which granular relationships give access to. */
import { appendAudit } from '../core/audit.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { byItem, ids, type PlannedRequest } from '../plan/request.js';
import { createSecurityGroup, deleteGroup, groupNickname, planAddMembers, planRemoveMembers } from '../plan/group-requests.js';
import { inScope } from '../plan/request.js';
import { randomUUID } from '../core/crypto.js';
import { deciding, done, modeOf, withSteps, type Carried, type Mode } from '../plan/decision.js';
import { carryOut } from '../plan/carry-out.js';
import type { Group } from '../core/model.js';
import { relationshipState } from '../relationship/relationships.js';
import type { Tx } from '../core/store.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';
import * as v from '../core/validate.js';

/** A group's object id, for a plan (exit 5 naming the fix when the ledger has none). */
export function objectIdOf(g: Pick<Group, 'name' | 'objectId'>): string {
  if (g.objectId) return g.objectId;
  throw new ConflictError(
    `Security group ${g.name} has no object id in the ledger, so no request can name it: record its object id in your Microsoft Entra tenant with \`delegate group set ${quoteArg(g.name)} --object-id <guid>\``,
  );
}

/** A value as a shell argument in a printed command: bare when safe, else double-quoted. */
export const quoteArg = (s: string) => (/^[A-Za-z0-9._@-]+$/.test(s) ? s : `"${s.replace(/["\\$`]/g, '\\$&')}"`);

/**
 * `group create`: a security group in the partner's own tenant, POST /groups
 * (https://learn.microsoft.com/graph/api/group-post-groups, 201 with the group). Live, the ledger
 * records the group with the object id Microsoft gave it; a group the ledger holds without an object
 * id (made offline) is created at Microsoft and given that id, so running it again carries on.
 */
export async function groupCreate(s: Session, nameIn: string, objectId: string | undefined, how: boolean | Mode): Promise<Carried<Group>> {
  const name = v.displayName(nameIn, 'group name', 120);
  const oid = objectId === undefined ? null : v.guid(objectId, '--object-id');
  return carryOut(
    s,
    async (tx, seen) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.globalAdmin(actor, 'group.create', name, 'create security groups');
      const existing = await tx.getGroup(name);
      // Live carries on from an offline group: it has no object id yet.
      const carryOn = existing && deciding(seen) && !existing.objectId;
      if (existing && !carryOn) throw new ConflictError(`A security group named ${name} already exists`);
      const audit = (tx: Tx, detail: string) => appendAudit(tx, s.clock, { actor: actor.email, action: 'group.create', target: name, outcome: 'allowed', detail });
      return {
        // The mailNickname is fixed here, once per decision: a lost answer is found by it (plan/intent.ts).
        steps: [inScope(`group:${(existing?.name ?? name).toLowerCase()}`, [createSecurityGroup(partner.cloud, 'group', existing?.name ?? name, groupNickname(randomUUID()))])],
        apply: async (tx) => {
          const g = { name, objectId: oid, createdAt: nowIso(s) };
          await tx.insertGroup(g);
          await audit(tx, oid ? `object id ${oid}` : '');
          return { ...g, members: [] };
        },
        record: async (tx, responses) => {
          const made = responses.get('group')?.id;
          if (typeof made !== 'string') return existing ?? { name, objectId: null, createdAt: nowIso(s), members: [] };
          if (existing) {
            await tx.setGroupObjectId(existing.name, made);
            await audit(tx, `created at Microsoft: object id ${made}`);
            return { ...existing, objectId: made };
          }
          const g = { name, objectId: made, createdAt: nowIso(s) };
          await tx.insertGroup(g);
          await audit(tx, `created at Microsoft: object id ${made}`);
          return { ...g, members: [] };
        },
      };
    },
    modeOf(how),
  );
}

/** Add partner users to a group (plan: each user's id from GET /users/{upn}, then POST .../members/$ref). */
export async function addGroupMembers(s: Session, groupIn: string, emailsIn: readonly string[]): Promise<Group> {
  return done(await groupAddMembers(s, groupIn, emailsIn, false));
}

/** A group after members were added or removed, and which of them this command added or removed. */
export type MembersChanged = Group & { changed: readonly string[] };

/**
 * `group add-member`: per new member, its id from GET /users/{upn}
 * (https://learn.microsoft.com/graph/api/user-get), then POST /groups/{id}/members/$ref
 * (https://learn.microsoft.com/graph/api/group-post-members). Live, members go in `$batch`es
 * when there are several; a member is recorded only when it was added (or already was one at
 * Microsoft), and each one that failed is named.
 */
export async function groupAddMembers(s: Session, groupIn: string, emailsIn: readonly string[], how: boolean | Mode): Promise<Carried<MembersChanged>> {
  const group = v.displayName(groupIn, 'group name', 120);
  if (emailsIn.length === 0) throw new UsageError('Give one or more member emails');
  const emails = emailsIn.map((e) => v.email(e));
  return carryOut(
    s,
    async (tx) => {
      const { partner, actor, g } = await membersToAdd(tx, s, group, emails);
      const fresh = [...new Set(emails)].filter((e) => !g.members.includes(e));
      // Only a plan or a live run needs the group's object id (offline works without one).
      let made: PlannedRequest[][] | undefined;
      const planned = () => (made ??= fresh.length ? byItem(inScope(`group:${g.name.toLowerCase()}`, planAddMembers(partner.cloud, objectIdOf(g), fresh))) : []);
      const write = async (tx: Tx, added: string[], live: boolean): Promise<MembersChanged> => {
        const n = added.length ? await tx.addGroupMembers(g.name, added) : 0;
        if (n > 0) await appendAudit(tx, s.clock, { actor: actor.email, action: 'group.add-member', target: g.name, outcome: 'allowed', detail: added.join(', ') + (live ? ' (at Microsoft)' : '') });
        return { ...(await tx.getGroup(g.name))!, changed: [...new Set(added)].filter((e) => !g.members.includes(e)) };
      };
      return {
        get steps() {
          return planned();
        },
        labels: fresh,
        apply: (tx) => write(tx, emails, false),
        record: (tx, responses) => write(tx, fresh.filter((_, i) => planned()[i]!.every((r) => responses.has(r.id))), true),
      };
    },
    modeOf(how),
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

/** The partner, the acting user and the named group (exit 3 when there is no such group). */
async function existingGroup(tx: Tx, s: Session, name: string) {
  const partner = await requirePartner(tx);
  const actor = await resolveActor(tx, s);
  const g = await tx.getGroup(name);
  if (!g) throw new NotFoundError(`No security group ${name} (see \`delegate group list\`)`);
  return { partner, actor, g };
}

/**
 * Before users are added to a group (as members, or eligible for membership): the partner, the acting
 * user, who must be a global admin (4, audited), the group (3) and the users, all of them partner users (3).
 */
export async function membersToAdd(tx: Tx, s: Session, group: string, emails: readonly string[]) {
  const partner = await requirePartner(tx);
  const actor = await resolveActor(tx, s);
  may.globalAdmin(actor, 'group.add-member', group, 'change security groups');
  const g = await tx.getGroup(group);
  if (!g) throw new NotFoundError(`No security group ${group} (see \`delegate group list\`)`);
  const users = await tx.getUsers(emails);
  const unknown = emails.filter((e) => !users.has(e));
  if (unknown.length) throw new NotFoundError(`${unknown.join(', ')} ${unknown.length === 1 ? 'is not a user' : 'are not users'} of this partner`);
  return { partner, actor, g, users };
}

/**
 * Take partner users out of a group (plan and live: each user's id from
 * GET /users/{upn}, then DELETE .../members/{id}/$ref). Named users who are
 * not members are skipped and said so, so running the command again after a
 * partial live failure carries on; none a member is exit 5.
 */
export async function groupRemoveMembers(s: Session, groupIn: string, emailsIn: readonly string[], opts: { mode: Mode }): Promise<Carried<MembersChanged>> {
  const group = v.displayName(groupIn, 'group name', 120);
  if (emailsIn.length === 0) throw new UsageError('Give one or more member emails');
  const emails = [...new Set(emailsIn.map((e) => v.email(e)))];
  return carryOut(
    s,
    async (tx) => {
      const { partner, actor, g } = await existingGroup(tx, s, group);
      const users = await tx.getUsers(emails);
      const unknown = emails.filter((e) => !users.has(e));
      if (unknown.length) throw new NotFoundError(`${unknown.join(', ')} ${unknown.length === 1 ? 'is not a user' : 'are not users'} of this partner`);
      may.globalAdmin(actor, 'group.remove-member', g.name, 'change security groups');
      const gone = emails.filter((e) => g.members.includes(e));
      const skipped = emails.filter((e) => !g.members.includes(e));
      if (gone.length === 0) throw new ConflictError(`${skipped.join(', ')} ${skipped.length === 1 ? 'is not a member' : 'are not members'} of ${g.name}`);
      const write = async (tx2: Tx, done: string[], how: string): Promise<MembersChanged> => {
        if (done.length) {
          await tx2.removeGroupMembers(g.name, done);
          await appendAudit(tx2, s.clock, { actor: actor.email, action: 'group.remove-member', target: g.name, outcome: 'allowed', detail: done.join(', ') + how });
        }
        return { ...(await tx2.getGroup(g.name))!, changed: done };
      };
      const removeIds = ids('remove', gone.length);
      return withSteps(
        {
          labels: gone,
          notes: skipped.map((e) => `${e}: not a member of ${g.name}, skipped`),
          apply: (tx2) => write(tx2, gone, ''),
          // A member is recorded as gone only when Microsoft removed it.
          record: (tx2, responses) => write(tx2, gone.filter((_, i) => responses.has(removeIds[i]!)), ' (at Microsoft)'),
        },
        () => byItem(inScope(`group:${g.name.toLowerCase()}`, planRemoveMembers(partner.cloud, objectIdOf(g), gone))),
      );
    },
    opts.mode,
  );
}

/**
 * Delete a security group (plan and live: DELETE /groups/{id}; Microsoft
 * deletes a security group for good). Refused (exit 5) while it is assigned on
 * an active relationship or named in a template: those go first. Its
 * assignments on relationships that have ended go with it (the audit trail
 * keeps them).
 */
export async function groupDelete(s: Session, groupIn: string, opts: { mode: Mode }): Promise<Carried<Group>> {
  const group = v.displayName(groupIn, 'group name', 120);
  return carryOut(
    s,
    async (tx) => {
      const { partner, actor, g } = await existingGroup(tx, s, group);
      may.globalAdmin(actor, 'group.delete', g.name, 'delete security groups');
      const now = s.clock.now();
      const active: string[] = [];
      for (const a of await tx.assignmentsOfGroup(g.name)) {
        const r = await tx.getRelationship(a.relationshipId);
        if (r && relationshipState(r, now).status === 'active') active.push(`${r.clientDomain ?? r.displayName} ("${r.displayName}")`);
      }
      if (active.length) {
        throw new ConflictError(
          `Security group ${g.name} is assigned on active relationships with ${active.join(', ')}: remove ${active.length === 1 ? 'that assignment' : 'those assignments'} first with \`delegate client unassign <domain> --group ${quoteArg(g.name)}\``,
        );
      }
      const templates = (await tx.listTemplates()).filter((t) => t.assignments.some((a) => a.group.toLowerCase() === g.name.toLowerCase())).map((t) => t.name);
      if (templates.length) {
        throw new ConflictError(`Security group ${g.name} is named in template${templates.length === 1 ? '' : 's'} ${templates.join(', ')}: delete ${templates.length === 1 ? 'it' : 'them'} first (\`delegate template delete <name>\`)`);
      }
      const write = async (tx2: Tx, how: string) => {
        await tx2.deleteGroup(g.name);
        await appendAudit(tx2, s.clock, {
          actor: actor.email,
          action: 'group.delete',
          target: g.name,
          outcome: 'allowed',
          detail: `${g.members.length} member${g.members.length === 1 ? '' : 's'}${g.objectId ? `; object id ${g.objectId}` : ''}${how}`,
        });
        return g;
      };
      return withSteps(
        { apply: (tx2) => write(tx2, ''), record: async (tx2, responses) => (responses.has('group') ? write(tx2, ' (at Microsoft)') : g) },
        () => [inScope(`group:${g.name.toLowerCase()}`, [deleteGroup(partner.cloud, 'group', objectIdOf(g), g.name)])],
      );
    },
    opts.mode,
  );
}
