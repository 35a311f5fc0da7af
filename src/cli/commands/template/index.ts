/** `delegate template create|list|delete`: reusable settings for granular offers. */
import type { Command } from 'commander';
import { autoExtend, normaliseDuration } from '../../../domain/core/duration.js';
import { UsageError } from '../../../domain/core/errors.js';
import { createTemplate, listTemplates, templateDelete } from '../../../domain/offer/templates.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { planFlag, PLAN_OPTION } from '../../plan.js';
import type { Template } from '../../../domain/core/model.js';
import { parseRoles, roleName } from '../../../domain/relationship/roles.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { renderList, renderOne, type View } from '../../render.js';

const templateView: View<Template> = {
  fields: ['name', 'roles', 'duration', 'autoExtendDuration', 'assignments', 'createdAt', 'createdBy'],
  table: { key: ['name'], drop: ['autoExtendDuration', 'duration', 'assignments'], min: { roles: 20 } },
  empty: 'No templates yet (`delegate template create <name>`).',
  columns: [
    { header: 'name', value: (t) => t.name },
    { header: 'roles', value: (t) => t.roles.map(roleName).join(', ') },
    { header: 'duration', value: (t) => t.duration },
    { header: 'autoExtendDuration', value: (t) => t.autoExtendDuration },
    { header: 'assignments', value: (t) => t.assignments.map((a) => `${a.group}: ${a.roles.map(roleName).join(', ')}`).join('; ') },
  ],
  json: (t) => ({
    name: t.name,
    roles: t.roles.map((id) => ({ id, name: roleName(id) })),
    duration: t.duration,
    autoExtendDuration: t.autoExtendDuration,
    assignments: t.assignments.map((a) => ({ group: a.group, roles: a.roles.map((id) => ({ id, name: roleName(id) })) })),
    createdAt: t.createdAt,
    createdBy: t.createdBy,
  }),
};

/** `--assign "<group>=<role>,<role>"`, repeatable. */
function parseAssign(text: string): { group: string; roles: string[] } {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`--assign takes "<group>=<role>,<role>", not ${JSON.stringify(text.slice(0, 60))}`);
  return { group: v.displayName(text.slice(0, i), 'group name', 120), roles: parseRoles(text.slice(i + 1), `--assign ${text.slice(0, i)}`) };
}

export function register(noun: Command, ctx: Context): void {
  const template = noun;
  template
    .command('create')
    .description('Create a template for granular offers: roles, duration, auto-extend, and the group assignments clients should have')
    .argument('[name]', 'template name (asked for on a terminal)')
    .option('--roles <roles>', 'roles (names or ids, comma-separated; asked for on a terminal)')
    .option('--duration <iso>', 'P1D to P2Y', 'P730D')
    .option('--auto-extend <iso>', 'PT0S or P180D', 'PT0S')
    .option('--assign <group=roles>', 'a security group and the roles it should hold on each relationship (repeatable)', (val: string, acc: string[]) => [...acc, val], [] as string[])
    .addHelpText('after', '\nExample:\n  delegate template create helpdesk --roles "Helpdesk Administrator,Global Reader" --duration P365D --auto-extend P180D --assign "Helpdesk=Helpdesk Administrator"')
    .action(async (nameIn: string | undefined, raw: { roles?: string; duration: string; autoExtend: string; assign: string[] }) => {
      const [name, roles] = await ctx.needAll([
        { value: nameIn, flag: '<name>', message: 'Template name:', validate: (x) => v.displayName(x, 'template name', 100) },
        { value: raw.roles || undefined, flag: '--roles <roles>', message: 'Roles (names or ids, comma-separated; see `delegate role list`):', validate: (x) => parseRoles(x) },
      ]);
      const n = v.displayName(name, 'template name', 100);
      const t = await createTemplate(await ctx.session({ actor: true }), {
        name: n,
        roles: parseRoles(roles),
        duration: normaliseDuration(raw.duration),
        autoExtendDuration: autoExtend(raw.autoExtend),
        assignments: raw.assign.map(parseAssign),
      });
      await renderOne(await ctx.target(), templateView, t);
    });
  ctx
    .listFields(template.command('list'), templateView.fields!)
    .description('List templates')
    .action(async () => renderList(await ctx.target(), templateView, await listTemplates(await ctx.session())));
  template
    .command('delete')
    .description('Delete a template (relationships made from it keep its name; offers not yet accepted get no group assignments from it)')
    .argument('<name>', 'template name')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts. Templates are delegate\'s own: there is nothing to send to Microsoft.\n\nExample:\n  delegate template delete helpdesk --yes')
    .action(async (name: string, raw: { plan?: string | boolean; live?: boolean }) => {
      const n = v.displayName(name, 'template name', 100);
      if (!planFlag(raw)) await ctx.confirm(`Delete template ${n}?`);
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'template.delete', target: n });
      const r = await templateDelete(s, n, { mode });
      await deliver(
        ctx,
        r,
        async (d) => {
          await renderOne(await ctx.target(), templateView, d.template);
          ctx.note(
            `Deleted template ${d.template.name}.` +
              (d.pendingOffers ? ` ${d.pendingOffers} granular offer${d.pendingOffers === 1 ? '' : 's'} made from it ${d.pendingOffers === 1 ? 'is' : 'are'} not accepted yet: on acceptance ${d.pendingOffers === 1 ? 'it gets' : 'they get'} no group assignments from it.` : ''),
          );
        },
        'Templates live only in the ledger: nothing would be sent to Microsoft.',
      );
    });
}
