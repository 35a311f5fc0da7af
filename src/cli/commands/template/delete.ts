/** `delegate template delete <name>`: relationships made from it keep its name. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { templateDelete } from '../../../domain/offer/templates.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { templateView } from './view.js';

export const schema = z.object({ name: rule((s) => v.displayName(s, 'template name', 100)), plan: planSchema, live: flag });
export type Options = output<typeof schema>;

export const question = (o: Options) => (o.plan ? undefined : `Delete template ${o.name}?`);

export type Deleted = Awaited<ReturnType<typeof templateDelete>>;

export async function run(opts: Options, ctx: Context): Promise<Deleted> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'template.delete', target: opts.name });
  return templateDelete(s, opts.name, { mode });
}

export async function show(ctx: Context, r: Deleted): Promise<void> {
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
}

export function register(template: Command, ctx: Context): void {
  template
    .command('delete')
    .description('Delete a template (relationships made from it keep its name; offers not yet accepted get no group assignments from it)')
    .argument('<name>', 'template name')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts. Templates are delegate\'s own: there is nothing to send to Microsoft.\n\nExamples:\n  delegate template delete helpdesk --yes')
    .action(async (name: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, name });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, await run(opts, ctx));
    });
}
