/**
 * What a sync reads every time and what only when it may have changed (SPEC.md "Sync at partner
 * scale"): every sync reads the whole relationship list and the contracts. Graph has no delta query
 * for either: in Microsoft's v1.0 metadata (../shared/microsoft/graph-v1.0-metadata.xml) no `delta`
 * function is bound to delegatedAdminRelationship or contract (it is to group, user and 28 others;
 * https://learn.microsoft.com/graph/delta-query-overview). A relationship's access assignments are read again when
 * its ETag changed since they were read, when any of them is not `active`, when an intent on it was
 * resolved, or when they were read more than seven days ago. Partner Center's per-customer read is
 * made for customers the ledger lacks, and for those whose DAP the ledger holds as active when it was
 * last read more than seven days ago; `--full` reads everything.
 */
import type { Session } from '../core/session.js';
import type { MsRelationship } from '../relationship/microsoft.js';
import type { Stage } from './stage.js';
import type { MsContract } from './types.js';

export const REREAD_MS = 7 * 24 * 60 * 60 * 1000;

export interface AssignmentsRead {
  assignmentsEtag: string | null;
  assignmentsReadAt: string | null;
  unsettled: boolean;
}

/** Whether a relationship's access assignments are read again. */
export function readAssignmentsAgain(m: MsRelationship, last: AssignmentsRead | undefined, o: { full: boolean; now: number; resolved: ReadonlySet<string> }): boolean {
  if (o.full || !last || !last.assignmentsReadAt || o.resolved.has(m.id.toLowerCase()) || o.resolved.has(m.displayName.toLowerCase())) return true;
  if (last.unsettled) return true;
  if ((m['@odata.etag'] ?? null) !== last.assignmentsEtag || last.assignmentsEtag === null) return true;
  return o.now - Date.parse(last.assignmentsReadAt) > REREAD_MS;
}

/** Whether a customer is read at Partner Center. */
export function readDapAgain(client: { dapActive: boolean; dapReadAt: string | null } | undefined, o: { full: boolean; now: number }): boolean {
  if (o.full || !client) return true;
  if (!client.dapActive) return false;
  return !client.dapReadAt || o.now - Date.parse(client.dapReadAt) > REREAD_MS;
}

/** What the reads ask the ledger and the stage (src/microsoft/tenant.ts drives them). */
export interface ReadPlan {
  full: boolean;
  stage: Stage;
  /** Of a page of relationships (the ones with access assignments), those whose assignments are read. */
  assignmentsToRead(page: readonly MsRelationship[]): Promise<string[]>;
  /** Of a page of contracts, the customers (lower-case tenant ids) read at Partner Center. */
  dapToRead(page: readonly MsContract[]): Promise<string[]>;
}

/** The plan over the session's ledger. `resolved`: targets (lower case: a relationship's id or display name) of intents recovered just before. */
export function readPlan(s: Session, stage: Stage, o: { full: boolean; resolved: ReadonlySet<string> }): ReadPlan {
  const now = () => s.clock.now().getTime();
  return {
    full: o.full,
    stage,
    async assignmentsToRead(page) {
      if (page.length === 0) return [];
      const last = await s.store.read((tx) => tx.sync.relationshipReads(page.map((m) => m.id)));
      const t = now();
      return page.filter((m) => readAssignmentsAgain(m, last.get(m.id), { full: o.full, now: t, resolved: o.resolved })).map((m) => m.id);
    },
    async dapToRead(page) {
      if (page.length === 0) return [];
      const ids = page.map((c) => c.customerId.toLowerCase());
      const known = await s.store.read((tx) => tx.sync.clientReads(ids));
      const t = now();
      return ids.filter((id) => readDapAgain(known.get(id), { full: o.full, now: t }));
    },
  };
}
