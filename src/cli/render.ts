/**
 * The one place that turns data into table | json | csv | plain.
 * Table and csv libraries are loaded only for those formats.
 */
import type { Output } from './settings.js';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

export interface View<T> {
  columns: readonly Column<T>[];
  /** The JSON shape scripts rely on (SPEC.md "JSON shapes"). */
  json: (row: T) => unknown;
}

export interface RenderTarget {
  output: Output;
  color: boolean;
  write(text: string): void;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Plain output: one record a line, tab-separated; tabs and newlines inside values become spaces. */
function plainLine(values: unknown[]): string {
  return values.map((v) => cell(v).replace(/[\t\r\n]+/g, ' ')).join('\t') + '\n';
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
  return stringify([head, ...rows.map((r) => r.map(cell))]);
}

export async function renderList<T>(target: RenderTarget, view: View<T>, rows: readonly T[]): Promise<void> {
  const { columns } = view;
  switch (target.output) {
    case 'json':
      target.write(JSON.stringify(rows.map(view.json), null, 2) + '\n');
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
      target.write(await table(target, columns.map((c) => c.header), rows.map((r) => columns.map((c) => cell(c.value(r))))));
      return;
  }
}

export async function renderOne<T>(target: RenderTarget, view: View<T>, row: T): Promise<void> {
  const { columns } = view;
  switch (target.output) {
    case 'json':
      target.write(JSON.stringify(view.json(row), null, 2) + '\n');
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
      for (const c of columns) t.push({ [chalk ? chalk.bold(c.header) : c.header]: cell(c.value(row)) });
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

export function renderListStream<T>(target: RenderTarget, view: View<T>): ListStream<T> {
  const { columns } = view;
  let count = 0;
  switch (target.output) {
    case 'json':
      // The same text as JSON.stringify(rows, null, 2), one element at a time.
      return {
        async add(rows) {
          let buf = '';
          for (const r of rows) {
            buf += (count++ === 0 ? '[\n  ' : ',\n  ') + JSON.stringify(view.json(r), null, 2).replace(/\n/g, '\n  ');
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
          const body = rows.map((r) => columns.map((c) => cell(c.value(r))));
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
        end: () => renderList(target, view, all),
      };
    }
  }
}
