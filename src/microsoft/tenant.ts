/**
 * What `delegate sync` reads from Microsoft, all before anything is written (a failure here
 * leaves the ledger as it was). Each request cites the page it follows. Every answer is checked
 * against its documented shape (schemas.ts): a read that fails or does not fit ends the sync with
 * that error, never an empty list (nobody loses access because a page was cut). The partner-scale
 * lists (relationships, contracts, group members) are read a page at a time, keeping only what the
 * snapshot needs.
 */
import type { MsAssignment, MsContract, MsRelationship, SyncPart, TenantSnapshot } from '../domain/client/sync.js';
import type { MicrosoftClient } from './client.js';
import { MicrosoftError } from './errors.js';
import * as schemas from './schemas.js';

const RELATIONSHIPS = '/tenantRelationships/delegatedAdminRelationships';
/** Statuses whose access assignments are read (the others have none worth recording). */
const WITH_ASSIGNMENTS = new Set(['active', 'expiring']);

export interface PartnerGroups {
  adminAgentsGroupId?: string | null;
  helpdeskAgentsGroupId?: string | null;
}

export async function readTenant(ms: MicrosoftClient, parts: readonly SyncPart[], partner: PartnerGroups): Promise<TenantSnapshot> {
  const snap: TenantSnapshot = { parts, relationships: [], assignments: new Map(), contracts: [], dap: null, agents: null };
  if (parts.includes('relationships')) {
    // https://learn.microsoft.com/graph/api/tenantrelationship-list-delegatedadminrelationships (paged, @odata.nextLink;
    // the list may hold resellerDelegatedAdminRelationship items, which are relationships too).
    for await (const page of ms.pages(RELATIONSHIPS, schemas.relationshipPage)) snap.relationships.push(...page.map(relationshipOf));
    await readAssignments(ms, snap);
  }
  if (parts.includes('clients') || parts.includes('relationships')) {
    // https://learn.microsoft.com/graph/api/contract-list; fields per https://learn.microsoft.com/graph/api/resources/contract
    // (customerId; defaultDomainName and displayName are copies made when the partnership was established).
    for await (const page of ms.pages('/contracts', schemas.contractPage)) {
      snap.contracts.push(...page.map((c): MsContract => ({ customerId: c.customerId, defaultDomainName: c.defaultDomainName, displayName: c.displayName })));
    }
  }
  if (parts.includes('clients')) await readDap(ms, snap);
  if (parts.includes('users')) snap.agents = await readAgents(ms, partner);
  return snap;
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

/**
 * https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments, the first page of each
 * in `$batch`es of 20, the pages after it one by one; the group is accessContainer.accessContainerId
 * (https://learn.microsoft.com/graph/api/resources/delegatedadminaccesscontainer). A part that failed is the
 * sync's error (its relationships' access would be read as none).
 */
async function readAssignments(ms: MicrosoftClient, snap: TenantSnapshot): Promise<void> {
  const active = snap.relationships.filter((r) => WITH_ASSIGNMENTS.has(r.status));
  const parts = active.map((r) => ({ method: 'GET' as const, path: `${RELATIONSHIPS}/${encodeURIComponent(r.id)}/accessAssignments`, schema: schemas.accessAssignmentPage }));
  const outcomes = await ms.batch(parts);
  for (const [i, o] of outcomes.entries()) {
    if (!o.ok) throw o.error ?? new Error(`GET ${parts[i]!.path} was not sent`);
    const kept: MsAssignment[] = [];
    // A read's answer always has a body (client.ts); its next pages follow.
    for await (const page of ms.pages(parts[i]!.path, schemas.accessAssignmentPage, { first: o.body })) {
      for (const a of page) {
        if (a.status === 'active' || a.status === 'pending') kept.push({ id: a.id, status: a.status, accessContainer: a.accessContainer, accessDetails: a.accessDetails });
      }
    }
    snap.assignments.set(active[i]!.id, kept);
  }
}

/**
 * Partner Center's GET /v1/customers/{id} (https://learn.microsoft.com/partner-center/developer/get-a-customer-by-id):
 * `allowDelegatedAccess` is given only by id, so one request per customer. Refused (401/403, as for an
 * app-only sign-in) is "not reached": DAP is left as it is, and the output says so.
 */
async function readDap(ms: MicrosoftClient, snap: TenantSnapshot): Promise<void> {
  const dap = new Map<string, boolean>();
  for (const c of snap.contracts) {
    try {
      const customer = await ms.get(`/v1/customers/${encodeURIComponent(c.customerId)}`, schemas.partnerCenterCustomer, { service: 'partnerCenter' });
      if (typeof customer.allowDelegatedAccess === 'boolean') dap.set(c.customerId.toLowerCase(), customer.allowDelegatedAccess);
    } catch (e) {
      if (e instanceof MicrosoftError && (e.status === 401 || e.status === 403)) {
        snap.dapSkipped = `Partner Center refused (${e.status}): ${e.message}`;
        return;
      }
      if (e instanceof MicrosoftError && e.status === 404) continue;
      throw e;
    }
  }
  snap.dap = dap;
}

/**
 * The members of the partner's AdminAgents and HelpdeskAgents groups: by the ids the ledger holds,
 * else found by display name (https://learn.microsoft.com/graph/api/group-list, `$filter` on
 * displayName; a short list); members by https://learn.microsoft.com/graph/api/group-list-members,
 * a page at a time, keeping only their user principal names.
 */
async function readAgents(ms: MicrosoftClient, partner: PartnerGroups): Promise<TenantSnapshot['agents']> {
  const find = async (name: string, known: string | null | undefined): Promise<string | null> => {
    if (known) return known;
    const found = await ms.all(`/groups?$filter=${encodeURIComponent(`displayName eq '${name}'`)}&$select=id,displayName`, schemas.groupPage);
    return found[0]?.id ?? null;
  };
  const adminGroupId = await find('AdminAgents', partner.adminAgentsGroupId);
  const helpdeskGroupId = await find('HelpdeskAgents', partner.helpdeskAgentsGroupId);
  if (!adminGroupId && !helpdeskGroupId) return null;
  const members = async (id: string | null): Promise<string[]> => {
    const out: string[] = [];
    if (!id) return out;
    for await (const page of ms.pages(`/groups/${encodeURIComponent(id)}/members?$select=id,userPrincipalName,mail`, schemas.directoryObjectPage)) {
      for (const m of page) {
        const name = (m.userPrincipalName ?? m.mail ?? '').toLowerCase();
        if (name) out.push(name);
      }
    }
    return out;
  };
  return { adminGroupId, helpdeskGroupId, admin: await members(adminGroupId), helpdesk: await members(helpdeskGroupId) };
}
