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

export default {
  testTimeout: 60000,
  // Every core (Jest's default leaves one idle): the end-to-end tests run the CLI in this process
  // (test/helpers/cli.ts runBin), so a worker is about one core's work.
  maxWorkers: '100%',
  projects: [
    { ...base, displayName: 'sqlite', testMatch: ['<rootDir>/test/**/*.test.ts'], setupFiles: ['<rootDir>/test/store-env-sqlite.cjs'] },
    ...(pgUp
      ? [
          {
            ...base,
            displayName: 'e2e on postgres',
            // Every end-to-end file; team-store.test.ts is about PostgreSQL already (it runs in the first project).
            testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
            testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/team-store\\.test\\.ts$'],
            setupFiles: ['<rootDir>/test/store-env-postgres.cjs'],
          },
        ]
      : []),
  ],
};
