/** `delegate user set <email> --db-login <login> | --no-db-login`: the database login that acts as a user on a team store. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { UsageError } from '../../../domain/core/errors.js';
import type { PartnerUser } from '../../../domain/core/model.js';
import type { Session } from '../../../domain/core/session.js';
import { setUserDbLogin } from '../../../domain/partner/users.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { checked } from '../../command.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { userViewFor } from '../../views.js';

export const schema = z.object({
  email: rule((s) => v.email(s)),
  /** A login to map, or false (--no-db-login) to unmap. */
  dbLogin: checked((login) => {
    if (login === undefined) throw new UsageError('Nothing to change: give --db-login <login> (or --no-db-login)');
    if (login !== false) v.dbLogin(login as string);
    return login as string | false;
  }),
});
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<{ session: Session; user: PartnerUser }> {
  const session = await ctx.session({ actor: true });
  return { session, user: await setUserDbLogin(session, opts.email, opts.dbLogin === false ? null : opts.dbLogin) };
}

export async function show(ctx: Context, { session, user: changed }: { session: Session; user: PartnerUser }): Promise<void> {
  await renderOne(await ctx.target(), userViewFor(session.store), changed);
  ctx.note(changed.dbLogin ? `The database login ${changed.dbLogin} now acts as ${changed.email}.` : `${changed.email} has no database login now.`);
}

export function register(user: Command, ctx: Context): void {
  user
    .command('set')
    .description("Change a partner user: the database login that acts as them on a team store (global admins only)")
    .argument('<email>', 'the user')
    .option('--db-login <login>', 'map this database login (PostgreSQL role) to the user')
    .option('--no-db-login', 'unmap the database login the user has')
    .addHelpText('after', '\nExamples:\n  delegate user set grace@fabrikam.com --db-login grace')
    .action(async (email: string, raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, email }), ctx));
    });
}
