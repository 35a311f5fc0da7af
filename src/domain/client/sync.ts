/**
 * `delegate sync`: reconcile the ledger with what Microsoft reports (SPEC.md "Live mode").
 * The reads happen first (src/microsoft/tenant.ts fills a TenantSnapshot); this module decides
 * and writes everything in one transaction, or with `dryRun` writes nothing.
 *
 * Rules (docs/live-mode.md "First sync"):
 * - A Microsoft relationship is the ledger's when it has the same id, else the same display name
 *   ("must be unique across all delegated admin relationships of the partner",
 *   https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship): a draft id made
 *   offline is replaced with Microsoft's. One the ledger lacks is added, with an offer record
 *   `createdBy` the acting user (every relationship in the ledger belongs to an offer).
 * - Its customer (`customer.tenantId`) is the client, matched by tenant id; a new client's key is
 *   its `defaultDomainName` in GET /contracts, else its tenant id (and its name the customer's
 *   display name) until a domain is known.
 * - Graph's statuses map onto the ledger's: created, approvalPending, approved, activating ->
 *   approvalPending; active, expiring -> active; expired -> active with Microsoft's end and no
 *   auto-extension (so it reads as expired); terminationRequested, terminating, terminated ->
 *   terminated (Microsoft has been asked to end it; its end is Microsoft's endDateTime).
 * - Ledger relationships Microsoft does not list are kept as they are and listed as
 *   `notAtMicrosoft` (an offline draft never sent stays a draft): sync ends nothing on absence.
 * - Partner Center's `allowDelegatedAccess: false` for a ledger client with an active DAP
 *   relationship ends it; customers with DAP the ledger lacks are listed, not added.
 * - Membership of the AdminAgents group is full admin access, of HelpdeskAgents limited, of
 *   neither none (https://learn.microsoft.com/partner-center/account-settings/permissions-overview,
 *   not confirmed on a page found here; see docs/live-mode.md). Members who are not partner users in the
 *   ledger are listed, not added.
 */
import type { Tx } from '../core/store.js';
import { appendAudit } from '../core/audit.js';
import type { AdminAccess, ClientRecord, Partner, Relationship, RelationshipStoredStatus } from '../core/model.js';
import { granularOfferRecord } from '../offer/granular-offers.js';
import { recordOnboarding, templateAssignments } from '../access/assignments.js';
import { roleName } from '../relationship/roles.js';
import { nowIso, requirePartner, resolveActor, may, writeAudited, type Session } from '../core/session.js';

export const SYNC_PARTS = ['clients', 'relationships', 'users'] as const;
export type SyncPart = (typeof SYNC_PARTS)[number];

/** A delegatedAdminRelationship as Graph returns it (the fields sync reads). */
export interface MsRelationship {
  id: string;
  displayName: string;
  status: string;
  duration: string;
  autoExtendDuration?: string | null;
  customer?: { tenantId?: string | null; displayName?: string | null } | null;
  accessDetails?: { unifiedRoles?: { roleDefinitionId: string }[] } | null;
  createdDateTime?: string | null;
  activatedDateTime?: string | null;
  endDateTime?: string | null;
  lastModifiedDateTime?: string | null;
  '@odata.etag'?: string | null;
}

/** A delegatedAdminAccessAssignment: a security group of the partner and its roles. */
export interface MsAssignment {
  /** Its id, which a request to change or delete it names. */
  id?: string;
  accessContainer?: { accessContainerId?: string; accessContainerType?: string } | null;
  accessDetails?: { unifiedRoles?: { roleDefinitionId: string }[] } | null;
  status?: string;
}

/** A contract (GET /contracts): one customer of the partner. */
export interface MsContract {
  customerId: string;
  defaultDomainName?: string | null;
  displayName?: string | null;
}

export interface TenantSnapshot {
  parts: readonly SyncPart[];
  relationships: MsRelationship[];
  /** Access assignments by relationship id (active relationships only). */
  assignments: Map<string, MsAssignment[]>;
  contracts: MsContract[];
  /** Partner Center's allowDelegatedAccess by customer tenant id (lower case); null when Partner Center was not reached. */
  dap: Map<string, boolean> | null;
  /** Why Partner Center was not reached, when it was not. */
  dapSkipped?: string;
  /** Members (user principal names, lower case) of the agent groups; null when the users part is not synced. */
  agents: { adminGroupId: string | null; helpdeskGroupId: string | null; admin: string[]; helpdesk: string[] } | null;
}

export type ChangeKind = 'added' | 'changed' | 'ended';

export interface SyncChange {
  kind: ChangeKind;
  what: 'relationship' | 'client' | 'dap' | 'user' | 'assignment' | 'partner';
  /** The relationship's display name, the client's key, the user's email. */
  target: string;
  detail: string;
}

export interface SyncResult {
  dryRun: boolean;
  changes: SyncChange[];
  /** Ledger relationships Microsoft did not list (kept as they are). */
  notAtMicrosoft: string[];
  /** Agent group members that are not partner users in the ledger. */
  unknownMembers: string[];
  /** Customers with DAP at Partner Center that the ledger does not hold. */
  dapNotInLedger: string[];
  notes: string[];
  counts: { added: number; changed: number; ended: number };
}

const PENDING = new Set(['created', 'approvalPending', 'approved', 'activating']);
const ENDING = new Set(['terminationRequested', 'terminating', 'terminated']);

/** Graph's status as the ledger stores it (the module comment gives the mapping). */
export function storedStatus(status: string): RelationshipStoredStatus {
  if (PENDING.has(status)) return 'approvalPending';
  if (ENDING.has(status)) return 'terminated';
  return 'active';
}

function roleIds(m: { accessDetails?: MsRelationship['accessDetails'] }): string[] {
  return (m.accessDetails?.unifiedRoles ?? []).map((r) => r.roleDefinitionId.toLowerCase()).sort();
}

/** The ledger's relationship as Microsoft reports it, keeping what Microsoft does not say. */
export function fromMicrosoft(m: MsRelationship, base: Relationship, clientDomain: string | null, at: string): Relationship {
  const status = storedStatus(m.status);
  const expired = m.status === 'expired';
  const roles = roleIds(m);
  return {
    ...base,
    id: m.id,
    displayName: m.displayName,
    duration: m.duration || base.duration,
    autoExtendDuration: expired ? 'PT0S' : m.autoExtendDuration === 'P180D' ? 'P180D' : 'PT0S',
    roles: roles.length ? roles : base.roles,
    status,
    activatedAt: m.activatedDateTime ?? (status === 'approvalPending' ? null : base.activatedAt),
    endsAt: m.endDateTime ?? base.endsAt,
    terminatedAt: status === 'terminated' ? (m.endDateTime ?? m.lastModifiedDateTime ?? base.terminatedAt ?? at) : null,
    clientDomain: status === 'approvalPending' ? base.clientDomain : clientDomain,
    // Graph's own status, kept as Microsoft said it (relationshipState shows it), and the ETag.
    msStatus: m.status,
    etag: m['@odata.etag'] ?? base.etag ?? null,
  };
}

function describe(r: Relationship): string {
  return `${r.msStatus ?? r.status}${r.clientDomain ? ` with ${r.clientDomain}` : ''}`;
}

/** A relationship as sync compares it: a new ETag alone is no change to report. */
const compared = (r: Relationship) => JSON.stringify({ ...r, etag: undefined });

/**
 * Before anything is sent: the partner exists (3) and the actor may sync (4, audited once).
 * Returns what the reads need from the partner.
 */
export async function prepareSync(s: Session): Promise<Pick<Partner, 'cloud' | 'adminAgentsGroupId' | 'helpdeskAgentsGroupId'>> {
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    may.fullOrGlobalAdmin(await resolveActor(tx, s), 'sync', partner.tenantId, 'sync the ledger with Microsoft');
    return { cloud: partner.cloud, adminAgentsGroupId: partner.adminAgentsGroupId ?? null, helpdeskAgentsGroupId: partner.helpdeskAgentsGroupId ?? null };
  });
}

/** What sync does with the ledger; dry-run reads only. Microsoft was read before (the snapshot). */
export async function syncLedger(s: Session, snap: TenantSnapshot, opts: { dryRun: boolean }): Promise<SyncResult> {
  const run = (tx: Tx) => reconcile(tx, s, snap, opts.dryRun);
  return opts.dryRun ? s.store.read(run) : writeAudited(s, run);
}

async function reconcile(tx: Tx, s: Session, snap: TenantSnapshot, dryRun: boolean): Promise<SyncResult> {
  const partner = await requirePartner(tx);
  const actor = await resolveActor(tx, s);
  may.fullOrGlobalAdmin(actor, 'sync', partner.tenantId, 'sync the ledger with Microsoft');
  const at = nowIso(s);
  const out: SyncResult = { dryRun, changes: [], notAtMicrosoft: [], unknownMembers: [], dapNotInLedger: [], notes: [], counts: { added: 0, changed: 0, ended: 0 } };
  const change = (c: SyncChange) => out.changes.push(c);
  const write = dryRun ? async () => {} : async (f: () => Promise<unknown>) => void (await f());

  const contracts = new Map(snap.contracts.map((c) => [c.customerId.toLowerCase(), c]));
  // Clients created in this run, by tenant id (a dry run cannot read them back).
  const made = new Map<string, ClientRecord>();
  const clientFor = async (tenantId: string, fallbackName: string | null | undefined, rel: Relationship): Promise<ClientRecord> => {
    const key = tenantId.toLowerCase();
    const known = made.get(key) ?? (await tx.clientByTenant(key));
    if (known) return known;
    const contract = contracts.get(key);
    let domain = contract?.defaultDomainName?.toLowerCase() || key;
    let byDomain = await tx.getClient(domain);
    // A ledger client under that domain with another tenant id is another organization: this one goes under its tenant id.
    if (byDomain?.tenantId && byDomain.tenantId.toLowerCase() !== key) {
      domain = key;
      byDomain = await tx.getClient(domain);
    }
    const acceptedAt = rel.activatedAt ?? at;
    const c: ClientRecord = byDomain
      ? { ...byDomain, tenantId: key }
      : { domain, name: contract?.displayName || fallbackName || domain, tenantId: key, offerId: rel.offerId, acceptedAt, dap: null, gdap: [] };
    made.set(key, c);
    await write(() => tx.upsertClient(c));
    if (!byDomain) {
      await write(() => tx.recordAcceptance({ offerId: rel.offerId, clientDomain: domain, at: acceptedAt, recordedBy: actor.email }));
      change({ kind: 'added', what: 'client', target: domain, detail: domain === key ? `${c.name} (no domain in GET /contracts: recorded under its tenant id)` : c.name });
    } else if (!byDomain.tenantId) change({ kind: 'changed', what: 'client', target: domain, detail: `tenant id ${key}` });
    return c;
  };

  if (snap.parts.includes('relationships')) {
    const ledger = await tx.listRelationships();
    const byId = new Map(ledger.map((r) => [r.id.toLowerCase(), r]));
    const byName = new Map(ledger.map((r) => [r.displayName.toLowerCase(), r]));
    const seen = new Set<string>();
    const groups = await tx.listGroups();
    const groupByObjectId = new Map(groups.filter((g) => g.objectId).map((g) => [g.objectId!.toLowerCase(), g.name]));
    for (const m of snap.relationships) {
      const mine = byId.get(m.id.toLowerCase()) ?? byName.get(m.displayName.toLowerCase());
      let base: Relationship;
      if (mine) {
        seen.add(mine.id);
        base = mine;
      } else {
        const offer = granularOfferRecord(m.createdDateTime ?? at, actor.email);
        base = {
          id: m.id,
          offerId: offer.id,
          displayName: m.displayName,
          duration: m.duration,
          autoExtendDuration: 'PT0S',
          roles: [],
          status: 'approvalPending',
          createdAt: m.createdDateTime ?? at,
          activatedAt: null,
          endsAt: null,
          terminatedAt: null,
          clientDomain: null,
          template: null,
        };
        await write(async () => {
          await tx.insertOffer(offer);
          await tx.insertRelationship(base);
        });
      }
      const tenantId = m.customer?.tenantId ?? null;
      let clientDomain = base.clientDomain;
      const approved = storedStatus(m.status) !== 'approvalPending';
      if (approved && tenantId) clientDomain = (await clientFor(tenantId, m.customer?.displayName, { ...base, activatedAt: m.activatedDateTime ?? base.activatedAt })).domain;
      const next = fromMicrosoft(m, base, clientDomain, at);
      const was = mine ? describe(mine) : undefined;
      if (!mine) {
        change({ kind: next.status === 'terminated' ? 'ended' : 'added', what: 'relationship', target: next.displayName, detail: `created elsewhere: ${describe(next)} (id ${next.id})` });
      } else if (compared(mine) !== compared(next)) {
        const ended = mine.status !== 'terminated' && next.status === 'terminated';
        const parts: string[] = [];
        if (mine.id !== next.id) parts.push(`id ${mine.id} -> ${next.id} (Microsoft's)`);
        if (describe(mine) !== describe(next)) parts.push(`${was} -> ${describe(next)}`);
        if (parts.length === 0) parts.push('dates and settings as Microsoft has them');
        change({ kind: ended ? 'ended' : 'changed', what: 'relationship', target: next.displayName, detail: parts.join('; ') });
      }
      const held = mine ? await tx.listAssignments(base.id) : [];
      await write(() => tx.replaceRelationship(base.id, next));
      // Onboarding: approved at Microsoft, a relationship made from a template gets its group assignments here.
      if (mine?.status === 'approvalPending' && next.status === 'active' && next.template && next.clientDomain) {
        const wanted = (await templateAssignments(tx, next, at)).filter((a) => !(snap.assignments.get(m.id) ?? []).some((x) => groupByObjectId.get(x.accessContainer?.accessContainerId?.toLowerCase() ?? '') === a.group));
        for (const a of wanted) change({ kind: 'added', what: 'assignment', target: `${next.displayName}/${a.group}`, detail: `${a.roles.length} role${a.roles.length === 1 ? '' : 's'}, from template ${next.template}` });
        if (!dryRun) held.push(...(await recordOnboarding(tx, s.clock, actor.email, next.clientDomain, next.template, wanted, 'seen approved by sync')));
        if (wanted.length) {
          out.notes.push(
            `"${next.displayName}" became active: template ${next.template}'s group assignments are recorded in the ledger; sync reads Microsoft and does not write to it, so create them there with ${wanted.map((a) => `\`delegate client assign ${next.clientDomain} --group "${a.group}" --roles "${a.roles.map(roleName).join(',')}" --plan\``).join(', ')}`,
          );
        }
      }
      for (const a of snap.assignments.get(m.id) ?? []) {
        const objectId = a.accessContainer?.accessContainerId?.toLowerCase();
        const group = objectId ? groupByObjectId.get(objectId) : undefined;
        if (!group) {
          out.notes.push(`"${next.displayName}" has an access assignment for group ${objectId ?? '(none)'}, which the ledger does not know (\`delegate group create <name> --object-id <id>\`)`);
          continue;
        }
        const roles = roleIds(a);
        const current = held.find((x) => x.group === group);
        const microsoftId = a.id ?? null;
        if (current && JSON.stringify([...current.roles].sort()) === JSON.stringify(roles)) {
          // Same roles: only Microsoft's id may be news (kept so `client unassign` can name it).
          if (microsoftId && current.microsoftId !== microsoftId) await write(() => tx.upsertAssignment({ ...current, relationshipId: next.id, microsoftId }));
          continue;
        }
        change({ kind: current ? 'changed' : 'added', what: 'assignment', target: `${next.displayName}/${group}`, detail: `${roles.length} role${roles.length === 1 ? '' : 's'}` });
        await write(() => tx.upsertAssignment({ relationshipId: next.id, group, roles, createdAt: current?.createdAt ?? at, microsoftId }));
      }
    }
    for (const r of ledger) if (!seen.has(r.id)) out.notAtMicrosoft.push(`${r.displayName} (${describe(r)}; kept as it is)`);
  }

  if (snap.parts.includes('clients')) {
    for (const c of snap.contracts) {
      const key = c.customerId.toLowerCase();
      const client = made.get(key) ?? (await tx.clientByTenant(key));
      const hasDap = snap.dap?.get(key);
      if (!client) {
        if (hasDap) out.dapNotInLedger.push(`${c.defaultDomainName || key} (${c.displayName ?? ''})`);
        continue;
      }
      if (c.displayName && client.name === client.domain && c.displayName !== client.name) {
        change({ kind: 'changed', what: 'client', target: client.domain, detail: `name "${c.displayName}"` });
        await write(() => tx.upsertClient({ ...client, name: c.displayName! }));
      }
      if (hasDap === false && client.dap && client.dap.removedAt === null) {
        change({ kind: 'ended', what: 'dap', target: client.domain, detail: 'Partner Center says delegated admin (DAP) access is no longer allowed' });
        await write(() => tx.upsertClient({ ...client, dap: { ...client.dap!, removedAt: at } }));
      }
    }
    if (snap.dap === null && snap.dapSkipped) out.notes.push(`DAP not checked: ${snap.dapSkipped}`);
  }

  if (snap.parts.includes('users') && snap.agents) {
    const g = snap.agents;
    if ((g.adminGroupId && g.adminGroupId !== partner.adminAgentsGroupId) || (g.helpdeskGroupId && g.helpdeskGroupId !== partner.helpdeskAgentsGroupId)) {
      change({ kind: 'changed', what: 'partner', target: partner.tenantId, detail: `agent group ids: AdminAgents ${g.adminGroupId ?? '-'}, HelpdeskAgents ${g.helpdeskGroupId ?? '-'}` });
      await write(() => tx.updatePartner({ ...partner, adminAgentsGroupId: g.adminGroupId ?? partner.adminAgentsGroupId ?? null, helpdeskAgentsGroupId: g.helpdeskGroupId ?? partner.helpdeskAgentsGroupId ?? null }));
    }
    const admin = new Set(g.admin);
    const helpdesk = new Set(g.helpdesk);
    const users = await tx.listUsers({});
    const known = new Set(users.map((u) => u.email));
    const updates: { email: string; adminAccess: AdminAccess }[] = [];
    for (const u of users) {
      const access: AdminAccess = admin.has(u.email) ? 'full' : helpdesk.has(u.email) ? 'limited' : 'none';
      if (access === u.adminAccess) continue;
      updates.push({ email: u.email, adminAccess: access });
      change({ kind: 'changed', what: 'user', target: u.email, detail: `admin access ${u.adminAccess} -> ${access}` });
    }
    await write(() => tx.setAdminAccess(updates));
    out.unknownMembers = [...new Set([...g.admin, ...g.helpdesk])].filter((e) => !known.has(e)).sort();
  }

  for (const c of out.changes) out.counts[c.kind]++;
  if (!dryRun) {
    const n = out.counts;
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'sync',
      target: partner.tenantId,
      outcome: 'allowed',
      detail: `${n.added} added, ${n.changed} changed, ${n.ended} ended (${snap.parts.join(', ')})`,
    });
  }
  return out;
}
