/** `delegate group delete <group>`: not while it is assigned on an active relationship or named in a template. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { groupDelete } from '../../../domain/access/groups.js';
import type { Group } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { groupView } from './view.js';

export const schema = z.object({ name: rule((s) => v.displayName(s, 'group name', 120)), plan: planSchema, live: flag });
export type Options = output<typeof schema>;

export const question = (o: Options) => (o.plan ? undefined : `Delete security group ${o.name}?`);

export async function run(opts: Options, ctx: Context): Promise<{ r: Carried<Group>; live: boolean }> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'group.delete', target: opts.name });
  return { r: await groupDelete(s, opts.name, { mode }), live: mode.kind === 'live' };
}

export async function show(ctx: Context, { r, live }: { r: Carried<Group>; live: boolean }): Promise<void> {
  await deliver(
    ctx,
    r,
    async (gone) => {
      await renderOne(await ctx.target(), groupView, gone);
      ctx.note(live ? `Deleted security group ${gone.name} at Microsoft and from the ledger.` : `Deleted security group ${gone.name} from the ledger. Nothing was sent to Microsoft: \`--live\` deletes it there.`);
    },
    'Run this against your own tenant.',
  );
}

export function register(group: Command, ctx: Context): void {
  group
    .command('delete')
    .description('Delete a security group: not while it is assigned on an active relationship or named in a template (global admins)')
    .argument('<group>', 'group name')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts. Microsoft deletes a security group for good.\n\nExamples:\n  delegate group delete Helpdesk --yes')
    .action(async (name: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, name });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, await run(opts, ctx));
    });
}
