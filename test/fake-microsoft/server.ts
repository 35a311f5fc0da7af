/**
 * A loopback fake of Microsoft's endpoints for live-mode tests: Microsoft
 * Graph, Partner Center and the Microsoft Entra token endpoint, each a small
 * node:http server on 127.0.0.1 with a random port, sharing one state.
 *
 * Answers follow Microsoft's documented example responses; the page each
 * handler follows is cited next to it (graph-gdap.ts, graph-directory.ts,
 * identity.ts). Where a detail is not documented (an error code for a refused
 * state change, how fast a status moves on), the comment says so and the fake
 * picks a plausible answer.
 *
 * Strict like Microsoft: every Graph request it receives (each `$batch` part
 * too) is checked against Microsoft's Graph v1.0 metadata
 * (test/helpers/graph-metadata.ts); a path or property the metadata does not
 * describe is answered 400 before anything is applied and recorded in
 * `violations`, which an afterEach this module registers asserts is empty
 * after every test of a file that uses the fake. Relationship display names are unique,
 * an existing member is 400, If-Match is required where the pages say so.
 *
 * Faults on demand (`fault()`, see faults.ts): before the change (429, 503, an
 * error, a 429 storm, a dropped or hanging connection, a slow answer) or after
 * it (the answer held until the test releases it, lost, truncated, trickled,
 * or a collection whose pages never end), also for single parts and whole
 * envelopes of a `$batch`; and relationships whose status changes after a
 * number of reads (the client approving at Microsoft).
 *
 * Throttling on demand (limits.ts, off by default): `enforce()` limits per service (tenantRelationships,
 * identity, partnerCenter) answered 429 past them, `storm429()`, `latencyMs` before every answer, and
 * `limits` counters (requests, 429s sent, most in flight at once, per service; `$batch` parts one by one).
 */
import { FakePim, pimRoute } from './pim.js';
import { afterEach } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { graphMetadata } from '../helpers/graph-metadata.js';
import { AFTER_APPLY, arm, endless, ENVELOPE_FATE, faultReply, takeFault, truncatedReply, type ArmedFault, type Fault } from './faults.js';
import * as dir from './graph-directory.js';
import * as gdap from './graph-gdap.js';
import { authority, partnerCenter } from './identity.js';
import { FakeLimits, limitedService, type FakeLimit, type LimitedService, type PerService } from './limits.js';
import { graphError, notFound, publicUser, safeJson, type FakeService, type Json, type Reply, type Req } from './replies.js';

export type { Fault, FaultKind } from './faults.js';
export type { FakeService } from './replies.js';
export type { FakeLimit, LimitedService } from './limits.js';

/** The fake's test-only HTTPS certificate (tls/README.md): trust it with NODE_EXTRA_CA_CERTS. */
export const FAKE_CA = join(dirname(fileURLToPath(import.meta.url)), 'tls', 'cert.pem');
/** A test-only private key and certificate for an app-only sign-in with a certificate. */
export const FAKE_APP_CERT = join(dirname(fileURLToPath(import.meta.url)), 'tls', 'app.pem');

export interface Recorded {
  service: FakeService;
  method: string;
  /** Graph: after the version (`/users`); others: the whole path. */
  path: string;
  query: string;
  headers: Record<string, string>;
  body: unknown;
  /** A part of a `$batch` (the `$batch` itself is recorded too). */
  inBatch: boolean;
}

/** A Graph request the metadata does not describe (answered 400, nothing applied). */
export interface Violation {
  method: string;
  path: string;
  inBatch: boolean;
  problems: string[];
}

/** An answer made (the change applied) and held back by a `hold` fault. */
export interface Held {
  /** The request whose answer is held (a `$batch` envelope when a part's fault held it). */
  request: Recorded;
  status: number;
  body: unknown;
  /** Send the answer after all (nothing happens if the client is gone). */
  release(): void;
  /** Close the connection without the answer. */
  drop(): void;
}

export interface Relationship extends Json {
  id: string;
  status: string;
  '@odata.etag': string;
}

export interface PendingChange {
  status: string;
  afterReads: number;
  reads: number;
}

type Fate = { kind: 'hold' | 'lost' | 'trickle' | 'truncated'; fault: ArmedFault };

interface HeldEntry extends Held {
  claimed: boolean;
}

interface Waiter {
  match: HeldMatch;
  resolve: (h: Held) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface HeldMatch {
  method?: string;
  path?: string | RegExp;
}

/** Every fake started in this test file (for the afterEach below). */
const RUNNING = new Set<FakeMicrosoft>();

/**
 * After every test of a file that uses the fake (this module registers it when the file imports it): no
 * running fake received a Graph request that Microsoft's Graph v1.0 metadata does not describe. A test
 * that sends a bad request on purpose takes its violations itself (fake.takeViolations()).
 */
afterEach(() => {
  const found = [...RUNNING].flatMap((fake) => fake.takeViolations());
  if (found.length === 0) return;
  const lines = found.map((v) => `  ${v.method} ${v.path}${v.inBatch ? ' (in $batch)' : ''}: ${v.problems.join('; ')}`);
  throw new Error(`The fake Microsoft received ${found.length} Graph request(s) its v1.0 metadata does not describe:\n${lines.join('\n')}`);
});

export class FakeMicrosoft {
  graphUrl = '';
  partnerCenterUrl = '';
  authorityUrl = '';
  readonly requests: Recorded[] = [];
  /** Graph requests the metadata does not describe; `takeViolations()` reads and clears them. */
  readonly violations: Violation[] = [];
  /** Check every Graph request against the metadata (on by default; a test of the check itself may turn it off). */
  strict = true;
  /** Server-side page size of every collection (Graph pages on its own; tests make it small). */
  pageSize = 100;
  /**
   * Collections (paths, exact or RegExp) whose `$filter` is refused with 400, as Microsoft refuses a filter on a
   * property it does not index (e.g. to test a read-back's fallback to paging when displayName cannot be filtered).
   */
  refuseFilterOn: (string | RegExp)[] = [];
  /** When set, every Graph and Partner Center request must carry `Bearer <token>`, else 401. */
  requireToken?: string;
  /** The access token the token endpoint issues. */
  issuedToken = 'fake-access-token';
  /** Client credentials: when set, any other client_secret is refused (invalid_client). */
  validSecret?: string;
  /** Device code flow: how many polls answer authorization_pending before the sign-in completes. */
  deviceCodePendingPolls = 0;
  /** Device code flow: the polling interval announced, in seconds (Microsoft's example says 5). */
  deviceCodeInterval = 5;
  deviceCodePolls = 0;
  signedInUser = { oid: '00000000-0000-4000-8000-0000000000a1', upn: 'ada@fabrikam.com', name: 'Ada Admin', tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b' };
  /** The clock a `storm` fault is measured on: give it a test's virtual clock to storm without waiting. */
  clock: () => number = Date.now;
  /** Added before every answer (Graph, Partner Center, the token endpoint), to keep requests in flight a while. */
  latencyMs = 0;
  /** Enforced limits, storms and counters per service (limits.ts). */
  readonly limits = new FakeLimits(() => this.clock());

  readonly relationships = new Map<string, Relationship>();
  readonly relationshipRequests = new Map<string, Json[]>();
  readonly accessAssignments = new Map<string, Json[]>();
  /** Long-running operations per relationship (an access assignment's update). */
  readonly operations = new Map<string, Json[]>();
  readonly users = new Map<string, Json & { passwordProfile?: Json }>();
  readonly roleAssignments: Json[] = [];
  readonly domains = new Map<string, Json>();
  readonly groups = new Map<string, { id: string; displayName: string; mailNickname?: string; members: Set<string> }>();
  readonly contracts: Json[] = [];
  readonly customers = new Map<string, Json>();
  readonly pendingChanges = new Map<string, PendingChange>();
  /** PIM for Groups: eligibility, activations, policies (pim.ts). */
  readonly pim = new FakePim();

  private readonly faults: ArmedFault[] = [];
  private readonly servers: Server[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly heldAnswers: HeldEntry[] = [];
  private readonly waiters: Waiter[] = [];

  /** The environment that points delegate at this fake. */
  env(token = this.issuedToken): Record<string, string> {
    return {
      DELEGATE_GRAPH_URL: this.graphUrl,
      DELEGATE_PARTNER_CENTER_URL: this.partnerCenterUrl,
      DELEGATE_AUTHORITY_URL: this.authorityUrl,
      DELEGATE_ACCESS_TOKEN: token,
    };
  }

  fault(f: Fault): this {
    this.faults.push(arm(f));
    return this;
  }

  /** Enforce these limits from now on (a token bucket of capacity `limit` per service; see limits.ts). */
  enforce(limits: Partial<PerService<FakeLimit>>): this {
    this.limits.enforce(limits);
    return this;
  }

  /** A 429 storm: the next `n` requests of `service` answer 429 with `Retry-After: 1`. */
  storm429(service: LimitedService, n: number): this {
    this.limits.storm(service, n);
    return this;
  }

  clearFaults(): this {
    this.faults.length = 0;
    return this;
  }

  /** The violations so far, cleared (the shared afterEach calls this; a test of a bad request may too). */
  takeViolations(): Violation[] {
    return this.violations.splice(0);
  }

  /** Forget everything: requests, faults, held answers, violations and every tenant's state (one test's world after another's). */
  reset(): this {
    this.requests.length = 0;
    this.violations.length = 0;
    this.clearFaults();
    for (const h of this.heldAnswers.splice(0)) h.drop();
    for (const m of [this.relationships, this.relationshipRequests, this.accessAssignments, this.operations, this.users, this.domains, this.groups, this.customers, this.pendingChanges]) m.clear();
    this.roleAssignments.length = 0;
    this.contracts.length = 0;
    this.pim.reset();
    this.clock = Date.now;
    this.latencyMs = 0;
    this.limits.reset();
    return this;
  }

  /** The relationship's status becomes `status` once it has been read `afterReads` times (GET or list). */
  changeStatusAfterReads(id: string, status: string, afterReads: number): this {
    this.pendingChanges.set(id, { status, afterReads, reads: 0 });
    return this;
  }

  /**
   * The client approves at Microsoft: the relationship becomes active now, with the customer who
   * approved it (`customer` {tenantId, displayName}: https://learn.microsoft.com/graph/api/resources/delegatedadminrelationshipcustomerparticipant).
   */
  approve(id: string, customer?: { tenantId: string; displayName: string }): void {
    const r = this.relationships.get(id);
    if (!r) throw new Error(`no relationship ${id}`);
    if (customer) r.customer = customer;
    gdap.setStatus(this, r, 'active');
  }

  /** A relationship made elsewhere (Partner Center's UI, another tool): as POST would make it, then in `status`. */
  addRelationship(r: { displayName: string; status: string; customer?: { tenantId: string; displayName: string }; roles?: string[]; duration?: string }): string {
    const reply = gdap.createRelationship(this, {
      service: 'graph',
      method: 'POST',
      path: '/tenantRelationships/delegatedAdminRelationships',
      query: new URLSearchParams(),
      headers: {},
      body: { displayName: r.displayName, duration: r.duration ?? 'P730D', customer: r.customer ?? null, accessDetails: { unifiedRoles: (r.roles ?? ['29232cdf-9323-42fd-ade2-1d097af3e4de']).map((roleDefinitionId) => ({ roleDefinitionId })) } },
      inBatch: false,
    });
    if (reply.status !== 201) throw new Error(`addRelationship: ${JSON.stringify(reply.body)}`);
    const id = (reply.body as Json).id as string;
    if (r.status !== 'created') gdap.setStatus(this, this.relationships.get(id)!, r.status);
    return id;
  }

  addGroup(displayName: string, id: string = randomUUID(), mailNickname?: string): string {
    this.groups.set(id, { id, displayName, mailNickname, members: new Set() });
    return id;
  }

  addUser(userPrincipalName: string, id: string = randomUUID()): string {
    this.users.set(id, { id, userPrincipalName, displayName: userPrincipalName.split('@')[0], accountEnabled: true });
    return id;
  }

  /** A customer of the partner: in GET /contracts and Partner Center's GET /v1/customers/{id}. */
  addCustomer(c: { tenantId: string; displayName: string; defaultDomainName: string | null; allowDelegatedAccess?: boolean }): void {
    // https://learn.microsoft.com/graph/api/resources/contract: id, contractType, customerId, defaultDomainName, displayName.
    this.contracts.push({ '@odata.type': '#microsoft.graph.contract', id: randomUUID(), contractType: 'ResellerPartner', customerId: c.tenantId, defaultDomainName: c.defaultDomainName, displayName: c.displayName });
    // https://learn.microsoft.com/partner-center/developer/customer-resources (Customer; allowDelegatedAccess only by id).
    this.customers.set(c.tenantId, {
      id: c.tenantId,
      commerceId: randomUUID(),
      companyProfile: { tenantId: c.tenantId, domain: c.defaultDomainName, companyName: c.displayName, attributes: { objectType: 'CustomerCompanyProfile' } },
      relationshipToPartner: 'reseller',
      allowDelegatedAccess: c.allowDelegatedAccess ?? false,
      attributes: { objectType: 'Customer' },
    });
  }

  /** Requests seen, optionally only those of one service, not counting $batch parts unless asked. */
  seen(filter: Partial<Pick<Recorded, 'service' | 'method' | 'inBatch'>> & { path?: string | RegExp } = {}): Recorded[] {
    return this.requests.filter(
      (r) =>
        (filter.service === undefined || r.service === filter.service) &&
        (filter.method === undefined || r.method === filter.method) &&
        (filter.inBatch === undefined ? !r.inBatch : r.inBatch === filter.inBatch) &&
        (filter.path === undefined || (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))),
    );
  }

  /**
   * The next answer a `hold` fault held (the change applied, the answer not sent), matching `match`
   * (its method and path; for a held `$batch` envelope, any of its parts): resolves as soon as one
   * exists, at once if one is already held and not yet taken. Fails after `timeoutMs`.
   */
  held(match: HeldMatch = {}, timeoutMs = 30_000): Promise<Held> {
    const ready = this.heldAnswers.find((h) => !h.claimed && this.heldMatches(h, match));
    if (ready) {
      ready.claimed = true;
      return Promise.resolve(ready);
    }
    return new Promise<Held>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no answer was held within ${timeoutMs} ms (${JSON.stringify({ ...match, path: String(match.path ?? '') })})`));
      }, timeoutMs);
      const waiter: Waiter = { match, resolve, reject, timer };
      this.waiters.push(waiter);
    });
  }

  private heldMatches(h: Held, m: HeldMatch): boolean {
    const candidates = [h.request, ...(h.request.path === '/$batch' ? this.partsOf(h.request) : [])];
    return candidates.some((r) => (m.method === undefined || r.method === m.method) && (m.path === undefined || (typeof m.path === 'string' ? r.path === m.path : m.path.test(r.path))));
  }

  private partsOf(envelope: Recorded): { method: string; path: string }[] {
    const requests = (envelope.body as { requests?: { method?: string; url?: string }[] } | undefined)?.requests ?? [];
    return requests.map((q) => ({ method: String(q.method ?? '').toUpperCase(), path: new URL(String(q.url ?? '').replace(/^\/?/, '/'), 'http://fake').pathname }));
  }

  /** `httpsAuthority`: serve the token endpoint over HTTPS (msal-node refuses an http:// authority). */
  async start(opts: { httpsAuthority?: boolean } = {}): Promise<this> {
    const listen = async (service: FakeService): Promise<string> => {
      const handler = (req: IncomingMessage, res: ServerResponse): void => void this.onRequest(service, req, res);
      const tls = service === 'authority' && opts.httpsAuthority;
      const dir = dirname(FAKE_CA);
      const server = tls ? createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(FAKE_CA) }, handler) : createServer(handler);
      this.servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    this.graphUrl = await listen('graph');
    this.partnerCenterUrl = await listen('partnerCenter');
    this.authorityUrl = await listen('authority');
    RUNNING.add(this);
    return this;
  }

  async close(): Promise<void> {
    RUNNING.delete(this);
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('the fake was closed'));
    }
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  // ---------------------------------------------------------------- transport

  private async onRequest(service: FakeService, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
    const type = headers['content-type'] ?? '';
    let body: unknown = raw === '' ? undefined : raw;
    if (raw && type.includes('json')) body = safeJson(raw);
    else if (raw && type.includes('x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(raw));
    let path = url.pathname;
    if (service === 'graph') {
      const m = /^\/(v1\.0|beta)(\/.*)?$/.exec(path);
      if (!m) return this.write(res, graphError(400, 'BadRequest', `Invalid version: ${path}`));
      path = m[2] ?? '/';
    }
    const r: Req = { service, method: req.method ?? 'GET', path, query: url.searchParams, headers, body, inBatch: false };
    const recorded = this.record(r);

    // Throttling (off unless a test enforces limits or storms): counted per service, a $batch per part.
    const limitedAs = limitedService(r);
    const batchParts = r.service === 'graph' && r.path === '/$batch' ? this.partsOf(recorded).map((q) => limitedService({ service: 'graph', path: q.path })) : [];
    res.on('close', this.limits.enter([limitedAs, ...batchParts].filter((x): x is LimitedService => x !== undefined)));
    if (this.latencyMs > 0) await this.delay(this.latencyMs);
    const limited = limitedAs ? this.limits.check(limitedAs) : undefined;
    if (limited) return this.write(res, limited);

    // Faults that strike before the change.
    const fault = this.takeFault(r);
    if (fault?.kind === 'drop') return void req.socket.destroy();
    if (fault?.kind === 'hang') return; // never answers; close() ends the connection
    if (fault?.kind === 'slow') await this.delay(fault.delayMs ?? 200);
    const before = fault && !AFTER_APPLY.has(fault.kind) ? faultReply(fault) : undefined;
    if (before) return this.write(res, before);

    const refused = this.authorize(r) ?? (r.path === '/$batch' ? undefined : this.strictCheck(r));
    if (refused) return this.write(res, refused);
    const fate: { envelope?: Fate } = {};
    let reply = r.service === 'graph' && r.path === '/$batch' && r.method === 'POST' ? this.batch(r, fate) : this.route(r);
    // Faults that strike after the change: the answer exists.
    const after: Fate | undefined = fault && ENVELOPE_FATE.has(fault.kind) ? { kind: fault.kind as Fate['kind'], fault } : fate.envelope;
    if (fault?.kind === 'endless') reply = this.endless(r, reply);
    if (!after) return this.write(res, reply);
    if (after.kind === 'lost') return void req.socket.destroy();
    if (after.kind === 'truncated') {
      const t = truncatedReply(reply, after.fault.status);
      if (!res.destroyed) res.writeHead(t.status, t.headers).end(t.payload);
      return;
    }
    if (after.kind === 'trickle') return this.trickle(res, reply, after.fault.intervalMs ?? 100);
    this.hold(recorded, res, reply);
  }

  private delay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private write(res: ServerResponse, reply: Reply): void {
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...reply.headers };
    let payload = '';
    if (typeof reply.body === 'string' && headers['Content-Type'] === 'text/html') payload = reply.body;
    else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['Content-Type'] ??= 'application/json';
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  /** A held answer: the test is told (held()), and sends or drops it. */
  private hold(request: Recorded, res: ServerResponse, reply: Reply): void {
    const entry: HeldEntry = {
      request,
      status: reply.status,
      body: reply.body,
      claimed: false,
      release: () => this.write(res, reply),
      drop: () => void res.socket?.destroy(),
    };
    this.heldAnswers.push(entry);
    const waiter = this.waiters.find((w) => this.heldMatches(entry, w.match));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      clearTimeout(waiter.timer);
      entry.claimed = true;
      waiter.resolve(entry);
    }
  }

  /** The status and headers at once, then the body a byte at a time, then spaces: an answer that never ends. */
  private trickle(res: ServerResponse, reply: Reply, intervalMs: number): void {
    if (res.destroyed) return;
    const text = reply.body === undefined ? '{}' : JSON.stringify(reply.body);
    res.writeHead(reply.status === 204 ? 200 : reply.status, { ...reply.headers, 'Content-Type': 'application/json' });
    res.flushHeaders();
    let at = 0;
    const timer = setInterval(() => {
      if (res.destroyed || res.writableEnded) {
        clearInterval(timer);
        this.timers.delete(timer);
        return;
      }
      res.write(at < text.length - 1 ? text[at++]! : ' ');
    }, intervalMs);
    this.timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      this.timers.delete(timer);
    });
  }

  /** An `endless` page: the same items, a next link to a fresh page. */
  private endless(r: Req, reply: Reply): Reply {
    return endless(reply, (token) => {
      const q = new URLSearchParams(r.query);
      q.set('$skiptoken', token);
      return `${this.graphUrl}/v1.0${r.path}?${q.toString().replace(/%24/g, '$')}`;
    });
  }

  private record(r: Req): Recorded {
    const rec: Recorded = { service: r.service, method: r.method, path: r.path, query: r.query.toString(), headers: r.headers, body: r.body, inBatch: r.inBatch };
    this.requests.push(rec);
    return rec;
  }

  private takeFault(r: Req): ArmedFault | undefined {
    return takeFault(this.faults, r, this.clock);
  }

  /** A Graph request the metadata does not describe: 400, recorded as a violation (nothing is applied). */
  private strictCheck(r: Req): Reply | undefined {
    if (!this.strict || r.service !== 'graph') return undefined;
    const query = r.query.toString();
    const problems = graphMetadata().check({ method: r.method, path: r.path + (query ? `?${query}` : ''), body: r.body }).problems;
    if (problems.length === 0) return undefined;
    this.violations.push({ method: r.method, path: r.path, inBatch: r.inBatch, problems });
    // Graph's exact answer differs by mistake ("Resource not found for the segment", "Property ... does not exist on
    // type ..."); a 400 BadRequest naming the problem stands in for all of them (not confirmed per case).
    return graphError(400, 'BadRequest', problems.join('; '));
  }

  private authorize(r: Req): Reply | undefined {
    if (r.service === 'authority' || r.inBatch || this.requireToken === undefined) return undefined;
    if (r.headers.authorization === `Bearer ${this.requireToken}`) return undefined;
    // Graph's answer to a missing or wrong token (as Graph answers it; the code is listed under 401 at
    // https://learn.microsoft.com/graph/errors only as a status, the code string is as Graph sends it).
    return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
  }

  // ---------------------------------------------------------------- routing

  private route(r: Req): Reply {
    if (r.service === 'authority') return authority(this, r);
    if (r.service === 'partnerCenter') return partnerCenter(this, r);
    const pim = pimRoute(this, r);
    if (pim) return pim;
    const { method: m, path: p } = r;
    let g: RegExpExecArray | null;
    const rel = '/tenantRelationships/delegatedAdminRelationships';
    if (p === rel && m === 'POST') return gdap.createRelationship(this, r);
    if (p === rel && m === 'GET') return this.page(r, [...this.relationships.values()], 'tenantRelationships/$metadata#delegatedAdminRelationships', (x) => gdap.read(this, x as Relationship));
    if ((g = new RegExp(`^${rel}/([^/]+)$`).exec(p))) return gdap.relationship(this, r, g[1]!);
    if ((g = new RegExp(`^${rel}/([^/]+)/requests$`).exec(p))) return gdap.relationshipRequest(this, r, g[1]!);
    if ((g = new RegExp(`^${rel}/([^/]+)/accessAssignments$`).exec(p))) return gdap.accessAssignment(this, r, g[1]!);
    if ((g = new RegExp(`^${rel}/([^/]+)/accessAssignments/([^/]+)$`).exec(p))) return gdap.oneAccessAssignment(this, r, g[1]!, g[2]!);
    if ((g = new RegExp(`^${rel}/([^/]+)/operations(?:/([^/]+))?$`).exec(p))) return gdap.operations(this, r, g[1]!, g[2]);
    if (p === '/users' && m === 'POST') return dir.createUser(this, r);
    if (p === '/users' && m === 'GET') return this.page(r, [...this.users.values()].map((u) => publicUser(u)), '$metadata#users');
    if ((g = /^\/users\/([^/]+)$/.exec(p))) return dir.user(this, r, decodeURIComponent(g[1]!));
    if (p === '/roleManagement/directory/roleAssignments') return dir.roleAssignment(this, r);
    if (p === '/domains' && m === 'POST') return dir.createDomain(this, r);
    if (p === '/domains' && m === 'GET') return this.page(r, [...this.domains.values()], '$metadata#domains');
    if ((g = /^\/domains\/([^/]+)$/.exec(p)) && m === 'GET') return dir.domain(this, g[1]!) ?? notFound(p);
    if ((g = /^\/domains\/([^/]+)$/.exec(p)) && m === 'DELETE') return dir.deleteDomain(this, g[1]!);
    if ((g = /^\/domains\/([^/]+)\/verificationDnsRecords$/.exec(p)) && m === 'GET') return dir.verificationRecords(this, r, g[1]!);
    if ((g = /^\/domains\/([^/]+)\/verify$/.exec(p)) && m === 'POST') return dir.verifyDomain(this, g[1]!);
    if (p === '/groups' && m === 'GET') return dir.listGroups(this, r);
    if ((g = /^\/groups\/([^/]+)$/.exec(p)) && m === 'GET') return dir.getGroup(this, decodeURIComponent(g[1]!));
    if ((g = /^\/groups\/([^/]+)$/.exec(p)) && m === 'DELETE') return this.groups.delete(decodeURIComponent(g[1]!)) ? { status: 204 } : notFound(p);
    if (p === '/groups' && m === 'POST') return dir.createGroup(this, r);
    if ((g = /^\/groups\/([^/]+)\/members\/\$ref$/.exec(p)) && m === 'POST') return dir.addMember(this, r, g[1]!);
    if ((g = /^\/groups\/([^/]+)\/members$/.exec(p)) && m === 'GET') return dir.members(this, r, g[1]!);
    if ((g = /^\/groups\/([^/]+)\/members\/([^/]+)\/\$ref$/.exec(p)) && m === 'DELETE') return dir.removeMember(this, g[1]!, g[2]!);
    if (p === '/contracts' && m === 'GET') return this.page(r, this.contracts, '$metadata#contracts');
    // Described by the metadata but not served by the fake (a test needs it added here).
    return graphError(501, 'NotImplementedByFake', `The fake does not serve ${m} ${p}.`);
  }

  /**
   * Server-side paging: `$top` (capped by pageSize) and an opaque `$skiptoken` in
   * `@odata.nextLink`, which carries the other query options too
   * (https://learn.microsoft.com/graph/paging). A `$filter` of `eq` comparisons joined by `and` is
   * applied (strings compared without regard to case, as Entra compares them; unconfirmed for GDAP);
   * any other filter is 501 (the fake does not pretend to filter), and one on a collection in
   * refuseFilterOn is 400.
   */
  /** A page of `items`; `map` turns an item into its answer (only the page's items, unless a filter needs them all). */
  page(r: Req, items: unknown[], context: string, map?: (item: unknown) => unknown): Reply {
    const filter = r.query.get('$filter');
    if (filter !== null && map) {
      items = items.map(map);
      map = undefined;
    }
    if (filter !== null) {
      if (this.refuseFilterOn.some((x) => (typeof x === 'string' ? x === r.path : x.test(r.path)))) {
        // The answer to a filter Microsoft does not support is not documented for these collections.
        return graphError(400, 'BadRequest', `Invalid filter clause: filtering on this collection is not supported.`);
      }
      const kept = applyFilter(filter, items);
      if (typeof kept === 'string') return graphError(501, 'NotImplementedByFake', `The fake does not understand the filter ${JSON.stringify(filter)}: ${kept}`);
      items = kept;
    }
    const top = Math.min(Number(r.query.get('$top') ?? this.pageSize) || this.pageSize, this.pageSize);
    const skip = Number(Buffer.from(r.query.get('$skiptoken') ?? '', 'base64url').toString()) || 0;
    const slice = items.slice(skip, skip + top);
    const body: Json = { '@odata.context': `https://graph.microsoft.com/v1.0/${context}`, value: map ? slice.map(map) : slice };
    if (skip + top < items.length) {
      const q = new URLSearchParams(r.query);
      q.set('$skiptoken', Buffer.from(String(skip + top)).toString('base64url'));
      body['@odata.nextLink'] = `${this.graphUrl}/v1.0${r.path}?${q.toString().replace(/%24/g, '$')}`;
    }
    return { status: 200, body };
  }

  // ---------------------------------------------------------------- $batch

  /**
   * https://learn.microsoft.com/graph/json-batching: at most 20 requests, ids unique (else 400),
   * relative urls; the answer is 200 with one response per request, "might appear in a different
   * order" (here reversed, so a client that relies on order fails), each with its own status. Each
   * part is checked against the metadata on its own (a bad part is 400, the others run). A part's
   * hold/lost/truncated/trickle fault decides the envelope's fate, after every part is applied.
   */
  private batch(r: Req, fate: { envelope?: Fate }): Reply {
    const requests = ((r.body ?? {}) as Json).requests;
    if (!Array.isArray(requests) || requests.length === 0) return graphError(400, 'BadRequest', 'The batch request must contain requests.');
    // The exact code and wording for more than 20 are not documented.
    if (requests.length > 20) return graphError(400, 'BadRequest', 'Number of batch request steps exceeds the maximum of 20.');
    const ids = new Set(requests.map((q: Json) => String(q.id).toLowerCase()));
    if (ids.size !== requests.length) return graphError(400, 'BadRequest', 'Batch request ids must be unique.');
    const responses = requests.map((q: Json) => {
      const url = new URL(String(q.url).replace(/^\/?/, '/'), 'http://fake');
      const headers = Object.fromEntries(Object.entries((q.headers ?? {}) as Json).map(([k, v]) => [k.toLowerCase(), String(v)]));
      const part: Req = { service: 'graph', method: String(q.method).toUpperCase(), path: url.pathname, query: url.searchParams, headers, body: q.body, inBatch: true };
      this.record(part);
      const service = limitedService(part);
      const limited = service ? this.limits.check(service) : undefined;
      const fault = limited ? undefined : this.takeFault(part);
      let reply = limited ?? (fault && !AFTER_APPLY.has(fault.kind) ? faultReply(fault) : undefined) ?? this.strictCheck(part) ?? this.route(part);
      if (fault && ENVELOPE_FATE.has(fault.kind)) fate.envelope ??= { kind: fault.kind as Fate['kind'], fault };
      if (fault?.kind === 'endless') reply = this.endless(part, reply);
      const out: Json = { id: q.id, status: reply.status, headers: { 'Cache-Control': 'no-cache', ...(reply.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...reply.headers } };
      if (reply.body !== undefined) out.body = reply.body;
      return out;
    });
    return { status: 200, body: { responses: responses.reverse() } };
  }
}

/** The items a filter of `path eq literal` comparisons joined by `and` keeps, or why it is not understood. */
export function applyFilter(filter: string, items: unknown[]): unknown[] | string {
  const clauses: { path: string[]; value: unknown }[] = [];
  for (const clause of filter.split(/\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)/i)) {
    const m = /^\s*([A-Za-z_][\w/]*)\s+eq\s+('(?:[^']|'')*'|true|false|null|-?\d+(?:\.\d+)?)\s*$/.exec(clause);
    if (!m) return `only "<property> eq <literal>" joined by "and" is understood, not ${JSON.stringify(clause.trim())}`;
    const literal = m[2]!;
    const value = literal.startsWith("'") ? literal.slice(1, -1).replace(/''/g, "'") : JSON.parse(literal);
    clauses.push({ path: m[1]!.split('/'), value });
  }
  const at = (item: unknown, path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), item);
  const equal = (a: unknown, b: unknown) => (typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b);
  return items.filter((item) => clauses.every((c) => equal(at(item, c.path), c.value)));
}

export async function startFakeMicrosoft(opts: { httpsAuthority?: boolean } = {}): Promise<FakeMicrosoft> {
  return new FakeMicrosoft().start(opts);
}
