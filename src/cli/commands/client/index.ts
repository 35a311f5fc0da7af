/** `delegate client accept|list|show|remove`. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import { acceptOffer, listClients, parseOfferReference, removeClient, showClient } from '../../../domain/clients.js';
import * as v from '../../../domain/validate.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, readCsv, sourceName } from '../../csv.js';
import { nounCommand } from '../../program.js';
import { renderList, renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { clientView } from '../../views.js';
import { register as registerActing } from './acting.js';

export const acceptSchema = z.object({
  domain: rule((s) => v.domain(s, '--domain')).optional(),
  name: rule((s) => v.displayName(s, '--name')).optional(),
  tenantId: rule((s) => v.guid(s, '--tenant-id')).optional(),
  file: z.string().optional(),
});

const listSchema = z.object({
  status: rule((s) => v.oneOf(s, ['active', 'removed'] as const, '--status')).optional(),
  search: rule((s) => v.displayName(s, '--search', 200)).optional(),
});

export function register(program: Command, ctx: Context): void {
  const client = nounCommand(program, 'client');

  client
    .command('accept')
    .description('Record that a client accepted an offer (by its link or offer id)')
    .argument('<offer-url|offer-id>', 'the link the client followed, or the offer id')
    .option('--domain <domain>', "the client's domain")
    .option('--name <name>', "the client's organization name (default: the domain)")
    .option('--tenant-id <guid>', "the client's tenant id")
    .option('--file <csv|->', 'record many acceptances from a CSV file with header domain,name,tenantId (- for stdin)')
    .addHelpText('after', '\nExamples:\n  delegate client accept "$(delegate offer link)" --domain contoso.com --name "Contoso Ltd"\n  delegate client accept <offer-id> --file clients.csv')
    .action(async (ref: string, raw: { domain?: string; name?: string; tenantId?: string; file?: string }) => {
      parseOfferReference(ref);
      if (raw.file && (raw.domain || raw.name || raw.tenantId)) throw new UsageError('Give --domain (with --name, --tenant-id) or --file, not both');
      let rows;
      let source = 'arguments';
      if (raw.file) {
        checkReadable(raw.file);
        source = sourceName(raw.file);
        rows = readCsv(ctx.io, raw.file, { required: ['domain'], optional: ['name', 'tenantId'] });
      } else {
        const domain = await ctx.need(raw.domain, '--domain', "Client's domain:", (s) => v.domain(s));
        const opts = parseWith(acceptSchema, { ...raw, domain });
        rows = argRows([opts.domain!], 'domain', { name: opts.name, tenantId: opts.tenantId });
      }
      const accepted = await acceptOffer(await ctx.session({ actor: true }), ref, rows, { source });
      const target = await ctx.target();
      if (raw.file) await renderList(target, clientView, accepted);
      else await renderOne(target, clientView, accepted[0]!);
      ctx.note(
        accepted.length === 1
          ? `${accepted[0]!.name} accepted offer ${accepted[0]!.offerId}: you are now its delegated administrator. A notification is in \`delegate inbox\`.`
          : `${accepted.length} clients accepted offer ${accepted[0]!.offerId}. Notifications are in \`delegate inbox\`.`,
      );
    });

  client
    .command('list')
    .description('List clients')
    .option('--status <status>', 'active or removed')
    .option('--search <text>', 'only clients whose domain, name or tenant id contains this')
    .action(async (raw: { status?: string; search?: string }) => {
      const opts = parseWith(listSchema, raw);
      await renderList(await ctx.target(), clientView, await listClients(await ctx.session(), opts));
    });

  client
    .command('show')
    .description('Show one client')
    .argument('<domain>', "the client's domain")
    .action(async (domain: string) => {
      await renderOne(await ctx.target(), clientView, await showClient(await ctx.session(), domain));
    });

  client
    .command('remove')
    .description('End the relationship with a client (full access or global admin); history is kept')
    .argument('<domain>', "the client's domain")
    .action(async (domain: string) => {
      const d = v.domain(domain);
      await ctx.confirm(`End the delegated administration relationship with ${d}?`);
      const removed = await removeClient(await ctx.session({ actor: true }), d);
      await renderOne(await ctx.target(), clientView, removed);
      ctx.note(`Removed ${removed.domain}: you no longer administer it. Its history is kept.`);
    });

  registerActing(client, ctx);
}
