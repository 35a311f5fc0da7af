/**
 * The shared SQL (sql/tx.ts, sql/queries.ts) is written with `?` placeholders, which SQLite binds as
 * they are; PostgreSQL numbers its own ($1, $2, ...). numbered() rewrites a statement once and keeps
 * the result, so a statement run again costs one map look-up, not a rewrite.
 */

const rewritten = new Map<string, string>();

/** `sql` with its `?` placeholders numbered $1, $2, ... in order (rewritten once per statement, then cached). */
export function numbered(sql: string): string {
  let out = rewritten.get(sql);
  if (out === undefined) {
    out = rewrite(sql);
    rewritten.set(sql, out);
  }
  return out;
}

/**
 * The rewrite itself. String literals ('...', a quote doubled inside) and quoted identifiers ("...")
 * are copied as they are; a `?` inside a string literal is refused: the shared SQL has none, and one
 * there would be a placeholder its author meant to bind. A statement already numbered ($1) is fine
 * as long as it has no `?` as well.
 */
export function rewrite(sql: string): string {
  let out = '';
  let from = 0;
  let n = 0;
  let dollar = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === 0x27 /* ' */ || c === 0x22 /* " */) {
      const end = sql.indexOf(sql[i]!, i + 1);
      if (end < 0) throw new Error(`unterminated ${c === 0x27 ? 'string literal' : 'quoted identifier'} in SQL: ${sql}`);
      if (c === 0x27 && sql.slice(i, end).includes('?')) throw new Error(`a ? inside a string literal in SQL (bind the value instead): ${sql}`);
      i = end; // a doubled quote ('') closes and reopens: the next turn starts a literal again
    } else if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      const end = sql.indexOf('\n', i);
      if (sql.slice(i, end < 0 ? sql.length : end).includes('?')) throw new Error(`a ? inside an SQL comment: ${sql}`);
      i = end < 0 ? sql.length : end;
    } else if (c === 0x3f /* ? */) {
      out += sql.slice(from, i) + '$' + ++n;
      from = i + 1;
    } else if (c === 0x24 /* $ */ && /[0-9]/.test(sql[i + 1] ?? '')) {
      dollar = true;
    }
  }
  if (n > 0 && dollar) throw new Error(`SQL mixes ? and $n placeholders: ${sql}`);
  return n === 0 ? sql : out + sql.slice(from);
}
