/**
 * What `delegate sync` reads from Microsoft, all before anything is written (a failure here
 * leaves the ledger as it was). Each request cites the page it follows.
 */
import type { MsAssignment, MsContract, MsRelationship, SyncPart, TenantSnapshot } from '../domain/client/sync.js';
import type { MicrosoftClient } from './client.js';
import { MicrosoftError } from './errors.js';

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
    // https://learn.microsoft.com/graph/api/tenantrelationship-list-delegatedadminrelationships (paged, @odata.nextLink).
    snap.relationships = await ms.all<MsRelationship>(RELATIONSHIPS);
    // https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments, in $batches of 20; the group is
    // accessContainer.accessContainerId (https://learn.microsoft.com/graph/api/resources/delegatedadminaccesscontainer).
    const active = snap.relationships.filter((r) => WITH_ASSIGNMENTS.has(r.status));
    const outcomes = await ms.batch<{ value?: MsAssignment[] }>(active.map((r) => ({ method: 'GET', path: `${RELATIONSHIPS}/${encodeURIComponent(r.id)}/accessAssignments` })));
    outcomes.forEach((o, i) => {
      if (!o.ok) throw o.error;
      snap.assignments.set(active[i]!.id, (o.body?.value ?? []).filter((a) => a.status === undefined || a.status === 'active' || a.status === 'pending'));
    });
  }
  if (parts.includes('clients') || parts.includes('relationships')) {
    // https://learn.microsoft.com/graph/api/contract-list; fields per https://learn.microsoft.com/graph/api/resources/contract
    // (customerId; defaultDomainName and displayName are copies made when the partnership was established).
    snap.contracts = await ms.all<MsContract>('/contracts');
  }
  if (parts.includes('clients')) await readDap(ms, snap);
  if (parts.includes('users')) snap.agents = await readAgents(ms, partner);
  return snap;
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
      const customer = await ms.request<{ allowDelegatedAccess?: boolean }>({ service: 'partnerCenter', method: 'GET', path: `/v1/customers/${encodeURIComponent(c.customerId)}` });
      if (typeof customer.body?.allowDelegatedAccess === 'boolean') dap.set(c.customerId.toLowerCase(), customer.body.allowDelegatedAccess);
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
 * displayName); members by https://learn.microsoft.com/graph/api/group-list-members.
 */
async function readAgents(ms: MicrosoftClient, partner: PartnerGroups): Promise<TenantSnapshot['agents']> {
  const find = async (name: string, known: string | null | undefined): Promise<string | null> => {
    if (known) return known;
    const found = await ms.all<{ id: string }>(`/groups?$filter=${encodeURIComponent(`displayName eq '${name}'`)}&$select=id,displayName`);
    return found[0]?.id ?? null;
  };
  const adminGroupId = await find('AdminAgents', partner.adminAgentsGroupId);
  const helpdeskGroupId = await find('HelpdeskAgents', partner.helpdeskAgentsGroupId);
  if (!adminGroupId && !helpdeskGroupId) return null;
  const members = async (id: string | null): Promise<string[]> => {
    if (!id) return [];
    const list = await ms.all<{ userPrincipalName?: string | null; mail?: string | null }>(`/groups/${encodeURIComponent(id)}/members?$select=id,userPrincipalName,mail`);
    return list.map((u) => (u.userPrincipalName ?? u.mail ?? '').toLowerCase()).filter(Boolean);
  };
  return { adminGroupId, helpdeskGroupId, admin: await members(adminGroupId), helpdesk: await members(helpdeskGroupId) };
}
