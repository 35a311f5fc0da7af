/** `delegate client mdm ...`: Mobile Device Management is not supported through delegated administration. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { MDM_NOT_SUPPORTED, mdmTarget, refuseMdm } from '../../../domain/acting/mdm.js';
import { DelegateError, NotPermittedError } from '../../../domain/core/errors.js';
import type { Context } from '../../context.js';
import { checked } from '../../command.js';
import { parseWith, z } from '../../schema.js';

/** Whatever follows `client mdm` is checked (printable) before any store is opened. */
export const schema = z.object({
  args: checked((a) => {
    mdmTarget(a as string[]);
    return a as string[];
  }),
});
export type Options = output<typeof schema>;

/** Always refused (exit 4), and audited when there is a store to audit it in. */
export async function run(opts: Options, ctx: Context): Promise<never> {
  let session;
  try {
    session = await ctx.session({ actor: true });
  } catch (e) {
    // No usable store: still the same answer, just nothing to audit it in.
    if (e instanceof DelegateError) throw new NotPermittedError(MDM_NOT_SUPPORTED, { actor: '', action: 'client.mdm', target: '' });
    throw e;
  }
  return refuseMdm(session, opts.args);
}

export function register(client: Command, ctx: Context): void {
  client
    .command('mdm')
    .description('Mobile Device Management: not supported through delegated administration')
    .argument('[anything...]')
    .allowUnknownOption()
    .addHelpText('after', '\nExamples:\n  delegate client mdm contoso.com    # exit 4: says why, and is audited')
    .action(async (args: string[]) => {
      await run(parseWith(schema, { args }), ctx); // bad input first (exit 2), even with no store
    });
}
