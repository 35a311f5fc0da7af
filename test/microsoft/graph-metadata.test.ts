/**
 * Every Graph request delegate can build, checked against Microsoft's Graph
 * v1.0 metadata (SPEC.md "Live mode, exactly once": "Every Graph request the
 * tool can build is checked in the tests against Microsoft's published Graph
 * v1.0 metadata"; ../shared/microsoft/README.md says what it can and cannot
 * check): every builder of src/domain/plan/*-requests.ts, called with sample
 * arguments (a guard fails when a new exported builder has no sample), and
 * every request the live reads make (src/microsoft/tenant.ts's sync reads and
 * execute.ts's observe), run against the loopback fake and taken from what
 * it received (a guard fails when a path written in those files was not
 * exercised). Then negative tests: the checker catches a wrong path, a wrong
 * property, a wrong enum value.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRAPH_HOSTS, PARTNER_CENTER_HOSTS, planJson, ref, sendable, type PlannedRequest, type PlanEntry } from '../../src/domain/plan/request.js';
import type { Cloud } from '../../src/domain/core/model.js';
import { GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR, USER_ADMINISTRATOR } from '../../src/domain/relationship/roles.js';
import { MicrosoftClient, staticToken } from '../../src/microsoft/client.js';
import { endpointsFor } from '../../src/microsoft/endpoints.js';
import { executor } from '../../src/microsoft/execute.js';
import { newProgress, readTenant } from '../../src/microsoft/tenant.js';
import { memoryStage } from '../../src/domain/sync/stage.js';
import type { ReadPlan } from '../../src/domain/sync/reads.js';
import type { Store } from '../../src/domain/core/store.js';
import { checkGraphRequest, graphMetadata, metadataPath, parseCsdl } from '../helpers/graph-metadata.js';
import { ROOT } from '../helpers/cli.js';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';

const PLAN_DIR = join(ROOT, 'src', 'domain', 'plan');
const REL = 'a1b2c3d4-0000-4000-8000-00000000000a-b1b2c3d4-0000-4000-8000-00000000000b';
const GROUP = 'c0ffee00-0000-4000-8000-000000000001';
const USER = 'c0ffee00-0000-4000-8000-000000000002';
const ASSIGNMENT = 'c0ffee00-0000-4000-8000-000000000003';
const TENANT = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const ETAG = 'W/"JyI0NzAwNjg0NS0wMDAwLTE5MDAtMDAwMC02MGY0Yjg4MTAwMDAiJw=="';
const groups = { adminAgentsGroupId: GROUP, helpdeskAgentsGroupId: 'c0ffee00-0000-4000-8000-000000000004' };

/** Sample calls of every exported builder, per file; a builder returns one request, several, or a plan outcome. */
type Built = PlannedRequest | PlannedRequest[] | { requests: PlannedRequest[] } | { missing: unknown[] } | { several: Built[] };
/** Several independent plans from one builder (each printed on its own: request ids repeat across them). */
const several = (...plans: Built[]): Built => ({ several: plans });
type Samples = Record<string, (cloud: Cloud, m: Record<string, (...a: never[]) => unknown>) => Built>;
const call = (m: Record<string, (...a: never[]) => unknown>, name: string, ...args: unknown[]): Built => (m[name] as (...a: unknown[]) => Built)(...args);

const SAMPLES: Record<string, Samples> = {
  'directory-requests.ts': {
    createUser: (c, m) => call(m, 'createUser', c, 'user', { upn: 'alex.wilber@contoso.com', name: 'Alex Wilber', password: 'xWwvJ]6NMw+bWH-d' }),
    resetPassword: (c, m) => call(m, 'resetPassword', c, 'reset', 'alex@contoso.com', 'N3w-p4ssw0rd!'),
    getUser: (c, m) => call(m, 'getUser', c, 'user', 'alex@contoso.com'),
    assignDirectoryRole: (c, m) => call(m, 'assignDirectoryRole', c, 'role', GLOBAL_ADMINISTRATOR, USER, 'alex@contoso.com'),
    deleteUser: (c, m) => call(m, 'deleteUser', c, 'delete', 'alex@contoso.com'),
    listUsers: (c, m) => call(m, 'listUsers', c),
    addDomain: (c, m) => call(m, 'addDomain', c, 'domain', 'shop.contoso.com'),
    verificationDnsRecords: (c, m) => call(m, 'verificationDnsRecords', c, 'records', 'shop.contoso.com'),
    verifyDomain: (c, m) => call(m, 'verifyDomain', c, 'verify', 'shop.contoso.com'),
    deleteDomain: (c, m) => call(m, 'deleteDomain', c, 'delete', 'shop.contoso.com'),
    listDomains: (c, m) => call(m, 'listDomains', c),
    findTenantByDomain: (c, m) => call(m, 'findTenantByDomain', c, 'tenant', 'contoso.com'),
    planAddUsers: (c, m) =>
      call(m, 'planAddUsers', c, [
        { upn: 'al@contoso.com', name: 'Al', isAdmin: false, password: 'p1-Secret!' },
        { upn: 'cy@contoso.com', name: 'Cy', isAdmin: true, password: 'p2-Secret!' },
      ]),
    planVerifyDomain: (c, m) => call(m, 'planVerifyDomain', c, 'shop.contoso.com'),
  },
  'group-requests.ts': {
    createSecurityGroup: (c, m) => call(m, 'createSecurityGroup', c, 'group', 'Tier 1: Helpdesk (EU)', 'dlg-6c3a2f0e-1b2d-4e5f-8a9b-0c1d2e3f4a5b'),
    addGroupMember: (c, m) => call(m, 'addGroupMember', c, 'add', GROUP, USER, 'lee@fabrikam.com'),
    removeGroupMember: (c, m) => call(m, 'removeGroupMember', c, 'remove', GROUP, USER, 'lee@fabrikam.com'),
    deleteGroup: (c, m) => call(m, 'deleteGroup', c, 'delete', GROUP, 'Tier 1: Helpdesk (EU)'),
    planAccessChanges: (c, m) =>
      call(
        m,
        'planAccessChanges',
        c,
        [
          { email: 'lee@fabrikam.com', from: 'none', to: 'full' },
          { email: 'kim@fabrikam.com', from: 'full', to: 'limited' },
          { email: 'bo@fabrikam.com', from: 'limited', to: 'none' },
        ],
        groups,
      ),
    planRemoveMembers: (c, m) => call(m, 'planRemoveMembers', c, GROUP, ['lee@fabrikam.com', 'kim@fabrikam.com']),
    planAddMembers: (c, m) => call(m, 'planAddMembers', c, GROUP, ['lee@fabrikam.com']),
  },
  'pim-requests.ts': {
    eligibilityRequest: (c, m) => call(m, 'eligibilityRequest', c, 'eligible', GROUP, USER, 'lee@fabrikam.com', '2026-03-01T09:00:00.000Z', '2027-03-01T09:00:00.000Z', 'why'),
    planEligibility: (c, m) => several(call(m, 'planEligibility', c, GROUP, ['lee@fabrikam.com'], '2026-03-01T09:00:00.000Z', '2027-03-01T09:00:00.000Z'), call(m, 'planEligibility', c, GROUP, ['lee@fabrikam.com', 'kim@fabrikam.com'], '2026-03-01T09:00:00.000Z', '2027-03-01T09:00:00.000Z')),
    selfRequest: (c, m) =>
      several(
        call(m, 'selfRequest', c, 'activate', 'selfActivate', GROUP, USER, 'lee@fabrikam.com', { start: '2026-03-01T09:00:00.000Z', duration: 'PT2H', justification: 'ticket 1' }),
        call(m, 'selfRequest', c, 'deactivate', 'selfDeactivate', GROUP, USER, 'lee@fabrikam.com', { justification: 'done' }),
      ),
    planSelf: (c, m) =>
      several(
        call(m, 'planSelf', c, 'selfActivate', GROUP, 'lee@fabrikam.com', { start: '2026-03-01T09:00:00.000Z', duration: 'PT8H', justification: 'ticket 1' }),
        call(m, 'planSelf', c, 'selfDeactivate', GROUP, 'lee@fabrikam.com', {}),
      ),
    groupPolicyRead: (c, m) => call(m, 'groupPolicyRead', c, 'policy', GROUP),
    transitiveMembersRead: (c, m) => call(m, 'transitiveMembersRead', c, 'members', GROUP),
    groupEligibilityRead: (c, m) => call(m, 'groupEligibilityRead', c, 'eligible', GROUP),
    assignmentsRead: (c, m) => call(m, 'assignmentsRead', c, 'assignments', REL),
    groupRead: (c, m) => call(m, 'groupRead', c, 'group', GROUP),
    userByIdRead: (c, m) => call(m, 'userByIdRead', c, 'user', USER),
  },
  'relationship-requests.ts': {
    createRelationship: (c, m) => call(m, 'createRelationship', c, 'relationship', { displayName: 'Contoso GDAP', duration: 'P730D', autoExtendDuration: 'P180D', roles: [USER_ADMINISTRATOR, HELPDESK_ADMINISTRATOR] }),
    relationshipRequest: (c, m) => several(call(m, 'relationshipRequest', c, 'lock', REL, 'lockForApproval'), call(m, 'relationshipRequest', c, 'terminate', REL, 'terminate')),
    getRelationship: (c, m) => call(m, 'getRelationship', c, 'relationship', REL),
    setRelationshipAutoExtend: (c, m) => several(call(m, 'setRelationshipAutoExtend', c, 'on', REL, ETAG, 'P180D'), call(m, 'setRelationshipAutoExtend', c, 'off', REL, ETAG, 'PT0S')),
    setRelationshipRoles: (c, m) => call(m, 'setRelationshipRoles', c, 'roles', REL, ETAG, [USER_ADMINISTRATOR]),
    createAccessAssignment: (c, m) => call(m, 'createAccessAssignment', c, 'assign', REL, GROUP, [USER_ADMINISTRATOR]),
    getAccessAssignment: (c, m) => call(m, 'getAccessAssignment', c, 'assignment', REL, ASSIGNMENT),
    updateAccessAssignment: (c, m) => call(m, 'updateAccessAssignment', c, 'update', REL, ASSIGNMENT, ETAG, [HELPDESK_ADMINISTRATOR]),
    deleteAccessAssignment: (c, m) => call(m, 'deleteAccessAssignment', c, 'delete', REL, ASSIGNMENT, ETAG),
    removeDelegatedAccess: (c, m) => call(m, 'removeDelegatedAccess', c, 'customer', TENANT),
    planRemoveDap: (c, m) => several(call(m, 'planRemoveDap', c, 'contoso.com', TENANT), call(m, 'planRemoveDap', c, 'contoso.com', null)),
    planExtend: (c, m) => several(call(m, 'planExtend', c, [REL, `${REL}x`], 'P180D'), call(m, 'planExtend', c, [REL], 'PT0S')),
    planRemoveRole: (c, m) => call(m, 'planRemoveRole', c, [{ id: REL, roles: [USER_ADMINISTRATOR] }]),
    planTerminate: (c, m) => call(m, 'planTerminate', c, [REL, `${REL}x`]),
    planUnassign: (c, m) => several(call(m, 'planUnassign', c, REL, ASSIGNMENT, [USER_ADMINISTRATOR]), call(m, 'planUnassign', c, REL, ASSIGNMENT, [])),
  },
};

/** Exported functions that build no request (so need no sample), each with the reason. */
const NOT_BUILDERS: Record<string, string> = {
  agentGroupOf: 'maps an access level to an agent group name',
  groupNickname: "makes a group's mailNickname from a uuid",
  scheduleRequestsRead: "makes a PIM request's read-back URL (checked with each change's read-back below)",
};

/** Fill a printed plan's `${id.field}` references with sample values, as the executor would from the answers. */
function filled(text: string): string {
  return text.replace(/\$\$\{|\$\{([^.{}]+)\.([^{}]+)\}/g, (m, _id: string, field: string) => (m === '$${' ? '${' : field === '@odata.etag' ? ETAG : field === 'tenantId' ? TENANT : USER));
}

function fillBody(v: unknown): unknown {
  if (typeof v === 'string') return filled(v);
  if (Array.isArray(v)) return v.map(fillBody);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillBody(x)]));
  return v;
}

const plansOf = (b: Built): PlannedRequest[][] =>
  Array.isArray(b) ? [b] : 'several' in b ? b.several.flatMap(plansOf) : 'id' in b ? [[b as PlannedRequest]] : 'requests' in b ? [b.requests] : [];

interface Sent {
  builder: string;
  entry: PlanEntry;
  cloud: Cloud;
}

let modules: Record<string, Record<string, (...a: never[]) => unknown>>;
let built: Sent[];
const readBacks: Sent[] = [];

beforeAll(async () => {
  modules = {};
  for (const f of readdirSync(PLAN_DIR).filter((x) => x.endsWith('-requests.ts'))) {
    modules[f] = (await import(join(PLAN_DIR, f))) as Record<string, (...a: never[]) => unknown>;
  }
  built = [];
  for (const cloud of ['global', 'china'] as const) {
    for (const [file, samples] of Object.entries(SAMPLES)) {
      for (const [name, sample] of Object.entries(samples)) {
        const m = modules[file];
        if (!m || typeof m[name] !== 'function') continue; // the guard below names it
        for (const plan of plansOf(sample(cloud, m))) {
          for (const entry of planJson(plan)) built.push({ builder: `${file}:${name}`, entry, cloud });
          // The read-back each change's intent holds is a request delegate sends too (src/domain/plan/intent.ts).
          for (const e of sendable(plan)) {
            const rb = (e.intent as { readBack?: { url: string } } | undefined)?.readBack;
            if (rb) readBacks.push({ builder: `${file}:${name} read-back`, entry: { id: `${e.id}-readback`, method: 'GET', url: rb.url }, cloud });
          }
        }
      }
    }
  }
});

describe('the metadata file', () => {
  it('is found, parsed once (the same object after), in reasonable time', () => {
    const started = Date.now();
    const model = parseCsdl(readFileSync(metadataPath(), 'utf8'));
    // About 0.3 s on this machine idle, 1 s under the full suite: a generous bound that only a pathological
    // scan (a backtracking regular expression over 3.5 MB) would pass, without failing on a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(model.entitySets.get('users')).toBe('microsoft.graph.user');
    expect(model.singletons.get('tenantRelationships')).toBe('microsoft.graph.tenantRelationship');
    expect(graphMetadata()).toBe(graphMetadata());
  });

  it('a missing file fails loudly, naming it (never a skip)', () => {
    const saved = process.env.DELEGATE_GRAPH_METADATA;
    process.env.DELEGATE_GRAPH_METADATA = '/nonexistent/graph-v1.0-metadata.xml';
    try {
      expect(() => metadataPath()).toThrow(/DELEGATE_GRAPH_METADATA names \/nonexistent\/graph-v1\.0-metadata\.xml, which does not exist/);
    } finally {
      if (saved === undefined) delete process.env.DELEGATE_GRAPH_METADATA;
      else process.env.DELEGATE_GRAPH_METADATA = saved;
    }
  });
});

describe('every request builder (src/domain/plan/*-requests.ts)', () => {
  it('has a sample here: a new exported builder without one fails this guard', () => {
    const uncovered: string[] = [];
    for (const [file, m] of Object.entries(modules)) {
      for (const [name, v] of Object.entries(m)) {
        if (typeof v === 'function' && !SAMPLES[file]?.[name] && !NOT_BUILDERS[name]) uncovered.push(`${file}:${name}`);
      }
    }
    expect(uncovered).toEqual([]);
    // And no sample names a builder that is gone.
    const stale = Object.entries(SAMPLES).flatMap(([file, s]) => Object.keys(s).filter((n) => typeof modules[file]?.[n] !== 'function').map((n) => `${file}:${n}`));
    expect(stale).toEqual([]);
  });

  it('every builder made at least one request, on Graph or Partner Center', () => {
    const builders = new Set(built.map((b) => b.builder));
    expect([...builders].sort()).toEqual(Object.entries(SAMPLES).flatMap(([f, s]) => Object.keys(s).map((n) => `${f}:${n}`)).sort());
    for (const b of built) {
      const hosts = [GRAPH_HOSTS[b.cloud], PARTNER_CENTER_HOSTS[b.cloud]];
      expect(hosts.some((h) => b.entry.url.startsWith(h + '/'))).toBe(true);
    }
  });

  it("every change's read-back (the GET recovery sends) resolves in the metadata", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const b of readBacks) {
      const host = GRAPH_HOSTS[b.cloud];
      if (!b.entry.url.startsWith(host + '/')) continue;
      checked++;
      for (const p of checkGraphRequest({ method: 'GET', path: filled(b.entry.url.slice(host.length)), body: undefined })) problems.push(`${b.builder} (${b.cloud}): ${p}`);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('every Graph request resolves in the metadata, with a body of the target type and enum members', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const b of built) {
      const host = GRAPH_HOSTS[b.cloud];
      if (!b.entry.url.startsWith(host + '/')) continue;
      const path = filled(b.entry.url.slice(host.length));
      const body = b.entry.body === undefined ? undefined : fillBody(b.entry.body);
      checked++;
      for (const p of checkGraphRequest({ method: b.entry.method, path, body })) problems.push(`${b.builder} (${b.cloud}): ${p}`);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('what each builder resolves to (a few, so a wrong resolution cannot pass as "no problems")', () => {
    const g = graphMetadata();
    const at = (builder: string, method: string) => {
      const b = built.find((x) => x.cloud === 'global' && x.builder.endsWith(`:${builder}`) && x.entry.method === method)!;
      return g.check({ method, path: filled(b.entry.url.slice(GRAPH_HOSTS.global.length)), body: fillBody(b.entry.body) }).describe;
    };
    expect(at('verifyDomain', 'POST')).toBe('action microsoft.graph.verify');
    expect(at('findTenantByDomain', 'GET')).toBe('function microsoft.graph.findTenantInformationByDomainName');
    expect(at('addGroupMember', 'POST')).toBe('$ref of members');
    expect(at('eligibilityRequest', 'POST')).toBe('Collection(microsoft.graph.privilegedAccessGroupEligibilityScheduleRequest)');
    expect(at('selfRequest', 'POST')).toBe('Collection(microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest)');
    expect(at('removeGroupMember', 'DELETE')).toBe('$ref of members');
    expect(at('relationshipRequest', 'POST')).toBe('Collection(microsoft.graph.delegatedAdminRelationshipRequest)');
    expect(at('updateAccessAssignment', 'PATCH')).toBe('microsoft.graph.delegatedAdminAccessAssignment');
    expect(at('assignDirectoryRole', 'POST')).toBe('Collection(microsoft.graph.unifiedRoleAssignment)');
    expect(at('verificationDnsRecords', 'GET')).toBe('Collection(microsoft.graph.domainDnsRecord)');
  });

  it('Partner Center requests (no published metadata): the Customer PATCH of remove-dap, as its page shows', () => {
    // https://learn.microsoft.com/partner-center/developer/remove-dap: PATCH {baseURL}/v1/customers/{customer-tenant-id},
    // body {"AllowDelegatedAccess": false, "attributes": {"objectType": "Customer"}}.
    const pc = built.filter((b) => b.entry.url.startsWith(PARTNER_CENTER_HOSTS[b.cloud] + '/'));
    expect(pc.length).toBeGreaterThan(0);
    for (const b of pc) {
      expect(b.entry.method).toBe('PATCH');
      expect(filled(b.entry.url.slice(PARTNER_CENTER_HOSTS[b.cloud].length))).toBe(`/customers/${TENANT}`);
      expect(b.entry.body).toEqual({ AllowDelegatedAccess: false, attributes: { objectType: 'Customer' } });
    }
  });
});

describe('every Graph request the live reads make (sync: tenant.ts; acting: execute.ts observe)', () => {
  let fake: FakeMicrosoft;
  let client: MicrosoftClient;
  beforeAll(async () => {
    fake = await startFakeMicrosoft();
    client = new MicrosoftClient({ endpoints: endpointsFor('global', fake.env()), tokens: staticToken('t'), sleep: async () => undefined });
  });
  afterAll(async () => {
    await fake.close();
  });

  /** Paths written in a source file as arguments of the client (constants resolved), `${...}` as `*`, without the query. */
  function pathsIn(file: string): string[] {
    const text = readFileSync(join(ROOT, 'src', 'microsoft', file), 'utf8');
    const consts = new Map([...text.matchAll(/const ([A-Z_]+) = '(\/[^']*)'/g)].map((m) => [m[1]!, m[2]!]));
    // A whole argument (a literal or a constant), not a piece of a concatenation such as routeOf's `'/v1' + ...`.
    // A template is taken up to its query (which may hold nested templates).
    const literal = String.raw`(\`(?:[^\`?$]|\$\{[^}]*\})*(?:\`|\?)|'[^']*'(?=\s*[,)}])|[A-Z_]+(?=\s*[,)}]))`;
    const found = [
      ...text.matchAll(new RegExp(String.raw`\b(?:ms|client)\.(?:all|get|pages|post)(?:<[^>]*>)?\(\s*` + literal, 'g')),
      ...text.matchAll(new RegExp(String.raw`\bpath:\s*` + literal, 'g')),
      // tenant.ts's staged lists: readList(r, '<cursor name>', <path>, ...).
      ...text.matchAll(new RegExp(String.raw`\breadList\(\s*r,\s*'[^']*',\s*` + literal, 'g')),
    ].map((m) => m[1]!);
    return found
      .map((s) => (consts.get(s) ?? s.slice(1).replace(/[`'?]$/, '')).replace(/\$\{([A-Z_]+)\}/g, (_m, c: string) => consts.get(c) ?? '*'))
      .map((s) => s.replace(/\$\{[^}]*\}/g, '*').replace(/\?.*$/, ''))
      .filter((s) => s.startsWith('/') && s !== '/');
  }

  it('sync reads and observe reads, every one of them against the metadata', async () => {
    // A world in which every read branch runs: an active relationship (its assignments), a customer (contracts and
    // Partner Center), agent groups found by name with a member, a client user holding a directory role.
    const rel = fake.addRelationship({ displayName: 'Contoso', status: 'active', customer: { tenantId: TENANT, displayName: 'Contoso' } });
    fake.addCustomer({ tenantId: TENANT, displayName: 'Contoso', defaultDomainName: 'contoso.onmicrosoft.com', allowDelegatedAccess: true });
    const admins = fake.addGroup('AdminAgents');
    fake.addGroup('HelpdeskAgents');
    const agent = fake.addUser('lee@fabrikam.com');
    fake.groups.get(admins)!.members.add(agent);
    const alex = fake.addUser('alex@contoso.com');
    fake.roleAssignments.push({ id: 'ra-1', principalId: alex, roleDefinitionId: USER_ADMINISTRATOR, directoryScopeId: '/' });
    fake.domains.set('contoso.com', { id: 'contoso.com', isInitial: false, isVerified: true });

    // Everything read (--full), staged in memory.
    const stage = memoryStage({ read: async () => 0 } as unknown as Store);
    const plan: ReadPlan = { full: true, stage, assignmentsToRead: async (p) => p.map((m) => m.id), dapToRead: async (p) => p.map((c) => c.customerId.toLowerCase()) };
    await readTenant(client, ['relationships', 'clients', 'users'], {}, plan, newProgress(), { concurrency: 4 });
    expect([...(await stage.get('relationship', [rel])).keys()]).toEqual([rel]);
    expect([...(await stage.get('assignments', [rel])).keys()]).toEqual([rel]);
    expect(JSON.parse((await stage.get('dap', [TENANT.toLowerCase()])).get(TENANT.toLowerCase())!.body)).toEqual({ allow: true });
    expect(JSON.parse((await stage.get('agents', ['agents'])).get('agents')!.body).admin).toEqual(['lee@fabrikam.com']);
    const seen = await executor(client, 'global').observe({ tenantId: TENANT, upn: 'alex@contoso.com' });
    expect(seen.user).toMatchObject({ isAdmin: true });

    const graph = fake.requests.filter((r) => r.service === 'graph');
    const problems = graph.flatMap((r) =>
      checkGraphRequest({ method: r.method, path: r.path + (r.query ? `?${r.query}` : ''), body: r.body }).map((p) => `${r.method} ${r.path}${r.inBatch ? ' (in $batch)' : ''}: ${p}`),
    );
    expect(problems).toEqual([]);

    // The guard: every path written in those files was exercised here (a new read must show up above).
    const exercised = fake.requests.map((r) => r.path);
    const unexercised = [...pathsIn('tenant.ts'), ...pathsIn('execute.ts')].filter((p) => {
      const glob = new RegExp('^' + p.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+') + '$');
      return !exercised.some((e) => glob.test(e));
    });
    expect(unexercised).toEqual([]);
    expect(pathsIn('tenant.ts').length).toBeGreaterThanOrEqual(6);
    expect(pathsIn('execute.ts').length).toBeGreaterThanOrEqual(3);
  });
});

describe('the checker takes the OData forms Graph documents', () => {
  it('keys in parentheses and alternate keys, casts, $count, single-valued $ref, @odata.bind, whole URLs', () => {
    const ok = (method: string, path: string, body?: unknown) => expect(checkGraphRequest({ method, path, body })).toEqual([]);
    // https://learn.microsoft.com/graph/api/user-get: "/users('$x@y.com')" for a UPN starting with $.
    ok('GET', "/users('%24alex%40contoso.com')");
    ok('GET', "/users(userPrincipalName='alex@contoso.com')?$select=id");
    ok('GET', `/groups/${GROUP}/members/microsoft.graph.user?$select=userPrincipalName`);
    ok('GET', '/users/$count');
    ok('PUT', `/users/${USER}/manager/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${USER}` });
    ok('GET', `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${REL}/requests?$filter=action eq 'terminate'`);
    ok('PATCH', `/groups/${GROUP}`, { 'members@odata.bind': [`https://graph.microsoft.com/v1.0/directoryObjects/${USER}`] });
    ok('GET', `/tenantRelationships/delegatedAdminRelationships/${REL}/operations`);
    expect(checkGraphRequest({ method: 'GET', path: "/users(mail='x')" })).toEqual([expect.stringMatching(/names mail, which is not a key or alternate key of microsoft\.graph\.user/)]);
  });
});

describe('the checker catches what is wrong (negative tests)', () => {
  const problems = (method: string, path: string, body?: unknown) => checkGraphRequest({ method, path, body });

  it('a wrong path: an unknown entity set, a misspelt navigation, $ref on a contained navigation, a key on a singleton', () => {
    expect(problems('GET', '/tenantRelationships/delegatedAdminRelationship')).toEqual([
      expect.stringMatching(/segment "delegatedAdminRelationship" is not a property, navigation property, cast or bound operation of microsoft\.graph\.tenantRelationship/),
    ]);
    expect(problems('GET', '/group/x/members')).toEqual([expect.stringMatching(/"group" is neither an entity set nor a singleton/)]);
    expect(problems('POST', `/groups/${GROUP}/member/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${USER}` })).toEqual([expect.stringMatching(/"member" is not a property/)]);
    expect(problems('POST', `/tenantRelationships/delegatedAdminRelationships/${REL}/accessAssignments/$ref`, { '@odata.id': 'x' })).toEqual([
      expect.stringMatching(/"\$ref" is not allowed: accessAssignments holds its entities \(ContainsTarget\)/),
    ]);
    expect(problems('GET', "/tenantRelationships('x')")).toEqual([expect.stringMatching(/takes no key: it is a singleton/)]);
    expect(problems('POST', '/domains/contoso.com/verifyDomain')).toEqual([expect.stringMatching(/"verifyDomain" is not a property/)]);
  });

  it('a wrong operation call: a function parameter misnamed or missing, an action by GET, a function by POST', () => {
    expect(problems('GET', "/tenantRelationships/findTenantInformationByDomainName(domain='contoso.com')")).toEqual([
      expect.stringMatching(/gives the function findTenantInformationByDomainName a parameter domain it does not take \(it takes: domainName\)/),
    ]);
    expect(problems('GET', '/tenantRelationships/findTenantInformationByDomainName()')).toEqual([expect.stringMatching(/without domainName/)]);
    expect(problems('GET', '/domains/contoso.com/verify')).toEqual([expect.stringMatching(/action microsoft\.graph\.verify is invoked with POST \(OData protocol\), not GET/)]);
    expect(problems('POST', "/tenantRelationships/findTenantInformationByDomainName(domainName='x')")).toEqual([expect.stringMatching(/is invoked with GET/)]);
  });

  it('a wrong property: top level, nested in a complex type, in a collection of complex values, an @odata.type cast that does not derive', () => {
    const rel = '/tenantRelationships/delegatedAdminRelationships';
    expect(problems('POST', rel, { displayname: 'x', duration: 'P730D', accessDetails: { unifiedRoles: [] } })).toEqual([
      expect.stringMatching(/body: displayname is not a property of microsoft\.graph\.delegatedAdminRelationship \(nor of its base types\)/),
    ]);
    expect(problems('POST', rel, { displayName: 'x', duration: 'P730D', accessDetails: { unifiedRoles: [{ roleId: USER_ADMINISTRATOR }] } })).toEqual([
      expect.stringMatching(/body\.accessDetails\.unifiedRoles\[0\]: roleId is not a property of microsoft\.graph\.unifiedRole/),
    ]);
    expect(problems('POST', rel, { displayName: 'x', duration: '730 days', accessDetails: { unifiedRoles: [] } })).toEqual([expect.stringMatching(/body\.duration = "730 days" is not an Edm\.Duration/)]);
    expect(problems('POST', rel, { displayName: null, duration: 'P1D', accessDetails: { unifiedRoles: [] } })).toEqual([expect.stringMatching(/body\.displayName is null, but it is not nullable/)]);
    expect(problems('POST', '/roleManagement/directory/roleAssignments', { '@odata.type': '#microsoft.graph.user', principalId: USER })).toEqual([
      expect.stringMatching(/@odata\.type microsoft\.graph\.user does not derive from microsoft\.graph\.unifiedRoleAssignment/),
    ]);
    expect(problems('POST', '/users', { accountEnabled: 'yes' })).toEqual([expect.stringMatching(/body\.accountEnabled = "yes" is not an Edm\.Boolean/)]);
    expect(problems('GET', '/users?$select=id,upn')).toEqual([expect.stringMatching(/\$select names "upn": upn is not a property of microsoft\.graph\.user/)]);
  });

  it('a wrong reference: @odata.id naming a path that does not resolve, or something that is not an entity of the navigation type', () => {
    const path = `/groups/${GROUP}/members/$ref`;
    expect(problems('POST', path, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObject/${USER}` })).toEqual([expect.stringMatching(/@odata\.id: .*"directoryObject" is neither an entity set/)]);
    expect(problems('POST', path, { '@odata.id': 'https://graph.microsoft.com/v1.0/domains/contoso.com' })).toEqual([expect.stringMatching(/names a microsoft\.graph\.domain, which is not a microsoft\.graph\.directoryObject/)]);
    expect(problems('POST', path, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${USER}`, extra: 1 })).toEqual([expect.stringMatching(/a \$ref body has only @odata\.id, not extra/)]);
  });

  it('a wrong enum value: a request action, an access container type, a status in $filter', () => {
    expect(problems('POST', `/tenantRelationships/delegatedAdminRelationships/${REL}/requests`, { action: 'lock' })).toEqual([
      expect.stringMatching(/body\.action = 'lock' is not a member of microsoft\.graph\.delegatedAdminRelationshipRequestAction \(members: lockForApproval, approve, terminate, unknownFutureValue, reject\)/),
    ]);
    expect(
      problems('POST', `/tenantRelationships/delegatedAdminRelationships/${REL}/accessAssignments`, {
        accessContainer: { accessContainerId: GROUP, accessContainerType: 'SecurityGroup' },
        accessDetails: { unifiedRoles: [{ roleDefinitionId: USER_ADMINISTRATOR }] },
      }),
    ).toEqual([expect.stringMatching(/accessContainerType = 'SecurityGroup' is not a member of microsoft\.graph\.delegatedAdminAccessContainerType/)]);
    expect(problems('GET', "/tenantRelationships/delegatedAdminRelationships?$filter=status eq 'activ'")).toEqual([
      expect.stringMatching(/\$filter compares status with 'activ', not a member of microsoft\.graph\.delegatedAdminRelationshipStatus/),
    ]);
  });

  it('a $batch: each part is checked as a request of its own', () => {
    const body = {
      requests: [
        { id: '1', method: 'GET', url: '/users/alex%40contoso.com?$select=id' },
        { id: '2', method: 'POST', url: '/groups', body: { displayName: 'G', mailEnabled: false, mailNickname: 'g', securityEnabled: true, visible: true }, headers: { 'Content-Type': 'application/json' } },
      ],
    };
    expect(problems('POST', '/$batch', body)).toEqual([expect.stringMatching(/requests\[1\] \(id "2"\): .*visible is not a property of microsoft\.graph\.group/)]);
  });

  it('a builder made wrong is caught: each of these mutations of a real request is a problem', () => {
    const real = built.find((b) => b.cloud === 'global' && b.builder.endsWith(':createAccessAssignment'))!;
    const path = real.entry.url.slice(GRAPH_HOSTS.global.length);
    const body = real.entry.body as { accessContainer: Record<string, unknown>; accessDetails: unknown };
    expect(checkGraphRequest({ method: 'POST', path, body })).toEqual([]);
    expect(checkGraphRequest({ method: 'POST', path: path.replace('accessAssignments', 'accessAssignment'), body })).not.toEqual([]);
    expect(checkGraphRequest({ method: 'POST', path, body: { ...body, accessContainer: { ...body.accessContainer, containerId: GROUP } } })).not.toEqual([]);
    expect(checkGraphRequest({ method: 'POST', path, body: { ...body, accessContainer: { ...body.accessContainer, accessContainerType: 'group' } } })).not.toEqual([]);
    expect(ref('x', 'id')).toEqual({ ref: 'x', field: 'id' }); // the sample references are the plan's own
  });
});
