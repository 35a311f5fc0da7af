/** `delegate offer create`: a plain, trial or purchase offer (text and links), or granular offers (--granular, --template). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { UsageError } from '../../../domain/core/errors.js';
import type { Partner } from '../../../domain/core/model.js';
import { OFFER_FORMATS, partnerCenterHint } from '../../../domain/offer/offer-text.js';
import { createOffer, offerView as buildOfferView, type CreatedOffer, type Offer } from '../../../domain/offer/offers.js';
import { autoExtend, normaliseDuration } from '../../../domain/core/duration.js';
import { createGranularOffers, type CreatedGranular } from '../../../domain/offer/granular-offers.js';
import type { PlannedRequest } from '../../../domain/plan/request.js';
import { checkDisplayName } from '../../../domain/relationship/rules.js';
import { parseRoles } from '../../../domain/relationship/roles.js';
import { showPartner } from '../../../domain/partner/partner.js';
import { parseSignupLink, type SignupLink } from '../../../domain/offer/urls.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { across, flag, planSchema } from '../../command.js';
import { printPlan, PLAN_OPTION } from '../../plan.js';
import { LIVE_OPTION, reportLive, sessionAndMode, wantsLive } from '../../live.js';
import { renderList, safeText } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { offerView } from '../../views.js';
import { printOffer, unverifiedNote } from './common.js';

const GRANULAR_ONLY = '--roles, --duration, --auto-extend, --name, --count and --plan go with --granular';

export const schema = z
  .object({
    plan: planSchema,
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
    // Absent is one offer; given (even 1), the answer is a list.
    count: z.optional(rule((s) => v.positiveInt(s, '--count', 1000))),
    template: z.optional(rule((s) => v.displayName(s, '--template', 100))),
    live: flag,
  })
  .check(
    z.superRefine((o, c) => {
      const granularOnly = (['roles', 'duration', 'autoExtend', 'name', 'template'] as const).filter((k) => o[k] !== undefined);
      if (!o.granular && !o.template && (granularOnly.length || (o.count ?? 1) !== 1)) {
        c.addIssue({ code: 'custom', message: GRANULAR_ONLY });
      }
      const bundled = o.trialUrl || o.purchaseUrl || o.trial !== undefined || o.purchase !== undefined || o.quantity !== undefined;
      if ((o.granular || o.template) && bundled) c.addIssue({ code: 'custom', message: 'A granular offer cannot include a trial or purchase offer' });
      if (o.trialUrl && o.purchaseUrl) c.addIssue({ code: 'custom', message: 'An offer goes with a trial invitation or a purchase offer, not both: give --trial-url or --purchase-url' });
      if (o.trial !== undefined && !o.trialUrl) c.addIssue({ code: 'custom', message: partnerCenterMakes('--trial', 'trial invitation', '--trial-url') });
      for (const flag of ['purchase', 'quantity'] as const) {
        if (o[flag] !== undefined && !o.purchaseUrl) c.addIssue({ code: 'custom', message: partnerCenterMakes(`--${flag}`, 'purchase offer', '--purchase-url') });
      }
    }),
    across((o) => (o.plan && !o.granular && !o.template ? GRANULAR_ONLY : undefined)),
    // A plain, trial or purchase offer is text and links only: nothing to do at Microsoft.
    across((o) => (o.live && !o.granular && !o.template ? '--live goes with --granular (a granular offer is created at Microsoft; other offers are text and links only)' : undefined)),
  );
export type Options = output<typeof schema>;

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

const isGranular = (o: Options) => o.granular || o.template !== undefined;

export type Created =
  | { kind: 'plan'; plan: PlannedRequest[] }
  | { kind: 'granular'; made: CreatedGranular; partner: Partner; offers: Offer[]; live: boolean }
  | ({ kind: 'offer'; partner: Partner } & CreatedOffer);

/**
 * Roles come from --roles or the template; neither: asked for on a terminal, else exit 2. Live with the
 * --name of an offline draft, the draft's own (the domain says when there is no such draft).
 */
export async function rolesNeeded(ctx: Context, o: Options): Promise<boolean> {
  if (!isGranular(o) || o.roles || o.template) return false;
  const draftByName = !o.plan && o.name !== undefined && (await wantsLive(ctx, { live: o.live }));
  return !draftByName;
}

export async function run(opts: Options, ctx: Context): Promise<Created> {
  if (isGranular(opts)) {
    const { s: session, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'offer.create', target: 'granular' });
    const made = await createGranularOffers(session, {
      ...(opts.roles ? { roles: opts.roles } : {}),
      ...(opts.duration ? { duration: opts.duration } : {}),
      ...(opts.autoExtend ? { autoExtendDuration: opts.autoExtend } : {}),
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.template ? { template: opts.template } : {}),
      count: opts.count ?? 1,
      mode,
    });
    if (made.plan) return { kind: 'plan', plan: made.plan };
    const partner = await showPartner(session);
    const offers = made.records.map((r) => buildOfferView(partner, { ...r.offer }, opts.format, r.relationship, ctx.clock().now()));
    return { kind: 'granular', made, partner, offers, live: mode.kind === 'live' };
  }
  const created = await createOffer(await ctx.session({ actor: true }), {
    ...(opts.trialUrl ? { trial: { link: opts.trialUrl, ...(opts.trial ? { product: opts.trial } : {}) } } : {}),
    ...(opts.purchaseUrl
      ? { purchase: { link: opts.purchaseUrl, ...(opts.purchase ? { product: opts.purchase } : {}), ...(opts.quantity ? { quantity: opts.quantity } : {}) } }
      : {}),
    format: opts.format,
  });
  return { kind: 'offer', ...created, partner: await showPartner(await ctx.session()) };
}

export async function show(ctx: Context, opts: Options, r: Created): Promise<void> {
  if (r.kind === 'plan') return printPlan(ctx, r.plan, 'Access assignments are planned once the client approves (`delegate client assign --plan`).');
  if (r.kind === 'granular') {
    const { made, partner, offers } = r;
    const target = await ctx.target();
    // With --count the answer is always an array (even of one), as for --file.
    const many = opts.count !== undefined;
    if (!many) await printOffer(ctx, offers[0]!, offers[0]!.text);
    else if (target.output === 'json' || target.output === 'csv') await renderList(target, offerView, offers);
    else target.write(safeText(offers.map((o) => o.text).join('\n\n----\n\n') + '\n'));
    if (opts.copy) await ctx.copy(offers.map((o) => o.text).join('\n\n'), 'offer');
    if (partner.cloud === 'china') ctx.note('Note: the 21Vianet GDAP invitation path is not publicly documented; this link mirrors the global path on portal.partner.microsoftonline.cn (unverified).');
    if (r.live) {
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
  const { offer: o, activeClients, partner } = r;
  await printOffer(ctx, o, o.text);
  if (opts.copy) await ctx.copy(o.text, opts.format === 'url' ? 'link' : 'offer');
  unverifiedNote(ctx, partner, o);
  const link = opts.trialUrl ?? opts.purchaseUrl;
  if (link) {
    ctx.note("The link offers delegated administration only if you ticked Delegated administration when you made it in Partner Center.");
    if (partner.mpnId === null) ctx.note(`Your Partner ID is not set, so the link's msppid ${link.msppid} was not checked: set it with \`delegate partner set --mpn-id <n>\`.`);
  }
  ctx.note(`Offer ${o.id} created. In Partner Center the same action is under ${partnerCenterHint(activeClients)} (you manage ${activeClients} client${activeClients === 1 ? '' : 's'}).`);
  ctx.note('Paste it into an email, document or web page and send it to your clients; it can be reused for many of them.');
}

export function register(offer: Command, ctx: Context): void {
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
        'delegate never makes a trial or purchase link: make it in Partner Center (Trials and purchase offers > Create, with Delegated administration ticked) and pass it in; its msppid must be your Partner ID (`delegate partner set --mpn-id`).',
        '',
        'Examples:',
        '  delegate offer create',
        '  delegate offer create --trial-url "<link from Partner Center>" --trial "Microsoft 365 Business Premium" --format email --copy',
        '  delegate offer create --purchase-url "<link from Partner Center>" --purchase "Microsoft 365 E3" --quantity 25',
        '  delegate offer create --granular --roles "Helpdesk Administrator,Global Reader" --duration P365D --name "Contoso helpdesk"',
      ].join('\n'),
    )
    .action(async (raw: Record<string, unknown>) => {
      let opts = parseWith(schema, raw);
      if (await rolesNeeded(ctx, opts)) {
        const roles = parseRoles(await ctx.need(undefined, '--roles <roles> (or --template <name>)', 'Roles (names or ids, comma-separated; see `delegate role list`):', (x) => parseRoles(x)));
        opts = { ...opts, roles };
      }
      await show(ctx, opts, await run(opts, ctx));
    });
}
