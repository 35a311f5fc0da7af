/**
 * Bulk input as the domain sees it: rows with their line numbers, streamed.
 * A bulk command is all-or-nothing: every bad row is named, nothing written.
 */
import { BadRowsError, UsageError } from './errors.js';

export interface SourceRow {
  /** 1-based line in the file (the header is line 1); undefined for command-line arguments. */
  line?: number;
  fields: Readonly<Record<string, string | undefined>>;
  /** Set when the row could not even be read as fields (wrong number of columns). */
  error?: string;
}

/**
 * Rows one by one, or (from a file reader) in batches: a batch crosses an
 * async boundary once instead of once per row, which matters at 100,000 rows.
 */
export type RowSource = AsyncIterable<SourceRow | readonly SourceRow[]> | Iterable<SourceRow>;

const LISTED = 50;

export class BadRows {
  readonly listed: { line: number; reason: string }[] = [];
  total = 0;
  constructor(readonly source: string) {}

  /** Record a row's fault; a row from the command line (no line) fails at once. */
  add(row: SourceRow, reason: string): void {
    if (row.line === undefined) throw new UsageError(reason);
    this.total++;
    if (this.listed.length < LISTED) this.listed.push({ line: row.line, reason });
  }

  /** True (and recorded) when the row could not be read at all. */
  unreadable(row: SourceRow): boolean {
    if (row.error === undefined) return false;
    this.add(row, row.error);
    return true;
  }

  /** Run a validator; its UsageError becomes this row's fault. Returns undefined for a bad row. */
  check<T>(row: SourceRow, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (e instanceof UsageError) {
        this.add(row, e.message);
        return undefined;
      }
      throw e;
    }
  }

  get any(): boolean {
    return this.total > 0;
  }

  throwIfAny(): void {
    if (this.total > 0) throw new BadRowsError(this.source, [...this.listed].sort((a, b) => a.line - b.line), this.total);
  }
}

/**
 * WriteOptions.rerun for a bulk write: it can be run again only when its rows can be read again
 * (held in memory, not a stream) and the results it handed to a sink can be taken back
 * (`restart`, which is called to do so).
 */
export function rerunBulk(rows: RowSource, out: { sink?: unknown; restart?: () => void }): boolean {
  if (!Array.isArray(rows)) return false;
  if (out.sink) {
    if (!out.restart) return false;
    out.restart();
  }
  return true;
}

/** Group rows (or batches of rows) into chunks of about `size`, so a store can be asked about many at once. */
export async function* chunked(rows: RowSource, size: number): AsyncGenerator<SourceRow[]> {
  let buf: SourceRow[] = [];
  for await (const item of rows) {
    for (const r of Array.isArray(item) ? (item as readonly SourceRow[]) : [item as SourceRow]) {
      buf.push(r);
      if (buf.length >= size) {
        yield buf;
        buf = [];
      }
    }
  }
  if (buf.length) yield buf;
}

/** Every row, one at a time. */
export async function* eachRow(rows: RowSource): AsyncGenerator<SourceRow> {
  for await (const item of rows) {
    if (Array.isArray(item)) yield* item as readonly SourceRow[];
    else yield item as SourceRow;
  }
}

export function requireField(row: SourceRow, name: string): string {
  const v = row.fields[name];
  if (v === undefined || v.trim() === '') throw new UsageError(`${name} is missing`);
  return v;
}
