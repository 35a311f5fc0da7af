/**
 * `access why <user> <client> [--action] [--live]`: every path from a partner user to a client, the
 * one that holds or each up to its first broken link with the command that mends it (paths.ts).
 * Live, what Microsoft holds now replaces the ledger's record for what was read: the relationships
 * Microsoft knows (the ledger has its status for them), their access assignments, and the members
 * of the groups whose object ids the ledger knows.
 */
import { NotFoundError } from '../core/errors.js';
import type { AccessAssignment, ClientRecord, Group, PartnerUser } from '../core/model.js';
import type { AccessReads, Membership } from '../core/access-store.js';
import { clientKey, requirePartner, type Session } from '../core/session.js';
import * as v from '../core/validate.js';
import { membershipsAt, paths, type AccessAction, type Facts, type Path } from './paths.js';

export interface Why {
  user: string;
  client: string;
  action: AccessAction;
  holds: boolean;
  paths: Path[];
}

/** What a live read answers (microsoft/access.ts). */
export interface LiveAccessRead {
  relationships: Map<string, string>;
  assignments: Map<string, { groupId: string; roles: string[]; status: string }[]>;
  members: Map<string, Set<string>>;
}
export type ReadLive = (relationshipIds: string[], groupIds: string[]) => Promise<LiveAccessRead>;

interface Ledger {
  user: PartnerUser;
  client: ClientRecord;
  memberships: Membership[];
  reads: AccessReads;
  groups: Group[];
}

export async function accessWhy(s: Session, userIn: string, clientIn: string, action: AccessAction, live?: ReadLive): Promise<Why> {
  const email = v.email(userIn, 'user');
  const ref = v.clientRef(clientIn);
  const l: Ledger = await s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const user = await tx.getUser(email);
    if (!user) throw new NotFoundError(`No partner user ${email} (see \`delegate user list\`)`);
    const domain = await clientKey(tx, ref);
    const client = await tx.getClient(domain);
    if (!client) throw new NotFoundError(`${domain} is not a client of ${partner.name} (see \`delegate client list\`)`);
    const memberships = membershipsAt(await tx.access.memberships(user.email), s.clock.now());
    const reads = await tx.access.reads(client.gdap.map((r) => r.id), [client.domain]);
    return { user, client, memberships, reads, groups: live ? await tx.listGroups() : [] };
  });
  const now = s.clock.now();
  let facts: Facts = {
    user: l.user,
    client: l.client,
    memberships: l.memberships,
    assignments: l.reads.assignments,
    assignmentsReadAt: l.reads.assignmentsReadAt,
    dapReadAt: l.reads.dapReadAt.get(l.client.domain) ?? null,
    now,
  };
  if (live) facts = await withLive(facts, l, live, now);
  const found = paths(facts, action);
  return { user: l.user.email, client: l.client.domain, action, holds: found.some((p) => p.holds), paths: found };
}

/** The facts with what Microsoft answered now in place of the ledger's record of it. */
async function withLive(f: Facts, l: Ledger, read: ReadLive, now: Date): Promise<Facts> {
  // Only relationships Microsoft has reported (a draft made offline is not there yet).
  const relIds = l.client.gdap.filter((r) => r.msStatus).map((r) => r.id);
  const known = l.groups.filter((g) => g.objectId);
  const answer = await read(relIds, known.map((g) => g.objectId!));
  const readAt = now.toISOString();
  const byObjectId = new Map(known.map((g) => [g.objectId!.toLowerCase(), g.name]));
  const assignments: AccessAssignment[] = f.assignments.filter((a) => !answer.assignments.has(a.relationshipId));
  for (const [relationshipId, list] of answer.assignments) {
    for (const a of list) {
      assignments.push({ relationshipId, group: byObjectId.get(a.groupId) ?? `${a.groupId} (a group the ledger does not know)`, roles: a.roles, createdAt: readAt, status: a.status });
    }
  }
  const membersRead = new Set<string>();
  // Eligible and activated memberships (PIM) stay as the ledger records them; direct ones are Microsoft's now.
  const memberships: Membership[] = f.memberships.filter((m) => m.kind !== 'direct' || !known.some((g) => g.name.toLowerCase() === m.group.toLowerCase()));
  for (const g of known) {
    membersRead.add(g.name.toLowerCase());
    if (answer.members.get(g.objectId!.toLowerCase())?.has(l.user.email.toLowerCase())) memberships.push({ group: g.name, email: l.user.email, kind: 'direct', activeUntil: null });
  }
  const assignmentsReadAt = new Map(f.assignmentsReadAt);
  for (const id of answer.assignments.keys()) assignmentsReadAt.set(id, readAt);
  return { ...f, assignments, memberships, assignmentsReadAt, live: { readAt, relationshipStatus: answer.relationships, membersRead } };
}
