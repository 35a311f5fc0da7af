/**
 * What makes a printed plan executable as printed (SPEC.md "Acting for a
 * client", `--plan`): checked on the parsed JSON, whatever produced it.
 */
import type { Cloud } from '../../src/domain/core/model.js';

export const HOSTS: Record<Cloud, { graph: string; partnerCenter: string }> = {
  global: { graph: 'https://graph.microsoft.com/v1.0/', partnerCenter: 'https://api.partnercenter.microsoft.com/v1/' },
  china: { graph: 'https://microsoftgraph.chinacloudapi.cn/v1.0/', partnerCenter: 'https://partner.partnercenterapi.microsoftonline.cn/v1/' },
};

export interface Entry {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Every string in a value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

/** The `${id.field}` references in a string (a literal `${` is written `$${`). */
export function references(s: string): { id: string; field: string }[] {
  const out: { id: string; field: string }[] = [];
  for (const m of s.matchAll(/\$\$\{|\$\{([^}]*)\}?/g)) {
    if (m[0] === '$${') continue;
    const inner = m[1] ?? '';
    const dot = inner.indexOf('.');
    if (!m[0].endsWith('}') || dot <= 0 || dot === inner.length - 1) throw new Error(`malformed reference ${m[0]} in ${s}`);
    out.push({ id: inner.slice(0, dot), field: inner.slice(dot + 1) });
  }
  return out;
}

/**
 * Parse a printed plan and check it: an array of {id, method, url,
 * headers?, body?}; ids unique (no dots); every reference names an earlier
 * request and a field; no prose placeholders; JSON headers with a body;
 * If-Match on a relationship PATCH; every URL on the cloud's hosts.
 */
export function checkPlan(text: string, cloud: Cloud): Entry[] {
  const plan = JSON.parse(text) as Entry[];
  expect(Array.isArray(plan)).toBe(true);
  const seen = new Set<string>();
  for (const r of plan) {
    expect(Object.keys(r).every((k) => ['id', 'method', 'url', 'headers', 'body'].includes(k))).toBe(true);
    expect(r.id).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
    expect(seen.has(r.id)).toBe(false);
    expect(['GET', 'POST', 'PATCH', 'DELETE']).toContain(r.method);
    expect(r.url.startsWith(HOSTS[cloud].graph) || r.url.startsWith(HOSTS[cloud].partnerCenter)).toBe(true);
    const all = [r.url, ...strings(r.headers ?? {}), ...strings(r.body ?? null)];
    for (const s of all) {
      expect(s).not.toMatch(/\{(id|object id) of/i);
      for (const ref of references(s)) {
        expect(seen.has(ref.id)).toBe(true);
        expect(ref.field.length).toBeGreaterThan(0);
      }
    }
    if (r.body !== undefined) expect(r.headers?.['Content-Type']).toBe('application/json');
    if (r.method === 'PATCH') expect(r.headers).toBeDefined();
    if (r.method === 'PATCH' && r.url.includes('/delegatedAdminRelationships/')) expect(r.headers?.['If-Match']).toBeTruthy();
    seen.add(r.id);
  }
  return plan;
}
