/** `delegate offer list [--all]`: active offers (with --all, revoked ones too). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { eachOfferChunk, eachOfferLineChunk, type Offer } from '../../../domain/offer/offers.js';
import type { Context } from '../../context.js';
import { printChunks } from '../../bulk.js';
import { Printed } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { offerView } from '../../views.js';

export const schema = z.object({ all: z._default(z.boolean(), false) });
export type Options = output<typeof schema>;

/** The offers, chunk by chunk as the store reads them (a line already printed by the store, or a record). */
export type Chunks = (fn: (chunk: (Offer | Printed)[]) => Promise<void>) => Promise<void>;

export async function run(opts: Options, ctx: Context): Promise<Chunks> {
  const s = await ctx.session();
  if ((await ctx.target()).output === 'plain' && !ctx.fields) {
    // The default piped list: the store prints the granular offers it can (Tx.offerLines).
    const printed = (x: string | Offer) => (typeof x === 'string' ? new Printed(x) : x);
    return (fn) => eachOfferLineChunk(s, opts, (chunk) => fn(chunk.map(printed)));
  }
  return (fn) => eachOfferChunk(s, opts, fn);
}

export async function show(ctx: Context, chunks: Chunks): Promise<void> {
  await printChunks(ctx, offerView, chunks);
}

export function register(offer: Command, ctx: Context): void {
  ctx
    .listFields(offer.command('list'), offerView.fields!)
    .description('List active offers (--all: revoked ones too)')
    .option('--all', 'include revoked offers')
    .addHelpText('after', '\nExamples:\n  delegate offer list\n  delegate offer list --all --json')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
