/**
 * The fake's directory: users, directory role assignments, domains and
 * groups with their members, each after the Microsoft page cited next to it.
 */
import { randomUUID } from 'node:crypto';
import { graphError, methodNotAllowed, notFound, now, publicUser, type Json, type Reply, type Req } from './replies.js';
import type { FakeMicrosoft } from './server.js';

const GUID = '[0-9a-fA-F-]{36}';

/**
 * https://learn.microsoft.com/graph/api/user-post-users (201 with the user). The answer for a
 * userPrincipalName already taken is Graph's usual one (400 Request_BadRequest, "Another object
 * with the same value for property userPrincipalName already exists."), not from that page.
 */
export function createUser(w: FakeMicrosoft, r: Req): Reply {
  const b = (r.body ?? {}) as Json;
  for (const k of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
    if (b[k] === undefined) return graphError(400, 'Request_BadRequest', `Property '${k}' is required.`);
  }
  const upn = String(b.userPrincipalName).toLowerCase();
  if ([...w.users.values()].some((u) => String(u.userPrincipalName).toLowerCase() === upn)) {
    return graphError(400, 'Request_BadRequest', 'Another object with the same value for property userPrincipalName already exists.');
  }
  const id = randomUUID();
  const user = { id, businessPhones: [], displayName: b.displayName, userPrincipalName: b.userPrincipalName, mail: null, accountEnabled: b.accountEnabled, passwordProfile: b.passwordProfile as Json };
  w.users.set(id, user);
  return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...publicUser(user) } };
}

/** Get (https://learn.microsoft.com/graph/api/user-get, by id or userPrincipalName), update (user-update: 204), delete (user-delete: 204). */
export function user(w: FakeMicrosoft, r: Req, key: string): Reply {
  const user = w.users.get(key) ?? [...w.users.values()].find((u) => String(u.userPrincipalName).toLowerCase() === key.toLowerCase());
  if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
  if (r.method === 'GET') return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...publicUser(user) } };
  if (r.method === 'PATCH') {
    const b = (r.body ?? {}) as Json;
    for (const [k, v] of Object.entries(b)) if (k !== 'id') (user as Json)[k] = v;
    return { status: 204 };
  }
  if (r.method === 'DELETE') {
    w.users.delete(String(user.id));
    return { status: 204 };
  }
  return methodNotAllowed();
}

/** https://learn.microsoft.com/graph/api/rbacapplication-post-roleassignments (201) and rbacapplication-list-roleassignments ($filter on principalId). */
export function roleAssignment(w: FakeMicrosoft, r: Req): Reply {
  if (r.method === 'GET') {
    return w.page(r, w.roleAssignments, '$metadata#roleManagement/directory/roleAssignments');
  }
  if (r.method !== 'POST') return methodNotAllowed();
  const b = (r.body ?? {}) as Json;
  if (!b.roleDefinitionId || !b.principalId || (b.directoryScopeId === undefined && b.appScopeId === undefined)) {
    return graphError(400, 'Request_BadRequest', 'roleDefinitionId, principalId and directoryScopeId (or appScopeId) are required.');
  }
  const a = { id: `${randomUUID().replace(/-/g, '')}-1`, roleDefinitionId: b.roleDefinitionId, principalId: b.principalId, directoryScopeId: b.directoryScopeId ?? null };
  w.roleAssignments.push(a);
  return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity', ...a } };
}

/** https://learn.microsoft.com/graph/api/domain-post-domains (201; only `id` may be given). */
export function createDomain(w: FakeMicrosoft, r: Req): Reply {
  const id = String(((r.body ?? {}) as Json).id ?? '').toLowerCase();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(id)) return graphError(400, 'Request_BadRequest', 'The domain name is not valid.');
  if (w.domains.has(id)) return graphError(400, 'Request_BadRequest', 'The domain already exists.'); // not documented
  const d = { authenticationType: 'Managed', availabilityStatus: null, id, isAdminManaged: true, isDefault: false, isInitial: false, isRoot: true, isVerified: false, supportedServices: [] };
  w.domains.set(id, d);
  return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#domains/$entity', ...d } };
}

export function domain(w: FakeMicrosoft, id: string): Reply | undefined {
  const d = w.domains.get(id.toLowerCase());
  return d ? { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#domains/$entity', ...d } } : undefined;
}

/**
 * https://learn.microsoft.com/graph/api/domain-delete: 204; "Attempts to delete will fail if there are any
 * resources or objects still dependent on the domain" (the status for that is not documented: 400 here).
 */
export function deleteDomain(w: FakeMicrosoft, id: string): Reply {
  const name = decodeURIComponent(id).toLowerCase();
  const d = w.domains.get(name);
  if (!d) return notFound(`domain ${id}`);
  if (d.isInitial) return graphError(400, 'Request_BadRequest', 'The initial domain cannot be deleted.');
  if ([...w.users.values()].some((u) => String(u.userPrincipalName).toLowerCase().endsWith(`@${name}`))) {
    return graphError(400, 'Request_BadRequest', 'Domain has dependent objects; see domainNameReferences.');
  }
  w.domains.delete(name);
  return { status: 204 };
}

/** https://learn.microsoft.com/graph/api/domain-list-verificationdnsrecords (200, a collection of domainDnsRecord). */
export function verificationRecords(w: FakeMicrosoft, r: Req, id: string): Reply {
  if (!w.domains.has(id.toLowerCase())) return notFound(`domain ${id}`);
  const label = id.toLowerCase();
  const code = `MS=ms${label.length}${label.replace(/[^a-z0-9]/g, '').slice(0, 6)}`;
  return w.page(
    r,
    [
      { '@odata.type': '#microsoft.graph.domainDnsTxtRecord', id: `aceff52c-06a5-447f-ac5f-256ad243cc5c`, isOptional: false, label, recordType: 'Txt', supportedService: 'Email', ttl: 3600, text: code },
      { '@odata.type': '#microsoft.graph.domainDnsMxRecord', id: `5fbde38c-0865-497f-82b1-126f596bcee9`, isOptional: false, label, recordType: 'Mx', supportedService: 'Email', ttl: 3600, mailExchange: `${code.slice(3)}.msv1.invalid`, preference: 32767 },
    ],
    `$metadata#domains('${label}')/verificationDnsRecords`,
  );
}

/** https://learn.microsoft.com/graph/api/domain-verify (200 with the domain). */
export function verifyDomain(w: FakeMicrosoft, id: string): Reply {
  const d = w.domains.get(id.toLowerCase());
  if (!d) return notFound(`domain ${id}`);
  d.isVerified = true;
  return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#domains/$entity', ...d } };
}

/**
 * https://learn.microsoft.com/graph/api/group-post-members: 204; "400 Bad Request ... when the object
 * is already a member"; "404 Not Found ... when the object being added doesn't exist".
 */
export function addMember(w: FakeMicrosoft, r: Req, groupId: string): Reply {
  const g = w.groups.get(groupId);
  if (!g) return notFound(`group ${groupId}`);
  const ref = String(((r.body ?? {}) as Json)['@odata.id'] ?? '');
  const m = new RegExp(`/directoryObjects/(${GUID})$`).exec(ref);
  if (!m) return graphError(400, 'Request_BadRequest', 'Invalid @odata.id: expected https://graph.microsoft.com/v1.0/directoryObjects/{id}.');
  const id = m[1]!;
  if (!w.users.has(id) && !w.groups.has(id)) return graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  // The status is the page's; the message is the one Graph is widely seen to send, not confirmed on a Microsoft page.
  if (g.members.has(id)) return graphError(400, 'Request_BadRequest', "One or more added object references already exist for the following modified properties: 'members'.");
  g.members.add(id);
  return { status: 204 };
}

/** https://learn.microsoft.com/graph/api/group-list (a `$filter` is applied by page(); `$select` ignored). */
export function listGroups(w: FakeMicrosoft, r: Req): Reply {
  const list = [...w.groups.values()].map((g) => ({ '@odata.type': '#microsoft.graph.group', id: g.id, displayName: g.displayName, mailNickname: g.mailNickname ?? null }));
  return w.page(r, list, '$metadata#groups');
}

/**
 * https://learn.microsoft.com/graph/api/group-get: 200 with the group, 404 Request_ResourceNotFound when
 * there is none (a deleted security group is gone at once). `$select` is not applied (Graph adds the
 * properties asked for; the id is always there).
 */
export function getGroup(w: FakeMicrosoft, id: string): Reply {
  const g = w.groups.get(id);
  if (!g) return graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups/$entity', id: g.id, displayName: g.displayName, mailNickname: g.mailNickname ?? null } };
}

/**
 * https://learn.microsoft.com/graph/api/group-post-groups: 201 Created with the group
 * (displayName, mailEnabled, mailNickname and securityEnabled required; Graph does not require
 * display names to be unique, so neither does the fake).
 */
export function createGroup(w: FakeMicrosoft, r: Req): Reply {
  const b = (r.body ?? {}) as Json;
  for (const k of ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled']) {
    if (b[k] === undefined) return graphError(400, 'Request_BadRequest', `Property '${k}' is required.`);
  }
  const id = w.addGroup(String(b.displayName), undefined, String(b.mailNickname));
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
export function members(w: FakeMicrosoft, r: Req, groupId: string): Reply {
  const g = w.groups.get(groupId);
  if (!g) return notFound(`group ${groupId}`);
  const list = [...g.members].map((id) => {
    const u = w.users.get(id);
    return u ? { '@odata.type': '#microsoft.graph.user', ...publicUser(u) } : { '@odata.type': '#microsoft.graph.group', id, displayName: w.groups.get(id)?.displayName };
  });
  return w.page(r, list, '$metadata#directoryObjects');
}

/** https://learn.microsoft.com/graph/api/group-delete-members (204). */
export function removeMember(w: FakeMicrosoft, groupId: string, memberId: string): Reply {
  const g = w.groups.get(groupId);
  if (!g || !g.members.has(memberId)) return notFound(`member ${memberId} of group ${groupId}`);
  g.members.delete(memberId);
  return { status: 204 };
}
