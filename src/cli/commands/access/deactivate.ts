/** `delegate access deactivate <group>`: end one's own activation early (PIM for Groups). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { accessDeactivate, type ActivationResult } from '../../../domain/access/pim.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { flag, planSchema } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { activationView } from './activate.js';

export const schema = z.object({ plan: planSchema, group: z.string(), live: flag });
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Carried<ActivationResult>> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'access.deactivate', target: opts.group });
  return accessDeactivate(s, opts.group, mode);
}

export async function show(ctx: Context, r: Carried<ActivationResult>): Promise<void> {
  await deliver(ctx, r, async (a) => {
    await renderOne(await ctx.target(), activationView, a);
    ctx.note(a.status === 'inactive' ? `Your membership of ${a.group} is no longer active; you stay eligible.` : `Microsoft did not take the deactivation: still ${a.status}.`);
  });
}

export function register(access: Command, ctx: Context): void {
  access
    .command('deactivate')
    .description('End your own activated membership of a security group before it runs out (PIM for Groups)')
    .argument('<group>', 'group name')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate access deactivate Helpdesk\n  delegate access deactivate Helpdesk --live')
    .action(async (group: string, raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, group }), ctx));
    });
}
