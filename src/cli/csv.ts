/**
 * Bulk files: CSV with a header row, from a path or `-` (stdin), in UTF-8 or
 * UTF-16 with a byte order mark (encoding.ts), streamed through csv-parse so
 * a large file is never held in memory.
 */
import { createReadStream, statSync } from 'node:fs';
import { UsageError } from '../domain/core/errors.js';
import type { SourceRow } from '../domain/core/bulk.js';
import { decodeInput } from './encoding.js';
import type { IO } from './io.js';

export interface CsvSpec {
  /** Columns the header must have. */
  required: readonly string[];
  /** Columns it may have. */
  optional: readonly string[];
}

/** Fail early (before the store is opened) when the file cannot be read. */
export function checkReadable(file: string): number | undefined {
  if (file === '-') return undefined;
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
  }
  if (st.isDirectory()) throw new UsageError(`Cannot read ${file}: it is a directory`);
  return st.size;
}

export function sourceName(file: string): string {
  return file === '-' ? 'standard input' : file;
}

/**
 * Stream the rows of a CSV file as SourceRows. Line numbers count the header
 * as line 1 and are tracked here (csv-parse's per-record info objects cost
 * more than the parsing itself): each record starts on the line after the
 * previous one ended, plus any newlines inside its quoted fields.
 * `signal` stops the reading, even a wait for stdin, with its reason.
 */
export async function* readCsv(io: IO, file: string, spec: CsvSpec, onBytes?: (n: number) => void, signal?: AbortSignal): AsyncGenerator<SourceRow[]> {
  const { parse } = await import('csv-parse');
  const input: NodeJS.ReadableStream = file === '-' ? io.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  if (onBytes) input.on('data', (chunk: Buffer | string) => onBytes(chunk.length));
  const name = sourceName(file);
  const known = [...spec.required, ...spec.optional];
  const lower = new Map(known.map((k) => [k.toLowerCase(), k]));
  let header: string[] | undefined;
  let line = 0;
  const parser = parse({ bom: true, relax_column_count: true, max_record_size: 1 << 16 });
  const decoder = decodeInput(name);
  input.on('error', (e: Error) => parser.destroy(e));
  decoder.on('error', (e: Error) => parser.destroy(e));
  // The parser's errors are read from parser.errored below; one can come while the rows are being
  // handled (no one waiting on the parser), which without a listener would be an uncaught 'error' event.
  parser.on('error', () => undefined);
  // Destroyed without an error (nobody may be listening for one): the loop below sees the signal.
  const onAbort = () => parser.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  input.pipe(decoder).pipe(parser);
  let batch: SourceRow[] = [];
  const take = (record: string[]): void => {
    const first = line + 1;
    line = first;
    for (const f of record) if (f.includes('\n')) line += f.split('\n').length - 1;
    if (record.length === 1 && record[0]!.trim() === '') return; // an empty line
    if (!header) {
      header = readHeader(record, name, known, lower, spec);
      return;
    }
    if (record.length !== header.length) {
      batch.push({ line: first, fields: {}, error: `expected ${header.length} field${header.length === 1 ? '' : 's'} (${header.join(',')}), found ${record.length}` });
      return;
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) fields[header[i]!] = record[i]!;
    batch.push({ line: first, fields });
  };
  try {
    // Drain whatever the parser has ready in one go, then hand it on as one batch.
    for (;;) {
      let record: string[] | null;
      while ((record = parser.read() as string[] | null) !== null) {
        take(record);
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) {
        yield batch;
        batch = [];
      }
      if (signal?.aborted) throw signal.reason;
      if (parser.errored) throw parser.errored;
      if (parser.readableEnded || parser.destroyed) break;
      await new Promise<void>((resolve, reject) => {
        const events = ['readable', 'end', 'close'] as const;
        const done = () => {
          for (const ev of events) parser.off(ev, done);
          parser.off('error', fail);
          resolve();
        };
        const fail = (e: Error) => {
          for (const ev of events) parser.off(ev, done);
          reject(e);
        };
        for (const ev of events) parser.once(ev, done);
        parser.once('error', fail);
      });
      if (parser.errored) throw parser.errored;
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof UsageError) throw e;
    const err = e as { code?: string; message: string };
    if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') throw new UsageError(`Cannot read ${name}: ${err.code}`);
    throw new UsageError(`${name}: not a valid CSV file: ${err.message.replace(/\s+/g, ' ').slice(0, 200)}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    parser.destroy();
    decoder.destroy();
    // Stop reading: a stdin left flowing (a reader stopped early) would keep the process from exiting.
    input.unpipe(decoder);
    if (file === '-') input.pause();
    else (input as import('node:stream').Readable).destroy();
  }
  if (!header) throw new UsageError(`${name} is empty: it needs a header row (${known.join(',')}) and at least one row`);
}

/** Rows handed on at a time: large enough to cross async boundaries rarely, small enough to die young. */
const BATCH = 1000;

function readHeader(record: string[], name: string, known: string[], lower: Map<string, string>, spec: CsvSpec): string[] {
  const cols = record.map((h) => {
    const k = lower.get(h.trim().toLowerCase());
    if (!k) throw new UsageError(`${name}: unknown column ${JSON.stringify(h.trim().slice(0, 40))} in the header (expected ${known.join(',')})`); // quoted as JSON: a newline in it stays on one line
    return k;
  });
  const twice = cols.find((c, i) => cols.indexOf(c) !== i);
  if (twice) throw new UsageError(`${name}: the header names the column "${twice}" twice`);
  for (const r of spec.required) {
    if (!cols.includes(r)) throw new UsageError(`${name}: the header must name the column "${r}" (expected ${known.join(',')})`);
  }
  return cols;
}

/** Command-line arguments as rows (no line numbers, so a fault fails at once). */
export function argRows(values: readonly string[], field: string, extra: Record<string, string | undefined> = {}): SourceRow[] {
  return values.map((value) => ({ fields: { [field]: value, ...extra } }));
}
