/**
 * Tables for the renderer, as gh prints them: borderless, one line a row,
 * columns two spaces apart, fitted to the terminal (SPEC.md "The terminal and
 * the docs"). Terminal cell widths (wide and zero-width characters), the
 * layout of a view's columns (its key columns never cut, its other columns
 * dropped in the order it declares, then narrowed), and a writer that lays a
 * table out from its first page and writes it page by page; and records
 * shown vertically (`name: value` lines).
 */

const NARROW = /^[\u0020-\u007e\u00a0-\u02ff]*$/;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const PICTOGRAPH = /^\p{Extended_Pictographic}$/u;

/** East Asian wide and fullwidth characters (the ranges of is-fullwidth-code-point), and emoji: two cells on a terminal. */
function isWide(cp: number): boolean {
  return (
    cp >= 0x1100 &&
    (cp <= 0x115f ||
      cp === 0x2329 ||
      cp === 0x232a ||
      (cp >= 0x2e80 && cp <= 0x3247 && cp !== 0x303f) ||
      (cp >= 0x3250 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0xa4c6) ||
      (cp >= 0xa960 && cp <= 0xa97c) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe10 && cp <= 0xfe19) ||
      (cp >= 0xfe30 && cp <= 0xfe6b) ||
      (cp >= 0xff01 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1b000 && cp <= 0x1b001) ||
      (cp >= 0x1f200 && cp <= 0x1f251) ||
      (cp >= 0x1f300 && PICTOGRAPH.test(String.fromCodePoint(cp))) ||
      (cp >= 0x20000 && cp <= 0x3fffd))
  );
}

function charWidth(ch: string): number {
  if (ZERO_WIDTH.test(ch)) return 0;
  return isWide(ch.codePointAt(0)!) ? 2 : 1;
}

/** How many terminal cells a (terminal-safe) field takes. */
export function displayWidth(s: string): number {
  if (NARROW.test(s)) return s.length;
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/**
 * A field cut to `width` cells (ending in `…`) when longer; padded to `width`
 * when `pad`. Only called with a width to fit.
 */
function fitCell(s: string, width: number, pad: boolean): string {
  if (NARROW.test(s)) return s.length <= width ? (pad ? s.padEnd(width) : s) : s.slice(0, Math.max(0, width - 1)) + '…';
  let w = displayWidth(s);
  if (w <= width) return pad ? s + ' '.repeat(width - w) : s;
  let out = '';
  w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…' + (pad ? ' '.repeat(Math.max(0, width - 1 - w)) : '');
}

/** A field padded to `width` cells, never cut (a key column's, or any when there is no width to fit). */
function padCell(s: string, width: number): string {
  const w = NARROW.test(s) ? s.length : displayWidth(s);
  return w >= width ? s : s + ' '.repeat(width - w);
}

/** Columns are this far apart. */
export const GAP = 2;
/** A column that is cut keeps at least this many cells (or its whole width, when narrower). */
export const MIN_CUT = 10;
/** While the columns do not fit with each cut to this many cells (or its minimum), the next droppable one is left out. */
export const COMFORT = 20;

/** How a view's table gives way at a narrow terminal (SPEC.md "The terminal and the docs"). */
export interface TableSpec {
  /** Headers of the columns never cut (an over-long cell overflows its line instead); default: the first column. */
  key?: readonly string[];
  /** Headers of the columns left out when the table does not fit, the first left out first. */
  drop?: readonly string[];
  /** Cells a column keeps at the least when it is cut (default MIN_CUT). */
  min?: Readonly<Record<string, number>>;
}

export interface Layout {
  /** The indexes of the columns shown, in order. */
  shown: number[];
  /** The width of each shown column (in the order of `shown`). */
  widths: number[];
  /** Whether each shown column is a key (never cut). */
  key: boolean[];
  /** The headers of the columns left out. */
  dropped: string[];
}

/**
 * Lay out columns whose widest cells (header included) are `natural` to fit
 * `maxWidth` terminal cells: while they do not fit with every cut column at
 * COMFORT cells, leave out the next column of `spec.drop`; then the key
 * columns get their width, and the others share what is left, the widest
 * narrowed first (to a common cap, none below its minimum), so narrow columns
 * (ids, statuses, dates) stay whole. The last column is never padded, so it
 * may take all the room left, and a key there overflows its line without
 * moving any other column. `more`: more pages may follow, so room to spare
 * widens the columns a little. With no `maxWidth`, every column at its
 * natural width.
 */
export function layoutColumns(headers: readonly string[], natural: readonly number[], spec: TableSpec, maxWidth: number | undefined, more = false): Layout {
  const n = headers.length;
  const keys = new Set(spec.key ?? headers.slice(0, 1));
  const isKey = headers.map((h) => keys.has(h));
  const headW = headers.map(displayWidth);
  // A key in the last column overflows at no cost to the others: it needs only its header's width.
  const lastKey = (i: number) => isKey[i] && i === n - 1;
  const min = headers.map((h, i) => (lastKey(i) ? Math.min(natural[i]!, Math.max(headW[i]!, MIN_CUT)) : isKey[i] ? natural[i]! : Math.min(natural[i]!, spec.min?.[h] ?? MIN_CUT)));
  const comfort = headers.map((_h, i) => (isKey[i] ? min[i]! : Math.max(min[i]!, Math.min(natural[i]!, COMFORT))));
  let shown = [...Array(n).keys()];
  const dropped: string[] = [];
  if (maxWidth !== undefined) {
    const need = (cols: number[]) => cols.reduce((a, i) => a + comfort[i]!, 0) + GAP * (cols.length - 1);
    for (const h of spec.drop ?? []) {
      if (need(shown) <= maxWidth) break;
      const at = headers.indexOf(h);
      if (at < 0 || !shown.includes(at) || isKey[at] || shown.length === 1) continue;
      shown = shown.filter((i) => i !== at);
      dropped.push(h);
    }
  }
  const key = shown.map((i) => isKey[i]!);
  const widths = shown.map((i) => natural[i]!);
  if (maxWidth === undefined) return { shown, widths, key, dropped };
  const room = maxWidth - GAP * (shown.length - 1);
  const last = shown.length - 1;
  let total = widths.reduce((a, b) => a + b, 0);
  if (total <= room) {
    // More pages may follow, with longer cells (a growing number, a longer name): room to spare goes to
    // the columns, up to a quarter more each, so fewer of those are cut; the last column takes the rest.
    for (let j = 0; more && j < last && total < room; j++) {
      const grow = Math.min(room - total, Math.ceil(widths[j]! / 4));
      widths[j]! += grow;
      total += grow;
    }
    widths[last]! += room - total;
    return { shown, widths, key, dropped };
  }
  // A key in the last column is given its width when the others can keep their least; else it overflows its line.
  const minRest = shown.reduce((a, i, j) => a + (key[j] ? 0 : min[i]!), 0);
  const keyWhole = shown.reduce((a, i, j) => a + (key[j] ? natural[i]! : 0), 0);
  const keyTotal = keyWhole + minRest <= room ? keyWhole : shown.reduce((a, i, j) => a + (key[j] ? (j === last ? min[i]! : natural[i]!) : 0), 0);
  if (keyTotal + minRest > room) {
    // The keys alone leave too little: the others at their least, and keys before the last column
    // narrowed towards their header (their longer cells overflow the line, taking room from later columns).
    let excess = keyTotal + minRest - room;
    for (let j = 0; j < shown.length; j++) {
      const i = shown[j]!;
      if (!key[j]) widths[j] = min[i]!;
      else if (j < last && excess > 0) {
        const cut = Math.min(excess, Math.max(0, natural[i]! - Math.max(headW[i]!, MIN_CUT)));
        widths[j] = natural[i]! - cut;
        excess -= cut;
      }
    }
    return { shown, widths, key, dropped };
  }
  // The largest cap with keys + sum(max(min, min(natural, cap))) <= room (the sum grows with the cap: a binary search).
  const rest = room - keyTotal;
  const capped = (cap: number) => shown.reduce((a, i, j) => a + (key[j] ? 0 : Math.max(min[i]!, Math.min(natural[i]!, cap))), 0);
  let lo = 1;
  let hi = Math.max(1, ...shown.map((i, j) => (key[j] ? 0 : natural[i]!)));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (capped(mid) <= rest) lo = mid;
    else hi = mid - 1;
  }
  const cap = lo;
  total = keyTotal;
  for (let j = 0; j < shown.length; j++) {
    const i = shown[j]!;
    if (key[j]) continue;
    widths[j] = Math.max(min[i]!, Math.min(natural[i]!, cap));
    total += widths[j]!;
  }
  // Hand what rounding left over to the narrowed columns, left to right.
  for (let j = 0; j < shown.length && total < room; j++) {
    if (!key[j] && natural[shown[j]!]! > widths[j]!) {
      widths[j]!++;
      total++;
    }
  }
  return { shown, widths, key, dropped };
}

export interface Paint {
  head(s: string): string;
  key(s: string): string;
}

export async function paint(color: boolean): Promise<Paint> {
  if (!color) return { head: (s) => s, key: (s) => s };
  // Whether to colour was decided already (a terminal, no NO_COLOR, no --no-color): chalk's own guess is not asked.
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return { head: (s) => chalk.bold(s), key: (s) => chalk.bold(s) };
}

/** An ISO-8601 UTC time as the ledger writes it (2026-03-01T09:00:00.000Z): a table shows its date. */
function tableDate(s: string): string {
  return s.length >= 20 && s.length <= 30 && s.charCodeAt(10) === 84 && s.charCodeAt(s.length - 1) === 90 && ISO_TIME.test(s) ? s.slice(0, 10) : s;
}
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/;

/**
 * A borderless table written page by page: the columns shown and their widths
 * come from the headers and the first page (fitted to the terminal's width),
 * later cells that do not fit are cut with `…` (a key column's overflow its
 * line instead), and each page is written as it comes, so a table of any
 * length costs about what plain output costs and holds one page at a time.
 * Cells arrive terminal-safe (see `shown` in render.ts); in a table, a
 * non-key cell holding a whole ISO time shows its date.
 */
export class TableWriter {
  private layout?: Layout;
  /** The first page, held until the second comes (the widths then get room to spare) or the list ends. */
  private first?: { cells: string[][]; natural: number[] };
  private readonly cut: boolean;

  constructor(
    private readonly write: (text: string) => void,
    private readonly paint: Paint,
    private readonly maxWidth: number | undefined,
    private readonly headers: readonly string[],
    private readonly spec: TableSpec,
  ) {
    this.cut = maxWidth !== undefined;
  }

  /** The headers of the columns left out to fit (known once the first page is written). */
  get dropped(): readonly string[] {
    return this.layout?.dropped ?? [];
  }

  /** Write a page of rows; `cell(row, i)` is column i's terminal-safe text (asked only for the columns shown, after the first page). */
  page<T>(rows: readonly T[], cell: (row: T, i: number) => string): void {
    if (rows.length === 0) return;
    if (!this.layout && !this.first) {
      // The first page: every column's cells, to choose the columns and their widths; held until the next page or the end.
      const n = this.headers.length;
      const keys = new Set(this.spec.key ?? this.headers.slice(0, 1));
      const natural = this.headers.map(displayWidth);
      const cells = rows.map((r) => {
        const c = new Array<string>(n);
        for (let i = 0; i < n; i++) {
          const s = keys.has(this.headers[i]!) ? cell(r, i) : tableDate(cell(r, i));
          const x = displayWidth(s);
          if (x > natural[i]!) natural[i] = x;
          c[i] = s;
        }
        return c;
      });
      this.first = { cells, natural };
      return;
    }
    if (this.first) this.flush(true);
    const { shown, key } = this.layout!;
    const m = shown.length;
    const out = new Array<string>(rows.length);
    const c = new Array<string>(m);
    for (let k = 0; k < rows.length; k++) {
      for (let j = 0; j < m; j++) c[j] = key[j] ? cell(rows[k]!, shown[j]!) : tableDate(cell(rows[k]!, shown[j]!));
      out[k] = this.line(c);
    }
    // Joined once into one flat string a page (see renderListStream's plain output).
    this.write(out.join(''));
  }

  end(): void {
    if (this.first) this.flush(false);
  }

  /** Lay the table out from the first page (`more`: other pages follow) and write its header and that page. */
  private flush(more: boolean): void {
    const { cells, natural } = this.first!;
    this.first = undefined;
    const l = (this.layout = layoutColumns(this.headers, natural, this.spec, this.maxWidth, more));
    const out = [this.line(l.shown.map((i) => this.headers[i]!), this.paint.head)];
    for (const c of cells) out.push(this.line(l.shown.map((i) => c[i]!)));
    this.write(out.join(''));
  }

  /**
   * One line: cells fitted to their widths, two spaces apart, no trailing spaces. A key cell is
   * whole; what it overflows by is taken from the columns after it, the widest first, down to one
   * cell each (so the line still fits, and short columns such as a status stay whole).
   */
  private line(cells: readonly string[], paint?: (s: string) => string): string {
    const { widths, key } = this.layout!;
    const m = cells.length;
    const last = m - 1;
    let line = '';
    let w: number[] | undefined;
    for (let j = 0; j < m; j++) {
      const s = cells[j]!;
      let text: string;
      if (key[j] || !this.cut) {
        text = j === last ? s : padCell(s, (w ?? widths)[j]!);
        const over = this.cut && j < last ? (NARROW.test(s) ? s.length : displayWidth(s)) - (w ?? widths)[j]! : 0;
        if (over > 0) w = this.giveWay(w ?? [...widths], j, over);
      } else text = fitCell(s, (w ?? widths)[j]!, j < last);
      if (paint) text = paint(text);
      line += j === 0 ? text : '  ' + text;
    }
    return (line.charCodeAt(line.length - 1) === 32 ? line.trimEnd() : line) + '\n';
  }

  /** This line's widths with `over` cells taken from the columns after `from` that can be cut, the widest first. */
  private giveWay(w: number[], from: number, over: number): number[] {
    const { key } = this.layout!;
    for (; over > 0; over--) {
      let widest = -1;
      for (let k = from + 1; k < w.length; k++) if (!key[k] && w[k]! > 1 && (widest < 0 || w[k]! > w[widest]!)) widest = k;
      if (widest < 0) break;
      w[widest]!--;
    }
    return w;
  }
}

/**
 * A record shown vertically: one `name: value` line a field, the values
 * aligned, never cut. A value too long to fit beside its name at `maxWidth`
 * goes on the next line, indented, whole (a still longer one overflows it):
 * an id or a link stays one piece to copy.
 */
export function recordLines(fields: readonly (readonly [string, string])[], paint: Paint, indent = '', maxWidth?: number): string {
  const width = Math.max(0, ...fields.map(([name]) => displayWidth(name))) + 1;
  const at = displayWidth(indent) + width + 1;
  return fields
    .map(([name, value]) => {
      const label = indent + paint.key(name + ':');
      if (value === '') return label + '\n';
      if (maxWidth !== undefined && at + displayWidth(value) > maxWidth) return `${label}\n${indent}    ${value}\n`;
      return label + ' '.repeat(width - displayWidth(name + ':') + 1) + value + '\n';
    })
    .join('');
}
