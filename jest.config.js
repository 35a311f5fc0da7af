/**
 * Jest over TypeScript ESM, transformed by swc (type checking is `npm run typecheck`).
 * Two projects: every test on SQLite stores, and the end-to-end tests again on PostgreSQL
 * stores (a schema per sandbox; test/helpers/pg-e2e.ts) when a server answers. Without one,
 * test/pg-setup.mjs says so on one line and the PostgreSQL tests do not run (.ci/run
 * requires them: DELEGATE_REQUIRE_PG).
 */
import { spawnSync } from 'node:child_process';

const pgUrl = process.env.DELEGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const pgUp = spawnSync('psql', [pgUrl, '-XAtqc', 'SELECT 1'], { encoding: 'utf8', timeout: 10000 }).stdout?.trim() === '1';

const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Finds the PostgreSQL server the team-store tests use (or says on one line why they are skipped).
  globalSetup: '<rootDir>/test/pg-setup.mjs',
  globalTeardown: '<rootDir>/test/pg-teardown.mjs',
};

/**
 * The end-to-end files that run on PostgreSQL too. The others do not yet: they compare store
 * files byte for byte (storeHash has a PostgreSQL form, but copies of store files do not),
 * expect SQLite's identity rules (--as for a user who does not exist is exit 3 there, exit 4 on
 * a team store), or user JSON without dbLogin. team-store.test.ts is PostgreSQL already.
 */
const ON_POSTGRES = ['smoke', 'sync', 'login', 'offer-links', 'completion', 'terminal', 'client-show'];

export default {
  testTimeout: 60000,
  projects: [
    { ...base, displayName: 'sqlite', testMatch: ['<rootDir>/test/**/*.test.ts'], setupFiles: ['<rootDir>/test/store-env-sqlite.cjs'] },
    ...(pgUp
      ? [
          {
            ...base,
            displayName: 'e2e on postgres',
            // DELEGATE_TEST_PG_E2E=all: every end-to-end file (to see what does not run there yet).
            testMatch: process.env.DELEGATE_TEST_PG_E2E === 'all' ? ['<rootDir>/test/e2e/**/*.test.ts'] : ON_POSTGRES.map((f) => `<rootDir>/test/e2e/${f}.test.ts`),
            setupFiles: ['<rootDir>/test/store-env-postgres.cjs'],
          },
        ]
      : []),
  ],
};
