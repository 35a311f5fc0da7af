/** Relationship templates: roles, duration, auto-extend and group assignments to offer again and again. */
import { appendAudit } from '../core/audit.js';
import type { AutoExtend } from '../core/duration.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import type { Template } from '../core/model.js';
import { checkRelationshipSettings } from '../relationship/rules.js';
import { roleName } from '../relationship/roles.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';
import { type Carried, type Mode } from '../plan/decision.js';
import { carryOut } from '../plan/carry-out.js';
import type { Tx } from '../core/store.js';

export async function createTemplate(
  s: Session,
  input: { name: string; roles: string[]; duration: string; autoExtendDuration: AutoExtend; assignments: { group: string; roles: string[] }[] },
): Promise<Template> {
  checkRelationshipSettings(input.roles, input.autoExtendDuration);
  for (const a of input.assignments) {
    const outside = a.roles.filter((r) => !input.roles.includes(r));
    if (outside.length) throw new UsageError(`--assign ${a.group}: ${outside.map(roleName).join(', ')} is not among the template's roles`);
  }
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.adminAccess(actor, 'template.create', input.name, 'create relationship templates');
    if (await tx.getTemplate(input.name)) throw new ConflictError(`A template named ${input.name} already exists`);
    const assignments = [];
    for (const a of input.assignments) {
      const g = await tx.getGroup(a.group);
      if (!g) throw new NotFoundError(`No security group ${a.group} (create it with \`delegate group create ${a.group}\`)`);
      assignments.push({ group: g.name, roles: a.roles });
    }
    const t: Template = { ...input, assignments, createdAt: nowIso(s), createdBy: actor.email };
    await tx.insertTemplate(t);
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'template.create',
      target: t.name,
      outcome: 'allowed',
      detail: `roles ${t.roles.map(roleName).join(', ')}; ${t.duration}; auto-extend ${t.autoExtendDuration}`,
    });
    return t;
  });
}

export async function listTemplates(s: Session): Promise<Template[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    return tx.listTemplates();
  });
}

export interface DeletedTemplate {
  template: Template;
  /** Granular offers made from it that no client has accepted yet: on acceptance they get no group assignments from it. */
  pendingOffers: number;
}

/**
 * Delete a template. Templates are the ledger's own (Microsoft has no such
 * thing), so a plan is empty and live changes only the ledger. Relationships
 * made from it keep its name (`client drift` then says it is gone).
 */
export async function templateDelete(s: Session, name: string, opts: { mode: Mode }): Promise<Carried<DeletedTemplate>> {
  return carryOut(
    s,
    async (tx) => {
      await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      const t = await tx.getTemplate(name);
      if (!t) throw new NotFoundError(`No template ${name} (see \`delegate template list\`)`);
      // SPEC.md "Who may do what": templates need full admin access or the global admin role.
      may.fullOrGlobalAdmin(actor, 'template.delete', t.name, 'delete relationship templates');
      const pendingOffers = (await tx.listRelationships()).filter((r) => r.template?.toLowerCase() === t.name.toLowerCase() && r.status === 'approvalPending').length;
      const write = async (tx2: Tx, how: string) => {
        await tx2.deleteTemplate(t.name);
        await appendAudit(tx2, s.clock, {
          actor: actor.email,
          action: 'template.delete',
          target: t.name,
          outcome: 'allowed',
          detail: `roles ${t.roles.map(roleName).join(', ')}${pendingOffers ? `; ${pendingOffers} offer${pendingOffers === 1 ? '' : 's'} made from it not yet accepted` : ''}${how}`,
        });
        return { template: t, pendingOffers };
      };
      return { steps: [], apply: (tx2) => write(tx2, ''), record: (tx2) => write(tx2, '') };
    },
    opts.mode,
  );
}
