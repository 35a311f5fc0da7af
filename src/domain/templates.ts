/** Relationship templates: roles, duration, auto-extend and group assignments to offer again and again. */
import { appendAudit } from './audit.js';
import type { AutoExtend } from './duration.js';
import { ConflictError, NotFoundError, UsageError } from './errors.js';
import type { Template } from './model.js';
import { checkRelationshipSettings } from './relationship-rules.js';
import { roleName } from './roles.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';

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
