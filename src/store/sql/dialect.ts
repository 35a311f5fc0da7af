/**
 * What still differs between the two SQL dialects in the SQL both backends share (tx.ts,
 * queries.ts, and the lines a store prints itself: client-lines.ts, offer-lines.ts), side by
 * side. Everything else in that SQL is written once, in the subset both speak: `?` placeholders
 * (PostgreSQL's are numbered once per statement, placeholders.ts), `INSERT ... ON CONFLICT (...)
 * DO UPDATE SET ... = excluded.col` (SQLite 3.24+), `RETURNING` (3.35+), `TRUE`/`FALSE` (3.23+)
 * and `NULLS FIRST` (3.30+; better-sqlite3 12 bundles SQLite 3.53). What stays inside one backend
 * (json_each against arrays and unnest, multi-row VALUES against COPY, PRAGMA against advisory
 * locks) is in that backend's folder.
 */
export interface Dialect {
  /** A boolean as the driver binds it: better-sqlite3 binds no JS booleans (the columns hold 0/1). */
  bool(b: boolean): boolean | number;
  /** LIKE that ignores ASCII case: SQLite's LIKE already does; PostgreSQL's is ILIKE. */
  readonly like: 'LIKE' | 'ILIKE';
  /**
   * `col` equal to the next parameter without case: the names the ledger compares so (templates,
   * groups, relationship display names). SQLite's columns are COLLATE NOCASE; PostgreSQL's have
   * unique indexes on lower(col).
   */
  sameName(col: string): string;
  /**
   * ORDER BY terms that list names without case (ASCII), ties in binary order: templates, groups,
   * and the group_name columns that refer to groups (binary columns on both backends).
   */
  byName(col: string): string;
  /** The part of an email column after its '@'. */
  emailDomain(col: string): string;
  /** The printf-like function (client-lines.ts prints clients with it). */
  readonly format: 'printf' | 'format';
  /**
   * SQL true when the text `x` is an ISO time as toISOString writes it (`millis`), or the same
   * without milliseconds (offer-lines.ts): SQLite's GLOB, PostgreSQL's regular expression.
   */
  isoTime(x: string, millis: boolean): string;
}

export const SQLITE: Dialect = {
  bool: (b) => (b ? 1 : 0),
  like: 'LIKE',
  sameName: (col) => `${col} = ?`,
  byName: (col) => `${col} COLLATE NOCASE, ${col} COLLATE BINARY`,
  emailDomain: (col) => `substr(${col}, instr(${col}, '@') + 1)`,
  format: 'printf',
  isoTime: (x, millis) => `${x} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]${millis ? '.[0-9][0-9][0-9]' : ''}Z'`,
};

export const POSTGRES: Dialect = {
  bool: (b) => b,
  like: 'ILIKE',
  sameName: (col) => `lower(${col}) = lower(?)`,
  byName: (col) => `lower(${col}), ${col}`,
  emailDomain: (col) => `split_part(${col}, '@', 2)`,
  format: 'format',
  isoTime: (x, millis) => `${x} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}${millis ? '\\.[0-9]{3}' : ''}Z$'`,
};
