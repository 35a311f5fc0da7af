/**
 * Throttling at the loopback fake (off by default): limits enforced per service, a 429 storm, and
 * counters a test reads to see how a client paced itself.
 *
 * - `enforce({ tenantRelationships, identity, partnerCenter })`: a token bucket per service of
 *   capacity `limit`, refilling limit/windowMs, measured on the fake's clock; a request over it is
 *   answered 429 with `Retry-After` (whole seconds until a token is back) and, for Graph, the
 *   `x-ms-throttle-scope` and `x-ms-throttle-information` headers as
 *   https://learn.microsoft.com/graph/throttling-limits describes them ("Identity and access service
 *   limits": `<Scope>/<Limit>/<ApplicationId>/<TenantId>`; the page documents them for the identity
 *   service; the fake sends them for tenantRelationships too, unconfirmed). Every request costs 1
 *   (the fake does not apply Graph's resource-unit table).
 * - `storm(service, n)`: the next n requests of the service answer 429 with `Retry-After: 1`.
 * - Counters: requests per service, 429s sent per service, most requests in flight at once per service.
 * A `$batch` envelope is not a request of any service; each part is (a throttled part gets its own 429
 * inside the batch answer, https://learn.microsoft.com/graph/throttling "Throttling and batching").
 */
import { graphError, type Reply, type Req } from './replies.js';

export type LimitedService = 'tenantRelationships' | 'identity' | 'partnerCenter';
export const LIMITED_SERVICES: readonly LimitedService[] = ['tenantRelationships', 'identity', 'partnerCenter'];

export interface FakeLimit {
  limit: number;
  windowMs: number;
}

export type PerService<T> = Record<LimitedService, T>;

const zero = (): PerService<number> => ({ tenantRelationships: 0, identity: 0, partnerCenter: 0 });

/** The service a request (or `$batch` part) counts against; none for the token endpoint and the envelope itself. */
export function limitedService(r: Pick<Req, 'service' | 'path'>): LimitedService | undefined {
  if (r.service === 'partnerCenter') return 'partnerCenter';
  if (r.service !== 'graph' || r.path === '/$batch') return undefined;
  return /^\/tenantRelationships(\/|$)/i.test(r.path) ? 'tenantRelationships' : 'identity';
}

/** Stand-ins for the ids in `x-ms-throttle-scope` (the fake knows no app id). */
const APP_ID = '00000000-0000-4000-8000-00000000a991';
const TENANT_ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

export class FakeLimits {
  readonly requests = zero();
  /** 429s sent (by enforcement or a storm). */
  readonly throttled = zero();
  readonly maxInFlight = zero();
  private readonly inFlight = zero();
  private readonly storms = zero();
  private buckets: Partial<PerService<FakeLimit & { tokens: number; at: number }>> = {};

  constructor(private readonly clock: () => number) {}

  enforce(limits: Partial<PerService<FakeLimit>>): void {
    const now = this.clock();
    this.buckets = {};
    for (const s of LIMITED_SERVICES) {
      const l = limits[s];
      if (l) this.buckets[s] = { ...l, tokens: l.limit, at: now };
    }
  }

  storm(service: LimitedService, n: number): void {
    this.storms[service] += n;
  }

  reset(): void {
    for (const m of [this.requests, this.throttled, this.maxInFlight, this.inFlight, this.storms]) Object.assign(m, zero());
    this.buckets = {};
  }

  /** A request of these services is in flight until `done` is called. */
  enter(services: readonly LimitedService[]): () => void {
    const distinct = [...new Set(services)];
    for (const s of distinct) {
      this.inFlight[s]++;
      this.maxInFlight[s] = Math.max(this.maxInFlight[s], this.inFlight[s]);
    }
    let left = true;
    return () => {
      if (!left) return;
      left = false;
      for (const s of distinct) this.inFlight[s]--;
    };
  }

  /** Count a request of `service`; the 429 to answer instead when it is over a limit or in a storm. */
  check(service: LimitedService): Reply | undefined {
    this.requests[service]++;
    if (this.storms[service] > 0) {
      this.storms[service]--;
      return this.tooMany(service, 1);
    }
    const b = this.buckets[service];
    if (!b) return undefined;
    const now = this.clock();
    b.tokens = Math.min(b.limit, b.tokens + ((now - b.at) * b.limit) / b.windowMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return this.tooMany(service, Math.max(1, Math.ceil((((1 - b.tokens) * b.windowMs) / b.limit) / 1000)));
  }

  private tooMany(service: LimitedService, seconds: number): Reply {
    this.throttled[service]++;
    if (service === 'partnerCenter') {
      // https://learn.microsoft.com/partner-center/developer/api-throttling-guidance: 429 with Retry-After (its body is not documented).
      return { status: 429, headers: { 'Retry-After': String(seconds) }, body: { code: 429, description: 'Rate limit is exceeded. Try again later.' } };
    }
    const r = graphError(429, 'TooManyRequests', 'Too many requests. Please retry after the delay.');
    r.headers = {
      ...r.headers,
      'Retry-After': String(seconds),
      'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${APP_ID}/${TENANT_ID}`,
      'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
    };
    return r;
  }
}
