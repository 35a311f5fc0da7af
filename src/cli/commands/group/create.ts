/** `delegate group create [name] [--object-id <guid>]`: a security group (global admins). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { groupCreate } from '../../../domain/access/groups.js';
import { UsageError } from '../../../domain/core/errors.js';
import type { Group } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { across, flag, planSchema, text } from '../../command.js';
import { LIVE_OPTION, sessionAndMode } from '../../live.js';
import { printPlan, PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { groupView } from './view.js';

/** The name is checked by the domain (a missing one is asked for on a terminal). */
export const schema = z
  .object({ name: text, objectId: text, live: flag, plan: planSchema })
  .check(across((o) => (o.objectId !== undefined && o.live ? '--object-id records a group that already exists at Microsoft; --live creates one there: give one' : undefined)));
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<{ r: Carried<Group>; live: boolean }> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'group.create', target: opts.name! });
  if (opts.objectId !== undefined && mode.kind === 'live') throw new UsageError('--object-id records a group that already exists at Microsoft; live mode creates one there: work offline to record it');
  return { r: await groupCreate(s, opts.name!, opts.objectId, mode), live: mode.kind === 'live' };
}

export async function show(ctx: Context, { r, live }: { r: Carried<Group>; live: boolean }): Promise<void> {
  if (r.kind === 'plan') return printPlan(ctx, r.requests, `Then record it with its id (the response's id): \`delegate group create <name> --object-id <id>\`.`);
  await renderOne(await ctx.target(), groupView, r.value);
  if (live) ctx.note(`Created security group ${r.value.name} in your Microsoft Entra tenant (object id ${r.value.objectId}).`);
}

export function register(group: Command, ctx: Context): void {
  group
    .command('create')
    .description('Create a security group (global admins)')
    .argument('[name]', 'group name (asked for on a terminal)')
    .option('--object-id <guid>', "the group's object id in your Microsoft Entra tenant (used in plans)")
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate group create Helpdesk\n  delegate group create Helpdesk --object-id 9a3c1e2b-4d5f-4a6b-8c7d-0e1f2a3b4c5d')
    .action(async (nameIn: string | undefined, raw: Record<string, unknown>) => {
      const given = parseWith(schema, { ...raw, name: nameIn });
      const name = await ctx.need(given.name, '<name>', 'Security group name:', (x) => v.displayName(x, 'group name', 120));
      const opts = { ...given, name };
      await show(ctx, await run(opts, ctx));
    });
}
