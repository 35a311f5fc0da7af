/** Drift: clients whose active templated relationships differ from their template, with the fix. */
import type { ClientRecord, Relationship, Template } from '../core/model.js';
import { activeGdap } from '../relationship/relationships.js';
import { roleName } from '../relationship/roles.js';
import { requirePartner, type Session } from '../core/session.js';
import type { Tx } from '../core/store.js';

export interface Drift {
  domain: string;
  /** The relationship's display name (a client may hold several). */
  relationship: string;
  template: string;
  difference: string;
  fix: string;
}

/** Clients whose active templated relationships' roles or group assignments differ from their template. */
export async function drift(s: Session): Promise<Drift[]> {
  const out: Drift[] = [];
  await eachDriftChunk(s, (chunk) => void out.push(...chunk));
  return out;
}

/** The same, a page of clients at a time (only clients with an active templated relationship are read), so it streams out. */
export async function eachDriftChunk(s: Session, fn: (chunk: Drift[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    await requirePartner(tx);
    const now = s.clock.now();
    const templates = new Map((await tx.listTemplates()).map((t) => [t.name.toLowerCase(), t]));
    for await (const clients of tx.clientChunks({ templated: true }, 1000)) {
      const out: Drift[] = [];
      for (const c of clients) {
        const active = activeGdap(c, now);
        for (const r of active) {
          if (r.template) await driftOf(tx, c, r, active.length > 1, templates, out);
        }
      }
      if (out.length) await fn(out);
    }
  });
}

async function driftOf(tx: Tx, c: ClientRecord, r: Relationship, several: boolean, templates: Map<string, Template>, out: Drift[]): Promise<void> {
  const t = templates.get(r.template!.toLowerCase());
  const add = (difference: string, fix: string) => out.push({ domain: c.domain, relationship: r.displayName, template: r.template!, difference, fix });
  if (!t) {
    add(`template ${r.template} no longer exists`, 'create it again or stop tracking this client');
    return;
  }
  const missing = t.roles.filter((x) => !r.roles.includes(x));
  const extra = r.roles.filter((x) => !t.roles.includes(x));
  // With several active relationships, each fix names its relationship (terminate always does).
  const which = several ? ` --relationship "${r.displayName}"` : '';
  const renew = `roles of an active relationship cannot change: send a new offer (\`delegate offer create --granular --template ${t.name}\`) and, once accepted, terminate this one (\`delegate client terminate ${c.domain} --relationship "${r.displayName}"\`: without --relationship it would end the new one too)`;
  if (missing.length) add(`relationship lacks roles ${missing.map(roleName).join(', ')}`, renew);
  if (extra.length) add(`relationship has roles beyond the template: ${extra.map(roleName).join(', ')}`, renew);
  if (r.autoExtendDuration !== t.autoExtendDuration) {
    add(
      `auto-extend is ${r.autoExtendDuration}, template says ${t.autoExtendDuration}`,
      t.autoExtendDuration === 'P180D' ? `delegate client extend ${c.domain}${which}` : `delegate client extend ${c.domain}${which} --off`,
    );
  }
  if (r.duration !== t.duration) add(`duration is ${r.duration}, template says ${t.duration}`, 'takes effect with the next relationship (durations are fixed once accepted)');
  const assigned = new Map((await tx.listAssignments(r.id)).map((a) => [a.group.toLowerCase(), a]));
  for (const want of t.assignments) {
    const have = assigned.get(want.group.toLowerCase());
    const wantRoles = want.roles.filter((x) => r.roles.includes(x));
    const same = have && have.roles.length === wantRoles.length && wantRoles.every((x) => have.roles.includes(x));
    if (!same && wantRoles.length === 0) {
      add(`group ${want.group} should hold ${want.roles.map(roleName).join(', ')}, which the relationship does not have`, renew);
    } else if (!same) {
      add(
        have ? `group ${want.group} has ${have.roles.map(roleName).join(', ')}, template says ${wantRoles.map(roleName).join(', ')}` : `group ${want.group} is not assigned`,
        `delegate client assign ${c.domain}${which} --group "${want.group}" --roles "${wantRoles.map(roleName).join(',')}"`,
      );
    }
    assigned.delete(want.group.toLowerCase());
  }
  for (const extraAssignment of assigned.values()) {
    add(`group ${extraAssignment.group} is assigned but not in the template`, 'remove the assignment in Partner Center, or add it to the template');
  }
}
