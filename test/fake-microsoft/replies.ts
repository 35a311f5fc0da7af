/**
 * What every part of the loopback fake shares: a request as the fake sees it,
 * a reply before it is written, and the error bodies Microsoft's services use.
 */
import { randomUUID } from 'node:crypto';

export type FakeService = 'graph' | 'partnerCenter' | 'authority';

export type Json = Record<string, unknown>;

/** A request as routed (a `$batch` part is one too, with inBatch). */
export interface Req {
  service: FakeService;
  method: string;
  /** Graph: after the version (`/users`); others: the whole path. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: unknown;
  inBatch: boolean;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export function now(): string {
  return new Date().toISOString();
}

export function etag(): string {
  // Shape of the documented etags: W/"<base64 of '"<hex>"'>" (tenantrelationship-post-delegatedadminrelationships).
  return `W/"${Buffer.from(`'"${randomUUID().replace(/-/g, '').slice(0, 24)}"'`).toString('base64')}"`;
}

/** Graph's error body (https://learn.microsoft.com/graph/errors). */
export function graphError(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'request-id': randomUUID() },
    body: { error: { code, message, innerError: { date: now().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } },
  };
}

export function notFound(what: string): Reply {
  return graphError(404, 'Request_ResourceNotFound', `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`);
}

export function methodNotAllowed(): Reply {
  // As in the $batch example of https://learn.microsoft.com/graph/json-batching (405, Request_BadRequest).
  return graphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
}

export function oauthError(status: number, error: string, description: string): Reply {
  // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#expected-errors (error, error_description).
  return { status, body: { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: now(), trace_id: randomUUID(), correlation_id: randomUUID() } };
}

/** A user as Graph returns it: never its password. */
export function publicUser(u: Json): Json {
  const { passwordProfile: _hidden, ...rest } = u;
  return rest;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
