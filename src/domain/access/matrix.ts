/**
 * `access show`: who holds which role in which client, and how (SPEC.md "Access: who can do what,
 * and why not"). One row per (user, client, role): through a security group assigned on an active
 * granular relationship (the assignment active, or the ledger's own record), or through DAP (full =
 * the client's Global Administrator, limited = its Helpdesk Administrator; see acting/permissions.ts).
 * Eligible memberships are shown (membership `eligible`): they hold once activated.
 * Read a chunk of clients at a time with set-based reads (Tx.access.reads), never a query per client.
 */
import { NotFoundError } from '../core/errors.js';
import type { AccessAssignment, ClientRecord, Partner, PartnerUser } from '../core/model.js';
import type { Tx } from '../core/store.js';
import type { AccessReads, Membership, MembershipKind } from '../core/access-store.js';
import { clientKey, requirePartner, type Session } from '../core/session.js';
import { GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR, roleName } from '../relationship/roles.js';
import { relationshipState } from '../relationship/relationships.js';
import { holdingAssignment, holdingRelationship, membershipsAt } from './paths.js';
import { storedStatus } from '../relationship/microsoft.js';
import { UsageError } from '../core/errors.js';
import * as v from '../core/validate.js';
import type { ReadLive } from './why.js';

/** A row, in the shape and key order of its JSON (SPEC.md): role and via objects are shared between rows. */
export interface AccessRow {
  user: string;
  client: string;
  role: { id: string; name: string };
  via: { kind: 'group'; group: string; relationshipId: string } | { kind: 'dap' };
  /** The relationship's current end (after auto-extensions); null for DAP, which has none. */
  endsAt: string | null;
  membership: MembershipKind;
  /** An activated membership's end; undefined otherwise (left out of the JSON). */
  activeUntil: string | undefined;
  /** When Microsoft's state was last read (sync), else when the ledger was read. */
  readAt: string;
}

const ROLE_OBJECTS = new Map<string, { id: string; name: string }>();
const roleObject = (id: string) => {
  let r = ROLE_OBJECTS.get(id);
  if (!r) ROLE_OBJECTS.set(id, (r = { id, name: roleName(id) }));
  return r;
};
const DAP_VIA = { kind: 'dap' } as const;

/** By user, then role name; for one user and role, a holding membership before an eligible one. */
function byUserRole(a: AccessRow, b: AccessRow): number {
  if (a.user !== b.user) return a.user < b.user ? -1 : 1;
  if (a.role !== b.role) return a.role.name < b.role.name ? -1 : a.role.name > b.role.name ? 1 : a.role.id < b.role.id ? -1 : 1;
  return Number(a.membership === 'eligible') - Number(b.membership === 'eligible');
}

/** What the rows of a chunk of clients are made from, besides the clients. */
export interface MatrixInput {
  /** Memberships by lower-case group name. */
  members: ReadonlyMap<string, readonly Membership[]>;
  /** Users with admin access (DAP), when the scope holds any. */
  agents: readonly Pick<PartnerUser, 'email' | 'adminAccess'>[];
  now: Date;
}

const DAP_ROLE = { full: GLOBAL_ADMINISTRATOR, limited: HELPDESK_ADMINISTRATOR } as const;

/** The rows of one chunk of clients, client by client, each client's by user then role. */
export function matrixRows(clients: readonly ClientRecord[], reads: AccessReads, input: MatrixInput): AccessRow[] {
  const nowIso = input.now.toISOString();
  const byRel = new Map<string, AccessAssignment[]>();
  for (const a of reads.assignments) {
    const list = byRel.get(a.relationshipId);
    if (list) list.push(a);
    else byRel.set(a.relationshipId, [a]);
  }
  const out: AccessRow[] = [];
  const rows: AccessRow[] = [];
  for (const c of clients) {
    rows.length = 0;
    for (const rel of c.gdap) {
      // Holding only while Graph's status is `active` (paths.ts holdingRelationship).
      const st = relationshipState(rel, input.now);
      if (st.status !== 'active') continue;
      const endsAt = st.endsAt;
      const readAt = reads.assignmentsReadAt.get(rel.id) ?? nowIso;
      for (const a of byRel.get(rel.id) ?? []) {
        if (!holdingAssignment(a)) continue;
        const members = input.members.get(a.group.toLowerCase());
        if (!members) continue;
        const via = { kind: 'group' as const, group: a.group, relationshipId: rel.id };
        const roles = a.roles.filter((id) => rel.roles.includes(id)).map(roleObject);
        for (const m of members) {
          const activeUntil = m.activeUntil ?? undefined;
          for (const role of roles) rows.push({ user: m.email, client: c.domain, role, via, endsAt, membership: m.kind, activeUntil, readAt });
        }
      }
    }
    if (c.dap && c.dap.removedAt === null) {
      const readAt = reads.dapReadAt.get(c.domain) ?? nowIso;
      for (const u of input.agents) {
        if (u.adminAccess === 'none') continue;
        rows.push({ user: u.email, client: c.domain, role: roleObject(DAP_ROLE[u.adminAccess]), via: DAP_VIA, endsAt: null, membership: 'direct', activeUntil: undefined, readAt });
      }
    }
    if (rows.length > 1) rows.sort(byUserRole);
    // One row per (user, client, role): the first of each, a holding membership when there is one.
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const prev = i > 0 ? rows[i - 1]! : undefined;
      if (prev && prev.user === r.user && prev.role === r.role) continue;
      out.push(r);
    }
  }
  return out;
}

export interface ShowScope {
  user?: string;
  clients?: readonly string[];
}

/** What a report about the matrix names besides its rows (the HTML page). */
export interface ShowHead {
  partner: Partner;
  now: Date;
  /** The audit chain's head, `seq:hash`, or null on an empty chain. */
  auditHead: string | null;
}

const CHUNK = 200;
/** `access show --live` reads Microsoft for each client: above this many, the clients must be named (SPEC.md). */
export const LIVE_MAX_CLIENTS = 50;

/**
 * The matrix in chunks of clients, in one read transaction: `onHead` first (partner, time, audit
 * head), then `fn` with each chunk's rows and its clients. Unknown user or client: exit 3.
 */
export async function eachAccessChunk(
  s: Session,
  scope: ShowScope,
  fn: (rows: AccessRow[], clients: readonly ClientRecord[]) => void | Promise<void>,
  onHead?: (head: ShowHead) => void | Promise<void>,
  live?: ReadLive,
): Promise<void> {
  const email = scope.user === undefined ? undefined : v.email(scope.user, 'user');
  await s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const now = s.clock.now();
    let agents: Pick<PartnerUser, 'email' | 'adminAccess'>[];
    if (email !== undefined) {
      const u = await tx.getUser(email);
      if (!u) throw new NotFoundError(`No partner user ${email} (see \`delegate user list\`)`);
      agents = [u];
    } else {
      agents = (await tx.listUsers({})).filter((u) => u.adminAccess !== 'none');
    }
    const members = new Map<string, Membership[]>();
    for (const m of membershipsAt(await tx.access.memberships(agents.length === 1 && email !== undefined ? agents[0]!.email : undefined), now)) {
      const k = m.group.toLowerCase();
      const list = members.get(k);
      if (list) list.push(m);
      else members.set(k, [m]);
    }
    let named: ClientRecord[] | undefined;
    if (scope.clients) named = await namedClients(tx, scope.clients);
    else if (live) {
      let n = 0;
      for await (const chunk of tx.clientChunks({}, LIVE_MAX_CLIENTS + 1)) {
        n = chunk.length;
        break;
      }
      if (n > LIVE_MAX_CLIENTS) throw new UsageError(`access show --live reads Microsoft for each client: name at most ${LIVE_MAX_CLIENTS} with --client (this ledger has more)`);
    }
    const input: MatrixInput = { members, agents, now };
    const last = await tx.lastAudit();
    await onHead?.({ partner, now, auditHead: last ? `${last.seq}:${last.hash}` : null });
    const withLive = live ? liveReader(tx, live, input, email, now) : undefined;
    const each = async (chunkIn: readonly ClientRecord[]) => {
      if (withLive) {
        const { chunk, reads } = await withLive(chunkIn);
        await fn(matrixRows(chunk, reads, input), chunk);
        return;
      }
      const relIds = chunkIn.flatMap((c) => c.gdap.filter((r) => holdingRelationship(r, now)).map((r) => r.id));
      const reads = await tx.access.reads(relIds, chunkIn.map((c) => c.domain));
      await fn(matrixRows(chunkIn, reads, input), chunkIn);
    };
    if (named) {
      for (let i = 0; i < named.length; i += CHUNK) await each(named.slice(i, i + CHUNK));
      return;
    }
    for await (const chunk of tx.clientChunks({}, CHUNK)) await each(chunk);
  });
}

/**
 * `--live`: each chunk's relationships (those Microsoft has reported), their access assignments in
 * every status and, once, the direct members of the groups the ledger knows by object id, read from
 * Microsoft now in place of the ledger's record of them (as `access why --live` does; PIM
 * eligibilities and activations stay as the ledger records them).
 */
function liveReader(tx: Tx, read: ReadLive, input: MatrixInput, email: string | undefined, now: Date) {
  const readAt = now.toISOString();
  let groups: Map<string, string> | undefined;
  return async (chunkIn: readonly ClientRecord[]): Promise<{ chunk: ClientRecord[]; reads: AccessReads }> => {
    const first = groups === undefined;
    groups ??= new Map((await tx.listGroups()).filter((g) => g.objectId).map((g) => [g.objectId!.toLowerCase(), g.name]));
    const relIds = chunkIn.flatMap((c) => c.gdap.filter((r) => r.msStatus).map((r) => r.id));
    const answer = await read(relIds, first ? [...groups.keys()] : []);
    if (first) {
      const members = input.members as Map<string, Membership[]>;
      for (const [objectId, name] of groups) {
        const k = name.toLowerCase();
        const atMicrosoft = [...(answer.members.get(objectId) ?? [])].filter((m) => email === undefined || m === email.toLowerCase());
        members.set(k, [...(members.get(k) ?? []).filter((m) => m.kind !== 'direct'), ...atMicrosoft.map((m): Membership => ({ group: name, email: m, kind: 'direct', activeUntil: null }))]);
      }
    }
    const chunk = chunkIn.map((c) => ({
      ...c,
      gdap: c.gdap.map((r) => {
        const status = answer.relationships.get(r.id);
        return status === undefined ? r : { ...r, status: storedStatus(status), msStatus: status };
      }),
    }));
    const ledger = await tx.access.reads(
      chunk.flatMap((c) => c.gdap.map((r) => r.id)),
      chunk.map((c) => c.domain),
    );
    const assignments: AccessAssignment[] = ledger.assignments.filter((a) => !answer.assignments.has(a.relationshipId));
    for (const [relationshipId, list] of answer.assignments) {
      for (const a of list) assignments.push({ relationshipId, group: groups.get(a.groupId) ?? `${a.groupId} (a group the ledger does not know)`, roles: a.roles, createdAt: readAt, status: a.status });
    }
    const assignmentsReadAt = new Map(ledger.assignmentsReadAt);
    for (const id of answer.assignments.keys()) assignmentsReadAt.set(id, readAt);
    return { chunk, reads: { ...ledger, assignments, assignmentsReadAt } };
  };
}

/** The clients named (domain or tenant id), in the order given, each once; one not found: exit 3. */
export async function namedClients(tx: Tx, refs: readonly string[]): Promise<ClientRecord[]> {
  const keys: string[] = [];
  for (const r of refs) {
    const k = await clientKey(tx, v.clientRef(r));
    if (!keys.includes(k)) keys.push(k);
  }
  const found = await tx.getClients(keys);
  const missing = keys.filter((k) => !found.has(k));
  if (missing.length) throw new NotFoundError(`${missing.join(', ')} ${missing.length === 1 ? 'is not a client' : 'are not clients'} (see \`delegate client list\`)`);
  return keys.map((k) => found.get(k)!);
}
