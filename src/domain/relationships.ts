/**
 * A client's relationships taken together: its delegated admin (DAP) relationship and any number of
 * granular (GDAP) ones, held at once (Microsoft's path from DAP to GDAP: the client approves GDAP,
 * then DAP is ended). Everything here is derived from the record and the clock.
 */
import { relationshipState, type RelationshipState } from './granular.js';
import type { ClientRecord, ClientStatus, DapRelationship, DapStatus, Relationship } from './model.js';
import { UsageError, NotFoundError } from './errors.js';

export function dapStatus(d: DapRelationship): DapStatus {
  return d.removedAt === null ? 'active' : 'removed';
}

/** The DAP relationship when it is active. */
export function activeDap(c: ClientRecord): DapRelationship | undefined {
  return c.dap && c.dap.removedAt === null ? c.dap : undefined;
}

/** The client's granular relationships that are active now. */
export function activeGdap(c: ClientRecord, now: Date): Relationship[] {
  return c.gdap.filter((r) => relationshipState(r, now).status === 'active');
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
  if (states.some((st) => st.status === 'active')) return { status: 'active', removedAt: null };
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

/** A relationship in words, for messages. */
export function relationshipWords(r: Relationship): string {
  return `granular relationship "${r.displayName}"`;
}

/** Every relationship of a client, DAP and granular, in the order they were accepted. */
export type AnyRelationship = { kind: 'dap'; dap: DapRelationship } | { kind: 'granular'; rel: Relationship };

export function allRelationships(c: ClientRecord): AnyRelationship[] {
  const out: (AnyRelationship & { at: string })[] = c.gdap.map((rel) => ({ kind: 'granular' as const, rel, at: rel.activatedAt ?? rel.createdAt }));
  if (c.dap) out.push({ kind: 'dap', dap: c.dap, at: c.dap.acceptedAt });
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind === 'dap' ? -1 : 1)).map(({ at: _at, ...r }) => r as AnyRelationship);
}
