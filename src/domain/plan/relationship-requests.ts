/**
 * Requests on granular relationships (GDAP), their access assignments, and
 * Partner Center's end of a DAP relationship, each after the Microsoft page
 * cited next to it.
 */
import type { Cloud } from '../core/model.js';
import { type Ref, ref, tpl, type PlannedRequest, GRAPH_HOSTS, PARTNER_CENTER_HOSTS, seg, ids, JSON_BODY, odataString } from './request.js';
import { findTenantByDomain } from './directory-requests.js';
import type { IntentSpec } from './intent.js';

const relationships = (cloud: Cloud) => `${GRAPH_HOSTS[cloud]}/tenantRelationships/delegatedAdminRelationships`;
const intent = (i: Omit<IntentSpec, 'scope'>): IntentSpec => ({ scope: '', ...i });
/** A relationship's requests (https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-requests). */
const requestsRead = (cloud: Cloud, relationshipId: string | Ref) => tpl`${relationships(cloud)}/${relId(relationshipId)}/requests`;
/** A relationship's access assignments (https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments). */
const assignmentsRead = (cloud: Cloud, relationshipId: string) => `${relationships(cloud)}/${seg(relationshipId)}/accessAssignments`;

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
    // Found by its display name, unique across the partner's relationships (resources/delegatedadminrelationship).
    // The list supports $filter (tenantrelationship-list-delegatedadminrelationships), though its filterable
    // properties are not documented: where Microsoft refuses the filter, the executor reads every page.
    intent: intent({
      kind: 'relationship.create',
      target: r.displayName,
      key: `relationship:${r.displayName.toLowerCase()}`,
      readBack: { url: `${relationships(cloud)}?$filter=${encodeURIComponent(`displayName eq ${odataString(r.displayName)}`)}`, look: { find: 'relationship', displayName: r.displayName } },
    }),
  };
}

/**
 * `lockForApproval` (make the invitation) or `terminate` a relationship.
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminrelationship-post-requests?view=graph-rest-1.0
 */
export function relationshipRequest(cloud: Cloud, id: string, relationshipId: string | Ref, action: 'lockForApproval' | 'terminate'): PlannedRequest {
  return {
    id,
    method: 'POST',
    url: tpl`${relationships(cloud)}/${relId(relationshipId)}/requests`,
    headers: { ...JSON_BODY },
    body: { action },
    intent: intent({
      kind: action === 'terminate' ? 'relationship.terminate' : 'relationship.lock',
      target: typeof relationshipId === 'string' ? relationshipId : tpl`${relationshipId}`,
      key: tpl`relationship-request:${relationshipId}`,
      readBack: { url: requestsRead(cloud, relationshipId), look: { find: 'request', action } },
      effect: { relationshipId: typeof relationshipId === 'string' ? relationshipId : tpl`${relationshipId}` },
    }),
  };
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
    intent: intent({
      kind: 'relationship.update',
      target: relationshipId,
      key: `relationship-update:${relationshipId}`,
      readBack: { url: `${relationships(cloud)}/${seg(relationshipId)}`, look: { find: 'values', expect: { autoExtendDuration }, etagSent: tpl`${etag}` } },
      effect: { relationshipId },
    }),
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
    intent: intent({
      kind: 'relationship.update',
      target: relationshipId,
      key: `relationship-update:${relationshipId}`,
      readBack: { url: `${relationships(cloud)}/${seg(relationshipId)}`, look: { find: 'values', expect: { roles: [...roles] }, etagSent: tpl`${etag}` } },
      effect: { relationshipId },
    }),
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
    intent: intent({
      kind: 'assignment.create',
      target: relationshipId,
      key: `assignment:${relationshipId}:${groupObjectId}`,
      readBack: { url: assignmentsRead(cloud, relationshipId), look: { find: 'assignment', groupId: groupObjectId, roles: [...roles] } },
      effect: { relationshipId, groupId: groupObjectId },
    }),
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
    // Usually a 202 with an operation (delegatedadminaccessassignment-update): the assignment's roles are read back.
    intent: intent({
      kind: 'assignment.update',
      target: relationshipId,
      key: `assignment-id:${assignmentId}`,
      readBack: { url: `${assignmentsRead(cloud, relationshipId)}/${seg(assignmentId)}`, look: { find: 'values', expect: { roles: [...roles] } } },
      effect: { relationshipId, assignmentId },
    }),
  };
}

/**
 * Delete an access assignment (If-Match with its last known ETag is required; 204 No Content).
 * https://learn.microsoft.com/en-us/graph/api/delegatedadminaccessassignment-delete?view=graph-rest-1.0
 */
export function deleteAccessAssignment(cloud: Cloud, id: string, relationshipId: string, assignmentId: string, etag: string | Ref): PlannedRequest {
  return {
    id,
    method: 'DELETE',
    url: `${relationships(cloud)}/${seg(relationshipId)}/accessAssignments/${seg(assignmentId)}`,
    headers: { 'If-Match': tpl`${etag}` },
    intent: intent({
      kind: 'assignment.delete',
      target: relationshipId,
      key: `assignment-id:${assignmentId}`,
      readBack: { url: `${assignmentsRead(cloud, relationshipId)}/${seg(assignmentId)}`, look: { find: 'exists', gone: true } },
      effect: { relationshipId, assignmentId },
    }),
  };
}

const relId = (r: string | Ref): string | Ref => (typeof r === 'string' ? seg(r) : r);

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
    // https://learn.microsoft.com/partner-center/developer/customer-resources: allowDelegatedAccess "is only
    // available when getting a customer by ID".
    intent: intent({
      kind: 'dap.end',
      target: tpl`${customerTenantId}`,
      key: tpl`dap:${customerTenantId}`,
      readBack: { url: tpl`${PARTNER_CENTER_HOSTS[cloud]}/customers/${customerTenantId}`, look: { find: 'dapEnded' } },
    }),
  };
}

/** `client remove` (DAP): Partner Center, by the client's tenant id; unknown, Graph finds it from the domain first. */
export function planRemoveDap(cloud: Cloud, domain: string, tenantId: string | null): PlannedRequest[] {
  if (tenantId) return [removeDelegatedAccess(cloud, 'customer', tenantId)];
  return [findTenantByDomain(cloud, 'tenant', domain), removeDelegatedAccess(cloud, 'customer', ref('tenant', 'tenantId'))];
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

/** `client unassign`: read the assignment for its ETag, then change its roles or delete it. */
export function planUnassign(cloud: Cloud, relationshipId: string, assignmentId: string, keep: readonly string[]): PlannedRequest[] {
  const etag = ref('assignment', '@odata.etag');
  return [
    getAccessAssignment(cloud, 'assignment', relationshipId, assignmentId),
    keep.length ? updateAccessAssignment(cloud, 'update', relationshipId, assignmentId, etag, keep) : deleteAccessAssignment(cloud, 'delete', relationshipId, assignmentId, etag),
  ];
}

/** Graph's answer for a relationship (create, get, update: https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship). */
export interface MsRelationshipReply {
  id?: string;
  status?: string;
  autoExtendDuration?: string;
  duration?: string;
  createdDateTime?: string;
  activatedDateTime?: string | null;
  endDateTime?: string | null;
  '@odata.etag'?: string;
}
