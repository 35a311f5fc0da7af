/** `delegate group list`: security groups and their members. */
import type { Command } from 'commander';
import { listGroups } from '../../../domain/access/groups.js';
import type { Group } from '../../../domain/core/model.js';
import type { Context } from '../../context.js';
import { renderList } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { groupView } from './view.js';

/** No options of its own (--fields is the list's, checked by render.ts). */
export const schema = z.object({});

export async function run(_opts: object, ctx: Context): Promise<Group[]> {
  return listGroups(await ctx.session());
}

export async function show(ctx: Context, groups: Group[]): Promise<void> {
  await renderList(await ctx.target(), groupView, groups);
}

export function register(group: Command, ctx: Context): void {
  ctx
    .listFields(group.command('list').description('List security groups and their members').addHelpText('after', '\nExamples:\n  delegate group list\n  delegate group list --json'), groupView.fields!)
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
