/** `delegate group add-member <group> <email...>` (global admins). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { groupAddMembers, type MembersChanged } from '../../../domain/access/groups.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { flag, planSchema } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { groupView } from './view.js';

/** The group and the users are checked by the domain. */
export const schema = z.object({ plan: planSchema, name: z.string(), emails: z.array(z.string()), live: flag });
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Carried<MembersChanged>> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'group.add-member', target: opts.name });
  return groupAddMembers(s, opts.name, opts.emails, mode);
}

export async function show(ctx: Context, r: Carried<MembersChanged>): Promise<void> {
  await deliver(
    ctx,
    r,
    async (after) => {
      await renderOne(await ctx.target(), groupView, after);
      // What this command wrote, by name (the group's members alone do not say which are new).
      ctx.note(after.changed.length ? `Added to ${after.name}: ${after.changed.join(', ')}.` : `Nothing added: every one was already a member of ${after.name}.`);
    },
    'Run these against your own tenant.',
  );
}

export function register(group: Command, ctx: Context): void {
  group
    .command('add-member')
    .description('Add partner users to a security group (global admins)')
    .argument('<group>', 'group name')
    .argument('<email...>', 'partner users')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate group add-member Helpdesk lee@fabrikam.com grace@fabrikam.com\n  delegate group add-member Helpdesk lee@fabrikam.com --plan')
    .action(async (name: string, emails: string[], raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, name, emails }), ctx));
    });
}
