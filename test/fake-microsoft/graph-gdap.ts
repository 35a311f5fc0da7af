/**
 * The fake's granular relationships (GDAP): create, read, update and delete
 * them, their requests (lockForApproval, terminate) and their access
 * assignments, each after the Microsoft page cited next to it.
 */
import { randomUUID } from 'node:crypto';
import { etag, graphError, methodNotAllowed, notFound, now, type Json, type Reply, type Req } from './replies.js';
import type { FakeMicrosoft, Relationship } from './server.js';

/** Days in a relationship's duration (P<n>D or P<n>Y), or NaN for any other form. */
export function durationDays(iso: unknown): number {
  const d = /^P(\d+)D$/.exec(String(iso ?? ''));
  if (d) return Number(d[1]);
  const y = /^P(\d+)Y$/.exec(String(iso ?? ''));
  return y ? Number(y[1]) * 365 : NaN;
}

/**
 * https://learn.microsoft.com/graph/api/tenantrelationship-post-delegatedadminrelationships (201, status "created",
 * Location). Its request body table: displayName "Must be unique across all delegated admin relationships of the
 * partner. Required. Maximum length is 50 characters."; duration "Must be a value between P1D and P2Y inclusive.
 * Required."; autoExtendDuration "Supported values are: P0D, PT0S, P180D"; accessDetails "Required".
 * The status and code Graph answers for each refusal are not documented: a duplicate name is answered 409
 * Conflict (the status https://learn.microsoft.com/graph/errors gives for "a conflict with the current state";
 * unconfirmed for this call), the others 400 BadRequest.
 */
export function createRelationship(w: FakeMicrosoft, r: Req): Reply {
  const b = (r.body ?? {}) as Json;
  if (!b.displayName || !b.duration || !b.accessDetails) return graphError(400, 'BadRequest', 'displayName, duration and accessDetails are required.');
  if (String(b.displayName).length > 50) return graphError(400, 'BadRequest', 'displayName must be at most 50 characters.');
  const days = durationDays(b.duration);
  if (!(days >= 1 && days <= 730)) return graphError(400, 'BadRequest', `duration must be between P1D and P2Y inclusive: ${String(b.duration)}.`);
  if (b.autoExtendDuration !== undefined && !['P0D', 'PT0S', 'P180D'].includes(String(b.autoExtendDuration))) {
    return graphError(400, 'BadRequest', `autoExtendDuration must be P0D, PT0S or P180D: ${String(b.autoExtendDuration)}.`);
  }
  if ([...w.relationships.values()].some((x) => x.displayName === b.displayName)) {
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
  w.relationships.set(id, rel);
  return { status: 201, headers: { Location: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${id}` }, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships', ...rel } };
}

/** A read of a relationship: applies a pending status change once it has been read often enough. */
export function read(w: FakeMicrosoft, rel: Relationship): Relationship {
  const change = w.pendingChanges.get(rel.id);
  if (change) {
    if (change.reads >= change.afterReads) {
      setStatus(w, rel, change.status);
      w.pendingChanges.delete(rel.id);
    } else change.reads++;
  }
  // Simplification (not documented how fast): a termination requested is complete on the next read.
  else if (rel.status === 'terminationRequested') w.pendingChanges.set(rel.id, { status: 'terminated', afterReads: 0, reads: 0 });
  return { ...rel };
}

export function setStatus(w: FakeMicrosoft, rel: Relationship, status: string): void {
  const t = now();
  rel.status = status;
  rel.lastModifiedDateTime = t;
  rel['@odata.etag'] = etag();
  if (status === 'active') {
    rel.activatedDateTime = t;
    // "endDateTime = activatedDateTime + duration" (https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship).
    const days = durationDays(rel.duration);
    rel.endDateTime = new Date(Date.now() + (Number.isNaN(days) ? 730 : days) * 86_400_000).toISOString();
  }
  if (status === 'terminated') rel.endDateTime = t;
}

export function relationship(w: FakeMicrosoft, r: Req, id: string): Reply {
  const rel = w.relationships.get(id);
  if (!rel) return notFound(`delegatedAdminRelationship ${id}`);
  const context = { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships/$entity' };
  // https://learn.microsoft.com/graph/api/delegatedadminrelationship-get (200, with @odata.etag).
  if (r.method === 'GET') return { status: 200, body: { ...context, ...read(w, rel) } };
  if (r.method !== 'PATCH' && r.method !== 'DELETE') return methodNotAllowed();
  // Update (https://learn.microsoft.com/graph/api/delegatedadminrelationship-update: 200 with the object; its request
  // headers: "If-Match | If-match: {etag}. Last known ETag value for the delegatedAdminRelationship to be updated.
  // Retrieve the ETag value from a LIST or GET operation. Required.") and delete
  // (https://learn.microsoft.com/graph/api/delegatedadminrelationship-delete: 204; If-Match required likewise) work
  // "only if it's in the created status". Neither page gives the answer to a missing or stale If-Match: 400 for a
  // missing one (unconfirmed), and for a stale one 412, which https://learn.microsoft.com/graph/errors lists as
  // "Precondition Failed" (unconfirmed for these calls). The error for a wrong status is not documented either.
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
    w.relationships.delete(id);
    return { status: 204 };
  }
  if (b.displayName !== undefined && [...w.relationships.values()].some((x) => x !== rel && x.displayName === b.displayName)) {
    return graphError(409, 'Conflict', `A relationship named '${String(b.displayName)}' already exists.`);
  }
  for (const k of ['displayName', 'duration', 'customer', 'accessDetails', 'autoExtendDuration'] as const) if (b[k] !== undefined) rel[k] = b[k];
  rel.lastModifiedDateTime = now();
  rel['@odata.etag'] = etag();
  return { status: 200, body: { ...context, ...rel } };
}

/** https://learn.microsoft.com/graph/api/delegatedadminrelationship-post-requests (201; actions lockForApproval, terminate). */
export function relationshipRequest(w: FakeMicrosoft, r: Req, id: string): Reply {
  const rel = w.relationships.get(id);
  if (!rel) return notFound(`delegatedAdminRelationship ${id}`);
  if (r.method === 'GET') return w.page(r, w.relationshipRequests.get(id) ?? [], 'tenantRelationships/$metadata#requests');
  if (r.method !== 'POST') return methodNotAllowed();
  const action = String(((r.body ?? {}) as Json).action ?? '');
  const allowed: Record<string, [string, string]> = { lockForApproval: ['created', 'approvalPending'], terminate: ['active', 'terminationRequested'] };
  const rule = allowed[action];
  if (!rule) return graphError(400, 'BadRequest', `Unsupported action '${action}': use lockForApproval or terminate.`);
  // The error for an action in the wrong status is not documented: 400 naming the status.
  if (rel.status !== rule[0]) return graphError(400, 'BadRequest', `Cannot ${action} a relationship in the ${rel.status} status.`);
  setStatus(w, rel, rule[1]);
  const t = now();
  const request = { '@odata.type': '#microsoft.graph.delegatedAdminRelationshipRequest', id: randomUUID(), action, status: 'created', createdDateTime: t, lastModifiedDateTime: t };
  w.relationshipRequests.set(id, [...(w.relationshipRequests.get(id) ?? []), request]);
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
export function accessAssignment(w: FakeMicrosoft, r: Req, id: string): Reply {
  const rel = w.relationships.get(id);
  if (!rel) return notFound(`delegatedAdminRelationship ${id}`);
  const list = w.accessAssignments.get(id) ?? [];
  if (r.method === 'GET') {
    // An assignment marked `stuck` stays pending (or in error) however often it is read: Microsoft's "pending" can last.
    const shown = list.map(({ stuck: _stuck, ...a }) => a);
    for (const a of list) if (a.status === 'pending' && !a.stuck) a.status = 'active';
    return w.page(r, shown, 'tenantRelationships/$metadata#accessAssignments');
  }
  if (r.method !== 'POST') return methodNotAllowed();
  // Assignments are made on an active relationship; the error otherwise is not documented.
  if (rel.status !== 'active') return graphError(400, 'BadRequest', `Access can be assigned only on an active relationship; it is ${rel.status}.`);
  const b = (r.body ?? {}) as Json;
  if (!b.accessContainer || !b.accessDetails) return graphError(400, 'BadRequest', 'accessContainer and accessDetails are required.');
  const t = now();
  const a: Json = { '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment', '@odata.etag': etag(), id: randomUUID(), status: 'pending', createdDateTime: t, lastModifiedDateTime: t, accessContainer: b.accessContainer, accessDetails: b.accessDetails };
  w.accessAssignments.set(id, [...list, a]);
  return {
    status: 201,
    headers: { Location: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${id}/accessAssignments/${String(a.id)}` },
    body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments', ...a },
  };
}

/** https://learn.microsoft.com/graph/api/delegatedadminaccessassignment-get */
export function oneAccessAssignment(w: FakeMicrosoft, r: Req, id: string, assignmentId: string): Reply {
  const list = w.accessAssignments.get(id) ?? [];
  const a = list.find((x) => x.id === assignmentId);
  if (!a) return notFound(`delegatedAdminAccessAssignment ${assignmentId}`);
  if (r.method === 'PATCH' || r.method === 'DELETE') {
    // https://learn.microsoft.com/graph/api/delegatedadminaccessassignment-update and -delete: "If-Match ... Required."
    // (the last known ETag). As for relationships, 400 for a missing one and 412 for a stale one are unconfirmed.
    const ifMatch = r.headers['if-match'];
    if (!ifMatch) return graphError(400, 'BadRequest', 'If-Match header is required.');
    if (ifMatch !== a['@odata.etag']) return graphError(412, 'PreconditionFailed', 'The ETag does not match.');
    if (r.method === 'DELETE') {
      w.accessAssignments.set(id, list.filter((x) => x !== a));
      return { status: 204 };
    }
    // "This method typically returns a 202 Accepted response code with a URL to a long-running operation in the
    // Location response header ... If the values specified in the call are identical to the values in the existing
    // object, the API returns a 200 OK" (with the object); Location and Retry-After headers, as in its example.
    // Simplification: the operation has succeeded by the time it is read (how long it takes is not documented).
    const b = (r.body ?? {}) as Json;
    const same = b.accessDetails === undefined || JSON.stringify(b.accessDetails) === JSON.stringify(a.accessDetails);
    if (same) return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments/$entity', ...a } };
    a.accessDetails = b.accessDetails;
    a['@odata.etag'] = etag();
    a.lastModifiedDateTime = now();
    const t = now();
    const op: Json = { '@odata.type': '#microsoft.graph.delegatedAdminRelationshipOperation', '@odata.etag': etag(), id: randomUUID(), operationType: 'delegatedAdminAccessAssignmentUpdate', status: 'succeeded', data: JSON.stringify({ accessAssignmentId: a.id }), createdDateTime: t, lastModifiedDateTime: t };
    w.operations.set(id, [...(w.operations.get(id) ?? []), op]);
    return { status: 202, headers: { Location: `https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships/${id}/operations/${String(op.id)}`, 'Retry-After': '10' } };
  }
  if (r.method !== 'GET') return methodNotAllowed();
  return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments/$entity', ...a } };
}

/**
 * https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-operations and
 * delegatedadminrelationshipoperation-get: the long-running operations of a relationship (an access assignment's update).
 */
export function operations(w: FakeMicrosoft, r: Req, id: string, operationId?: string): Reply {
  if (!w.relationships.has(id)) return notFound(`delegatedAdminRelationship ${id}`);
  if (r.method !== 'GET') return methodNotAllowed();
  const list = w.operations.get(id) ?? [];
  if (operationId === undefined) return w.page(r, list, 'tenantRelationships/$metadata#operations');
  const op = list.find((o) => o.id === operationId);
  return op ? { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#operations/$entity', ...op } } : notFound(`delegatedAdminRelationshipOperation ${operationId}`);
}
