/** `delegate offer create|link|list|revoke`. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import type { Partner } from '../../../domain/model.js';
import { OFFER_FORMATS, partnerCenterHint } from '../../../domain/offer-text.js';
import { createOffer, getOffer, listOffers, offerView as buildOfferView, revokeOffer, type Offer } from '../../../domain/offers.js';
import { autoExtend, normaliseDuration } from '../../../domain/duration.js';
import { checkDisplayName, createGranularOffers } from '../../../domain/granular.js';
import { parseRoles } from '../../../domain/roles.js';
import { showPartner } from '../../../domain/partner.js';
import { isVerified } from '../../../domain/urls.js';
import * as v from '../../../domain/validate.js';
import type { Context } from '../../context.js';
import { nounCommand } from '../../program.js';
import { renderList, renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { offerView } from '../../views.js';

export const createSchema = z
  .object({
    trial: z.optional(rule((s) => v.displayName(s, '--trial'))),
    purchase: z.optional(rule((s) => v.displayName(s, '--purchase'))),
    quantity: z.optional(rule((s) => v.positiveInt(s, '--quantity', 100000))),
    format: z._default(rule((s) => v.oneOf(s, OFFER_FORMATS, '--format')), 'text'),
    copy: z._default(z.boolean(), false),
    granular: z._default(z.boolean(), false),
    roles: z.optional(rule((s) => parseRoles(s))),
    duration: z.optional(rule((s) => normaliseDuration(s))),
    autoExtend: z.optional(rule(autoExtend)),
    name: z.optional(rule(checkDisplayName)),
    count: z._default(rule((s) => v.positiveInt(s, '--count', 1000)), 1),
    template: z.optional(rule((s) => v.displayName(s, '--template', 100))),
    plan: z.optional(z.string()),
  })
  .check(z.superRefine((o, c) => {
    if (o.plan !== undefined && o.plan !== 'graph') c.addIssue({ code: 'custom', message: `--plan takes "graph", not "${o.plan.slice(0, 20)}"` });
    const granularOnly = (['roles', 'duration', 'autoExtend', 'name', 'template'] as const).filter((k) => o[k] !== undefined);
    if (!o.granular && !o.template && (granularOnly.length || o.count !== 1 || o.plan !== undefined)) {
      c.addIssue({ code: 'custom', message: '--roles, --duration, --auto-extend, --name, --count and --plan go with --granular' });
    }
    if ((o.granular || o.template) && (o.trial || o.purchase)) c.addIssue({ code: 'custom', message: 'A granular offer cannot include a trial or purchase offer' });
    if (o.trial && o.purchase) c.addIssue({ code: 'custom', message: 'An offer goes with a trial invitation or a purchase offer, not both: give --trial or --purchase' });
    if (o.purchase && o.quantity === undefined) c.addIssue({ code: 'custom', message: '--purchase needs --quantity <n>' });
    if (o.quantity !== undefined && !o.purchase) c.addIssue({ code: 'custom', message: '--quantity goes with --purchase <product>' });
  }));

/** Say which links are not publicly documented, once, on stderr. */
function unverifiedNote(ctx: Context, partner: Pick<Partner, 'cloud'>, o: Offer): void {
  const kind = o.trial ? 'trial' : o.purchase ? 'purchase' : 'admin';
  if (!isVerified(partner.cloud, kind)) {
    ctx.note(
      partner.cloud === 'china'
        ? 'Note: the 21Vianet invitation paths are not publicly documented; this link mirrors the global path on portal.partner.microsoftonline.cn (unverified).'
        : 'Note: the purchase offer link is not publicly documented; it mirrors the trial link with type=Purchase (unverified).',
    );
  }
}

/** Offers print as copyable text for people; json and csv give the record. */
async function printOffer(ctx: Context, o: Offer, body: string): Promise<void> {
  const target = await ctx.target();
  if (target.output === 'json' || target.output === 'csv') await renderOne(target, offerView, o);
  else target.write(body.endsWith('\n') ? body : body + '\n');
}

export function register(program: Command, ctx: Context): void {
  const offer = nounCommand(program, 'offer');

  offer
    .command('create')
    .description('Create a delegated administration offer (reusable for many clients) and print it')
    .option('--trial <product>', 'include it with a trial invitation for this product')
    .option('--purchase <product>', 'include it with a purchase offer for this product')
    .option('--quantity <n>', 'licences in the purchase offer')
    .option('--format <format>', 'text, email (with a Subject line), html (a snippet for a web page) or url')
    .option('--copy', 'also put it on the clipboard')
    .option('--granular', 'a granular (GDAP) offer: chosen roles, time-bound, for one client')
    .option('--roles <roles>', 'granular: roles by name or id, comma-separated (see `delegate role list`)')
    .option('--duration <iso>', 'granular: P1D to P2Y (default P730D)')
    .option('--auto-extend <iso>', 'granular: PT0S (default) or P180D')
    .option('--name <displayName>', 'granular: relationship display name, at most 50 characters (default: generated)')
    .option('--count <n>', 'granular: make n offers at once, named "<name> 1..n"')
    .option('--template <name>', 'granular: take roles, duration and auto-extend from a template')
    .option('--plan <graph>', 'granular: print the Microsoft Graph requests instead of creating anything')
    .addHelpText(
      'after',
      '\nExamples:\n  delegate offer create\n  delegate offer create --trial "Microsoft 365 Business Premium" --format email --copy\n  delegate offer create --granular --roles "Helpdesk Administrator,Global Reader" --duration P365D --name "Contoso helpdesk"',
    )
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseWith(createSchema, raw);
      if (opts.granular || opts.template) {
        const session = await ctx.session({ actor: true });
        const made = await createGranularOffers(session, {
          ...(opts.roles ? { roles: opts.roles } : {}),
          ...(opts.duration ? { duration: opts.duration } : {}),
          ...(opts.autoExtend ? { autoExtendDuration: opts.autoExtend } : {}),
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.template ? { template: opts.template } : {}),
          count: opts.count,
          plan: opts.plan === 'graph',
        });
        if (made.plan) {
          ctx.io.out(JSON.stringify(made.plan, null, 2) + '\n');
          ctx.note('Plan only: nothing was created. Access assignments can only be made after the client approves.');
          return;
        }
        const partner = await showPartner(session);
        const offers = made.records.map((r) => buildOfferView(partner, { ...r.offer }, opts.format, r.relationship, ctx.clock().now()));
        const target = await ctx.target();
        // With --count the answer is always an array (even of one), as for --file.
        const many = raw.count !== undefined;
        if (!many) await printOffer(ctx, offers[0]!, offers[0]!.text);
        else if (target.output === 'json' || target.output === 'csv') await renderList(target, offerView, offers);
        else target.write(offers.map((o) => o.text).join('\n\n----\n\n') + '\n');
        if (opts.copy) await ctx.copy(offers.map((o) => o.text).join('\n\n'), 'offer');
        if (partner.cloud === 'china') ctx.note('Note: the 21Vianet GDAP invitation path is not publicly documented; this link mirrors the global path on portal.partner.microsoftonline.cn (unverified).');
        ctx.note(
          `${offers.length} granular offer${offers.length === 1 ? '' : 's'} created (approvalPending; each is for one client and expires if not accepted within 90 days). In Partner Center: ${partnerCenterHint(made.activeClients)}.`,
        );
        return;
      }
      const { offer: o, activeClients } = await createOffer(await ctx.session({ actor: true }), {
        ...(opts.trial ? { trial: opts.trial } : {}),
        ...(opts.purchase ? { purchase: { product: opts.purchase, quantity: opts.quantity! } } : {}),
        format: opts.format,
      });
      await printOffer(ctx, o, o.text);
      if (opts.copy) await ctx.copy(o.text, opts.format === 'url' ? 'link' : 'offer');
      unverifiedNote(ctx, await showPartner(await ctx.session()), o);
      ctx.note(`Offer ${o.id} created. In Partner Center the same action is under ${partnerCenterHint(activeClients)} (you manage ${activeClients} client${activeClients === 1 ? '' : 's'}).`);
      ctx.note('Paste it into an email, document or web page and send it to your clients; it can be reused for many of them.');
    });

  offer
    .command('link')
    .description('Print the link of an offer (the latest active offer when no id is given)')
    .argument('[offer-id]', 'offer id (or a unique prefix of it)')
    .option('--text', 'print the whole offer text, not just the link')
    .option('--copy', 'also put it on the clipboard')
    .action(async (id: string | undefined, raw: { text?: boolean; copy?: boolean }) => {
      const s = await ctx.session();
      const o = await getOffer(s, id);
      const body = raw.text ? o.text : o.url;
      await printOffer(ctx, o, body);
      if (raw.copy) await ctx.copy(body, raw.text ? 'offer' : 'link');
      if (o.status === 'revoked') ctx.note(`Offer ${o.id} is revoked: clients can no longer accept it.`);
      unverifiedNote(ctx, await showPartner(s), o);
    });

  offer
    .command('list')
    .description('List active offers (--all: revoked ones too)')
    .option('--all', 'include revoked offers')
    .action(async (raw: { all?: boolean }) => {
      await renderList(await ctx.target(), offerView, await listOffers(await ctx.session(), { all: Boolean(raw.all) }));
    });

  offer
    .command('revoke')
    .description('Revoke an offer so clients can no longer accept it')
    .argument('<offer-id>', 'offer id (or a unique prefix of it)')
    .action(async (id: string) => {
      if (!id.trim()) throw new UsageError('Give the offer id to revoke');
      await ctx.confirm(`Revoke offer ${id}?`);
      const { offer: o, linkStillAcceptedBy } = await revokeOffer(await ctx.session({ actor: true }), id);
      await renderOne(await ctx.target(), offerView, o);
      ctx.note(`Revoked offer ${o.id}.`);
      if (!o.trial && !o.purchase && !o.granular) {
        ctx.note(
          linkStillAcceptedBy
            ? `The delegated admin link carries only your tenant id, so it still works: acceptances of it now count against offer ${linkStillAcceptedBy}, which is still active. Revoke that too to stop the link.`
            : 'No offer is active now, so the delegated admin link can no longer be accepted.',
        );
      }
    });
}
