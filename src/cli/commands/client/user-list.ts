/** `delegate client user list <client-domain> [--plan]`, and how a client's user looks. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { listClientUsers } from '../../../domain/acting/users.js';
import type { ClientUser } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { PLAN_OPTION } from '../../plan.js';
import { planSchema } from '../../command.js';
import { renderList, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { deliverActing, listing } from './common.js';

export const clientUserView: View<ClientUser> = {
  fields: ['upn', 'name', 'isAdmin', 'passwordResetAt'],
  table: { key: ['upn'], drop: ['passwordResetAt'] },
  empty: 'No users recorded for this client.',
  columns: [
    { header: 'upn', value: (u) => u.upn },
    { header: 'name', value: (u) => u.name },
    { header: 'isAdmin', value: (u) => u.isAdmin },
    { header: 'passwordResetAt', value: (u) => u.passwordResetAt },
  ],
  json: (u) => ({ upn: u.upn, name: u.name, isAdmin: u.isAdmin, passwordResetAt: u.passwordResetAt }),
};

/** The client is checked by the domain. */
export const schema = z.object({ plan: planSchema, domain: z.string() });
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Carried<ClientUser[]>> {
  const { s, mode } = await listing(ctx, opts.plan);
  return listClientUsers(s, opts.domain, { mode });
}

export async function show(ctx: Context, r: Carried<ClientUser[]>): Promise<void> {
  await deliverActing(ctx, r, async (users) => renderList(await ctx.target(), clientUserView, users));
}

export function register(user: Command, ctx: Context): void {
  ctx
    .listFields(user.command('list'), clientUserView.fields!)
    .description("List a client's users")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .option(...PLAN_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate client user list contoso.com\n  delegate client user list contoso.com --output csv')
    .action(async (domain: string, raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, domain }), ctx));
    });
}
