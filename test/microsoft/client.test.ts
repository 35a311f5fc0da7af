/**
 * The live-mode HTTP client against the loopback fake of Microsoft's
 * endpoints. Sleeps are recorded, never waited; nothing here times anything.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as z from 'zod/mini';
import { createServer } from 'node:net';
import { liveClient, MicrosoftClient, parseRetryAfter, staticToken, type ClientOptions, type RetryEvent, type TokenRequest } from '../../src/microsoft/client.js';
import { CLOUDS, endpointsFor } from '../../src/microsoft/endpoints.js';
import { MicrosoftError, NetworkError, NotSignedInError, PagingError } from '../../src/microsoft/errors.js';
import * as schemas from '../../src/microsoft/schemas.js';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const REL = '/tenantRelationships/delegatedAdminRelationships';

let fake: FakeMicrosoft;
let waits: number[];
let retries: RetryEvent[];
/** The client's clock: it moves only when the client sleeps. */
let clock: number;

beforeAll(async () => {
  fake = await startFakeMicrosoft();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.requests.length = 0;
  fake.pageSize = 100;
  fake.requireToken = undefined;
  fake.clearFaults();
});

function client(extra: Partial<ClientOptions> = {}): MicrosoftClient {
  waits = [];
  retries = [];
  clock = NOW;
  return new MicrosoftClient({
    endpoints: endpointsFor('global', fake.env()),
    tokens: staticToken('test-token'),
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    now: () => clock,
    random: () => 0.5,
    onRetry: (e) => retries.push(e),
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

async function newRelationship(c: MicrosoftClient, displayName: string): Promise<schemas.Relationship> {
  const rel = await c.post(
    REL,
    {
      displayName,
      duration: 'P730D',
      customer: { tenantId: '4b827261-d21f-4aa9-b7db-7fa1f56fb163', displayName: 'Contoso subsidiary Inc' },
      accessDetails: { unifiedRoles: [{ roleDefinitionId: '29232cdf-9323-42fd-ade2-1d097af3e4de' }] },
    },
    schemas.relationship,
  );
  return rel!;
}

describe('bearer token', () => {
  it('sends DELEGATE_ACCESS_TOKEN as the bearer token on every request', async () => {
    fake.requireToken = 'tok-123';
    const c = liveClient({ ...fake.env('tok-123') }, { sleep: async () => undefined });
    fake.addUser('grace@contoso.com');
    const users = await c.all('/users', schemas.userPage);
    expect(users.map((u) => u.userPrincipalName)).toContain('grace@contoso.com');
    expect(fake.seen({ service: 'graph' }).map((r) => r.headers.authorization)).toEqual(['Bearer tok-123']);
  });

  it('a refused token is exit 4 carrying Graph’s error code', async () => {
    fake.requireToken = 'right';
    const e = await failure(liveClient(fake.env('wrong')).get('/users', schemas.userPage));
    expect(e).toBeInstanceOf(MicrosoftError);
    expect(e).toMatchObject({ status: 401, microsoftCode: 'InvalidAuthenticationToken', exitCode: 4, code: 'microsoft' });
    expect(e.message).not.toContain('\n');
  });

  it('without DELEGATE_ACCESS_TOKEN and without a sign-in: exit 4 naming delegate login, nothing sent', () => {
    const { DELEGATE_ACCESS_TOKEN: _none, ...env } = fake.env();
    expect(() => liveClient(env)).toThrow(NotSignedInError);
    expect(() => liveClient(env)).toThrow(/delegate login/);
    expect(fake.requests).toHaveLength(0);
  });

  it('asks the token provider for the service and tenant of each request', async () => {
    const asked: TokenRequest[] = [];
    const { DELEGATE_ACCESS_TOKEN: _none, ...env } = fake.env();
    const c = liveClient(env, { signedIn: { getToken: async (r) => (asked.push(r), `t-${r.service}`) } });
    fake.addCustomer({ tenantId: 'c0ffee00-0000-4000-8000-000000000001', displayName: 'Contoso', defaultDomainName: 'contoso.onmicrosoft.com' });
    await c.get('/users', schemas.userPage, { tenantId: 'c0ffee00-0000-4000-8000-000000000001' });
    await c.get('/v1/customers/c0ffee00-0000-4000-8000-000000000001', schemas.partnerCenterCustomer, { service: 'partnerCenter' });
    expect(asked).toEqual([
      { service: 'graph', tenantId: 'c0ffee00-0000-4000-8000-000000000001' },
      { service: 'partnerCenter', tenantId: undefined },
    ]);
    expect(fake.seen().map((r) => r.headers.authorization)).toEqual(['Bearer t-graph', 'Bearer t-partnerCenter']);
  });
});

describe('throttling and faults', () => {
  it('429 with Retry-After in seconds: waits that long, then succeeds', async () => {
    fake.fault({ kind: 'throttle', path: '/users', retryAfter: '7', times: 2 });
    const c = client();
    await expect(c.get('/users', schemas.userPage)).resolves.toMatchObject({ value: expect.any(Array) });
    expect(waits).toEqual([7000, 7000]);
    expect(retries.map((r) => [r.status, r.attempt])).toEqual([
      [429, 1],
      [429, 2],
    ]);
    expect(fake.seen({ path: '/users' })).toHaveLength(3);
  });

  it('429 with Retry-After as an HTTP date: waits until then', async () => {
    fake.fault({ kind: 'throttle', path: '/users', retryAfter: new Date(NOW + 12_000).toUTCString() });
    const c = client();
    await c.get('/users', schemas.userPage);
    expect(waits).toEqual([12_000]);
  });

  it('429 without Retry-After: bounded exponential backoff with jitter', async () => {
    fake.fault({ kind: 'throttle', path: '/users', times: 4 });
    const c = client({ backoffBaseMs: 1000, backoffMaxMs: 5000 });
    await c.get('/users', schemas.userPage);
    // cap = min(5000, 1000 * 2^(n-1)); wait = cap/2 + random * cap/2, random = 0.5
    expect(waits).toEqual([750, 1500, 3000, 3750]);
  });

  it('still throttled when the retry budget runs out: one clear error, exit 1, the waits within the budget', async () => {
    fake.fault({ kind: 'throttle', path: '/users', retryAfter: '1', times: Infinity });
    const c = client({ retryBudgetMs: 2500 });
    const e = await failure(c.get('/users', schemas.userPage));
    expect(e).toBeInstanceOf(MicrosoftError);
    expect(e).toMatchObject({ status: 429, exitCode: 1 });
    expect(e.message).toBe(
      `Microsoft Graph answered 429 to GET /users: TooManyRequests: Too many requests. Please retry after the delay. (gave up after 3 attempts in 2 s: Microsoft asked to wait 1 s more, beyond the retry budget of 3 s (DELEGATE_RETRY_BUDGET); request id ${(e as MicrosoftError).requestId})`,
    );
    expect(waits).toEqual([1000, 1000]);
    expect(fake.seen({ path: '/users' })).toHaveLength(3);
  });

  it('a Retry-After longer than the budget left is not waited for', async () => {
    fake.fault({ kind: 'throttle', path: '/users', retryAfter: '3600' });
    const c = client({ retryBudgetMs: 60_000 });
    const e = await failure(c.get('/users', schemas.userPage));
    expect(e.message).toContain('gave up after 1 attempt in 0 ms: Microsoft asked to wait 3600 s more, beyond the retry budget of 60 s');
    expect(waits).toEqual([]);
  });

  it('503 is retried like 429', async () => {
    fake.fault({ kind: 'unavailable', path: '/contracts', retryAfter: '2' });
    fake.fault({ kind: 'unavailable', path: '/contracts' });
    const c = client();
    await c.get('/contracts', schemas.contractPage);
    expect(waits).toEqual([2000, 1500]);
    expect(retries.map((r) => r.status)).toEqual([503, 503]);
  });

  it('other errors are not retried and carry Microsoft’s code and message', async () => {
    const c = client();
    const e = await failure(c.get('/users/nobody@contoso.com', schemas.user));
    expect(e).toMatchObject({ status: 404, microsoftCode: 'Request_ResourceNotFound', exitCode: 3 });
    expect(e.message).toMatch(/^Microsoft Graph answered 404 to GET \/users\/nobody@contoso\.com: Request_ResourceNotFound: Resource 'nobody@contoso\.com' does not exist/);
    expect(waits).toEqual([]);
  });

  it('a dropped connection: one line, exit 1, not retried', async () => {
    fake.fault({ kind: 'drop', path: '/users' });
    const c = client();
    const e = await failure(c.post('/users', { displayName: 'x' }, schemas.user));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e).toMatchObject({ exitCode: 1, code: 'network' });
    expect(e.message).toBe('Cannot reach Microsoft Graph (POST /users): the connection was closed before an answer came (UND_ERR_SOCKET)');
    expect(e).toMatchObject({ mayHaveArrived: true });
    expect(fake.seen({ path: '/users' })).toHaveLength(1);
  });

  it('nobody listening: connection refused, one line', async () => {
    const port = await freePort();
    const c = new MicrosoftClient({ endpoints: { ...CLOUDS.global, cloud: 'global', graph: `http://127.0.0.1:${port}` }, tokens: staticToken('t') });
    const e = await failure(c.get('/users', schemas.userPage));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.message).toBe('Cannot reach Microsoft Graph (GET /users): connection refused (ECONNREFUSED)');
    expect(e).toMatchObject({ mayHaveArrived: false });
  });

  it('no answer within the timeout is a network failure', async () => {
    fake.fault({ kind: 'hang', path: '/contracts' });
    const c = client({ timeoutMs: 50 });
    const e = await failure(c.get('/contracts', schemas.contractPage));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.message).toBe('Cannot reach Microsoft Graph (GET /contracts): no answer within 50 ms');
  });

  it('a slow answer within the timeout is just an answer', async () => {
    fake.fault({ kind: 'slow', path: '/contracts', delayMs: 30 });
    const c = client();
    await expect(c.get('/contracts', schemas.contractPage)).resolves.toMatchObject({ value: expect.any(Array) });
  });
});

describe('paging', () => {
  it('follows @odata.nextLink across 3 pages', async () => {
    fake.pageSize = 2;
    const c = client();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newRelationship(c, `Paging ${i}`)).id);
    fake.requests.length = 0;
    const pages: number[] = [];
    for await (const page of c.pages(REL, schemas.relationshipPage)) pages.push(page.length);
    expect(pages).toEqual([2, 2, 1]);
    const all = await c.all(REL, schemas.relationshipPage);
    expect(all.map((r) => r.id).filter((id) => ids.includes(id))).toEqual(ids);
    const reads = fake.seen({ method: 'GET', path: REL });
    expect(reads.slice(0, 3).map((r) => new URLSearchParams(r.query).has('$skiptoken'))).toEqual([false, true, true]);
  });

  it('a next link to another host is not followed (the token stays with Microsoft)', async () => {
    const fetch = (async () =>
      new Response(JSON.stringify({ value: [1], '@odata.nextLink': 'https://elsewhere.example/v1.0/users?$skiptoken=x' }), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      })) as typeof globalThis.fetch;
    const c = client({ fetch });
    const e = await failure(c.all('/users', schemas.pageOf(z.number())));
    expect(e).toBeInstanceOf(PagingError);
    expect(e.message).toContain('a next page link that is not followed (not under');
    expect(e.message).toContain(': https://elsewhere.example/v1.0/users');
  });
});

describe('$batch', () => {
  it('splits 45 requests into batches of 20, 20 and 5 and answers in request order', async () => {
    const c = client();
    const upns = Array.from({ length: 45 }, (_, i) => `batch${i}@contoso.com`);
    for (const u of upns) fake.addUser(u);
    fake.requests.length = 0;
    const out = await c.batch(upns.map((u) => ({ method: 'GET' as const, path: `/users/${u}`, schema: schemas.user })));
    expect(fake.seen({ path: '/$batch' }).map((r) => (r.body as { requests: unknown[] }).requests.length)).toEqual([20, 20, 5]);
    expect(out.map((o) => (o.ok ? o.body!.userPrincipalName : o.kind))).toEqual(upns);
  });

  it('reports a failed part as such, the others as succeeded', async () => {
    const c = client();
    const a = fake.addGroup('AdminAgents');
    const u1 = fake.addUser('p1@contoso.com');
    const u2 = fake.addUser('p2@contoso.com');
    const missing = '00000000-0000-4000-8000-00000000dead';
    const ref = (id: string) => ({ method: 'POST' as const, path: `/groups/${a}/members/$ref`, body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` }, schema: schemas.noContent });
    const out = await c.batch([ref(u1), ref(missing), ref(u2)]);
    expect(out.map((o) => [o.kind, 'status' in o ? o.status : undefined])).toEqual([
      ['answered', 204],
      ['failed', 404],
      ['answered', 204],
    ]);
    const failed = out[1]!;
    expect(failed.ok).toBe(false);
    if (!failed.ok) {
      expect(failed.error).toMatchObject({ microsoftCode: 'Request_ResourceNotFound', exitCode: 3 });
      expect(failed.error!.message).toContain(`POST /groups/${a}/members/$ref`);
    }
    // Each part with a body says its Content-Type (as json-batching requires).
    const parts = (fake.seen({ path: '/$batch' })[0]!.body as { requests: { headers: Record<string, string> }[] }).requests;
    expect(parts.every((p) => p.headers['Content-Type'] === 'application/json')).toBe(true);
  });

  it('a part failing by a fault on demand is reported with Graph’s code', async () => {
    const c = client();
    fake.addUser('f1@contoso.com');
    fake.fault({ kind: 'error', inBatch: true, path: '/users/f1@contoso.com', status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    const [o] = await c.batch([{ method: 'GET', path: '/users/f1@contoso.com', schema: schemas.user }]);
    expect(o).toMatchObject({ ok: false, kind: 'failed', status: 403, error: { microsoftCode: 'Authorization_RequestDenied', exitCode: 4 } });
  });

  it('retries only the throttled parts, after their Retry-After', async () => {
    const c = client();
    for (const u of ['t1', 't2', 't3']) fake.addUser(`${u}@contoso.com`);
    fake.requests.length = 0;
    fake.fault({ kind: 'throttle', inBatch: true, path: '/users/t2@contoso.com', retryAfter: '3' });
    const out = await c.batch([1, 2, 3].map((i) => ({ method: 'GET' as const, path: `/users/t${i}@contoso.com`, schema: schemas.user })));
    expect(out.every((o) => o.ok)).toBe(true);
    expect(waits).toEqual([3000]);
    expect(retries).toEqual([{ service: 'graph', method: 'POST', path: '/$batch', status: 429, attempt: 1, waitMs: 3000, parts: 1 }]);
    expect(fake.seen({ path: '/$batch' }).map((r) => (r.body as { requests: { url: string }[] }).requests.map((q) => q.url))).toEqual([
      ['/users/t1@contoso.com', '/users/t2@contoso.com', '/users/t3@contoso.com'],
      ['/users/t2@contoso.com'],
    ]);
  });

  it('a part answered 503 is sent again too', async () => {
    const c = client();
    fake.addUser('u503@contoso.com');
    fake.fault({ kind: 'unavailable', inBatch: true, path: '/users/u503@contoso.com' });
    const [o] = await c.batch([{ method: 'GET', path: '/users/u503@contoso.com', schema: schemas.user }]);
    expect(o).toMatchObject({ ok: true, status: 200 });
    expect(retries.map((r) => [r.status, r.parts])).toEqual([[503, 1]]);
    expect(waits).toEqual([750]);
  });

  it('a part still throttled when the budget runs out fails on its own, not applied', async () => {
    const c = client({ retryBudgetMs: 1000 });
    fake.addUser('s1@contoso.com');
    fake.fault({ kind: 'throttle', inBatch: true, path: '/users/s1@contoso.com', times: Infinity });
    const [o] = await c.batch([{ method: 'GET', path: '/users/s1@contoso.com', schema: schemas.user }]);
    expect(o).toMatchObject({ ok: false, kind: 'failed', status: 429 });
    if (o && !o.ok) expect(o.error!.message).toContain('gave up after 2 attempts in 750 ms: the next wait, beyond the retry budget of 1 s');
    expect(waits).toEqual([750]);
  });

  it('a throttled $batch as a whole is retried like any request', async () => {
    const c = client();
    fake.fault({ kind: 'throttle', path: '/$batch', inBatch: false, retryAfter: '5' });
    const out = await c.batch([{ method: 'GET', path: '/contracts', schema: schemas.contractPage }]);
    expect(out[0]).toMatchObject({ ok: true, status: 200 });
    expect(waits).toEqual([5000]);
  });
});

describe('endpoints', () => {
  it('defaults per cloud', () => {
    expect(endpointsFor('global', {})).toEqual({
      cloud: 'global',
      graph: 'https://graph.microsoft.com',
      partnerCenter: 'https://api.partnercenter.microsoft.com',
      authority: 'https://login.microsoftonline.com',
    });
    expect(endpointsFor('china', {})).toEqual({
      cloud: 'china',
      graph: 'https://microsoftgraph.chinacloudapi.cn',
      partnerCenter: 'https://partner.partnercenterapi.microsoftonline.cn',
      authority: 'https://login.chinacloudapi.cn',
    });
  });

  it('each DELEGATE_*_URL replaces its own endpoint only', () => {
    expect(endpointsFor('china', { DELEGATE_GRAPH_URL: 'https://graph.example.test/' })).toEqual({
      cloud: 'china',
      graph: 'https://graph.example.test',
      partnerCenter: 'https://partner.partnercenterapi.microsoftonline.cn',
      authority: 'https://login.chinacloudapi.cn',
    });
    expect(endpointsFor('global', { DELEGATE_PARTNER_CENTER_URL: 'http://127.0.0.1:9/pc', DELEGATE_AUTHORITY_URL: 'http://localhost:8' })).toMatchObject({
      partnerCenter: 'http://127.0.0.1:9/pc',
      authority: 'http://localhost:8',
    });
  });

  it('refuses an override that would send a token in clear text or is not a plain base URL', () => {
    expect(() => endpointsFor('global', { DELEGATE_GRAPH_URL: 'http://graph.example.test' })).toThrow(
      'DELEGATE_GRAPH_URL must be an https:// URL (http:// only on a loopback address): http://graph.example.test',
    );
    expect(() => endpointsFor('global', { DELEGATE_GRAPH_URL: 'graph.microsoft.com' })).toThrow('DELEGATE_GRAPH_URL is not a URL: "graph.microsoft.com"');
    expect(() => endpointsFor('global', { DELEGATE_AUTHORITY_URL: 'https://u:p@login.example.test' })).toThrow(/must not carry a user name/);
    expect(() => endpointsFor('global', { DELEGATE_PARTNER_CENTER_URL: 'https://pc.example.test/?x=1' })).toThrow(/must not have a query/);
    try {
      endpointsFor('global', { DELEGATE_GRAPH_URL: 'ftp://x' });
    } catch (e) {
      expect(e).toMatchObject({ exitCode: 2 });
    }
  });

  it('Graph and Partner Center requests go to their own overridden base', async () => {
    fake.addCustomer({ tenantId: 'c0ffee00-0000-4000-8000-000000000002', displayName: 'Fabrikam', defaultDomainName: 'fabrikam.onmicrosoft.com', allowDelegatedAccess: true });
    const c = client();
    await c.get('/contracts', schemas.contractPage);
    const customer = await c.get('/v1/customers/c0ffee00-0000-4000-8000-000000000002', schemas.partnerCenterCustomer, { service: 'partnerCenter' });
    expect(customer.allowDelegatedAccess).toBe(true);
    expect(fake.seen().map((r) => [r.service, r.path])).toEqual([
      ['graph', '/contracts'],
      ['partnerCenter', '/v1/customers/c0ffee00-0000-4000-8000-000000000002'],
    ]);
    // Partner Center's request headers (https://learn.microsoft.com/partner-center/developer/headers).
    expect(fake.seen({ service: 'partnerCenter' })[0]!.headers).toMatchObject({ 'ms-requestid': expect.any(String), 'ms-correlationid': expect.any(String) });
  });

  it('a Partner Center error carries its code and description', async () => {
    const e = await failure(client().get('/v1/customers/unknown', schemas.partnerCenterCustomer, { service: 'partnerCenter' }));
    expect(e).toMatchObject({ status: 404, microsoftCode: '600008', exitCode: 3 });
    expect(e.message).toMatch(/^Partner Center answered 404 to GET \/v1\/customers\/unknown: 600008: The requested resource could not be found\./);
  });
});

describe('the fake’s GDAP relationship lifecycle', () => {
  it('created -> lockForApproval -> approvalPending, becoming active after N reads (the client approving)', async () => {
    const c = client();
    const rel = await newRelationship(c, 'Lifecycle');
    expect(rel.status).toBe('created');
    await c.post(`${REL}/${rel.id}/requests`, { action: 'lockForApproval' }, schemas.relationshipRequest);
    fake.changeStatusAfterReads(rel.id, 'active', 2);
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await c.get(`${REL}/${rel.id}`, schemas.relationship)).status);
    expect(statuses).toEqual(['approvalPending', 'approvalPending', 'active']);
    const assignment = await c.post(
      `${REL}/${rel.id}/accessAssignments`,
      {
        accessContainer: { accessContainerId: '869713c9-0b28-4d08-8949-ae07ae1bf528', accessContainerType: 'securityGroup' },
        accessDetails: { unifiedRoles: [{ roleDefinitionId: '29232cdf-9323-42fd-ade2-1d097af3e4de' }] },
      },
      schemas.accessAssignment,
    );
    expect(assignment!.status).toBe('pending');
    await c.post(`${REL}/${rel.id}/requests`, { action: 'terminate' }, schemas.relationshipRequest);
    expect((await c.get(`${REL}/${rel.id}`, schemas.relationship)).status).toBe('terminationRequested');
    expect((await c.get(`${REL}/${rel.id}`, schemas.relationship)).status).toBe('terminated');
  });

  it('PATCH needs the current etag (If-Match): a stale one is 412, exit 5', async () => {
    const c = client();
    const rel = await newRelationship(c, 'Etag');
    const stale = await failure(c.request({ method: 'PATCH', path: `${REL}/${rel.id}`, headers: { 'If-Match': 'W/"stale"' }, body: { duration: 'P31D' }, schema: schemas.relationship }));
    expect(stale).toMatchObject({ status: 412, exitCode: 5 });
    const ok = await c.request({ method: 'PATCH', path: `${REL}/${rel.id}`, headers: { 'If-Match': rel['@odata.etag']! }, body: { duration: 'P31D' }, schema: schemas.relationship });
    expect(ok.body!.duration).toBe('P31D');
    expect(ok.body!['@odata.etag']).not.toBe(rel['@odata.etag']);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 30 ', NOW)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:05 GMT', NOW)).toBe(5000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('-3', NOW)).toBeUndefined();
    // Graph's own samples have used a fraction (Retry-After: 2.128).
    expect(parseRetryAfter('2.128', NOW)).toBe(2128);
    expect(parseRetryAfter('1.', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
