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
import { FakeMicrosoft, startFakeMicrosoft } from './server.js';

let fake: FakeMicrosoft;

beforeAll(async () => {
  fake = await startFakeMicrosoft();
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

/**
 * One Graph request over plain HTTP (the fake is the subject here, not delegate's client): the status,
 * headers and parsed body; a connection closed without an answer rejects ("fetch failed").
 */
async function graph(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${fake.graphUrl}/v1.0${path}`, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

interface Part {
  method: string;
  path: string;
  body?: unknown;
}

/** Parts as `$batch` envelopes of at most 20, one after another (https://learn.microsoft.com/graph/json-batching); each part's status, in order. */
async function batch(parts: Part[]): Promise<number[]> {
  const statuses: number[] = [];
  for (let at = 0; at < parts.length; at += 20) {
    const requests = parts.slice(at, at + 20).map((p, i) => ({ id: String(at + i + 1), method: p.method, url: p.path, ...(p.body === undefined ? {} : { body: p.body, headers: { 'Content-Type': 'application/json' } }) }));
    const r = await graph('POST', '/$batch', { requests });
    if (r.status !== 200) throw Object.assign(new Error(`$batch answered ${r.status}`), { status: r.status });
    const byId = new Map((r.body.responses as { id: string; status: number }[]).map((x) => [x.id, x.status]));
    statuses.push(...requests.map((q) => byId.get(q.id)!));
  }
  return statuses;
}

async function failure(p: Promise<unknown>): Promise<Error & { status?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('strict like Microsoft: the Graph v1.0 metadata', () => {
  it('an unknown path, property or enum value is 400, applies nothing, and is recorded as a violation', async () => {
    expect(await graph('GET', '/groupz')).toMatchObject({ status: 400, body: { error: { code: 'BadRequest' } } });
    expect((await graph('POST', '/groups', { ...group('G'), colour: 'blue' })).status).toBe(400);
    const rel = fake.addRelationship({ displayName: 'R', status: 'created' });
    expect((await graph('POST', `/tenantRelationships/delegatedAdminRelationships/${rel}/requests`, { action: 'lock' })).status).toBe(400);
    expect(fake.groups.size).toBe(0);
    expect(fake.relationships.get(rel)!.status).toBe('created');
    const v = fake.takeViolations();
    expect(v.map((x) => `${x.method} ${x.path}`)).toEqual(['GET /groupz', 'POST /groups', `POST /tenantRelationships/delegatedAdminRelationships/${rel}/requests`]);
    expect(v[1]!.problems).toEqual([expect.stringMatching(/colour is not a property of microsoft\.graph\.group/)]);
    expect(v[2]!.problems).toEqual([expect.stringMatching(/'lock' is not a member of microsoft\.graph\.delegatedAdminRelationshipRequestAction/)]);
    expect(fake.takeViolations()).toEqual([]);
  });

  it('in a $batch, a bad part is 400 on its own and the others run', async () => {
    const statuses = await batch([
      { method: 'POST', path: '/groups', body: { ...group('Bad'), owner: 'x' } },
      { method: 'POST', path: '/groups', body: group('Good') },
    ]);
    expect(statuses).toEqual([400, 201]);
    expect([...fake.groups.values()].map((g) => g.displayName)).toEqual(['Good']);
    expect(fake.takeViolations()).toEqual([expect.objectContaining({ method: 'POST', path: '/groups', inBatch: true })]);
  });
});

describe('after the change: hold, lost, truncated', () => {
  it('hold: the group is made, the answer held until the test releases it', async () => {
    fake.fault({ kind: 'hold', method: 'POST', path: '/groups' });
    let answered = false;
    const sent = graph('POST', '/groups', group('Helpdesk')).then((r) => ((answered = true), r));
    const held = await fake.held({ method: 'POST', path: '/groups' });
    // Applied at the fake, answer made, not yet sent.
    expect(groupNamed('Helpdesk')).toHaveLength(1);
    expect(held).toMatchObject({ status: 201, body: expect.objectContaining({ displayName: 'Helpdesk' }), request: expect.objectContaining({ method: 'POST', path: '/groups' }) });
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    held.release();
    expect(await sent).toMatchObject({ status: 201, body: { id: groupNamed('Helpdesk')[0]!.id } });
  });

  it('hold, then drop: the change stays applied, the client gets no answer', async () => {
    fake.fault({ kind: 'hold', method: 'POST', path: '/users' });
    const sent = failure(graph('POST', '/users', { accountEnabled: true, displayName: 'A', mailNickname: 'a', userPrincipalName: 'a@contoso.com', passwordProfile: { password: 'x-Y-z-1234' } }));
    const held = await fake.held({ path: '/users' });
    held.drop();
    expect((await sent).message).toMatch(/fetch failed/);
    expect([...fake.users.values()].map((u) => u.userPrincipalName)).toEqual(['a@contoso.com']);
  });

  it('hold on a $batch part holds the whole envelope once every part is applied; held() finds it by the part', async () => {
    fake.fault({ kind: 'hold', method: 'POST', path: '/groups', inBatch: true });
    const sent = batch([
      { method: 'POST', path: '/groups', body: group('One') },
      { method: 'POST', path: '/groups', body: group('Two') },
    ]);
    const held = await fake.held({ method: 'POST', path: '/groups' });
    expect(held.request.path).toBe('/$batch');
    expect(groupNamed('One').length + groupNamed('Two').length).toBe(2);
    held.release();
    expect(await sent).toEqual([201, 201]);
  });

  it('held() waits for an answer held later, and fails after its time limit when none is', async () => {
    const later = fake.held({ path: '/domains' });
    fake.fault({ kind: 'hold', path: '/domains' });
    const sent = graph('POST', '/domains', { id: 'contoso.com' });
    (await later).release();
    await sent;
    await expect(fake.held({ path: '/nothing' }, 50)).rejects.toThrow(/no answer was held within 50 ms/);
  });

  it('lost: the user is created, the connection dropped without an answer (unlike drop, which applies nothing)', async () => {
    fake.fault({ kind: 'lost', method: 'POST', path: '/users' });
    const body = { accountEnabled: true, displayName: 'B', mailNickname: 'b', userPrincipalName: 'b@contoso.com', passwordProfile: { password: 'x-Y-z-1234' } };
    expect((await failure(graph('POST', '/users', body))).message).toMatch(/fetch failed/);
    expect([...fake.users.values()].map((u) => u.userPrincipalName)).toEqual(['b@contoso.com']);
    fake.fault({ kind: 'drop', method: 'POST', path: '/users' });
    expect((await failure(graph('POST', '/users', { ...body, userPrincipalName: 'c@contoso.com' }))).message).toMatch(/fetch failed/);
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
  const parts = (n: number): Part[] => Array.from({ length: n }, (_, i) => ({ method: 'POST', path: '/groups', body: group(`G${i + 1}`) }));
  const envelopes = () => fake.seen({ path: '/$batch' }).length;

  it('401 on envelope 2: envelope 1 (20 parts) applied, envelope 2 applied nothing', async () => {
    fake.fault({ kind: 'error', path: '/$batch', inBatch: false, after: 1, status: 401, code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' });
    expect(await failure(batch(parts(25)))).toMatchObject({ status: 401 });
    expect(envelopes()).toBe(2);
    expect(fake.groups.size).toBe(20);
  });

  it('503 on envelope 2, with Retry-After and (the next time) without: applies nothing; sent again, it runs', async () => {
    fake.fault({ kind: 'unavailable', path: '/$batch', inBatch: false, after: 1, retryAfter: '7' });
    fake.fault({ kind: 'unavailable', path: '/$batch', inBatch: false, after: 2 });
    const all = parts(25);
    expect(await batch(all.slice(0, 20))).toEqual(Array(20).fill(201));
    const first = await graph('POST', '/$batch', { requests: all.slice(20).map((p, i) => ({ id: String(i + 1), method: p.method, url: p.path, body: p.body, headers: { 'Content-Type': 'application/json' } })) });
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, '7']);
    await expect(batch(all.slice(20))).rejects.toMatchObject({ status: 503 });
    expect(fake.groups.size).toBe(20);
    expect(await batch(all.slice(20))).toEqual(Array(5).fill(201));
    expect(envelopes()).toBe(4);
    expect(fake.groups.size).toBe(25);
  });

  it('malformed JSON (truncated) on envelope 2: its parts were applied, its answer cannot be read', async () => {
    fake.fault({ kind: 'truncated', path: '/$batch', inBatch: false, after: 1 });
    expect(await failure(batch(parts(25)))).toMatchObject({ name: 'SyntaxError' });
    expect(envelopes()).toBe(2);
    expect(fake.groups.size).toBe(25);
  });

  it('a dropped connection on envelope 2 applies nothing of it; a lost one applies all of it', async () => {
    fake.fault({ kind: 'drop', path: '/$batch', inBatch: false, after: 1 });
    expect((await failure(batch(parts(25)))).message).toMatch(/fetch failed/);
    expect(fake.groups.size).toBe(20);
    fake.reset();
    fake.fault({ kind: 'lost', path: '/$batch', inBatch: false, after: 1 });
    expect((await failure(batch(parts(25)))).message).toMatch(/fetch failed/);
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

  it('trickle: a deadline over the whole answer (body included) is what ends it', async () => {
    fake.fault({ kind: 'trickle', path: '/contracts', intervalMs: 20 });
    const started = Date.now();
    expect(await failure(graph('GET', '/contracts', undefined, AbortSignal.timeout(300)))).toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(3000);
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

  it('storm, waited out by a retry loop whose sleep moves the same clock (as an in-process client with an injected sleep): 20 s in no time', async () => {
    let t = 0;
    fake.clock = () => t;
    fake.fault({ kind: 'storm', path: '/contracts', durationMs: 20_000, retryAfter: '2' });
    const started = Date.now();
    let r = await graph('GET', '/contracts');
    while (r.status === 429) {
      t += Number(r.headers.get('retry-after')) * 1000; // the injected sleep
      r = await graph('GET', '/contracts');
    }
    expect(r.status).toBe(200);
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
