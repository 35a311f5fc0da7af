/**
 * The one place that turns data into table | json | csv | plain.
 * Table and csv libraries are loaded only for those formats.
 */
import type { Command } from 'commander';
import { UsageError } from '../domain/errors.js';
import type { Output } from './settings.js';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

export interface View<T> {
  columns: readonly Column<T>[];
  /** The JSON shape scripts rely on (SPEC.md "JSON shapes"). */
  json: (row: T) => unknown;
  /** A list's JSON field names, dotted for nested ones: what `--fields` accepts. */
  fields?: readonly string[];
}

export interface RenderTarget {
  output: Output;
  color: boolean;
  write(text: string): void;
  /** --fields: only these JSON fields (dotted for nested ones), in this order, in every form. */
  fields?: readonly string[];
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
  return {
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

/*
 * Nothing stored can drive the terminal (SPEC "Behaviour every command
 * keeps"). C0 controls, DEL and C1 controls (ESC, and CSI as U+009B) can move
 * the cursor, clear the screen or retitle the window; bidirectional overrides
 * and isolates (U+202A-202E, U+2066-2069) can make text read differently from
 * what it is; line and paragraph separators (U+2028, U+2029) can break a line.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_OR_BACKSLASH = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_OR_BACKSLASH_ALL = new RegExp(UNSAFE_OR_BACKSLASH.source, 'g');
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

function escapeOne(ch: string): string {
  const short = SHORT[ch];
  if (short) return short;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A field as table and plain output show it: control characters and
 * bidirectional overrides escaped (`\x1b`, `\u202e`, `\t`, `\n`, `\r`), and a
 * literal backslash doubled, so the escaped text cannot be mistaken for it.
 */
export function terminalSafe(text: string): string {
  // Testing first is several times faster than a replace that finds nothing, and most fields hold nothing to escape.
  return UNSAFE_OR_BACKSLASH.test(text) ? text.replace(UNSAFE_OR_BACKSLASH_ALL, escapeOne) : text;
}

/**
 * A message for people on stderr (errors, notes) that may quote a value:
 * the same characters escaped, backslashes left alone (a message is prose,
 * not a field to be read back), so it stays one line and cannot drive the terminal.
 */
export function safeMessage(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeOne) : text;
}

/** Text for people that spans lines (an offer to paste into an email): safeMessage, line by line. */
export function safeText(text: string): string {
  return UNSAFE.test(text) ? text.split('\n').map(safeMessage).join('\n') : text;
}

/**
 * JSON with the characters JSON.stringify leaves raw (DEL, C1, bidirectional
 * overrides, line separators) written as \u escapes: the same values, exactly,
 * but safe to print on a terminal. (C0 controls JSON.stringify escapes itself.)
 */
// eslint-disable-next-line no-control-regex
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

async function table(target: RenderTarget, head: string[], rows: string[][]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const chalk = target.color ? (await import('chalk')).default : undefined;
  const t = new Table({
    head: head.map((h) => (chalk ? chalk.bold.cyan(h) : h)),
    style: { head: [], border: chalk ? ['grey'] : [] },
    wordWrap: true,
  });
  for (const r of rows) t.push(r);
  return t.toString() + '\n';
}

async function csv(head: string[], rows: unknown[][]): Promise<string> {
  const { stringify } = await import('csv-stringify/sync');
  return stringify([head, ...rows.map((r) => r.map(csvCell))]);
}

export async function renderList<T>(target: RenderTarget, full: View<T>, rows: readonly T[]): Promise<void> {
  const view = selectFields(full, target.fields);
  const { columns } = view;
  switch (target.output) {
    case 'json':
      target.write(jsonText(rows.map(view.json), 2) + '\n');
      return;
    case 'csv':
      target.write(await csv(columns.map((c) => c.header), rows.map((r) => columns.map((c) => c.value(r)))));
      return;
    case 'plain': {
      let buf = '';
      for (const r of rows) {
        buf += plainLine(columns.map((c) => c.value(r)));
        if (buf.length > 1 << 16) {
          target.write(buf);
          buf = '';
        }
      }
      if (buf) target.write(buf);
      return;
    }
    case 'table':
      if (rows.length === 0) return;
      target.write(await table(target, columns.map((c) => c.header), rows.map((r) => columns.map((c) => shown(c.value(r))))));
      return;
  }
}

export async function renderOne<T>(target: RenderTarget, view: View<T>, row: T): Promise<void> {
  const { columns } = view;
  switch (target.output) {
    case 'json':
      target.write(jsonText(view.json(row), 2) + '\n');
      return;
    case 'csv':
      target.write(await csv(columns.map((c) => c.header), [columns.map((c) => c.value(row))]));
      return;
    case 'plain':
      target.write(plainLine(columns.map((c) => c.value(row))));
      return;
    case 'table': {
      const { default: Table } = await import('cli-table3');
      const chalk = target.color ? (await import('chalk')).default : undefined;
      const t = new Table({ style: { head: [], border: chalk ? ['grey'] : [] }, wordWrap: true });
      for (const c of columns) t.push({ [chalk ? chalk.bold(c.header) : c.header]: shown(c.value(row)) });
      target.write(t.toString() + '\n');
      return;
    }
  }
}

/** A list rendered piece by piece, for bulk commands whose results are too many to hold. */
export interface ListStream<T> {
  add(rows: readonly T[]): Promise<void>;
  end(): Promise<void>;
}

export function renderListStream<T>(target: RenderTarget, full: View<T>): ListStream<T> {
  const view = selectFields(full, target.fields);
  const { columns } = view;
  let count = 0;
  switch (target.output) {
    case 'json':
      // The same text as JSON.stringify(rows, null, 2), one element at a time.
      return {
        async add(rows) {
          let buf = '';
          for (const r of rows) {
            buf += (count++ === 0 ? '[\n  ' : ',\n  ') + jsonText(view.json(r), 2).replace(/\n/g, '\n  ');
          }
          if (buf) target.write(buf);
        },
        async end() {
          target.write(count === 0 ? '[]\n' : '\n]\n');
        },
      };
    case 'csv':
      return {
        async add(rows) {
          if (rows.length === 0) return;
          const { stringify } = await import('csv-stringify/sync');
          const body = rows.map((r) => columns.map((c) => csvCell(c.value(r))));
          target.write(stringify(count++ === 0 ? [columns.map((c) => c.header), ...body] : body));
        },
        async end() {
          if (count === 0) target.write(await csv(columns.map((c) => c.header), []));
        },
      };
    case 'plain':
      return {
        async add(rows) {
          let buf = '';
          for (const r of rows) buf += plainLine(columns.map((c) => c.value(r)));
          if (buf) target.write(buf);
        },
        async end() {},
      };
    case 'table': {
      const all: T[] = [];
      return {
        async add(rows) {
          for (const r of rows) all.push(r);
        },
        end: () => renderList({ ...target, fields: undefined }, view, all),
      };
    }
  }
}
