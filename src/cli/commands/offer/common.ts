/** What the `offer` verbs share: how an offer prints, and the notes about its links. */
import type { Partner } from '../../../domain/core/model.js';
import type { Offer } from '../../../domain/offer/offers.js';
import { howKnown } from '../../../domain/offer/urls.js';
import type { Context } from '../../context.js';
import { renderOne, safeText } from '../../render.js';
import { offerView } from '../../views.js';

/** Say which links are not publicly confirmed, once, on stderr. */
export function unverifiedNote(ctx: Context, partner: Pick<Partner, 'cloud'>, o: Offer): void {
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
export function droppedNote(o: Offer): string {
  const kind = o.trial ? 'trial' : 'purchase';
  return `Offer ${o.id} was made by an older delegate, whose ${kind} link was made up and never worked at Microsoft; it was dropped, so the offer shows the delegated admin link. Make the ${kind} link in Partner Center and run \`delegate offer create --${kind}-url <link>\`.`;
}

/** Offers print as copyable text for people; json and csv give the record. */
export async function printOffer(ctx: Context, o: Offer, body: string): Promise<void> {
  const target = await ctx.target();
  if (target.output === 'json' || target.output === 'csv') await renderOne(target, offerView, o);
  else target.write(safeText(body.endsWith('\n') ? body : body + '\n'));
}
