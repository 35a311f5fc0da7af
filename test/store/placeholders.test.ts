/**
 * The shared SQL's `?` placeholders become PostgreSQL's $1, $2, ... (store/sql/placeholders.ts):
 * in order, outside string literals and quoted identifiers only, and never silently wrong (a `?`
 * inside a literal, or a statement mixing both styles, is refused).
 */
import { numbered, rewrite } from '../../src/store/sql/placeholders.js';

test('placeholders are numbered in order; a statement without any is left as it is', () => {
  expect(rewrite('SELECT * FROM users WHERE email = ? AND admin_access = ? LIMIT 5')).toBe('SELECT * FROM users WHERE email = $1 AND admin_access = $2 LIMIT 5');
  expect(rewrite('INSERT INTO t (a, b, c) VALUES (?, ?, ?)')).toBe('INSERT INTO t (a, b, c) VALUES ($1, $2, $3)');
  expect(rewrite("SELECT 1 FROM partner WHERE id = 1 AND cloud = 'global'")).toBe("SELECT 1 FROM partner WHERE id = 1 AND cloud = 'global'");
  expect(rewrite('SELECT * FROM t WHERE a = $1 AND b = ANY($2::text[])')).toBe('SELECT * FROM t WHERE a = $1 AND b = ANY($2::text[])');
});

test('string literals and quoted identifiers are copied as they are, a doubled quote included', () => {
  expect(rewrite("SELECT ? FROM t WHERE x LIKE ? ESCAPE '\\' AND y = 'it''s' AND z = ?")).toBe("SELECT $1 FROM t WHERE x LIKE $2 ESCAPE '\\' AND y = 'it''s' AND z = $3");
  expect(rewrite('SELECT "odd?name" FROM t WHERE a = ?')).toBe('SELECT "odd?name" FROM t WHERE a = $1');
  // A dollar sign inside a literal is text, not a placeholder.
  expect(rewrite("SELECT ? WHERE x ~ '^a$1'")).toBe("SELECT $1 WHERE x ~ '^a$1'");
});

test('a ? inside a string literal or a comment, or ? mixed with $n, is refused rather than guessed at', () => {
  expect(() => rewrite("SELECT * FROM t WHERE a = ? AND b = 'why?'")).toThrow(/inside a string literal/);
  expect(() => rewrite("SELECT * FROM t WHERE b = 'it''s ?'")).toThrow(/inside a string literal/);
  expect(() => rewrite('SELECT 1 -- which one?\nFROM t')).toThrow(/comment/);
  expect(() => rewrite('SELECT * FROM t WHERE a = ? AND b = $2')).toThrow(/mixes/);
  expect(() => rewrite("SELECT 'unterminated FROM t WHERE a = ?")).toThrow(/unterminated/);
});

test('numbered() gives the rewrite, the same text each time (kept after the first)', () => {
  const sql = 'UPDATE users SET db_login = ? WHERE email = ?';
  expect(numbered(sql)).toBe('UPDATE users SET db_login = $1 WHERE email = $2');
  expect(numbered(sql)).toBe(numbered(sql));
  expect(() => numbered("SELECT 'a?'")).toThrow(/inside a string literal/);
});
