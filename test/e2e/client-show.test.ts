import { initPartner, runBin, sandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(() => (sb = sandbox()));
afterEach(() => sb.cleanup());

const at = (iso: string) => ({ ...sb.env, DELEGATE_NOW: iso });

test('client show prints a granular client’s relationship, roles and current end in plain output', async () => {
  await initPartner({ ...sb, env: at('2026-03-01T00:00:00Z') }); // the ledger's time never runs backwards: start at the story's first day
  const made = await runBin(['offer', 'create', '--granular', '--roles', 'Global Reader,Helpdesk Administrator', '--duration', 'P30D', '--name', 'Contoso support', '--json'], at('2026-03-01T00:00:00Z'));
  expect(made.code).toBe(0);
  const offer = JSON.parse(made.stdout) as { url: string; granular: { relationshipId: string } };
  expect((await runBin(['client', 'accept', offer.url, '--domain', 'contoso.com', '-q'], at('2026-03-02T00:00:00Z'))).code).toBe(0);

  const shown = await runBin(['client', 'show', 'contoso.com'], at('2026-03-10T00:00:00Z'));
  expect(shown.code).toBe(0);
  const fields = shown.stdout.replace(/\n$/, '').split('\t');
  expect(fields.slice(0, 4)).toEqual(['contoso.com', 'contoso.com', '', 'active']);
  expect(fields.slice(7)).toEqual(['Contoso support', offer.granular.relationshipId, 'Global Reader, Helpdesk Administrator', '2026-04-01T00:00:00.000Z', 'no']);

  // The legacy client of the seed's offer keeps the seven columns.
  await runBin(['offer', 'create', '-q'], sb.env);
  const link = (await runBin(['offer', 'link'], sb.env)).stdout.trim();
  expect((await runBin(['client', 'accept', link, '--domain', 'fabrikam-client.com', '-q'], sb.env)).code).toBe(0);
  const legacy = await runBin(['client', 'show', 'fabrikam-client.com'], sb.env);
  expect(legacy.stdout.replace(/\n$/, '').split('\t')).toHaveLength(7);
});
