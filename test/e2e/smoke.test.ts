import { ADMIN, spawnBin, sandbox, TENANT, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(() => sb.cleanup());

test('init then offer create prints an offer with the partner link', async () => {
  // The built bin, as a user runs it, both times (the other end-to-end files run the CLI in-process).
  const init = await spawnBin(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], sb.env);
  expect(init.code).toBe(0);
  const r = await spawnBin(['offer', 'create', '--json'], sb.env);
  expect(r.code).toBe(0);
  const offer = JSON.parse(r.stdout);
  expect(offer.createdBy).toBe(ADMIN);
  expect(offer.url).toContain('invType=Administration');
});
