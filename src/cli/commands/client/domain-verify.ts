/** `delegate client domain verify <client-domain> <domain>`: offline, on your word; live, Microsoft checks. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { verifyClientDomain } from '../../../domain/acting/domains.js';
import type { ClientDomain } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { flag, planSchema } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { actingMode, deliverActing } from './common.js';
import { domainView } from './domain-list.js';

/** The client and the domain are checked by the domain. */
export const schema = z.object({ plan: planSchema, domain: z.string(), name: z.string(), live: flag });
export type Options = output<typeof schema>;

export type Verified = { r: Carried<ClientDomain & { txtRecord?: string }>; live: boolean };

export async function run(opts: Options, ctx: Context): Promise<Verified> {
  const { s, mode } = await actingMode(ctx, opts, 'client.domain.verify', `${opts.domain}/${opts.name}`);
  return { r: await verifyClientDomain(s, opts.domain, opts.name, { mode }), live: mode.kind === 'live' };
}

export async function show(ctx: Context, { r, live }: Verified): Promise<void> {
  await deliverActing(ctx, r, async (d) => {
    await renderOne(await ctx.target(), domainView, d);
    if (!live) ctx.note(`Recorded ${d.name} as verified for ${d.clientDomain}, on your word that its DNS record is in place: nothing was checked with Microsoft.`);
    else ctx.note(`Microsoft verified ${d.name} for ${d.clientDomain}${d.txtRecord ? ` (its DNS record: ${d.txtRecord})` : ''}; recorded in the ledger.`);
  });
}

export function register(domain: Command, ctx: Context): void {
  domain
    .command('verify')
    .description("Mark a client's added domain verified (offline: on your word that its DNS record is in place)")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<domain>', 'the added domain')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nOffline this records your word that the DNS record is in place; nothing is checked.\n`--plan graph` prints the Graph requests that read the record Microsoft wants and verify the domain.')
    .addHelpText('after', '\nExamples:\n  delegate client domain verify contoso.com contoso.net\n  delegate client domain verify contoso.com contoso.net --plan graph')
    .action(async (client: string, name: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domain: client, name });
      await show(ctx, await run(opts, ctx));
    });
}
