/** `delegate offer link [offer-id] [--text] [--copy]`: the plain delegated admin link when no id is given. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { Partner } from '../../../domain/core/model.js';
import { showOffer, type ShownOffer } from '../../../domain/offer/offers.js';
import { showPartner } from '../../../domain/partner/partner.js';
import type { Context } from '../../context.js';
import { flag } from '../../command.js';
import { parseWith, z } from '../../schema.js';
import { droppedNote, printOffer, unverifiedNote } from './common.js';

/** The id (or a prefix) is looked up by the domain. */
export const schema = z.object({ id: z.optional(z.string()), text: flag, copy: flag });
export type Options = output<typeof schema>;

export type Linked = ShownOffer & { partner: Partner };

export async function run(opts: Options, ctx: Context): Promise<Linked> {
  const s = await ctx.session();
  const shown = await showOffer(s, opts.id);
  return { ...shown, partner: await showPartner(s) };
}

export async function show(ctx: Context, opts: Options, { offer: o, adminLinkCountsFor, partner }: Linked): Promise<void> {
  const body = opts.text ? o.text : o.url;
  await printOffer(ctx, o, body);
  if (opts.copy) await ctx.copy(body, opts.text ? 'offer' : 'link');
  if (o.status === 'revoked') ctx.note(`Offer ${o.id} is revoked: clients can no longer accept it.`);
  const dropped = o.trial ?? o.purchase;
  if (opts.id === undefined) {
    // No id: always the delegated admin link, whatever kind of offer it counts against.
    const kind = o.trial ? 'trial' : 'purchase';
    ctx.note(
      `This is the delegated admin link every plain offer shares (it carries only your tenant id): \`delegate client accept\` records it against offer ${o.id}` +
        (dropped && dropped.url !== null ? `, a ${kind} offer, as no plain offer is active; its ${kind} link: \`delegate offer link ${o.id}\`.` : '.'),
    );
    unverifiedNote(ctx, partner, { ...o, trial: undefined, purchase: undefined });
    return;
  }
  if (dropped && dropped.url === null) ctx.note(droppedNote(o));
  if (!o.granular && (!dropped || dropped.url === null)) {
    ctx.note(
      adminLinkCountsFor
        ? `This is the delegated admin link every plain offer shares (it carries only your tenant id): \`delegate client accept\` records it against offer ${adminLinkCountsFor}.`
        : 'This is the delegated admin link every plain offer shares; no offer is active, so it cannot be accepted now.',
    );
  }
  unverifiedNote(ctx, partner, o);
}

export function register(offer: Command, ctx: Context): void {
  offer
    .command('link')
    .description('Print the link of an offer; without an id, the plain delegated admin link that `client accept` records against your latest plain offer')
    .argument('[offer-id]', 'offer id (or a unique prefix of it)')
    .option('--text', 'print the whole offer text, not just the link')
    .option('--copy', 'also put it on the clipboard')
    .addHelpText('after', '\nExamples:\n  delegate offer link\n  delegate offer link --text --copy\n  delegate offer link 27ef7227')
    .action(async (id: string | undefined, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, id });
      await show(ctx, opts, await run(opts, ctx));
    });
}
