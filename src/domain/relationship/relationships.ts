/**
 * A client's relationships taken together: its delegated admin (DAP) relationship and any number of
 * granular (GDAP) ones, held at once (Microsoft's path from DAP to GDAP: the client approves GDAP,
 * then DAP is ended). Everything here is derived from the record and the clock.
 */
import { AUTO_EXTEND_DAYS, DAY_MS, PENDING_DAYS, addDays, durationDays } from '../core/duration.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import type { ClientRecord, ClientStatus, DapRelationship, DapStatus, Relationship, RelationshipStatus } from '../core/model.js';
import type { Tx } from '../core/store.js';

export function dapStatus(d: DapRelationship): DapStatus {
  return d.removedAt === null ? 'active' : 'removed';
}

/** The DAP relationship when it is active. */
export function activeDap(c: ClientRecord): DapRelationship | undefined {
  return c.dap && c.dap.removedAt === null ? c.dap : undefined;
}

/** The client's granular relationships that are active now. */
export function activeGdap(c: ClientRecord, now: Date): Relationship[] {
  return c.gdap.filter((r) => usable(relationshipState(r, now).status));
}

/** When a relationship that is not active stopped being so (Infinity while it is still on its way out). */
function endedAt(st: RelationshipState): number {
  return st.status === 'expired' || st.status === 'terminated' ? Date.parse(st.endsAt!) : Infinity;
}

interface Summary {
  status: ClientStatus;
  /** When the last relationship ended; null while any is active (or one is still ending). */
  removedAt: string | null;
}

/**
 * A client's status: `active` while any of its relationships is active; otherwise `removed` when
 * its last relationship (the one that ended last) was the DAP one, else its newest granular
 * relationship's Graph status (`expired`, `terminated`, ...).
 */
export function clientSummary(c: ClientRecord, now: Date): Summary {
  if (activeDap(c)) return { status: 'active', removedAt: null };
  const states = c.gdap.map((r) => relationshipState(r, now));
  if (states.some((st) => usable(st.status))) return { status: 'active', removedAt: null };
  const gdapEnd = Math.max(-Infinity, ...states.map(endedAt));
  const dapEnd = c.dap?.removedAt ? Date.parse(c.dap.removedAt) : -Infinity;
  if (c.gdap.length === 0 || dapEnd > gdapEnd) return { status: 'removed', removedAt: c.dap?.removedAt ?? null };
  const newest = states[states.length - 1]!;
  const last = Math.max(dapEnd, gdapEnd);
  return { status: newest.status, removedAt: Number.isFinite(last) ? new Date(last).toISOString() : null };
}

export function clientStatus(c: ClientRecord, now: Date): ClientStatus {
  return clientSummary(c, now).status;
}

/** The granular relationship `granular` JSON shows: the newest active one, else the newest one. */
export function featuredGdap(c: ClientRecord, now: Date): Relationship | undefined {
  const active = activeGdap(c, now);
  return active[active.length - 1] ?? c.gdap[c.gdap.length - 1];
}

/** One of the client's granular relationships, by display name (any case) or relationship id (exit 3 when it has none such). */
export function findGdap(c: ClientRecord, nameOrId: string): Relationship {
  const want = nameOrId.trim().toLowerCase();
  const r = c.gdap.find((x) => x.id.toLowerCase() === want || x.displayName.toLowerCase() === want);
  if (!r) {
    const names = c.gdap.map((x) => `"${x.displayName}"`).join(', ');
    throw new NotFoundError(`${c.domain} has no granular relationship ${JSON.stringify(nameOrId.slice(0, 60))}${names ? ` (its relationships: ${names})` : ''}`);
  }
  return r;
}

/** Several active granular relationships and none chosen: exit 2 asking for `--relationship`. */
export function chooseOne(c: ClientRecord, active: readonly Relationship[], what: string): never {
  throw new UsageError(
    `${c.domain} has ${active.length} active granular relationships (${active.map((r) => `"${r.displayName}"`).join(', ')}): name the one to ${what} with --relationship <display name>`,
  );
}

/** Every relationship of a client, DAP and granular, in the order they were accepted. */
export type AnyRelationship = { kind: 'dap'; dap: DapRelationship } | { kind: 'granular'; rel: Relationship };

export function allRelationships(c: ClientRecord): AnyRelationship[] {
  const out: (AnyRelationship & { at: string })[] = c.gdap.map((rel) => ({ kind: 'granular' as const, rel, at: rel.activatedAt ?? rel.createdAt }));
  if (c.dap) out.push({ kind: 'dap', dap: c.dap, at: c.dap.acceptedAt });
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind === 'dap' ? -1 : 1)).map(({ at: _at, ...r }) => r as AnyRelationship);
}

export interface RelationshipState {
  status: RelationshipStatus;
  /** The current end, after any auto-extensions up to now. */
  endsAt: string | null;
}

/**
 * Active in Graph's meaning, and only that: `expiring` is "The relationship has passed its expiration
 * date" (https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship,
 * "delegatedAdminRelationshipStatus values"), a relationship on its way out, like `terminating`: no
 * access is counted through it (SPEC.md "Access: who can do what, and why not").
 */
export function usable(status: RelationshipStatus): boolean {
  return status === 'active';
}

/** Graph's statuses that say more than the ledger's three, by the ledger status they are stored under (also in the store's offer lines, offer-lines.ts). */
export const FINER: Record<Relationship['status'], readonly string[]> = {
  approvalPending: ['created', 'approvalPending', 'approved', 'activating'],
  active: ['expiring'],
  terminated: ['terminationRequested', 'terminating'],
};

/**
 * The relationship as of `now`: a pending offer expires 90 days after it was
 * made; an active one expires when endsAt passes, unless auto-extend adds
 * 180 days (as often as needed to reach now). Where Microsoft last reported a
 * finer status of the same state (`created`, `approved`, `activating`,
 * `expiring`, `terminationRequested`, `terminating`), that is the status shown
 * (Graph's statuses with Graph's meanings:
 * https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship).
 */
export function relationshipState(r: Relationship, now: Date): RelationshipState {
  const t = now.getTime();
  const finer = (computed: RelationshipStatus): RelationshipStatus =>
    r.msStatus && FINER[r.status].includes(r.msStatus) ? (r.msStatus as RelationshipStatus) : computed;
  if (r.status === 'terminated') return { status: finer('terminated'), endsAt: r.terminatedAt ?? r.endsAt };
  if (r.status === 'approvalPending') {
    return t >= Date.parse(r.createdAt) + PENDING_DAYS * DAY_MS ? { status: 'expired', endsAt: null } : { status: finer('approvalPending'), endsAt: null };
  }
  let ends = Date.parse(r.endsAt!);
  if (t >= ends && r.autoExtendDuration === 'P180D') {
    const periods = Math.floor((t - ends) / (AUTO_EXTEND_DAYS * DAY_MS)) + 1;
    ends += periods * AUTO_EXTEND_DAYS * DAY_MS;
  }
  return t >= ends ? { status: 'expired', endsAt: new Date(ends).toISOString() } : { status: finer('active'), endsAt: new Date(ends).toISOString() };
}

/** Can a client accept this granular offer now? (exit 5 when used up or expired) */
export function checkAcceptable(r: Relationship, now: Date): void {
  const st = relationshipState(r, now);
  if (r.clientDomain || usable(st.status)) {
    throw new ConflictError(`Granular offer "${r.displayName}" was already accepted by ${r.clientDomain ?? 'a client'}: each granular relationship is for one client`);
  }
  if (st.status === 'expired') throw new ConflictError(`Granular offer "${r.displayName}" expired: nobody accepted it within ${PENDING_DAYS} days`);
  if (st.status === 'terminated') throw new ConflictError(`Granular offer "${r.displayName}" was withdrawn and can no longer be accepted`);
}

export function activate(r: Relationship, clientDomain: string, at: string): Relationship {
  return { ...r, status: 'active', activatedAt: at, endsAt: addDays(at, durationDays(r.duration)), clientDomain };
}

/** A client that has granular relationships (exit 3 when there is no such client, 5 when it has none). */
export async function granularClient(tx: Tx, domain: string): Promise<ClientRecord> {
  const c = await tx.getClient(domain);
  if (!c) throw new NotFoundError(`No client ${domain} (see \`delegate client list\`)`);
  if (c.gdap.length === 0) throw new ConflictError(`${domain} has only the delegated admin (DAP) relationship, not a granular one`);
  return c;
}

/** Relationships with a client and the choice of one (`--relationship <display name|id>`). */
export function pick(c: ClientRecord, now: Date, relationship: string | undefined): { chosen?: Relationship; active: Relationship[] } {
  return { chosen: relationship === undefined ? undefined : findGdap(c, relationship), active: activeGdap(c, now) };
}

export function notActive(c: ClientRecord, r: Relationship, now: Date): ConflictError {
  return new ConflictError(`The granular relationship "${r.displayName}" with ${c.domain} is ${relationshipState(r, now).status}, not active`);
}

/** No active granular relationship: names the newest one and its status (`already` for terminate, `not active` for the rest). */
export function noneActive(c: ClientRecord, now: Date, terminating = false): ConflictError {
  const newest = c.gdap[c.gdap.length - 1];
  if (!newest) return new ConflictError(`${c.domain} has no granular relationship (its client status is ${clientStatus(c, now)})`);
  const st = relationshipState(newest, now).status;
  return new ConflictError(`${c.domain} has no active granular relationship: the newest, "${newest.displayName}", is ${terminating ? `already ${st}` : `${st}, not active`}`);
}

export function replaceGdap(c: ClientRecord, changed: readonly Relationship[]): ClientRecord {
  const byId = new Map(changed.map((r) => [r.id, r]));
  return { ...c, gdap: c.gdap.map((r) => byId.get(r.id) ?? r) };
}

/** A client's active granular relationships whose current end is within `days` days, soonest first. */
export function expiringGdap(c: ClientRecord, now: Date, days: number): { rel: Relationship; endsAt: string }[] {
  const limit = now.getTime() + days * DAY_MS;
  const out: { rel: Relationship; endsAt: string }[] = [];
  for (const rel of c.gdap) {
    const st = relationshipState(rel, now);
    if (usable(st.status) && Date.parse(st.endsAt!) <= limit) out.push({ rel, endsAt: st.endsAt! });
  }
  return out.sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt));
}

/** Clients with an active granular relationship whose current end is within `days` days (`--expiring`, not Graph's `expiring` status). */
export function expiring(clients: readonly ClientRecord[], now: Date, days: number): ClientRecord[] {
  return clients.filter((c) => expiringGdap(c, now, days).length > 0);
}
