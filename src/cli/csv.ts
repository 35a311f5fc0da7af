/**
 * Bulk files: CSV with a header row, from a path or `-` (stdin), streamed
 * through csv-parse so a large file is never held in memory.
 */
import { createReadStream, statSync } from 'node:fs';
import { UsageError } from '../domain/errors.js';
import type { SourceRow } from '../domain/bulk.js';
import type { IO } from './io.js';

export interface CsvSpec {
  /** Columns the header must have. */
  required: readonly string[];
  /** Columns it may have. */
  optional: readonly string[];
}

/** Fail early (before the store is opened) when the file cannot be read. */
export function checkReadable(file: string): void {
  if (file === '-') return;
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
  }
  if (st.isDirectory()) throw new UsageError(`Cannot read ${file}: it is a directory`);
}

export function sourceName(file: string): string {
  return file === '-' ? 'standard input' : file;
}

/** Stream the rows of a CSV file as SourceRows (line numbers count the header as line 1). */
export async function* readCsv(io: IO, file: string, spec: CsvSpec): AsyncGenerator<SourceRow> {
  const { parse } = await import('csv-parse');
  const input: NodeJS.ReadableStream = file === '-' ? io.stdin : createReadStream(file);
  const name = sourceName(file);
  const known = [...spec.required, ...spec.optional];
  const lower = new Map(known.map((k) => [k.toLowerCase(), k]));
  let header: string[] | undefined;
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
    max_record_size: 1 << 16,
    columns: (head: string[]) => {
      const cols = head.map((h) => {
        const k = lower.get(h.trim().toLowerCase());
        if (!k) throw new UsageError(`${name}: unknown column "${h.slice(0, 40)}" in the header (expected ${known.join(',')})`);
        return k;
      });
      for (const r of spec.required) {
        if (!cols.includes(r)) throw new UsageError(`${name}: the header must name the column "${r}" (expected ${known.join(',')})`);
      }
      header = cols;
      return cols;
    },
  });
  input.on('error', (e: Error) => parser.destroy(e));
  input.pipe(parser);
  try {
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; invalid_field_length: number } }>) {
      if (rec.info.invalid_field_length > 0 || Object.keys(rec.record).length !== header!.length) {
        yield { line: rec.info.lines, fields: {}, error: `expected ${header!.length} fields (${header!.join(',')})` };
        continue;
      }
      yield { line: rec.info.lines, fields: rec.record };
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as { code?: string; message: string; lines?: number };
    if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') throw new UsageError(`Cannot read ${name}: ${err.code}`);
    throw new UsageError(`${name}: not a valid CSV file: ${err.message.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  if (!header) throw new UsageError(`${name} is empty: it needs a header row (${known.join(',')}) and at least one row`);
}

/** Command-line arguments as rows (no line numbers, so a fault fails at once). */
export function argRows(values: readonly string[], field: string, extra: Record<string, string | undefined> = {}): SourceRow[] {
  return values.map((value) => ({ fields: { [field]: value, ...extra } }));
}
