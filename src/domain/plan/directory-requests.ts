/**
 * Requests in a client's directory (users, directory roles, domains), each
 * built after the example on the Microsoft page cited next to it.
 */
import type { Cloud } from '../core/model.js';
import { ref, Value, PlannedRequest, GRAPH_HOSTS, seg, mailNickname, ids, JSON_BODY } from './request.js';

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
