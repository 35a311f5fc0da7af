/** `delegate client accept|list|show|remove|terminate|extend|assign|drift` and the acting commands. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import { acceptOffer, eachClientChunk, eachClientLineChunk, endClient, parseOfferReference, showClient, type Accepted } from '../../../domain/client/clients.js';
import { CLIENT_STATUSES, type ClientRecord } from '../../../domain/core/model.js';
import { activeDap, activeGdap } from '../../../domain/relationship/relationships.js';
import { assignGroup } from '../../../domain/access/assignments.js';
import { eachDriftChunk, type Drift } from '../../../domain/client/drift.js';
import { extendClient } from '../../../domain/client/lifecycle.js';
import { parseRoles, roleName } from '../../../domain/relationship/roles.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { Printed, renderList, renderOne, type View } from '../../render.js';
import { csvRows, printChunks } from '../../bulk.js';
import { parseWith, rule, z } from '../../schema.js';
import { clientRelationshipRows, clientShowView, clientView, CLIENT_FIELDS } from '../../views.js';
import { register as registerActing } from './acting.js';
import { register as registerUnassign } from './unassign.js';
import { isBulk, runFleet, type FleetFlags } from './fleet.js';
import { GLOBAL_ADMINISTRATOR, parseRole } from '../../../domain/relationship/roles.js';
import { usesPartnerCenter, type PlannedRequest } from '../../../domain/plan/request.js';
import { planFlag, printPlan, PLAN_OPTION } from '../../plan.js';
import { LIVE_OPTION, reportLive, sessionAndMode } from '../../live.js';

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
  fields: ['domain', 'relationship', 'template', 'difference', 'fix'],
  columns: [
    { header: 'domain', value: (d) => d.domain },
    { header: 'relationship', value: (d) => d.relationship },
    { header: 'template', value: (d) => d.template },
    { header: 'difference', value: (d) => d.difference },
    { header: 'fix', value: (d) => d.fix },
  ],
  json: (d) => d,
};

/**
 * An acceptance as the client it made, plus (JSON `assigned`, table column
 * `assigned`) the group assignments a template gave it on acceptance. Used
 * only when there are some: other acceptances print as any client does.
 */
function acceptedView(base: View<ClientRecord>): View<Accepted> {
  return {
    columns: [...base.columns, { header: 'assigned', value: (c) => (c.assigned ?? []).map((a) => `${a.group}: ${a.roles.map(roleName).join(', ')}`).join('; ') }],
    json: (c) => ({
      ...(base.json(c) as object),
      assigned: (c.assigned ?? []).map((a) => ({ relationshipId: a.relationshipId, group: a.group, roles: a.roles.map((id) => ({ id, name: roleName(id) })) })),
    }),
  };
}

/** Ending a DAP relationship goes through Partner Center (Graph has no call for it): say so. */
function endNote(requests: readonly PlannedRequest[]): string | undefined {
  return usesPartnerCenter(requests)
    ? "Graph has no call that ends a delegated admin (DAP) relationship: the PATCH is Partner Center's (App+User authentication)."
    : undefined;
}

export function register(client: Command, ctx: Context): void {
  const now = () => ctx.clock().now();

  client
    .command('accept')
    .description('Record that a client accepted an offer (by its link or offer id)')
    .argument('[offer-url|offer-id]', 'the link the client followed, or the offer id (asked for on a terminal)')
    .option('--domain <domain>', "the client's domain")
    .option('--name <name>', "the client's organization name (default: the domain)")
    .option('--tenant-id <guid>', "the client's tenant id")
    .option('--file <csv|->', 'record many acceptances from a CSV file with header domain,name,tenantId (- for stdin)')
    .addHelpText('after', '\nExamples:\n  delegate client accept "$(delegate offer link)" --domain contoso.com --name "Contoso Ltd"\n  delegate client accept <offer-id> --file clients.csv')
    .action(async (refIn: string | undefined, raw: { domain?: string; name?: string; tenantId?: string; file?: string }) => {
      if (raw.file && (raw.domain || raw.name || raw.tenantId)) throw new UsageError('Give --domain (with --name, --tenant-id) or --file, not both');
      // Every missing value in one message without a terminal; asked for in turn on one.
      const offerRef = { value: refIn, flag: '<offer-url|offer-id>', message: 'The link the client followed, or the offer id:', validate: (x: string) => parseOfferReference(x) };
      const [ref, domainIn] = raw.file
        ? [...(await ctx.needAll([offerRef])), undefined]
        : await ctx.needAll([offerRef, { value: raw.domain, flag: '--domain', message: "Client's domain:", validate: (x: string) => v.domain(x) }]);
      let rows;
      let source = 'arguments';
      if (raw.file) {
        checkReadable(raw.file);
        source = sourceName(raw.file);
        rows = csvRows(ctx, raw.file, { required: ['domain'], optional: ['name', 'tenantId'] });
      } else {
        const opts = parseWith(acceptSchema, { ...raw, domain: domainIn });
        rows = argRows([opts.domain!], 'domain', { name: opts.name, tenantId: opts.tenantId });
      }
      const accepted = await acceptOffer(await ctx.session({ actor: true }), ref, rows, { source });
      const target = await ctx.target();
      const view = accepted.some((a) => a.assigned?.length) ? acceptedView(clientView(now())) : clientView(now());
      if (raw.file) await renderList(target, view, accepted);
      else await renderOne(target, view, accepted[0]!);
      const first = accepted[0]!;
      const assigned = first.assigned ?? [];
      if (assigned.length) {
        ctx.note(`Onboarded from template ${first.gdap.find((r) => r.offerId === first.offerId)?.template}: ${assigned.map((a) => `${a.group} (${a.roles.map(roleName).join(', ')})`).join('; ')}.`);
      }
      const rel = first.gdap.find((r) => r.offerId === first.offerId);
      const stillDap = rel && activeDap(first) ? ` Its delegated admin (DAP) relationship is still active: once your groups have their roles, end it with \`delegate client remove ${first.domain}\`.` : '';
      const several = rel && activeGdap(first, now()).length > 1 ? ` --relationship "${rel.displayName}"` : '';
      ctx.note(
        rel
          ? `${first.name} approved granular relationship "${rel.displayName}" until ${rel.endsAt}.${assigned.length ? '' : ` Give your security groups roles on it with \`delegate client assign ${first.domain}${several} --group <group> --roles <roles>\`.`}${stillDap}`
          : accepted.length === 1
            ? `${first.name} accepted offer ${first.offerId}: you are now its delegated administrator. A notification is in \`delegate inbox\`.`
            : `${accepted.length} clients accepted offer ${first.offerId}. Notifications are in \`delegate inbox\`.`,
      );
    });

  ctx
    .listFields(client.command('list'), CLIENT_FIELDS)
    .description('List clients (each with its delegated admin and granular relationships)')
    .option('--status <status>', `a client status: active (any relationship active), removed (last one was DAP), or a Graph relationship status (${CLIENT_STATUSES.slice(2).join(', ')})`)
    .option('--search <text>', 'only clients whose domain, name or tenant id contains this')
    .option('--expiring <days>', "only clients with an active granular relationship whose current end is within this many days (not Graph's `expiring` status)")
    .addHelpText('after', '\nExamples:\n  delegate client list --status active\n  delegate client list --expiring 30')
    .action(async (raw: { status?: string; search?: string; expiring?: string }) => {
      const opts = parseWith(listSchema, raw);
      const filter = { ...opts, ...(opts.expiring !== undefined ? { expiringDays: opts.expiring } : {}) };
      const session = await ctx.session();
      const view = clientView(now(), opts.expiring !== undefined ? { expiry: { days: opts.expiring } } : {});
      const { output } = await ctx.target();
      if ((output === 'csv' || output === 'json') && !ctx.fields && !opts.status && opts.expiring === undefined) {
        // The whole list in a script's form: the store prints the clients it can (Tx.clientLines).
        const printed = (x: string | ClientRecord) => (typeof x === 'string' ? new Printed(x) : x);
        await printChunks(ctx, view, (fn) => eachClientLineChunk(session, opts, output, (chunk) => fn(chunk.map(printed))));
      } else await printChunks(ctx, view, (fn) => eachClientChunk(session, filter, fn));
    });

  client
    .command('show')
    .description('Show one client with every relationship (table, plain and csv: one line per relationship)')
    .argument('<domain>', "the client's domain, or its tenant id")
    .action(async (domain: string) => {
      const c = await showClient(await ctx.session(), domain);
      const target = await ctx.target();
      if (target.output === 'json') await renderOne(target, clientView(now()), c);
      else await renderList(target, clientShowView(now()), clientRelationshipRows(c));
    });

  const relationshipOption = '--relationship <name|id>';
  const relationshipHelp = "one granular relationship, by display name or relationship id (see `delegate client show`)";

  for (const how of ['remove', 'terminate'] as const) {
    const cmd = client.command(how);
    if (how === 'terminate') {
      cmd
        .option(relationshipOption, `${relationshipHelp} (one client only)`)
        .option('--file <csv|->', 'terminate for every client in a CSV file with a domain column (a tenant id also serves; - for stdin)')
        .option('--dry-run', 'print what would be terminated, one line per client, and change nothing');
    }
    cmd
      .description(
        how === 'remove'
          ? 'End the delegated admin (DAP) relationship with a client (full access or global admin); granular ones stay. A client without an active DAP relationship: same as terminate'
          : "Terminate a client's granular relationships: each active one, or the one named with --relationship (full access or global admin)",
      )
      .argument(how === 'remove' ? '<domain>' : '[domain...]', how === 'remove' ? "the client's domain, or its tenant id" : "clients' domains, or tenant ids")
      .addHelpText(
        'after',
        how === 'remove'
          ? '\nMicrosoft\'s path from DAP to GDAP: the client approves a granular offer, you assign your groups, then\n  delegate client remove contoso.com      (ends DAP only; its granular relationships stay active)'
          : '\nExamples:\n  delegate client terminate contoso.com                       (ends every active granular relationship, listed)\n  delegate client terminate contoso.com --relationship "Contoso helpdesk"\n  delegate client terminate contoso.com wingtip.com --yes     (one line per client)\n  delegate client terminate --file leaving.csv --dry-run',
      )
      .option(...PLAN_OPTION)
      .option(...LIVE_OPTION)
      .action(async (domainArg: string | string[], raw: { relationship?: string; plan?: string | boolean; live?: boolean } & FleetFlags) => {
        const domains = Array.isArray(domainArg) ? domainArg : [domainArg];
        if (how === 'terminate' && isBulk(domains, raw)) {
          if (raw.relationship !== undefined) throw new UsageError('--relationship goes with one client');
          return runFleet(ctx, { kind: 'terminate' }, domains, raw, { destructive: true });
        }
        const plan = planFlag(raw);
        const d = v.clientRef(domains[0]!);
        const rel = raw.relationship === undefined ? undefined : v.displayName(raw.relationship, '--relationship', 120);
        if (!plan) await ctx.confirm(how === 'remove' && rel === undefined ? `End the delegated administration relationship with ${d}?` : `Terminate ${rel === undefined ? 'the active granular relationships' : `granular relationship "${rel}"`} with ${d}?`);
        const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: `client.${how}`, target: d });
        const r = await endClient(s, d, how, { mode, ...(rel === undefined ? {} : { relationship: rel }) });
        if (r.kind === 'plan') return printPlan(ctx, r.requests, endNote(r.requests));
        const ended = r.value;
        await renderOne(await ctx.target(), clientView(now()), ended.client);
        const c = ended.client;
        const left = activeGdap(c, now());
        if (ended.dap) {
          ctx.note(
            `Ended the delegated admin (DAP) relationship with ${c.domain}${mode.kind === 'live' ? ' at Partner Center' : ''}.${left.length ? ` Its granular relationship${left.length === 1 ? '' : 's'} ${left.map((r) => `"${r.displayName}"`).join(', ')} stay${left.length === 1 ? 's' : ''} active.` : ' You no longer administer it.'} Its history is kept.`,
          );
        } else {
          for (const r of ended.terminated) {
            ctx.note(
              r.msStatus === 'terminationRequested'
                ? `Microsoft took the request to terminate granular relationship "${r.displayName}" (${r.id}) with ${c.domain}: it is terminationRequested until Microsoft ends it (\`delegate sync\` reads it back).`
                : `Terminated granular relationship "${r.displayName}" (${r.id}) with ${c.domain}.`,
            );
          }
          ctx.note(
            left.length || activeDap(c)
              ? `${c.domain} is still active through ${[activeDap(c) ? 'its delegated admin (DAP) relationship' : '', ...left.map((r) => `"${r.displayName}"`)].filter(Boolean).join(', ')}.`
              : `You no longer administer ${c.domain}. Its history is kept.`,
          );
        }
        reportLive(ctx, r);
      });
  }

  client
    .command('extend')
    .description("Turn auto-extend (P180D) on for clients' active granular relationships, or off with --off")
    .argument('[domain...]', "clients' domains, or tenant ids")
    .option('--off', 'turn auto-extend off (PT0S)')
    .option(relationshipOption, `${relationshipHelp} (one client only)`)
    .option('--all', 'every client with an active granular relationship it applies to (those with Global Administrator only are listed as skipped)')
    .option('--file <csv|->', 'every client in a CSV file with a domain column (a tenant id also serves; - for stdin)')
    .option('--dry-run', 'print what would change, one line per client, and change nothing')
    .addHelpText(
      'after',
      '\nWithout --relationship it applies to each active granular relationship; turning it on skips (and lists)\nthose with Global Administrator, which cannot auto-extend. Exit 5 when none qualifies.',
    )
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .action(async (domains: string[], raw: { off?: boolean; relationship?: string } & FleetFlags) => {
      if (isBulk(domains, raw)) {
        if (raw.relationship !== undefined) throw new UsageError('--relationship goes with one client');
        return runFleet(ctx, { kind: 'extend', on: !raw.off }, domains, raw, { destructive: false });
      }
      const d = v.clientRef(domains[0]!);
      const rel = raw.relationship === undefined ? undefined : v.displayName(raw.relationship, '--relationship', 120);
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'client.extend', target: d });
      const out = await extendClient(s, d, !raw.off, { mode, ...(rel === undefined ? {} : { relationship: rel }) });
      if (out.kind === 'plan') return printPlan(ctx, out.requests, out.requests.length ? undefined : 'Auto-extend is already as asked: no request is needed.');
      const r = out.value;
      await renderOne(await ctx.target(), clientView(now()), r.client);
      const names = (list: readonly { displayName: string }[]) => list.map((x) => `"${x.displayName}"`).join(', ');
      const done = [...r.changed, ...r.unchanged];
      if (done.length) ctx.note(
        raw.off
          ? `Auto-extend is off for ${names(done)} with ${r.client.domain}.`
          : `${names(done)} with ${r.client.domain} now extend${done.length === 1 ? 's' : ''} by 180 days at a time when reaching the end.`,
      );
      if (r.skipped.length) ctx.note(`Skipped ${names(r.skipped)}: Global Administrator is among its roles, so it cannot auto-extend.`);
      reportLive(ctx, out);
    });

  client
    .command('remove-role')
    .description("Remove Global Administrator from clients' active granular relationships (the one role Graph lets an active relationship lose), so they can auto-extend")
    .argument('[domain...]', "clients' domains, or tenant ids")
    .option('--role <role>', 'the role to remove: Global Administrator (by name or id)')
    .option('--all', 'every client with an active granular relationship that has the role (the others are listed as skipped)')
    .option('--file <csv|->', 'every client in a CSV file with a domain column (a tenant id also serves; - for stdin)')
    .option('--dry-run', 'print what would change, one line per client, and change nothing')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText(
      'after',
      '\nAsks y/N on a terminal; pass --yes in scripts. Per relationship Graph is asked to PATCH its roles (a long-running operation).\n\nExamples:\n  delegate client remove-role contoso.com --role "Global Administrator" --yes\n  delegate client remove-role --all --role "Global Administrator" --dry-run',
    )
    .action(async (domains: string[], raw: { role?: string } & FleetFlags) => {
      if (!raw.role) throw new UsageError('Missing --role "Global Administrator"');
      const role = parseRole(raw.role).id;
      if (role !== GLOBAL_ADMINISTRATOR) throw new UsageError(`--role: Graph lets an active relationship lose only Global Administrator, not ${roleName(role)}`);
      return runFleet(ctx, { kind: 'remove-role', role }, domains, raw, { destructive: true });
    });

  client
    .command('assign')
    .description("Give a security group roles on a client's granular relationship (global admins)")
    .argument('<domain>', "the client's domain, or its tenant id")
    .option('--group <group>', 'the security group')
    .option('--roles <roles>', 'roles (names or ids, comma-separated), among the relationship’s roles')
    .option(relationshipOption, 'the granular relationship, by display name or id (needed when the client has several active ones)')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText(
      'after',
      '\nAssigns on the client\'s active granular relationship; with several active, name one with --relationship (exit 2 otherwise).\nExample:\n  delegate client assign contoso.com --group Helpdesk --roles "Helpdesk Administrator"',
    )
    .action(async (domain: string, raw: { group?: string; roles?: string; relationship?: string; plan?: string | boolean; live?: boolean }) => {
      const d = v.clientRef(domain);
      if (!raw.group) throw new UsageError('Missing --group <group>');
      if (!raw.roles) throw new UsageError('Missing --roles <roles>');
      const roles = parseRoles(raw.roles);
      const relationship = raw.relationship === undefined ? undefined : v.displayName(raw.relationship, '--relationship', 120);
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'client.assign', target: d });
      const r = await assignGroup(s, d, raw.group, roles, { mode, ...(relationship === undefined ? {} : { relationship }) });
      if (r.kind === 'plan') return printPlan(ctx, r.requests);
      const { assignment: a, relationship: rel } = r.value;
      const view: View<typeof a> = {
        columns: [
          { header: 'relationship', value: () => rel.displayName },
          { header: 'relationshipId', value: (x) => x.relationshipId },
          { header: 'group', value: (x) => x.group },
          { header: 'roles', value: (x) => x.roles.map(roleName).join(', ') },
        ],
        json: (x) => ({ relationshipId: x.relationshipId, group: x.group, roles: x.roles.map((id) => ({ id, name: roleName(id) })) }),
      };
      await renderOne(await ctx.target(), view, a);
    });

  ctx
    .listFields(client.command('drift'), driftView.fields!)
    .description('Clients whose active granular relationship differs from its template, with what to change')
    .action(async () => {
      const s = await ctx.session();
      const count = await printChunks(ctx, driftView, (fn) => eachDriftChunk(s, fn));
      if (count === 0) ctx.note('No drift: every templated relationship matches its template.');
    });

  registerUnassign(client, ctx);
  registerActing(client, ctx);
}
