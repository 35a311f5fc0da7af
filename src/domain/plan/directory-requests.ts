/**
 * Requests in a client's directory (users, directory roles, domains), each
 * built after the example on the Microsoft page cited next to it.
 */
import type { Cloud } from '../core/model.js';
import { ref, tpl, type Ref, type PlannedRequest, GRAPH_HOSTS, seg, mailNickname, ids, JSON_BODY } from './request.js';
import type { IntentSpec } from './intent.js';

/** A user's read-back: GET /users/{upn} (https://learn.microsoft.com/graph/api/user-get: 404 when there is none). */
const userRead = (cloud: Cloud, upn: string) => `${GRAPH_HOSTS[cloud]}/users/${seg(upn)}?$select=id,userPrincipalName`;
/** A domain's read-back: GET /domains/{name} (https://learn.microsoft.com/graph/api/domain-get; isVerified). */
const domainRead = (cloud: Cloud, name: string) => `${GRAPH_HOSTS[cloud]}/domains/${seg(name)}`;
const intent = (i: Omit<IntentSpec, 'scope'>): IntentSpec => ({ scope: '', ...i });

export const GLOBAL_ADMINISTRATOR_ROLE_ID = '62e90394-69f5-4237-9190-012177145e10';

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
    intent: intent({ kind: 'user.create', target: u.upn, key: `user:${u.upn.toLowerCase()}`, readBack: { url: userRead(cloud, u.upn), look: { find: 'exists' } }, effect: { upn: u.upn, name: u.name } }),
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
    intent: intent({ kind: 'user.password', target: upn, key: `password:${upn.toLowerCase()}`, readBack: { url: userRead(cloud, upn), look: { find: 'nothing' } }, effect: { upn } }),
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
export function assignDirectoryRole(cloud: Cloud, id: string, roleDefinitionId: string, principalId: string | Ref, upn: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/roleManagement/directory/roleAssignments`,
    headers: { ...JSON_BODY },
    body: { '@odata.type': '#microsoft.graph.unifiedRoleAssignment', roleDefinitionId, principalId, directoryScopeId: '/' },
    // Read back by principal (resources/unifiedroleassignment: principalId "Supports $filter (eq, in)"), role checked here.
    intent: intent({
      kind: 'role.assign',
      target: upn,
      key: `role:${upn.toLowerCase()}:${roleDefinitionId}`,
      readBack: { url: tpl`${GRAPH_HOSTS[cloud]}/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent('principalId eq ')}'${principalId}'`, look: { find: 'roleAssignment', roleDefinitionId } },
      effect: { upn },
    }),
  };
}

/**
 * Delete a user (it goes to deleted items, restorable for 30 days; 204 No Content).
 * DELETE /users/{id | userPrincipalName}. https://learn.microsoft.com/en-us/graph/api/user-delete?view=graph-rest-1.0
 */
export function deleteUser(cloud: Cloud, id: string, upn: string): PlannedRequest {
  return {
    id,
    method: 'DELETE',
    url: `${GRAPH_HOSTS[cloud]}/users/${seg(upn)}`,
    intent: intent({ kind: 'user.delete', target: upn, key: `user:${upn.toLowerCase()}`, readBack: { url: userRead(cloud, upn), look: { find: 'exists', gone: true } }, effect: { upn } }),
  };
}

export function listUsers(cloud: Cloud, id = 'users'): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/users?$select=id,userPrincipalName,displayName` };
}

/** Add a domain (body: only `id`). https://learn.microsoft.com/en-us/graph/api/domain-post-domains?view=graph-rest-1.0 */
export function addDomain(cloud: Cloud, id: string, name: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/domains`,
    headers: { ...JSON_BODY },
    body: { id: name },
    intent: intent({ kind: 'domain.add', target: name, key: `domain:${name}`, readBack: { url: domainRead(cloud, name), look: { find: 'exists' } }, effect: { name } }),
  };
}

/** The DNS records that prove ownership. https://learn.microsoft.com/en-us/graph/api/domain-list-verificationdnsrecords?view=graph-rest-1.0 */
export function verificationDnsRecords(cloud: Cloud, id: string, name: string): PlannedRequest {
  return { id, method: 'GET', url: `${GRAPH_HOSTS[cloud]}/domains/${seg(name)}/verificationDnsRecords` };
}

/** Verify a domain (no body). https://learn.microsoft.com/en-us/graph/api/domain-verify?view=graph-rest-1.0 */
export function verifyDomain(cloud: Cloud, id: string, name: string): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: `${GRAPH_HOSTS[cloud]}/domains/${seg(name)}/verify`,
    intent: intent({ kind: 'domain.verify', target: name, key: `domain:${name}`, readBack: { url: domainRead(cloud, name), look: { find: 'verified' } }, effect: { name } }),
  };
}

/**
 * Delete a domain, by its fully qualified name (not recoverable; fails while
 * anything still depends on it; 204 No Content).
 * https://learn.microsoft.com/en-us/graph/api/domain-delete?view=graph-rest-1.0
 */
export function deleteDomain(cloud: Cloud, id: string, name: string): PlannedRequest {
  return {
    id,
    method: 'DELETE',
    url: `${GRAPH_HOSTS[cloud]}/domains/${seg(name)}`,
    intent: intent({ kind: 'domain.delete', target: name, key: `domain:${name}`, readBack: { url: domainRead(cloud, name), look: { find: 'exists', gone: true } }, effect: { name } }),
  };
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

/** `client user add`: one POST /users each; an admin also gets Global Administrator, assigned to `${user.id}`. */
export function planAddUsers(cloud: Cloud, users: readonly { upn: string; name: string; isAdmin: boolean; password: string }[]): PlannedRequest[] {
  const userIds = ids('user', users.length);
  const roleIds = ids('role', users.length);
  return users.flatMap((u, i) => [
    createUser(cloud, userIds[i]!, u),
    ...(u.isAdmin ? [assignDirectoryRole(cloud, roleIds[i]!, GLOBAL_ADMINISTRATOR_ROLE_ID, ref(userIds[i]!, 'id'), u.upn)] : []),
  ]);
}

/** `client domain verify`: read the DNS records Microsoft wants (to print them), then verify. */
export function planVerifyDomain(cloud: Cloud, name: string): PlannedRequest[] {
  return [verificationDnsRecords(cloud, 'records', name), verifyDomain(cloud, 'verify', name)];
}
