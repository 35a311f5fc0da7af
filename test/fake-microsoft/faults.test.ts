/**
 * The loopback fake's faults do what they say (faults.ts): those after the
 * change really applied it (the fake's state shows it) before the answer
 * was held, lost, cut or trickled; those before it applied nothing; envelope
 * faults hit the Nth `$batch` only; a storm lasts its time on the fake's
 * clock; endless pages never end. And the fake is strict: a request Graph's
 * v1.0 metadata does not describe is 400, applies nothing, and is recorded.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { MicrosoftClient, staticToken, type BatchPart } from '../../src/microsoft/client.js';
import { endpointsFor } from '../../src/microsoft/endpoints.js';
import { FakeMicrosoft, startFakeMicrosoft } from './server.js';

let fake: FakeMicrosoft;
let c: MicrosoftClient;

beforeAll(async () => {
  fake = await startFakeMicrosoft();
  c = new MicrosoftClient({ endpoints: endpointsFor('global', fake.env()), tokens: staticToken('t'), sleep: async () => undefined });
});
afterEach(() => {
  fake.reset();
  fake.pageSize = 100;
});
afterAll(async () => {
  await fake.close();
});

const group = (name: string) => ({ displayName: name, mailEnabled: false, mailNickname: name.replace(/\W/g, ''), securityEnabled: true });
const groupNamed = (name: string) => [...fake.groups.values()].filter((g) => g.displayName === name);

/** A raw request: the status and headers as soon as they come, and the body as it arrives. */
function raw(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; chunks: string[]; ended: Promise<string>; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${fake.graphUrl}/v1.0${path}`, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: string[] = [];
      const ended = new Promise<string>((done, fail) => {
        res.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
        res.on('end', () => done(chunks.join('')));
        res.on('error', fail);
      });
      ended.catch(() => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, ended, destroy: () => req.destroy() });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function failure(p: Promise<unknown>): Promise<Error & { status?: number; reason?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('strict like Microsoft: the Graph v1.0 metadata', () => {
  it('an unknown path, property or enum value is 400, applies nothing, and is recorded as a violation', async () => {
    expect(await failure(c.get('/groupz'))).toMatchObject({ status: 400 });
    expect(await failure(c.post('/groups', { ...group('G'), colour: 'blue' }))).toMatchObject({ status: 400 });
    const rel = fake.addRelationship({ displayName: 'R', status: 'created' });
    expect(await failure(c.post(`/tenantRelationships/delegatedAdminRelationships/${rel}/requests`, { action: 'lock' }))).toMatchObject({ status: 400 });
    expect(fake.groups.size).toBe(0);
    expect(fake.relationships.get(rel)!.status).toBe('created');
    const v = fake.takeViolations();
    expect(v.map((x) => `${x.method} ${x.path}`)).toEqual(['GET /groupz', 'POST /groups', `POST /tenantRelationships/delegatedAdminRelationships/${rel}/requests`]);
    expect(v[1]!.problems).toEqual([expect.stringMatching(/colour is not a property of microsoft\.graph\.group/)]);
    expect(v[2]!.problems).toEqual([expect.stringMatching(/'lock' is not a member of microsoft\.graph\.delegatedAdminRelationshipRequestAction/)]);
    expect(fake.takeViolations()).toEqual([]);
  });

  it('in a $batch, a bad part is 400 on its own and the others run', async () => {
    const [bad, good] = await c.batch([
      { method: 'POST', path: '/groups', body: { ...group('Bad'), owner: 'x' } },
      { method: 'POST', path: '/groups', body: group('Good') },
    ]);
    expect(bad).toMatchObject({ ok: false, status: 400 });
    expect(good).toMatchObject({ ok: true, status: 201 });
    expect([...fake.groups.values()].map((g) => g.displayName)).toEqual(['Good']);
    expect(fake.takeViolations()).toEqual([expect.objectContaining({ method: 'POST', path: '/groups', inBatch: true })]);
  });
});

describe('after the change: hold, lost, truncated', () => {
  it('hold: the group is made, the answer held until the test releases it', async () => {
    fake.fault({ kind: 'hold', method: 'POST', path: '/groups' });
    let answered = false;
    const sent = c.post<{ id: string }>('/groups', group('Helpdesk')).then((b) => ((answered = true), b));
    const held = await fake.held({ method: 'POST', path: '/groups' });
    // Applied at the fake, answer made, not yet sent.
    expect(groupNamed('Helpdesk')).toHaveLength(1);
    expect(held).toMatchObject({ status: 201, body: expect.objectContaining({ displayName: 'Helpdesk' }), request: expect.objectContaining({ method: 'POST', path: '/groups' }) });
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    held.release();
    expect((await sent).id).toBe(groupNamed('Helpdesk')[0]!.id);
  });

  it('hold, then drop: the change stays applied, the client gets no answer', async () => {
    fake.fault({ kind: 'hold', method: 'POST', path: '/users' });
    const sent = failure(c.post('/users', { accountEnabled: true, displayName: 'A', mailNickname: 'a', userPrincipalName: 'a@contoso.com', passwordProfile: { password: 'x-Y-z-1234' } }));
    const held = await fake.held({ path: '/users' });
    held.drop();
    expect((await sent).name).toBe('NetworkError');
    expect([...fake.users.values()].map((u) => u.userPrincipalName)).toEqual(['a@contoso.com']);
  });

  it('hold on a $batch part holds the whole envelope once every part is applied; held() finds it by the part', async () => {
    fake.fault({ kind: 'hold', method: 'POST', path: '/groups', inBatch: true });
    const sent = c.batch([
      { method: 'POST', path: '/groups', body: group('One') },
      { method: 'POST', path: '/groups', body: group('Two') },
    ]);
    const held = await fake.held({ method: 'POST', path: '/groups' });
    expect(held.request.path).toBe('/$batch');
    expect(groupNamed('One').length + groupNamed('Two').length).toBe(2);
    held.release();
    expect((await sent).map((o) => o.status)).toEqual([201, 201]);
  });

  it('held() waits for an answer held later, and fails after its time limit when none is', async () => {
    const later = fake.held({ path: '/domains' });
    fake.fault({ kind: 'hold', path: '/domains' });
    const sent = c.post('/domains', { id: 'contoso.com' });
    (await later).release();
    await sent;
    await expect(fake.held({ path: '/nothing' }, 50)).rejects.toThrow(/no answer was held within 50 ms/);
  });

  it('lost: the user is created, the connection dropped without an answer (unlike drop, which applies nothing)', async () => {
    fake.fault({ kind: 'lost', method: 'POST', path: '/users' });
    const body = { accountEnabled: true, displayName: 'B', mailNickname: 'b', userPrincipalName: 'b@contoso.com', passwordProfile: { password: 'x-Y-z-1234' } };
    expect(await failure(c.post('/users', body))).toMatchObject({ name: 'NetworkError' });
    expect([...fake.users.values()].map((u) => u.userPrincipalName)).toEqual(['b@contoso.com']);
    fake.fault({ kind: 'drop', method: 'POST', path: '/users' });
    expect(await failure(c.post('/users', { ...body, userPrincipalName: 'c@contoso.com' }))).toMatchObject({ name: 'NetworkError' });
    expect([...fake.users.values()].map((u) => u.userPrincipalName)).toEqual(['b@contoso.com']);
  });

  it('truncated: a read answers 200 with its JSON cut in half (the AdminAgents members read)', async () => {
    const g = fake.addGroup('AdminAgents');
    for (const upn of ['a@fabrikam.com', 'b@fabrikam.com']) fake.groups.get(g)!.members.add(fake.addUser(upn));
    const whole = await raw('GET', `/groups/${g}/members`);
    const text = await whole.ended;
    fake.fault({ kind: 'truncated', method: 'GET', path: `/groups/${g}/members` });
    const cut = await raw('GET', `/groups/${g}/members`);
    const got = await cut.ended;
    expect(cut.status).toBe(200);
    expect(cut.headers['content-type']).toMatch(/application\/json/);
    expect(got.length).toBeGreaterThan(10);
    expect(text.startsWith(got)).toBe(true);
    expect(() => JSON.parse(got)).toThrow();
  });

  it('truncated on a write: applied, the 201 body cut; on a 204, "{" sent as 200', async () => {
    fake.fault({ kind: 'truncated', method: 'POST', path: '/groups' });
    const r = await raw('POST', '/groups', group('Cut'));
    expect(r.status).toBe(201);
    expect(() => JSON.parse(r.chunks.join('') || (void 0, ''))).toThrow();
    await r.ended;
    expect(groupNamed('Cut')).toHaveLength(1);
    const g = groupNamed('Cut')[0]!.id;
    fake.fault({ kind: 'truncated', method: 'DELETE' });
    const d = await raw('DELETE', `/groups/${g}`);
    expect([d.status, await d.ended]).toEqual([200, '{']);
    expect(fake.groups.has(g)).toBe(false);
  });
});

describe('$batch envelope faults on the Nth envelope', () => {
  const parts = (n: number): BatchPart[] => Array.from({ length: n }, (_, i) => ({ method: 'POST', path: '/groups', body: group(`G${i + 1}`) }));
  const envelopes = () => fake.seen({ path: '/$batch' }).length;

  it('401 on envelope 2: envelope 1 (20 parts) applied, envelope 2 applied nothing', async () => {
    fake.fault({ kind: 'error', path: '/$batch', inBatch: false, after: 1, status: 401, code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' });
    expect(await failure(c.batch(parts(25)))).toMatchObject({ status: 401 });
    expect(envelopes()).toBe(2);
    expect(fake.groups.size).toBe(20);
  });

  it('503 on envelope 2, with and without Retry-After: nothing applied by it; the client sends it again', async () => {
    fake.fault({ kind: 'unavailable', path: '/$batch', inBatch: false, after: 1, retryAfter: '0' });
    fake.fault({ kind: 'unavailable', path: '/$batch', inBatch: false, after: 2 });
    const out = await c.batch(parts(25));
    expect(out.every((o) => o.ok)).toBe(true);
    // Envelope 1, envelope 2 refused twice (503 with Retry-After, then without), envelope 2 again.
    expect(envelopes()).toBe(4);
    expect(fake.groups.size).toBe(25);
    const statuses = fake.seen({ path: '/$batch' }).map((r) => (r.body as { requests: unknown[] }).requests.length);
    expect(statuses).toEqual([20, 5, 5, 5]);
  });

  it('malformed JSON (truncated) on envelope 2: its parts were applied, its answer cannot be read', async () => {
    fake.fault({ kind: 'truncated', path: '/$batch', inBatch: false, after: 1 });
    const e = await c.batch(parts(25)).then(
      (o) => o,
      (err: Error) => err,
    );
    // Whatever the client makes of it today, every part of both envelopes was applied at the fake.
    expect(e).toBeDefined();
    expect(fake.groups.size).toBe(25);
  });

  it('a dropped connection on envelope 2 applies nothing of it; a lost one applies all of it', async () => {
    fake.fault({ kind: 'drop', path: '/$batch', inBatch: false, after: 1 });
    expect(await failure(c.batch(parts(25)))).toMatchObject({ name: 'NetworkError' });
    expect(fake.groups.size).toBe(20);
    fake.reset();
    fake.fault({ kind: 'lost', path: '/$batch', inBatch: false, after: 1 });
    expect(await failure(c.batch(parts(25)))).toMatchObject({ name: 'NetworkError' });
    expect(fake.groups.size).toBe(25);
  });
});

describe('trickle, endless, storm', () => {
  it('trickle: status and headers at once, then the body a byte at a time, and it never ends', async () => {
    fake.addCustomer({ tenantId: 'aaaaaaaa-0000-4000-8000-000000000001', displayName: 'A', defaultDomainName: 'a.onmicrosoft.com' });
    fake.fault({ kind: 'trickle', path: '/contracts', intervalMs: 5 });
    const r = await raw('GET', '/contracts');
    expect(r.status).toBe(200);
    let finished = false;
    void r.ended.then(
      () => (finished = true),
      () => undefined,
    );
    await new Promise((done) => setTimeout(done, 400));
    const got = r.chunks.join('');
    expect(finished).toBe(false);
    expect(r.chunks.length).toBeGreaterThan(10);
    expect(r.chunks.every((ch) => ch.length <= 2)).toBe(true);
    expect(got.startsWith('{"@odata.context"')).toBe(true);
    r.destroy();
  });

  it('trickle against the client: the deadline counts the body (no answer within it)', async () => {
    fake.fault({ kind: 'trickle', path: '/contracts', intervalMs: 20 });
    const quick = new MicrosoftClient({ endpoints: endpointsFor('global', fake.env()), tokens: staticToken('t'), timeoutMs: 300 });
    expect(await failure(quick.get('/contracts'))).toMatchObject({ name: 'NetworkError', message: expect.stringMatching(/no answer within 300 ms/) });
  });

  it('endless: every page links to a fresh one', async () => {
    fake.addCustomer({ tenantId: 'aaaaaaaa-0000-4000-8000-000000000001', displayName: 'A', defaultDomainName: 'a.onmicrosoft.com' });
    fake.fault({ kind: 'endless', path: '/contracts' });
    const links = new Set<string>();
    let pages = 0;
    let url = `${fake.graphUrl}/v1.0/contracts`;
    for (; pages < 30; pages++) {
      const body = (await (await fetch(url)).json()) as { value: unknown[]; '@odata.nextLink': string };
      expect(body.value).toHaveLength(1);
      links.add(body['@odata.nextLink']);
      url = body['@odata.nextLink'];
    }
    expect(links.size).toBe(30);
    // Through the client: it keeps following (a cap is the client's to add).
    let seen = 0;
    for await (const page of c.pages('/contracts')) if (++seen === 50 || page.length === 0) break;
    expect(seen).toBe(50);
  });

  it('storm: 429 with Retry-After for its duration on the fake clock (a 20 s storm without waiting), then answers', async () => {
    let t = 1_000_000;
    fake.clock = () => t;
    fake.fault({ kind: 'storm', path: '/contracts', durationMs: 20_000, retryAfter: '2' });
    const first = await fetch(`${fake.graphUrl}/v1.0/contracts`);
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '2']);
    t += 19_999;
    expect((await fetch(`${fake.graphUrl}/v1.0/contracts`)).status).toBe(429);
    t += 1;
    expect((await fetch(`${fake.graphUrl}/v1.0/contracts`)).status).toBe(200);
  });

  it('storm against an in-process client whose sleep moves the same clock: it waits out 20 s of Retry-After in no time', async () => {
    let t = 0;
    fake.clock = () => t;
    fake.fault({ kind: 'storm', path: '/contracts', durationMs: 20_000, retryAfter: '2' });
    const patient = new MicrosoftClient({ endpoints: endpointsFor('global', fake.env()), tokens: staticToken('t'), now: () => t, sleep: async (ms) => void (t += ms), maxAttempts: 100 });
    const started = Date.now();
    await patient.get('/contracts');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(t).toBe(20_000);
    // 10 throttled (at 0, 2, ..., 18 s), then the answer at 20 s.
    expect(fake.seen({ path: '/contracts' })).toHaveLength(11);
  });

  it('a short real storm, for a spawned CLI (no injected clock): 429 until it passes', async () => {
    fake.fault({ kind: 'storm', path: '/contracts', durationMs: 150, retryAfter: '0' });
    expect((await fetch(`${fake.graphUrl}/v1.0/contracts`)).status).toBe(429);
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${fake.graphUrl}/v1.0/contracts`)).status).toBe(200);
  });
});

describe('matching', () => {
  it('after lets N matching requests through; times counts the hits; the older kinds still work', async () => {
    fake.fault({ kind: 'error', path: '/contracts', after: 2, times: 2, status: 418, code: 'teapot', message: 'No.' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${fake.graphUrl}/v1.0/contracts`)).status);
    expect(statuses).toEqual([200, 200, 418, 418, 200]);
    fake.fault({ kind: 'slow', path: '/contracts', delayMs: 30 });
    const started = Date.now();
    expect((await fetch(`${fake.graphUrl}/v1.0/contracts`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
