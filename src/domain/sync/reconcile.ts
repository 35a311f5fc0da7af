/**
 * `delegate sync`'s reconcile: the staged answers (stage.ts) become ledger changes, a chunk at a time
 * (SPEC.md "Sync at partner scale"): each chunk is one short write transaction with its own `sync`
 * audit entry when it changed anything, and a last entry gives the totals; a relationship and its
 * template assignments share a chunk. Lookups are by key (indexed), so N customers cost O(N), and
 * only a chunk is held at a time. A record written after its read was requested (an audit entry on
 * it newer than the read's) keeps the ledger's value and is listed as kept (`keptNewer`).
 * With `dryRun` everything runs in one read transaction and nothing is written.
 *
 * Rules (docs/live-mode.md "First sync"):
 * - A Microsoft relationship is the ledger's when it has the same id, else the same display name
 *   ("must be unique across all delegated admin relationships of the partner",
 *   https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship): a draft id made
 *   offline is replaced with Microsoft's. One the ledger lacks is added, with an offer record
 *   `createdBy` the acting user (every relationship in the ledger belongs to an offer).
 * - Its customer (`customer.tenantId`) is the client, matched by tenant id; a new client's key is
 *   its `defaultDomainName` in GET /contracts, else its tenant id (and its name the customer's
 *   display name) until a domain is known.
 * - Ledger relationships Microsoft does not list are kept as they are and listed as
 *   `notAtMicrosoft` (an offline draft never sent stays a draft), except one Microsoft had as
 *   `created` (a relationship not yet sent for approval can be deleted:
 *   https://learn.microsoft.com/graph/api/delegatedadminrelationship-delete): it is recorded
 *   `deletedAtMicrosoft` and ends.
 */
import type { StagedItem, Tx } from '../core/store.js';
import { appendAudit } from '../core/audit.js';
import type { Partner } from '../core/model.js';
import { requirePartner, resolveActor, may, writeAudited, nowIso, type Session } from '../core/session.js';
import type { Stage } from './stage.js';
import type { SyncChange, SyncPart, SyncResult } from './types.js';
import { relationshipChunk, type ChunkContext } from './reconcile-relationships.js';
import { clientChunk, usersPart } from './reconcile-clients.js';

/**
 * Items the first chunk reconciles. Later chunks are sized to take about CHUNK_MS each (between
 * CHUNK_MIN and CHUNK_MAX items): large enough that a chunk's writes share the pages they touch
 * (a ledger of 20,000 costs per customer what one of 2,000 does), short enough that a command
 * waiting for the store waits well under a second.
 */
export const CHUNK = 500;
const CHUNK_MS = 250;
const CHUNK_MIN = 100;
const CHUNK_MAX = 5000;

export interface Progress {
  phase: 'relationships' | 'clients' | 'users';
  done: number;
  total: number;
}

/**
 * Before anything is sent: the partner exists (3) and the actor may sync (4, audited once).
 * Returns what the reads need from the partner.
 */
export async function prepareSync(s: Session): Promise<Pick<Partner, 'cloud' | 'adminAgentsGroupId' | 'helpdeskAgentsGroupId'>> {
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    may.fullOrGlobalAdmin(await resolveActor(tx, s), 'sync', partner.tenantId, 'sync the ledger with Microsoft');
    return { cloud: partner.cloud, adminAgentsGroupId: partner.adminAgentsGroupId ?? null, helpdeskAgentsGroupId: partner.helpdeskAgentsGroupId ?? null };
  });
}

/** Reconcile everything staged for `parts`. */
export async function reconcile(
  s: Session,
  stage: Stage,
  o: {
    dryRun: boolean;
    parts: readonly SyncPart[];
    notes?: string[];
    onProgress?: (p: Progress) => void;
    /** Each chunk's changes once it is committed (then the result's `changes` stays empty: memory stays bounded). */
    onChanges?: (changes: SyncChange[]) => Promise<void>;
    between?: () => Promise<void>;
    chunk?: number;
  },
): Promise<SyncResult> {
  let size = o.chunk ?? CHUNK;
  /** The next chunk's size from how long this one took (a fixed size when the caller set one). */
  const resize = (took: number, n: number) => {
    if (o.chunk !== undefined || n < size) return;
    size = Math.round(Math.min(CHUNK_MAX, Math.max(CHUNK_MIN, (n * CHUNK_MS) / Math.max(took, 1))));
  };
  const out: SyncResult = { dryRun: o.dryRun, changes: [], notAtMicrosoft: [], deletedAtMicrosoft: [], keptNewer: [], unknownMembers: [], activations: [], notes: [...(o.notes ?? [])], counts: { added: 0, changed: 0, ended: 0 } };
  const { partner, actor } = await s.store.read(async (tx) => ({ partner: await requirePartner(tx), actor: await resolveActor(tx, s) }));
  may.fullOrGlobalAdmin(actor, 'sync', partner.tenantId, 'sync the ledger with Microsoft');
  const ctx: ChunkContext = {
    s,
    at: nowIso(s),
    actor: actor.email,
    dryRun: o.dryRun,
    out,
    own: new Set(),
    made: new Map(),
    seen: new Set(),
    importOffer: null,
    groupByObjectId: new Map(),
  };
  // One dry run is one read transaction; a real sync commits a chunk at a time.
  let dryTx: Tx | undefined;
  // `out.changes` holds the chunk at work; a committed chunk's go to onChanges, else are kept here.
  const kept: SyncChange[] = [];
  const inTx = async <T>(label: string, f: (tx: Tx) => Promise<T>): Promise<T> => {
    const r = dryTx
      ? await f(dryTx)
      : await s.store.write(async (tx) => {
          // A transaction run again (a deadlock on a team store) starts its chunk's changes over.
          out.changes.length = 0;
          const result = await f(tx);
          if (out.changes.length > 0) {
            const n = countOf(out.changes);
            const e = await appendAudit(tx, s.clock, { actor: actor.email, action: 'sync', target: partner.tenantId, outcome: 'allowed', detail: `${label}: ${n.added} added, ${n.changed} changed, ${n.ended} ended` });
            ctx.own.add(e.seq);
          }
          return result;
        });
    const mine = out.changes.splice(0);
    const n = countOf(mine);
    for (const k of ['added', 'changed', 'ended'] as const) out.counts[k] += n[k];
    if (o.onChanges) await o.onChanges(mine);
    else kept.push(...mine);
    return r;
  };
  const groups = await s.store.read((tx) => tx.listGroups());
  ctx.groupByObjectId = new Map(groups.filter((g) => g.objectId).map((g) => [g.objectId!.toLowerCase(), g.name]));
  /**
   * Every staged item of a kind, a chunk at a time: what the chunk needs from the stage is read before
   * its transaction (`prefetch`), the chunk is written in one (`run`), and the next chunk is sized by
   * how long this one took.
   */
  const chunks = async <P>(kind: 'relationship' | 'contract', phase: Progress['phase'], noun: string, prefetch: (items: StagedItem[]) => Promise<P>, run: (tx: Tx, items: StagedItem[], pre: P) => Promise<void>) => {
    const total = await stage.count(kind);
    let done = 0;
    for (let after = ''; ; ) {
      const items = await stage.after(kind, after, size);
      if (items.length === 0) return;
      const pre = await prefetch(items);
      const t = performance.now();
      await inTx(`${noun} ${done + 1}-${done + items.length} of ${total}`, (tx) => run(tx, items, pre));
      resize(performance.now() - t, items.length);
      done += items.length;
      after = items[items.length - 1]!.key;
      o.onProgress?.({ phase, done, total });
      await o.between?.();
    }
  };
  const body = async () => {
    if (o.parts.includes('relationships')) {
      await chunks('relationship', 'relationships', 'relationships', (items) => relationshipChunk.prefetch(stage, items), (tx, items, pre) => relationshipChunk.run(tx, ctx, items, pre));
      await inTx('relationships Microsoft no longer lists', (tx) => relationshipChunk.absent(tx, ctx, size));
    }
    if (o.parts.includes('clients')) {
      await chunks('contract', 'clients', 'customers', (items) => stage.get('dap', items.map((i) => i.key)), (tx, items, dap) => clientChunk(tx, ctx, items, dap));
    }
    if (o.parts.includes('users')) {
      const agents = (await stage.get('agents', ['agents'])).get('agents');
      if (agents) await inTx('agent groups', (tx) => usersPart(tx, ctx, partner, agents));
      o.onProgress?.({ phase: 'users', done: 1, total: 1 });
    }
  };
  if (o.dryRun) {
    await s.store.read(async (tx) => {
      dryTx = tx;
      await body();
    });
  } else {
    await body();
  }
  out.changes = kept;
  if (!o.dryRun) {
    const n = out.counts;
    const kept = out.keptNewer.length ? `; ${out.keptNewer.length} kept (written after their read)` : '';
    await s.store.write((tx) =>
      appendAudit(tx, s.clock, { actor: actor.email, action: 'sync', target: partner.tenantId, outcome: 'allowed', detail: `${n.added} added, ${n.changed} changed, ${n.ended} ended (${o.parts.join(', ')})${kept}` }),
    );
  }
  return out;
}

function countOf(changes: readonly SyncChange[]): SyncResult['counts'] {
  const n = { added: 0, changed: 0, ended: 0 };
  for (const c of changes) n[c.kind]++;
  return n;
}
