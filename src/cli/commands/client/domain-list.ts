/** `delegate client domain list <client-domain> [--plan]`, and how a client's domain looks. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { listClientDomains } from '../../../domain/acting/domains.js';
import type { ClientDomain } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { planSchema } from '../../command.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderList, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { deliverActing, listing } from './common.js';

export const domainView: View<ClientDomain> = {
  fields: ['name', 'isInitial', 'verified', 'addedAt'],
  table: { key: ['name'], drop: ['addedAt'] },
  empty: 'No domains recorded for this client.',
  columns: [
    { header: 'name', value: (d) => d.name },
    { header: 'isInitial', value: (d) => d.isInitial },
    { header: 'verified', value: (d) => d.verified },
    { header: 'addedAt', value: (d) => d.addedAt },
  ],
  json: (d) => ({ name: d.name, isInitial: d.isInitial, verified: d.verified, addedAt: d.addedAt }),
};

/** The client is checked by the domain. */
export const schema = z.object({ plan: planSchema, domain: z.string() });
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Carried<ClientDomain[]>> {
  const { s, mode } = await listing(ctx, opts.plan);
  return listClientDomains(s, opts.domain, { mode });
}

export async function show(ctx: Context, r: Carried<ClientDomain[]>): Promise<void> {
  await deliverActing(ctx, r, async (ds) => renderList(await ctx.target(), domainView, ds));
}

export function register(domain: Command, ctx: Context): void {
  ctx
    .listFields(domain.command('list'), domainView.fields!)
    .description("List a client's domains")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .option(...PLAN_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate client domain list contoso.com\n  delegate client domain list contoso.com --json')
    .action(async (client: string, raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, domain: client }), ctx));
    });
}
