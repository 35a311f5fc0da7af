/**
 * Boxed tables for the renderer: terminal cell widths (wide and zero-width
 * characters), fitting columns to the terminal, and a writer that lays a
 * table out page by page from its first page's widths.
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
 * A field padded to `width` cells; a longer one is cut to `width` cells
 * (ending in `…`) when the table has a width to fit, else left whole.
 */
function fitCell(s: string, width: number, cutLong: boolean): string {
  if (NARROW.test(s)) return s.length <= width ? s.padEnd(width) : cutLong ? s.slice(0, Math.max(0, width - 1)) + '…' : s;
  let w = displayWidth(s);
  if (w <= width) return s + ' '.repeat(width - w);
  if (!cutLong) return s;
  let out = '';
  w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…' + ' '.repeat(Math.max(0, width - 1 - w));
}

/**
 * Column widths that fit `maxWidth` terminal cells in all (borders and padding
 * included): the widest columns are narrowed first, to a common cap, so
 * narrow columns (ids, statuses, dates) stay whole.
 */
export function fitWidths(natural: readonly number[], maxWidth: number | undefined, more = false): number[] {
  const widths = [...natural];
  if (!maxWidth || widths.length === 0) return widths;
  const room = maxWidth - (3 * widths.length + 1);
  let total = widths.reduce((a, b) => a + b, 0);
  if (total <= room) {
    // More pages may follow, with longer cells (a growing sequence number, a longer name): room to spare
    // goes to the columns, up to a quarter more each, so fewer of those are cut.
    for (let i = 0; more && i < widths.length && total < room; i++) {
      const grow = Math.min(room - total, Math.ceil(natural[i]! / 4));
      widths[i]! += grow;
      total += grow;
    }
    return widths;
  }
  // The largest cap with sum(min(w, cap)) <= room; at least one cell per column.
  const sorted = [...widths].sort((a, b) => a - b);
  let cap = 1;
  let below = 0;
  for (let i = 0; i < sorted.length; i++) {
    const rest = sorted.length - i;
    const c = Math.floor((room - below) / rest);
    if (c < sorted[i]!) {
      cap = Math.max(1, c);
      break;
    }
    below += sorted[i]!;
  }
  total = 0;
  for (let i = 0; i < widths.length; i++) total += widths[i] = Math.min(widths[i]!, cap);
  // Hand what rounding left over to the capped columns, left to right.
  for (let i = 0; i < widths.length && total < room; i++) {
    if (natural[i]! > widths[i]!) {
      widths[i]!++;
      total++;
    }
  }
  return widths;
}

export interface Paint {
  border(s: string): string;
  head(s: string): string;
  key(s: string): string;
}

export async function paint(color: boolean): Promise<Paint> {
  if (!color) return { border: (s) => s, head: (s) => s, key: (s) => s };
  const { default: chalk } = await import('chalk');
  return { border: (s) => chalk.grey(s), head: (s) => chalk.bold.cyan(s), key: (s) => chalk.bold(s) };
}

/**
 * A boxed table written page by page: the column widths come from the header
 * and the first page (fitted to the terminal's width), later cells that do not
 * fit are cut with `…`, and each page is written as it comes, so a table of
 * any length costs about what plain output costs and holds one page at a time.
 * Cells arrive terminal-safe (see `shown`).
 */
export class TableWriter {
  private widths?: number[];
  private rows = 0;
  private lines = { top: '', mid: '', bottom: '', left: '', sep: '', right: '' };

  constructor(
    private readonly write: (text: string) => void,
    private readonly paint: Paint,
    private readonly maxWidth: number | undefined,
    /** The header row; none for a record shown as name/value rows (its first column painted as keys). */
    private readonly head: readonly string[] | undefined,
    /** More pages may follow the first (the widths get some room to spare). */
    private readonly more: boolean,
  ) {}

  page(rows: readonly (readonly string[])[]): void {
    if (rows.length === 0) return;
    // Joined once into one flat string a page (see renderListStream's plain output).
    const out: string[] = this.widths ? [] : [this.start(rows)];
    const { mid, left, sep, right } = this.lines;
    const w = this.widths!;
    const keys = this.head ? undefined : this.paint.key;
    const cutLong = this.maxWidth !== undefined;
    const cells = new Array<string>(w.length);
    for (const r of rows) {
      if (this.rows++ > 0 || this.head) out.push(mid);
      for (let i = 0; i < w.length; i++) cells[i] = fitCell(r[i] ?? '', w[i]!, cutLong);
      if (keys) cells[0] = keys(cells[0]!);
      out.push(left, cells.join(sep), right);
    }
    this.write(out.join(''));
  }

  end(): void {
    if (this.widths) this.write(this.lines.bottom);
  }

  private start(first: readonly (readonly string[])[]): string {
    const n = this.head?.length ?? first[0]!.length;
    const natural = new Array<number>(n).fill(0);
    for (const r of this.head ? [this.head, ...first] : first) {
      for (let i = 0; i < n; i++) {
        const x = displayWidth(r[i] ?? '');
        if (x > natural[i]!) natural[i] = x;
      }
    }
    const w = (this.widths = fitWidths(natural, this.maxWidth, this.more));
    const rule = (l: string, m: string, r: string) => this.paint.border(l + w.map((x) => '─'.repeat(x + 2)).join(m) + r) + '\n';
    const bar = this.paint.border('│');
    this.lines = { top: rule('┌', '┬', '┐'), mid: rule('├', '┼', '┤'), bottom: rule('└', '┴', '┘'), left: bar + ' ', sep: ' ' + bar + ' ', right: ' ' + bar + '\n' };
    if (!this.head) return this.lines.top;
    return this.lines.top + this.lines.left + this.head.map((h, i) => this.paint.head(fitCell(h, w[i]!, this.maxWidth !== undefined))).join(this.lines.sep) + this.lines.right;
  }
}
