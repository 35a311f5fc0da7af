/** `delegate offer revoke <offer-id>`: clients can no longer accept it. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { UsageError } from '../../../domain/core/errors.js';
import { revokeOffer, type RevokedOffer } from '../../../domain/offer/offers.js';
import type { Context } from '../../context.js';
import { checked } from '../../command.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { offerView } from '../../views.js';

export const schema = z.object({
  // The id (or a prefix) is looked up by the domain; it must not be blank.
  id: checked((id) => {
    if (!(id as string).trim()) throw new UsageError('Give the offer id to revoke');
    return id as string;
  }),
});
export type Options = output<typeof schema>;

export const question = (o: Options) => `Revoke offer ${o.id}?`;

export async function run(opts: Options, ctx: Context): Promise<RevokedOffer> {
  return revokeOffer(await ctx.session({ actor: true }), opts.id);
}

export async function show(ctx: Context, { offer: o, sharedAdminLink, linkStillAcceptedBy }: RevokedOffer): Promise<void> {
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
}

export function register(offer: Command, ctx: Context): void {
  offer
    .command('revoke')
    .description('Revoke an offer so clients can no longer accept it')
    .argument('<offer-id>', 'offer id (or a unique prefix of it)')
    .addHelpText('after', '\nExamples:\n  delegate offer revoke 27ef7227 --yes')
    .action(async (id: string) => {
      const opts = parseWith(schema, { id });
      await ctx.confirm(question(opts));
      await show(ctx, await run(opts, ctx));
    });
}
