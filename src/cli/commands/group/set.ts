/** `delegate group set <name> --object-id <guid>`: so plans can name the group (global admins). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { setGroupObjectId } from '../../../domain/access/groups.js';
import type { Group } from '../../../domain/core/model.js';
import type { Context } from '../../context.js';
import { checked } from '../../command.js';
import { UsageError } from '../../../domain/core/errors.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { groupView } from './view.js';

/** The name and the id are checked by the domain; the id must be given. */
export const schema = z.object({
  name: z.string(),
  objectId: checked((id) => {
    if (id === undefined) throw new UsageError('Missing --object-id <guid>');
    return id as string;
  }),
});
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Group> {
  return setGroupObjectId(await ctx.session({ actor: true }), opts.name, opts.objectId);
}

export async function show(ctx: Context, g: Group): Promise<void> {
  await renderOne(await ctx.target(), groupView, g);
}

export function register(group: Command, ctx: Context): void {
  group
    .command('set')
    .description("Record a security group's object id in your Microsoft Entra tenant, so plans can name it (global admins)")
    .argument('<name>', 'group name')
    .option('--object-id <guid>', "the group's object id (e.g. the id in the response to `group create --plan`'s request)")
    .addHelpText('after', '\nExamples:\n  delegate group set Helpdesk --object-id 9a3c1e2b-4d5f-4a6b-8c7d-0e1f2a3b4c5d')
    .action(async (name: string, raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, name }), ctx));
    });
}
