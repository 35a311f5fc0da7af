/**
 * Recording a recovered effect: what the ledger writes when recovery finds
 * that a change it had lost track of was applied at Microsoft (or was not),
 * one function per kind of change (plan/intent.ts READ_BACK). The live
 * command that sent it would have written the same had its answer come: the
 * same records, and an audit entry under that command's action, marked
 * `(at Microsoft; recovered)`.
 */
import { appendAudit } from '../core/audit.js';
import { durationMs } from '../core/pim.js';
import type { AdminAccess, ClientRecord, Intent, Partner } from '../core/model.js';
import type { Session } from '../core/session.js';
import type { Tx } from '../core/store.js';
import { fromMicrosoft, type MsRelationship } from '../relationship/microsoft.js';
import { madeElsewhere } from '../offer/granular-offers.js';
import { READ_BACK, type ChangeKind, type RecoveryOutcome } from '../plan/intent.js';

type Body = Record<string, unknown>;

/** What an intent's effect names (plan builders put it there), read back from its JSON text. */
export function effectOf(i: Intent): Record<string, string> {
  try {
    const e = JSON.parse(i.effect ?? '{}') as Record<string, unknown>;
    return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
  } catch {
    return {};
  }
}

/** The client an intent acted in: by its tenant, else the domain its scope names. */
export async function clientOf(tx: Tx, i: Intent): Promise<ClientRecord | undefined> {
  if (i.tenantId) {
    const c = await tx.clientByTenant(i.tenantId.toLowerCase());
    if (c) return c;
  }
  return i.scope.startsWith('client:') ? tx.getClient(i.scope.slice('client:'.length)) : undefined;
}

const roleIdsOf = (o: Body) => ((o.accessDetails as { unifiedRoles?: { roleDefinitionId?: string }[] } | undefined)?.unifiedRoles ?? []).map((r) => String(r.roleDefinitionId ?? '').toLowerCase()).sort();

/**
 * Write what recovery concluded for one intent (applied or accepted: the
 * effect; not applied: nothing but the audit entry saying so) and return the
 * line for people. The intent itself is closed by the caller.
 */
export async function recordRecovered(tx: Tx, s: Session, ctx: { partner: Partner; recoveredBy: string }, i: Intent, outcome: RecoveryOutcome, body: Body | undefined, detail: string): Promise<string> {
  const at = s.clock.now().toISOString();
  const e = effectOf(i);
  const kind = i.kind as ChangeKind;
  const change = READ_BACK[kind]?.change ?? kind;
  let target = i.target;
  const audit = (what: string) =>
    appendAudit(tx, s.clock, { actor: i.actor, action: i.command, target, outcome: 'allowed', detail: `${what} (recovered by ${ctx.recoveredBy})` });
  if (outcome === 'notApplied') {
    await audit(`${change} ${i.target}: not applied at Microsoft (${detail})`);
    return `${change} ${i.target}: not applied at Microsoft (${detail})`;
  }
  const b = body ?? {};
  const client = await clientOf(tx, i);
  let what = `${change} ${i.target}: ${outcome === 'accepted' ? 'accepted' : 'applied'} at Microsoft`;
  switch (kind) {
    case 'relationship.create': {
      const m = b as unknown as MsRelationship;
      const mine = (await tx.listRelationships()).find((r) => r.displayName.toLowerCase() === String(m.displayName ?? i.target).toLowerCase());
      if (mine) {
        await tx.replaceRelationship(mine.id, fromMicrosoft(m, mine, mine.clientDomain, at));
      } else {
        const { offer, base } = madeElsewhere(m, i.actor, at);
        await tx.insertOffer(offer);
        await tx.insertRelationship(fromMicrosoft(m, base, null, at));
      }
      target = m.displayName ?? i.target;
      what += `: relationship ${m.id} (${m.status})`;
      break;
    }
    case 'relationship.lock':
    case 'relationship.terminate': {
      const r = await tx.getRelationship(e.relationshipId ?? i.target);
      if (r) {
        target = r.clientDomain ?? r.displayName;
        if (kind === 'relationship.lock') await tx.updateRelationship({ ...r, status: 'approvalPending', msStatus: 'approvalPending' });
        else await tx.updateRelationship({ ...r, status: 'terminated', msStatus: 'terminationRequested', terminatedAt: String(b.createdDateTime ?? at) });
      }
      break;
    }
    case 'relationship.update': {
      const r = await tx.getRelationship(e.relationshipId ?? i.target);
      if (r && b.id) {
        target = r.clientDomain ?? r.displayName;
        await tx.replaceRelationship(r.id, fromMicrosoft(b as unknown as MsRelationship, r, r.clientDomain, at));
      }
      break;
    }
    case 'assignment.create':
    case 'assignment.update':
    case 'assignment.delete': {
      const relationshipId = e.relationshipId ?? i.target;
      const r = await tx.getRelationship(relationshipId);
      target = r?.clientDomain ?? relationshipId;
      const groups = await tx.listGroups();
      const held = await tx.listAssignments(relationshipId);
      const a = e.assignmentId ? held.find((x) => x.microsoftId === e.assignmentId) : undefined;
      const group = a?.group ?? groups.find((g) => g.objectId?.toLowerCase() === (e.groupId ?? '').toLowerCase())?.name;
      if (!group) {
        what += ' (its group is not in the ledger: not recorded)';
        break;
      }
      if (kind === 'assignment.delete') await tx.deleteAssignment(relationshipId, group);
      else await tx.upsertAssignment({ relationshipId, group, roles: roleIdsOf(b).length ? roleIdsOf(b) : (a?.roles ?? []), createdAt: String(b.createdDateTime ?? a?.createdAt ?? at), microsoftId: typeof b.id === 'string' ? b.id : (a?.microsoftId ?? null), status: typeof b.status === 'string' ? b.status : null });
      what += `: ${group}`;
      break;
    }
    case 'group.create': {
      const name = e.name ?? i.target;
      const id = String(b.id ?? '');
      if ((await tx.getGroup(name)) === undefined) await tx.insertGroup({ name, objectId: id, createdAt: at });
      else await tx.setGroupObjectId(name, id);
      what += `: object id ${id}`;
      break;
    }
    case 'group.delete': {
      const name = e.name ?? i.target;
      if (await tx.getGroup(name)) await tx.deleteGroup(name);
      target = name;
      break;
    }
    case 'member.add':
    case 'member.remove': {
      const email = (e.email ?? '').toLowerCase();
      const groupId = (e.groupId ?? i.target).toLowerCase();
      const agent: AdminAccess | undefined =
        groupId === ctx.partner.adminAgentsGroupId?.toLowerCase() ? 'full' : groupId === ctx.partner.helpdeskAgentsGroupId?.toLowerCase() ? 'limited' : undefined;
      if (agent) {
        // DAP: the agent groups' membership is the user's admin access (partner/users.ts).
        const u = (await tx.getUsers([email])).get(email);
        if (u) {
          const next: AdminAccess = kind === 'member.add' ? agent : u.adminAccess === agent ? 'none' : u.adminAccess;
          if (next !== u.adminAccess) await tx.setAdminAccess([{ email, adminAccess: next }]);
          target = email;
          what += `: ${email} has ${next} admin access`;
        }
        break;
      }
      const g = (await tx.listGroups()).find((x) => x.objectId?.toLowerCase() === groupId);
      if (g) {
        target = g.name;
        if (kind === 'member.add') await tx.addGroupMembers(g.name, [email]);
        else await tx.removeGroupMembers(g.name, [email]);
        what += `: ${email}`;
      }
      break;
    }
    case 'user.create':
    case 'user.delete':
    case 'role.assign':
    case 'user.password': {
      const upn = (e.upn ?? i.target).toLowerCase();
      if (!client) break;
      target = `${client.domain}/${upn}`;
      const had = await tx.getClientUser(client.domain, upn);
      if (kind === 'user.create' && !had) {
        await tx.insertClientUsers([{ clientDomain: client.domain, upn, name: e.name ?? upn.slice(0, upn.indexOf('@')), isAdmin: false, passwordResetAt: null, forceChangePasswordNextSignIn: true, createdAt: at }]);
      } else if (kind === 'user.delete' && had) {
        await tx.deleteClientUser(client.domain, upn);
      } else if (kind === 'role.assign' && had && !had.isAdmin) {
        await tx.deleteClientUser(client.domain, upn);
        await tx.insertClientUsers([{ ...had, isAdmin: true }]);
      } else if (kind === 'user.password' && had) {
        await tx.setPasswordReset(client.domain, upn, at);
      }
      break;
    }
    case 'domain.add':
    case 'domain.delete':
    case 'domain.verify': {
      const name = (e.name ?? i.target).toLowerCase();
      if (!client) break;
      target = client.domain;
      const had = (await tx.listClientDomains(client.domain)).find((d) => d.name === name);
      if (kind === 'domain.add' && !had) await tx.insertClientDomains([{ clientDomain: client.domain, name, isInitial: false, verified: false, addedAt: at }]);
      else if (kind === 'domain.delete' && had) await tx.deleteClientDomain(client.domain, name);
      else if (kind === 'domain.verify' && had && !had.verified) await tx.setDomainVerified(client.domain, name);
      what += `: ${name}`;
      break;
    }
    case 'eligibility.create':
    case 'activation.create':
    case 'activation.end': {
      // PIM for Groups (access/pim.ts): the group by its object id, the user by the email the intent names.
      const email = (e.email ?? '').toLowerCase();
      const g = (await tx.listGroups()).find((x) => x.objectId?.toLowerCase() === (e.groupId ?? i.target).toLowerCase());
      if (!g) break;
      target = g.name;
      if (kind === 'eligibility.create') await tx.pim.putEligibility({ group: g.name, email, eligibleUntil: e.until ?? at, createdAt: at });
      else if (kind === 'activation.end') await tx.pim.setActivation(g.name, email, { activatedAt: null, activeUntil: null, activation: null });
      else {
        const ms = durationMs(e.duration ?? '') ?? 0;
        await tx.pim.setActivation(g.name, email, { activatedAt: i.openedAt, activeUntil: new Date(Date.parse(i.openedAt) + ms).toISOString(), activation: outcome === 'accepted' ? 'pendingApproval' : 'active' });
      }
      what += `: ${email}`;
      break;
    }
    case 'dap.end': {
      const c = client ?? (await tx.clientByTenant(i.target.toLowerCase()));
      if (c?.dap && !c.dap.removedAt) await tx.upsertClient({ ...c, dap: { ...c.dap, removedAt: at } });
      if (c) target = c.domain;
      break;
    }
  }
  await audit(what);
  return what;
}
