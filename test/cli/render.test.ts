/**
 * The renderer's safety rules (SPEC.md "Behaviour every command keeps"):
 * table and plain output escape control characters and bidirectional
 * overrides, CSV neutralises spreadsheet formulas, JSON stays exact.
 */
import fc from 'fast-check';
import { displayWidth, layoutColumns } from '../../src/cli/table.js';
import { csvCell, csvLine, jsonText, renderList, renderListStream, renderOne, safeMessage, terminalSafe, type View } from '../../src/cli/render.js';

/** Every character table and plain output must never print raw. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Undo terminalSafe, to show the escaping loses nothing. */
function unescape(s: string): string {
  return s.replace(/\\(\\|t|n|r|x([0-9a-f]{2})|u([0-9a-f]{4}))/g, (_m, what: string, x?: string, u?: string) => {
    if (what === '\\') return '\\';
    if (what === 't') return '\t';
    if (what === 'n') return '\n';
    if (what === 'r') return '\r';
    return String.fromCharCode(parseInt((x ?? u)!, 16));
  });
}

const RUNS = 500;

/** Strings rich in the characters that matter: controls, C1, bidi, backslashes, and ordinary text. */
const nasty = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x7f, max: 0x9f }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\u2029'),
      fc.constantFrom('\\', '\\x1b', '\\\\', 'x', '=', '-', '+', '@', 'é', '😀', '\ufeff'),
      fc.string(),
    ),
  )
  .map((parts) => parts.join(''));

describe('terminalSafe: a field in table and plain output', () => {
  test('escapes C0, DEL, C1 (ESC, CSI) and bidirectional overrides; doubles a backslash', () => {
    expect(terminalSafe('a\u001b]0;pwned\u0007b')).toBe('a\\x1b]0;pwned\\x07b');
    expect(terminalSafe('\u001b[2J\u009b31m')).toBe('\\x1b[2J\\x9b31m');
    expect(terminalSafe('\u007f\u0000')).toBe('\\x7f\\x00');
    expect(terminalSafe('abc\u202egpj.exe')).toBe('abc\\u202egpj.exe');
    expect(terminalSafe('\u2066x\u2069')).toBe('\\u2066x\\u2069');
    expect(terminalSafe('tab\there\r\nnext')).toBe('tab\\there\\r\\nnext');
    expect(terminalSafe('C:\\new')).toBe('C:\\\\new');
    expect(terminalSafe('written \\x1b by hand')).toBe('written \\\\x1b by hand');
  });

  test('leaves ordinary text alone, accents, emoji and right-to-left letters included', () => {
    for (const s of ['Ada Lovelace', 'Zoë Çelik', 'שלום', 'مرحبا', '😀 ok', 'ﬁ', '']) expect(terminalSafe(s)).toBe(s);
  });

  test('property: the result holds nothing unsafe, and unescapes to the original', () => {
    fc.assert(
      fc.property(nasty, (s) => {
        const shown = terminalSafe(s);
        expect(shown).not.toMatch(UNSAFE);
        expect(unescape(shown)).toBe(s);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('safeMessage: a line on stderr that may quote a value', () => {
  test('escapes what could drive the terminal, keeps backslashes as written, stays one line', () => {
    expect(safeMessage('bad value "\u001b[2J" here')).toBe('bad value "\\x1b[2J" here');
    expect(safeMessage('a\nb')).toBe('a\\nb');
    expect(safeMessage('C:\\path')).toBe('C:\\path');
  });

  test('property: nothing unsafe, no line break', () => {
    fc.assert(
      fc.property(nasty, (s) => {
        expect(safeMessage(s)).not.toMatch(UNSAFE);
        expect(safeMessage(s)).not.toMatch(/[\n\r\u2028\u2029]/);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('csvCell: spreadsheet formulas neutralised (OWASP CSV injection)', () => {
  test.each([
    ['=HYPERLINK("http://evil.example","x")', `'=HYPERLINK("http://evil.example","x")`],
    ['+1+2', `'+1+2`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tcmd', `'\tcmd`],
    ['\rcmd', `'\rcmd`],
  ])('%j gets a leading quote', (value, shown) => {
    expect(csvCell(value)).toBe(shown);
  });

  test.each(['Ada', 'a=b', "'quoted", ' =space first', '', '2026-03-01T09:00:00.000Z'])('%j is left as it is', (value) => {
    expect(csvCell(value)).toBe(value);
  });

  test('non-string values: numbers and booleans as text, objects as JSON, null as empty', () => {
    expect(csvCell(3)).toBe('3');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(null)).toBe('');
    expect(csvCell({ a: 1 })).toBe('{"a":1}');
  });

  test('property: no cell starts with a formula character, and removing the quote gives the value back', () => {
    fc.assert(
      fc.property(nasty, (s) => {
        const c = csvCell(s);
        expect(c).not.toMatch(/^[=+\-@\t\r]/);
        expect(c === s || (c === `'${s}` && /^[=+\-@\t\r]/.test(s))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('jsonText: JSON stays exact', () => {
  test('property: parses back to the very same value, with nothing unsafe left raw', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), nasty), (o) => {
        const text = jsonText(o, 2);
        expect(JSON.parse(text)).toEqual(o);
        expect(text.replace(/\n/g, '')).not.toMatch(UNSAFE);
      }),
      { numRuns: RUNS },
    );
  });
});

interface Row {
  name: string;
  n: number;
}
const view: View<Row> = {
  columns: [
    { header: 'name', value: (r) => r.name },
    { header: 'n', value: (r) => r.n },
  ],
  json: (r) => ({ name: r.name, n: r.n }),
};

async function rendered(output: 'table' | 'plain' | 'csv' | 'json', rows: Row[], one = false): Promise<string> {
  let out = '';
  const target = { output, color: false, write: (t: string) => void (out += t) };
  if (one) await renderOne(target, view, rows[0]!);
  else await renderList(target, view, rows);
  return out;
}

describe('every format, through the one renderer', () => {
  const rows = [{ name: '\u001b]0;pwned\u0007=x\t\u202e', n: 1 }, { name: '-1', n: -2 }];

  test('plain: one record a line, the fields escaped', async () => {
    expect(await rendered('plain', rows)).toBe('\\x1b]0;pwned\\x07=x\\t\\u202e\t1\n-1\t-2\n');
  });

  test('table: borderless, the fields escaped', async () => {
    expect(await rendered('table', rows)).toBe(['name                        n', '\\x1b]0;pwned\\x07=x\\t\\u202e  1', '-1                          -2', ''].join('\n'));
    const one = await rendered('table', rows, true);
    expect(one.replace(/\n/g, '')).not.toMatch(UNSAFE);
    expect(one).toBe('name: \\x1b]0;pwned\\x07=x\\t\\u202e\nn:    1\n');
  });

  test('csv: formulas neutralised, the rest exact', async () => {
    expect(await rendered('csv', [{ name: '=1+2', n: 1 }, { name: '-1', n: -2 }])).toBe("name,n\n'=1+2,1\n'-1,'-2\n");
    expect(await rendered('csv', [{ name: '@x', n: 1 }], true)).toBe("name,n\n'@x,1\n");
  });

  test('json: the values exact', async () => {
    expect(JSON.parse(await rendered('json', rows))).toEqual(rows);
  });
});

describe('tables: borderless, fitted to the terminal, written page by page', () => {
  const many = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ name: `row ${from + i}`, n: from + i }));
  const lines = (text: string) => text.trimEnd().split('\n');

  test('one line a row, columns two spaces apart, no border, no rule, no trailing spaces', async () => {
    const out = await rendered('table', [{ name: 'Ada', n: 1 }, { name: 'Grace Hopper', n: 22 }]);
    expect(out).toBe('name          n\nAda           1\nGrace Hopper  22\n');
    expect(out).not.toMatch(/[│┌└├─]/);
  });

  test('the renderer holds at most one page: each page is out once the next one comes', async () => {
    const writes: string[] = [];
    const stream = renderListStream({ output: 'table', color: false, write: (t) => void writes.push(t) }, view);
    for (let page = 0; page < 5; page++) {
      await stream.add(many(page * 100, 100));
      // Everything but the newest page is already out.
      if (page > 0) expect(writes.join('')).toContain(`row ${page * 100 - 1} `);
      expect(writes).toHaveLength(page === 0 ? 0 : page + 1);
    }
    await stream.end();
    const all = lines(writes.join(''));
    expect(all[0]).toMatch(/^name +n$/);
    expect(all.filter((l) => l.startsWith('row '))).toHaveLength(500);
    // No width to fit (piped, no COLUMNS): cells longer than the first page's are printed whole.
    expect(all.at(-1)).toMatch(/^row 499 +499$/);
  });

  test('renderList of a long list writes it in pages, not as one string', async () => {
    const writes: string[] = [];
    await renderList({ output: 'table', color: false, write: (t) => void writes.push(t) }, view, many(0, 5500));
    expect(writes.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...writes.map((w) => w.length))).toBeLessThan(300_000);
  });

  test('fits the width: every line at most COLUMNS cells, long cells cut with …, the key column whole', async () => {
    let out = '';
    const wide: View<Row> = { ...view, table: { key: ['n'] } };
    const rows = [{ name: 'x'.repeat(200), n: 123456 }, { name: 'short', n: 7 }];
    await renderList({ output: 'table', color: false, width: 40, write: (t) => void (out += t) }, wide, rows);
    for (const l of lines(out)) expect([...l].length).toBeLessThanOrEqual(40);
    expect(lines(out)[1]).toMatch(/^x+… {2}123456$/);
    expect(lines(out)[2]).toMatch(/^short +7$/);
  });

  test('a key cell longer than the first page allowed is printed whole; the columns after it give way on that line', async () => {
    const writes: string[] = [];
    const stream = renderListStream({ output: 'table', color: false, width: 24, write: (t) => void writes.push(t) }, view);
    await stream.add([{ name: 'abc', n: 1 }]);
    await stream.add([{ name: 'a much longer name', n: 22222 }]);
    await stream.end();
    const all = lines(writes.join(''));
    expect(all).toContain('a much longer name  222…');
    for (const l of all) expect([...l].length).toBeLessThanOrEqual(24);
  });

  test('a view leaves out its columns in its declared order, keeps its key whole, and says what it left out', async () => {
    interface Client {
      domain: string;
      name: string;
      tenantId: string;
      acceptedAt: string;
    }
    const clients: View<Client> = {
      fields: ['domain', 'name', 'tenantId', 'acceptedAt'],
      table: { key: ['domain'], drop: ['tenantId', 'acceptedAt'] },
      columns: (['domain', 'name', 'tenantId', 'acceptedAt'] as const).map((k) => ({ header: k, value: (c: Client) => c[k] })),
      json: (c) => c,
    };
    const row = { domain: 'northwind-traders.onmicrosoft.com', name: 'Northwind Traders International', tenantId: '11111111-2222-4333-8444-555555555555', acceptedAt: '2026-03-01T09:00:00.000Z' };
    const at = async (width: number) => {
      let out = '';
      const notes: string[] = [];
      await renderList({ output: 'table', color: false, width, write: (t) => void (out += t), note: (t) => void notes.push(t) }, clients, [row]);
      return { out, notes };
    };
    const narrow = await at(60);
    expect(narrow.out).toBe('domain                             name\nnorthwind-traders.onmicrosoft.com  Northwind Traders Intern…\n');
    expect(narrow.notes).toEqual(['Left out to fit 60 columns: tenantId, acceptedAt (--output json or --fields shows them).']);
    const wider = await at(80);
    // An ISO time shows as its date in a table.
    expect(wider.out).toBe('domain                             name                             acceptedAt\nnorthwind-traders.onmicrosoft.com  Northwind Traders International  2026-03-01\n');
    expect(wider.notes).toEqual(['Left out to fit 80 columns: tenantId (--output json or --fields shows them).']);
    const whole = await at(130);
    expect(whole.out).toContain('11111111-2222-4333-8444-555555555555  2026-03-01\n');
    expect(whole.notes).toEqual([]);
  });

  test('an empty list at a terminal says so in one line (on the note stream), and prints no header', async () => {
    let out = '';
    const notes: string[] = [];
    await renderList({ output: 'table', color: false, width: 80, write: (t) => void (out += t), note: (t) => void notes.push(t) }, { ...view, empty: 'No rows.' }, []);
    expect(out).toBe('');
    expect(notes).toEqual(['No rows.']);
  });

  test('a record at a terminal is vertical: name: value lines, values aligned and never cut (one too long to fit beside its name on the next line)', async () => {
    let out = '';
    const row = { name: 'a value longer than the terminal', n: 3 };
    await renderOne({ output: 'table', color: false, width: 20, write: (t) => void (out += t) }, view, row);
    expect(out).toBe('name:\n    a value longer than the terminal\nn:    3\n');
    out = '';
    await renderOne({ output: 'table', color: false, width: 40, write: (t) => void (out += t) }, view, row);
    expect(out).toBe('name: a value longer than the terminal\nn:    3\n');
  });

  test('wide characters count two cells, combining marks none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('😀')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  test('property: at any width that holds the key and the other columns at their least, every line fits and every key is whole', async () => {
    const cellArb = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('日本語のテキスト', '😀😀 emoji', 'é', ''));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9.@-]{1,20}$/), fc.array(cellArb, { minLength: 5, maxLength: 5 })).map(([k, rest]) => [k, ...rest]), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 25 }),
        async (others, raw, extra, page) => {
          const n = others + 1;
          const rows = raw.map((r) => r.slice(0, n));
          const keyWidth = Math.max(3, ...rows.map((r) => displayWidth(r[0]!)));
          const width = keyWidth + others * 12 + extra;
          const v: View<string[]> = { columns: Array.from({ length: n }, (_, i) => ({ header: `c${i}`, value: (r: string[]) => r[i] })), json: (r) => r };
          let out = '';
          const stream = renderListStream({ output: 'table', color: false, width, write: (t) => void (out += t) }, v);
          for (let i = 0; i < rows.length; i += page) await stream.add(rows.slice(i, i + page));
          await stream.end();
          const lines = out.split('\n').slice(0, -1);
          expect(lines).toHaveLength(rows.length + 1);
          for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(width);
          for (const [i, r] of rows.entries()) expect(lines[i + 1]!.startsWith(r[0]!)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('layoutColumns: keys whole, the widest other columns narrowed first, none below its least', () => {
    const heads = ['id', 'name', 'status', 'notes'];
    expect(layoutColumns(heads, [5, 3, 6, 5], {}, undefined).widths).toEqual([5, 3, 6, 5]);
    const l = layoutColumns(heads, [36, 100, 6, 50], { key: ['id'] }, 80);
    expect(l.shown).toEqual([0, 1, 2, 3]);
    expect(l.widths[0]).toBe(36);
    expect(l.widths[2]).toBe(6);
    expect(l.widths.reduce((a, b) => a + b, 0) + 2 * 3).toBe(80);
    const d = layoutColumns(heads, [36, 100, 6, 50], { key: ['id'], drop: ['notes'] }, 60);
    expect(d.dropped).toEqual(['notes']);
    expect(d.shown).toEqual([0, 1, 2]);
    expect(d.widths).toEqual([36, 14, 6]);
  });
});

describe('csv writing: the same text csv-stringify writes', () => {
  test('property: csvLine equals csv-stringify over neutralised cells', async () => {
    const { stringify } = await import('csv-stringify/sync');
    fc.assert(
      fc.property(fc.array(fc.oneof(nasty, fc.constantFrom('a,b', 'say "hi"', 'x\ny', '\r', ',', '"')), { minLength: 1, maxLength: 6 }), (cells) => {
        expect(csvLine(cells)).toBe(stringify([cells.map(csvCell)]));
      }),
      { numRuns: RUNS },
    );
  });
});
