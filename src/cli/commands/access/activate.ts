/** `delegate access activate <group> [--for <duration>] --reason <text>`: one's own just-in-time membership (PIM for Groups). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { accessActivate, type ActivationResult } from '../../../domain/access/pim.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { flag, planSchema, required, text } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';

export const schema = z.object({ plan: planSchema, group: z.string(), for: text, reason: required('--reason is required: say why you need the access (PIM keeps it)'), live: flag });
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Carried<ActivationResult>> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'access.activate', target: opts.group });
  return accessActivate(s, opts.group, { reason: opts.reason, ...(opts.for === undefined ? {} : { for: opts.for }) }, mode);
}

/** `{group, status, activeUntil}` (SPEC.md "Access"). */
export const activationView: View<ActivationResult> = {
  columns: [
    { header: 'group', value: (r) => r.group },
    { header: 'status', value: (r) => r.status },
    { header: 'activeUntil', value: (r) => r.activeUntil ?? '' },
  ],
  json: (r) => ({ group: r.group, status: r.status, activeUntil: r.activeUntil }),
};

export async function show(ctx: Context, r: Carried<ActivationResult>): Promise<void> {
  await deliver(ctx, r, async (a) => {
    await renderOne(await ctx.target(), activationView, a);
    if (a.status === 'pendingApproval') ctx.note(`${a.group}'s PIM policy wants an approver: your membership starts when the request is approved.`);
    // https://learn.microsoft.com/partner-center/customers/gdap-introduction (GDAP security groups with PIM): group
    // membership reaches a customer's tenant through the partner's tenant; unconfirmed how long it takes.
    if (a.status !== 'inactive') ctx.note('An activation may take minutes to reach client tenants: if a client refuses you at first, wait and try again.');
  });
}

export function register(access: Command, ctx: Context): void {
  access
    .command('activate')
    .description("Activate your own eligible membership of a security group for a while (PIM for Groups)")
    .argument('<group>', 'group name')
    .option('--for <duration>', "how long, ISO-8601 (PT5M or more; default and most: the group's PIM policy maximum, at most PT8H)")
    .option('--reason <text>', 'why you need it (the justification PIM keeps)')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate access activate Helpdesk --reason "ticket 4711: reset a password at Contoso"\n  delegate access activate Helpdesk --for PT1H --reason "ticket 4712" --live')
    .action(async (group: string, raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, group }), ctx));
    });
}
