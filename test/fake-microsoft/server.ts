/**
 * A loopback fake of Microsoft's endpoints for live-mode tests: Microsoft
 * Graph, Partner Center and the Microsoft Entra token endpoint, each a small
 * node:http server on 127.0.0.1 with a random port, sharing one state.
 *
 * Answers follow Microsoft's documented example responses; the page each
 * handler follows is cited next to it. Where a detail is not documented (an
 * error code for a refused state change, how fast a status moves on), the
 * comment says so and the fake picks a plausible answer.
 *
 * Faults on demand (`fault()`): 429 with or without Retry-After, 503, a dropped
 * connection, a slow or never-ending answer, an error of any status, also for
 * single parts of a `$batch`; and relationships whose status changes after a
 * number of reads (the client approving at Microsoft).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fake's test-only HTTPS certificate (tls/README.md): trust it with NODE_EXTRA_CA_CERTS. */
export const FAKE_CA = join(dirname(fileURLToPath(import.meta.url)), 'tls', 'cert.pem');
/** A test-only private key and certificate for an app-only sign-in with a certificate. */
export const FAKE_APP_CERT = join(dirname(fileURLToPath(import.meta.url)), 'tls', 'app.pem');

export type FakeService = 'graph' | 'partnerCenter' | 'authority';

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

export type FaultKind = 'throttle' | 'unavailable' | 'drop' | 'slow' | 'hang' | 'error';

export interface Fault {
  kind: FaultKind;
  service?: FakeService;
  method?: string;
  /** Matched against Recorded.path: exactly (a string) or by a RegExp. */
  path?: string | RegExp;
  /** How many matching requests it hits (default 1; Infinity for all). */
  times?: number;
  /** throttle/unavailable: the Retry-After header to send (none when absent). */
  retryAfter?: string;
  /** slow: how long to wait before answering normally. */
  delayMs?: number;
  /** error: the status and Graph error code/message to answer with. */
  status?: number;
  code?: string;
  message?: string;
  /** Apply to `$batch` parts only (true), top-level requests only (false), or both (absent). */
  inBatch?: boolean;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Req {
  service: FakeService;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  inBatch: boolean;
}

type Json = Record<string, unknown>;

interface Relationship extends Json {
  id: string;
  status: string;
  '@odata.etag': string;
}

interface PendingChange {
  status: string;
  afterReads: number;
  reads: number;
}

const GUID = '[0-9a-fA-F-]{36}';

function etag(): string {
  // Shape of the documented etags: W/"<base64 of '"<hex>"'>" (tenantrelationship-post-delegatedadminrelationships).
  return `W/"${Buffer.from(`'"${randomUUID().replace(/-/g, '').slice(0, 24)}"'`).toString('base64')}"`;
}

function now(): string {
  return new Date().toISOString();
}

/** Graph's error body (https://learn.microsoft.com/graph/errors). */
function graphError(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'request-id': randomUUID() },
    body: { error: { code, message, innerError: { date: now().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } },
  };
}

function durationDays(iso: unknown): number {
  const m = /^P(\d+)D$/.exec(String(iso ?? ''));
  if (m) return Number(m[1]);
  const y = /^P(\d+)Y$/.exec(String(iso ?? ''));
  return y ? Number(y[1]) * 365 : 730;
}

export class FakeMicrosoft {
  graphUrl = '';
  partnerCenterUrl = '';
  authorityUrl = '';
  readonly requests: Recorded[] = [];
  /** Server-side page size of every collection (Graph pages on its own; tests make it small). */
  pageSize = 100;
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
  signedInUser = { oid: '00000000-0000-4000-8000-0000000000a1', upn: 'ada@fabrikam.com', name: 'Ada Admin', tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b' };

  readonly relationships = new Map<string, Relationship>();
  readonly relationshipRequests = new Map<string, Json[]>();
  readonly accessAssignments = new Map<string, Json[]>();
  readonly users = new Map<string, Json & { passwordProfile?: Json }>();
  readonly roleAssignments: Json[] = [];
  readonly domains = new Map<string, Json>();
  readonly groups = new Map<string, { id: string; displayName: string; members: Set<string> }>();
  readonly contracts: Json[] = [];
  readonly customers = new Map<string, Json>();

  private readonly faults: (Fault & { left: number })[] = [];
  private readonly pendingChanges = new Map<string, PendingChange>();
  private readonly servers: Server[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private devicePolls = 0;

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
    this.faults.push({ ...f, left: f.times ?? 1 });
    return this;
  }

  clearFaults(): this {
    this.faults.length = 0;
    return this;
  }

  /** Forget everything: requests, faults and every tenant's state (one test's world after another's). */
  reset(): this {
    this.requests.length = 0;
    this.clearFaults();
    for (const m of [this.relationships, this.relationshipRequests, this.accessAssignments, this.users, this.domains, this.groups, this.customers, this.pendingChanges]) m.clear();
    this.roleAssignments.length = 0;
    this.contracts.length = 0;
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
    this.setStatus(r, 'active');
  }

  /** A relationship made elsewhere (Partner Center's UI, another tool): as POST would make it, then in `status`. */
  addRelationship(r: { displayName: string; status: string; customer?: { tenantId: string; displayName: string }; roles?: string[]; duration?: string }): string {
    const reply = this.createRelationship({
      service: 'graph',
      method: 'POST',
      path: '/tenantRelationships/delegatedAdminRelationships',
      query: new URLSearchParams(),
      headers: {},
      body: { displayName: r.displayName, duration: r.duration ?? 'P730D', customer: r.customer ?? null, accessDetails: { unifiedRoles: (r.roles ?? ['29232cdf-9323-42fd-ade2-1d097af3e4de']).map((roleDefinitionId) => ({ roleDefinitionId })) } },
      inBatch: false,
    });
    const id = (reply.body as Json).id as string;
    if (r.status !== 'created') this.setStatus(this.relationships.get(id)!, r.status);
    return id;
  }

  addGroup(displayName: string, id: string = randomUUID()): string {
    this.groups.set(id, { id, displayName, members: new Set() });
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
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
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
    this.record(r);

    const fault = this.takeFault(r);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') return; // never answers; close() ends the connection
    if (fault?.kind === 'slow') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, fault.delayMs ?? 200);
        this.timers.add(t);
      });
    }
    const reply = (fault && fault.kind !== 'slow' ? faultReply(fault) : undefined) ?? this.authorize(r) ?? this.route(r);
    this.write(res, reply);
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

  private record(r: Req): void {
    this.requests.push({ service: r.service, method: r.method, path: r.path, query: r.query.toString(), headers: r.headers, body: r.body, inBatch: r.inBatch });
  }

  private takeFault(r: Req): Fault | undefined {
    const f = this.faults.find(
      (x) =>
        x.left > 0 &&
        (x.service === undefined || x.service === r.service) &&
        (x.method === undefined || x.method === r.method) &&
        (x.inBatch === undefined || x.inBatch === r.inBatch) &&
        (x.path === undefined || (typeof x.path === 'string' ? x.path === r.path : x.path.test(r.path))),
    );
    if (f) f.left--;
    return f;
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
    if (r.service === 'authority') return this.authority(r);
    if (r.service === 'partnerCenter') return this.partnerCenter(r);
    const { method: m, path: p } = r;
    let g: RegExpExecArray | null;
    const rel = '/tenantRelationships/delegatedAdminRelationships';
    if (p === '/$batch' && m === 'POST') return this.batch(r);
    if (p === rel && m === 'POST') return this.createRelationship(r);
    if (p === rel && m === 'GET') return this.page(r, [...this.relationships.values()].map((x) => this.read(x)), 'tenantRelationships/$metadata#delegatedAdminRelationships');
    if ((g = new RegExp(`^${rel}/([^/]+)$`).exec(p))) return this.relationship(r, g[1]!);
    if ((g = new RegExp(`^${rel}/([^/]+)/requests$`).exec(p))) return this.relationshipRequest(r, g[1]!);
    if ((g = new RegExp(`^${rel}/([^/]+)/accessAssignments$`).exec(p))) return this.accessAssignment(r, g[1]!);
    if ((g = new RegExp(`^${rel}/([^/]+)/accessAssignments/([^/]+)$`).exec(p))) return this.oneAccessAssignment(r, g[1]!, g[2]!);
    if (p === '/users' && m === 'POST') return this.createUser(r);
    if (p === '/users' && m === 'GET') return this.page(r, [...this.users.values()].map(publicUser), '$metadata#users');
    if ((g = /^\/users\/([^/]+)$/.exec(p))) return this.user(r, decodeURIComponent(g[1]!));
    if (p === '/roleManagement/directory/roleAssignments') return this.roleAssignment(r);
    if (p === '/domains' && m === 'POST') return this.createDomain(r);
    if (p === '/domains' && m === 'GET') return this.page(r, [...this.domains.values()], '$metadata#domains');
    if ((g = /^\/domains\/([^/]+)$/.exec(p)) && m === 'GET') return this.domain(g[1]!) ?? notFound(p);
    if ((g = /^\/domains\/([^/]+)$/.exec(p)) && m === 'DELETE') return this.deleteDomain(g[1]!);
    if ((g = /^\/domains\/([^/]+)\/verificationDnsRecords$/.exec(p)) && m === 'GET') return this.verificationRecords(r, g[1]!);
    if ((g = /^\/domains\/([^/]+)\/verify$/.exec(p)) && m === 'POST') return this.verifyDomain(g[1]!);
    if (p === '/groups' && m === 'GET') return this.listGroups(r);
    if ((g = /^\/groups\/([^/]+)$/.exec(p)) && m === 'DELETE') return this.groups.delete(decodeURIComponent(g[1]!)) ? { status: 204 } : notFound(p);
    if (p === '/groups' && m === 'POST') return this.createGroup(r);
    if ((g = /^\/groups\/([^/]+)\/members\/\$ref$/.exec(p)) && m === 'POST') return this.addMember(r, g[1]!);
    if ((g = /^\/groups\/([^/]+)\/members$/.exec(p)) && m === 'GET') return this.members(r, g[1]!);
    if ((g = /^\/groups\/([^/]+)\/members\/([^/]+)\/\$ref$/.exec(p)) && m === 'DELETE') return this.removeMember(g[1]!, g[2]!);
    if (p === '/contracts' && m === 'GET') return this.page(r, this.contracts, '$metadata#contracts');
    return graphError(400, 'BadRequest', `Resource not found for the segment '${p.split('/')[1] ?? ''}'.`);
  }

  /**
   * Server-side paging: `$top` (capped by pageSize) and an opaque `$skiptoken` in
   * `@odata.nextLink`, which carries the other query options too
   * (https://learn.microsoft.com/graph/paging).
   */
  private page(r: Req, items: unknown[], context: string): Reply {
    const top = Math.min(Number(r.query.get('$top') ?? this.pageSize) || this.pageSize, this.pageSize);
    const skip = Number(Buffer.from(r.query.get('$skiptoken') ?? '', 'base64url').toString() || 0);
    const body: Json = { '@odata.context': `https://graph.microsoft.com/v1.0/${context}`, value: items.slice(skip, skip + top) };
    if (skip + top < items.length) {
      const q = new URLSearchParams(r.query);
      q.set('$skiptoken', Buffer.from(String(skip + top)).toString('base64url'));
      body['@odata.nextLink'] = `${this.graphUrl}/v1.0${r.path}?${q.toString().replace(/%24/g, '$')}`;
    }
    return { status: 200, body };
  }

  // ---------------------------------------------------------------- GDAP relationships

  /** https://learn.microsoft.com/graph/api/tenantrelationship-post-delegatedadminrelationships (201, status "created", Location). */
  private createRelationship(r: Req): Reply {
    const b = (r.body ?? {}) as Json;
    if (!b.displayName || !b.duration || !b.accessDetails) return graphError(400, 'BadRequest', 'displayName, duration and accessDetails are required.');
    if ([...this.relationships.values()].some((x) => x.displayName === b.displayName)) {
      // "Must be unique across all delegated admin relationships of the partner": the error code is not documented.
      return graphError(409, 'Conflict', `A relationship named '${String(b.displayName)}' already exists.`);
    }
    const id = `${randomUUID()}-${randomUUID()}`;
    const t = now();
    const rel: Relationship = {
      '@odata.type': '#microsoft.graph.delegatedAdminRelationship',
      '@odata.etag': etag(),
      id,
      displayName: b.displayName,
      duration: b.duration,
      customer: b.customer ?? null,
      accessDetails: b.accessDetails,
      status: 'created',
      autoExtendDuration: b.autoExtendDuration ?? 'PT0S',
      createdDateTime: t,
      lastModifiedDateTime: t,
      activatedDateTime: null,
      endDateTime: null,
    };
    this.relationships.set(id, rel);
    return { status: 201, headers: { Location: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${id}` }, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships', ...rel } };
  }

  /** A read of a relationship: applies a pending status change once it has been read often enough. */
  private read(rel: Relationship): Relationship {
    const change = this.pendingChanges.get(rel.id);
    if (change) {
      if (change.reads >= change.afterReads) {
        this.setStatus(rel, change.status);
        this.pendingChanges.delete(rel.id);
      } else change.reads++;
    }
    // Simplification (not documented how fast): a termination requested is complete on the next read.
    else if (rel.status === 'terminationRequested') this.pendingChanges.set(rel.id, { status: 'terminated', afterReads: 0, reads: 0 });
    return { ...rel };
  }

  private setStatus(rel: Relationship, status: string): void {
    const t = now();
    rel.status = status;
    rel.lastModifiedDateTime = t;
    rel['@odata.etag'] = etag();
    if (status === 'active') {
      rel.activatedDateTime = t;
      // "endDateTime = activatedDateTime + duration" (https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship).
      rel.endDateTime = new Date(Date.now() + durationDays(rel.duration) * 86_400_000).toISOString();
    }
    if (status === 'terminated') rel.endDateTime = t;
  }

  private relationship(r: Req, id: string): Reply {
    const rel = this.relationships.get(id);
    if (!rel) return notFound(`delegatedAdminRelationship ${id}`);
    const context = { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships/$entity' };
    // https://learn.microsoft.com/graph/api/delegatedadminrelationship-get (200, with @odata.etag).
    if (r.method === 'GET') return { status: 200, body: { ...context, ...this.read(rel) } };
    if (r.method !== 'PATCH' && r.method !== 'DELETE') return methodNotAllowed();
    // Update (https://learn.microsoft.com/graph/api/delegatedadminrelationship-update: 200 with the object) and
    // delete (https://learn.microsoft.com/graph/api/delegatedadminrelationship-delete: 204) both require If-Match
    // and work "only if it's in the created status". The error codes for a missing If-Match and a wrong status are
    // not documented; 412 for a stale etag is https://learn.microsoft.com/graph/errors.
    const ifMatch = r.headers['if-match'];
    if (!ifMatch) return graphError(400, 'BadRequest', 'The If-Match header is required.');
    if (ifMatch !== rel['@odata.etag']) return graphError(412, 'PreconditionFailed', 'The etag does not match the current relationship.');
    const b = (r.body ?? {}) as Json;
    // "You can update the autoExtendDuration property when status is either created or active."
    const onlyAutoExtend = r.method === 'PATCH' && Object.keys(b).length > 0 && Object.keys(b).every((k) => k === 'autoExtendDuration');
    // "You can only remove the Microsoft Entra Global Administrator role when the status property is active, which
    // indicates a long-running operation": the answer's status is not documented; 202 with no body here.
    const GA = '62e90394-69f5-4237-9190-012177145e10';
    const roleIds = (x: unknown) => (((x as Json | undefined)?.unifiedRoles as { roleDefinitionId: string }[] | undefined) ?? []).map((u) => u.roleDefinitionId).sort();
    const had = roleIds(rel.accessDetails);
    const removesGaOnly =
      r.method === 'PATCH' && Object.keys(b).length === 1 && b.accessDetails !== undefined && had.includes(GA) && JSON.stringify(roleIds(b.accessDetails)) === JSON.stringify(had.filter((x) => x !== GA));
    if (removesGaOnly && rel.status === 'active') {
      rel.accessDetails = b.accessDetails;
      rel.lastModifiedDateTime = now();
      rel['@odata.etag'] = etag();
      return { status: 202 };
    }
    if (rel.status !== 'created' && !(onlyAutoExtend && rel.status === 'active')) {
      return graphError(400, 'BadRequest', `A relationship can only be changed or deleted in the created status; it is ${rel.status}.`);
    }
    if (r.method === 'DELETE') {
      this.relationships.delete(id);
      return { status: 204 };
    }
    for (const k of ['displayName', 'duration', 'customer', 'accessDetails', 'autoExtendDuration'] as const) if (b[k] !== undefined) rel[k] = b[k];
    rel.lastModifiedDateTime = now();
    rel['@odata.etag'] = etag();
    return { status: 200, body: { ...context, ...rel } };
  }

  /** https://learn.microsoft.com/graph/api/delegatedadminrelationship-post-requests (201; actions lockForApproval, terminate). */
  private relationshipRequest(r: Req, id: string): Reply {
    const rel = this.relationships.get(id);
    if (!rel) return notFound(`delegatedAdminRelationship ${id}`);
    if (r.method === 'GET') return this.page(r, this.relationshipRequests.get(id) ?? [], 'tenantRelationships/$metadata#requests');
    if (r.method !== 'POST') return methodNotAllowed();
    const action = String(((r.body ?? {}) as Json).action ?? '');
    const allowed: Record<string, [string, string]> = { lockForApproval: ['created', 'approvalPending'], terminate: ['active', 'terminationRequested'] };
    const rule = allowed[action];
    if (!rule) return graphError(400, 'BadRequest', `Unsupported action '${action}': use lockForApproval or terminate.`);
    // The error for an action in the wrong status is not documented: 400 naming the status.
    if (rel.status !== rule[0]) return graphError(400, 'BadRequest', `Cannot ${action} a relationship in the ${rel.status} status.`);
    this.setStatus(rel, rule[1]);
    const t = now();
    const request = { '@odata.type': '#microsoft.graph.delegatedAdminRelationshipRequest', id: randomUUID(), action, status: 'created', createdDateTime: t, lastModifiedDateTime: t };
    this.relationshipRequests.set(id, [...(this.relationshipRequests.get(id) ?? []), request]);
    return {
      status: 201,
      headers: { Location: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${id}/requests/${request.id}` },
      body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#requests', ...request },
    };
  }

  /**
   * https://learn.microsoft.com/graph/api/delegatedadminrelationship-post-accessassignments (201, status "pending")
   * and https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments.
   * Simplification: a pending assignment reads as active from the next read on.
   */
  private accessAssignment(r: Req, id: string): Reply {
    const rel = this.relationships.get(id);
    if (!rel) return notFound(`delegatedAdminRelationship ${id}`);
    const list = this.accessAssignments.get(id) ?? [];
    if (r.method === 'GET') {
      const shown = list.map((a) => ({ ...a }));
      for (const a of list) if (a.status === 'pending') a.status = 'active';
      return this.page(r, shown, 'tenantRelationships/$metadata#accessAssignments');
    }
    if (r.method !== 'POST') return methodNotAllowed();
    // Assignments are made on an active relationship; the error otherwise is not documented.
    if (rel.status !== 'active') return graphError(400, 'BadRequest', `Access can be assigned only on an active relationship; it is ${rel.status}.`);
    const b = (r.body ?? {}) as Json;
    if (!b.accessContainer || !b.accessDetails) return graphError(400, 'BadRequest', 'accessContainer and accessDetails are required.');
    const t = now();
    const a: Json = { '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment', '@odata.etag': etag(), id: randomUUID(), status: 'pending', createdDateTime: t, lastModifiedDateTime: t, accessContainer: b.accessContainer, accessDetails: b.accessDetails };
    this.accessAssignments.set(id, [...list, a]);
    return {
      status: 201,
      headers: { Location: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${id}/accessAssignments/${String(a.id)}` },
      body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments', ...a },
    };
  }

  /** https://learn.microsoft.com/graph/api/delegatedadminaccessassignment-get */
  private oneAccessAssignment(r: Req, id: string, assignmentId: string): Reply {
    const list = this.accessAssignments.get(id) ?? [];
    const a = list.find((x) => x.id === assignmentId);
    if (!a) return notFound(`delegatedAdminAccessAssignment ${assignmentId}`);
    if (r.method === 'PATCH' || r.method === 'DELETE') {
      // delegatedadminaccessassignment-update / -delete: If-Match with the last known ETag is required.
      const ifMatch = r.headers['if-match'];
      if (!ifMatch) return graphError(400, 'BadRequest', 'If-Match header is required.');
      if (ifMatch !== a['@odata.etag']) return graphError(412, 'PreconditionFailed', 'The ETag does not match.');
      if (r.method === 'DELETE') {
        this.accessAssignments.set(id, list.filter((x) => x !== a));
        return { status: 204 };
      }
      const b = (r.body ?? {}) as Json;
      if (b.accessDetails) a.accessDetails = b.accessDetails;
      a['@odata.etag'] = etag();
      a.lastModifiedDateTime = now();
      return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments/$entity', ...a } };
    }
    if (r.method !== 'GET') return methodNotAllowed();
    return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments/$entity', ...a } };
  }

  // ---------------------------------------------------------------- users, roles, domains, groups

  /**
   * https://learn.microsoft.com/graph/api/user-post-users (201 with the user). The answer for a
   * userPrincipalName already taken is Graph's usual one (400 Request_BadRequest, "Another object
   * with the same value for property userPrincipalName already exists."), not from that page.
   */
  private createUser(r: Req): Reply {
    const b = (r.body ?? {}) as Json;
    for (const k of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
      if (b[k] === undefined) return graphError(400, 'Request_BadRequest', `Property '${k}' is required.`);
    }
    const upn = String(b.userPrincipalName).toLowerCase();
    if ([...this.users.values()].some((u) => String(u.userPrincipalName).toLowerCase() === upn)) {
      return graphError(400, 'Request_BadRequest', 'Another object with the same value for property userPrincipalName already exists.');
    }
    const id = randomUUID();
    const user = { id, businessPhones: [], displayName: b.displayName, userPrincipalName: b.userPrincipalName, mail: null, accountEnabled: b.accountEnabled, passwordProfile: b.passwordProfile as Json };
    this.users.set(id, user);
    return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...publicUser(user) } };
  }

  /** Get (https://learn.microsoft.com/graph/api/user-get, by id or userPrincipalName), update (user-update: 204), delete (user-delete: 204). */
  private user(r: Req, key: string): Reply {
    const user = this.users.get(key) ?? [...this.users.values()].find((u) => String(u.userPrincipalName).toLowerCase() === key.toLowerCase());
    if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
    if (r.method === 'GET') return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...publicUser(user) } };
    if (r.method === 'PATCH') {
      const b = (r.body ?? {}) as Json;
      for (const [k, v] of Object.entries(b)) if (k !== 'id') (user as Json)[k] = v;
      return { status: 204 };
    }
    if (r.method === 'DELETE') {
      this.users.delete(String(user.id));
      return { status: 204 };
    }
    return methodNotAllowed();
  }

  /** https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments (201) and rbacapplication-list-roleassignments ($filter on principalId). */
  private roleAssignment(r: Req): Reply {
    if (r.method === 'GET') {
      const f = /principalId eq '([^']+)'/.exec(r.query.get('$filter') ?? '');
      return this.page(r, f ? this.roleAssignments.filter((a) => a.principalId === f[1]) : this.roleAssignments, '$metadata#roleManagement/directory/roleAssignments');
    }
    if (r.method !== 'POST') return methodNotAllowed();
    const b = (r.body ?? {}) as Json;
    if (!b.roleDefinitionId || !b.principalId || (b.directoryScopeId === undefined && b.appScopeId === undefined)) {
      return graphError(400, 'Request_BadRequest', 'roleDefinitionId, principalId and directoryScopeId (or appScopeId) are required.');
    }
    const a = { id: `${randomUUID().replace(/-/g, '')}-1`, roleDefinitionId: b.roleDefinitionId, principalId: b.principalId, directoryScopeId: b.directoryScopeId ?? null };
    this.roleAssignments.push(a);
    return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity', ...a } };
  }

  /** https://learn.microsoft.com/graph/api/domain-post-domains (201; only `id` may be given). */
  private createDomain(r: Req): Reply {
    const id = String(((r.body ?? {}) as Json).id ?? '').toLowerCase();
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(id)) return graphError(400, 'Request_BadRequest', 'The domain name is not valid.');
    if (this.domains.has(id)) return graphError(400, 'Request_BadRequest', 'The domain already exists.'); // not documented
    const d = { authenticationType: 'Managed', availabilityStatus: null, id, isAdminManaged: true, isDefault: false, isInitial: false, isRoot: true, isVerified: false, supportedServices: [] };
    this.domains.set(id, d);
    return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#domains/$entity', ...d } };
  }

  private domain(id: string): Reply | undefined {
    const d = this.domains.get(id.toLowerCase());
    return d ? { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#domains/$entity', ...d } } : undefined;
  }

  /**
   * https://learn.microsoft.com/graph/api/domain-delete: 204; "Attempts to delete will fail if there are any
   * resources or objects still dependent on the domain" (the status for that is not documented: 400 here).
   */
  private deleteDomain(id: string): Reply {
    const name = decodeURIComponent(id).toLowerCase();
    const d = this.domains.get(name);
    if (!d) return notFound(`domain ${id}`);
    if (d.isInitial) return graphError(400, 'Request_BadRequest', 'The initial domain cannot be deleted.');
    if ([...this.users.values()].some((u) => String(u.userPrincipalName).toLowerCase().endsWith(`@${name}`))) {
      return graphError(400, 'Request_BadRequest', 'Domain has dependent objects; see domainNameReferences.');
    }
    this.domains.delete(name);
    return { status: 204 };
  }

  /** https://learn.microsoft.com/graph/api/domain-list-verificationdnsrecords (200, a collection of domainDnsRecord). */
  private verificationRecords(r: Req, id: string): Reply {
    if (!this.domains.has(id.toLowerCase())) return notFound(`domain ${id}`);
    const label = id.toLowerCase();
    const code = `MS=ms${label.length}${label.replace(/[^a-z0-9]/g, '').slice(0, 6)}`;
    return this.page(
      r,
      [
        { '@odata.type': '#microsoft.graph.domainDnsTxtRecord', id: `aceff52c-06a5-447f-ac5f-256ad243cc5c`, isOptional: false, label, recordType: 'Txt', supportedService: 'Email', ttl: 3600, text: code },
        { '@odata.type': '#microsoft.graph.domainDnsMxRecord', id: `5fbde38c-0865-497f-82b1-126f596bcee9`, isOptional: false, label, recordType: 'Mx', supportedService: 'Email', ttl: 3600, mailExchange: `${code.slice(3)}.msv1.invalid`, preference: 32767 },
      ],
      `$metadata#domains('${label}')/verificationDnsRecords`,
    );
  }

  /** https://learn.microsoft.com/graph/api/domain-verify (200 with the domain). */
  private verifyDomain(id: string): Reply {
    const d = this.domains.get(id.toLowerCase());
    if (!d) return notFound(`domain ${id}`);
    d.isVerified = true;
    return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#domains/$entity', ...d } };
  }

  /**
   * https://learn.microsoft.com/graph/api/group-post-members: 204; "400 Bad Request ... when the object
   * is already a member"; "404 Not Found ... when the object being added doesn't exist".
   */
  private addMember(r: Req, groupId: string): Reply {
    const g = this.groups.get(groupId);
    if (!g) return notFound(`group ${groupId}`);
    const ref = String(((r.body ?? {}) as Json)['@odata.id'] ?? '');
    const m = new RegExp(`/directoryObjects/(${GUID})$`).exec(ref);
    if (!m) return graphError(400, 'Request_BadRequest', 'Invalid @odata.id: expected https://graph.microsoft.com/v1.0/directoryObjects/{id}.');
    const id = m[1]!;
    if (!this.users.has(id) && !this.groups.has(id)) return graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    if (g.members.has(id)) return graphError(400, 'Request_BadRequest', "One or more added object references already exist for the following modified properties: 'members'.");
    g.members.add(id);
    return { status: 204 };
  }

  /**
   * https://learn.microsoft.com/graph/api/group-list: `$filter=displayName eq '<name>'` (the only filter
   * the fake understands; anything else lists every group), `$select` ignored.
   */
  private listGroups(r: Req): Reply {
    const f = /^displayName eq '((?:[^']|'')*)'$/.exec(r.query.get('$filter') ?? '');
    const name = f ? f[1]!.replace(/''/g, "'") : undefined;
    const list = [...this.groups.values()].filter((g) => name === undefined || g.displayName === name).map((g) => ({ '@odata.type': '#microsoft.graph.group', id: g.id, displayName: g.displayName }));
    return this.page(r, list, '$metadata#groups');
  }

  /**
   * https://learn.microsoft.com/graph/api/group-post-groups: 201 Created with the group
   * (displayName, mailEnabled, mailNickname and securityEnabled required; Graph does not require
   * display names to be unique, so neither does the fake).
   */
  private createGroup(r: Req): Reply {
    const b = (r.body ?? {}) as Json;
    for (const k of ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled']) {
      if (b[k] === undefined) return graphError(400, 'Request_BadRequest', `Property '${k}' is required.`);
    }
    const id = this.addGroup(String(b.displayName));
    const t = now();
    return {
      status: 201,
      body: {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups/$entity',
        id,
        createdDateTime: t,
        description: b.description ?? null,
        displayName: b.displayName,
        groupTypes: [],
        mail: null,
        mailEnabled: b.mailEnabled,
        mailNickname: b.mailNickname,
        securityEnabled: b.securityEnabled,
        visibility: null,
      },
    };
  }

  /** https://learn.microsoft.com/graph/api/group-list-members */
  private members(r: Req, groupId: string): Reply {
    const g = this.groups.get(groupId);
    if (!g) return notFound(`group ${groupId}`);
    const list = [...g.members].map((id) => {
      const u = this.users.get(id);
      return u ? { '@odata.type': '#microsoft.graph.user', ...publicUser(u) } : { '@odata.type': '#microsoft.graph.group', id, displayName: this.groups.get(id)?.displayName };
    });
    return this.page(r, list, '$metadata#directoryObjects');
  }

  /** https://learn.microsoft.com/graph/api/group-delete-members (204). */
  private removeMember(groupId: string, memberId: string): Reply {
    const g = this.groups.get(groupId);
    if (!g || !g.members.has(memberId)) return notFound(`member ${memberId} of group ${groupId}`);
    g.members.delete(memberId);
    return { status: 204 };
  }

  // ---------------------------------------------------------------- $batch

  /**
   * https://learn.microsoft.com/graph/json-batching: at most 20 requests, ids unique (else 400),
   * relative urls; the answer is 200 with one response per request, "might appear in a different
   * order" (here reversed, so a client that relies on order fails), each with its own status.
   */
  private batch(r: Req): Reply {
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
      const fault = this.takeFault(part);
      const reply = (fault ? faultReply(fault) : undefined) ?? this.route(part);
      const out: Json = { id: q.id, status: reply.status, headers: { 'Cache-Control': 'no-cache', ...(reply.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...reply.headers } };
      if (reply.body !== undefined) out.body = reply.body;
      return out;
    });
    return { status: 200, body: { responses: responses.reverse() } };
  }

  // ---------------------------------------------------------------- Partner Center

  /**
   * https://learn.microsoft.com/partner-center/developer/get-a-customer-by-id (GET {baseURL}/v1/customers/{id});
   * the error body for an unknown customer follows https://learn.microsoft.com/partner-center/developer/error-codes
   * in shape ({code, description, data, source}; code a string); the code chosen here is not taken from that page.
   */
  private partnerCenter(r: Req): Reply {
    const g = /^\/v1\/customers\/([^/]+)$/.exec(r.path);
    if (g && r.method === 'GET') {
      const c = this.customers.get(g[1]!);
      if (!c) return { status: 404, body: { code: '600008', description: 'The requested resource could not be found.', data: [], source: 'PartnerFD' } };
      return { status: 200, body: c };
    }
    if (g && r.method === 'PATCH') {
      // https://learn.microsoft.com/partner-center/developer/remove-dap: a Customer with AllowDelegatedAccess
      // false ends DAP; "200 OK" (the example's body is not shown: the fake answers with the customer).
      const c = this.customers.get(g[1]!);
      if (!c) return { status: 404, body: { code: '600008', description: 'The requested resource could not be found.', data: [], source: 'PartnerFD' } };
      const b = (r.body ?? {}) as Json;
      if (b.AllowDelegatedAccess === false || b.allowDelegatedAccess === false) c.allowDelegatedAccess = false;
      return { status: 200, body: c };
    }
    return { status: 404, body: { code: '600008', description: `No route for ${r.method} ${r.path}`, data: [], source: 'PartnerFD' } };
  }

  // ---------------------------------------------------------------- token endpoint

  /**
   * Enough of the Microsoft identity platform for msal-node against a custom authority:
   * - GET /{tenant}/v2.0/.well-known/openid-configuration
   *   (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#fetch-the-openid-configuration-document)
   * - POST /{tenant}/oauth2/v2.0/devicecode: device_code, user_code, verification_uri, expires_in, interval, message
   *   (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#device-authorization-response)
   * - GET /{tenant}/oauth2/v2.0/authorize: signs the person in at once and redirects back with a code
   * - POST /{tenant}/oauth2/v2.0/token: client_credentials (token_type, expires_in, ext_expires_in, access_token;
   *   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow), device_code
   *   (authorization_pending until the sign-in completes), refresh_token.
   */
  private authority(r: Req): Reply {
    const g = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/(token|devicecode|authorize))$/.exec(r.path);
    if (!g) return { status: 404, body: { error: 'invalid_request', error_description: `AADSTS90002: no route ${r.path}` } };
    const tenant = g[1]!;
    const base = `${this.authorityUrl}/${tenant}`;
    if (g[2]!.startsWith('v2.0')) {
      return {
        status: 200,
        body: {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          jwks_uri: `${this.authorityUrl}/${tenant}/discovery/v2.0/keys`,
          response_modes_supported: ['query', 'fragment', 'form_post'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          issuer: `${this.authorityUrl}/{tenantid}/v2.0`,
          request_uri_parameter_supported: false,
          userinfo_endpoint: `${this.graphUrl}/oidc/userinfo`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
          http_logout_supported: true,
          frontchannel_logout_supported: true,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'name', 'preferred_username', 'oid', 'tid', 'ver'],
          tenant_region_scope: 'NA',
          cloud_instance_name: 'microsoftonline.com',
          cloud_graph_host_name: 'graph.windows.net',
          msgraph_host: 'graph.microsoft.com',
        },
      };
    }
    if (g[3] === 'authorize') {
      // The person signs in at once; the code and state go back to the app's (loopback) redirect URI
      // (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response),
      // by a self-submitting form for response_mode=form_post (msal-node asks for it), else in the query.
      const redirect = r.query.get('redirect_uri');
      if (!redirect) return oauthError(400, 'invalid_request', 'AADSTS900144: The request body must contain the following parameter: redirect_uri.');
      const fields: Record<string, string> = { code: `code-${randomUUID()}`, ...(r.query.get('state') ? { state: r.query.get('state')! } : {}) };
      if (r.query.get('response_mode') === 'form_post') {
        const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}"/>`).join('');
        const html = `<html><body onload="document.forms[0].submit()"><form method="POST" action="${redirect.replace(/"/g, '&quot;')}">${inputs}</form></body></html>`;
        return { status: 200, headers: { 'Content-Type': 'text/html' }, body: html };
      }
      const back = new URL(redirect);
      for (const [k, v] of Object.entries(fields)) back.searchParams.set(k, v);
      return { status: 302, headers: { Location: back.toString() } };
    }
    const form = (r.body ?? {}) as Record<string, string>;
    if (g[3] === 'devicecode') {
      this.devicePolls = 0;
      return {
        status: 200,
        body: {
          user_code: 'FAKE-CODE',
          device_code: `device-${randomUUID()}`,
          verification_uri: 'https://microsoft.com/devicelogin',
          expires_in: 900,
          interval: this.deviceCodeInterval,
          message: 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FAKE-CODE to authenticate.',
        },
      };
    }
    const grant = form.grant_type;
    if (grant === 'client_credentials') {
      if (!form.client_id || !(form.client_secret || form.client_assertion)) return oauthError(400, 'invalid_client', 'AADSTS7000216: client_assertion or client_secret is required.');
      if (this.validSecret !== undefined && form.client_secret !== undefined && form.client_secret !== this.validSecret) {
        return oauthError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
      }
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: this.issuedToken } };
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'device_code') {
      if (this.devicePolls++ < this.deviceCodePendingPolls) return oauthError(400, 'authorization_pending', 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
      return { status: 200, body: this.userTokens(form.client_id ?? '', tenant, form.scope) };
    }
    if (grant === 'authorization_code') {
      if (!form.code || !form.code_verifier) return oauthError(400, 'invalid_grant', 'AADSTS50148: The code_verifier does not match the code_challenge.');
      return { status: 200, body: this.userTokens(form.client_id ?? '', tenant, form.scope) };
    }
    if (grant === 'refresh_token') return { status: 200, body: this.userTokens(form.client_id ?? '', tenant, form.scope) };
    return oauthError(400, 'unsupported_grant_type', `AADSTS70003: unsupported grant type ${String(grant)}`);
  }

  /** A user's token response: access and refresh tokens, an id_token (not signed: msal-node reads, does not verify it) and client_info. */
  private userTokens(clientId: string, tenant: string, scope: string | undefined): Json {
    const u = this.signedInUser;
    const tid = /^[0-9a-f-]{36}$/i.test(tenant) ? tenant : u.tenantId;
    const t = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const idToken = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'fake' })}.${b64({ aud: clientId, iss: `${this.authorityUrl}/${tid}/v2.0`, iat: t, nbf: t, exp: t + 3600, name: u.name, oid: u.oid, preferred_username: u.upn, sub: u.oid, tid, ver: '2.0' })}.fake-signature`;
    return {
      token_type: 'Bearer',
      scope: scope ?? 'https://graph.microsoft.com/.default',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: this.issuedToken,
      refresh_token: `refresh-${randomUUID()}`,
      id_token: idToken,
      client_info: b64({ uid: u.oid, utid: tid }),
    };
  }
}

export async function startFakeMicrosoft(opts: { httpsAuthority?: boolean } = {}): Promise<FakeMicrosoft> {
  return new FakeMicrosoft().start(opts);
}

function publicUser(u: Json): Json {
  const { passwordProfile: _hidden, ...rest } = u;
  return rest;
}

function notFound(what: string): Reply {
  return graphError(404, 'Request_ResourceNotFound', `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`);
}

function methodNotAllowed(): Reply {
  // As in the $batch example of https://learn.microsoft.com/graph/json-batching (405, Request_BadRequest).
  return graphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
}

function oauthError(status: number, error: string, description: string): Reply {
  // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#expected-errors (error, error_description).
  return { status, body: { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: now(), trace_id: randomUUID(), correlation_id: randomUUID() } };
}

/** The answer a fault gives instead of the normal one (drop, hang and slow are handled by the transport). */
function faultReply(f: Fault): Reply | undefined {
  if (f.kind === 'throttle') {
    // https://learn.microsoft.com/graph/throttling: 429 with a suggested wait in Retry-After.
    const r = graphError(429, 'TooManyRequests', 'Too many requests. Please retry after the delay.');
    if (f.retryAfter !== undefined) r.headers!['Retry-After'] = f.retryAfter;
    return r;
  }
  if (f.kind === 'unavailable') {
    // https://learn.microsoft.com/graph/errors: 503 serviceNotAvailable, "may be a Retry-After header".
    const r = graphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Try again after a delay.');
    if (f.retryAfter !== undefined) r.headers!['Retry-After'] = f.retryAfter;
    return r;
  }
  if (f.kind === 'error') return graphError(f.status ?? 500, f.code ?? 'generalException', f.message ?? 'An unspecified error has occurred.');
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
