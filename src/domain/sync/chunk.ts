/**
 * What every chunk of a sync's reconcile shares (reconcile.ts): the run's context, finding or
 * making a customer's client, and the keptNewer rule.
 */
import type { Tx } from '../core/store.js';
import type { ClientRecord, OfferRecord } from '../core/model.js';
import type { Session } from '../core/session.js';
import type { MsContract, SyncChange, SyncResult } from './types.js';

export interface ChunkContext {
  s: Session;
  at: string;
  actor: string;
  dryRun: boolean;
  out: SyncResult;
  /** Audit entries this sync wrote (they do not make a record newer than its read). */
  own: Set<number>;
  /** Clients made by this run, by tenant id, when a dry run cannot read them back (a real run clears it a chunk at a time). */
  made: Map<string, ClientRecord>;
  /** Ledger relationships Microsoft listed (their ids after this sync). */
  seen: Set<string>;
  /** The offer record DAP customers imported by this run are recorded against (made with the first). */
  importOffer: OfferRecord | null;
  groupByObjectId: Map<string, string>;
}

export function change(ctx: ChunkContext, c: SyncChange): void {
  ctx.out.changes.push(c);
}

/** Run a write unless this is a dry run. */
export async function write(ctx: ChunkContext, f: () => Promise<unknown>): Promise<void> {
  if (!ctx.dryRun) await f();
}

/**
 * The newest audit entry (not this sync's) on each target written after `since`: a record whose
 * target is among them, with an entry newer than its read, keeps the ledger's value.
 */
export async function newerWrites(tx: Tx, ctx: ChunkContext, since: number): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const e of await tx.sync.auditTargetsSince(since)) {
    if (ctx.own.has(e.seq)) continue;
    m.set(e.target, Math.max(m.get(e.target) ?? 0, e.seq));
    // An entry on "<domain>/<something>" (a client's user, domain, group) is a write on the client too.
    const slash = e.target.indexOf('/');
    if (slash > 0) m.set(e.target.slice(0, slash), Math.max(m.get(e.target.slice(0, slash)) ?? 0, e.seq));
  }
  return m;
}

export function writtenAfter(newer: Map<string, number>, seq: number, keys: readonly (string | null | undefined)[]): boolean {
  return keys.some((k) => k != null && (newer.get(k.toLowerCase()) ?? 0) > seq);
}

/** The client of a customer (by tenant id), made when the ledger lacks it. */
export async function clientFor(
  tx: Tx,
  ctx: ChunkContext,
  tenantId: string,
  contract: MsContract | undefined,
  fallbackName: string | null | undefined,
  offerId: string,
  acceptedAt: string,
  dap: boolean,
): Promise<{ client: ClientRecord; added: boolean }> {
  const key = tenantId.toLowerCase();
  const known = ctx.made.get(key) ?? (await tx.clientByTenant(key));
  if (known) return { client: known, added: false };
  let domain = contract?.defaultDomainName?.toLowerCase() || key;
  let byDomain = await tx.getClient(domain);
  // A ledger client under that domain with another tenant id is another organization: this one goes under its tenant id.
  if (byDomain?.tenantId && byDomain.tenantId.toLowerCase() !== key) {
    domain = key;
    byDomain = await tx.getClient(domain);
  }
  const c: ClientRecord = byDomain
    ? { ...byDomain, tenantId: key }
    : {
        domain,
        name: contract?.displayName || fallbackName || domain,
        tenantId: key,
        offerId,
        acceptedAt,
        dap: dap ? { offerId, acceptedAt, removedAt: null } : null,
        gdap: [],
      };
  ctx.made.set(key, c);
  await write(ctx, () => tx.upsertClient(c));
  if (!byDomain) {
    await write(ctx, () => tx.recordAcceptance({ offerId, clientDomain: domain, at: acceptedAt, recordedBy: ctx.actor }));
    const why = dap ? ' (delegated admin (DAP) at Partner Center: imported)' : '';
    change(ctx, { kind: 'added', what: 'client', target: domain, detail: domain === key ? `${c.name} (no domain in GET /contracts: recorded under its tenant id)${why}` : `${c.name}${why}` });
  } else if (!byDomain.tenantId) change(ctx, { kind: 'changed', what: 'client', target: domain, detail: `tenant id ${key}` });
  return { client: c, added: !byDomain };
}
