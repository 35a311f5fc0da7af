/**
 * `delegate user set <email> [--name <display>] [--global-admin | --no-global-admin] [--db-login <login> | --no-db-login]`:
 * correct a partner user's record (global admins only).
 */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { Session } from '../../../domain/core/session.js';
import { setUser, type UserChanged } from '../../../domain/partner/user-changes.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { across, checked } from '../../command.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { userViewFor } from '../../views.js';

export const schema = z
  .object({
    email: rule((s) => v.email(s)),
    name: z.optional(rule((s) => v.displayName(s, '--name'))),
    globalAdmin: z.optional(z.boolean()),
    /** A login to map, or false (--no-db-login) to unmap. */
    dbLogin: z.optional(
      checked((login) => {
        if (login !== false) v.dbLogin(login as string);
        return login as string | false;
      }),
    ),
  })
  .check(
    across((o) =>
      o.name === undefined && o.globalAdmin === undefined && o.dbLogin === undefined
        ? 'Nothing to change: give --name, --global-admin, --no-global-admin, --db-login <login> or --no-db-login'
        : undefined,
    ),
  );
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<{ session: Session } & UserChanged> {
  const session = await ctx.session({ actor: true });
  const changed = await setUser(session, opts.email, {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.globalAdmin !== undefined ? { globalAdmin: opts.globalAdmin } : {}),
    ...(opts.dbLogin !== undefined ? { dbLogin: opts.dbLogin === false ? null : opts.dbLogin } : {}),
  });
  return { session, ...changed };
}

export async function show(ctx: Context, { session, user, changed }: { session: Session } & UserChanged): Promise<void> {
  await renderOne(await ctx.target(), userViewFor(session.store), user);
  if (changed.length === 0) ctx.note(`${user.email} was already so: nothing changed.`);
  else ctx.note(`Changed ${user.email}: ${changed.join('; ')}.`);
}

export function register(user: Command, ctx: Context): void {
  user
    .command('set')
    .description("Correct a partner user's record: display name, global admin or not, database login (global admins only)")
    .argument('<email>', 'the user')
    .option('--name <display>', 'the display name')
    .option('--global-admin', "make the user one of the partner's global admins")
    .option('--no-global-admin', 'make a global admin an ordinary user (never the last one)')
    .option('--db-login <login>', 'map this database login (PostgreSQL role) to the user, on a team store')
    .option('--no-db-login', 'unmap the database login the user has')
    .addHelpText(
      'after',
      '\nExamples:\n  delegate user set grace@fabrikam.com --name "Grace Hopper"\n  delegate user set grace@fabrikam.com --global-admin\n  delegate user set grace@fabrikam.com --db-login grace',
    )
    .action(async (email: string, raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, email }), ctx));
    });
}
