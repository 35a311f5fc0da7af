/**
 * Decide, then do: a domain operation checks its rules and returns a Change:
 * the requests to Microsoft, grouped per independent item (`steps`), and two
 * ways to write the ledger (`apply` offline, `record` from what Microsoft
 * answered). `carryOut` is the one executor: it applies the change in the
 * ledger, returns its requests as a plan (`--plan`), or sends them (`--live`)
 * and records the answers. No rule asks whether it is planning.
 */
import type { Tx, WriteOptions } from '../core/store.js';
import { DelegateError, InterruptedError, NotPermittedError } from '../core/errors.js';
import { ref, Template, usesPartnerCenter, type PlannedRequest, type Value } from './request.js';
import { writeAudited, type Session } from '../core/session.js';

/** The value of a change carried out offline (not a plan). */
export function done<T>(o: Carried<T>): T {
  if (o.kind !== 'done') throw new Error('expected a change, got a plan');
  return o.value;
}

// ---------------------------------------------------------------- changes that can go live

/** A response body from Microsoft (an empty object for a 204). */
export type Json = Record<string, unknown>;

/** What Microsoft answered, by plan request id, for the requests that succeeded. */
export type Responses = ReadonlyMap<string, Json>;

/** A request Microsoft refused or never answered; the rest of its group was not sent. */
export interface StepFailure {
  id: string;
  error: Error;
}

/** What a client tenant really holds, read before deciding (live mode acts on what is there). */
export interface Observed {
  domains: { name: string; isInitial: boolean; verified: boolean }[];
  /** The user named by the command: null when the tenant has none by that name. */
  user?: { upn: string; name: string; isAdmin: boolean } | null;
}

/** A live run cut short (an interrupt): what was in flight and how many requests were never sent. */
export interface Stopped {
  reason: Error;
  /** Requests sent whose answer never came: applied at Microsoft or not, nobody knows. */
  inFlight: string[];
  notSent: number;
}

export interface RunResult {
  responses: Responses;
  failures: StepFailure[];
  stopped?: Stopped;
}

/** The port to Microsoft (src/microsoft/execute.ts implements it; the domain never imports HTTP). */
export interface Microsoft {
  /**
   * Send each group's requests in order, filling `${id.field}` from earlier
   * responses; a failed request ends its group (the later groups still run;
   * independent groups may go together in Graph `$batch`es). Nothing is
   * retried here beyond what the HTTP client does (429/503). An interrupt
   * stops it: nothing more is sent, and `stopped` says what was in flight.
   */
  run(groups: readonly (readonly PlannedRequest[])[], opts: { tenantId?: string }): Promise<RunResult>;
  /** Signed in as an application (certificate or secret), not a person. */
  readonly appOnly?: boolean;
  /** Read a client tenant's domains and, when named, one user and whether it holds any directory role. */
  observe(target: { tenantId?: string; upn?: string }): Promise<Observed>;
}

/** How a change is carried out: in the ledger only, printed as a plan, or at Microsoft and then recorded. */
export type Mode = { kind: 'ledger' } | { kind: 'plan' } | { kind: 'live'; microsoft: Microsoft };

export const LEDGER: Mode = { kind: 'ledger' };
export const PLAN: Mode = { kind: 'plan' };

/** An operation's mode from the older `plan` flag, or as given. */
export function modeOf(how: boolean | Mode | undefined): Mode {
  if (how === undefined || how === false) return LEDGER;
  return how === true ? PLAN : how;
}

/** True while deciding live (the first decision, before any reading of the tenant): see observeFirst. */
export function deciding(seen: Observed | null | undefined): boolean {
  return seen === null;
}

/**
 * What a domain operation decided: the requests to Microsoft, grouped (one
 * group per independent item, e.g. a bulk row), and two ways to write the
 * ledger: as offline (`apply`), or from what Microsoft answered (`record`,
 * given only the responses of the requests that succeeded). Both append the
 * audit entry (`record` only for what happened); neither is called for a plan.
 */
export interface Change<T> {
  steps: PlannedRequest[][];
  /** Live: the client tenant the requests go to (acting for a client); absent for the partner's own. */
  tenant?: { tenantId?: string; upn?: string };
  /** One label per group (a bulk row's key), to name a failed item. */
  labels?: string[];
  /** Lines for people about items left out (e.g. done by an earlier live run). */
  notes?: string[];
  apply(tx: Tx): Promise<T>;
  record(tx: Tx, responses: Responses, failures: readonly StepFailure[]): Promise<T>;
  /** What to add to a failed step's message from what did succeed (e.g. the DNS record Microsoft wants). */
  failureNote?: (responses: Responses) => string | undefined;
  /** The audited action and target, for a refusal by live mode itself (an app-only sign-in and Partner Center). */
  action?: string;
  target?: string;
}

/**
 * A change whose requests are made only when asked for (a plan, or a live
 * run): one that needs what only Microsoft's side has (a group's object id,
 * an assignment's id) is then refused, while the ledger change goes ahead
 * offline without it.
 */
export function withSteps<T>(change: Omit<Change<T>, 'steps'>, steps: () => PlannedRequest[][]): Change<T> {
  return Object.defineProperty(change, 'steps', { get: steps, enumerable: true }) as Change<T>;
}

/**
 * Several changes carried out as one (bulk work decided item by item, e.g. client by client): their
 * steps side by side, each change's request ids prefixed with `<prefix><n>_` so they stay unique in
 * one plan, and each change's `apply`/`record` given back its own responses under its own ids.
 * Changes that act in a client tenant cannot be combined (one run goes to one tenant).
 */
export function combine<T>(changes: readonly Change<T>[], prefix = 'item'): Change<T[]> {
  if (changes.some((c) => c.tenant)) throw new Error('changes acting in a client tenant cannot be combined');
  const tag = (i: number) => `${prefix}${i + 1}_`;
  const renamed = (v: Value, p: string): Value => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
    if (v instanceof Template) return new Template(v.parts.map((x) => (typeof x === 'string' ? x : ref(p + x.ref, x.field))));
    if (Array.isArray(v)) return v.map((x) => renamed(x, p));
    const o = v as Record<string, Value>;
    if ('ref' in o && 'field' in o && Object.keys(o).length === 2) return ref(p + String(o.ref), String(o.field));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, renamed(x, p)]));
  };
  const mine = (responses: Responses, i: number): Responses => {
    const p = tag(i);
    return new Map([...responses].filter(([id]) => id.startsWith(p)).map(([id, body]) => [id.slice(p.length), body]));
  };
  const failuresOf = (failures: readonly StepFailure[], i: number) =>
    failures.filter((f) => f.id.startsWith(tag(i))).map((f) => ({ ...f, id: f.id.slice(tag(i).length) }));
  return {
    get steps() {
      return changes.flatMap((c, i) =>
        c.steps.map((group) =>
          group.map((r): PlannedRequest => ({
            ...r,
            id: tag(i) + r.id,
            url: renamed(r.url, tag(i)) as string | Template,
            ...(r.headers ? { headers: renamed(r.headers, tag(i)) as Record<string, string | Template> } : {}),
            ...(r.body !== undefined ? { body: renamed(r.body, tag(i)) } : {}),
          })),
        ),
      );
    },
    labels: changes.flatMap((c) => c.steps.map((_, k) => c.labels?.[k] ?? '')),
    notes: changes.flatMap((c) => c.notes ?? []),
    apply: async (tx) => {
      const out: T[] = [];
      for (const c of changes) out.push(await c.apply(tx));
      return out;
    },
    record: async (tx, responses, failures) => {
      const out: T[] = [];
      for (const [i, c] of changes.entries()) out.push(await c.record(tx, mine(responses, i), failuresOf(failures, i)));
      return out;
    },
  };
}

export type Carried<T> =
  | { kind: 'done'; value: T; failures: (StepFailure & { item?: string })[]; notes: string[] }
  | { kind: 'plan'; requests: PlannedRequest[] };

/**
 * Live, the first decision runs on the ledger alone (`seen` is null): after
 * the checks that need no reading of the tenant, an operation acting in a
 * client returns this, and is decided again on what the tenant holds.
 */
export function observeFirst<T>(tenant: { tenantId?: string; upn?: string }): Change<T> {
  const never = (): never => {
    throw new Error('a change decided before reading the tenant was carried out');
  };
  return { steps: [], tenant, apply: never, record: never };
}

/**
 * A live step failed. The ledger holds what succeeded before it (recorded
 * first); the message names the failed step, and running the command again
 * carries on from what the ledger and the tenant then hold. The exit code is
 * that of Microsoft's answer (or 1 for a network failure).
 */
export class StepFailedError extends DelegateError {
  constructor(
    readonly step: string,
    readonly failure: Error,
    recorded: boolean,
    note?: string,
  ) {
    super(
      `Step "${step}" failed: ${failure.message.replace(/\.$/, '')}. ${recorded ? 'The steps before it were applied at Microsoft and are recorded in the ledger' : 'Nothing is recorded in the ledger'}; run the same command again to carry on.${note ? ` ${note}` : ''}`,
      failure instanceof DelegateError ? failure.code : 'internal',
      failure instanceof DelegateError ? failure.exitCode : 1,
    );
  }
}

/**
 * Carry out a decision. `decide` checks the rules in a write transaction (a
 * refusal is audited there); then:
 * - ledger: `apply` in the same transaction;
 * - plan: the requests, nothing written;
 * - live: nothing written while deciding; for a client tenant, read what it
 *   holds and decide again on that (so the rules apply to what is really
 *   there; refusals the ledger alone shows come before any request); send the
 *   requests outside any transaction; then `record` what Microsoft answered in
 *   a new transaction, never what did not happen. A single item that failed
 *   is a StepFailedError after recording; a bulk change returns its failures.
 * `write`: how the transactions that run `decide` may be run again (WriteOptions.rerun).
 */
export async function carryOut<T>(s: Session, decide: (tx: Tx, seen?: Observed | null) => Promise<Change<T>>, mode: Mode, write?: WriteOptions): Promise<Carried<T>> {
  if (mode.kind === 'ledger') {
    return writeAudited(s, async (tx) => {
      const change = await decide(tx);
      return { kind: 'done', value: await change.apply(tx), failures: [], notes: change.notes ?? [] };
    }, write);
  }
  if (mode.kind === 'plan') return writeAudited(s, async (tx) => ({ kind: 'plan', requests: (await decide(tx)).steps.flat() }), write);
  let change = await writeAudited(s, (tx) => decide(tx, null), write);
  if (mode.microsoft.appOnly && usesPartnerCenter(change.steps.flat())) {
    const refused = change;
    // https://learn.microsoft.com/partner-center/developer/remove-dap: "This scenario supports authentication with App+User credentials only."
    await writeAudited(s, async () => {
      throw new NotPermittedError(
        'This change goes to Partner Center, which accepts it only from a signed-in person (App+User), not from an app-only sign-in (certificate or secret): run `delegate login` as a person',
        { actor: s.actorEmail ?? 'app', action: refused.action ?? 'live', target: refused.target ?? '' },
      );
    });
  }
  if (change.tenant) {
    const seen = await mode.microsoft.observe(change.tenant);
    change = await writeAudited(s, (tx) => decide(tx, seen), write);
  }
  const decided = change;
  const { responses, failures, stopped } = await mode.microsoft.run(decided.steps, { tenantId: decided.tenant?.tenantId });
  // Recorded even when interrupted: what Microsoft did must reach the ledger.
  const value = await s.store.write((tx) => decided.record(tx, responses, failures));
  if (stopped) throw stoppedError(decided.steps, responses, stopped);
  if (failures.length && decided.steps.length === 1) {
    throw new StepFailedError(failures[0]!.id, failures[0]!.error, responses.size > 0, decided.failureNote?.(responses));
  }
  const groupOf = (id: string) => decided.steps.findIndex((g) => g.some((r) => r.id === id));
  return {
    kind: 'done',
    value,
    failures: failures.map((f) => ({ ...f, item: decided.labels?.[groupOf(f.id)] })),
    notes: decided.notes ?? [],
  };
}

/** One line for an interrupt in live mode: what was applied at Microsoft and recorded, what may have been, what was not sent. */
function stoppedError(steps: readonly (readonly PlannedRequest[])[], responses: Responses, stopped: Stopped): Error {
  if (!(stopped.reason instanceof InterruptedError)) return stopped.reason;
  const all = steps.flat();
  const changes = all.filter((r) => r.method !== 'GET' && responses.has(r.id)).map((r) => r.id);
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  const applied = changes.length
    ? `${n(changes.length, 'change')} applied at Microsoft and recorded in the ledger (${changes.slice(0, 5).join(', ')}${changes.length > 5 ? ', ...' : ''})`
    : 'nothing was applied at Microsoft or recorded';
  const inFlight = stopped.inFlight.length
    ? `; ${stopped.inFlight.join(', ')} ${stopped.inFlight.length === 1 ? 'was' : 'were'} sent without an answer, so Microsoft may or may not have applied ${stopped.inFlight.length === 1 ? 'it' : 'them'} (not recorded; \`delegate sync\` reads back what Microsoft holds)`
    : '';
  const rest = stopped.notSent ? `; ${n(stopped.notSent, 'request')} not sent` : '';
  return new InterruptedError(stopped.reason.signal, `Interrupted (${stopped.reason.signal}) in live mode: ${applied}${inFlight}${rest}. Run the same command again to carry on.`);
}
