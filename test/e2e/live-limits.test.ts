/**
 * The rate limiter end to end (SPEC "Sync at partner scale"): the settings a partner sets with
 * `config set` become the live client's limits, and against the loopback fake enforcing Microsoft-like
 * limits the client stays under them; a 429 storm is waited out with the right answer. The client runs
 * in this process on a virtual clock it shares with the fake (a wait moves the clock; nothing waits).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { limitsFromSettings } from '../../src/cli/live.js';
import { confSettings, settingValue, type SettingKey } from '../../src/cli/settings.js';
import { MicrosoftClient, staticToken } from '../../src/microsoft/client.js';
import { endpointsFor } from '../../src/microsoft/endpoints.js';
import * as schemas from '../../src/microsoft/schemas.js';
import type { Limits } from '../../src/microsoft/limiter.js';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import { ADMIN, expectOneLine, runBin, sandbox, TENANT, type Sandbox } from '../helpers/cli.js';

let fake: FakeMicrosoft;
let sb: Sandbox;
let clock: number;
const CUSTOMERS = Array.from({ length: 40 }, (_, i) => `7c1e0000-0000-4000-8000-${String(i).padStart(12, '0')}`);

beforeAll(async () => {
  fake = await startFakeMicrosoft();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  sb = await sandbox();
  fake.reset();
  clock = Date.parse('2026-12-07T10:00:00Z');
  fake.clock = () => clock;
  for (const [i, id] of CUSTOMERS.entries()) fake.addCustomer({ tenantId: id, displayName: `Customer ${i}`, defaultDomainName: `c${i}.example` });
});
afterEach(() => sb.cleanup());

/** A live client on the shared virtual clock, with the limits the settings give. */
function client(limits: Limits): MicrosoftClient {
  return new MicrosoftClient({
    endpoints: endpointsFor('global', fake.env()),
    tokens: staticToken('t'),
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
      await new Promise((r) => setImmediate(r));
    },
    limits,
  });
}

async function set(key: string, value: string): Promise<void> {
  const r = await runBin(['config', 'set', key, value], sb.env);
  if (r.code !== 0) throw new Error(`config set ${key} ${value} exited ${r.code}: ${r.stderr}`);
}

const readAll = (c: MicrosoftClient) => Promise.all(CUSTOMERS.map((id) => c.get(`/v1/customers/${id}`, schemas.partnerCenterCustomer, { service: 'partnerCenter' })));

describe('Partner Center reads under live.limits.partnerCenter', () => {
  it('40 reads at the limit the fake enforces: no 429 is sent, at most live.concurrency in flight, every answer right', async () => {
    fake.enforce({ partnerCenter: { limit: 20, windowMs: 60_000 } });
    fake.latencyMs = 5;
    await set('live.limits.partnerCenter', '20');
    await set('live.concurrency', '3');
    const limits = limitsFromSettings(await confSettings(sb.env));
    expect(limits).toEqual({ partnerCenter: 20, concurrency: 3 });
    const c = client(limits);
    const start = clock;
    const customers = await readAll(c);
    expect(customers.map((x) => x.id)).toEqual(CUSTOMERS);
    expect(fake.limits.requests.partnerCenter).toBe(40);
    expect(fake.limits.throttled.partnerCenter).toBe(0);
    expect(fake.limits.maxInFlight.partnerCenter).toBeLessThanOrEqual(3);
    // Paced: 2 at once (a tenth of 20), then one every 3 s.
    expect(clock - start).toBeGreaterThanOrEqual(38 * 3000);
    expect(c.limiter.stats()).toMatchObject({ throttled: 0, services: { partnerCenter: { maxInFlight: 3 } } });
    expect(c.limiter.stats().waits).toBeGreaterThan(30);
  });

  it('with the default (500 a minute) against a fake that allows 20, the fake throttles, and the answers are still right', async () => {
    fake.enforce({ partnerCenter: { limit: 20, windowMs: 60_000 } });
    fake.latencyMs = 5;
    const c = client(limitsFromSettings(await confSettings(sb.env)));
    const customers = await readAll(c);
    expect(customers.map((x) => x.id)).toEqual(CUSTOMERS);
    expect(fake.limits.throttled.partnerCenter).toBeGreaterThan(0);
    expect(c.limiter.stats().throttled).toBe(fake.limits.throttled.partnerCenter);
  });

  it('a 429 storm is waited out (Retry-After: 1) with the right answer, and counted', async () => {
    fake.storm429('partnerCenter', 3);
    const c = client({});
    const start = clock;
    const customer = await c.get(`/v1/customers/${CUSTOMERS[7]}`, schemas.partnerCenterCustomer, { service: 'partnerCenter' });
    expect(customer).toMatchObject({ id: CUSTOMERS[7], companyProfile: { companyName: 'Customer 7' } });
    expect(fake.limits.requests.partnerCenter).toBe(4);
    expect(fake.limits.throttled.partnerCenter).toBe(3);
    expect(c.limiter.stats().throttled).toBe(3);
    expect(clock - start).toBeGreaterThanOrEqual(3000);
  });
});

describe('pacing and the retry budget', () => {
  it('a wait for the limiter does not spend the retry budget: a 429 after a long wait is still retried', async () => {
    const c = new MicrosoftClient({
      endpoints: endpointsFor('global', fake.env()),
      tokens: staticToken('t'),
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
      retryBudgetMs: 30_000,
      limits: { partnerCenter: 1 }, // one a minute
    });
    const read = (id: string) => c.get(`/v1/customers/${id}`, schemas.partnerCenterCustomer, { service: 'partnerCenter' });
    await read(CUSTOMERS[0]!);
    fake.storm429('partnerCenter', 1);
    const start = clock;
    await expect(read(CUSTOMERS[1]!)).resolves.toMatchObject({ id: CUSTOMERS[1] });
    expect(clock - start).toBeGreaterThanOrEqual(60_000);
    expect(fake.limits.throttled.partnerCenter).toBe(1);
  });
});

describe('Graph under enforced limits', () => {
  it('a $batch is counted part by part: the parts over the limit get their own 429 and are sent again after it', async () => {
    fake.enforce({ identity: { limit: 3, windowMs: 10_000 } });
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => fake.addUser(`${u}@fabrikam.com`));
    const c = client({});
    const outcomes = await c.batch(ids.map((id) => ({ method: 'GET' as const, path: `/users/${id}`, schema: schemas.user })));
    expect(outcomes.map((o) => o.ok && (o.body as { id: string }).id)).toEqual(ids);
    expect(fake.limits.throttled.identity).toBeGreaterThanOrEqual(2);
    expect(fake.limits.requests.identity).toBe(5 + fake.limits.throttled.identity);
    expect(c.limiter.stats().buckets.identity.throttled).toBe(fake.limits.throttled.identity);
    // The limiter charged each part (one resource unit each), every time it was sent.
    expect(c.limiter.stats().buckets.identity.units).toBe(fake.limits.requests.identity);
  });
});

describe('the settings', () => {
  const bad: [SettingKey, string][] = [
    ['live.limits.tenantRelationships', '0'],
    ['live.limits.identity', '-5'],
    ['live.limits.partnerCenter', 'fast'],
    ['live.limits.partnerCenter', '1e3'],
    ['live.concurrency', '2.5'],
    ['live.concurrency', '0'],
    ['live.tenantSize', 'huge'],
  ];

  it('each is checked: a positive number (concurrency whole), the tenant size one of three words', () => {
    expect(settingValue('live.limits.identity', '5000')).toBe('5000');
    expect(settingValue('live.limits.partnerCenter', ' 12.5 ')).toBe('12.5');
    expect(settingValue('live.concurrency', '16')).toBe('16');
    expect(settingValue('live.tenantSize', 'Large')).toBe('large');
    for (const [key, value] of bad) expect(() => settingValue(key, value)).toThrow(new RegExp(`^${key.replace(/\./g, '\\.')}`));
    expect(() => settingValue('live.limits.partnerCenter', 'fast')).toThrow('live.limits.partnerCenter (requests per minute (default 500)) must be a number greater than 0 and at most 1000000, not "fast"');
  });

  it('a bad value is a one-line usage error, exit 2, and the settings stay as they were', async () => {
    await set('live.limits.identity', '5000');
    for (const [key, value] of bad) {
      const r = await runBin(['config', 'set', key, value], sb.env);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr, new RegExp(key.replace(/\./g, '\\.')));
    }
    const list = JSON.parse((await runBin(['config', 'list', '--json'], sb.env)).stdout) as { key: string; value: string | null }[];
    expect(list.filter((s) => s.key.startsWith('live.') && s.value !== null)).toEqual([{ key: 'live.limits.identity', value: '5000' }]);
  });

  it('the tenant size chooses the identity default; an explicit identity limit wins', async () => {
    await set('live.tenantSize', 'medium');
    expect(limitsFromSettings(await confSettings(sb.env))).toEqual({ tenantSize: 'medium' });
    const c = client(limitsFromSettings(await confSettings(sb.env)));
    expect(c.limiter.stats().buckets.identity.limit).toBe(5000);
    await set('live.limits.identity', '1200');
    expect(client(limitsFromSettings(await confSettings(sb.env))).limiter.stats().buckets.identity.limit).toBe(1200);
  });

  it('a live command reads them: a bad value edited into the settings file is exit 2 before any request; a good one is used', async () => {
    const init = await runBin(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], sb.env);
    expect(init.code).toBe(0);
    mkdirSync(sb.env.DELEGATE_CONFIG_DIR!, { recursive: true });
    writeFileSync(join(sb.env.DELEGATE_CONFIG_DIR!, 'config.json'), JSON.stringify({ 'live.concurrency': 'lots' }));
    const create = () => runBin(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--live', '--json'], { ...sb.env, ...fake.env() });
    const r = await create();
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /live\.concurrency/);
    expect(fake.requests).toEqual([]);
    // Set right, the same command goes to Microsoft.
    await set('live.concurrency', '2');
    await set('live.tenantSize', 'large');
    const ok = await create();
    expect(ok.stderr).toMatch(/created at Microsoft/);
    expect(ok.code).toBe(0);
    expect(fake.relationships.size).toBe(1);
  });
});
