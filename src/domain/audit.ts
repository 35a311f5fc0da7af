/**
 * The tamper-evident audit trail. Each entry's hash is SHA-256 over the
 * previous hash (64 zeros for the first), a newline, and
 * JSON.stringify([seq, at, actor, action, target, outcome, detail]).
 */
import { createHash } from 'node:crypto';
import type { Tx } from '../store/store.js';
import type { Clock } from './clock.js';
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

export async function appendAudit(tx: Tx, clock: Clock, input: AuditInput): Promise<AuditEntry> {
  const last = await tx.lastAudit();
  const base = {
    seq: (last?.seq ?? 0) + 1,
    at: clock.now().toISOString(),
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

export type VerifyResult = { ok: true; entries: number; head: string } | { ok: false; entries: number; seq: number; reason: string };

/** Recompute the chain; name the first entry that does not match. */
export async function verifyAudit(tx: Tx): Promise<VerifyResult> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  let failure: VerifyResult | undefined;
  await tx.eachAudit((e) => {
    count++;
    if (e.seq !== expectedSeq) {
      failure = { ok: false, entries: count, seq: e.seq, reason: `expected entry ${expectedSeq} here, found ${e.seq} (an entry was removed or renumbered)` };
      return false;
    }
    const want = auditHash(prev, e);
    if (want !== e.hash) {
      failure = { ok: false, entries: count, seq: e.seq, reason: `its hash does not match its content (the entry or one before it was edited)` };
      return false;
    }
    prev = e.hash;
    expectedSeq++;
    return true;
  });
  return failure ?? { ok: true, entries: count, head: prev };
}

export async function listAuditEntries(
  store: import('../store/store.js').Store,
  filter: import('../store/store.js').AuditFilter,
): Promise<AuditEntry[]> {
  return store.read((tx) => tx.listAudit(filter));
}

export async function checkAudit(store: import('../store/store.js').Store): Promise<VerifyResult> {
  return store.read((tx) => verifyAudit(tx));
}
