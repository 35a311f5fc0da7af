/** `delegate client accept|list|show|remove|terminate|extend|assign|drift` and the acting commands. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import { acceptOffer, CLIENT_STATUSES, eachClientChunk, endClient, parseOfferReference, showClient } from '../../../domain/clients.js';
import { assignGroup, drift, extendClient, type Drift } from '../../../domain/granular.js';
import { parseRoles, roleName } from '../../../domain/roles.js';
import * as v from '../../../domain/validate.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { nounCommand } from '../../program.js';
import { renderList, renderOne, type View } from '../../render.js';
import { csvRows, printChunks } from '../../bulk.js';
import { parseWith, rule, z } from '../../schema.js';
import { clientView } from '../../views.js';
import { register as registerActing } from './acting.js';
import { usesPartnerCenter, type PlannedRequest } from '../../../domain/graph.js';
import { planFlag, printPlan, PLAN_OPTION } from '../../plan.js';

export const acceptSchema = z.object({
  domain: z.optional(rule((s) => v.domain(s, '--domain'))),
  name: z.optional(rule((s) => v.displayName(s, '--name'))),
  tenantId: z.optional(rule((s) => v.guid(s, '--tenant-id'))),
  file: z.optional(z.string()),
});

export const listSchema = z.object({
  status: z.optional(rule((s) => v.oneOf(s, CLIENT_STATUSES, '--status'))),
  search: z.optional(rule((s) => v.displayName(s, '--search', 200))),
  expiring: z.optional(rule((s) => v.positiveInt(s, '--expiring', 3650))),
});

const driftView: View<Drift> = {
  columns: [
    { header: 'domain', value: (d) => d.domain },
    { header: 'template', value: (d) => d.template },
    { header: 'difference', value: (d) => d.difference },
    { header: 'fix', value: (d) => d.fix },
  ],
  json: (d) => d,
};

/** Ending a DAP relationship goes through Partner Center (Graph has no call for it): say so. */
function endNote(requests: readonly PlannedRequest[]): string | undefined {
  return usesPartnerCenter(requests)
    ? "Graph has no call that ends a delegated admin (DAP) relationship: the PATCH is Partner Center's (App+User authentication)."
    : undefined;
}

export function register(program: Command, ctx: Context): void {
  const client = nounCommand(program, 'client');
  const now = () => ctx.clock().now();

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
        rows = csvRows(ctx, raw.file, { required: ['domain'], optional: ['name', 'tenantId'] });
      } else {
        const domain = await ctx.need(raw.domain, '--domain', "Client's domain:", (s) => v.domain(s));
        const opts = parseWith(acceptSchema, { ...raw, domain });
        rows = argRows([opts.domain!], 'domain', { name: opts.name, tenantId: opts.tenantId });
      }
      const accepted = await acceptOffer(await ctx.session({ actor: true }), ref, rows, { source });
      const target = await ctx.target();
      if (raw.file) await renderList(target, clientView(now()), accepted);
      else await renderOne(target, clientView(now()), accepted[0]!);
      const first = accepted[0]!;
      ctx.note(
        first.relationship
          ? `${first.name} approved granular relationship "${first.relationship.displayName}" until ${first.relationship.endsAt}. Give your security groups roles on it with \`delegate client assign ${first.domain} --group <group> --roles <roles>\`.`
          : accepted.length === 1
            ? `${first.name} accepted offer ${first.offerId}: you are now its delegated administrator. A notification is in \`delegate inbox\`.`
            : `${accepted.length} clients accepted offer ${first.offerId}. Notifications are in \`delegate inbox\`.`,
      );
    });

  client
    .command('list')
    .description('List clients (original and granular relationships side by side)')
    .option('--status <status>', 'active, removed, expired or terminated')
    .option('--search <text>', 'only clients whose domain, name or tenant id contains this')
    .option('--expiring <days>', 'only active granular relationships that end within this many days')
    .addHelpText('after', '\nExamples:\n  delegate client list --status active\n  delegate client list --expiring 30')
    .action(async (raw: { status?: string; search?: string; expiring?: string }) => {
      const opts = parseWith(listSchema, raw);
      const filter = { ...opts, ...(opts.expiring !== undefined ? { expiringDays: opts.expiring } : {}) };
      const session = await ctx.session();
      await printChunks(ctx, clientView(now(), { expiry: opts.expiring !== undefined }), (fn) => eachClientChunk(session, filter, fn));
    });

  client
    .command('show')
    .description('Show one client')
    .argument('<domain>', "the client's domain")
    .action(async (domain: string) => {
      const c = await showClient(await ctx.session(), domain);
      await renderOne(await ctx.target(), clientView(now(), { granular: Boolean(c.relationship) }), c);
    });

  for (const how of ['remove', 'terminate'] as const) {
    client
      .command(how)
      .description(
        how === 'remove'
          ? 'End the relationship with a client (full access or global admin); history is kept'
          : "Terminate a client's granular relationship (same as remove for the original offer's relationship)",
      )
      .argument('<domain>', "the client's domain")
      .option(...PLAN_OPTION)
      .action(async (domain: string, raw: { plan?: string | boolean }) => {
        const plan = planFlag(raw);
        const d = v.domain(domain);
        if (!plan) await ctx.confirm(`End the delegated administration relationship with ${d}?`);
        const r = await endClient(await ctx.session({ actor: true }), d, how, plan);
        if (r.kind === 'plan') return printPlan(ctx, r.requests, endNote(r.requests));
        await renderOne(await ctx.target(), clientView(now()), r.value);
        ctx.note(`Ended the relationship with ${r.value.domain}: you no longer administer it. Its history is kept.`);
      });
  }

  client
    .command('extend')
    .description('Turn auto-extend (P180D) on for an active granular relationship, or off with --off')
    .argument('<domain>', "the client's domain")
    .option('--off', 'turn auto-extend off (PT0S)')
    .option(...PLAN_OPTION)
    .action(async (domain: string, raw: { off?: boolean; plan?: string | boolean }) => {
      const plan = planFlag(raw);
      const r = await extendClient(await ctx.session({ actor: true }), domain, !raw.off, plan);
      if (r.kind === 'plan') return printPlan(ctx, r.requests, r.requests.length ? undefined : 'Auto-extend is already as asked: no request is needed.');
      const c = r.value;
      await renderOne(await ctx.target(), clientView(now()), c);
      ctx.note(raw.off ? `Auto-extend is off for ${c.domain}.` : `${c.domain} now extends by 180 days at a time when it reaches its end.`);
    });

  client
    .command('assign')
    .description("Give a security group roles on a client's granular relationship (global admins)")
    .argument('<domain>', "the client's domain")
    .option('--group <group>', 'the security group')
    .option('--roles <roles>', 'roles (names or ids, comma-separated), among the relationship’s roles')
    .option(...PLAN_OPTION)
    .addHelpText('after', '\nExample:\n  delegate client assign contoso.com --group Helpdesk --roles "Helpdesk Administrator"')
    .action(async (domain: string, raw: { group?: string; roles?: string; plan?: string | boolean }) => {
      const plan = planFlag(raw);
      v.domain(domain);
      if (!raw.group) throw new UsageError('Missing --group <group>');
      if (!raw.roles) throw new UsageError('Missing --roles <roles>');
      const roles = parseRoles(raw.roles);
      const r = await assignGroup(await ctx.session({ actor: true }), domain, raw.group, roles, { plan });
      if (r.kind === 'plan') return printPlan(ctx, r.requests);
      const a = r.value;
      const view: View<typeof a> = {
        columns: [
          { header: 'relationshipId', value: (x) => x.relationshipId },
          { header: 'group', value: (x) => x.group },
          { header: 'roles', value: (x) => x.roles.map(roleName).join(', ') },
        ],
        json: (x) => ({ relationshipId: x.relationshipId, group: x.group, roles: x.roles.map((id) => ({ id, name: roleName(id) })) }),
      };
      await renderOne(await ctx.target(), view, a);
    });

  client
    .command('drift')
    .description('Clients whose active granular relationship differs from its template, with what to change')
    .action(async () => {
      const rows = await drift(await ctx.session());
      await renderList(await ctx.target(), driftView, rows);
      if (rows.length === 0) ctx.note('No drift: every templated relationship matches its template.');
    });

  registerActing(client, ctx);
}
