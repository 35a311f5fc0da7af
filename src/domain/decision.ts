/**
 * Decide, then do: a domain operation checks its rules and returns what it
 * would change, as ledger writes (`apply`) and as requests to Microsoft
 * (`requests`, for `--plan`). Executors carry one of them out; no rule
 * asks whether it is planning.
 */
import type { Tx } from '../store/store.js';
import type { PlannedRequest } from './graph.js';
import { writeAudited, type Session } from './session.js';

export interface Decision<T> {
  /** The requests to Microsoft that would do the same for real. */
  requests: () => PlannedRequest[];
  /** Write the ledger (and its audit entry) in the deciding transaction. */
  apply: () => Promise<T>;
}

export type Outcome<T> = { kind: 'done'; value: T } | { kind: 'plan'; requests: PlannedRequest[] };

/**
 * Decide in one write transaction, then apply, or (plan) return the requests
 * and write nothing. A refusal (exit 4) is audited either way.
 */
export async function decideThenDo<T>(s: Session, decide: (tx: Tx) => Promise<Decision<T>>, plan: boolean): Promise<Outcome<T>> {
  return writeAudited(s, async (tx): Promise<Outcome<T>> => {
    const d = await decide(tx);
    return plan ? { kind: 'plan', requests: d.requests() } : { kind: 'done', value: await d.apply() };
  });
}

/** The value of an outcome that was not a plan. */
export function done<T>(o: Outcome<T>): T {
  if (o.kind !== 'done') throw new Error('expected a change, got a plan');
  return o.value;
}
