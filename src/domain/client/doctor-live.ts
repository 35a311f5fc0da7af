/**
 * `delegate doctor --live [<domain>...]` (SPEC.md "Access: who can do what, and why not"): reads at Microsoft
 * what the ledger's checks rest on and reports what the ledger does not know: access assignments stuck
 * `pending` or in `error`, groups assigned at Microsoft the ledger lacks, security groups deleted at
 * Microsoft, members (transitive: nested groups count) added or removed elsewhere, PIM eligibility made
 * elsewhere or missing. Reading only: it changes nothing and audits nothing. A client whose relationships
 * all ended is `info`; a read Microsoft refuses is a finding that says to sign in (with the roles it needs).
 */
import { quoteArg as q } from '../access/groups.js';
import type { ClientRecord, Group, Relationship } from '../core/model.js';
import type { Eligibility } from '../core/pim.js';
import { isActivated } from '../core/pim.js';
import { requirePartner, type Session } from '../core/session.js';
import * as v from '../core/validate.js';
import type { Microsoft } from '../plan/decision.js';
import type { Found } from '../plan/intent.js';
import { assignmentsRead, groupEligibilityRead, groupRead, transitiveMembersRead, userByIdRead } from '../plan/pim-requests.js';
import { clientSummary } from '../relationship/relationships.js';
import { roleName } from '../relationship/roles.js';
import { doctorClients, ENDED, type Check, type Finding, type Severity } from './doctor.js';

type Item = Record<string, unknown>;
const list = (f: Found): Item[] => (f.read === 'ok' && Array.isArray((f.body as { value?: unknown })?.value) ? ((f.body as { value: Item[] }).value) : []);
const lower = (x: unknown) => String(x ?? '').toLowerCase();
/** PIM schedule request statuses that stand (resources/privilegedaccessschedule). */
const STANDING = new Set(['provisioned', 'granted', 'schedulecreated']);

/** What doctor --live reads of the ledger, once, before any request. */
interface Snapshot {
  cloud: 'global' | 'china';
  partnerName: string;
  /** Each relationship Microsoft knows (msStatus), with its client and whether that client is offboarded. */
  relationships: { client: ClientRecord; r: Relationship; ended: boolean; assigned: { group: string; roles: string[]; groupId: string | null }[] }[];
  groups: Group[];
  eligible: Eligibility[];
}

async function snapshot(s: Session, domainsIn: readonly string[]): Promise<Snapshot> {
  const refs = domainsIn.map((d) => v.clientRef(d));
  return s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const clients = await doctorClients(tx, refs);
    const groups = await tx.listGroups();
    const byName = new Map(groups.map((g) => [g.name.toLowerCase(), g]));
    const now = s.clock.now();
    const relationships: Snapshot['relationships'] = [];
    for (const c of clients) {
      const ended = ENDED.has(clientSummary(c, now).status);
      for (const r of c.gdap) {
        if (!r.msStatus) continue; // an offline draft: nothing at Microsoft to read
        const assigned = (await tx.listAssignments(r.id)).map((a) => ({ group: a.group, roles: a.roles, groupId: byName.get(a.group.toLowerCase())?.objectId ?? null }));
        relationships.push({ client: c, r, ended, assigned });
      }
    }
    return { cloud: partner.cloud, partnerName: partner.name, relationships, groups, eligible: await tx.pim.listEligibilities() };
  });
}

/** What Microsoft holds that the ledger does not know, for the named clients (every client when none is named). */
export async function doctorLive(s: Session, domainsIn: readonly string[], ms: Pick<Microsoft, 'read'>): Promise<Finding[]> {
  const snap = await snapshot(s, domainsIn);
  const now = s.clock.now();
  const out: Finding[] = [];
  const add = (client: string | null, check: Check, severity: Severity, message: string, fix: string | null) => out.push({ client, check, severity, message, fix });
  const read = (url: string) => ms.read(url, {});
  const refused = (client: string | null, what: string, f: Found & { read: 'forbidden' }, needs: string) =>
    add(client, 'unread', 'warning', `could not read ${what} at Microsoft (${f.message.replace(/\s+/g, ' ').slice(0, 200)}): it needs ${needs}`, 'delegate login');
  // Groups to check: those assigned on the relationships read (every group with an object id when no client is named).
  const groupIds = new Map<string, { ended: boolean }>();
  for (const { client, r, ended, assigned } of snap.relationships) {
    const name = `granular relationship "${r.displayName}"`;
    const sev = (s: Severity): Severity => (ended ? 'info' : s);
    for (const a of assigned) if (a.groupId) groupIds.set(a.groupId.toLowerCase(), { ended: ended && (groupIds.get(a.groupId.toLowerCase())?.ended ?? true) });
    const f = await read(String(assignmentsRead(snap.cloud, 'assignments', r.id).url));
    if (f.read === 'forbidden') {
      refused(client.domain, `the access assignments of ${name}`, f, 'a sign-in with DelegatedAdminRelationship.Read.All');
      continue;
    }
    if (f.read === 'absent') {
      add(client.domain, 'assignment-status', sev('warning'), `${name} is not at Microsoft any more`, 'delegate sync');
      continue;
    }
    const byGroup = new Map(assigned.filter((a) => a.groupId).map((a) => [a.groupId!.toLowerCase(), a]));
    for (const item of list(f)) {
      const gid = lower((item.accessContainer as { accessContainerId?: string } | undefined)?.accessContainerId);
      const status = String(item.status ?? '');
      const mine = byGroup.get(gid);
      const label = mine ? `group ${mine.group}` : `group ${gid}`;
      if (status === 'pending') {
        add(client.domain, 'assignment-status', sev('warning'), `the assignment of ${label} on ${name} is still pending at Microsoft${item.createdDateTime ? ` (since ${String(item.createdDateTime)})` : ''}: its roles do not work yet`, 'delegate sync');
      } else if (status === 'error') {
        const roles = mine?.roles.map(roleName).join(',') ?? '<roles>';
        add(
          client.domain,
          'assignment-status',
          sev('error'),
          `the assignment of ${label} on ${name} is in error at Microsoft: its roles do not work`,
          mine ? `delegate client unassign ${q(client.domain)} --group ${q(mine.group)} --live && delegate client assign ${q(client.domain)} --group ${q(mine.group)} --roles ${q(roles)} --live` : 'delegate sync',
        );
      } else if (!mine && status !== 'deleted' && status !== 'deleting') {
        add(client.domain, 'assignment-status', sev('warning'), `${label} is assigned on ${name} at Microsoft (${status || 'active'}), which the ledger does not know`, 'delegate sync');
      }
    }
  }
  if (domainsIn.length === 0) for (const g of snap.groups) if (g.objectId && !groupIds.has(g.objectId.toLowerCase())) groupIds.set(g.objectId.toLowerCase(), { ended: false });
  const upnOf = new Map<string, string>();
  for (const g of snap.groups) {
    const seen = g.objectId ? groupIds.get(g.objectId.toLowerCase()) : undefined;
    if (!g.objectId || !seen) continue;
    const sev = (s: Severity): Severity => (seen.ended ? 'info' : s);
    const exists = await read(String(groupRead(snap.cloud, 'group', g.objectId).url));
    if (exists.read === 'forbidden') {
      refused(null, `security group ${g.name}`, exists, 'a sign-in with GroupMember.Read.All');
      continue;
    }
    if (exists.read === 'absent') {
      add(null, 'group-deleted', sev('error'), `security group ${g.name} (object id ${g.objectId}) is deleted at Microsoft: its assignments give nobody anything`, `delegate group set ${q(g.name)} --object-id <the object id of its replacement>`);
      continue;
    }
    const members = await read(String(transitiveMembersRead(snap.cloud, 'members', g.objectId).url));
    if (members.read === 'forbidden') refused(null, `the members of ${g.name}`, members, 'a sign-in with GroupMember.Read.All');
    else {
      const atMs = new Set<string>();
      for (const m of list(members)) {
        if (m.userPrincipalName) {
          atMs.add(lower(m.userPrincipalName));
          upnOf.set(lower(m.id), lower(m.userPrincipalName));
        }
      }
      // Members present through an activated PIM eligibility are the ledger's too.
      const activated = new Set(snap.eligible.filter((e) => e.group.toLowerCase() === g.name.toLowerCase() && isActivated(e, now)).map((e) => e.email.toLowerCase()));
      const ledger = new Set(g.members.map((e) => e.toLowerCase()));
      const extra = [...atMs].filter((e) => !ledger.has(e) && !activated.has(e)).sort();
      const gone = [...ledger].filter((e) => !atMs.has(e)).sort();
      if (extra.length) add(null, 'members-elsewhere', sev('warning'), `${extra.join(', ')} ${extra.length === 1 ? 'is a member' : 'are members'} of ${g.name} at Microsoft (added elsewhere, or through a nested group), not in the ledger`, `delegate group add-member ${q(g.name)} ${extra.slice(0, 5).map(q).join(' ')}`);
      if (gone.length) add(null, 'members-elsewhere', sev('warning'), `${gone.join(', ')} ${gone.length === 1 ? 'is' : 'are'} in the ledger's ${g.name} but not a member at Microsoft (removed elsewhere)`, `delegate group remove-member ${q(g.name)} ${gone.slice(0, 5).map(q).join(' ')}`);
    }
    const elig = await read(String(groupEligibilityRead(snap.cloud, 'eligible', g.objectId).url));
    if (elig.read === 'forbidden') {
      refused(null, `the PIM eligibility of ${g.name}`, elig, 'a sign-in with PrivilegedEligibilitySchedule.Read.AzureADGroup');
      continue;
    }
    const standing = new Set<string>();
    for (const e of list(elig)) {
      if (e.action !== 'adminAssign' || e.accessId !== 'member' || !STANDING.has(lower(e.status))) continue;
      const end = ((e.scheduleInfo as { expiration?: { endDateTime?: string } } | undefined)?.expiration?.endDateTime) ?? null;
      if (end && Date.parse(end) <= now.getTime()) continue;
      const pid = lower(e.principalId);
      if (!upnOf.has(pid)) {
        const u = await read(String(userByIdRead(snap.cloud, 'user', pid).url));
        if (u.read === 'ok') upnOf.set(pid, lower((u.body as { userPrincipalName?: string }).userPrincipalName ?? pid));
      }
      standing.add(upnOf.get(pid) ?? pid);
    }
    const ledgerElig = new Set(snap.eligible.filter((e) => e.group.toLowerCase() === g.name.toLowerCase() && Date.parse(e.eligibleUntil) > now.getTime()).map((e) => e.email.toLowerCase()));
    const extra = [...standing].filter((e) => !ledgerElig.has(e)).sort();
    const missing = [...ledgerElig].filter((e) => !standing.has(e)).sort();
    if (extra.length) add(null, 'eligibility-elsewhere', sev('warning'), `${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} eligible for ${g.name} at Microsoft (PIM, made elsewhere), not in the ledger`, `delegate group add-member ${q(g.name)} ${extra.slice(0, 5).map(q).join(' ')} --eligible`);
    if (missing.length) add(null, 'eligibility-elsewhere', sev('warning'), `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} eligible for ${g.name} in the ledger but not at Microsoft`, `delegate group add-member ${q(g.name)} ${missing.slice(0, 5).map(q).join(' ')} --eligible --live`);
  }
  return out;
}
