// Jest global setup: is there a PostgreSQL server for the team-store tests?
// Without one, `npm test` skips them and says so on one line; `.ci/run` sets
// DELEGATE_REQUIRE_PG=1, and then a missing server fails the run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export default function setup() {
  // Names of schemas and roles this run makes carry its id, so teardown finds them all.
  process.env.DELEGATE_TEST_RUN_ID ??= randomBytes(3).toString('hex');
  if (process.env.DELEGATE_TEST_PG_CHECKED) return;
  process.env.DELEGATE_TEST_PG_CHECKED = '1';
  const url = process.env.DELEGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  process.env.DELEGATE_TEST_PG_URL = url;
  const r = spawnSync('psql', [url, '-XAtqc', 'SELECT 1'], { encoding: 'utf8', timeout: 10000 });
  if (r.status === 0 && r.stdout.trim() === '1') {
    delete process.env.DELEGATE_TEST_PG_MISSING;
    return;
  }
  const why = r.error ? `psql cannot run (${r.error.code ?? r.error.message})` : `no PostgreSQL server answers at ${url} (${(r.stderr || '').trim().split('\n')[0]})`;
  if (process.env.DELEGATE_REQUIRE_PG) throw new Error(`PostgreSQL is required (DELEGATE_REQUIRE_PG) but ${why}`);
  process.env.DELEGATE_TEST_PG_MISSING = why;
  process.stderr.write(`\nPostgreSQL tests skipped: ${why}; start one (see docs/development.md) or set DELEGATE_TEST_PG_URL.\n`);
}
