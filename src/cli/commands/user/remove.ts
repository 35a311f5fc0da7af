/** `delegate user remove <email>`: remove a user from the partner's organization. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { PartnerUser } from '../../../domain/core/model.js';
import type { Session } from '../../../domain/core/session.js';
import { removeUser } from '../../../domain/partner/users.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { userViewFor } from '../../views.js';

export const schema = z.object({ email: rule((s) => v.email(s)) });
export type Options = output<typeof schema>;

export const question = (o: Options) => `Remove user ${o.email}?`;

export async function run(opts: Options, ctx: Context): Promise<{ session: Session; user: PartnerUser }> {
  const session = await ctx.session({ actor: true });
  return { session, user: await removeUser(session, opts.email) };
}

export async function show(ctx: Context, { session, user: removed }: { session: Session; user: PartnerUser }): Promise<void> {
  await renderOne(await ctx.target(), userViewFor(session.store), removed);
  ctx.note(`Removed ${removed.email}.`);
}

export function register(user: Command, ctx: Context): void {
  user
    .command('remove')
    .description("Remove a user from the partner's organization")
    .argument('<email>', 'the user')
    .addHelpText('after', '\nExamples:\n  delegate user remove grace@fabrikam.com --yes')
    .action(async (email: string) => {
      const opts = parseWith(schema, { email });
      await ctx.confirm(question(opts));
      await show(ctx, await run(opts, ctx));
    });
}
