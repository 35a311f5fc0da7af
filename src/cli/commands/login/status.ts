/** `delegate login status [--check]`: whether you are signed in, as whom, where, and until when. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { DelegateError } from '../../../domain/core/errors.js';
import type { LoginStatus } from '../../../microsoft/signin.js';
import type { Context } from '../../context.js';
import { flag } from '../../command.js';
import { renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { signInDeps, statusView } from './login.js';

export const schema = z.object({ check: flag });
export type Options = output<typeof schema>;

/** The sign-in, and whether DELEGATE_ACCESS_TOKEN stands in for it. */
export type Status = LoginStatus & { accessToken: boolean };

/** How to sign in, for someone who is not (the app registration step, then the command). */
export const HOW_TO_SIGN_IN =
  'To sign in, register your app once (docs/live-mode.md, "From app registration to a first sync"), then run `delegate login --client-id <app id>` (or set DELEGATE_CLIENT_ID).';

/**
 * The sign-in as the token cache has it; with --check, after asking Microsoft for a fresh token.
 * --check with neither a sign-in nor DELEGATE_ACCESS_TOKEN is exit 1, so scripts can test it.
 */
export async function run(opts: Options, ctx: Context): Promise<Status> {
  const { checkSignIn, loginStatus } = await import('../../../microsoft/signin.js');
  const status = await (opts.check ? checkSignIn : loginStatus)(signInDeps(ctx));
  const accessToken = Boolean(ctx.env.DELEGATE_ACCESS_TOKEN);
  if (opts.check && !status.signedIn && !accessToken) throw new DelegateError(`Not signed in. ${HOW_TO_SIGN_IN}`, 'not_signed_in', 1);
  return { ...status, accessToken };
}

/** As a sign-in shows, and in JSON whether DELEGATE_ACCESS_TOKEN is set (`accessToken`). */
const view: View<Status> = { ...statusView, json: (s) => ({ ...(statusView.json(s) as object), accessToken: s.accessToken }) };

export async function show(ctx: Context, status: Status): Promise<void> {
  const target = await ctx.target();
  if (target.output === 'json') return renderOne(target, view, status);
  if (status.signedIn) await renderOne(target, view, status);
  else target.write('not signed in\n');
  if (status.accessToken) ctx.note('A token is in use: DELEGATE_ACCESS_TOKEN is set, so live commands send it rather than any saved sign-in.');
  else if (!status.signedIn) ctx.note(HOW_TO_SIGN_IN);
}

export function register(login: Command, ctx: Context): void {
  login
    .command('status')
    .description('Say whether you are signed in to Microsoft, as whom, in which tenant and cloud, and until when')
    .option('--check', 'ask Microsoft for a fresh token now (without it, nothing is sent); exit 1 when not signed in')
    .addHelpText('after', '\nExamples:\n  delegate login status\n  delegate login status --check --json')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
