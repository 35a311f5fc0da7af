/**
 * What `delegate sync` prints, as its chunks commit (SPEC.md "Sync at partner scale": memory stays
 * bounded at 100,000 customers, so the changes are never held all at once): the changes as a list
 * (table, csv, plain), or one JSON object whose `changes` array is written a chunk at a time and whose
 * other fields (`dryRun`, `counts`, `notAtMicrosoft`, `deletedAtMicrosoft`, `keptNewer`,
 * `unknownMembers`, `activations`, `notes`, `reads`, `timings`) follow it.
 */
import type { SyncChange, SyncResult } from '../../../domain/sync/types.js';
import { jsonText, renderListStream, type RenderTarget, type View } from '../../render.js';

export const changeView: View<SyncChange> = {
  table: { key: ['target'], min: { detail: 20 } },
  columns: [
    { header: 'change', value: (c) => c.kind },
    { header: 'what', value: (c) => c.what },
    { header: 'target', value: (c) => c.target },
    { header: 'detail', value: (c) => c.detail },
  ],
  json: (c) => c,
};

export interface SyncOutput {
  changes(cs: readonly SyncChange[]): Promise<void>;
  /** The rest, once the sync is done (JSON: the object's other fields). */
  end(r: SyncResult): Promise<void>;
  /** The sync failed after some chunks were printed: JSON is closed (what was committed stays listed). */
  abort(): void;
}

const indented = (text: string, by: string) => text.replace(/\n/g, '\n' + by);

export function syncOutput(target: RenderTarget): SyncOutput {
  if (target.output !== 'json') {
    const list = renderListStream(target, changeView);
    return { changes: (cs) => list.add(cs), end: () => list.end(), abort: () => undefined };
  }
  let open = false;
  let any = false;
  const start = () => {
    if (!open) target.write('{\n  "changes": [');
    open = true;
  };
  const close = () => {
    start();
    target.write(any ? '\n  ]' : ']');
  };
  return {
    async changes(cs) {
      if (cs.length === 0) return;
      start();
      target.write(cs.map((c, i) => (any || i > 0 ? ',\n    ' : '\n    ') + indented(jsonText(c, 2), '    ')).join(''));
      any = true;
    },
    async end(r) {
      close();
      const rest = {
        dryRun: r.dryRun,
        counts: r.counts,
        notAtMicrosoft: r.notAtMicrosoft,
        deletedAtMicrosoft: r.deletedAtMicrosoft,
        keptNewer: r.keptNewer,
        unknownMembers: r.unknownMembers,
        activations: r.activations,
        notes: r.notes,
        reads: r.reads,
        timings: r.timings,
      };
      target.write(',\n' + jsonText(rest, 2).slice(2) + '\n');
    },
    abort() {
      if (!open) return;
      close();
      target.write('\n}\n');
    },
  };
}
