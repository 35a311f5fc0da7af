/** `delegate client show <domain>`: one client with every relationship. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { showClient } from '../../../domain/client/clients.js';
import type { ClientRecord } from '../../../domain/core/model.js';
import type { Context } from '../../context.js';
import { renderList, renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { clientJson, clientOwnColumns, clientRelationshipRows, clientShowView, clientView, relationshipColumns, type ClientRelationshipRow } from '../../views.js';

/** The domain is checked by the domain (a tenant id serves too). */
export const schema = z.object({ domain: z.string() });
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<ClientRecord> {
  return showClient(await ctx.session(), opts.domain);
}

/** JSON: the client; plain and csv: one line per relationship; a table: the client, then each relationship, vertically. */
export async function show(ctx: Context, c: ClientRecord): Promise<void> {
  const now = ctx.clock().now();
  const target = await ctx.target();
  if (target.output === 'json') return renderOne(target, clientView(now), c);
  const view = clientShowView(now);
  const rows = clientRelationshipRows(c);
  if (target.output !== 'table') return renderList(target, view, rows);
  await renderOne(target, { columns: clientOwnColumns(now), json: (x) => clientJson(x, now) }, c);
  const rel: View<ClientRelationshipRow> = { columns: relationshipColumns(now), json: view.json };
  target.write(`\nrelationships (${rows.length}):\n`);
  for (const [i, row] of rows.entries()) {
    if (i > 0) target.write('\n');
    await renderOne(target, rel, row, { indent: '  ' });
  }
}

export function register(client: Command, ctx: Context): void {
  client
    .command('show')
    .description('Show one client with every relationship (table, plain and csv: one line per relationship)')
    .argument('<domain>', "the client's domain, or its tenant id")
    .addHelpText('after', '\nExamples:\n  delegate client show contoso.com\n  delegate client show contoso.com --json')
    .action(async (domain: string) => {
      const opts = parseWith(schema, { domain });
      await show(ctx, await run(opts, ctx));
    });
}
