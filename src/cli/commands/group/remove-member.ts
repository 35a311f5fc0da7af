/** `delegate group remove-member <group> <email...>`: they lose the roles it holds on client relationships. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { groupRemoveMembers, type MembersChanged } from '../../../domain/access/groups.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema, valid } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { groupView } from './view.js';

export const schema = z.object({
  name: rule((s) => v.displayName(s, 'group name', 120)),
  emails: z.array(valid((e) => v.email(e))),
  plan: planSchema,
  live: flag,
});
export type Options = output<typeof schema>;

export const question = (o: Options) => (o.plan ? undefined : `Remove ${o.emails.join(', ')} from security group ${o.name}?`);

export async function run(opts: Options, ctx: Context): Promise<Carried<MembersChanged>> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'group.remove-member', target: opts.name });
  return groupRemoveMembers(s, opts.name, opts.emails, { mode });
}

export async function show(ctx: Context, r: Carried<MembersChanged>): Promise<void> {
  await deliver(
    ctx,
    r,
    async (after) => {
      await renderOne(await ctx.target(), groupView, after);
      // What this command wrote, by name (the group's members alone do not say which are new).
      if (after.changed.length) ctx.note(`Removed from ${after.name}: ${after.changed.join(', ')}.`);
    },
    'Run these against your own tenant.',
  );
}

export function register(group: Command, ctx: Context): void {
  group
    .command('remove-member')
    .description('Take partner users out of a security group: they lose the roles it holds on client relationships (global admins)')
    .argument('<group>', 'group name')
    .argument('<email...>', 'partner users')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts.\n\nExamples:\n  delegate group remove-member Helpdesk lee@fabrikam.com --yes')
    .action(async (name: string, emails: string[], raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, name, emails });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, await run(opts, ctx));
    });
}
