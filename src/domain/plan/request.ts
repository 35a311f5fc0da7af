/**
 * The plan vocabulary: requests to Microsoft's APIs that would do, for real,
 * what a command does in the ledger (`--plan graph`), the hosts they go to,
 * and the one serializer (`planJson`) that turns them into the printed plan.
 * The builders, one per Microsoft call, are in the *-requests.ts files beside
 * this one, each citing its page.
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
import type { Cloud } from '../core/model.js';
import type { IntentSpec } from './intent.js';
import { Template, type Ref, type Value } from './value.js';

// The values a plan is made of are plan/value.ts's (intent.ts uses them too); they belong to this vocabulary.
export { ref, tpl, Template, type Ref, type Value } from './value.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One request of a plan, before serialization. */
export interface PlannedRequest {
  id: string;
  method: Method;
  url: string | Template;
  headers?: Record<string, string | Template>;
  body?: Value;
  /**
   * A request that changes Microsoft: its intent (kind, read-back, the key it
   * reserves), committed to the ledger before it is sent (plan/intent.ts).
   * Never printed in a plan.
   */
  intent?: IntentSpec;
}

/** One request as printed. */
export interface PlanEntry {
  id: string;
  method: Method;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

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

export const seg = (s: string) => encodeURIComponent(s);

export const JSON_BODY = { 'Content-Type': 'application/json' } as const;

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
  return serialize(requests, false);
}

/** A request as the live executor sends it: as printed, with its intent's values written the same way. */
export interface SendableEntry extends PlanEntry {
  /** IntentSpec with every value as plan text (`${id.field}` references, filled when sent). */
  intent?: Record<string, unknown>;
}

/** The plan as the live executor takes it: planJson's entries, each with its intent. */
export function sendable(requests: readonly PlannedRequest[]): SendableEntry[] {
  return serialize(requests, true);
}

function serialize(requests: readonly PlannedRequest[], withIntents: boolean): SendableEntry[] {
  const known = new Set<string>();
  return requests.map((r) => {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(r.id) || known.has(r.id)) throw new Error(`bad or repeated plan request id ${r.id}`);
    const entry: SendableEntry = { id: r.id, method: r.method, url: render(r.url, known) as string };
    if (r.headers && Object.keys(r.headers).length) entry.headers = render(r.headers, known) as Record<string, string>;
    if (r.body !== undefined) entry.body = render(r.body, known);
    if (withIntents && r.intent) entry.intent = render(r.intent as unknown as Value, known) as Record<string, unknown>;
    known.add(r.id);
    return entry;
  });
}

/** The same requests, each intent given its scope (the ledger thing the change belongs to: plan/intent.ts). */
export function inScope(scope: string, requests: readonly PlannedRequest[]): PlannedRequest[] {
  return requests.map((r) => (r.intent ? { ...r, intent: { ...r.intent, scope } } : r));
}

/** An OData string literal inside a `$filter`: single quotes doubled (OData ABNF, SQUOTE-in-string). */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
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
