/**
 * What every bulk (--file) command shares on the CLI side: results rendered
 * as they are made into a spool that only reaches stdout once the command
 * commits, and a progress bar on stderr when it is a terminal.
 */
import type { Context } from './context.js';
import { renderListStream, type View } from './render.js';
import { Spool } from './spool.js';

export interface BulkOutput<T> {
  sink: (rows: T[]) => Promise<void>;
  /** Print everything (after the store committed). */
  commit(): Promise<void>;
  discard(): void;
  readonly count: number;
}

export async function bulkOutput<T>(ctx: Context, view: View<T>, opts: { secret?: boolean } = {}): Promise<BulkOutput<T>> {
  const target = await ctx.target();
  const spool = new Spool(!opts.secret);
  const stream = renderListStream({ ...target, write: (t) => spool.write(t) }, view);
  let count = 0;
  return {
    sink: async (rows) => {
      count += rows.length;
      await stream.add(rows);
    },
    async commit() {
      await stream.end();
      await spool.commit((t) => ctx.io.out(t), () => ctx.io.drained());
    },
    discard: () => spool.discard(),
    get count() {
      return count;
    },
  };
}

/** Run bulk work with its output held back until it succeeds. */
export async function withBulkOutput<T, R>(ctx: Context, view: View<T>, work: (sink: (rows: T[]) => Promise<void>) => Promise<R>, opts: { secret?: boolean } = {}): Promise<{ result: R; count: number }> {
  const out = await bulkOutput(ctx, view, opts);
  try {
    const result = await work(out.sink);
    await out.commit();
    return { result, count: out.count };
  } catch (e) {
    out.discard();
    throw e;
  }
}

/** A progress bar over the bytes of the input file, on stderr, only when it is a terminal. */
export async function progressFor(ctx: Context, totalBytes: number | undefined): Promise<((bytes: number) => void) & { stop(): void }> {
  const none = Object.assign(() => undefined, { stop: () => undefined });
  if (!totalBytes || totalBytes < 1 << 20 || !ctx.io.stderrIsTTY || ctx.globals.quiet) return none;
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar(
    { stream: process.stderr, format: 'delegate [{bar}] {percentage}% | {value}/{total} MB', hideCursor: true, clearOnComplete: true, noTTYOutput: false },
    Presets.shades_classic,
  );
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  bar.start(mb(totalBytes), 0);
  let read = 0;
  return Object.assign(
    (bytes: number) => {
      read += bytes;
      bar.update(mb(read));
    },
    { stop: () => bar.stop() },
  );
}

/** Print a list as its chunks are read (a read needs no spool: nothing to roll back). */
export async function printChunks<T>(ctx: Context, view: View<T>, each: (fn: (chunk: T[]) => Promise<void>) => Promise<void>): Promise<void> {
  const out = renderListStream(await ctx.target(), view);
  await each(async (chunk) => {
    await out.add(chunk);
    await ctx.io.drained();
  });
  await out.end();
}
