/**
 * The loopback fake's throttling (limits.ts) does what it says: off by default; enforced limits are a
 * token bucket per service on the fake's clock, answered 429 with Retry-After and Graph's throttle
 * headers; `$batch` parts count one by one; a storm answers the next n requests 429; the counters
 * say how many requests, how many 429s and how many in flight at once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeMicrosoft, startFakeMicrosoft } from './server.js';

let fake: FakeMicrosoft;
let clock = 0;

beforeAll(async () => {
  fake = await startFakeMicrosoft();
});
afterEach(() => {
  fake.reset();
});
afterAll(async () => {
  await fake.close();
});

const graph = (path: string, init: RequestInit = {}) => fetch(`${fake.graphUrl}/v1.0${path}`, init);
const pc = (path: string) => fetch(`${fake.partnerCenterUrl}${path}`);

describe('the fake throttles only when asked', () => {
  it('by default: no limit, every request counted per service', async () => {
    for (let i = 0; i < 30; i++) expect((await graph('/domains')).status).toBe(200);
    expect((await graph('/tenantRelationships/delegatedAdminRelationships')).status).toBe(200);
    expect(fake.limits.requests).toEqual({ identity: 30, tenantRelationships: 1, partnerCenter: 0 });
    expect(fake.limits.throttled).toEqual({ identity: 0, tenantRelationships: 0, partnerCenter: 0 });
  });

  it('enforced: a bucket of `limit` refilling limit/windowMs on the fake clock; over it, 429 with Retry-After and x-ms-throttle-*', async () => {
    clock = 0;
    fake.clock = () => clock;
    fake.enforce({ identity: { limit: 2, windowMs: 4000 } });
    expect((await graph('/domains')).status).toBe(200);
    expect((await graph('/domains')).status).toBe(200);
    const over = await graph('/domains');
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('2');
    expect(over.headers.get('x-ms-throttle-scope')).toMatch(/^Tenant_Application\/ReadWrite\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
    expect(over.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    // Other services are not limited.
    expect((await graph('/tenantRelationships/delegatedAdminRelationships')).status).toBe(200);
    clock += 2000; // one token back
    expect((await graph('/domains')).status).toBe(200);
    expect((await graph('/domains')).status).toBe(429);
    expect(fake.limits.throttled.identity).toBe(2);
  });

  it('a $batch counts its parts: those over the limit answer 429 inside the batch answer', async () => {
    clock = 0;
    fake.clock = () => clock;
    fake.enforce({ identity: { limit: 3, windowMs: 10_000 } });
    const requests = Array.from({ length: 5 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: '/domains' }));
    const r = await graph('/$batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ requests }) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { responses: { status: number; headers: Record<string, string> }[] };
    expect(body.responses.map((x) => x.status).sort()).toEqual([200, 200, 200, 429, 429]);
    expect(body.responses.find((x) => x.status === 429)!.headers['Retry-After']).toMatch(/^\d+$/);
    expect(fake.limits.requests.identity).toBe(5);
    expect(fake.limits.throttled.identity).toBe(2);
  });

  it('a storm: the next n requests of a service answer 429 with Retry-After 1, then it is over', async () => {
    fake.storm429('partnerCenter', 2);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await pc('/v1/customers/00000000-0000-4000-8000-000000000001');
      statuses.push(r.status);
      if (r.status === 429) expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(statuses).toEqual([429, 429, 404]);
    expect(fake.limits.throttled.partnerCenter).toBe(2);
  });

  it('latencyMs keeps requests in flight; the most at once is counted per service', async () => {
    fake.latencyMs = 100;
    await Promise.all([graph('/domains'), graph('/domains'), graph('/domains'), pc('/v1/customers/x')]);
    expect(fake.limits.maxInFlight).toEqual({ identity: 3, tenantRelationships: 0, partnerCenter: 1 });
  });
});
