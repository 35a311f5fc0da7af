/**
 * What the shared SQL (sql/tx.ts) needs of a database driver: four calls, each taking SQL with `?`
 * placeholders and its parameters in order. better-sqlite3 answers at once (its driver returns
 * values), pg later (promises); the shared code awaits either.
 */
import type { Row } from './rows.js';

export type Awaitable<T> = T | Promise<T>;

export interface SqlDriver {
  /** Every row, as objects. */
  all(sql: string, params: readonly unknown[]): Awaitable<Row[]>;
  /** The first row, as an object, if any. */
  get(sql: string, params: readonly unknown[]): Awaitable<Row | undefined>;
  /** Every row, as arrays in the statement's column order (cheaper for long lists). */
  rows(sql: string, params: readonly unknown[]): Awaitable<unknown[][]>;
  /** Run a statement; how many rows it changed. */
  run(sql: string, params: readonly unknown[]): Awaitable<number>;
}
