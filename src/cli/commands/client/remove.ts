/** `delegate client remove <domain>`: end the DAP relationship (a client without one: as terminate). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { parseWith, rule, z } from '../../schema.js';
import { endQuestion, runEnd, showEnd, type EndResult } from './end.js';

export const schema = z.object({
  plan: planSchema,
  domain: rule((s) => v.clientRef(s)),
  live: flag,
});
export type Options = output<typeof schema>;

export const run = (opts: Options, ctx: Context): Promise<EndResult> => runEnd(ctx, 'remove', opts);
export const show = showEnd;

export function register(client: Command, ctx: Context): void {
  client
    .command('remove')
    .description('End the delegated admin (DAP) relationship with a client, keeping its granular ones (full access or global admin)')
    .argument('<domain>', "the client's domain, or its tenant id")
    .addHelpText(
      'after',
      "\nA client without an active DAP relationship: same as `client terminate`. Microsoft's path from DAP to GDAP: the client approves a granular offer, you assign your groups, then you end DAP with this command (its granular relationships stay active).",
    )
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate client remove contoso.com --yes\n  delegate client remove contoso.com --plan')
    .action(async (domain: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domain });
      const question = endQuestion('remove', opts);
      if (question) await ctx.confirm(question);
      await show(ctx, await run(opts, ctx));
    });
}
