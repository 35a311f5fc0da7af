/** `delegate client domain add [client-domain] [domain]`: unverified until `client domain verify`. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { addClientDomain } from '../../../domain/acting/domains.js';
import type { ClientDomain } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema, valid } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { actingMode, deliverActing } from './common.js';
import { domainView } from './domain-list.js';

export const schema = z.object({
  plan: planSchema,
  domain: z.optional(valid((s) => v.clientRef(s))),
  name: z.optional(valid((s) => v.domain(s, 'domain'))),
  live: flag,
});
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Carried<ClientDomain>> {
  const { s, mode } = await actingMode(ctx, opts, 'client.domain.add', `${opts.domain}/${opts.name}`);
  return addClientDomain(s, opts.domain!, opts.name!, { mode });
}

export async function show(ctx: Context, r: Carried<ClientDomain>): Promise<void> {
  await deliverActing(ctx, r, async (d) => {
    await renderOne(await ctx.target(), domainView, d);
    ctx.note(
      d.verified
        ? `Added ${d.name} to ${d.clientDomain}, verified with its parent domain.`
        : `Added ${d.name} to ${d.clientDomain}, unverified. Put the DNS record Microsoft asks for in place, then run \`delegate client domain verify ${d.clientDomain} ${d.name}\`.`,
    );
  });
}

export function register(domain: Command, ctx: Context): void {
  domain
    .command('add')
    .description("Add a domain to a client's organization; it stays unverified until `client domain verify`")
    .argument('[client-domain]', "the client's domain, or its tenant id (asked for on a terminal)")
    .argument('[domain]', 'the domain to add (asked for on a terminal)')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate client domain add contoso.com contoso.net\n  delegate client domain add contoso.com contoso.net --plan')
    .action(async (client: string | undefined, name: string | undefined, raw: Record<string, unknown>) => {
      parseWith(schema, { ...raw, domain: client, name });
      // Every missing value in one message without a terminal; asked for in turn on one.
      const answers = await ctx.needAll([
        { value: client, flag: '<client-domain>', message: "Client's domain (or tenant id):", validate: (x) => v.clientRef(x) },
        { value: name, flag: '<domain>', message: 'Domain to add:', validate: (x) => v.domain(x, 'domain') },
      ]);
      const opts = parseWith(schema, { ...raw, domain: answers[0], name: answers[1] });
      await show(ctx, await run(opts, ctx));
    });
}
