/**
 * SQL both backends build the same way (with `?` placeholders): filters turned into WHERE clauses,
 * the ledger's table keys for db copy, and the small helpers around them.
 */
import { LEDGER_TABLES, type AuditFilter, type ClientFilter, type LedgerTable } from '../../domain/core/store.js';
import type { Dialect } from './dialect.js';

/** A page size for LIMIT: a whole number, at least 1. */
export const pageSize = (size: number): number => Math.max(1, Math.floor(size));

/** Escape LIKE wildcards (with ESCAPE '\') so user text matches literally. */
export const likeEscaped = (s: string): string => s.replace(/[\\%_]/g, (c) => '\\' + c);
/** A LIKE pattern: contains `s`, literally. */
export const likeText = (s: string): string => '%' + likeEscaped(s) + '%';

/** A relationship of client c is active at the next parameter (the rule of countActiveClients and the domain's relationshipState). */
const ACTIVE_GDAP = "EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR r.ends_at > ?))";
/** Client c has a relationship active at the next parameter. */
export const ACTIVE_CLIENT = `((c.dap_offer_id IS NOT NULL AND c.dap_removed_at IS NULL) OR ${ACTIVE_GDAP})`;

/**
 * The WHERE clause of a client filter over `clients c`, starting with the keyset condition
 * c.domain > ? (its value is the caller's, first), and the filter's parameters after it.
 */
export function clientWhere(f: ClientFilter, d: Dialect): { where: string; params: unknown[] } {
  const where = ['c.domain > ?'];
  const params: unknown[] = [];
  if (f.search) {
    const like = `${d.like} ? ESCAPE '\\'`;
    where.push(`(c.domain ${like} OR c.name ${like} OR c.tenant_id ${like})`);
    const t = likeText(f.search);
    params.push(t, t, t);
  }
  if (f.active) {
    where.push(f.active.is ? ACTIVE_CLIENT : `NOT ${ACTIVE_CLIENT}`);
    params.push(f.active.now);
  }
  if (f.endingBy) {
    where.push("EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND (r.auto_extend = 'P180D' OR (r.ends_at > ? AND r.ends_at <= ?)))");
    params.push(f.endingBy.now, f.endingBy.by);
  }
  if (f.templated) where.push("EXISTS (SELECT 1 FROM relationships r WHERE r.client_domain = c.domain AND r.status = 'active' AND r.template IS NOT NULL)");
  return { where: where.join(' AND '), params };
}

/**
 * The WHERE clause of an audit filter, starting with the keyset condition seq > ? (its value is
 * the caller's, first), and the filter's parameters after it.
 */
export function auditWhere(f: AuditFilter): { where: string; params: unknown[] } {
  const where = ['seq > ?'];
  const params: unknown[] = [];
  if (f.actor) {
    where.push('actor = ?');
    params.push(f.actor);
  }
  if (f.target) {
    where.push('target = ?');
    params.push(f.target);
  }
  if (f.client) {
    where.push("(target = ? OR target LIKE ? ESCAPE '\\')");
    params.push(f.client, likeEscaped(f.client) + '/%');
  }
  if (f.action) {
    where.push("(action = ? OR action LIKE ? ESCAPE '\\')");
    params.push(f.action, likeEscaped(f.action) + '.%');
  }
  if (f.since) {
    where.push('at >= ?');
    params.push(f.since);
  }
  return { where: where.join(' AND '), params };
}

/** Each table's key, for a stable export order (db copy). */
export const TABLE_KEYS: Record<LedgerTable, string> = {
  partner: 'id', users: 'email', offers: 'seq', clients: 'domain', acceptances: 'id', notifications: 'id',
  notification_reads: 'notification_id, email', audit: 'seq', client_users: 'client_domain, upn', client_domains: 'client_domain, name',
  relationships: 'id', templates: 'name', groups: 'name', group_members: 'group_name, email', access_assignments: 'relationship_id, group_name',
  group_eligibility: 'group_name, email',
};

/** Refuse a name that is not a ledger table (it is put into SQL as it is). */
export function checkTable(t: string): void {
  if (!(LEDGER_TABLES as readonly string[]).includes(t)) throw new Error(`not a ledger table: ${t}`);
}

/** Refuse a column name that is not plain lower-case words (it is put into SQL as it is). */
export function checkColumns(cols: readonly string[]): void {
  for (const c of cols) if (!/^[a-z_]+$/.test(c)) throw new Error(`bad column ${c}`);
}
