/**
 * Decide, then do: a domain operation checks its rules and returns a Change:
 * the requests to Microsoft, grouped per independent item (`steps`), and two
 * ways to write the ledger (`apply` offline, `record` from what Microsoft
 * answered). `carryOut` is the one executor: it applies the change in the
 * ledger, returns its requests as a plan (`--plan`), or sends them (`--live`)
 * and records the answers. No rule asks whether it is planning.
 */
import type { Tx } from '../core/store.js';
import { ref, Template, type PlannedRequest, type Value } from './request.js';
import type { ChangeKind, Found, Look } from './intent.js';

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
  /**
   * Microsoft may have applied it: no usable answer came (a dropped connection, no answer by the
   * deadline, a 5xx, a 2xx whose body does not read). Its intent stays open (pending) and is read back.
   */
  unknown?: boolean;
}

/** A request that changes Microsoft, as the executor is about to send it (values filled, secrets not yet redacted). */
export interface SentEntry {
  id: string;
  method: string;
  url: string;
  body?: unknown;
  intent: FilledIntent;
}

/** An IntentSpec with its values filled from earlier responses (what was really sent). */
export interface FilledIntent {
  kind: ChangeKind;
  target: string;
  scope: string;
  key?: string;
  readBack: { url: string; look: Look };
  effect?: Record<string, unknown>;
}

/** Where a live run keeps its intents and answers (plan/journal.ts keeps them in the ledger's store). */
export interface Journal {
  /** Before a round is sent: its requests' intents, committed together. Throws when a key is taken. */
  open(entries: readonly SentEntry[]): Promise<void>;
  /** As answers arrive (a `$batch` envelope's parts together): kept with their intents at once. */
  answered(answers: readonly { id: string; status: number; body: unknown }[]): Promise<void>;
}

/** What a client tenant really holds, read before deciding (live mode acts on what is there). */
export interface Observed {
  domains: { name: string; isInitial: boolean; verified: boolean }[];
  /** The user named by the command: null when the tenant has none by that name. */
  user?: { upn: string; name: string; isAdmin: boolean; id?: string } | null;
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
  run(
    groups: readonly (readonly PlannedRequest[])[],
    opts: {
      tenantId?: string;
      journal?: Journal;
      /**
       * A request with no usable answer: what reading it back found, standing in for the answer
       * (the group carries on), or undefined (it stays pending). `sentAt`: when its intent opened.
       */
      resolveUnknown?: (entry: SentEntry, sentAt: string) => Promise<Json | undefined>;
    },
  ): Promise<RunResult>;
  /** Signed in as an application (certificate or secret), not a person. */
  readonly appOnly?: boolean;
  /** Read a client tenant's domains and, when named, one user and whether it holds any directory role. */
  observe(target: { tenantId?: string; upn?: string }): Promise<Observed>;
  /**
   * A read-back: GET `url` (every page of a collection, as one `value`), in the client's tenant when
   * given. 404 is `absent`, 401/403 `forbidden`; anything else that fails throws.
   */
  read(url: string, opts: { tenantId?: string }): Promise<Found>;
}

/**
 * What a live command keeps of its intents (the CLI supplies it: who and where it runs, and the
 * recovery of src/domain/recovery, which lies above this floor).
 */
export interface LiveIntents {
  /** The command's audited action, kept with each intent. */
  command: string;
  owner: { host: string; pid: number };
  leaseMs: number;
  /** How long a whole answer may take (DELEGATE_HTTP_TIMEOUT). */
  answerMs: number;
  /** Renew the lease of these intents (the run's own, as it opens them) until the returned function is called. */
  keepLeases(ids: () => readonly string[]): () => void;
  /** Recover the lapsed intents of these scopes (reading back and recording only); lines for people. */
  recoverScopes(scopes: readonly string[]): Promise<string[]>;
}

/** How a change is carried out: in the ledger only, printed as a plan, or at Microsoft and then recorded. */
/** `ledger` with `dryRun`: every check and write, then rolled back (session.ts writeAuditedOrDry). */
export type Mode = { kind: 'ledger'; dryRun?: boolean } | { kind: 'plan' } | { kind: 'live'; microsoft: Microsoft; intents?: LiveIntents };

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
  /** The scopes its intents belong to, where its steps do not say (a decision before the tenant is read). */
  scopes?: string[];
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
            ...(r.intent ? { intent: renamed(r.intent as unknown as Value, tag(i)) as unknown as typeof r.intent } : {}),
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
  | { kind: 'done'; value: T; failures: (StepFailure & { item?: string })[]; notes: string[]; items?: ItemOutcome[] }
  | { kind: 'plan'; requests: PlannedRequest[] };

/**
 * What became of each item (a group of requests: a bulk row, a client) of a live run (SPEC "Every
 * answer is kept; outcomes are true"): applied (recorded); accepted (Microsoft finishes it later: a
 * 202, or an assignment or request it reports pending); failed (Microsoft refused: its message);
 * not sent; pending (sent, no usable answer: see `delegate pending`).
 */
export interface ItemOutcome {
  item: string;
  outcome: 'applied' | 'accepted' | 'failed' | 'not sent' | 'pending';
  /** The request that failed or is pending. */
  step?: string;
  message?: string;
  /** The pending request's intent (`delegate pending` lists it). */
  intentId?: string;
}

/**
 * Live, the first decision runs on the ledger alone (`seen` is null): after
 * the checks that need no reading of the tenant, an operation acting in a
 * client returns this, and is decided again on what the tenant holds.
 */
export function observeFirst<T>(tenant: { tenantId?: string; upn?: string }, scope: string): Change<T> {
  const never = (): never => {
    throw new Error('a change decided before reading the tenant was carried out');
  };
  return { steps: [], tenant, scopes: [scope], apply: never, record: never };
}
