import { initPartner, runBin, sandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(() => sb.cleanup());

const at = (iso: string) => ({ ...sb.env, DELEGATE_NOW: iso });

test('client show prints a granular client’s relationship, roles and current end in plain output, one line per relationship', async () => {
  await initPartner({ ...sb, env: at('2026-03-01T00:00:00Z') }); // the ledger's time never runs backwards: start at the story's first day
  const made = await runBin(['offer', 'create', '--granular', '--roles', 'Global Reader,Helpdesk Administrator', '--duration', 'P30D', '--name', 'Contoso support', '--json'], at('2026-03-01T00:00:00Z'));
  expect(made.code).toBe(0);
  const offer = JSON.parse(made.stdout) as { url: string; granular: { relationshipId: string } };
  expect((await runBin(['client', 'accept', offer.url, '--domain', 'contoso.com', '-q'], at('2026-03-02T00:00:00Z'))).code).toBe(0);

  const shown = await runBin(['client', 'show', 'contoso.com'], at('2026-03-10T00:00:00Z'));
  expect(shown.code).toBe(0);
  const fields = shown.stdout.replace(/\n$/, '').split('\t');
  expect(fields.slice(0, 7)).toEqual(['contoso.com', 'contoso.com', '', 'active', 'granular', 'Contoso support', 'active']);
  expect(fields.slice(8)).toEqual(['2026-03-02T00:00:00.000Z', '2026-04-01T00:00:00.000Z', offer.granular.relationshipId, 'Global Reader, Helpdesk Administrator', 'no']);

  // The client of the seed's offer: one line, its DAP relationship, with empty granular fields kept.
  await runBin(['offer', 'create', '-q'], sb.env);
  const link = (await runBin(['offer', 'link'], sb.env)).stdout.trim();
  expect((await runBin(['client', 'accept', link, '--domain', 'fabrikam-client.com', '-q'], sb.env)).code).toBe(0);
  const legacy = await runBin(['client', 'show', 'fabrikam-client.com'], sb.env);
  const dap = legacy.stdout.replace(/\n$/, '').split('\t');
  expect(dap).toHaveLength(13);
  expect(dap.slice(4, 7)).toEqual(['dap', 'delegated admin (DAP)', 'active']);
  expect(dap.slice(9)).toEqual(['', '', '', '']);
});
