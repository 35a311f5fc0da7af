/** `delegate client show <domain>`: one client with every relationship. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { showClient } from '../../../domain/client/clients.js';
import type { ClientRecord } from '../../../domain/core/model.js';
import type { Context } from '../../context.js';
import { renderList, renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { clientRelationshipRows, clientShowView, clientView } from '../../views.js';

/** The domain is checked by the domain (a tenant id serves too). */
export const schema = z.object({ domain: z.string() });
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<ClientRecord> {
  return showClient(await ctx.session(), opts.domain);
}

/** JSON: the client; table, plain and csv: one line per relationship. */
export async function show(ctx: Context, c: ClientRecord): Promise<void> {
  const now = ctx.clock().now();
  const target = await ctx.target();
  if (target.output === 'json') await renderOne(target, clientView(now), c);
  else await renderList(target, clientShowView(now), clientRelationshipRows(c));
}

export function register(client: Command, ctx: Context): void {
  client
    .command('show')
    .description('Show one client with every relationship (table, plain and csv: one line per relationship)')
    .argument('<domain>', "the client's domain, or its tenant id")
    .action(async (domain: string) => {
      const opts = parseWith(schema, { domain });
      await show(ctx, await run(opts, ctx));
    });
}
