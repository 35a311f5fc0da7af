/** `delegate offer create|link|list|revoke`. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import type { Partner } from '../../../domain/core/model.js';
import { OFFER_FORMATS, partnerCenterHint } from '../../../domain/offer/offer-text.js';
import { createOffer, eachOfferChunk, eachOfferLineChunk, offerView as buildOfferView, revokeOffer, showOffer, type Offer } from '../../../domain/offer/offers.js';
import { autoExtend, normaliseDuration } from '../../../domain/core/duration.js';
import { createGranularOffers } from '../../../domain/offer/granular-offers.js';
import { checkDisplayName } from '../../../domain/relationship/rules.js';
import { parseRoles } from '../../../domain/relationship/roles.js';
import { showPartner } from '../../../domain/partner/partner.js';
import { howKnown, parseSignupLink, type SignupLink } from '../../../domain/offer/urls.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { planFlag, printPlan, PLAN_OPTION } from '../../plan.js';
import { LIVE_OPTION, reportLive, sessionAndMode, wantsLive } from '../../live.js';
import { Printed, renderList, renderOne, safeText } from '../../render.js';
import { printChunks } from '../../bulk.js';
import { parseWith, rule, z } from '../../schema.js';
import { offerView } from '../../views.js';

export const createSchema = z
  .object({
    trialUrl: z.optional(rule((s) => signupLink(s, 'trial', '--trial-url'))),
    trial: z.optional(rule((s) => v.displayName(s, '--trial'))),
    purchaseUrl: z.optional(rule((s) => signupLink(s, 'purchase', '--purchase-url'))),
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
  })
  .check(z.superRefine((o, c) => {
    const granularOnly = (['roles', 'duration', 'autoExtend', 'name', 'template'] as const).filter((k) => o[k] !== undefined);
    if (!o.granular && !o.template && (granularOnly.length || o.count !== 1)) {
      c.addIssue({ code: 'custom', message: '--roles, --duration, --auto-extend, --name, --count and --plan go with --granular' });
    }
    const bundled = o.trialUrl || o.purchaseUrl || o.trial !== undefined || o.purchase !== undefined || o.quantity !== undefined;
    if ((o.granular || o.template) && bundled) c.addIssue({ code: 'custom', message: 'A granular offer cannot include a trial or purchase offer' });
    if (o.trialUrl && o.purchaseUrl) c.addIssue({ code: 'custom', message: 'An offer goes with a trial invitation or a purchase offer, not both: give --trial-url or --purchase-url' });
    if (o.trial !== undefined && !o.trialUrl) c.addIssue({ code: 'custom', message: partnerCenterMakes('--trial', 'trial invitation', '--trial-url') });
    for (const flag of ['purchase', 'quantity'] as const) {
      if (o[flag] !== undefined && !o.purchaseUrl) c.addIssue({ code: 'custom', message: partnerCenterMakes(`--${flag}`, 'purchase offer', '--purchase-url') });
    }
  }));

/** `--trial`, `--purchase` and `--quantity` only describe a link Partner Center made. */
function partnerCenterMakes(flag: string, what: string, urlFlag: string): string {
  return `${flag} only describes a ${what} for the offer text: Partner Center makes the ${what} link (Trials and purchase offers > Create); give it with ${urlFlag} <link>`;
}

/** A trial or purchase link as a schema rule: its shape, checked without the store. */
function signupLink(text: string, kind: 'trial' | 'purchase', flag: string): SignupLink {
  const r = parseSignupLink(text, kind, flag);
  if ('error' in r) throw new UsageError(r.error);
  return r;
}

/** Say which links are not publicly confirmed, once, on stderr. */
function unverifiedNote(ctx: Context, partner: Pick<Partner, 'cloud'>, o: Offer): void {
  const link = o.trial?.url || o.purchase?.url ? 'signup' : 'adminOffer';
  if (howKnown(partner.cloud, link) === 'unverified') {
    ctx.note(
      link === 'signup'
        ? 'Note: the shape of 21Vianet trial and purchase links is not publicly confirmed; delegate checked only that this one is on portal.partner.microsoftonline.cn.'
        : 'Note: the 21Vianet invitation paths are not publicly confirmed; this link mirrors the global path on portal.partner.microsoftonline.cn (unverified).',
    );
  }
}

/** What happened to an old trial or purchase offer's link (README "Offers made before links came from Partner Center"). */
function droppedNote(o: Offer): string {
  const kind = o.trial ? 'trial' : 'purchase';
  return `Offer ${o.id} was made by an older delegate, whose ${kind} link was made up and never worked at Microsoft; it was dropped, so the offer shows the delegated admin link. Make the ${kind} link in Partner Center and run \`delegate offer create --${kind}-url <link>\`.`;
}

/** Offers print as copyable text for people; json and csv give the record. */
async function printOffer(ctx: Context, o: Offer, body: string): Promise<void> {
  const target = await ctx.target();
  if (target.output === 'json' || target.output === 'csv') await renderOne(target, offerView, o);
  else target.write(safeText(body.endsWith('\n') ? body : body + '\n'));
}

export function register(noun: Command, ctx: Context): void {
  const offer = noun;

  offer
    .command('create')
    .description('Create a delegated administration offer (reusable for many clients) and print it')
    .option('--trial-url <link>', "include it with this trial invitation, the link Partner Center made (Trials and purchase offers > Create)")
    .option('--trial <product>', 'with --trial-url: the product on trial, for the offer text')
    .option('--purchase-url <link>', 'include it with this purchase offer, the link Partner Center made')
    .option('--purchase <product>', 'with --purchase-url: the product offered, for the offer text')
    .option('--quantity <n>', 'with --purchase-url: the licences offered, for the offer text')
    .option('--format <format>', 'text, email (with a Subject line), html (a snippet for a web page) or url')
    .option('--copy', 'also put it on the clipboard')
    .option('--granular', 'a granular (GDAP) offer: chosen roles, time-bound, for one client')
    .option('--roles <roles>', 'granular: roles by name or id, comma-separated (see `delegate role list`)')
    .option('--duration <iso>', 'granular: P1D to P2Y (default P730D)')
    .option('--auto-extend <iso>', 'granular: PT0S (default) or P180D')
    .option('--name <displayName>', 'granular: relationship display name, at most 50 characters (default: generated)')
    .option('--count <n>', 'granular: make n offers at once, named "<name> 1..n"')
    .option('--template <name>', 'granular: take roles, duration and auto-extend from a template')
    .option(PLAN_OPTION[0], 'granular: print the Graph requests (create each relationship, then lockForApproval) as JSON, and create nothing')
    .option(LIVE_OPTION[0], 'granular: create each relationship at Microsoft and lock it for approval (after `delegate login`); the link carries Microsoft\'s id')
    .addHelpText(
      'after',
      [
        '',
        'delegate never makes a trial or purchase link: make it in Partner Center (Trials and purchase offers > Create, with',
        'Delegated administration ticked) and pass it in; its msppid must be your Partner ID (`delegate partner set --mpn-id`).',
        '',
        'Examples:',
        '  delegate offer create',
        '  delegate offer create --trial-url "https://portal.office.com/partner/partnersignup.aspx?type=Trial&id=<id>&msppid=<Partner ID>" \\',
        '    --trial "Microsoft 365 Business Premium" --format email --copy',
        '  delegate offer create --purchase-url "<link from Partner Center>" --purchase "Microsoft 365 E3" --quantity 25',
        '  delegate offer create --granular --roles "Helpdesk Administrator,Global Reader" --duration P365D --name "Contoso helpdesk"',
      ].join('\n'),
    )
    .action(async (raw: Record<string, unknown>) => {
      const { plan: rawPlan, live: rawLive, ...rest } = raw as { plan?: string | boolean; live?: boolean };
      const plan = planFlag({ plan: rawPlan });
      const opts = parseWith(createSchema, rest);
      if (plan && !opts.granular && !opts.template) throw new UsageError('--roles, --duration, --auto-extend, --name, --count and --plan go with --granular');
      // A plain, trial or purchase offer is text and links only: nothing to do at Microsoft.
      if (rawLive && !opts.granular && !opts.template) throw new UsageError('--live goes with --granular (a granular offer is created at Microsoft; other offers are text and links only)');
      if (opts.granular || opts.template) {
        // Roles come from --roles or the template; neither: asked for on a terminal, else exit 2. Live with the
        // --name of an offline draft, the draft's own (the domain says when there is no such draft).
        const draftByName = !plan && opts.name !== undefined && (await wantsLive(ctx, { live: rawLive }));
        const roles = opts.roles ?? (opts.template || draftByName ? undefined : parseRoles(await ctx.need(undefined, '--roles <roles> (or --template <name>)', 'Roles (names or ids, comma-separated; see `delegate role list`):', (x) => parseRoles(x))));
        const { s: session, mode } = await sessionAndMode(ctx, { plan: rawPlan, live: rawLive }, { inClient: false, action: 'offer.create', target: 'granular' });
        const made = await createGranularOffers(session, {
          ...(roles ? { roles } : {}),
          ...(opts.duration ? { duration: opts.duration } : {}),
          ...(opts.autoExtend ? { autoExtendDuration: opts.autoExtend } : {}),
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.template ? { template: opts.template } : {}),
          count: opts.count,
          mode,
        });
        if (made.plan) return printPlan(ctx, made.plan, 'Access assignments are planned once the client approves (`delegate client assign --plan`).');
        const partner = await showPartner(session);
        const offers = made.records.map((r) => buildOfferView(partner, { ...r.offer }, opts.format, r.relationship, ctx.clock().now()));
        const target = await ctx.target();
        // With --count the answer is always an array (even of one), as for --file.
        const many = raw.count !== undefined;
        if (!many) await printOffer(ctx, offers[0]!, offers[0]!.text);
        else if (target.output === 'json' || target.output === 'csv') await renderList(target, offerView, offers);
        else target.write(safeText(offers.map((o) => o.text).join('\n\n----\n\n') + '\n'));
        if (opts.copy) await ctx.copy(offers.map((o) => o.text).join('\n\n'), 'offer');
        if (partner.cloud === 'china') ctx.note('Note: the 21Vianet GDAP invitation path is not publicly documented; this link mirrors the global path on portal.partner.microsoftonline.cn (unverified).');
        if (mode.kind === 'live') {
          for (const n of made.notes ?? []) ctx.note(n);
          if (offers.length) {
            ctx.note(
              `${offers.length} granular offer${offers.length === 1 ? '' : 's'} created at Microsoft and locked for approval (approvalPending): each link carries Microsoft's relationship id, is for one client, and expires if not accepted within 90 days. Once a client approves, \`delegate sync\` makes it active here.`,
            );
          }
          reportLive(ctx, { kind: 'done', value: made, failures: made.failures ?? [], notes: [] });
          return;
        }
        ctx.note(
          `${offers.length} granular offer${offers.length === 1 ? '' : 's'} created (approvalPending; each is for one client and expires if not accepted within 90 days). In Partner Center: ${partnerCenterHint(made.activeClients)}.`,
        );
        ctx.note(
          `Draft: the link carries the ledger's own relationship id and is not valid at Microsoft until the relationship is created there (\`--live\`, or the \`--plan\` requests followed by \`delegate sync\`, which gives it Microsoft's id).`,
        );
        return;
      }
      const { offer: o, activeClients } = await createOffer(await ctx.session({ actor: true }), {
        ...(opts.trialUrl ? { trial: { link: opts.trialUrl, ...(opts.trial ? { product: opts.trial } : {}) } } : {}),
        ...(opts.purchaseUrl
          ? { purchase: { link: opts.purchaseUrl, ...(opts.purchase ? { product: opts.purchase } : {}), ...(opts.quantity ? { quantity: opts.quantity } : {}) } }
          : {}),
        format: opts.format,
      });
      await printOffer(ctx, o, o.text);
      if (opts.copy) await ctx.copy(o.text, opts.format === 'url' ? 'link' : 'offer');
      const partner = await showPartner(await ctx.session());
      unverifiedNote(ctx, partner, o);
      const link = opts.trialUrl ?? opts.purchaseUrl;
      if (link) {
        ctx.note("The link offers delegated administration only if you ticked Delegated administration when you made it in Partner Center.");
        if (partner.mpnId === null) ctx.note(`Your Partner ID is not set, so the link's msppid ${link.msppid} was not checked: set it with \`delegate partner set --mpn-id <n>\`.`);
      }
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
      const { offer: o, adminLinkCountsFor } = await showOffer(s, id);
      const body = raw.text ? o.text : o.url;
      await printOffer(ctx, o, body);
      if (raw.copy) await ctx.copy(body, raw.text ? 'offer' : 'link');
      if (o.status === 'revoked') ctx.note(`Offer ${o.id} is revoked: clients can no longer accept it.`);
      const dropped = o.trial ?? o.purchase;
      if (dropped && dropped.url === null) ctx.note(droppedNote(o));
      if (!o.granular && (!dropped || dropped.url === null)) {
        ctx.note(
          adminLinkCountsFor
            ? `This is the delegated admin link every plain offer shares (it carries only your tenant id): \`delegate client accept\` records it against offer ${adminLinkCountsFor}.`
            : 'This is the delegated admin link every plain offer shares; no offer is active, so it cannot be accepted now.',
        );
      }
      unverifiedNote(ctx, await showPartner(s), o);
    });

  ctx
    .listFields(offer.command('list'), offerView.fields!)
    .description('List active offers (--all: revoked ones too)')
    .option('--all', 'include revoked offers')
    .action(async (raw: { all?: boolean }) => {
      const s = await ctx.session();
      const opts = { all: Boolean(raw.all) };
      if ((await ctx.target()).output === 'plain' && !ctx.fields) {
        // The default piped list: the store prints the granular offers it can (Tx.offerLines).
        const printed = (x: string | Offer) => (typeof x === 'string' ? new Printed(x) : x);
        await printChunks(ctx, offerView, (fn) => eachOfferLineChunk(s, opts, (chunk) => fn(chunk.map(printed))));
      } else await printChunks(ctx, offerView, (fn) => eachOfferChunk(s, opts, fn));
    });

  offer
    .command('revoke')
    .description('Revoke an offer so clients can no longer accept it')
    .argument('<offer-id>', 'offer id (or a unique prefix of it)')
    .action(async (id: string) => {
      if (!id.trim()) throw new UsageError('Give the offer id to revoke');
      await ctx.confirm(`Revoke offer ${id}?`);
      const { offer: o, sharedAdminLink, linkStillAcceptedBy } = await revokeOffer(await ctx.session({ actor: true }), id);
      await renderOne(await ctx.target(), offerView, o);
      ctx.note(`Revoked offer ${o.id}.`);
      if (sharedAdminLink) {
        ctx.note(
          linkStillAcceptedBy
            ? `The delegated admin link carries only your tenant id, so it still works: acceptances of it now count against offer ${linkStillAcceptedBy}, which is still active. Revoke that too to stop the link.`
            : 'No offer is active now, so the delegated admin link can no longer be accepted.',
        );
      } else if (o.trial || o.purchase) {
        ctx.note(`delegate no longer records acceptances of its ${o.trial ? 'trial' : 'purchase'} link; that link was made by Partner Center, and revoking here does not withdraw it there.`);
      }
    });
}
