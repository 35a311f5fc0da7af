/**
 * Carry out a decision (plan/decision.ts): `decide` checks the rules in a
 * write transaction (a refusal is audited there); then
 * - ledger: `apply` in the same transaction (with `dryRun`, then rolled back);
 * - plan: the requests, nothing written;
 * - live: plan/live.ts (intents, recovery, the tenant read, the requests,
 *   then `record` of what Microsoft answered).
 * Offline and as a plan, a change on a scope with a pending intent is refused
 * (exit 5, naming `delegate recover`).
 * `write`: how the transactions that run `decide` may be run again (WriteOptions.rerun).
 */
import { writeAuditedOrDry, type Session } from '../core/session.js';
import type { Tx, WriteOptions } from '../core/store.js';
import type { Carried, Change, Mode, Observed } from './decision.js';
import { carryOutLive, refuseWhilePending } from './live.js';

export async function carryOut<T>(s: Session, decide: (tx: Tx, seen?: Observed | null) => Promise<Change<T>>, mode: Mode, write?: WriteOptions): Promise<Carried<T>> {
  if (mode.kind === 'live') return carryOutLive(s, decide, mode, write);
  return writeAuditedOrDry(
    s,
    mode.kind === 'ledger' && Boolean(mode.dryRun),
    async (tx): Promise<Carried<T>> => {
      const change = await decide(tx);
      await refuseWhilePending(tx, change);
      if (mode.kind === 'plan') return { kind: 'plan', requests: change.steps.flat() };
      return { kind: 'done', value: await change.apply(tx), failures: [], notes: change.notes ?? [] };
    },
    write,
  );
}
