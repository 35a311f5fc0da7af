/**
 * The HTTP client for Microsoft Graph and Partner Center: a thin typed wrapper
 * over Node's own `fetch` (README "Choices" says why not the Graph SDK).
 *
 * - Sends the bearer token: DELEGATE_ACCESS_TOKEN when set, else a TokenProvider (sign-in).
 * - Retries 429 and 503 after Retry-After (seconds or an HTTP date), or with
 *   bounded exponential backoff and jitter when it is absent, for a bounded
 *   number of attempts; sleep, clock and randomness are injected, so tests never wait.
 *   https://learn.microsoft.com/graph/throttling ("Wait the number of seconds specified in the
 *   Retry-After field... Retry the request"); 503 may carry Retry-After too (https://learn.microsoft.com/graph/errors).
 * - Follows `@odata.nextLink` to the end (https://learn.microsoft.com/graph/paging), only on the
 *   same base URL, so the token is never sent elsewhere.
 * - Sends many requests as JSON `$batch`es of at most 20, reports each part's
 *   outcome, and retries the throttled parts (https://learn.microsoft.com/graph/json-batching).
 * - A network failure is one NetworkError (exit 1); an HTTP error is a MicrosoftError
 *   carrying Microsoft's code and message. A dropped connection is not retried:
 *   a POST may have been applied, and only the caller can check by reading back.
 */
import { randomUUID } from '../domain/core/crypto.js';
import { endpointsFor, type Cloud, type Endpoints } from './endpoints.js';
import { MicrosoftError, NetworkError, NotSignedInError, type ServiceName } from './errors.js';

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
}

export interface ClientOptions {
  endpoints: Endpoints;
  tokens: TokenProvider;
  fetch?: typeof globalThis.fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch (to read Retry-After given as an HTTP date). */
  now?: () => number;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
  /** Attempts per request (and per $batch part), the first included. Default 5. */
  maxAttempts?: number;
  /** Backoff when Retry-After is absent: base * 2^(attempt-1), capped, half of it jittered. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A Retry-After longer than this is not waited for: the request fails, saying how long Microsoft asked to wait. */
  maxRetryAfterMs?: number;
  /** No answer within this long is a network failure. */
  timeoutMs?: number;
  graphVersion?: 'v1.0' | 'beta';
  onRetry?: (event: RetryEvent) => void;
  /**
   * An interrupt: aborts the request in flight and any wait before a retry;
   * the request then fails with the signal's reason (the InterruptedError).
   */
  signal?: AbortSignal;
}

export interface RequestSpec {
  service?: ApiService;
  method: Method;
  /** Graph: after the version (`/users/{id}`); Partner Center: from the root (`/v1/customers/{id}`). */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  tenantId?: string;
}

export interface Reply<T = unknown> {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: T;
}

export interface BatchPart {
  method: Method;
  /** Relative to the Graph version, as in a single request: `/users/{id}`. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export type BatchOutcome<T = unknown> =
  | { ok: true; status: number; headers: Record<string, string>; body: T }
  | { ok: false; status: number; error: MicrosoftError };

/** Graph allows at most 20 requests in one $batch (https://learn.microsoft.com/graph/json-batching). */
export const BATCH_LIMIT = 20;
const RETRYABLE = new Set([429, 503]);

interface Page<T> {
  value?: T[];
  '@odata.nextLink'?: string;
}

export class MicrosoftClient {
  readonly endpoints: Endpoints;
  private readonly tokens: TokenProvider;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly timeoutMs: number;
  private readonly graphVersion: string;
  private readonly onRetry?: (event: RetryEvent) => void;
  private readonly signal?: AbortSignal;

  constructor(o: ClientOptions) {
    this.endpoints = o.endpoints;
    this.tokens = o.tokens;
    this.fetchFn = o.fetch ?? globalThis.fetch;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 5);
    this.backoffBaseMs = o.backoffBaseMs ?? 1000;
    this.backoffMaxMs = o.backoffMaxMs ?? 30_000;
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? 300_000;
    this.timeoutMs = o.timeoutMs ?? 100_000;
    this.graphVersion = o.graphVersion ?? 'v1.0';
    this.onRetry = o.onRetry;
    this.signal = o.signal;
  }

  /** Throw the interrupt's reason if one came. */
  private checkSignal(): void {
    if (this.signal?.aborted) throw this.signal.reason;
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

  /** One request, retried when throttled; the parsed JSON body (undefined for 204). */
  async request<T = unknown>(spec: RequestSpec): Promise<Reply<T>> {
    const service = spec.service ?? 'graph';
    return this.send<T>(service, spec.method, this.base(service) + spec.path, spec.path, spec.body, spec.headers, spec.tenantId);
  }

  get<T = unknown>(path: string, tenantId?: string): Promise<T> {
    return this.request<T>({ method: 'GET', path, tenantId }).then((r) => r.body);
  }

  post<T = unknown>(path: string, body: unknown, tenantId?: string): Promise<T> {
    return this.request<T>({ method: 'POST', path, body, tenantId }).then((r) => r.body);
  }

  /** Every page of a Graph collection, following `@odata.nextLink` until there is none. */
  async *pages<T = unknown>(path: string, tenantId?: string): AsyncGenerator<T[]> {
    const base = this.base('graph');
    let url = base + path;
    let shown = path;
    const seen = new Set<string>();
    for (;;) {
      const { body } = await this.send<Page<T>>('graph', 'GET', url, shown, undefined, undefined, tenantId);
      yield body?.value ?? [];
      const next = body?.['@odata.nextLink'];
      if (!next) return;
      // Follow only links under the same base, never twice: the bearer token stays with Microsoft, and a loop ends.
      if (!next.startsWith(base + '/') || seen.has(next)) {
        throw new MicrosoftError('graph', 'GET', shown, 200, 'badNextLink', `a next page link that is not followed: ${next}`);
      }
      seen.add(next);
      url = next;
      shown = new URL(next).pathname.slice(new URL(base).pathname.length) + '?…';
    }
  }

  /** A whole Graph collection (every page). */
  async all<T = unknown>(path: string, tenantId?: string): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages<T>(path, tenantId)) out.push(...page);
    return out;
  }

  /**
   * Many Graph requests as `$batch`es of at most 20, one after another. The
   * outcomes come back in the order of `parts`, each a success or a failure of
   * its own; parts answered 429 or 503 are sent again (after the longest
   * Retry-After among them, or the backoff) up to the attempt limit.
   */
  async batch<T = unknown>(parts: readonly BatchPart[], tenantId?: string): Promise<BatchOutcome<T>[]> {
    const outcomes: BatchOutcome<T>[] = new Array(parts.length);
    for (let start = 0; start < parts.length; start += BATCH_LIMIT) {
      let pending = range(start, Math.min(parts.length, start + BATCH_LIMIT));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const requests = pending.map((i) => batchRequest(String(i + 1), parts[i]!));
        const reply = await this.send<{ responses?: BatchResponse[] }>('graph', 'POST', `${this.base('graph')}/$batch`, '/$batch', { requests }, undefined, tenantId);
        const byId = new Map((reply.body?.responses ?? []).map((r) => [String(r.id), r]));
        const again: number[] = [];
        let waitMs = 0;
        let retryStatus = 0;
        for (const i of pending) {
          const part = parts[i]!;
          const r = byId.get(String(i + 1));
          if (!r) {
            outcomes[i] = { ok: false, status: 0, error: new MicrosoftError('graph', part.method, part.path, 0, 'missingResponse', 'the $batch answer has no response for this request') };
            continue;
          }
          const headers = lowerKeys(r.headers);
          if (RETRYABLE.has(r.status) && attempt < this.maxAttempts) {
            const wait = this.retryDelay(headers['retry-after'], attempt);
            if (wait <= this.maxRetryAfterMs) {
              again.push(i);
              waitMs = Math.max(waitMs, wait);
              retryStatus = Math.max(retryStatus, r.status);
              continue;
            }
          }
          if (r.status < 400) {
            outcomes[i] = { ok: true, status: r.status, headers, body: r.body as T };
          } else {
            const note = RETRYABLE.has(r.status) ? this.giveUpNote(headers['retry-after'], attempt) : undefined;
            outcomes[i] = { ok: false, status: r.status, error: errorFrom('graph', part.method, part.path, r.status, r.body, headers, note) };
          }
        }
        if (again.length > 0) {
          this.onRetry?.({ service: 'graph', method: 'POST', path: '/$batch', status: retryStatus, attempt, waitMs, parts: again.length });
          await this.pause(waitMs);
        }
        pending = again;
      }
    }
    return outcomes;
  }

  private async send<T>(
    service: ApiService,
    method: Method,
    url: string,
    shown: string,
    body: unknown,
    extra: Record<string, string> | undefined,
    tenantId: string | undefined,
  ): Promise<Reply<T>> {
    // Partner Center (https://learn.microsoft.com/partner-center/developer/headers): MS-RequestId "used to
    // ensure id-potency... the retry call should include the same value", so it stays the same across
    // attempts; MS-CorrelationId is new for every call; MS-Contract-Version is required. Graph's
    // client-request-id is kept across attempts likewise, to find one call in Microsoft's logs.
    const requestId = randomUUID();
    const ids: Record<string, string> =
      service === 'graph' ? { 'client-request-id': requestId } : { 'MS-RequestId': requestId, 'MS-CorrelationId': randomUUID(), 'MS-Contract-Version': 'v1' };
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.getToken({ service, tenantId });
      const headers: Record<string, string> = { Accept: 'application/json', ...ids, ...extra, Authorization: `Bearer ${token}` };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let status: number;
      let replyHeaders: Record<string, string>;
      let text: string;
      this.checkSignal();
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const res = await this.fetchFn(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: this.signal ? AbortSignal.any([timeout, this.signal]) : timeout,
          redirect: 'error',
        });
        status = res.status;
        replyHeaders = Object.fromEntries([...res.headers].map(([k, v]) => [k.toLowerCase(), v]));
        text = await res.text();
      } catch (e) {
        this.checkSignal();
        throw new NetworkError(service as ServiceName, method, shown, networkReason(e, this.timeoutMs));
      }
      if (RETRYABLE.has(status) && attempt < this.maxAttempts) {
        const waitMs = this.retryDelay(replyHeaders['retry-after'], attempt);
        if (waitMs <= this.maxRetryAfterMs) {
          this.onRetry?.({ service, method, path: shown, status, attempt, waitMs });
          await this.pause(waitMs);
          continue;
        }
      }
      const parsed = parseJson(text);
      if (status >= 400) {
        const note = RETRYABLE.has(status) ? this.giveUpNote(replyHeaders['retry-after'], attempt) : undefined;
        throw errorFrom(service, method, shown, status, parsed, replyHeaders, note);
      }
      return { status, headers: replyHeaders, body: parsed as T };
    }
  }

  /** How long to wait before the next attempt: Retry-After when it is readable, else the backoff. */
  retryDelay(retryAfter: string | undefined, attempt: number): number {
    const asked = parseRetryAfter(retryAfter, this.now());
    if (asked !== undefined) return asked;
    const cap = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + this.random() * (cap / 2));
  }

  private giveUpNote(retryAfter: string | undefined, attempt: number): string {
    const asked = parseRetryAfter(retryAfter, this.now());
    if (attempt < this.maxAttempts && asked !== undefined) return `Microsoft asked to wait ${Math.ceil(asked / 1000)} s; not waited`;
    return `gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}`;
  }
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

function batchRequest(id: string, part: BatchPart): Record<string, unknown> {
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

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Graph's `{"error": {"code", "message", "innerError": {"request-id"}}}`
 * (https://learn.microsoft.com/graph/errors); Partner Center's `{"code", "description"}`
 * (https://learn.microsoft.com/partner-center/developer/error-codes); anything else by its status.
 */
function errorFrom(service: ApiService, method: string, path: string, status: number, body: unknown, headers: Record<string, string>, note?: string): MicrosoftError {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const graph = (b.error && typeof b.error === 'object' ? b.error : undefined) as Record<string, unknown> | undefined;
  const inner = (graph?.innerError ?? graph?.innererror) as Record<string, unknown> | undefined;
  const code = String(graph?.code ?? b.code ?? b.errorName ?? '');
  const message = String(graph?.message ?? b.description ?? b.message ?? (typeof body === 'string' ? body : ''));
  const requestId = headers['request-id'] ?? headers['ms-requestid'] ?? (inner?.['request-id'] as string | undefined);
  return new MicrosoftError(service, method, path, status, code, message, requestId, note);
}

/** One reason, in words, for a failed fetch (undici puts the system error in `cause`). */
export function networkReason(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`;
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
 * The client a live command uses: endpoints for the cloud with the
 * DELEGATE_*_URL overrides, and DELEGATE_ACCESS_TOKEN or the sign-in's tokens
 * (neither: exit 4 naming `delegate login`, before any request).
 */
export function liveClient(
  env: NodeJS.ProcessEnv,
  opts: { cloud?: Cloud; signedIn?: TokenProvider } & Omit<ClientOptions, 'endpoints' | 'tokens'> = {},
): MicrosoftClient {
  const { cloud, signedIn, ...rest } = opts;
  return new MicrosoftClient({ ...rest, endpoints: endpointsFor(cloud ?? 'global', env), tokens: tokenProviderFor(env, signedIn) });
}
