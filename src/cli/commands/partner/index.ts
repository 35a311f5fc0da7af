/** `delegate partner show|set`. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import { CLOUDS } from '../../../domain/model.js';
import { setPartner, showPartner } from '../../../domain/partner.js';
import * as v from '../../../domain/validate.js';
import type { Context } from '../../context.js';
import { nounCommand } from '../../program.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { partnerView } from '../../views.js';

export const setSchema = z.object({
  name: z.optional(rule((s) => v.displayName(s, '--name'))),
  certified: z.optional(z.boolean()),
  cloud: z.optional(rule((s) => v.oneOf(s, CLOUDS, '--cloud'))),
  mpnId: z.optional(rule((s) => v.partnerId(s, '--mpn-id'))),
});

export function register(program: Command, ctx: Context): void {
  const partner = nounCommand(program, 'partner');
  partner
    .command('show')
    .description('Show the partner')
    .action(async () => {
      const p = await showPartner(await ctx.session());
      await renderOne(await ctx.target(), partnerView, p);
    });
  partner
    .command('set')
    .description('Change the partner (global admins only)')
    .option('--name <partner>', "the partner's name")
    .option('--certified', 'certified to offer delegated administration')
    .option('--no-certified', 'not (or no longer) certified')
    .option('--cloud <cloud>', 'global or china')
    .option('--mpn-id <n>', 'the Partner ID (formerly MPN ID): the integer Partner Center puts in trial and purchase links as msppid')
    .addHelpText('after', '\nExamples:\n  delegate partner set --certified\n  delegate partner set --mpn-id 1234567')
    .action(async (raw: { name?: string; certified?: boolean; cloud?: string; mpnId?: string }) => {
      const opts = parseWith(setSchema, raw);
      if (opts.name === undefined && opts.certified === undefined && opts.cloud === undefined && opts.mpnId === undefined) {
        throw new UsageError('Nothing to change: give --name, --certified, --no-certified, --cloud or --mpn-id');
      }
      const p = await setPartner(await ctx.session({ actor: true }), opts);
      await renderOne(await ctx.target(), partnerView, p);
    });
}
