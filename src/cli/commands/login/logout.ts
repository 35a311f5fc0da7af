/** `delegate logout`: forget the Microsoft sign-in (removes the token cache). */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { parseWith, z } from '../../schema.js';
import { signInDeps } from './login.js';

/** No options. */
export const schema = z.object({});

/** Whether there was a sign-in to forget. */
export async function run(_opts: object, ctx: Context): Promise<boolean> {
  const { logout } = await import('../../../microsoft/signin.js');
  return logout(signInDeps(ctx));
}

export function show(ctx: Context, signedOut: boolean): void {
  ctx.note(signedOut ? 'Signed out: the token cache is removed.' : 'Not signed in.');
}

export function register(logout: Command, ctx: Context): void {
  logout.addHelpText('after', '\nExamples:\n  delegate logout');
  logout.action(async (raw: Record<string, unknown>) => {
    show(ctx, await run(parseWith(schema, raw), ctx));
  });
}
