import { ADMIN, initPartner, runBin, sandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(() => (sb = sandbox()));
afterEach(() => sb.cleanup());

test('init then offer create prints an offer with the partner link', async () => {
  await initPartner(sb);
  const r = await runBin(['offer', 'create', '--json'], sb.env);
  expect(r.code).toBe(0);
  const offer = JSON.parse(r.stdout);
  expect(offer.createdBy).toBe(ADMIN);
  expect(offer.url).toContain('invType=Administration');
});
