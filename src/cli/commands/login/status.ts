/** `delegate login status [--check]`: whether you are signed in, as whom, where, and until when. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { LoginStatus } from '../../../microsoft/signin.js';
import type { Context } from '../../context.js';
import { flag } from '../../command.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { signInDeps, statusView } from './login.js';

export const schema = z.object({ check: flag });
export type Options = output<typeof schema>;

/** The sign-in as the token cache has it; with --check, after asking Microsoft for a fresh token. */
export async function run(opts: Options, ctx: Context): Promise<LoginStatus> {
  const { checkSignIn, loginStatus } = await import('../../../microsoft/signin.js');
  return (opts.check ? checkSignIn : loginStatus)(signInDeps(ctx));
}

export async function show(ctx: Context, status: LoginStatus): Promise<void> {
  await renderOne(await ctx.target(), statusView, status);
}

export function register(login: Command, ctx: Context): void {
  login
    .command('status')
    .description('Whether you are signed in, as whom, where, and until when')
    .option('--check', 'ask Microsoft for a fresh token now (without it, nothing is sent)')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
