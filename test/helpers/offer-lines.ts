/**
 * The offer list a store prints itself (Tx.offerLines) next to the one render.ts prints from the
 * records (Tx.offerChunks through offerView), as plain output: the two texts must be the same.
 */
import { Printed, renderListStream } from '../../src/cli/render.js';
import { offerView as offerColumns } from '../../src/cli/views.js';
import { offerLineSpec, offerView } from '../../src/domain/offer/offers.js';
import type { Partner } from '../../src/domain/core/model.js';
import type { Store } from '../../src/domain/core/store.js';

export async function bothOfferLists(store: Store, partner: Partner, now: Date, opts: { all: boolean }, size: number): Promise<{ fromStore: string; fromRecords: string; printed: number }> {
  let fromStore = '';
  let fromRecords = '';
  let printed = 0;
  const a = renderListStream({ output: 'plain', color: false, write: (t) => void (fromStore += t) }, offerColumns);
  const b = renderListStream({ output: 'plain', color: false, write: (t) => void (fromRecords += t) }, offerColumns);
  const view = (x: { offer: Parameters<typeof offerView>[1]; relationship?: Parameters<typeof offerView>[3] }) => offerView(partner, x.offer, 'text', x.relationship, now);
  await store.read(async (tx) => {
    for await (const chunk of tx.offerLines(opts, size, offerLineSpec(partner, now))) {
      printed += chunk.filter((x) => typeof x === 'string').length;
      await a.add(chunk.map((x) => (typeof x === 'string' ? new Printed(x) : view(x))));
    }
    for await (const chunk of tx.offerChunks(opts, size)) await b.add(chunk.map(view));
  });
  await a.end();
  await b.end();
  return { fromStore, fromRecords, printed };
}
