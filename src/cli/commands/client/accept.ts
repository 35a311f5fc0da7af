/** `delegate client accept [offer-url|offer-id] --domain ... | --file <csv|->`: record acceptances. */
import type { Command } from 'commander';
import { pipe, transform, type output } from 'zod/mini';
import { acceptOffer, parseOfferReference, type Accepted } from '../../../domain/client/clients.js';
import type { ClientRecord } from '../../../domain/core/model.js';
import { activeDap, activeGdap } from '../../../domain/relationship/relationships.js';
import { roleName } from '../../../domain/relationship/roles.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { argRows, sourceName } from '../../csv.js';
import { csvRows } from '../../bulk.js';
import { across, flag, problemOf, text, unreadable } from '../../command.js';
import { renderList, renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { clientView } from '../../views.js';

/** Whether the command line names everything (else what is missing is asked for, or named, first). */
const complete = (o: { ref?: string; domain?: string; file?: string }) => o.ref !== undefined && (o.file !== undefined || o.domain !== undefined);

/** Checked in the order a person reads them: what cannot go together, the offer and domain, then the rest once nothing is missing. */
const given = z
  .object({ ref: text, domain: text, name: text, tenantId: text, file: text, dryRun: flag })
  .check(
    across((o) => (o.file && (o.domain || o.name || o.tenantId) ? 'Give --domain (with --name, --tenant-id) or --file, not both' : undefined)),
    across((o) => (o.ref === undefined ? undefined : problemOf(() => parseOfferReference(o.ref!)))),
    across((o) => (o.domain === undefined ? undefined : problemOf(() => v.domain(o.domain!)))),
    across((o) => (complete(o) ? unreadable(o.file) : undefined)),
    across((o) => (complete(o) && o.name !== undefined ? problemOf(() => v.displayName(o.name!, '--name')) : undefined)),
    across((o) => (complete(o) && o.tenantId !== undefined ? problemOf(() => v.guid(o.tenantId!, '--tenant-id')) : undefined)),
  );

export const schema = pipe(
  given,
  transform((o) => ({
    ...o,
    domain: o.domain === undefined ? undefined : v.domain(o.domain),
    name: o.name === undefined ? undefined : v.displayName(o.name, '--name'),
    tenantId: o.tenantId === undefined ? undefined : v.guid(o.tenantId, '--tenant-id'),
  })),
);
export type Options = output<typeof schema>;

/** Record the acceptances: one client from the options, or one per row of the file. */
export async function run(opts: Options, ctx: Context): Promise<Accepted[]> {
  const rows = opts.file
    ? csvRows(ctx, opts.file, { required: ['domain'], optional: ['name', 'tenantId'] })
    : argRows([opts.domain!], 'domain', { name: opts.name, tenantId: opts.tenantId });
  return acceptOffer(await ctx.session({ actor: true }), opts.ref!, rows, { source: opts.file ? sourceName(opts.file) : 'arguments', dryRun: Boolean(opts.dryRun) });
}

/**
 * An acceptance as the client it made, plus (JSON `assigned`, table column
 * `assigned`) the group assignments a template gave it on acceptance. Used
 * only when there are some: other acceptances print as any client does.
 */
function acceptedView(base: View<ClientRecord>): View<Accepted> {
  return {
    table: { key: base.table?.key ?? ['domain'], drop: ['assigned', ...(base.table?.drop ?? [])] },
    columns: [...base.columns, { header: 'assigned', value: (c) => (c.assigned ?? []).map((a) => `${a.group}: ${a.roles.map(roleName).join(', ')}`).join('; ') }],
    json: (c) => ({
      ...(base.json(c) as object),
      assigned: (c.assigned ?? []).map((a) => ({ relationshipId: a.relationshipId, group: a.group, roles: a.roles.map((id) => ({ id, name: roleName(id) })) })),
    }),
  };
}

export async function show(ctx: Context, opts: Options, accepted: Accepted[]): Promise<void> {
  const now = ctx.clock().now();
  const target = await ctx.target();
  const view = accepted.some((a) => a.assigned?.length) ? acceptedView(clientView(now)) : clientView(now);
  if (opts.file) await renderList(target, view, accepted);
  else await renderOne(target, view, accepted[0]!);
  const first = accepted[0]!;
  if (opts.dryRun) {
    ctx.note(`Would record ${accepted.length === 1 ? `${first.domain}'s acceptance` : `${accepted.length} acceptances`} of offer ${first.offerId}; nothing was written (--dry-run).`);
    return;
  }
  const assigned = first.assigned ?? [];
  if (assigned.length) {
    ctx.note(`Onboarded from template ${first.gdap.find((r) => r.offerId === first.offerId)?.template}: ${assigned.map((a) => `${a.group} (${a.roles.map(roleName).join(', ')})`).join('; ')}.`);
  }
  const rel = first.gdap.find((r) => r.offerId === first.offerId);
  const stillDap = rel && activeDap(first) ? ` Its delegated admin (DAP) relationship is still active: once your groups have their roles, end it with \`delegate client remove ${first.domain}\`.` : '';
  const several = rel && activeGdap(first, now).length > 1 ? ` --relationship "${rel.displayName}"` : '';
  ctx.note(
    rel
      ? `${first.name} approved granular relationship "${rel.displayName}" until ${rel.endsAt}.${assigned.length ? '' : ` Give your security groups roles on it with \`delegate client assign ${first.domain}${several} --group <group> --roles <roles>\`.`}${stillDap}`
      : accepted.length === 1
        ? `${first.name} accepted offer ${first.offerId}: you are now its delegated administrator. A notification is in \`delegate inbox\`.`
        : `${accepted.length} clients accepted offer ${first.offerId}. Notifications are in \`delegate inbox\`.`,
  );
}

export function register(client: Command, ctx: Context): void {
  client
    .command('accept')
    .description('Record that a client accepted an offer (by its link or offer id)')
    .argument('[offer-url|offer-id]', 'the link the client followed, or the offer id (asked for on a terminal)')
    .option('--domain <domain>', "the client's domain")
    .option('--name <name>', "the client's organization name (default: the domain)")
    .option('--tenant-id <guid>', "the client's tenant id")
    .option('--file <csv|->', 'record many acceptances from a CSV file with header domain,name,tenantId (- for stdin)')
    .option('--dry-run', 'check everything and print the clients that would be recorded; write nothing')
    .addHelpText('after', '\nExamples:\n  delegate client accept "$(delegate offer link)" --domain contoso.com --name "Contoso Ltd"\n  delegate client accept <offer-id> --file clients.csv --dry-run\n  delegate client accept <offer-id> --file clients.csv')
    .action(async (ref: string | undefined, raw: Record<string, unknown>) => {
      const given = parseWith(schema, { ...raw, ref });
      // Every missing value in one message without a terminal; asked for in turn on one.
      const offerRef = { value: ref, flag: '<offer-url|offer-id>', message: 'The link the client followed, or the offer id:', validate: (x: string) => parseOfferReference(x) };
      const [refIn, domainIn] = given.file
        ? [...(await ctx.needAll([offerRef])), undefined]
        : await ctx.needAll([offerRef, { value: raw.domain as string | undefined, flag: '--domain', message: "Client's domain:", validate: (x: string) => v.domain(x) }]);
      const opts = parseWith(schema, { ...raw, ref: refIn, domain: domainIn });
      await show(ctx, opts, await run(opts, ctx));
    });
}
