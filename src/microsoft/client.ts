/**
 * The HTTP client for Microsoft Graph and Partner Center: a thin typed wrapper
 * over Node's own `fetch` (docs/choices.md says why not the Graph SDK). The
 * boundary of live mode (SPEC "Live mode, exactly once"):
 *
 * - Sends the bearer token: DELEGATE_ACCESS_TOKEN when set, else a TokenProvider (sign-in).
 * - Answers are checked: every 2xx answer is validated against the schema the
 *   caller names (src/microsoft/schemas.ts); one that does not fit is a
 *   MalformedAnswerError of that request (never an empty page), saying for a
 *   change that Microsoft did it. A 202 or 204 needs no body.
 * - Deadlines: each attempt has a deadline for the whole answer, body
 *   included (default 100 s, DELEGATE_HTTP_TIMEOUT): a body that trickles in
 *   is cut at the deadline.
 * - Retry budget: 429 and 503 are retried after Retry-After (seconds or an
 *   HTTP date), or with exponential backoff and jitter when it is absent, for
 *   as long as the budget lasts (default 10 minutes from the first attempt,
 *   DELEGATE_RETRY_BUDGET), not a fixed number of attempts; sleep, clock and
 *   randomness are injected, so tests never wait.
 *   https://learn.microsoft.com/graph/throttling ("Wait the number of seconds specified in the
 *   Retry-After field... Retry the request"; "If no Retry-After header is provided by the response,
 *   we recommend implementing an exponential backoff retry policy"); 503 may carry Retry-After too
 *   (https://learn.microsoft.com/graph/errors).
 * - Paging: follows `@odata.nextLink` (https://learn.microsoft.com/graph/paging) only on the same
 *   base URL, so the token is never sent elsewhere; stops with a PagingError past 10,000 pages or
 *   when a link repeats. `pages()` holds one page at a time; `all()` gathers a whole collection and
 *   is for lists that are small by nature (a tenant's domains, one user's role assignments, a group
 *   looked up by name): it stops past 10,000 items. Partner-scale lists (relationships, contracts,
 *   group members) are read with `pages()`.
 * - `$batch`: many Graph requests as envelopes of at most 20
 *   (https://learn.microsoft.com/graph/json-batching). Each envelope's outcome is its own: every
 *   part's outcome is handed to `onPart` as soon as its envelope is answered, a failed envelope's
 *   parts say whether Microsoft may have applied them, and later envelopes are still sent unless
 *   the caller stops (or an interrupt comes). Throttled parts are sent again after their own
 *   Retry-After, within the envelope's budget.
 * - A network failure is one NetworkError (exit 1); an HTTP error is a MicrosoftError
 *   carrying Microsoft's code and message. A dropped connection is not retried:
 *   a POST may have been applied, and only the caller can check by reading back.
 */
import { setMaxListeners } from 'node:events';
import { UsageError } from '../domain/core/errors.js';
import { randomUUID } from '../domain/core/crypto.js';
import { endpointsFor, type Cloud, type Endpoints } from './endpoints.js';
import { MalformedAnswerError, MicrosoftError, NetworkError, NotSignedInError, PagingError, writeState, type ServiceName } from './errors.js';
import { chargesFor, Limiter, type Charge, type Limits } from './limiter.js';
import { batchEnvelope, firstProblem, type Page, type Schema } from './schemas.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type ApiService = 'graph' | 'partnerCenter';

/** Which token: the service's audience, in the partner's tenant or (acting for a client over GDAP) the client's. */
export interface TokenRequest {
  service: ApiService;
  tenantId?: string;
}

export interface TokenProvider {
  getToken(request: TokenRequest): Promise<string>;
}

/** The same token for every request (DELEGATE_ACCESS_TOKEN). */
export function staticToken(token: string): TokenProvider {
  return { getToken: async () => token };
}

/** DELEGATE_ACCESS_TOKEN when set (no sign-in happens), else the sign-in's provider; neither is exit 4. */
export function tokenProviderFor(env: NodeJS.ProcessEnv, signedIn?: TokenProvider): TokenProvider {
  const token = env.DELEGATE_ACCESS_TOKEN;
  if (token) return staticToken(token);
  if (signedIn) return signedIn;
  throw new NotSignedInError();
}

export interface RetryEvent {
  service: ApiService;
  method: Method;
  path: string;
  status: number;
  attempt: number;
  waitMs: number;
  /** How many parts of a $batch are retried (absent for a single request). */
  parts?: number;
  /**
   * Why Microsoft throttled, from `x-ms-throttle-scope` and `x-ms-throttle-information`
   * (https://learn.microsoft.com/graph/throttling-limits, "Identity and access service"), when it said.
   */
  throttle?: string;
}

export interface ClientOptions {
  endpoints: Endpoints;
  tokens: TokenProvider;
  fetch?: typeof globalThis.fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch: the retry budget's clock, and Retry-After given as an HTTP date. */
  now?: () => number;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
  /** How long throttling (429, 503) is waited out, from a request's (or envelope's) first attempt. Default 600 000 (10 minutes). */
  retryBudgetMs?: number;
  /** Backoff when Retry-After is absent: base * 2^(attempt-1), capped, half of it jittered. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The deadline of one attempt, for the whole answer (headers and body). Default 100 000. */
  timeoutMs?: number;
  /** The largest answer read; a larger one is malformed. Default 64 MiB. */
  maxBodyBytes?: number;
  /** Pages of one collection read at most (SPEC: 10,000, a million items at Graph's page sizes). */
  maxPages?: number;
  /** Items `all()` gathers at most (it is for small lists). Default 10,000. */
  maxItems?: number;
  graphVersion?: 'v1.0' | 'beta';
  onRetry?: (event: RetryEvent) => void;
  /**
   * An interrupt: aborts the request in flight and any wait before a retry;
   * the request then fails with the signal's reason (the InterruptedError).
   * A `$batch` stops instead: see `batch()`.
   */
  signal?: AbortSignal;
  /**
   * The rate limiter's limits (src/microsoft/limiter.ts; absent: its defaults). Every attempt waits
   * for its turn on the client's clock; that wait does not count against the retry budget.
   */
  limits?: Limits;
}

export interface RequestSpec<T> {
  service?: ApiService;
  method: Method;
  /** Graph: after the version (`/users/{id}`); Partner Center: from the root (`/v1/customers/{id}`). */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  tenantId?: string;
  /** The shape of a 2xx answer (src/microsoft/schemas.ts). */
  schema: Schema<T>;
}

export interface Reply<T> {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The validated answer; undefined only for a 202 or 204 without a body. */
  body: T | undefined;
}

export interface ReadOptions {
  tenantId?: string;
  service?: ApiService;
  headers?: Record<string, string>;
}

export interface BatchPart<T = unknown> {
  method: Method;
  /** Relative to the Graph version, as in a single request: `/users/{id}`. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The shape of this part's 2xx answer. */
  schema: Schema<T>;
}

/**
 * One part's outcome:
 * - `answered`: a 2xx whose body fits its schema (undefined only for a 202 or 204 without one).
 * - `failed`: Microsoft did not carry it out: it answered this part with an error (4xx, or 429/503
 *   past the budget), or refused the envelope (401, 403, 429/503 past the budget), or the envelope
 *   never reached it. For a read, also an answer that does not fit (a read changes nothing).
 * - `pending`: sent, and Microsoft may have carried it out, but there is no usable answer: the
 *   connection dropped or the deadline passed, the envelope's answer was malformed or lacked this
 *   part, this part answered 2xx with a body that does not fit (`error.doneAtMicrosoft`: it was
 *   done), or 500/502/504, or an interrupt cut the envelope short. Read it back.
 * - `notSent`: never sent (the caller stopped, or an interrupt came, before its envelope).
 */
export type PartOutcome<T = unknown> =
  | { ok: true; kind: 'answered'; status: number; headers: Record<string, string>; body: T | undefined }
  | { ok: false; kind: 'failed'; status?: number; error: Error }
  | { ok: false; kind: 'pending'; status?: number; error: Error }
  | { ok: false; kind: 'notSent'; error?: Error };

export interface BatchOptions<T> {
  tenantId?: string;
  /**
   * Each part's outcome, by its index in `parts`, as soon as its envelope's
   * answer is read (or the envelope fails); awaited before anything more is
   * sent, so the caller can record each answer first. A throw ends the batch
   * with that error (nothing more is sent).
   */
  onPart?: (index: number, outcome: PartOutcome<T>) => void | Promise<void>;
  /** After an envelope fails as a whole: send the later envelopes (default) or leave their parts `notSent`. */
  afterFailedEnvelope?: 'continue' | 'stop';
}

/** Graph allows at most 20 requests in one $batch (https://learn.microsoft.com/graph/json-batching). */
export const BATCH_LIMIT = 20;
export const DEFAULT_TIMEOUT_MS = 100_000;
export const DEFAULT_RETRY_BUDGET_MS = 600_000;
export const MAX_PAGES = 10_000;
const RETRYABLE = new Set([429, 503]);

/** An answer as it came (after the retries), before its body is checked. */
interface Raw {
  status: number;
  headers: Record<string, string>;
  text: string;
  tooLarge: boolean;
}

/** Whether the request of the latest attempt may have reached Microsoft without its answer being read (for an interrupt). */
interface Flight {
  inFlight: boolean;
}

/** When a retry budget began; moved on by each wait for the limiter (pacing is not throttling). */
interface Budget {
  started: number;
}

export class MicrosoftClient {
  readonly endpoints: Endpoints;
  private readonly tokens: TokenProvider;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  readonly retryBudgetMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxPages: number;
  private readonly maxItems: number;
  private readonly graphVersion: string;
  private readonly onRetry?: (event: RetryEvent) => void;
  private readonly signal?: AbortSignal;
  /** Paces every attempt per service; `limiter.stats()` counts its waits and the throttled answers. */
  readonly limiter: Limiter;

  constructor(o: ClientOptions) {
    this.endpoints = o.endpoints;
    this.tokens = o.tokens;
    this.fetchFn = o.fetch ?? globalThis.fetch;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.retryBudgetMs = Math.max(0, o.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS);
    this.backoffBaseMs = o.backoffBaseMs ?? 1000;
    this.backoffMaxMs = o.backoffMaxMs ?? 30_000;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = o.maxBodyBytes ?? 64 * 1024 * 1024;
    this.maxPages = o.maxPages ?? MAX_PAGES;
    this.maxItems = o.maxItems ?? 10_000;
    this.graphVersion = o.graphVersion ?? 'v1.0';
    this.onRetry = o.onRetry;
    this.signal = o.signal;
    // Every request in flight, and every wait for the limiter, listens to the interrupt: many at once is by design.
    if (o.signal) setMaxListeners(1000, o.signal);
    this.limiter = new Limiter(o.limits, { now: this.now, sleep: this.sleep });
  }

  /** Throw the interrupt's reason if one came. */
  private checkSignal(): void {
    if (this.signal?.aborted) throw this.signal.reason;
  }

  private interrupted(e: unknown): boolean {
    return this.signal?.aborted === true && e === this.signal.reason;
  }

  /** Wait before a retry, cut short by an interrupt. */
  private async pause(ms: number): Promise<void> {
    const signal = this.signal;
    if (!signal) return this.sleep(ms);
    this.checkSignal();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.sleep(ms).then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** The base every URL of a service starts with (Graph's includes the version). */
  base(service: ApiService): string {
    return service === 'graph' ? `${this.endpoints.graph}/${this.graphVersion}` : this.endpoints.partnerCenter;
  }

  /** One request, retried when throttled; its answer checked against `spec.schema`. */
  async request<T>(spec: RequestSpec<T>): Promise<Reply<T>> {
    const service = spec.service ?? 'graph';
    const raw = await this.send(service, spec.method, this.base(service) + spec.path, spec.path, { body: spec.body, headers: spec.headers, tenantId: spec.tenantId });
    return { status: raw.status, headers: raw.headers, body: this.check(service, spec.method, spec.path, raw, spec.schema) };
  }

  /** A read: the answer, which must have a body fitting `schema`. */
  async get<T>(path: string, schema: Schema<T>, opts: ReadOptions = {}): Promise<T> {
    const service = opts.service ?? 'graph';
    const raw = await this.send(service, 'GET', this.base(service) + path, path, { headers: opts.headers, tenantId: opts.tenantId });
    return this.checkRead(service, path, raw, schema);
  }

  /** A POST: the answer fitting `schema` (undefined for a 202 or 204 without a body). */
  async post<T>(path: string, body: unknown, schema: Schema<T>, tenantId?: string): Promise<T | undefined> {
    return (await this.request({ method: 'POST', path, body, schema, tenantId })).body;
  }

  /**
   * Every page of a Graph collection, one at a time, following `@odata.nextLink`
   * until there is none. `schema` is the page's (`pageOf(item)` in schemas.ts).
   * `first`: a page already read (a `$batch` part's answer): its items come
   * first, then the pages after it.
   */
  async *pages<T>(path: string, schema: Schema<Page<T>>, opts: { tenantId?: string; first?: Page<T> } = {}): AsyncGenerator<T[]> {
    for await (const page of this.pageLinks(path, schema, opts)) yield page.items;
  }

  /**
   * pages(), each page with the `@odata.nextLink` it gave (absent on the last), so a reader can keep
   * where it stopped; `from`: carry on from such a link (it must be under this client's Graph base,
   * as every link followed is).
   */
  async *pageLinks<T>(path: string, schema: Schema<Page<T>>, opts: { tenantId?: string; first?: Page<T>; from?: string } = {}): AsyncGenerator<{ items: T[]; next?: string }> {
    const base = this.base('graph');
    let page = opts.first;
    let url = base + path;
    let shown = path;
    const seen = new Set<string>();
    const follow = (next: string, read: number) => {
      // Follow only links under the same base, never twice: the bearer token stays with Microsoft, and a loop ends.
      if (!next.startsWith(base + '/')) throw new PagingError('graph', path, `a next page link that is not followed (not under ${base}): ${next}`);
      if (seen.has(next)) throw new PagingError('graph', path, `the link after page ${read} repeats an earlier one: ${next}`);
      seen.add(next);
      url = next;
      shown = new URL(next).pathname.slice(new URL(base).pathname.length) + '?…';
    };
    if (opts.from !== undefined && !page) follow(opts.from, 0);
    for (let read = opts.first ? 1 : 0; ; ) {
      if (!page) {
        if (read >= this.maxPages) {
          throw new PagingError('graph', path, `more than ${this.maxPages} pages (${this.maxPages === MAX_PAGES ? 'a million items at Graph’s page sizes; ' : ''}Microsoft keeps giving a next page)`);
        }
        const raw = await this.send('graph', 'GET', url, shown, { tenantId: opts.tenantId });
        page = this.checkRead('graph', shown, raw, schema);
        read++;
      }
      const next: string | undefined = page['@odata.nextLink'];
      yield next ? { items: page.value, next } : { items: page.value };
      page = undefined;
      if (!next) return;
      follow(next, read);
    }
  }

  /** A whole Graph collection (every page), for lists that are small by nature: past `maxItems` it stops (read those with `pages()`). */
  async all<T>(path: string, schema: Schema<Page<T>>, tenantId?: string): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages(path, schema, { tenantId })) {
      if (out.length + page.length > this.maxItems) throw new PagingError('graph', path, `more than ${this.maxItems} items, more than this read is for`);
      out.push(...page);
    }
    return out;
  }

  /**
   * Many Graph requests as `$batch` envelopes of at most 20, one envelope
   * after another. Returns every part's outcome in the order of `parts` (see
   * PartOutcome); hands each to `onPart` as soon as it is known. It does not
   * throw for a failed envelope: that envelope's parts fail (or are pending),
   * the outcomes before it stand, and the later envelopes are sent unless
   * `afterFailedEnvelope` is `stop`. An interrupt stops it: the envelope in
   * flight is pending, the later ones `notSent`; the caller sees the signal.
   * Parts answered 429 or 503 are sent again (after the longest Retry-After
   * among them, or the backoff) while the envelope's budget lasts.
   */
  async batch<T = unknown>(parts: readonly BatchPart<T>[], opts: BatchOptions<T> = {}): Promise<PartOutcome<T>[]> {
    const outcomes: PartOutcome<T>[] = new Array(parts.length);
    const deliver = async (i: number, o: PartOutcome<T>): Promise<void> => {
      outcomes[i] = o;
      await opts.onPart?.(i, o);
    };
    let stop: Error | undefined;
    for (let start = 0; start < parts.length; start += BATCH_LIMIT) {
      const envelope = range(start, Math.min(parts.length, start + BATCH_LIMIT));
      if (!stop && this.signal?.aborted) stop = this.signal.reason as Error;
      if (stop) {
        for (const i of envelope) await deliver(i, { ok: false, kind: 'notSent', error: stop });
        continue;
      }
      const result = await this.envelope(parts, envelope, opts.tenantId, deliver);
      if (result === 'interrupted') stop = this.signal?.reason as Error;
      else if (result instanceof Error && opts.afterFailedEnvelope === 'stop') stop = result;
    }
    return outcomes;
  }

  /** One envelope and its retries of throttled parts: 'ok', the envelope's error, or 'interrupted'. */
  private async envelope<T>(parts: readonly BatchPart<T>[], envelope: number[], tenantId: string | undefined, deliver: (i: number, o: PartOutcome<T>) => Promise<void>): Promise<'ok' | 'interrupted' | Error> {
    const budget: Budget = { started: this.now() };
    let pending = envelope;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const requests = pending.map((i) => batchRequest(String(i + 1), parts[i]!));
      const flight: Flight = { inFlight: false };
      let answers: Map<string, { status: number; headers: Record<string, string>; body: unknown }>;
      try {
        // A 424 envelope still carries the parts' answers (older pages of https://learn.microsoft.com/graph/throttling
        // say a batch with a throttled part "fails with a status code of 424"; newer ones, 200).
        // Graph evaluates each part on its own: "Requests in a batch are evaluated individually against throttling
        // limits" (https://learn.microsoft.com/graph/throttling, "Throttling and batching"), so each is charged.
        const charges = pending.flatMap((i) => chargesFor('graph', parts[i]!.method, parts[i]!.path));
        const raw = await this.send('graph', 'POST', `${this.base('graph')}/$batch`, '/$batch', { body: { requests }, tenantId, flight, accept: (s) => s === 424, budget, charges });
        const body = this.check('graph', 'POST', '/$batch', raw, batchEnvelope, false);
        if (!body) throw new MalformedAnswerError('graph', 'POST', '/$batch', raw.status, 'no body', false, raw.headers['request-id']);
        answers = new Map(body.responses.map((r) => [r.id, { status: r.status, headers: lowerKeys(r.headers ?? undefined), body: r.body }]));
      } catch (e) {
        if (this.interrupted(e)) {
          for (const i of pending) await deliver(i, flight.inFlight ? unsure(parts[i]!, e as Error) : { ok: false, kind: 'notSent', error: e as Error });
          return 'interrupted';
        }
        const error = e as Error;
        const status = error instanceof MicrosoftError ? { status: error.status } : {};
        for (const i of pending) await deliver(i, writeState(error) === 'notApplied' ? { ok: false, kind: 'failed', ...status, error } : unsure(parts[i]!, error, status.status));
        return error;
      }
      const again: number[] = [];
      let waitMs = 0;
      let retryStatus = 0;
      let throttle: string | undefined;
      for (const i of pending) {
        const part = parts[i]!;
        const r = answers.get(String(i + 1));
        if (!r) {
          await deliver(i, unsure(part, new MalformedAnswerError('graph', part.method, part.path, 0, 'the $batch answer has no response for this request', false)));
          continue;
        }
        const wait = RETRYABLE.has(r.status) ? this.retryDelay(r.headers['retry-after'], attempt) : 0;
        this.limiter.answered(chargesFor('graph', part.method, part.path), r.status, r.headers, wait);
        if (RETRYABLE.has(r.status)) {
          if (this.withinBudget(budget.started, wait)) {
            again.push(i);
            waitMs = Math.max(waitMs, wait);
            retryStatus = Math.max(retryStatus, r.status);
            throttle ??= throttleOf(r.headers);
            continue;
          }
        }
        await deliver(i, this.partOutcome(part, r, attempt, budget.started));
      }
      if (again.length > 0) {
        this.onRetry?.({ service: 'graph', method: 'POST', path: '/$batch', status: retryStatus, attempt, waitMs, parts: again.length, ...(throttle ? { throttle } : {}) });
        try {
          await this.pause(waitMs);
        } catch (e) {
          // Throttled parts were not carried out, and are not sent again.
          for (const i of again) await deliver(i, { ok: false, kind: 'notSent', error: e as Error });
          if (this.interrupted(e)) return 'interrupted';
          throw e;
        }
      }
      pending = again;
    }
    return 'ok';
  }

  /** A part's answer (not to be retried) as its outcome. */
  private partOutcome<T>(part: BatchPart<T>, r: { status: number; headers: Record<string, string>; body: unknown }, attempt: number, started: number): PartOutcome<T> {
    if (r.status >= 400) {
      const note = RETRYABLE.has(r.status) ? this.giveUpNote(r.headers, attempt, started) : undefined;
      const error = errorFrom('graph', part.method, part.path, r.status, r.body, r.headers, note);
      return writeState(error) === 'notApplied' ? { ok: false, kind: 'failed', status: r.status, error } : unsure(part, error, r.status);
    }
    // A 202 or 204 to a change needs no body; a read's answer must have one.
    if (part.method !== 'GET' && (r.status === 204 || (r.status === 202 && r.body === undefined))) return { ok: true, kind: 'answered', status: r.status, headers: r.headers, body: undefined };
    // A part's JSON body comes as JSON; the json-batching page: other content types are base64 strings, which no schema here takes.
    const parsed = part.schema.safeParse(r.body);
    if (!parsed.success) {
      const error = new MalformedAnswerError('graph', part.method, part.path, r.status, firstProblem(parsed.error, r.body), part.method !== 'GET', r.headers['request-id']);
      return unsure(part, error, r.status);
    }
    return { ok: true, kind: 'answered', status: r.status, headers: r.headers, body: parsed.data };
  }

  /**
   * One request and its retries while throttled: the answer of the last
   * attempt when it is 2xx (or `accept`ed), else a MicrosoftError. `flight`
   * says whether the latest attempt was sent without its answer being read;
   * `budget` is when the retry budget began (a `$batch` envelope's first send); `charges` what an
   * envelope costs the limiter (its parts'; a single request's are read from its URL). Each attempt
   * waits for its turn at the limiter and holds its place while in flight.
   */
  private async send(
    service: ApiService,
    method: Method,
    url: string,
    shown: string,
    o: { body?: unknown; headers?: Record<string, string>; tenantId?: string; flight?: Flight; accept?: (status: number) => boolean; budget?: Budget; charges?: Charge[] },
  ): Promise<Raw> {
    const { body, tenantId, flight = { inFlight: false }, accept = () => false } = o;
    // Partner Center (https://learn.microsoft.com/partner-center/developer/headers): MS-RequestId "used to
    // ensure id-potency... the retry call should include the same value", so it stays the same across
    // attempts; MS-CorrelationId is new for every call; MS-Contract-Version is required. Graph's
    // client-request-id is kept across attempts likewise, to find one call in Microsoft's logs.
    const requestId = randomUUID();
    const ids: Record<string, string> =
      service === 'graph' ? { 'client-request-id': requestId } : { 'MS-RequestId': requestId, 'MS-CorrelationId': randomUUID(), 'MS-Contract-Version': 'v1' };
    const budget = o.budget ?? { started: this.now() };
    const base = this.base(service);
    const charges = o.charges ?? chargesFor(service, method, url.startsWith(base) ? url.slice(base.length) : new URL(url).pathname);
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.getToken({ service, tenantId });
      const headers: Record<string, string> = { Accept: 'application/json', ...ids, ...o.headers, Authorization: `Bearer ${token}` };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      this.checkSignal();
      const permit = await this.limiter.acquire(charges, this.signal);
      budget.started += permit.waitedMs;
      let raw: Raw;
      try {
        raw = await this.attempt(service, method, url, shown, headers, body, flight);
      } finally {
        permit.release();
      }
      const waitMs = RETRYABLE.has(raw.status) ? this.retryDelay(raw.headers['retry-after'], attempt) : 0;
      this.limiter.answered(charges, raw.status, raw.headers, waitMs, o.charges === undefined);
      if (RETRYABLE.has(raw.status)) {
        if (this.withinBudget(budget.started, waitMs)) {
          const throttle = throttleOf(raw.headers);
          this.onRetry?.({ service, method, path: shown, status: raw.status, attempt, waitMs, ...(throttle ? { throttle } : {}) });
          await this.pause(waitMs);
          continue;
        }
      }
      if (raw.status >= 400 && !accept(raw.status)) {
        const note = RETRYABLE.has(raw.status) ? this.giveUpNote(raw.headers, attempt, budget.started) : undefined;
        const json = raw.tooLarge ? { value: undefined } : parseJson(raw.text);
        throw errorFrom(service, method, shown, raw.status, 'value' in json ? json.value : raw.text, raw.headers, note);
      }
      return raw;
    }
  }

  /** One attempt, under the deadline for the whole answer: headers and the body read to its end. */
  private async attempt(service: ApiService, method: Method, url: string, shown: string, headers: Record<string, string>, body: unknown, flight: Flight): Promise<Raw> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('deadline')), this.timeoutMs);
    const signal = this.signal ? AbortSignal.any([deadline.signal, this.signal]) : deadline.signal;
    let answered = false;
    flight.inFlight = true;
    try {
      const res = await this.fetchFn(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, redirect: 'error' });
      answered = true;
      const replyHeaders = Object.fromEntries([...res.headers].map(([k, v]) => [k.toLowerCase(), v]));
      const { text, tooLarge } = await readBody(res, this.maxBodyBytes, signal);
      flight.inFlight = false;
      return { status: res.status, headers: replyHeaders, text, tooLarge };
    } catch (e) {
      this.checkSignal();
      if (deadline.signal.aborted) {
        const within = duration(this.timeoutMs);
        throw new NetworkError(service as ServiceName, method, shown, answered ? `the answer did not finish within ${within} (the deadline for a whole answer)` : `no answer within ${within}`);
      }
      throw new NetworkError(service as ServiceName, method, shown, networkReason(e, this.timeoutMs), reachedServer(e));
    } finally {
      clearTimeout(timer);
    }
  }

  /** A 2xx answer's body, checked: undefined for a 202/204 without one; else it must be JSON fitting `schema`. */
  private check<T>(service: ApiService, method: Method, shown: string, raw: Raw, schema: Schema<T>, doneAtMicrosoft = method !== 'GET'): T | undefined {
    const requestId = raw.headers['request-id'] ?? raw.headers['ms-requestid'];
    const malformed = (reason: string) => new MalformedAnswerError(service, method, shown, raw.status, reason, doneAtMicrosoft, requestId);
    if (raw.tooLarge) throw malformed(`larger than ${this.maxBodyBytes % 1048576 === 0 ? `${this.maxBodyBytes / 1048576} MiB` : `${this.maxBodyBytes} bytes`}`);
    if (raw.status === 204 || (raw.status === 202 && raw.text.trim() === '')) return undefined;
    const json = parseJson(raw.text);
    if ('error' in json) throw malformed(`not JSON: ${json.error}`);
    const parsed = schema.safeParse(json.value);
    if (!parsed.success) throw malformed(json.value === undefined ? 'no body' : firstProblem(parsed.error, json.value));
    return parsed.data;
  }

  /** A read's answer: it must have a body. */
  private checkRead<T>(service: ApiService, shown: string, raw: Raw, schema: Schema<T>): T {
    const body = this.check(service, 'GET', shown, raw, schema);
    if (body === undefined) throw new MalformedAnswerError(service, 'GET', shown, raw.status, 'no body', false, raw.headers['request-id']);
    return body;
  }

  /** Whether a wait still fits the retry budget counted from `started`. */
  private withinBudget(started: number, waitMs: number): boolean {
    return this.retryBudgetMs > 0 && this.now() - started + waitMs <= this.retryBudgetMs;
  }

  /** How long to wait before the next attempt: Retry-After when it is readable, else the backoff. */
  retryDelay(retryAfter: string | undefined, attempt: number): number {
    const asked = parseRetryAfter(retryAfter, this.now());
    if (asked !== undefined) return asked;
    const cap = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + this.random() * (cap / 2));
  }

  private giveUpNote(headers: Record<string, string>, attempt: number, started: number): string {
    const asked = parseRetryAfter(headers['retry-after'], this.now());
    const tries = `${attempt} attempt${attempt === 1 ? '' : 's'} in ${duration(this.now() - started)}`;
    const budget = `the retry budget of ${duration(this.retryBudgetMs)} (DELEGATE_RETRY_BUDGET)`;
    const wait = asked !== undefined ? `Microsoft asked to wait ${Math.ceil(asked / 1000)} s more` : 'the next wait';
    const throttle = throttleOf(headers);
    return `gave up after ${tries}: ${wait}, beyond ${budget}${throttle ? `; ${throttle}` : ''}`;
  }
}

/**
 * Retry-After in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. Graph's own samples have used a fraction (`Retry-After: 2.128`, older copies of
 * https://learn.microsoft.com/graph/throttling), so a decimal is read too.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `x-ms-throttle-scope` and `x-ms-throttle-information` (https://learn.microsoft.com/graph/throttling-limits), in words. */
function throttleOf(headers: Record<string, string>): string | undefined {
  const scope = headers['x-ms-throttle-scope'];
  const info = headers['x-ms-throttle-information'];
  const words = [info, scope ? `scope ${scope}` : ''].filter(Boolean).join(', ');
  return words ? `throttled: ${words}` : undefined;
}

/** A part with no usable answer: a read failed (it changed nothing); a change is pending (it may have been made). */
function unsure<T>(part: BatchPart<T>, error: Error, status?: number): PartOutcome<T> {
  const s = status === undefined ? {} : { status };
  return part.method === 'GET' ? { ok: false, kind: 'failed', ...s, error } : { ok: false, kind: 'pending', ...s, error };
}

function batchRequest(id: string, part: BatchPart<unknown>): Record<string, unknown> {
  const req: Record<string, unknown> = { id, method: part.method, url: part.path };
  const headers = { ...part.headers };
  if (part.body !== undefined) {
    // "When a body is included with the request, the headers object must contain a value for Content-Type."
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    req.body = part.body;
  }
  if (Object.keys(headers).length > 0) req.headers = headers;
  return req;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

function lowerKeys(h: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}

/** The body, read to its end (or to `max` bytes: then `tooLarge`, and the rest is not read). */
async function readBody(res: Response, max: number, signal: AbortSignal): Promise<{ text: string; tooLarge: boolean }> {
  if (!res.body) return { text: '', tooLarge: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  // The deadline (or an interrupt) ends the read itself, whatever the fetch implementation does with the
  // signal once the body is streaming: a trickling body must not outlive the deadline (the fault matrix's
  // trickle cells hung now and then, in two full runs, until the read raced the signal).
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      void reader.cancel(signal.reason).catch(() => undefined);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        return { text: '', tooLarge: true };
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false };
}

function parseJson(text: string): { value: unknown } | { error: string } {
  if (text.trim() === '') return { value: undefined };
  try {
    // A leading byte order mark "MAY" be ignored by a parser (RFC 8259 §8.1); some Microsoft services have
    // sent one (no Graph or Partner Center page says they do), and it is not worth failing an answer for.
    return { value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * Graph's `{"error": {"code", "message", "innerError": {"request-id"}}}`
 * (https://learn.microsoft.com/graph/errors); Partner Center's `{"code", "description"}`
 * (https://learn.microsoft.com/partner-center/developer/error-codes); anything else by its status
 * (a body that is not JSON is quoted as text, escaped by MicrosoftError).
 */
function errorFrom(service: ApiService, method: string, path: string, status: number, body: unknown, headers: Record<string, string>, note?: string): MicrosoftError {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const graph = (b.error && typeof b.error === 'object' ? b.error : undefined) as Record<string, unknown> | undefined;
  const inner = (graph?.innerError ?? graph?.innererror) as Record<string, unknown> | undefined;
  const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
  const code = text(graph?.code ?? b.code ?? b.errorName);
  const message = text(graph?.message ?? b.description ?? b.message ?? (typeof body === 'string' ? body : ''));
  const requestId = headers['request-id'] ?? headers['ms-requestid'] ?? (typeof inner?.['request-id'] === 'string' ? inner['request-id'] : undefined);
  return new MicrosoftError(service, method, path, status, code, message, requestId, note);
}

/** Node's system error codes for a request that never left: no connection was made. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

/** Whether a failed fetch may have reached the server (false only when no connection was ever made). */
export function reachedServer(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } })?.cause?.code;
  return !(code && NEVER_CONNECTED.has(code));
}

/** One reason, in words, for a failed fetch (undici puts the system error in `cause`). */
export function networkReason(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${duration(timeoutMs)}`;
  const code = err?.cause?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'the connection was closed before an answer came',
    UND_ERR_SOCKET: 'the connection was closed before an answer came',
    EPIPE: 'the connection was closed before an answer came',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    CERT_HAS_EXPIRED: 'the server certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is not trusted',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not trusted',
    SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is not trusted',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return String(err?.cause?.message ?? err?.message ?? e);
}

/**
 * A number of seconds from the environment (DELEGATE_HTTP_TIMEOUT, DELEGATE_RETRY_BUDGET), in
 * milliseconds; unset or empty gives the default; anything but a plain decimal number in range is
 * exit 2 naming the variable.
 */
export function secondsFromEnv(env: NodeJS.ProcessEnv, name: string, defaultMs: number, opts: { positive: boolean; max: number }): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return defaultMs;
  const seconds = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  const ok = opts.positive ? seconds > 0 : seconds >= 0;
  if (!ok || seconds > opts.max) {
    const range = opts.positive ? `greater than 0 and at most ${opts.max}` : `from 0 to ${opts.max}`;
    throw new UsageError(`${name} must be a number of seconds ${range} (default ${defaultMs / 1000}), not ${JSON.stringify(v.slice(0, 40))}`);
  }
  return Math.round(seconds * 1000);
}

/**
 * The client a live command uses: endpoints for the cloud with the
 * DELEGATE_*_URL overrides, DELEGATE_ACCESS_TOKEN or the sign-in's tokens
 * (neither: exit 4 naming `delegate login`, before any request), and the
 * deadline and retry budget from DELEGATE_HTTP_TIMEOUT and DELEGATE_RETRY_BUDGET
 * (seconds; a bad value is exit 2).
 */
export function liveClient(
  env: NodeJS.ProcessEnv,
  opts: { cloud?: Cloud; signedIn?: TokenProvider } & Omit<ClientOptions, 'endpoints' | 'tokens'> = {},
): MicrosoftClient {
  const { cloud, signedIn, ...rest } = opts;
  const timeoutMs = rest.timeoutMs ?? secondsFromEnv(env, 'DELEGATE_HTTP_TIMEOUT', DEFAULT_TIMEOUT_MS, { positive: true, max: 86_400 });
  const retryBudgetMs = rest.retryBudgetMs ?? secondsFromEnv(env, 'DELEGATE_RETRY_BUDGET', DEFAULT_RETRY_BUDGET_MS, { positive: false, max: 86_400 });
  return new MicrosoftClient({ ...rest, timeoutMs, retryBudgetMs, endpoints: endpointsFor(cloud ?? 'global', env), tokens: tokenProviderFor(env, signedIn) });
}
