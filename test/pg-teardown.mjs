// Jest global teardown: drop what this run made on the PostgreSQL server (schemas and roles are
// named with the run's id: the sandboxes' template and the schemas given back for reuse, see
// test/helpers/pg-e2e.ts, and whatever a test left), and the template's dump file.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function teardown() {
  const run = process.env.DELEGATE_TEST_RUN_ID;
  const url = process.env.DELEGATE_TEST_PG_URL;
  if (!run || !url || process.env.DELEGATE_TEST_PG_MISSING) return;
  rmSync(join(tmpdir(), `delegate-test-${run}-store.json`), { force: true });
  const sql = `
    DO $$ DECLARE r record; BEGIN
      FOR r IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'dlgt%\\_${run}\\_%' LOOP EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname); END LOOP;
      FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'dlgt%\\_${run}\\_%' LOOP
        BEGIN EXECUTE format('DROP OWNED BY %I CASCADE', r.rolname); EXECUTE format('DROP ROLE %I', r.rolname);
        EXCEPTION WHEN others THEN NULL; END;
      END LOOP;
    END $$;`;
  spawnSync('psql', [url, '-XAtqc', sql], { encoding: 'utf8', timeout: 60000 });
}
