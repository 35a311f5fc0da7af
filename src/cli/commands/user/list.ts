/** `delegate user list [--access full|limited|none]`: the partner's users. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { ADMIN_ACCESS, type PartnerUser } from '../../../domain/core/model.js';
import type { Session } from '../../../domain/core/session.js';
import { eachUserChunk } from '../../../domain/partner/users.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { printChunks } from '../../bulk.js';
import { parseWith, rule, z } from '../../schema.js';
import { teamUserView, userViewFor } from '../../views.js';

export const schema = z.object({ access: z.optional(rule((s) => v.oneOf(s, ADMIN_ACCESS, '--access'))) });
export type Options = output<typeof schema>;

export interface Users {
  session: Session;
  chunks: (fn: (chunk: PartnerUser[]) => Promise<void>) => Promise<void>;
}

export async function run(opts: Options, ctx: Context): Promise<Users> {
  const session = await ctx.session();
  return { session, chunks: (fn) => eachUserChunk(session, opts, fn) };
}

export async function show(ctx: Context, { session, chunks }: Users): Promise<void> {
  await printChunks(ctx, userViewFor(session.store), chunks);
}

export function register(user: Command, ctx: Context): void {
  ctx
    .listFields(user.command('list'), teamUserView.fields!)
    .description("List the partner's users")
    .option('--access <access>', 'only users with this admin access: full, limited or none')
    .addHelpText('after', '\nExamples:\n  delegate user list\n  delegate user list --access full --json')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
