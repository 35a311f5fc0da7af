/**
 * Two faults the property tests found at 200 runs: a dash-led option value
 * that begins with a root short flag (`--name -ymB`) lost that letter to the
 * root's `-y`; and a CSV header cell holding a newline made a two-line error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, expectOneLine, runInProcess, runOk, sandbox, storeHash, TENANT, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
  await runOk(['--db', sb.db, 'init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
});
afterEach(() => sb.cleanup());

test.each(['-ymB!5M2', '-qx', '-hello', '-Vz', '-m'])('--name %s is stored whole', async (name) => {
  const out = await runOk(['--db', sb.db, 'user', 'add', 'grace@fabrikam.com', '--name', name, '--json']);
  expect(JSON.parse(out)).toMatchObject({ name });
});

test('a group of root flags after a value option is still those flags: --name -yq is a missing value (exit 2), nothing written', async () => {
  const before = await storeHash(sb.db);
  const r = await runInProcess(['--db', sb.db, 'user', 'add', 'grace@fabrikam.com', '--name', '-yq']);
  expect(r.code).toBe(2);
  expectOneLine(r.stderr, /--name/);
  expect(await storeHash(sb.db)).toBe(before);
});

test('a root long flag after a value option is that flag: --name --json --global-admin is a missing value (exit 2), nothing written', async () => {
  const before = await storeHash(sb.db);
  const r = await runInProcess(['--db', sb.db, 'user', 'add', 'grace@fabrikam.com', '--name', '--json', '--global-admin']);
  expect(r.code).toBe(2);
  expectOneLine(r.stderr, /--name/);
  expect(await storeHash(sb.db)).toBe(before);
});

test('root flags grouped before the command still work: -yq', async () => {
  await runOk(['--db', sb.db, 'user', 'add', 'grace@fabrikam.com']);
  const r = await runInProcess(['--db', sb.db, '-yq', 'user', 'remove', 'grace@fabrikam.com']);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
});

test('a header cell with a newline: one line, the cell quoted with the newline escaped', async () => {
  const file = join(sb.dir, 'h.csv');
  writeFileSync(file, '"x\n\ny"\nada@fabrikam.com\n');
  const before = await storeHash(sb.db);
  const r = await runInProcess(['--db', sb.db, 'user', 'add', '--file', file]);
  expect(r.code).toBe(2);
  expectOneLine(r.stderr, /unknown column "x\\n\\ny"/);
  expect(await storeHash(sb.db)).toBe(before);
});
