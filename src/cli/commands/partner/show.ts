/** `delegate partner show`. */
import type { Command } from 'commander';
import type { Partner } from '../../../domain/core/model.js';
import { showPartner } from '../../../domain/partner/partner.js';
import type { Context } from '../../context.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { partnerView } from '../../views.js';

/** No options. */
export const schema = z.object({});

export async function run(_opts: object, ctx: Context): Promise<Partner> {
  return showPartner(await ctx.session());
}

export async function show(ctx: Context, p: Partner): Promise<void> {
  await renderOne(await ctx.target(), partnerView, p);
}

export function register(partner: Command, ctx: Context): void {
  partner
    .command('show')
    .description('Show the partner')
    .addHelpText('after', '\nExamples:\n  delegate partner show\n  delegate partner show --json')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
