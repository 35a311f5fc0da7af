/**
 * The HTTP boundary's limits and faults (SPEC "Live mode, exactly once" >
 * "Deadlines and budgets", "Every answer is kept"), each against a small
 * loopback server that misbehaves on purpose: a body that trickles in, a 429
 * storm, pages that never end or loop, a `$batch` envelope that fails after
 * another succeeded, and Microsoft text that would drive a terminal. Waits
 * are recorded on a fake clock, never waited.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { InterruptedError, UsageError } from '../../src/domain/core/errors.js';
import { createUser } from '../../src/domain/plan/directory-requests.js';
import { liveClient, MAX_PAGES, MicrosoftClient, staticToken, type BatchPart, type PartOutcome } from '../../src/microsoft/client.js';
import { CLOUDS } from '../../src/microsoft/endpoints.js';
import { MalformedAnswerError, MicrosoftError, NetworkError, PagingError, writeState } from '../../src/microsoft/errors.js';
import { executor } from '../../src/microsoft/execute.js';
import * as schemas from '../../src/microsoft/schemas.js';
import { failure, json, startLoopback, testClient, type Loopback } from './loopback.js';

let lb: Loopback;
beforeAll(async () => {
  lb = await startLoopback();
});
afterAll(async () => {
  await lb.close();
});
beforeEach(() => {
  lb.seen.length = 0;
});

const graphError = (code: string, message: string) => ({ error: { code, message, innerError: { 'request-id': 'r-1' } } });

describe('deadline over the whole answer', () => {
  it('a body that trickles in (a byte every 50 ms, forever) is cut at the deadline', async () => {
    let ticks = 0;
    lb.handle = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"value":[');
      const t = setInterval(() => {
        ticks++;
        res.write(' ');
      }, 50);
      res.on('close', () => clearInterval(t));
    };
    const { client } = testClient(lb, { timeoutMs: 400 });
    const started = Date.now();
    const e = await failure(client.get('/contracts', schemas.contractPage));
    const took = Date.now() - started;
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.message).toBe('Cannot reach Microsoft Graph (GET /contracts): the answer did not finish within 400 ms (the deadline for a whole answer)');
    expect(ticks).toBeGreaterThan(2); // bytes kept coming: no idle timeout would have fired
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(3000);
    // A change cut short this way may have been applied: the caller must read it back.
    expect(writeState(e)).toBe('unknown');
  });

  it('a slow answer that finishes within the deadline is an answer', async () => {
    lb.handle = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"value":');
      setTimeout(() => res.end('[]}'), 100);
    };
    await expect(testClient(lb, { timeoutMs: 2000 }).client.get('/contracts', schemas.contractPage)).resolves.toEqual({ value: [] });
  });

  it('DELEGATE_HTTP_TIMEOUT and DELEGATE_RETRY_BUDGET are seconds; a bad value is exit 2 naming the variable', () => {
    const env = { DELEGATE_ACCESS_TOKEN: 't' };
    expect(liveClient(env)).toMatchObject({ timeoutMs: 100_000, retryBudgetMs: 600_000 });
    expect(liveClient({ ...env, DELEGATE_HTTP_TIMEOUT: '2.5', DELEGATE_RETRY_BUDGET: '0' })).toMatchObject({ timeoutMs: 2500, retryBudgetMs: 0 });
    expect(liveClient({ ...env, DELEGATE_HTTP_TIMEOUT: '', DELEGATE_RETRY_BUDGET: ' 30 ' })).toMatchObject({ timeoutMs: 100_000, retryBudgetMs: 30_000 });
    for (const [name, value, words] of [
      ['DELEGATE_HTTP_TIMEOUT', 'abc', 'greater than 0 and at most 86400 (default 100)'],
      ['DELEGATE_HTTP_TIMEOUT', '0', 'greater than 0 and at most 86400 (default 100)'],
      ['DELEGATE_HTTP_TIMEOUT', '10s', 'greater than 0 and at most 86400 (default 100)'],
      ['DELEGATE_RETRY_BUDGET', '-1', 'from 0 to 86400 (default 600)'],
      ['DELEGATE_RETRY_BUDGET', '1e3', 'from 0 to 86400 (default 600)'],
      ['DELEGATE_RETRY_BUDGET', '100000', 'from 0 to 86400 (default 600)'],
    ] as const) {
      let e: unknown;
      try {
        liveClient({ ...env, [name]: value });
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(UsageError);
      expect(e).toMatchObject({ exitCode: 2, message: `${name} must be a number of seconds ${words}, not "${value}"` });
    }
  });
});

describe('retry budget, not a number of attempts', () => {
  /** 429 (with `retryAfter`) for the first `n` requests, then the answer. */
  function storm(n: number, retryAfter?: string): void {
    let seen = 0;
    lb.handle = (_req, res) => {
      if (seen++ < n) return json(res, 429, graphError('TooManyRequests', 'Too many requests.'), retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
      json(res, 200, { value: [] });
    };
  }

  it('a 20 s storm of 429s (Retry-After: 2) is waited out within the default 10 minutes', async () => {
    storm(10, '2');
    const t = testClient(lb);
    await expect(t.client.get('/contracts', schemas.contractPage)).resolves.toEqual({ value: [] });
    expect(t.waits).toEqual(Array(10).fill(2000));
    expect(lb.seen).toHaveLength(11);
    expect(t.retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a storm without Retry-After: exponential backoff (capped) until it ends', async () => {
    storm(8);
    const t = testClient(lb, { backoffBaseMs: 1000, backoffMaxMs: 30_000 });
    await t.client.get('/contracts', schemas.contractPage);
    // cap = min(30 s, 1 s * 2^(n-1)); wait = cap/2 + 0.5 * cap/2
    expect(t.waits).toEqual([750, 1500, 3000, 6000, 12_000, 22_500, 22_500, 22_500]);
  });

  it('a storm longer than the budget: given up when the next wait would pass it, saying so', async () => {
    storm(Infinity, '2');
    const t = testClient(lb, { retryBudgetMs: 15_000 });
    const e = await failure(t.client.get('/contracts', schemas.contractPage));
    expect(e).toBeInstanceOf(MicrosoftError);
    expect(e).toMatchObject({ status: 429, exitCode: 1 });
    expect(t.waits).toEqual(Array(7).fill(2000));
    expect(e.message).toBe(
      'Microsoft Graph answered 429 to GET /contracts: TooManyRequests: Too many requests. (gave up after 8 attempts in 14 s: Microsoft asked to wait 2 s more, beyond the retry budget of 15 s (DELEGATE_RETRY_BUDGET); request id r-1)',
    );
    // Throttled: Microsoft did not do it.
    expect(writeState(e)).toBe('notApplied');
  });

  it('a budget of 0 retries nothing', async () => {
    storm(1, '0');
    const t = testClient(lb, { retryBudgetMs: 0 });
    expect(await failure(t.client.get('/contracts', schemas.contractPage))).toMatchObject({ status: 429 });
    expect(lb.seen).toHaveLength(1);
  });

  it('503 with Retry-After as an HTTP date; the throttle headers are reported with the retry', async () => {
    let seen = 0;
    lb.handle = (_req, res) => {
      if (seen++ === 0) {
        return json(res, 503, graphError('serviceNotAvailable', 'Try later.'), {
          'Retry-After': new Date(Date.parse('2026-03-01T12:00:09Z')).toUTCString(),
          'x-ms-throttle-scope': 'Tenant_Application/ReadWrite/9e5e5d6e/0a1b2c3d',
          'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
        });
      }
      json(res, 200, { value: [] });
    };
    const t = testClient(lb);
    await t.client.get('/contracts', schemas.contractPage);
    expect(t.waits).toEqual([9000]);
    expect(t.retries[0]).toMatchObject({ status: 503, throttle: 'throttled: ResourceUnitLimitExceeded, scope Tenant_Application/ReadWrite/9e5e5d6e/0a1b2c3d' });
  });
});

describe('paging stops', () => {
  it('pages that never end stop at the cap with an error (memory stays one page)', async () => {
    let n = 0;
    lb.handle = (_req, res) => json(res, 200, { value: [{ id: `i${n}`, customerId: `c${n}` }], '@odata.nextLink': `${lb.url}/v1.0/contracts?$skiptoken=${++n}` });
    const { client } = testClient(lb, { maxPages: 50 });
    let items = 0;
    const e = await failure(
      (async () => {
        for await (const page of client.pages('/contracts', schemas.contractPage)) items += page.length;
      })(),
    );
    expect(e).toBeInstanceOf(PagingError);
    expect(e.message).toBe('Microsoft Graph: reading GET /contracts stopped: more than 50 pages (Microsoft keeps giving a next page)');
    expect(lb.seen).toHaveLength(50);
    expect(items).toBe(50);
  });

  it('the default cap is 10,000 pages', async () => {
    let fetches = 0;
    const fetch = (async (url: string) => {
      fetches++;
      const next = `https://graph.example.test/v1.0/contracts?$skiptoken=${fetches}`;
      void url;
      return new Response(JSON.stringify({ value: [], '@odata.nextLink': next }), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    // The limiter would pace 10,000 reads of /contracts (3 resource units each) over minutes of real time: out of the way here.
    const client = new MicrosoftClient({ endpoints: { ...CLOUDS.global, cloud: 'global', graph: 'https://graph.example.test' }, tokens: staticToken('t'), fetch, limits: { identity: 1e9, concurrency: 8 } });
    const e = await failure(client.all('/contracts', schemas.contractPage));
    expect(e.message).toBe('Microsoft Graph: reading GET /contracts stopped: more than 10000 pages (a million items at Graph’s page sizes; Microsoft keeps giving a next page)');
    expect(fetches).toBe(MAX_PAGES);
  });

  it('a next link that repeats is an error at once', async () => {
    lb.handle = (req, res) => json(res, 200, { value: [{ id: 'x', customerId: 'c' }], '@odata.nextLink': `${lb.url}/v1.0/contracts?$skiptoken=${req.seen.query ? 'B' : 'A'}` });
    const e = await failure(testClient(lb).client.all('/contracts', schemas.contractPage));
    expect(e).toBeInstanceOf(PagingError);
    expect(e.message).toBe(`Microsoft Graph: reading GET /contracts stopped: the link after page 3 repeats an earlier one: ${lb.url}/v1.0/contracts?$skiptoken=B`);
    expect(lb.seen).toHaveLength(3);
  });

  it('all() is for small lists: past its item limit it stops and says so', async () => {
    lb.handle = (_req, res) => json(res, 200, { value: Array.from({ length: 30 }, (_, i) => ({ id: `d${i}.com`, isInitial: false, isVerified: true })) });
    const e = await failure(testClient(lb, { maxItems: 20 }).client.all('/domains', schemas.domainPage));
    expect(e.message).toBe('Microsoft Graph: reading GET /domains stopped: more than 20 items, more than this read is for');
  });

  it('a $batch part’s first page continues with its next pages', async () => {
    lb.handle = (_req, res) => json(res, 200, { value: [{ id: 'a2', status: 'active', accessContainer: { accessContainerId: 'g' }, accessDetails: { unifiedRoles: [] } }] });
    const first = { value: [{ id: 'a1', status: 'active', accessContainer: { accessContainerId: 'g' }, accessDetails: { unifiedRoles: [] } }], '@odata.nextLink': `${lb.url}/v1.0/x/accessAssignments?$skiptoken=2` };
    const ids: string[] = [];
    for await (const page of testClient(lb).client.pages('/x/accessAssignments', schemas.accessAssignmentPage, { first })) ids.push(...page.map((a) => a.id));
    expect(ids).toEqual(['a1', 'a2']);
    expect(lb.seen.map((s) => s.query)).toEqual(['?$skiptoken=2']);
  });
});

describe('$batch: each envelope’s outcome is its own', () => {
  const user = (i: number) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, userPrincipalName: `u${i}@contoso.com` });
  const posts = (n: number): BatchPart<unknown>[] =>
    Array.from({ length: n }, (_, i) => ({ method: 'POST', path: '/users', body: { userPrincipalName: `u${i}@contoso.com` }, schema: schemas.user }));

  /** Answers every part of an envelope with 201 and its user; `nth` envelope (from 1) answered by `fault` instead. */
  function envelopes(fault: Record<number, (res: ServerResponse) => void>): void {
    let n = 0;
    lb.handle = (req, res) => {
      const f = fault[++n];
      if (f) return f(res);
      const requests = (req.seen.body as { requests: { id: string; body: { userPrincipalName: string } }[] }).requests;
      json(res, 200, { responses: requests.map((r) => ({ id: r.id, status: 201, headers: { 'Content-Type': 'application/json' }, body: { id: `00000000-0000-4000-8000-${r.id.padStart(12, '0')}`, userPrincipalName: r.body.userPrincipalName } })).reverse() });
    };
  }

  const kinds = (out: PartOutcome[]) => out.map((o) => o.kind);

  const faults: [string, (res: ServerResponse) => void, 'failed' | 'pending', RegExp][] = [
    ['answered 401', (res) => json(res, 401, graphError('InvalidAuthenticationToken', 'Access token has expired.')), 'failed', /^Microsoft Graph answered 401 to POST \/\$batch: InvalidAuthenticationToken/],
    ['answered 503 past the budget', (res) => json(res, 503, graphError('serviceNotAvailable', 'Unavailable.'), { 'Retry-After': '700' }), 'failed', /503 to POST \/\$batch.*Microsoft asked to wait 700 s more/],
    ['dropped', (res) => res.socket?.destroy(), 'pending', /^Cannot reach Microsoft Graph \(POST \/\$batch\): the connection was closed before an answer came/],
    ['answered with JSON cut short', (res) => json(res, 200, '{"responses":[{"id":"21","status":201,"bo'), 'pending', /^Microsoft Graph answered 200 to POST \/\$batch with an answer that is not the documented shape \(not JSON: /],
    ['answered without responses', (res) => json(res, 200, { value: [] }), 'pending', /\(responses: expected array, received undefined\)/],
  ];
  for (const [name, fault, kind, words] of faults) {
    it(`envelope 2 ${name}: envelope 1’s 20 answers stand (recorded as they came), envelope 2’s parts are ${kind}, envelope 3 still goes`, async () => {
      envelopes({ 2: fault });
      const t = testClient(lb);
      const delivered: [number, string, number][] = [];
      const out = await t.client.batch(posts(45), { onPart: (i, o) => void delivered.push([i, o.kind, lb.seen.length]) });
      expect(kinds(out)).toEqual([...Array(20).fill('answered'), ...Array(20).fill(kind), ...Array(5).fill('answered')]);
      expect(out.slice(0, 20).map((o) => (o.ok ? (o.body as { userPrincipalName: string }).userPrincipalName : ''))).toEqual(Array.from({ length: 20 }, (_, i) => `u${i}@contoso.com`));
      for (const o of out.slice(20, 40)) if (!o.ok) expect(o.error?.message).toMatch(words);
      // Each of envelope 1's answers was handed over before envelope 2 was sent.
      expect(delivered.filter(([i]) => i < 20).every(([, , sent]) => sent === 1)).toBe(true);
      expect(delivered.map(([i]) => i)).toEqual(Array.from({ length: 45 }, (_, i) => i));
    });
  }

  it('afterFailedEnvelope "stop": the envelopes after a failed one are not sent', async () => {
    envelopes({ 2: (res) => json(res, 401, graphError('InvalidAuthenticationToken', 'Expired.')) });
    const out = await testClient(lb).client.batch(posts(45), { afterFailedEnvelope: 'stop' });
    expect(kinds(out)).toEqual([...Array(20).fill('answered'), ...Array(20).fill('failed'), ...Array(5).fill('notSent')]);
    expect(lb.seen).toHaveLength(2);
  });

  it('reads in a dropped envelope failed (a read changes nothing); changes in it are pending', async () => {
    lb.handle = (_req, res) => res.socket?.destroy();
    const out = await testClient(lb).client.batch([
      { method: 'GET', path: '/users/a@contoso.com', schema: schemas.user },
      { method: 'DELETE', path: '/users/b@contoso.com', schema: schemas.noContent },
    ]);
    expect(kinds(out)).toEqual(['failed', 'pending']);
  });

  it('an interrupt after envelope 1: its answers stand, nothing more is sent', async () => {
    envelopes({});
    const interrupt = new AbortController();
    const t = testClient(lb, { signal: interrupt.signal });
    const out = await t.client.batch(posts(45), {
      onPart: (i) => {
        if (i === 19) interrupt.abort(new InterruptedError('SIGINT'));
      },
    });
    expect(kinds(out)).toEqual([...Array(20).fill('answered'), ...Array(25).fill('notSent')]);
    expect(lb.seen).toHaveLength(1);
  });

  it('an interrupt while envelope 2 is in flight: its parts are pending, envelope 3 is not sent', async () => {
    envelopes({ 2: () => undefined }); // never answers
    const interrupt = new AbortController();
    const t = testClient(lb, { signal: interrupt.signal });
    const batch = t.client.batch(posts(45));
    while (lb.seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    interrupt.abort(new InterruptedError('SIGINT'));
    const out = await batch;
    expect(kinds(out)).toEqual([...Array(20).fill('answered'), ...Array(20).fill('pending'), ...Array(5).fill('notSent')]);
    expect(out[20]).toMatchObject({ error: expect.any(InterruptedError) });
  });

  it('parts answered 429 are sent again after their own Retry-After; a part whose 2xx body does not fit is pending, done at Microsoft', async () => {
    let n = 0;
    lb.handle = (req, res) => {
      n++;
      const requests = (req.seen.body as { requests: { id: string }[] }).requests;
      json(res, 200, {
        responses: requests.map((r) =>
          r.id === '1' && n === 1
            ? { id: r.id, status: 429, headers: { 'Retry-After': '4', 'x-ms-throttle-information': 'WriteLimitExceeded' }, body: graphError('TooManyRequests', 'Slow down.') }
            : r.id === '2'
              ? { id: r.id, status: 201, body: { userPrincipalName: 'no id' } }
              : { id: r.id, status: 201, body: user(Number(r.id)) },
        ),
      });
    };
    const t = testClient(lb);
    const out = await t.client.batch(posts(3));
    expect(kinds(out)).toEqual(['answered', 'pending', 'answered']);
    expect(t.waits).toEqual([4000]);
    expect(t.retries).toEqual([{ service: 'graph', method: 'POST', path: '/$batch', status: 429, attempt: 1, waitMs: 4000, parts: 1, throttle: 'throttled: WriteLimitExceeded' }]);
    const bad = out[1]!;
    expect(bad.ok ? undefined : bad.error).toBeInstanceOf(MalformedAnswerError);
    expect(bad).toMatchObject({ status: 201, error: { doneAtMicrosoft: true, reason: 'id: expected string, received undefined' } });
    expect(writeState(bad.ok ? undefined : bad.error)).toBe('applied');
  });

  it('the live executor keeps envelope 1’s answers when envelope 2 drops (the bulk user add of issue 19)', async () => {
    envelopes({ 2: (res) => res.socket?.destroy() });
    const groups = Array.from({ length: 25 }, (_, i) => [createUser('global', `user${i}`, { upn: `u${i}@contoso.com`, name: `U${i}`, password: 'p' })]);
    const r = await executor(testClient(lb).client, 'global').run(groups, { tenantId: 'c0ffee00-0000-4000-8000-000000000001' });
    expect([...r.responses.keys()]).toEqual(Array.from({ length: 20 }, (_, i) => `user${i}`));
    expect(r.responses.get('user3')).toMatchObject({ userPrincipalName: 'u3@contoso.com' });
    expect(r.failures.map((f) => f.id)).toEqual(Array.from({ length: 5 }, (_, i) => `user${20 + i}`));
    expect(writeState(r.failures[0]!.error)).toBe('unknown');
  });
});

describe('Microsoft’s text is escaped wherever it is printed', () => {
  const nasty = 'Denied\x1b[2J\x1b]0;owned\x07 by \u202eadmin\u202c\x7f\x9b31m\r\nnext line';

  it('an error’s code and message: control characters, DEL, C1 and bidirectional overrides escaped, one line; the raw text kept for matching', async () => {
    lb.handle = (_req, res) => json(res, 403, graphError('Authorization_\x1bRequestDenied', nasty));
    const e = (await failure(testClient(lb).client.get('/users', schemas.userPage))) as MicrosoftError;
    expect(e.message).toBe(
      'Microsoft Graph answered 403 to GET /users: Authorization_\\x1bRequestDenied: Denied\\x1b[2J\\x1b]0;owned\\x07 by \\u202eadmin\\u202c\\x7f\\x9b31m next line (request id r-1)',
    );
    expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(e.microsoftMessage).toBe(nasty);
  });

  it('in a $batch part’s failure, and in a malformed answer’s reason', async () => {
    lb.handle = (req, res) => {
      const id = (req.seen.body as { requests: { id: string }[] }).requests[0]!.id;
      json(res, 200, { responses: [{ id, status: 400, body: graphError('Request_BadRequest', nasty) }] });
    };
    const [o] = await testClient(lb).client.batch([{ method: 'POST', path: '/users', body: {}, schema: schemas.user }]);
    expect(o).toMatchObject({ kind: 'failed', status: 400 });
    expect(o!.ok ? '' : o!.error!.message).toContain('Request_BadRequest: Denied\\x1b[2J');
    lb.handle = (_req, res) => json(res, 200, '\x1b[31m{oops');
    const e = await failure(testClient(lb).client.get('/users', schemas.userPage));
    expect(e.message).toContain('not JSON: ');
    expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('writeState: did Microsoft carry out a change that threw?', () => {
  const ms = (status: number) => new MicrosoftError('graph', 'POST', '/users', status, 'c', 'm');
  it('refused (4xx, 429, 503) or never sent: notApplied; 2xx unreadable: applied; dropped, 500/502/504, an interrupt: unknown', () => {
    expect([400, 401, 403, 404, 409, 412, 429, 503].map((s) => writeState(ms(s)))).toEqual(Array(8).fill('notApplied'));
    expect([500, 502, 504].map((s) => writeState(ms(s)))).toEqual(['unknown', 'unknown', 'unknown']);
    expect(writeState(new NetworkError('graph', 'POST', '/users', 'connection refused (ECONNREFUSED)', false))).toBe('notApplied');
    expect(writeState(new NetworkError('graph', 'POST', '/users', 'the connection was closed before an answer came'))).toBe('unknown');
    expect(writeState(new MalformedAnswerError('graph', 'POST', '/users', 201, 'no body', true))).toBe('applied');
    expect(writeState(new InterruptedError('SIGINT'))).toBe('unknown');
  });
});
