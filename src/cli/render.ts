/**
 * The one place that turns data into table | json | csv | plain, page by
 * page: lists of any length stream out as they are read.
 */
import type { Command } from 'commander';
import { UsageError } from '../domain/core/errors.js';
import { terminalSafe } from '../domain/core/escape.js';
import type { Output } from './settings.js';
import { paint, recordLines, TableWriter, type TableSpec } from './table.js';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

export interface View<T> {
  columns: readonly Column<T>[];
  /** The JSON shape scripts rely on (SPEC.md "JSON shapes"). */
  json: (row: T) => unknown;
  /**
   * For long lists: a row's text as an element of `jsonText(list, 2)` (indented two spaces, no comma),
   * exactly, made faster than stringifying `json(row)` (tested against it). Not used with --fields.
   */
  jsonElement?: (row: T) => string;
  /** A list's JSON field names, dotted for nested ones: what `--fields` accepts. */
  fields?: readonly string[];
  /** At a narrow terminal: the key columns (never cut) and the columns left out first (table output only). */
  table?: TableSpec;
  /** What a table says (on stderr) when the list is empty; nothing when the command says it itself. */
  empty?: string;
}

export interface RenderTarget {
  output: Output;
  color: boolean;
  write(text: string): void;
  /** --fields: only these JSON fields (dotted for nested ones), in this order, in every form. */
  fields?: readonly string[];
  /** Terminal columns a table must fit in (none: as wide as its cells). */
  width?: number;
  /** A message for people (stderr): what a table left out, or that a list is empty. */
  note?: (text: string) => void;
}

/** Check `--fields a,b.c` against a list's JSON field names: exit 2 naming the valid ones. */
export function parseFields(spec: string, valid: readonly string[]): string[] {
  const fields = spec.split(',').map((f) => f.trim());
  const unknown = fields.filter((f) => !valid.includes(f));
  if (fields.some((f) => f === '')) throw new UsageError(`--fields takes field names separated by commas; valid fields: ${valid.join(', ')}`);
  if (unknown.length) {
    const shown = unknown.map((f) => JSON.stringify(f.slice(0, 60))).join(', ');
    throw new UsageError(`Unknown field${unknown.length === 1 ? '' : 's'} ${shown} in --fields; valid fields: ${valid.join(', ')}`);
  }
  return fields;
}

/**
 * Give a list command `--fields`: checked before the command runs (so bad
 * input is exit 2 before the store is opened) and applied by this renderer.
 */
export function fieldsOption(cmd: Command, valid: readonly string[], use: (fields: string[]) => void): Command {
  return cmd
    .option('--fields <a,b,...>', `only these fields, in this order (JSON names, dotted for nested): ${valid.join(', ')}`)
    .hook('preAction', (_cmd, action) => {
      const spec = action.opts().fields as string | undefined;
      if (action === cmd && spec !== undefined) use(parseFields(spec, valid));
    });
}

function pick(json: unknown, path: string): unknown {
  let v: unknown = json;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return null;
    v = (v as Record<string, unknown>)[k];
  }
  return v === undefined ? null : v;
}

/** The view a --fields selection makes: columns named by the fields, JSON with only them (nested as in the full JSON). */
export function selectFields<T>(view: View<T>, fields: readonly string[] | undefined): View<T> {
  if (!fields) return view;
  let last: { row: T; json: unknown } | undefined;
  const json = (row: T) => {
    if (!last || last.row !== row) last = { row, json: view.json(row) };
    return last.json;
  };
  // The user chose the columns: none is left out; the view's key columns chosen stay whole (else the first).
  const keys = fields.filter((f) => view.table?.key?.includes(f) ?? f === view.columns[0]?.header);
  return {
    ...(view.empty !== undefined ? { empty: view.empty } : {}),
    table: { key: keys.length ? keys : fields.slice(0, 1) },
    columns: fields.map((f) => ({ header: f, value: (row: T) => pick(json(row), f) })),
    json: (row) => {
      const full = json(row);
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        const keys = f.split('.');
        let at = out;
        for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
        at[keys.at(-1)!] = pick(full, f);
      }
      return out;
    },
  };
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

// The escaping of stored and Microsoft's text lives in the domain (Microsoft's error messages use it too).
export { safeMessage, safeText, terminalSafe } from '../domain/core/escape.js';

/**
 * JSON with the characters JSON.stringify leaves raw (DEL, C1, bidirectional
 * overrides, line separators) written as \u escapes: the same values, exactly,
 * but safe to print on a terminal. (C0 controls JSON.stringify escapes itself.)
 */
const JSON_RAW = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const JSON_RAW_ALL = new RegExp(JSON_RAW.source, 'g');
export function jsonText(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  return JSON_RAW.test(text) ? text.replace(JSON_RAW_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** A field for table and plain output. */
function shown(v: unknown): string {
  return terminalSafe(cell(v));
}

/**
 * Spreadsheet formula injection (OWASP "CSV Injection",
 * https://owasp.org/www-community/attacks/CSV_Injection): a cell that starts
 * with = + - @, a tab or a carriage return can be run as a formula by the
 * spreadsheet that opens the file; a leading ' makes it text. This is the one
 * rule for every CSV cell delegate writes: any other CSV writer must call it.
 */
const FORMULA_START = new Set([...'=+-@\t\r'].map((c) => c.charCodeAt(0)));
export function csvCell(v: unknown): string {
  const s = cell(v);
  return FORMULA_START.has(s.charCodeAt(0)) ? `'${s}` : s;
}

/** Plain output: one record a line, tab-separated; tabs and newlines inside values are escaped. */
function plainLine(values: unknown[]): string {
  return values.map(shown).join('\t') + '\n';
}

/**
 * A CSV field as RFC 4180 writes it (and as csv-stringify did): quoted, with
 * quotes doubled, when it holds a comma, a quote, CR or LF; as it is otherwise.
 * The cell goes through csvCell first (formula neutralising).
 */
const CSV_QUOTE = /[",\r\n]/;
export function csvField(cell: string): string {
  return CSV_QUOTE.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** One CSV record: each value neutralised (csvCell), then quoted as needed. */
export function csvLine(values: readonly unknown[]): string {
  return values.map((v) => csvField(csvCell(v))).join(',') + '\n';
}

/** How wide tables may be: the terminal's columns (COLUMNS, else the terminal's own), none when unknown. */
function tableWidth(target: RenderTarget): number | undefined {
  return target.width && target.width > 0 ? target.width : undefined;
}

/** Rows per page for a list given whole (the widths come from the first page). */
const PAGE = 1000;

export async function renderList<T>(target: RenderTarget, full: View<T>, rows: readonly T[]): Promise<void> {
  const stream = renderListStream(target, full);
  for (let i = 0; i < rows.length; i += PAGE) await stream.add(rows.slice(i, i + PAGE));
  await stream.end();
}

/** One record. `indent`: a table's `name: value` lines start with it (a record shown inside another). */
export async function renderOne<T>(target: RenderTarget, view: View<T>, row: T, opts: { indent?: string } = {}): Promise<void> {
  const { columns } = view;
  switch (target.output) {
    case 'json':
      target.write(jsonText(view.json(row), 2) + '\n');
      return;
    case 'csv':
      target.write(csvLine(columns.map((c) => c.header)) + csvLine(columns.map((c) => c.value(row))));
      return;
    case 'plain':
      target.write(plainLine(columns.map((c) => c.value(row))));
      return;
    case 'table':
      // One record, vertically: a `name: value` line a field.
      target.write(recordLines(columns.map((c) => [c.header, shown(c.value(row))] as const), await paint(target.color), opts.indent, tableWidth(target)));
      return;
  }
}

/**
 * Rows the store printed itself, one or more in a row, exactly as this renderer prints them in that
 * form for the view asked for (Tx.clientLines: CSV records with their newlines, or JSON array
 * elements indented as in the list and joined with ",\n"; Tx.offerLines: a plain line with its
 * newline); csv, json and plain lists take one.
 */
export class Printed {
  constructor(readonly text: string) {}
}

/** A list rendered page by page (as it is read, or as bulk work makes it), never held whole. */
export interface ListStream<T> {
  add(rows: readonly (T | Printed)[]): Promise<void>;
  end(): Promise<void>;
}

/** A table holds its first page until the second comes or the list ends (a short list then takes exactly the widths its cells need). */
export function renderListStream<T>(target: RenderTarget, full: View<T>): ListStream<T> {
  const view = selectFields(full, target.fields);
  const { columns } = view;
  const n = columns.length;
  let count = 0;
  switch (target.output) {
    case 'json':
      // The same text as JSON.stringify(rows, null, 2), a page at a time: a page stringified as an
      // array already indents its elements as the whole list would, so only its brackets go.
      return {
        async add(rows) {
          if (rows.length === 0) return;
          const parts: string[] = [];
          let run: T[] = [];
          const element = view.jsonElement;
          const flush = () => {
            if (run.length) parts.push(element ? run.map(element).join(',\n') : jsonText(run.map(view.json), 2).slice(2, -2));
            run = [];
          };
          for (const r of rows) {
            if (r instanceof Printed) {
              flush();
              parts.push(r.text);
            } else run.push(r);
          }
          flush();
          target.write((count === 0 ? '[\n' : ',\n') + parts.join(',\n'));
          count += rows.length;
        },
        async end() {
          target.write(count === 0 ? '[]\n' : '\n]\n');
        },
      };
    case 'csv':
      return {
        async add(rows) {
          const lines: string[] = count++ === 0 ? [csvLine(columns.map((c) => c.header))] : [];
          const values = new Array<unknown>(n);
          for (const r of rows) {
            if (r instanceof Printed) {
              lines.push(r.text);
              continue;
            }
            for (let i = 0; i < n; i++) values[i] = columns[i]!.value(r);
            lines.push(csvLine(values));
          }
          target.write(lines.join(''));
        },
        async end() {
          if (count === 0) target.write(csvLine(columns.map((c) => c.header)));
        },
      };
    case 'plain':
      return {
        async add(rows) {
          // Lines joined once: one flat string a page (a rope of cells would keep every cell's source alive).
          const lines = new Array<string>(rows.length);
          const cells = new Array<string>(n);
          let k = 0;
          for (const r of rows) {
            if (r instanceof Printed) {
              lines[k++] = r.text;
              continue;
            }
            for (let i = 0; i < n; i++) cells[i] = shown(columns[i]!.value(r));
            lines[k++] = cells.join('\t') + '\n';
          }
          if (k) target.write(lines.join(''));
        },
        async end() {},
      };
    case 'table': {
      let writer: TableWriter | undefined;
      const cell = (r: T, i: number) => shown(columns[i]!.value(r));
      const width = tableWidth(target);
      return {
        async add(rows) {
          if (rows.length === 0) return;
          writer ??= new TableWriter((s) => target.write(s), await paint(target.color), width, columns.map((c) => c.header), view.table ?? {});
          writer.page(rows as readonly T[], cell);
          count += rows.length;
        },
        async end() {
          writer?.end();
          if (count === 0 && view.empty) target.note?.(view.empty);
          const dropped = writer?.dropped ?? [];
          if (dropped.length) {
            const how = full.fields ? '--output json or --fields shows them' : '--output json shows them';
            target.note?.(`Left out to fit ${width} columns: ${dropped.join(', ')} (${how}).`);
          }
        },
      };
    }
  }
}
