/** `delegate client user reset-password <client-domain> <upn> [--copy]`. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { resetClientPassword, type PasswordReset } from '../../../domain/acting/users.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { flag, planSchema } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { actingMode, deliverActing } from './common.js';

/** The client and the user are checked by the domain. */
export const schema = z.object({ plan: planSchema, domain: z.string(), upn: z.string(), live: flag, copy: flag });
export type Options = output<typeof schema>;

const resetView: View<PasswordReset> = {
  table: { key: ['upn', 'temporaryPassword'] },
  columns: [
    { header: 'upn', value: (r) => r.upn },
    { header: 'temporaryPassword', value: (r) => r.temporaryPassword },
    { header: 'forceChangePasswordNextSignIn', value: (r) => r.forceChangePasswordNextSignIn },
  ],
  json: (r) => ({ upn: r.upn, temporaryPassword: r.temporaryPassword, forceChangePasswordNextSignIn: r.forceChangePasswordNextSignIn }),
};

export async function run(opts: Options, ctx: Context): Promise<Carried<PasswordReset>> {
  const { s, mode } = await actingMode(ctx, opts, 'client.user.reset-password', `${opts.domain}/${opts.upn}`);
  return resetClientPassword(s, opts.domain, opts.upn, { mode });
}

export async function show(ctx: Context, opts: Options, r: Carried<PasswordReset>): Promise<void> {
  await deliverActing(ctx, r, async (reset) => {
    await renderOne(await ctx.target(), resetView, reset);
    ctx.note(`Password of ${reset.upn} reset. The temporary password is shown only now; the user must change it at next sign-in.`);
    if (opts.copy) await ctx.copy(reset.temporaryPassword, 'temporary password');
  });
}

export function register(user: Command, ctx: Context): void {
  user
    .command('reset-password')
    .description('Reset a client user’s password: prints a strong temporary password once and forces a change at next sign-in')
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<upn>', 'the user')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .option('--copy', 'put the temporary password on the clipboard')
    .addHelpText('after', '\nExamples:\n  delegate client user reset-password contoso.com alex@contoso.com\n  delegate client user reset-password contoso.com alex@contoso.com --copy')
    .action(async (domain: string, upn: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domain, upn });
      await show(ctx, opts, await run(opts, ctx));
    });
}
