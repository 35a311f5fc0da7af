/**
 * The rate limiter of live mode (SPEC "Sync at partner scale"): requests to Microsoft are paced per
 * service so that delegate stays under the limits Microsoft publishes, instead of running into 429s.
 *
 * Buckets (each a token bucket refilling at limit/window, holding at most a tenth of the window's
 * limit, so a burst never spends a whole window at once):
 * - `tenantRelationships`: Graph paths under /tenantRelationships, Graph's "multi-tenant management
 *   service": 1,000 requests per 20 seconds per app per tenant, of which (POST, PUT, DELETE, PATCH)
 *   100 per 20 seconds (`tenantRelationshipsWrites`).
 *   https://learn.microsoft.com/graph/throttling-limits ("Multi-tenant management service limits",
 *   which lists tenantRelationship; per tenant for all apps: 2,000 and 200).
 * - `identity`: every other Graph path, Graph's "identity and access service": resource units per
 *   10 seconds per application+tenant pair, by tenant size: S 3,500, M 5,000, L 8,000 ("S - under 50
 *   users, M - between 50 and 500 users, and L - above 500 users"); a request is charged by the page's
 *   cost table (COSTS below). Writes also go to `identityWrites`: 3,000 per 2 minutes and 30 seconds
 *   per application+tenant pair. https://learn.microsoft.com/graph/throttling-limits ("Identity and
 *   access service limits").
 * - `partnerCenter`: Partner Center publishes which calls are throttled (GET /v1/customers/{id} among
 *   them) but not the rates, and says it adjusts them dynamically
 *   (https://learn.microsoft.com/partner-center/developer/api-throttling-guidance): 500 requests per
 *   minute is DELEGATE'S OWN DEFAULT, not a Microsoft figure (`live.limits.partnerCenter`).
 *
 * Limits are per app per tenant, shared by every technician using the same app; delegate keeps one
 * bucket per service whatever the tenant (a request to a client's tenant is counted with the
 * partner's: slower than allowed, never over).
 *
 * Besides the rate, at most `concurrency` requests are in flight per service (default 8: Microsoft
 * publishes no number for these services). A 429 or 503 pauses its buckets for everyone for the
 * Retry-After (or the backoff) and lowers their rate (x0.7, to at most a tenth), which recovers by a
 * tenth of the rate per quiet window; `x-ms-throttle-limit-percentage` of 0.8 or more ("Returned only
 * when the application consumed more than 0.8 of its limit") slows likewise; `x-ms-resource-unit`
 * ("the resource unit used for this request") corrects what an identity request was charged. An
 * interrupt (the client's AbortSignal) ends any wait. The clock and sleep are injected (the client's).
 */
export type TenantSize = 'small' | 'medium' | 'large';
export const TENANT_SIZES: readonly TenantSize[] = ['small', 'medium', 'large'];
/** Resource units per 10 s per application+tenant pair by tenant size (throttling-limits, "Identity and access service limits"). */
export const IDENTITY_UNITS: Record<TenantSize, number> = { small: 3500, medium: 5000, large: 8000 };

/** The limits a partner may set (`config set live.limits.*`, `live.concurrency`, `live.tenantSize`). */
export interface Limits {
  /** Requests per 20 s (default 1,000). */
  tenantRelationships?: number;
  /** Resource units per 10 s (default by tenantSize). */
  identity?: number;
  /** Requests per minute (default 500, delegate's own). */
  partnerCenter?: number;
  /** Requests in flight per service (default 8). */
  concurrency?: number;
  /** Chooses the identity default (default small). */
  tenantSize?: TenantSize;
}

export type LimitedService = 'tenantRelationships' | 'identity' | 'partnerCenter';
export type BucketName = LimitedService | 'tenantRelationshipsWrites' | 'identityWrites';
const SERVICES: readonly LimitedService[] = ['identity', 'partnerCenter', 'tenantRelationships'];

export const DEFAULT_LIMITS = { tenantRelationships: 1000, partnerCenter: 500, concurrency: 8, tenantSize: 'small' as TenantSize };

/** What one request costs in one bucket. */
export interface Charge {
  service: LimitedService;
  bucket: BucketName;
  cost: number;
}

/**
 * Base costs of the identity and access service (https://learn.microsoft.com/graph/throttling-limits,
 * "The following table lists base request costs. Any requests not listed have a base cost of 1"),
 * with the write cost (0 for the listed POSTs that only read; 1 for any other POST, PATCH, PUT,
 * DELETE). The page gives GET `users` (the list) 2, not 1. "Any request cost that applies to a request
 * path starting with `me/` also applies to equivalent requests starting with `users/{id |
 * userPrincipalName}/`." Checked against the page's text as stored in microsoftgraph/
 * microsoft-graph-docs-contrib (concepts/throttling-limits.md); Microsoft says the limits may change.
 */
const ME = '(?:me|users/[^/]+)';
const COSTS: readonly { method: string; path: RegExp; cost: number; write?: 0 }[] = [
  { method: 'GET', path: /^applications$/, cost: 2 },
  { method: 'GET', path: /^applications\/[^/]+\/extensionProperties$/, cost: 2 },
  { method: 'GET', path: /^contracts$/, cost: 3 },
  { method: 'POST', path: /^directoryObjects\/getByIds$/, cost: 3, write: 0 },
  { method: 'GET', path: /^domains\/[^/]+\/domainNameReferences$/, cost: 4 },
  { method: 'POST', path: /^getObjectsById$/, cost: 3, write: 0 },
  { method: 'GET', path: /^groups\/[^/]+\/members$/, cost: 3 },
  { method: 'GET', path: /^groups\/[^/]+\/transitiveMembers$/, cost: 5 },
  { method: 'POST', path: /(^|\/)isMemberOf$/, cost: 4, write: 0 },
  { method: 'POST', path: new RegExp(`^${ME}/checkMember(Groups|Objects)$`), cost: 4, write: 0 },
  { method: 'POST', path: new RegExp(`^${ME}/getMember(Groups|Objects)$`), cost: 2, write: 0 },
  { method: 'GET', path: new RegExp(`^${ME}/(licenseDetails|memberOf|ownedObjects|transitiveMemberOf)$`), cost: 2 },
  { method: 'GET', path: /^oauth2PermissionGrants(\/[^/]+)?$/, cost: 2 },
  { method: 'GET', path: /^servicePrincipals\/[^/]+\/appRoleAssignments$/, cost: 2 },
  { method: 'GET', path: /^subscribedSkus$/, cost: 3 },
  { method: 'GET', path: /^users$/, cost: 2 },
];

/**
 * What a request costs: `path` is Graph's after the version (`/groups/{id}/members?$top=999`) or
 * Partner Center's from its root. Identity costs follow the page's "Other factors": `$select` -1,
 * `$expand` +1, `$top` under 20 -1, never below 1.
 */
export function chargesFor(service: 'graph' | 'partnerCenter', method: string, path: string): Charge[] {
  if (service === 'partnerCenter') return [{ service: 'partnerCenter', bucket: 'partnerCenter', cost: 1 }];
  const url = new URL(path.replace(/^\/?/, '/'), 'http://graph');
  const p = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  const write = method !== 'GET';
  if (/^tenantRelationships(\/|$)/i.test(p)) {
    const c: Charge[] = [{ service: 'tenantRelationships', bucket: 'tenantRelationships', cost: 1 }];
    return write ? [...c, { service: 'tenantRelationships', bucket: 'tenantRelationshipsWrites', cost: 1 }] : c;
  }
  const row = COSTS.find((r) => r.method === method && r.path.test(p));
  const q = url.searchParams;
  const top = Number(q.get('$top'));
  const cost = Math.max(1, (row?.cost ?? 1) - (q.has('$select') ? 1 : 0) + (q.has('$expand') ? 1 : 0) - (q.has('$top') && top < 20 ? 1 : 0));
  const c: Charge[] = [{ service: 'identity', bucket: 'identity', cost }];
  return write && row?.write !== 0 ? [...c, { service: 'identity', bucket: 'identityWrites', cost: 1 }] : c;
}

/** A place taken: release it when the answer is read (or the attempt failed). */
export interface Permit {
  /** How long the request waited for its turn (ms, on the limiter's clock): its place in flight and its tokens. */
  waitedMs: number;
  release(): void;
}

export interface BucketStats {
  limit: number;
  windowMs: number;
  /** The share of the rate in use now (1 = full; lowered by throttling). */
  factor: number;
  requests: number;
  units: number;
  /** Requests that had to wait for their turn, and for how long in all. */
  waits: number;
  waitedMs: number;
  throttled: number;
}

export interface LimiterStats {
  /** Requests that waited for their turn (a place in flight, or their rate), and for how long in all (ms). */
  waits: number;
  waitedMs: number;
  throttled: number;
  buckets: Record<BucketName, BucketStats>;
  services: Record<LimitedService, { inFlight: number; maxInFlight: number }>;
}

export interface LimiterClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const SLOWER = 0.7;
const SLOWEST = 0.1;
/** Several throttled answers at once (a $batch's parts) slow a bucket once. */
const SLOW_GAP_MS = 1000;

class TokenBucket {
  readonly capacity: number;
  tokens: number;
  factor = 1;
  pausedUntil = 0;
  private updatedAt: number;
  private lastSlowAt = -Infinity;
  private recoverFrom = 0;
  tail: Promise<void> = Promise.resolve();
  readonly stats: BucketStats;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    now: number,
  ) {
    // At most 10% of the window's limit at once (at least one request).
    this.capacity = Math.max(1, Math.floor(limit / 10));
    this.tokens = this.capacity;
    this.updatedAt = now;
    this.stats = { limit, windowMs, factor: 1, requests: 0, units: 0, waits: 0, waitedMs: 0, throttled: 0 };
  }

  private rate(): number {
    return (this.limit / this.windowMs) * this.factor;
  }

  refill(now: number): void {
    // Nothing accumulates while paused: Microsoft "continues to log resource usage while a client is being
    // throttled" (https://learn.microsoft.com/graph/throttling), so the pause must not end with a burst.
    const from = Math.max(this.updatedAt, this.pausedUntil);
    if (now > from) this.tokens = Math.min(this.capacity, this.tokens + (now - from) * this.rate());
    this.updatedAt = Math.max(this.updatedAt, now);
    if (this.factor < 1) {
      const quiet = Math.floor((now - this.recoverFrom) / this.windowMs);
      if (quiet > 0) {
        this.factor = Math.min(1, this.factor + 0.1 * quiet);
        this.recoverFrom += quiet * this.windowMs;
        this.stats.factor = this.factor;
      }
    }
  }

  /** How long until `cost` may be spent (0: now). A cost above the capacity waits for a full bucket, then goes into debt. */
  waitFor(cost: number, now: number): number {
    this.refill(now);
    if (now < this.pausedUntil) return this.pausedUntil - now;
    const need = Math.min(cost, this.capacity);
    return this.tokens >= need ? 0 : Math.max(1, Math.ceil((need - this.tokens) / this.rate()));
  }

  slow(now: number): void {
    if (now - this.lastSlowAt < SLOW_GAP_MS) return;
    this.refill(now);
    this.factor = Math.max(SLOWEST, this.factor * SLOWER);
    this.lastSlowAt = now;
    this.recoverFrom = now;
    this.stats.factor = this.factor;
  }
}

class Slots {
  inFlight = 0;
  maxInFlight = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly max: number) {}

  take(signal?: AbortSignal): Promise<void> {
    if (this.inFlight < this.max && this.queue.length === 0) {
      this.enter();
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(go);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal!.reason);
      };
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.enter();
        resolve();
      };
      this.queue.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private enter(): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  release(): void {
    this.inFlight--;
    this.queue.shift()?.();
  }
}

export class Limiter {
  private readonly buckets: Record<BucketName, TokenBucket>;
  private readonly slots: Record<LimitedService, Slots>;
  private waits = 0;
  private waitedMs = 0;

  constructor(
    limits: Limits = {},
    private readonly clock: LimiterClock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  ) {
    const now = clock.now();
    const size = limits.tenantSize ?? DEFAULT_LIMITS.tenantSize;
    const tr = limits.tenantRelationships ?? DEFAULT_LIMITS.tenantRelationships;
    this.buckets = {
      tenantRelationships: new TokenBucket(tr, 20_000, now),
      // "of which" 100 writes per 20 s: a tenth of the requests, kept so when a partner lowers the requests.
      tenantRelationshipsWrites: new TokenBucket(Math.max(1, Math.round(tr / 10)), 20_000, now),
      identity: new TokenBucket(limits.identity ?? IDENTITY_UNITS[size], 10_000, now),
      identityWrites: new TokenBucket(3000, 150_000, now),
      partnerCenter: new TokenBucket(limits.partnerCenter ?? DEFAULT_LIMITS.partnerCenter, 60_000, now),
    };
    const n = limits.concurrency ?? DEFAULT_LIMITS.concurrency;
    this.slots = { identity: new Slots(n), partnerCenter: new Slots(n), tenantRelationships: new Slots(n) };
  }

  /**
   * A request's turn: a place among the requests in flight of each service it charges (taken in one
   * order, so two envelopes never hold each other's), then its cost in each bucket, in turn (first
   * come, first served). Rejects with the signal's reason on an interrupt, holding nothing.
   */
  async acquire(charges: readonly Charge[], signal?: AbortSignal): Promise<Permit> {
    const start = this.clock.now();
    const services = SERVICES.filter((s) => charges.some((c) => c.service === s));
    const held: Slots[] = [];
    const releaseAll = () => held.splice(0).forEach((s) => s.release());
    try {
      for (const s of services) {
        await this.slots[s].take(signal);
        held.push(this.slots[s]);
      }
      const costs = new Map<BucketName, number>();
      for (const c of charges) costs.set(c.bucket, (costs.get(c.bucket) ?? 0) + c.cost);
      for (const [name, cost] of costs) await this.take(this.buckets[name], cost, signal);
    } catch (e) {
      releaseAll();
      throw e;
    }
    const waitedMs = Math.max(0, this.clock.now() - start);
    if (waitedMs > 0) {
      this.waits++;
      this.waitedMs += waitedMs;
    }
    return { waitedMs, release: releaseAll };
  }

  private async take(b: TokenBucket, cost: number, signal?: AbortSignal): Promise<void> {
    const before = b.tail;
    let done: () => void = () => undefined;
    b.tail = new Promise<void>((r) => (done = r));
    const start = this.clock.now();
    try {
      await before;
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const wait = b.waitFor(cost, this.clock.now());
        if (wait <= 0) break;
        await this.sleep(wait, signal);
      }
      b.tokens -= cost;
      b.stats.requests++;
      b.stats.units += cost;
      const waited = this.clock.now() - start;
      if (waited > 0) {
        b.stats.waits++;
        b.stats.waitedMs += waited;
      }
    } finally {
      done();
    }
  }

  private async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!signal) return this.clock.sleep(ms);
    if (signal.aborted) throw signal.reason;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.clock.sleep(ms).then(
        () => (signal.removeEventListener('abort', onAbort), resolve()),
        (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
      );
    });
  }

  /**
   * What an answer says about the limits: 429/503 pause the request's buckets for `waitMs` and slow
   * them; `x-ms-throttle-limit-percentage` >= 0.8 slows them; `x-ms-resource-unit` corrects the
   * identity cost of a `single` request (a `$batch` part's own headers are read per part).
   */
  answered(charges: readonly Charge[], status: number, headers: Record<string, string>, waitMs = 0, single = true): void {
    const now = this.clock.now();
    const names = [...new Set(charges.map((c) => c.bucket))];
    if (status === 429 || status === 503) {
      for (const n of names) {
        const b = this.buckets[n];
        b.refill(now);
        b.pausedUntil = Math.max(b.pausedUntil, now + waitMs);
        b.stats.throttled++;
        b.slow(now);
      }
    }
    const pct = Number(headers['x-ms-throttle-limit-percentage']);
    if (pct >= 0.8) for (const n of names) this.buckets[n].slow(now);
    const units = Number(headers['x-ms-resource-unit']);
    const charged = charges.find((c) => c.bucket === 'identity');
    if (single && charged && Number.isInteger(units) && units > 0 && units !== charged.cost) {
      this.buckets.identity.refill(now);
      this.buckets.identity.tokens -= units - charged.cost;
      this.buckets.identity.stats.units += units - charged.cost;
    }
  }

  stats(): LimiterStats {
    const buckets = Object.fromEntries(Object.entries(this.buckets).map(([k, b]) => [k, { ...b.stats }])) as Record<BucketName, BucketStats>;
    return {
      waits: this.waits,
      waitedMs: this.waitedMs,
      throttled: buckets.identity.throttled + buckets.tenantRelationships.throttled + buckets.partnerCenter.throttled,
      buckets,
      services: Object.fromEntries(SERVICES.map((s) => [s, { inFlight: this.slots[s].inFlight, maxInFlight: this.slots[s].maxInFlight }])) as LimiterStats['services'],
    };
  }
}
