/**
 * What every bulk (--file) command shares on the CLI side: results rendered
 * as they are made into a spool that only reaches stdout once the command
 * commits, and a progress bar on stderr when it is a terminal. Each step
 * checks for an interrupt (see interrupt.ts); the spool and the progress bar
 * are cleaned up however the command ends. A team store may run the write
 * again (a deadlock): `restart` throws away what the attempt rendered, so the
 * results are printed once.
 */
import type { SourceRow } from '../domain/core/bulk.js';
import type { Context } from './context.js';
import { readCsv, type CsvSpec } from './csv.js';
import { renderListStream, type ListStream, type Printed, type View } from './render.js';
import { Spool } from './spool.js';

export interface BulkOutput<T> {
  sink: (rows: T[]) => Promise<void>;
  /** Throw away everything the sink was given (the write is being run again). */
  restart(): void;
  /** Print everything (after the store committed). */
  commit(): Promise<void>;
  discard(): void;
  readonly count: number;
}

export async function bulkOutput<T>(ctx: Context, view: View<T>, opts: { secret?: boolean } = {}): Promise<BulkOutput<T>> {
  const target = await ctx.target();
  let spool!: Spool;
  let stream!: ListStream<T>;
  let count = 0;
  // [spool size, rows rendered] after each chunk: how many whole rows a printed prefix holds.
  let marks: [number, number][] = [];
  const start = () => {
    spool = new Spool(!opts.secret, ctx.env);
    stream = renderListStream({ ...target, write: (t) => spool.write(t) }, view);
    count = 0;
    marks = [];
  };
  start();
  ctx.onClose(() => spool.discard());
  return {
    restart() {
      spool.discard();
      start();
    },
    sink: async (rows) => {
      await ctx.interrupts.checkpoint();
      count += rows.length;
      await stream.add(rows);
      marks.push([spool.size, count]);
    },
    async commit() {
      await stream.end();
      ctx.outputReport = () => {
        let printed = 0;
        for (const [size, rows] of marks) if (size <= spool.printed) printed = rows;
        return { printed: spool.printed >= spool.size ? count : printed, total: count, unit: 'result rows' };
      };
      await spool.commit(
        (t) => ctx.io.out(t),
        async () => {
          await ctx.interrupts.race(ctx.io.drained());
          await ctx.interrupts.checkpoint();
        },
      );
    },
    discard: () => spool.discard(),
    get count() {
      return count;
    },
  };
}

/** Run bulk work with its output held back until it succeeds (`restart`: throw away an attempt's output, the work being run again). */
export async function withBulkOutput<T, R>(
  ctx: Context,
  view: View<T>,
  work: (sink: (rows: T[]) => Promise<void>, restart: () => void) => Promise<R>,
  opts: { secret?: boolean } = {},
): Promise<{ result: R; count: number }> {
  const out = await bulkOutput(ctx, view, opts);
  try {
    const result = await work(out.sink, () => out.restart());
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
  // Stopped however the command ends (an error, an interrupt): it hid the cursor.
  ctx.onClose(() => bar.stop());
  let read = 0;
  return Object.assign(
    (bytes: number) => {
      read += bytes;
      bar.update(mb(read));
    },
    { stop: () => bar.stop() },
  );
}

/** Print a list as its chunks are read (a read needs no spool: nothing to roll back); returns how many rows it printed. */
export async function printChunks<T>(ctx: Context, view: View<T>, each: (fn: (chunk: (T | Printed)[]) => Promise<void>) => Promise<void>): Promise<number> {
  const out = renderListStream(await ctx.target(), view);
  let count = 0;
  await each(async (chunk) => {
    await ctx.interrupts.checkpoint();
    count += chunk.length;
    await out.add(chunk);
    await ctx.interrupts.race(ctx.io.drained());
  });
  await out.end();
  return count;
}

/** The rows of a bulk file (a path or `-`), read until the file ends or a signal comes. */
export function csvRows(ctx: Context, file: string, spec: CsvSpec, onBytes?: (n: number) => void): AsyncGenerator<SourceRow[]> {
  return readCsv(ctx.io, file, spec, onBytes, ctx.interrupts.signal);
}
