/**
 * The rate limiter (src/microsoft/limiter.ts) on a fake clock: a sleep moves the clock and is
 * recorded, never waited. What a partner relies on: requests are paced at the limit, never more than a
 * tenth of a window at once, never more than `concurrency` in flight; a 429 pauses and slows the
 * service for everyone; Graph's own headers are honoured; an interrupt ends any wait.
 */
import { describe, expect, it } from '@jest/globals';
import { chargesFor, Limiter, type Charge, type Limits } from '../../src/microsoft/limiter.js';

function clocked(limits: Limits = {}) {
  const t = { now: 1_000_000, sleeps: [] as number[] };
  const limiter = new Limiter(limits, {
    now: () => t.now,
    sleep: async (ms) => {
      t.sleeps.push(ms);
      t.now += ms;
    },
  });
  return { t, limiter };
}

const PC = chargesFor('partnerCenter', 'GET', '/v1/customers/x');
const USER = chargesFor('graph', 'GET', '/users/x');

/** When each of `n` requests, made one after another, got its turn (relative to the first). */
async function turns(limiter: Limiter, t: { now: number }, charges: Charge[], n: number): Promise<number[]> {
  const start = t.now;
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = await limiter.acquire(charges);
    at.push(t.now - start);
    p.release();
  }
  return at;
}

describe('what a request costs', () => {
  const cost = (method: string, path: string) => chargesFor('graph', method, path).map((c) => `${c.bucket}:${c.cost}`);

  it("charges identity requests by Graph's cost table and its query options", () => {
    expect(cost('GET', '/contracts')).toEqual(['identity:3']);
    expect(cost('GET', '/contracts?$top=999')).toEqual(['identity:3']);
    expect(cost('GET', '/groups/0b8c/members')).toEqual(['identity:3']);
    expect(cost('GET', '/groups/0b8c/members?$select=id&$top=5')).toEqual(['identity:1']);
    expect(cost('GET', '/groups/0b8c/transitiveMembers?$expand=manager')).toEqual(['identity:6']);
    expect(cost('GET', '/users')).toEqual(['identity:2']);
    expect(cost('GET', '/users/ada@fabrikam.com/memberOf')).toEqual(['identity:2']);
    expect(cost('GET', '/users/ada@fabrikam.com')).toEqual(['identity:1']);
    expect(cost('GET', '/domains?$select=id')).toEqual(['identity:1']);
  });

  it('charges writes to the write quota too, except the POSTs that only read', () => {
    expect(cost('POST', '/users')).toEqual(['identity:1', 'identityWrites:1']);
    expect(cost('DELETE', '/groups/g/members/u/$ref')).toEqual(['identity:1', 'identityWrites:1']);
    expect(cost('POST', '/directoryObjects/getByIds')).toEqual(['identity:3']);
  });

  it('sends /tenantRelationships to the multitenant management service and Partner Center to its own', () => {
    expect(cost('GET', '/tenantRelationships/delegatedAdminRelationships?$top=300')).toEqual(['tenantRelationships:1']);
    expect(cost('PATCH', '/tenantRelationships/delegatedAdminRelationships/r1')).toEqual(['tenantRelationships:1', 'tenantRelationshipsWrites:1']);
    expect(PC).toEqual([{ service: 'partnerCenter', bucket: 'partnerCenter', cost: 1 }]);
  });
});

describe('pacing', () => {
  it('lets a tenth of the window go at once, then one request per limit/window', async () => {
    const { t, limiter } = clocked({ partnerCenter: 600 }); // 600 a minute: 10 a second
    const at = await turns(limiter, t, PC, 80);
    expect(at.slice(0, 60)).toEqual(new Array(60).fill(0)); // the burst: 60, never the whole 600
    expect(at[60]).toBe(100);
    expect(at[79]).toBe(2000);
    expect(limiter.stats()).toMatchObject({ waits: 20, waitedMs: 2000, throttled: 0 });
  });

  it('never exceeds the limit plus the burst in any window, over several windows', async () => {
    const { t, limiter } = clocked({ tenantRelationships: 100 }); // 100 per 20 s, burst 10
    const at = await turns(limiter, t, chargesFor('graph', 'GET', '/tenantRelationships/delegatedAdminRelationships'), 400);
    for (let i = 0; i < at.length; i++) expect(at.filter((x) => x >= at[i]! && x < at[i]! + 20_000).length).toBeLessThanOrEqual(110);
    expect(at[399]).toBeGreaterThanOrEqual(((400 - 10) * 20_000) / 100);
  });

  it('charges resource units: a request costing 3 takes three times the room', async () => {
    const { t, limiter } = clocked({ identity: 100 }); // 100 units per 10 s, burst 10
    const at = await turns(limiter, t, chargesFor('graph', 'GET', '/contracts'), 6);
    // 3 + 3 + 3 from the burst (1 left), then 2 more units at 10 a second each time.
    expect(at).toEqual([0, 0, 0, 200, 500, 800]);
  });

  it('holds at most `concurrency` requests in flight per service; the others wait for a place', async () => {
    const { limiter } = clocked({ concurrency: 2 });
    const a = await limiter.acquire(PC);
    const b = await limiter.acquire(PC);
    let third = false;
    const c = limiter.acquire(PC).then((p) => ((third = true), p));
    const other = await limiter.acquire(USER); // another service has its own places
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    expect(limiter.stats().services.partnerCenter).toEqual({ inFlight: 2, maxInFlight: 2 });
    a.release();
    (await c).release();
    expect(third).toBe(true);
    b.release();
    other.release();
    expect(limiter.stats().services.partnerCenter).toEqual({ inFlight: 0, maxInFlight: 2 });
  });
});

describe('what Microsoft answers', () => {
  it('a 429 pauses the service for everyone for its Retry-After, and slows it (x0.7) until quiet windows bring it back', async () => {
    const { t, limiter } = clocked({ partnerCenter: 600 });
    await turns(limiter, t, PC, 60); // the burst spent
    limiter.answered(PC, 429, { 'retry-after': '5' }, 5000);
    const start = t.now;
    const [p1, p2] = await Promise.all([limiter.acquire(PC), limiter.acquire(PC)]);
    expect(t.now - start).toBeGreaterThanOrEqual(5000);
    p1.release();
    p2.release();
    const s = limiter.stats();
    expect(s.throttled).toBe(1);
    expect(s.buckets.partnerCenter.factor).toBeCloseTo(0.7);
    // Slower: one request per 100 / 0.7 ms now.
    const at = await turns(limiter, t, PC, 3);
    expect(at[2]! - at[1]!).toBe(143);
    // A quiet minute (the window) gives back a tenth of the rate.
    t.now += 60_000;
    await turns(limiter, t, PC, 1);
    expect(limiter.stats().buckets.partnerCenter.factor).toBeCloseTo(0.8);
    t.now += 10 * 60_000;
    await turns(limiter, t, PC, 1);
    expect(limiter.stats().buckets.partnerCenter.factor).toBe(1);
  });

  it('throttled parts answered together slow the service once', () => {
    const { limiter } = clocked();
    for (let i = 0; i < 20; i++) limiter.answered(USER, 429, {}, 1000, false);
    expect(limiter.stats().buckets.identity).toMatchObject({ throttled: 20, factor: 0.7 });
  });

  it('x-ms-throttle-limit-percentage of 0.8 or more slows the service without pausing it', async () => {
    const { t, limiter } = clocked();
    limiter.answered(USER, 200, { 'x-ms-throttle-limit-percentage': '0.5' });
    expect(limiter.stats().buckets.identity.factor).toBe(1);
    limiter.answered(USER, 200, { 'x-ms-throttle-limit-percentage': '0.95' });
    expect(limiter.stats().buckets.identity.factor).toBeCloseTo(0.7);
    expect(await turns(limiter, t, USER, 1)).toEqual([0]);
    expect(limiter.stats().throttled).toBe(0);
  });

  it('x-ms-resource-unit corrects what a request was charged', async () => {
    const { t, limiter } = clocked({ identity: 100 }); // burst 10 units
    (await limiter.acquire(USER)).release(); // charged 1
    limiter.answered(USER, 200, { 'x-ms-resource-unit': '5' }); // it cost 5: 4 more
    expect(limiter.stats().buckets.identity.units).toBe(5);
    const at = await turns(limiter, t, USER, 6);
    expect(at).toEqual([0, 0, 0, 0, 0, 100]);
    // A part of a $batch is corrected by its own headers, not by the envelope's.
    limiter.answered(USER, 200, { 'x-ms-resource-unit': '9' }, 0, false);
    expect(limiter.stats().buckets.identity.units).toBe(11);
  });
});

describe('an interrupt', () => {
  it('ends a wait for the rate, a pause and a place in flight, holding nothing', async () => {
    const limiter = new Limiter({ concurrency: 1 }, { now: () => 0, sleep: () => new Promise<void>(() => undefined) });
    const stop = new AbortController();
    limiter.answered(PC, 429, {}, 60_000); // paused a minute: the next request waits
    const held = await Promise.race([limiter.acquire(USER), new Promise((r) => setTimeout(r, 50, 'waited'))]);
    expect(held).not.toBe('waited');
    const paused = limiter.acquire(PC, stop.signal);
    const noPlace = limiter.acquire(USER, stop.signal); // the one place of identity is taken
    const reason = new Error('interrupted');
    stop.abort(reason);
    await expect(paused).rejects.toBe(reason);
    await expect(noPlace).rejects.toBe(reason);
    expect(limiter.stats().services).toMatchObject({ partnerCenter: { inFlight: 0 }, identity: { inFlight: 1 } });
    (held as { release(): void }).release();
    expect(limiter.stats().services.identity.inFlight).toBe(0);
    await expect(limiter.acquire(PC, stop.signal)).rejects.toBe(reason);
  });
});
