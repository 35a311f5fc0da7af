/**
 * Requests to Microsoft's APIs that would do, for real, what a command does
 * in the ledger (`--plan graph`). Pure: builders return typed requests; one
 * serializer (`planJson`) turns them into the printed plan.
 *
 * The printed plan is `[{id, method, url, headers?, body?}]`, executable as
 * printed: a value only an earlier response can give is written
 * `${<id>.<field>}` (the request id ends at the first dot; the rest, taken
 * whole, is a top-level property of that response's JSON body, e.g.
 * `${relationship.@odata.etag}`); a literal `${` in data is written `$${`.
 * Ids the ledger holds are used as they are.
 *
 * Every request's shape follows the example on the Microsoft page cited next
 * to its builder. Headers: `Content-Type: application/json` where the page
 * lists it for a request with a body; `If-Match` where the page requires it
 * (updating a delegatedAdminRelationship). Graph's user update and Partner
 * Center's customer update document no If-Match, so none is sent.
 */
import type { Cloud } from './model.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A top-level property of an earlier request's response body. */
export interface Ref {
  readonly ref: string;
  readonly field: string;
}

export function ref(id: string, field: string): Ref {
  return { ref: id, field };
}

/** A string made of literal text and references to earlier responses. */
export class Template {
  constructor(readonly parts: readonly (string | Ref)[]) {}
}

/** `tpl\`${base}/users/${ref('user', 'id')}\``: literal parts stay literal, Refs become references. */
export function tpl(strings: TemplateStringsArray, ...values: (string | Ref)[]): Template {
  const parts: (string | Ref)[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length) parts.push(values[i]!);
  });
  return new Template(parts);
}

export type Value = string | number | boolean | null | Ref | Template | readonly Value[] | { readonly [k: string]: Value };

/** One request of a plan, before serialization. */
export interface PlannedRequest {
  id: string;
  method: Method;
  url: string | Template;
  headers?: Record<string, string | Template>;
  body?: Value;
}

/** One request as printed. */
export interface PlanEntry {
  id: string;
  method: Method;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

// ---------------------------------------------------------------- hosts

export const GRAPH_HOSTS: Record<Cloud, string> = {
  global: 'https://graph.microsoft.com/v1.0',
  // https://learn.microsoft.com/en-us/graph/deployments (Microsoft Graph China operated by 21Vianet)
  china: 'https://microsoftgraph.chinacloudapi.cn/v1.0',
};

export const PARTNER_CENTER_HOSTS: Record<Cloud, string> = {
  // https://learn.microsoft.com/en-us/partner-center/developer/remove-dap (request example)
  global: 'https://api.partnercenter.microsoft.com/v1',
  // Partner Center operated by 21Vianet, as SPEC.md names it. Unconfirmed: no Microsoft
  // reference page found names the 21Vianet Partner Center API host (see src/microsoft/endpoints.ts).
  china: 'https://partner.partnercenterapi.microsoftonline.cn/v1',
};

export const GLOBAL_ADMINISTRATOR_ROLE_ID = '62e90394-69f5-4237-9190-012177145e10';

const seg = (s: string) => encodeURIComponent(s);
const JSON_BODY = { 'Content-Type': 'application/json' } as const;

// ---------------------------------------------------------------- users and roles

/**
 * Create a user. https://learn.microsoft.com/en-us/graph/api/user-post-users?view=graph-rest-1.0
 * (accountEnabled, displayName, mailNickname, userPrincipalName, passwordProfile).
 */
export function createUser(cloud: Cloud, id: string, u: { upn: string; name: string; password: string }): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/users`,
    headers: { ...JSON_BODY },
    body: {
      accountEnabled: true,
      displayName: u.name,
      mailNickname: mailNickname(u.upn.slice(0, u.upn.indexOf('@'))),
      userPrincipalName: u.upn,
      passwordProfile: { forceChangePasswordNextSignIn: true, password: u.password },
    },
  };
}

/**
 * Reset a user's password: update passwordProfile ("Example 3: Update the
 * passwordProfile of a user and reset their password";
 * PATCH /users/{id | userPrincipalName}).
 * https://learn.microsoft.com/en-us/graph/api/user-update?view=graph-rest-1.0
 */
export function resetPassword(cloud: Cloud, id: string, upn: string, password: string): PlannedRequest {
  return {
    id,
    method: 'PATCH',
    url: `${GRAPH_HOSTS[cloud]}/users/${seg(upn)}`,
    headers: { ...JSON_BODY },
    body: { passwordProfile: { forceChangePasswordNextSignIn: true, password } },
  };
}

/** Read a user (its `id`). https://learn.microsoft.com/en-us/graph/api/user-get?view=graph-rest-1.0 */
export function getUser(cloud: Cloud, id: string, upn: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/users/${seg(upn)}?$select=id,userPrincipalName` };
}

/**
 * Assign a directory role at tenant scope (`directoryScopeId: "/"`; a role
 * template id is accepted as roleDefinitionId).
 * https://learn.microsoft.com/en-us/graph/api/rbacapplication-post-roleassignments?view=graph-rest-1.0
 */
export function assignDirectoryRole(cloud: Cloud, id: string, roleDefinitionId: string, principalId: Value): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/roleManagement/directory/roleAssignments`,
    headers: { ...JSON_BODY },
    body: { '@odata.type': '#microsoft.graph.unifiedRoleAssignment', roleDefinitionId, principalId, directoryScopeId: '/' },
  };
}

/**
 * Delete a user (it goes to deleted items, restorable for 30 days; 204 No Content).
 * DELETE /users/{id | userPrincipalName}. https://learn.microsoft.com/en-us/graph/api/user-delete?view=graph-rest-1.0
 */
export function deleteUser(cloud: Cloud, id: string, upn: string): PlannedRequest {
  return { id, method: 'DELETE', url: `${GRAPH_HOSTS[cloud]}/users/${seg(upn)}` };
}

export function listUsers(cloud: Cloud, id = 'users'): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/users?$select=id,userPrincipalName,displayName` };
}

// ---------------------------------------------------------------- domains

/** Add a domain (body: only `id`). https://learn.microsoft.com/en-us/graph/api/domain-post-domains?view=graph-rest-1.0 */
export function addDomain(cloud: Cloud, id: string, name: string): PlannedRequest {
  return { id, method: 'POST', url: `${GRAPH_HOSTS[cloud]}/domains`, headers: { ...JSON_BODY }, body: { id: name } };
}

/** The DNS records that prove ownership. https://learn.microsoft.com/en-us/graph/api/domain-list-verificationdnsrecords?view=graph-rest-1.0 */
export function verificationDnsRecords(cloud: Cloud, id: string, name: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/domains/${seg(name)}/verificationDnsRecords` };
}

/** Verify a domain (no body). https://learn.microsoft.com/en-us/graph/api/domain-verify?view=graph-rest-1.0 */
export function verifyDomain(cloud: Cloud, id: string, name: string): PlannedRequest {
  return { id, method: 'POST', url: `${GRAPH_HOSTS[cloud]}/domains/${seg(name)}/verify` };
}

/**
 * Delete a domain, by its fully qualified name (not recoverable; fails while
 * anything still depends on it; 204 No Content).
 * https://learn.microsoft.com/en-us/graph/api/domain-delete?view=graph-rest-1.0
 */
export function deleteDomain(cloud: Cloud, id: string, name: string): PlannedRequest {
  return { id, method: 'DELETE', url: `${GRAPH_HOSTS[cloud]}/domains/${seg(name)}` };
}

export function listDomains(cloud: Cloud, id = 'domains'): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/domains` };
}

/**
 * The tenant behind a domain (response: tenantInformation, top-level
 * `tenantId`).
 * https://learn.microsoft.com/en-us/graph/api/tenantrelationship-findtenantinformationbydomainname?view=graph-rest-1.0
 */
export function findTenantByDomain(cloud: Cloud, id: string, domain: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/tenantRelationships/findTenantInformationByDomainName(domainName='${seg(domain)}')` };
}

// ---------------------------------------------------------------- groups

/**
 * A security group: mailEnabled false, securityEnabled true, mailNickname
 * required (ASCII without `@ () \ [] " ; : . <> ,` and space, at most 64).
 * https://learn.microsoft.com/en-us/graph/api/group-post-groups?view=graph-rest-1.0
 */
export function createSecurityGroup(cloud: Cloud, id: string, name: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/groups`,
    headers: { ...JSON_BODY },
    body: { displayName: name, mailEnabled: false, mailNickname: mailNickname(name), securityEnabled: true },
  };
}

/**
 * Add a member: `{"@odata.id": ".../directoryObjects/{id}"}`.
 * https://learn.microsoft.com/en-us/graph/api/group-post-members?view=graph-rest-1.0
 */
export function addGroupMember(cloud: Cloud, id: string, groupId: string, memberId: string | Ref): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/members/$ref`,
    headers: { ...JSON_BODY },
    body: { '@odata.id': tpl`${GRAPH_HOSTS[cloud]}/directoryObjects/${memberId}` },
  };
}

/**
 * Remove a member (with `/$ref`: without it the user itself would be deleted).
 * https://learn.microsoft.com/en-us/graph/api/group-delete-members?view=graph-rest-1.0
 */
export function removeGroupMember(cloud: Cloud, id: string, groupId: string, memberId: string | Ref): PlannedRequest {
  return { id, method: 'DELETE', url: tpl`${GRAPH_HOSTS[cloud]}/groups/${seg(groupId)}/members/${memberId}/$ref` };
}

/**
 * Delete a group (204 No Content; a security group is "permanently deleted
 * immediately", unlike a Microsoft 365 group).
 * https://learn.microsoft.com/en-us/graph/api/group-delete?view=graph-rest-1.0
 */
export function deleteGroup(cloud: Cloud, id: string, groupObjectId: string): PlannedRequest {
  return { id, method: 'DELETE', url: `${GRAPH_HOSTS[cloud]}/groups/${seg(groupObjectId)}` };
}

// ---------------------------------------------------------------- granular relationships (GDAP)

const relationships = (cloud: Cloud) => `${GRAPH_HOSTS[cloud]}/tenantRelationships/delegatedAdminRelationships`;

/**
 * Create a relationship (status `created`).
 * https://learn.microsoft.com/en-us/graph/api/tenantrelationship-post-delegatedadminrelationships?view=graph-rest-1.0
 */
export function createRelationship(
  cloud: Cloud,
  id: string,
  r: { displayName: string; duration: string; autoExtendDuration: string; roles: readonly string[] },
): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: relationships(cloud),
    headers: { ...JSON_BODY },
    body: {
      displayName: r.displayName,
      duration: r.duration,
      accessDetails: { unifiedRoles: r.roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
      autoExtendDuration: r.autoExtendDuration,
    },
  };
}

/**
 * `lockForApproval` (make the invitation) or `terminate` a relationship.
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests?view=graph-rest-1.0
 */
export function relationshipRequest(cloud: Cloud, id: string, relationshipId: string | Ref, action: 'lockForApproval' | 'terminate'): PlannedRequest {
  return { id, method: 'POST', url: tpl`${relationships(cloud)}/${relId(relationshipId)}/requests`, headers: { ...JSON_BODY }, body: { action } };
}

/** Read a relationship (its `@odata.etag`). https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-get?view=graph-rest-1.0 */
export function getRelationship(cloud: Cloud, id: string, relationshipId: string): PlannedRequest {
  return { id, method: 'GET', url: `${relationships(cloud)}/${seg(relationshipId)}` };
}

/**
 * Change autoExtendDuration (allowed while `created` or `active`); If-Match
 * with the last known ETag is required.
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-update?view=graph-rest-1.0
 */
export function setRelationshipAutoExtend(cloud: Cloud, id: string, relationshipId: string, etag: string | Ref, autoExtendDuration: 'PT0S' | 'P180D'): PlannedRequest {
  return {
    id,
    method: 'PATCH',
    url: `${relationships(cloud)}/${seg(relationshipId)}`,
    headers: { 'If-Match': tpl`${etag}`, ...JSON_BODY },
    body: { autoExtendDuration },
  };
}

/**
 * Change a relationship's roles (accessDetails), with If-Match. On an active
 * relationship Graph allows only removing Global Administrator, "a
 * long-running operation".
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-update?view=graph-rest-1.0
 */
export function setRelationshipRoles(cloud: Cloud, id: string, relationshipId: string, etag: string | Ref, roles: readonly string[]): PlannedRequest {
  return {
    id,
    method: 'PATCH',
    url: `${relationships(cloud)}/${seg(relationshipId)}`,
    headers: { 'If-Match': tpl`${etag}`, ...JSON_BODY },
    body: { accessDetails: { unifiedRoles: roles.map((roleDefinitionId) => ({ roleDefinitionId })) } },
  };
}

/**
 * Give a security group roles on an active relationship.
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-accessassignments?view=graph-rest-1.0
 */
export function createAccessAssignment(cloud: Cloud, id: string, relationshipId: string, groupObjectId: string, roles: readonly string[]): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${relationships(cloud)}/${seg(relationshipId)}/accessAssignments`,
    headers: { ...JSON_BODY },
    body: {
      accessContainer: { accessContainerId: groupObjectId, accessContainerType: 'securityGroup' },
      accessDetails: { unifiedRoles: roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
    },
  };
}

/** Read an access assignment (its `@odata.etag`). https://learn.microsoft.com/en-us/graph/api/delegatedadminaccessassignment-get?view=graph-rest-1.0 */
export function getAccessAssignment(cloud: Cloud, id: string, relationshipId: string, assignmentId: string): PlannedRequest {
  return { id, method: 'GET', url: `${relationships(cloud)}/${seg(relationshipId)}/accessAssignments/${seg(assignmentId)}` };
}

/**
 * Change an access assignment's roles (If-Match with its last known ETag is required).
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminaccessassignment-update?view=graph-rest-1.0
 */
export function updateAccessAssignment(cloud: Cloud, id: string, relationshipId: string, assignmentId: string, etag: string | Ref, roles: readonly string[]): PlannedRequest {
  return {
    id,
    method: 'PATCH',
    url: `${relationships(cloud)}/${seg(relationshipId)}/accessAssignments/${seg(assignmentId)}`,
    headers: { 'If-Match': tpl`${etag}`, ...JSON_BODY },
    body: { accessDetails: { unifiedRoles: roles.map((roleDefinitionId) => ({ roleDefinitionId })) } },
  };
}

/**
 * Delete an access assignment (If-Match with its last known ETag is required; 204 No Content).
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminaccessassignment-delete?view=graph-rest-1.0
 */
export function deleteAccessAssignment(cloud: Cloud, id: string, relationshipId: string, assignmentId: string, etag: string | Ref): PlannedRequest {
  return { id, method: 'DELETE', url: `${relationships(cloud)}/${seg(relationshipId)}/accessAssignments/${seg(assignmentId)}`, headers: { 'If-Match': tpl`${etag}` } };
}

const relId = (r: string | Ref): string | Ref => (typeof r === 'string' ? seg(r) : r);

// ---------------------------------------------------------------- Partner Center

/**
 * End the delegated admin (DAP) relationship: Graph has no call for it;
 * Partner Center's is PATCH /v1/customers/{customer-tenant-id} with
 * `AllowDelegatedAccess: false` (App+User authentication only).
 * https://learn.microsoft.com/en-us/partner-center/developer/remove-dap
 */
export function removeDelegatedAccess(cloud: Cloud, id: string, customerTenantId: string | Ref): PlannedRequest {
  return {
    id,
    method: 'PATCH',
    url: tpl`${PARTNER_CENTER_HOSTS[cloud]}/customers/${customerTenantId}`,
    headers: { Accept: 'application/json', ...JSON_BODY },
    body: { AllowDelegatedAccess: false, attributes: { objectType: 'Customer' } },
  };
}

// ---------------------------------------------------------------- helpers

/** Does a plan go to Partner Center (where Graph has no call)? */
export function usesPartnerCenter(requests: readonly PlannedRequest[]): boolean {
  const hosts = Object.values(PARTNER_CENTER_HOSTS);
  return requests.some((r) => {
    const first = typeof r.url === 'string' ? r.url : r.url.parts[0];
    return typeof first === 'string' && hosts.some((h) => first.startsWith(h));
  });
}

/** A mail alias Graph accepts: ASCII without `@ () \ [] " ; : . <> ,` and space, 1 to 64 characters. */
export function mailNickname(s: string): string {
  const n = s.replace(/[^\x21-\x7e]|[@()\\[\]";:.<>,]/g, '').slice(0, 64);
  return n || 'group';
}

/** Request ids for n items: `base` for one, `base-1..n` for several (ids never contain a dot). */
export function ids(base: string, n: number): string[] {
  return n === 1 ? [base] : Array.from({ length: n }, (_, i) => `${base}-${i + 1}`);
}

/**
 * A plan made for many items (ids `base-1..n` from `ids`, or the bare bases
 * for one) cut into one group per item: the requests whose ids end alike.
 */
export function byItem(requests: readonly PlannedRequest[]): PlannedRequest[][] {
  const groups = new Map<string, PlannedRequest[]>();
  for (const r of requests) {
    const key = /-\d+$/.exec(r.id)?.[0] ?? '';
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

// ---------------------------------------------------------------- serializer

const REF_TEXT = /^[^.${}]+\.[^{}]+$/;

/** A literal string as plan text: `${` is written `$${`. */
export function escapeText(s: string): string {
  return s.replace(/\$\{/g, () => '$${');
}

function refText(r: Ref): string {
  const text = `${r.ref}.${r.field}`;
  if (!REF_TEXT.test(text)) throw new Error(`bad plan reference ${text}`);
  return `\${${text}}`;
}

function render(v: Value, known: ReadonlySet<string>): unknown {
  if (typeof v === 'string') return escapeText(v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Template) {
    return v.parts
      .map((p, i) => {
        if (typeof p !== 'string') return checked(p, known);
        // A literal `$` right before a reference would read as `$${`: no builder may make one.
        if (p.endsWith('$') && typeof v.parts[i + 1] === 'object') throw new Error('a plan template has a literal $ before a reference');
        return escapeText(p);
      })
      .join('');
  }
  if (Array.isArray(v)) return v.map((x) => render(x, known));
  if (isRef(v)) return checked(v, known);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x, known)]));
}

function isRef(v: object): v is Ref {
  return 'ref' in v && 'field' in v && Object.keys(v).length === 2;
}

function checked(r: Ref, known: ReadonlySet<string>): string {
  if (!known.has(r.ref)) throw new Error(`plan reference to ${r.ref}, which is not an earlier request`);
  return refText(r);
}

/**
 * The printed plan. Checks what makes it executable: unique ids without
 * dots, and every reference naming an earlier request (a bug otherwise).
 */
export function planJson(requests: readonly PlannedRequest[]): PlanEntry[] {
  const known = new Set<string>();
  return requests.map((r) => {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(r.id) || known.has(r.id)) throw new Error(`bad or repeated plan request id ${r.id}`);
    const entry: PlanEntry = { id: r.id, method: r.method, url: render(r.url, known) as string };
    if (r.headers && Object.keys(r.headers).length) entry.headers = render(r.headers, known) as Record<string, string>;
    if (r.body !== undefined) entry.body = render(r.body, known);
    known.add(r.id);
    return entry;
  });
}

/**
 * Fill a plan string's references from earlier responses (what an executor
 * does): `${id.field}` becomes that response's top-level `field`, `$${`
 * becomes `${`. An unknown request or missing field is an error.
 */
export function substitute(text: string, responses: ReadonlyMap<string, Record<string, unknown>>): string {
  return text.replace(/\$\$\{|\$\{([^.{}]+)\.([^{}]+)\}/g, (m, id: string | undefined, field: string | undefined) => {
    if (m === '$${') return '${';
    const body = responses.get(id!);
    if (!body || !(field! in body)) throw new Error(`no ${field} in the response to ${id}`);
    return String(body[field!]);
  });
}

// ---------------------------------------------------------------- plans, one per command

/** `client user add`: one POST /users each; an admin also gets Global Administrator, assigned to `${user.id}`. */
export function planAddUsers(cloud: Cloud, users: readonly { upn: string; name: string; isAdmin: boolean; password: string }[]): PlannedRequest[] {
  const userIds = ids('user', users.length);
  const roleIds = ids('role', users.length);
  return users.flatMap((u, i) => [
    createUser(cloud, userIds[i]!, u),
    ...(u.isAdmin ? [assignDirectoryRole(cloud, roleIds[i]!, GLOBAL_ADMINISTRATOR_ROLE_ID, ref(userIds[i]!, 'id'))] : []),
  ]);
}

/** `client domain verify`: read the DNS records Microsoft wants (to print them), then verify. */
export function planVerifyDomain(cloud: Cloud, name: string): PlannedRequest[] {
  return [verificationDnsRecords(cloud, 'records', name), verifyDomain(cloud, 'verify', name)];
}

/** The partner's agent groups (object ids in its own tenant), as the ledger holds them. */
export interface AgentGroups {
  adminAgentsGroupId: string | null;
  helpdeskAgentsGroupId: string | null;
}

export type AgentGroupName = 'AdminAgents' | 'HelpdeskAgents';

/** The agent group behind an admin access level (Partner Center: full = admin agent, limited = helpdesk agent). */
export function agentGroupOf(access: 'full' | 'limited' | 'none'): AgentGroupName | undefined {
  return access === 'full' ? 'AdminAgents' : access === 'limited' ? 'HelpdeskAgents' : undefined;
}

/**
 * DAP grant/revoke as agent group membership in the partner's own tenant:
 * per changed user, `GET /users/{upn}` for its id, then leave the old group
 * and join the new one. Returns the groups it needs whose id is unknown
 * instead of a plan (a lookup by name cannot be expressed: its id sits in
 * `value[0]`, not at the top level of the response).
 */
export function planAccessChanges(
  cloud: Cloud,
  changes: readonly { email: string; from: 'full' | 'limited' | 'none'; to: 'full' | 'limited' | 'none' }[],
  groups: AgentGroups,
): { requests: PlannedRequest[] } | { missing: AgentGroupName[] } {
  const changed = changes.filter((c) => c.from !== c.to);
  const groupId = (g: AgentGroupName) => (g === 'AdminAgents' ? groups.adminAgentsGroupId : groups.helpdeskAgentsGroupId);
  const needed = new Set(changed.flatMap((c) => [agentGroupOf(c.from), agentGroupOf(c.to)]).filter((g): g is AgentGroupName => g !== undefined));
  const missing = [...needed].filter((g) => !groupId(g));
  if (missing.length) return { missing };
  const userIds = ids('user', changed.length);
  const leaveIds = ids('leave', changed.length);
  const joinIds = ids('join', changed.length);
  return {
    requests: changed.flatMap((c, i) => {
      const from = agentGroupOf(c.from);
      const to = agentGroupOf(c.to);
      const user = ref(userIds[i]!, 'id');
      return [
        getUser(cloud, userIds[i]!, c.email),
        ...(from ? [removeGroupMember(cloud, leaveIds[i]!, groupId(from)!, user)] : []),
        ...(to ? [addGroupMember(cloud, joinIds[i]!, groupId(to)!, user)] : []),
      ];
    }),
  };
}

/** `client remove` (DAP): Partner Center, by the client's tenant id; unknown, Graph finds it from the domain first. */
export function planRemoveDap(cloud: Cloud, domain: string, tenantId: string | null): PlannedRequest[] {
  if (tenantId) return [removeDelegatedAccess(cloud, 'customer', tenantId)];
  return [findTenantByDomain(cloud, 'tenant', domain), removeDelegatedAccess(cloud, 'customer', ref('tenant', 'tenantId'))];
}

/** `offer create --granular`: per relationship, create it, then lock it for the customer's approval with `${relationship.id}`. */
export function planCreateRelationships(
  cloud: Cloud,
  rels: readonly { displayName: string; duration: string; autoExtendDuration: string; roles: readonly string[] }[],
): PlannedRequest[] {
  const relIds = ids('relationship', rels.length);
  const lockIds = ids('lock', rels.length);
  return rels.flatMap((r, i) => [createRelationship(cloud, relIds[i]!, r), relationshipRequest(cloud, lockIds[i]!, ref(relIds[i]!, 'id'), 'lockForApproval')]);
}

/** `client extend`: per relationship, read it for its ETag, then PATCH autoExtendDuration with If-Match. */
export function planExtend(cloud: Cloud, relationshipIds: readonly string[], autoExtendDuration: 'PT0S' | 'P180D'): PlannedRequest[] {
  const getIds = ids('relationship', relationshipIds.length);
  const extendIds = ids('extend', relationshipIds.length);
  return relationshipIds.flatMap((id, i) => [
    getRelationship(cloud, getIds[i]!, id),
    setRelationshipAutoExtend(cloud, extendIds[i]!, id, ref(getIds[i]!, '@odata.etag'), autoExtendDuration),
  ]);
}

/** `client remove-role`: per relationship, read it for its ETag, then PATCH the roles it keeps with If-Match. */
export function planRemoveRole(cloud: Cloud, rels: readonly { id: string; roles: readonly string[] }[]): PlannedRequest[] {
  const getIds = ids('relationship', rels.length);
  const patchIds = ids('roles', rels.length);
  return rels.flatMap((r, i) => [getRelationship(cloud, getIds[i]!, r.id), setRelationshipRoles(cloud, patchIds[i]!, r.id, ref(getIds[i]!, '@odata.etag'), r.roles)]);
}

/** `client terminate`: Graph's `terminate` request for each relationship. */
export function planTerminate(cloud: Cloud, relationshipIds: readonly string[]): PlannedRequest[] {
  const reqIds = ids('terminate', relationshipIds.length);
  return relationshipIds.map((id, i) => relationshipRequest(cloud, reqIds[i]!, id, 'terminate'));
}

/** `group remove-member`: per member, its id from `GET /users/{upn}`, then remove it by `$ref`. */
export function planRemoveMembers(cloud: Cloud, groupObjectId: string, emails: readonly string[]): PlannedRequest[] {
  const userIds = ids('user', emails.length);
  const removeIds = ids('remove', emails.length);
  return emails.flatMap((e, i) => [getUser(cloud, userIds[i]!, e), removeGroupMember(cloud, removeIds[i]!, groupObjectId, ref(userIds[i]!, 'id'))]);
}

/** `client unassign`: read the assignment for its ETag, then change its roles or delete it. */
export function planUnassign(cloud: Cloud, relationshipId: string, assignmentId: string, keep: readonly string[]): PlannedRequest[] {
  const etag = ref('assignment', '@odata.etag');
  return [
    getAccessAssignment(cloud, 'assignment', relationshipId, assignmentId),
    keep.length ? updateAccessAssignment(cloud, 'update', relationshipId, assignmentId, etag, keep) : deleteAccessAssignment(cloud, 'delete', relationshipId, assignmentId, etag),
  ];
}

/** `group add-member`: per member, its id from `GET /users/{upn}`, then add it by `$ref`. */
export function planAddMembers(cloud: Cloud, groupObjectId: string, emails: readonly string[]): PlannedRequest[] {
  const userIds = ids('user', emails.length);
  const addIds = ids('add', emails.length);
  return emails.flatMap((e, i) => [getUser(cloud, userIds[i]!, e), addGroupMember(cloud, addIds[i]!, groupObjectId, ref(userIds[i]!, 'id'))]);
}
