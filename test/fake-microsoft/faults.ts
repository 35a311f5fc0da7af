/**
 * Faults the loopback fake injects at a request boundary (`fake.fault(...)`).
 *
 * Before the change (nothing applied at the fake):
 * - `throttle`: 429, with `retryAfter` when given.
 * - `unavailable`: 503, with `retryAfter` when given.
 * - `error`: any `status`, Graph error `code` and `message` (a 401 on a `$batch` envelope, a 403 on a part).
 * - `storm`: 429 with `retryAfter` on every matching request for `durationMs` from the first one, measured
 *   on `fake.clock` (Date.now unless a test gives the fake the same virtual clock its in-process
 *   client sleeps on, so a 20 s storm takes no real time; a spawned CLI gets a short real storm).
 * - `drop`: the connection is closed with no answer.
 * - `hang`: no answer ever (close() ends the connection).
 * - `slow`: the normal answer after `delayMs`.
 * After the change (the fake has applied it, as Microsoft would have):
 * - `hold`: the answer is made and held; the test awaits `fake.held(...)`, then kills the client (SIGKILL
 *   before the ledger write: "hold the answer, signal the test, kill; not a timer"), or releases it
 *   (`held.release()`) or drops the connection (`held.drop()`).
 * - `lost`: the connection is closed instead of answering (applied, then the answer lost).
 * - `truncated`: the answer's status (or `status`), its JSON body cut in half (malformed; a 204's is `{`, sent as 200).
 * - `trickle`: the status and headers are sent, then the body one byte every `intervalMs` (default 100), and
 *   after its last byte but one, spaces: it never ends.
 * - `endless`: a collection page whose `@odata.nextLink` always names a fresh page (a new `$skiptoken` each
 *   time, the same items); it matches every page of the path, so `times` defaults to Infinity.
 *
 * A fault matches by service, method, path (exact string or RegExp on the path after the version) and
 * `inBatch` (parts only, top-level only, or both when absent). `after` lets that many matching requests
 * through first (the 2nd `$batch` envelope: `{path: '/$batch', inBatch: false, after: 1}`), then `times`
 * (default 1) are hit. In a `$batch`, a part may be answered 429/503/error (or by a storm) on its own;
 * hold, lost, truncated and trickle on a part apply to the whole envelope's answer, once every part
 * has been applied.
 */
import { graphError, type FakeService, type Reply } from './replies.js';

export type FaultKind = 'throttle' | 'unavailable' | 'drop' | 'slow' | 'hang' | 'error' | 'storm' | 'hold' | 'lost' | 'truncated' | 'trickle' | 'endless';

export interface Fault {
  kind: FaultKind;
  service?: FakeService;
  method?: string;
  /** Matched against the recorded path: exactly (a string) or by a RegExp. */
  path?: string | RegExp;
  /** How many matching requests it hits (default 1; endless: Infinity; storm: ignored, it lasts durationMs). */
  times?: number;
  /** How many matching requests pass untouched before it starts hitting (default 0). */
  after?: number;
  /** throttle/unavailable/storm: the Retry-After header to send (none when absent). */
  retryAfter?: string;
  /** slow: how long to wait before answering normally. */
  delayMs?: number;
  /** storm: how long it lasts from its first hit, on fake.clock. */
  durationMs?: number;
  /** trickle: the time between two bytes (default 100 ms). */
  intervalMs?: number;
  /** error: the status and Graph error code/message to answer with; truncated: the status to send instead of the answer's. */
  status?: number;
  code?: string;
  message?: string;
  /** Apply to `$batch` parts only (true), top-level requests only (false), or both (absent). */
  inBatch?: boolean;
}

/** A fault as armed: its counters. */
export interface ArmedFault extends Fault {
  left: number;
  skip: number;
  /** storm: when its first hit came (fake.clock). */
  startedAt?: number;
}

/** Kinds that strike after the change is applied (the answer exists). */
export const AFTER_APPLY: ReadonlySet<FaultKind> = new Set(['hold', 'lost', 'truncated', 'trickle', 'endless']);
/** After-apply kinds that, on a `$batch` part, take over the whole envelope's answer. */
export const ENVELOPE_FATE: ReadonlySet<FaultKind> = new Set(['hold', 'lost', 'truncated', 'trickle']);

export function arm(f: Fault): ArmedFault {
  return { ...f, left: f.times ?? (f.kind === 'endless' ? Infinity : 1), skip: f.after ?? 0 };
}

export interface Matchable {
  service: FakeService;
  method: string;
  path: string;
  inBatch: boolean;
}

/**
 * The first armed fault this request triggers (counters moved), if any. Every fault whose filter the
 * request matches counts it towards its `after`, whichever fault strikes.
 */
export function takeFault(faults: ArmedFault[], r: Matchable, clock: () => number): ArmedFault | undefined {
  let hit: ArmedFault | undefined;
  for (const f of faults) {
    if (f.service !== undefined && f.service !== r.service) continue;
    if (f.method !== undefined && f.method !== r.method) continue;
    if (f.inBatch !== undefined && f.inBatch !== r.inBatch) continue;
    if (f.path !== undefined && !(typeof f.path === 'string' ? f.path === r.path : f.path.test(r.path))) continue;
    if (f.skip > 0) {
      f.skip--;
      continue;
    }
    if (hit) continue;
    if (f.kind === 'storm') {
      const t = clock();
      f.startedAt ??= t;
      if (t - f.startedAt < (f.durationMs ?? 0)) hit = f;
      continue;
    }
    if (f.left <= 0) continue;
    f.left--;
    hit = f;
  }
  return hit;
}

/** The answer a fault gives instead of the normal one, for the kinds that answer (the others are the transport's). */
export function faultReply(f: Fault): Reply | undefined {
  if (f.kind === 'throttle' || f.kind === 'storm') {
    // https://learn.microsoft.com/graph/throttling: 429 with a suggested wait in Retry-After.
    const r = graphError(429, 'TooManyRequests', 'Too many requests. Please retry after the delay.');
    if (f.retryAfter !== undefined) r.headers!['Retry-After'] = f.retryAfter;
    return r;
  }
  if (f.kind === 'unavailable') {
    // https://learn.microsoft.com/graph/errors: 503 serviceNotAvailable, "may be a Retry-After header".
    const r = graphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Try again after a delay.');
    if (f.retryAfter !== undefined) r.headers!['Retry-After'] = f.retryAfter;
    return r;
  }
  if (f.kind === 'error') return graphError(f.status ?? 500, f.code ?? 'generalException', f.message ?? 'An unspecified error has occurred.');
  return undefined;
}

/** A collection page turned endless: its next link names a fresh page of the same path. */
export function endless(reply: Reply, pageUrl: (skiptoken: string) => string): Reply {
  const body = reply.body as Record<string, unknown> | undefined;
  if (reply.status !== 200 || !body || !Array.isArray(body.value)) return reply;
  const fresh = Buffer.from(`endless-${Math.random().toString(36).slice(2)}-${Date.now()}`).toString('base64url');
  return { ...reply, body: { ...body, '@odata.nextLink': pageUrl(fresh) } };
}

/** The bytes of an answer cut in half (malformed JSON); a reply without a body gets `{` and 200. */
export function truncatedReply(reply: Reply, status?: number): { status: number; headers: Record<string, string>; payload: string } {
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  const payload = text.length > 1 ? text.slice(0, Math.floor(text.length / 2)) : '{';
  const s = status ?? (reply.body === undefined ? 200 : reply.status);
  return { status: s, headers: { ...reply.headers, 'Content-Type': 'application/json' }, payload };
}
