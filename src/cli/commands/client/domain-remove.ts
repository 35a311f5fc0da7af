/** `delegate client domain remove <client-domain> <domain>`: not its initial domain, nor one its users sign in on. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { removeClientDomain } from '../../../domain/acting/domains.js';
import type { ClientDomain } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema, valid } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { actingMode, clientRefSchema, deliverActing } from './common.js';
import { domainView } from './domain-list.js';

export const schema = z.object({ domain: clientRefSchema, name: valid((s) => v.domain(s, 'domain')), plan: planSchema, live: flag });
export type Options = output<typeof schema>;

/** The client and the domain as the ledger names them. */
const names = (o: Options) => ({ d: v.clientRef(o.domain), n: v.domain(o.name, 'domain') });

export function question(o: Options): string | undefined {
  const { d, n } = names(o);
  return o.plan ? undefined : `Remove domain ${n} from ${d}?`;
}

export type Removed = { r: Carried<ClientDomain>; live: boolean };

export async function run(opts: Options, ctx: Context): Promise<Removed> {
  const { d, n } = names(opts);
  const { s, mode } = await actingMode(ctx, opts, 'client.domain.remove', `${d}/${n}`);
  return { r: await removeClientDomain(s, opts.domain, opts.name, { mode }), live: mode.kind === 'live' };
}

export async function show(ctx: Context, opts: Options, { r, live }: Removed): Promise<void> {
  const { d } = names(opts);
  await deliverActing(ctx, r, async (gone) => {
    await renderOne(await ctx.target(), domainView, gone);
    ctx.note(
      live
        ? `Removed ${gone.name} from ${d} at Microsoft and from the ledger.`
        : `Removed ${gone.name} from ${d} in the ledger. Nothing was sent to Microsoft: \`--live\` removes it there (it cannot be restored).`,
    );
  });
}

export function register(domain: Command, ctx: Context): void {
  domain
    .command('remove')
    .description("Remove a domain from a client's organization (not its initial domain, nor one its users sign in on)")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<domain>', 'the domain to remove')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts. Microsoft cannot restore a removed domain.\n\nExamples:\n  delegate client domain remove contoso.com old.contoso.com --yes')
    .action(async (client: string, name: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domain: client, name });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, opts, await run(opts, ctx));
    });
}
