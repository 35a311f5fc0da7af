/**
 * The renderer's safety rules (SPEC.md "Behaviour every command keeps"):
 * table and plain output escape control characters and bidirectional
 * overrides, CSV neutralises spreadsheet formulas, JSON stays exact.
 */
import fc from 'fast-check';
import { displayWidth, fitWidths } from '../../src/cli/table.js';
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

  test('table: the fields escaped', async () => {
    expect(await rendered('table', rows)).toBe(
      [
        '┌────────────────────────────┬────┐',
        '│ name                       │ n  │',
        '├────────────────────────────┼────┤',
        '│ \\x1b]0;pwned\\x07=x\\t\\u202e │ 1  │',
        '├────────────────────────────┼────┤',
        '│ -1                         │ -2 │',
        '└────────────────────────────┴────┘',
        '',
      ].join('\n'),
    );
    const one = await rendered('table', rows, true);
    expect(one.replace(/\n/g, '')).not.toMatch(UNSAFE);
    expect(one).toContain('\\x1b]0;pwned\\x07=x\\t\\u202e');
  });

  test('csv: formulas neutralised, the rest exact', async () => {
    expect(await rendered('csv', [{ name: '=1+2', n: 1 }, { name: '-1', n: -2 }])).toBe("name,n\n'=1+2,1\n'-1,'-2\n");
    expect(await rendered('csv', [{ name: '@x', n: 1 }], true)).toBe("name,n\n'@x,1\n");
  });

  test('json: the values exact', async () => {
    expect(JSON.parse(await rendered('json', rows))).toEqual(rows);
  });
});

describe('tables: fitted to the terminal, written page by page', () => {
  const many = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ name: `row ${from + i}`, n: from + i }));

  test('each page is written as it is added: the renderer holds at most one page of rows', async () => {
    const writes: string[] = [];
    const stream = renderListStream({ output: 'table', color: false, write: (t) => void writes.push(t) }, view);
    for (let page = 0; page < 5; page++) {
      await stream.add(many(page * 100, 100));
      // Everything added so far is already out: nothing waits for the end.
      const text = writes.join('');
      expect(text).toContain(`│ row ${page * 100 + 99} `);
      expect(writes).toHaveLength(page + 1);
    }
    await stream.end();
    const lines = writes.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^┌─+┬─+┐$/);
    expect(lines.at(-1)).toMatch(/^└─+┴─+┘$/);
    expect(lines.filter((l) => l.startsWith('│ row '))).toHaveLength(500);
    // No width to fit (piped, no COLUMNS): cells longer than the first page's are printed whole.
    expect(lines).toContain('│ row 499 │ 499 │');
  });

  test('renderList of a long list writes it in pages, not as one string', async () => {
    const writes: string[] = [];
    await renderList({ output: 'table', color: false, write: (t) => void writes.push(t) }, view, many(0, 5500));
    expect(writes.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...writes.map((w) => w.length))).toBeLessThan(300_000);
  });

  test('fits the width: every line at most COLUMNS cells, long cells cut with …, narrow columns whole', async () => {
    let out = '';
    const rows = [{ name: 'x'.repeat(200), n: 123456 }, { name: 'short', n: 7 }];
    await renderList({ output: 'table', color: false, width: 40, write: (t) => void (out += t) }, view, rows);
    const lines = out.trimEnd().split('\n');
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(40);
    expect(lines.find((l) => l.includes('xxx'))).toMatch(/x… │ 123456 │$/);
    expect(out).toContain('│ short ');
  });

  test('later pages wider than the first are cut, never widen the table', async () => {
    const writes: string[] = [];
    const stream = renderListStream({ output: 'table', color: false, width: 16, write: (t) => void writes.push(t) }, view);
    await stream.add([{ name: 'abc', n: 1 }]);
    await stream.add([{ name: 'a much longer name', n: 22222 }]);
    await stream.end();
    const lines = writes.join('').trimEnd().split('\n');
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
    expect(lines).toContain('│ a mu… │ 2… │');
  });

  test('wide characters count two cells, combining marks none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('😀')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  test('fitWidths narrows the widest columns first, to the room left by borders', () => {
    expect(fitWidths([5, 3], undefined)).toEqual([5, 3]);
    expect(fitWidths([5, 3], 100)).toEqual([5, 3]);
    const w = fitWidths([10, 100, 4, 50], 80);
    expect(w.reduce((a, b) => a + b, 0) + 3 * 4 + 1).toBeLessThanOrEqual(80);
    expect(w[0]).toBe(10);
    expect(w[2]).toBe(4);
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
