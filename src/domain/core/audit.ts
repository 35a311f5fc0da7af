/**
 * The tamper-evident audit trail. Each entry's hash is SHA-256 over the
 * previous hash (64 zeros for the first), a newline, and
 * JSON.stringify([seq, at, actor, action, target, outcome, detail]).
 */
import { createHash } from './crypto.js';
import type { Tx } from './store.js';
import type { Clock } from './clock.js';
import { UsageError } from './errors.js';
import type { AuditEntry } from './model.js';

export const GENESIS_HASH = '0'.repeat(64);

export function auditHash(prevHash: string, e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256')
    .update(prevHash + '\n' + JSON.stringify([e.seq, e.at, e.actor, e.action, e.target, e.outcome, e.detail]))
    .digest('hex');
}

export interface AuditInput {
  actor: string;
  action: string;
  target: string;
  outcome: AuditEntry['outcome'];
  detail?: string;
}

/**
 * Record a write. Its time is never earlier than the newest entry's: a clock
 * behind it is moved up, unless the time is pinned (DELEGATE_NOW), which is
 * refused (exit 2) so that nothing is backdated and no expired relationship
 * is acted on as if it were still running. The caller's transaction then
 * rolls back whatever it wrote.
 */
export async function appendAudit(tx: Tx, clock: Clock, input: AuditInput): Promise<AuditEntry> {
  const last = await tx.lastAudit();
  const now = clock.now();
  const newest = last ? Date.parse(last.at) : NaN;
  if (now.getTime() < newest && clock.pinned) {
    throw new UsageError(
      `${clock.pinned} ${now.toISOString()} is earlier than the newest audit entry (entry ${last!.seq}, at ${last!.at}): the ledger's time never runs backwards; nothing was written`,
    );
  }
  const base = {
    seq: (last?.seq ?? 0) + 1,
    at: now.getTime() < newest ? last!.at : now.toISOString(),
    actor: input.actor,
    action: input.action,
    target: input.target,
    outcome: input.outcome,
    detail: input.detail ?? '',
  };
  const entry: AuditEntry = { ...base, hash: auditHash(last?.hash ?? GENESIS_HASH, base) };
  await tx.insertAudit(entry);
  return entry;
}

/** An entry whose time is earlier than its predecessor's: a warning, not a failure (the hashes decide). */
export interface TimeWarning {
  seq: number;
  at: string;
  previousAt: string;
}

/** An anchor kept outside the store: the newest entry's number and hash when it was taken. */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

export type VerifyResult =
  | { ok: true; entries: number; head: string; warnings: TimeWarning[]; warningCount: number }
  | { ok: false; entries: number; seq: number; reason: string };

/** How many time warnings a result keeps (the count is exact). */
const KEPT_WARNINGS = 20;

/**
 * Recompute the chain; name the first entry that does not match. With an
 * anchor, entry `expect.seq` must still be there with `expect.hash`: a chain
 * alone cannot show that its newest entries were cut off or that it was
 * rewritten whole with recomputed hashes; a hash kept elsewhere can.
 */
export async function verifyAudit(tx: Tx, expect?: AuditAnchor): Promise<VerifyResult> {
  let prev = GENESIS_HASH;
  let prevAt: string | undefined;
  let expectedSeq = 1;
  let count = 0;
  let anchored: string | undefined;
  const warnings: TimeWarning[] = [];
  let warningCount = 0;
  let failure: VerifyResult | undefined;
  await tx.eachAudit((e) => {
    count++;
    if (e.seq !== expectedSeq) {
      failure = { ok: false, entries: count, seq: e.seq, reason: `does not match: expected entry ${expectedSeq} here, found ${e.seq} (an entry was removed or renumbered)` };
      return false;
    }
    const want = auditHash(prev, e);
    if (want !== e.hash) {
      failure = { ok: false, entries: count, seq: e.seq, reason: `does not match: its hash does not match its content (the entry or one before it was edited)` };
      return false;
    }
    if (prevAt !== undefined && Date.parse(e.at) < Date.parse(prevAt)) {
      if (++warningCount <= KEPT_WARNINGS) warnings.push({ seq: e.seq, at: e.at, previousAt: prevAt });
    }
    if (expect && e.seq === expect.seq) anchored = e.hash;
    prev = e.hash;
    prevAt = e.at;
    expectedSeq++;
    return true;
  });
  if (failure) return failure;
  if (expect && anchored === undefined) {
    const last = count === 0 ? 'the trail has no entries' : `the trail ends at entry ${count}`;
    return { ok: false, entries: count, seq: expect.seq, reason: `is missing: ${last} (entries were cut off its end, or the anchor is from another store)` };
  }
  if (expect && anchored !== expect.hash) {
    return { ok: false, entries: count, seq: expect.seq, reason: `does not match: its hash is ${anchored}, not the expected ${expect.hash} (the trail was rewritten)` };
  }
  return { ok: true, entries: count, head: prev, warnings, warningCount };
}

/** The newest entry, to keep somewhere else as an anchor (`audit verify --expect`). */
export async function auditHead(store: import('./store.js').Store): Promise<AuditAnchor | undefined> {
  const last = await store.read((tx) => tx.lastAudit());
  return last && { seq: last.seq, hash: last.hash };
}

/** The entries a filter selects, a page at a time, so a trail of any length streams out. */
export async function eachAuditChunk(
  store: import('./store.js').Store,
  filter: import('./store.js').AuditFilter,
  fn: (chunk: AuditEntry[]) => void | Promise<void>,
): Promise<void> {
  await store.read(async (tx) => {
    for await (const chunk of tx.auditChunks(filter, 2000)) await fn(chunk);
  });
}

export async function checkAudit(store: import('./store.js').Store, expect?: AuditAnchor): Promise<VerifyResult> {
  return store.read((tx) => verifyAudit(tx, expect));
}
