/** `delegate client user remove <client-domain> <upn>`: Microsoft keeps a deleted user restorable for 30 days. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { removeClientUser } from '../../../domain/acting/users.js';
import type { ClientUser } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema, valid } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { actingMode, clientRefSchema, deliverActing } from './common.js';
import { clientUserView } from './user-list.js';

export const schema = z.object({ domain: clientRefSchema, upn: valid((s) => v.email(s, 'UPN')), plan: planSchema, live: flag });
export type Options = output<typeof schema>;

/** The client and the user as the ledger names them. */
const names = (o: Options) => ({ d: v.clientRef(o.domain), u: v.email(o.upn, 'UPN') });

export function question(o: Options): string | undefined {
  const { d, u } = names(o);
  return o.plan ? undefined : `Remove user ${u} from ${d}?`;
}

export async function run(opts: Options, ctx: Context): Promise<{ r: Carried<ClientUser>; live: boolean }> {
  const { d, u } = names(opts);
  const { s, mode } = await actingMode(ctx, opts, 'client.user.remove', `${d}/${u}`);
  return { r: await removeClientUser(s, opts.domain, opts.upn, { mode }), live: mode.kind === 'live' };
}

export async function show(ctx: Context, opts: Options, { r, live }: { r: Carried<ClientUser>; live: boolean }): Promise<void> {
  const { d } = names(opts);
  await deliverActing(ctx, r, async (gone) => {
    await renderOne(await ctx.target(), clientUserView, gone);
    ctx.note(
      live
        ? `Removed ${gone.upn} from ${d} at Microsoft (restorable there for 30 days) and from the ledger.`
        : `Removed ${gone.upn} from ${d} in the ledger. Nothing was sent to Microsoft: \`--live\` deletes the user there (restorable for 30 days).`,
    );
  });
}

export function register(user: Command, ctx: Context): void {
  user
    .command('remove')
    .description("Remove a user from a client's organization (Microsoft keeps a deleted user restorable for 30 days)")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<upn>', 'the user')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts.\n\nExamples:\n  delegate client user remove contoso.com alex@contoso.com --yes')
    .action(async (domain: string, upn: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domain, upn });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, opts, await run(opts, ctx));
    });
}
