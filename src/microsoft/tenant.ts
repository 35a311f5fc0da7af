/**
 * What `delegate sync` reads from Microsoft (SPEC.md "Sync at partner scale"): every answer staged
 * as it arrives (domain/sync/stage.ts), each with the newest audit sequence number at the time it
 * was requested, so an interrupted or throttled sync resumes from what it read, and nothing is
 * written to the ledger here. Two pipelines run at once, each held by the client's rate limiter for
 * its service: Graph's relationships and their access assignments (tenantRelationship service);
 * the contracts (identity service) and Partner Center's per-customer reads. What is read again and
 * what is skipped is the domain's rule (domain/sync/reads.ts). Every answer is checked against its
 * documented shape (schemas.ts): a read that fails or does not fit ends the sync with that error,
 * never an empty list (nobody loses access because a page was cut).
 */
import type { StagedItem, StageKind } from '../domain/core/store.js';
import type { ReadPlan } from '../domain/sync/reads.js';
import type { MsAssignment, MsContract, MsRelationship, ReadCounts, StagedAgents, StagedAssignments, StagedCursor, SyncPart } from '../domain/sync/types.js';
import type { MicrosoftClient } from './client.js';
import { MicrosoftError } from './errors.js';
import * as schemas from './schemas.js';
import * as pimSchemas from './pim-schemas.js';
import type { Schema } from './schemas.js';

const RELATIONSHIPS = '/tenantRelationships/delegatedAdminRelationships';
/** Statuses whose access assignments are read (the others have none worth recording). */
const WITH_ASSIGNMENTS = new Set(['active', 'expiring']);
/** Staged items a pass over the stage takes at once. */
const PASS = 200;
/** Graph allows at most 20 requests in one $batch (https://learn.microsoft.com/graph/json-batching). */
const BATCH = 20;

export interface PartnerGroups {
  adminAgentsGroupId?: string | null;
  helpdeskAgentsGroupId?: string | null;
}

/** What the reads have done so far (a terminal shows it as they go). */
export interface ReadProgress extends ReadCounts {
  relationships: number;
  assignments: number;
  assignmentsToRead: number;
  customers: number;
  dapRead: number;
  dapToRead: number;
}

export function newProgress(): ReadProgress {
  return { requests: { graph: 0, partnerCenter: 0 }, resumed: 0, assignmentsSkipped: 0, dapSkipped: 0, throttled: 0, relationships: 0, assignments: 0, assignmentsToRead: 0, customers: 0, dapRead: 0, dapToRead: 0 };
}

/** Read what `parts` needs into the plan's stage. Returns notes for the output (DAP not checked, and why). */
export async function readTenant(ms: MicrosoftClient, parts: readonly SyncPart[], partner: PartnerGroups, plan: ReadPlan, progress: ReadProgress, o: { concurrency: number }): Promise<string[]> {
  const notes: string[] = [];
  let failed = false;
  const r = { ms, plan, progress, concurrency: Math.max(1, o.concurrency), stop: () => failed };
  const graph = async () => {
    if (!parts.includes('relationships')) return;
    await readList(r, 'relationships', RELATIONSHIPS, schemas.relationshipPage, 'relationship', (x) => x.id, relationshipOf, (n) => (progress.relationships += n));
    await readAssignments(r);
  };
  const customers = async () => {
    if (!parts.includes('clients') && !parts.includes('relationships')) return;
    // https://learn.microsoft.com/graph/api/contract-list; fields per https://learn.microsoft.com/graph/api/resources/contract
    // (customerId; defaultDomainName and displayName are copies made when the partnership was established).
    await readList(r, 'contracts', '/contracts', schemas.contractPage, 'contract', (c) => c.customerId.toLowerCase(), contractOf, (n) => (progress.customers += n));
    if (parts.includes('clients')) {
      const skipped = await readDap(r);
      if (skipped) notes.push(`DAP not checked: ${skipped}`);
    }
  };
  const agents = async () => {
    if (parts.includes('users') && (await plan.stage.get('agents', ['agents'])).size === 0) {
      const seq = await plan.stage.seq();
      const a = await readAgents(r, partner);
      if (a) await plan.stage.put([item('agents', 'agents', a, seq)]);
      else notes.push('No AdminAgents or HelpdeskAgents group found in the partner tenant: users are left as they are.');
    }
  };
  const results = await Promise.allSettled([graph(), customers(), agents()].map((p) => p.catch((e: unknown) => ((failed = true), Promise.reject(e)))));
  const error = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (error) throw error.reason;
  return notes;
}

interface Reader {
  ms: MicrosoftClient;
  plan: ReadPlan;
  progress: ReadProgress;
  concurrency: number;
  stop: () => boolean;
}

function item(kind: StageKind, key: string, body: unknown, seq: number): StagedItem {
  return { kind, key, body: JSON.stringify(body), seq, at: new Date().toISOString() };
}

/**
 * A paged Graph list, a page at a time, each page staged with the cursor (the next link) in one
 * write: a sync that stopped carries on from the last page it staged.
 */
async function readList<T, U>(
  r: Reader,
  name: string,
  path: string,
  schema: Schema<schemas.Page<T>>,
  kind: StageKind,
  key: (u: U) => string,
  map: (t: T) => U,
  count: (n: number) => void,
): Promise<void> {
  const stage = r.plan.stage;
  const saved = (await stage.get('cursor', [name])).get(name);
  let cursor: StagedCursor = saved ? (JSON.parse(saved.body) as StagedCursor) : { pages: 0, next: null, done: false };
  if (saved) {
    const n = await stage.count(kind);
    r.progress.resumed += n;
    count(n);
  }
  if (cursor.done) return;
  if (cursor.pages > 0 && !cursor.next) return;
  // The client checks every link it follows (under Graph's base, never twice), the staged one too.
  let seq = await stage.seq();
  for await (const page of r.ms.pageLinks(path, schema, cursor.next ? { from: cursor.next } : {})) {
    r.progress.requests.graph++;
    const items = page.items.map(map);
    cursor = { pages: cursor.pages + 1, next: page.next ?? null, done: !page.next };
    await stage.put([...items.map((u) => item(kind, key(u), u, seq)), item('cursor', name, cursor, seq)]);
    count(items.length);
    if (r.stop()) return;
    // The newest audit sequence number when the next page is requested.
    seq = await stage.seq();
  }
}

/** Run `f` over `items` with at most `limit` at once; stops taking new ones once `stop()` says so. */
async function pool<T>(items: readonly T[], limit: number, stop: () => boolean, f: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length && !stop()) await f(items[i++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Groups of at most `n`. */
function groups<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/**
 * https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments for the
 * relationships the plan says may have changed: the first page of each in `$batch`es of 20, the
 * pages after it one by one; the group is accessContainer.accessContainerId
 * (https://learn.microsoft.com/graph/api/resources/delegatedadminaccesscontainer). A part that failed
 * is the sync's error (its relationships' access would be read as none).
 */
async function readAssignments(r: Reader): Promise<void> {
  const stage = r.plan.stage;
  for (let after = ''; ; ) {
    if (r.stop()) return;
    const chunk = await stage.after('relationship', after, PASS);
    if (chunk.length === 0) return;
    after = chunk[chunk.length - 1]!.key;
    const withAssignments = chunk.map((i) => JSON.parse(i.body) as MsRelationship).filter((m) => WITH_ASSIGNMENTS.has(m.status));
    const wanted = await r.plan.assignmentsToRead(withAssignments);
    const done = await stage.get('assignments', wanted);
    r.progress.resumed += done.size;
    r.progress.assignmentsSkipped += withAssignments.length - wanted.length;
    const todo = withAssignments.filter((m) => wanted.includes(m.id) && !done.has(m.id));
    r.progress.assignmentsToRead += todo.length;
    await pool(groups(todo, BATCH), r.concurrency, r.stop, async (batch) => {
      const seq = await stage.seq();
      const parts = batch.map((m) => ({ method: 'GET' as const, path: `${RELATIONSHIPS}/${encodeURIComponent(m.id)}/accessAssignments`, schema: schemas.accessAssignmentPage }));
      const outcomes = await r.ms.batch(parts);
      r.progress.requests.graph += parts.length;
      const staged: StagedItem[] = [];
      for (const [i, o] of outcomes.entries()) {
        if (!o.ok) throw o.error ?? new Error(`GET ${parts[i]!.path} was not sent`);
        const kept: MsAssignment[] = [];
        // A read's answer always has a body (client.ts); its next pages follow.
        let pages = 0;
        for await (const page of r.ms.pages(parts[i]!.path, schemas.accessAssignmentPage, { first: o.body })) {
          if (pages++ > 0) r.progress.requests.graph++;
          for (const a of page) {
            if (a.status === 'active' || a.status === 'pending') kept.push({ id: a.id, status: a.status, accessContainer: a.accessContainer, accessDetails: a.accessDetails });
          }
        }
        const body: StagedAssignments = { etag: batch[i]!['@odata.etag'] ?? null, items: kept };
        staged.push(item('assignments', batch[i]!.id, body, seq));
      }
      await stage.put(staged);
      r.progress.assignments += staged.length;
    });
  }
}

/**
 * Partner Center's GET /v1/customers/{id} (https://learn.microsoft.com/partner-center/developer/get-a-customer-by-id):
 * `allowDelegatedAccess` is given only by id, so one request per customer, for the customers the
 * plan says. Refused (401/403, as for an app-only sign-in) is "not reached": DAP is left as it is,
 * and the reason is returned. 404: the customer is not known there (staged as not saying).
 */
async function readDap(r: Reader): Promise<string | undefined> {
  const stage = r.plan.stage;
  let refused: string | undefined;
  const stop = () => r.stop() || refused !== undefined;
  for (let after = ''; ; ) {
    if (stop()) return refused;
    const chunk = await stage.after('contract', after, PASS);
    if (chunk.length === 0) return refused;
    after = chunk[chunk.length - 1]!.key;
    const wanted = await r.plan.dapToRead(chunk.map((i) => JSON.parse(i.body) as MsContract));
    const done = await stage.get('dap', wanted);
    r.progress.resumed += done.size;
    r.progress.dapSkipped += chunk.length - wanted.length;
    const todo = wanted.filter((id) => !done.has(id));
    r.progress.dapToRead += todo.length;
    const staged: StagedItem[] = [];
    await pool(todo, r.concurrency, stop, async (id) => {
      const seq = await stage.seq();
      try {
        r.progress.requests.partnerCenter++;
        const customer = await r.ms.get(`/v1/customers/${encodeURIComponent(id)}`, schemas.partnerCenterCustomer, { service: 'partnerCenter' });
        staged.push(item('dap', id, { allow: typeof customer.allowDelegatedAccess === 'boolean' ? customer.allowDelegatedAccess : null }, seq));
      } catch (e) {
        if (e instanceof MicrosoftError && (e.status === 401 || e.status === 403)) {
          refused ??= `Partner Center refused (${e.status}): ${e.message}`;
          return;
        }
        if (e instanceof MicrosoftError && e.status === 404) {
          staged.push(item('dap', id, { allow: null }, seq));
          return;
        }
        throw e;
      } finally {
        r.progress.dapRead++;
      }
      // Staged in groups as they come, so an interrupted sync keeps what it read.
      if (staged.length >= BATCH) await stage.put(staged.splice(0));
    });
    if (staged.length) await stage.put(staged.splice(0));
  }
}

/**
 * The members of the partner's AdminAgents and HelpdeskAgents groups: by the ids the ledger holds,
 * else found by display name (https://learn.microsoft.com/graph/api/group-list, `$filter` on
 * displayName; a short list); members by https://learn.microsoft.com/graph/api/group-list-members,
 * a page at a time, keeping only their user principal names.
 */
async function readAgents(r: Reader, partner: PartnerGroups): Promise<StagedAgents | null> {
  const find = async (name: string, known: string | null | undefined): Promise<string | null> => {
    if (known) return known;
    r.progress.requests.graph++;
    const found = await r.ms.all(`/groups?$filter=${encodeURIComponent(`displayName eq '${name}'`)}&$select=id,displayName`, schemas.groupPage);
    return found[0]?.id ?? null;
  };
  const adminGroupId = await find('AdminAgents', partner.adminAgentsGroupId);
  const helpdeskGroupId = await find('HelpdeskAgents', partner.helpdeskAgentsGroupId);
  if (!adminGroupId && !helpdeskGroupId) return null;
  const activated: StagedAgents['activated'] = [];
  let activationsUnread: string | undefined;
  const members = async (id: string | null, group: 'AdminAgents' | 'HelpdeskAgents'): Promise<string[]> => {
    const out: string[] = [];
    if (!id) return out;
    const byId = new Map<string, string>();
    for await (const page of r.ms.pages(`/groups/${encodeURIComponent(id)}/members?$select=id,userPrincipalName,mail`, schemas.directoryObjectPage)) {
      r.progress.requests.graph++;
      for (const m of page) {
        const name = (m.userPrincipalName ?? m.mail ?? '').toLowerCase();
        if (name) {
          out.push(name);
          byId.set(m.id.toLowerCase(), name);
        }
      }
    }
    // Members present only through an activated PIM for Groups assignment are activations, not
    // permanent members: https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-assignmentschedulerequests
    // (the group's requests; a selfActivate Provisioned or Granted, not yet ended, is an activation).
    if (activationsUnread === undefined) {
      try {
        for (const a of await activationsOf(r, id)) {
          const email = byId.get(a.principalId);
          if (email) activated.push({ email, group, until: a.until });
        }
      } catch (e) {
        if (!(e instanceof MicrosoftError) || ![400, 401, 403, 404].includes(e.status)) throw e;
        activationsUnread = `PIM for Groups activations not read (${e.status}): ${e.message}`;
      }
    }
    return out;
  };
  const admin = await members(adminGroupId, 'AdminAgents');
  const helpdesk = await members(helpdeskGroupId, 'HelpdeskAgents');
  return { adminGroupId, helpdeskGroupId, admin, helpdesk, activated, ...(activationsUnread ? { activationsUnread } : {}) };
}

/** A PIM for Groups request's end: scheduleInfo's expiration (an end time, or start plus a duration in hours/minutes/days). */
function requestEnd(req: Record<string, unknown>): number | null {
  const info = req.scheduleInfo as { startDateTime?: string; expiration?: { endDateTime?: string | null; duration?: string | null; type?: string } } | undefined;
  const exp = info?.expiration;
  if (!exp || exp.type === 'noExpiration') return null;
  if (exp.endDateTime) return Date.parse(exp.endDateTime);
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(exp.duration ?? '');
  const start = Date.parse(info?.startDateTime ?? String(req.createdDateTime ?? ''));
  if (!m || Number.isNaN(start)) return null;
  return start + ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000;
}

/** The group's members by activation now (principal id, lower case) and until when: each principal's latest request decides. */
async function activationsOf(r: Reader, groupId: string): Promise<{ principalId: string; until: string | null }[]> {
  const latest = new Map<string, Record<string, unknown>>();
  const path = `/identityGovernance/privilegedAccess/group/assignmentScheduleRequests?$filter=${encodeURIComponent(`groupId eq '${groupId}'`)}`;
  for await (const page of r.ms.pages(path, pimSchemas.scheduleRequestPage)) {
    r.progress.requests.graph++;
    for (const req of page) {
      if (req.accessId && req.accessId !== 'member') continue;
      const who = (req.principalId ?? '').toLowerCase();
      const prev = latest.get(who);
      if (who && (!prev || String(prev.createdDateTime ?? '') <= String(req.createdDateTime ?? ''))) latest.set(who, req);
    }
  }
  const now = Date.now();
  const out: { principalId: string; until: string | null }[] = [];
  for (const [principalId, req] of latest) {
    if (req.action !== 'selfActivate' || !['Provisioned', 'Granted'].includes(String(req.status))) continue;
    const end = requestEnd(req);
    if (end !== null && end <= now) continue;
    out.push({ principalId, until: end === null ? null : new Date(end).toISOString() });
  }
  return out;
}

function relationshipOf(r: schemas.Relationship): MsRelationship {
  return {
    id: r.id,
    displayName: r.displayName,
    status: r.status,
    duration: r.duration,
    autoExtendDuration: r.autoExtendDuration,
    customer: r.customer,
    accessDetails: r.accessDetails,
    createdDateTime: r.createdDateTime,
    activatedDateTime: r.activatedDateTime,
    endDateTime: r.endDateTime,
    lastModifiedDateTime: r.lastModifiedDateTime,
    '@odata.etag': r['@odata.etag'],
  };
}

function contractOf(c: { customerId: string; defaultDomainName?: string | null; displayName?: string | null }): MsContract {
  return { customerId: c.customerId, defaultDomainName: c.defaultDomainName, displayName: c.displayName };
}
