/**
 * Onboarding on acceptance (SPEC.md "Fleet work and the shell"): a granular
 * offer made from a template carries the template's group assignments; when
 * its client accepts (or `sync` sees it approved) they are applied in the same
 * transaction, listed in the output (JSON too) and audited.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import { ADMIN, TENANT, auditOf, expectUnchanged, runBin, sandbox, setupIn, type Sandbox } from '../helpers/cli.js';

const T0 = '2026-03-01T09:00:00.000Z';
const LEE = 'lee@fabrikam.com';
const CONTOSO = '6e2c1f3a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const UA = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const GR = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';

const sandboxes: Sandbox[] = [];
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

/** A partner whose template std (Helpdesk and User Administrator, Global Reader) assigns Helpdesk and Users. */
async function partner(env: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const sb = await sandbox();
  Object.assign(sb.env, env);
  sandboxes.push(sb);
  await setupIn(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupIn(sb, ['user', 'add', LEE, '--name', 'Lee']);
  await setupIn(sb, ['group', 'create', 'Helpdesk', '--object-id', '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d']);
  await setupIn(sb, ['group', 'create', 'Users']);
  await setupIn(sb, ['group', 'add-member', 'Helpdesk', LEE]);
  await setupIn(sb, [
    'template', 'create', 'std',
    '--roles', 'Helpdesk Administrator,User Administrator,Global Reader',
    '--assign', 'Helpdesk=Helpdesk Administrator,Global Reader',
    '--assign', 'Users=User Administrator',
  ]);
  return sb;
}

describe('client accept', () => {
  test("applies the template's group assignments in the acceptance, lists them (JSON `assigned`), audits each", async () => {
    const sb = await partner({ DELEGATE_NOW: T0 });
    const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--granular', '--template', 'std', '--name', 'Contoso', '--json']));
    const r = await runBin(['client', 'accept', offer.url, '--domain', 'contoso.com', '--json'], sb.env);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.assigned).toEqual([
      { relationshipId: offer.granular.relationshipId, group: 'Helpdesk', roles: [{ id: GR, name: 'Global Reader' }, { id: HA, name: 'Helpdesk Administrator' }] },
      { relationshipId: offer.granular.relationshipId, group: 'Users', roles: [{ id: UA, name: 'User Administrator' }] },
    ]);
    expect(c).toMatchObject({ domain: 'contoso.com', status: 'active' });
    expect(r.stderr).toMatch(/^Onboarded from template std: Helpdesk \(Global Reader, Helpdesk Administrator\); Users \(User Administrator\)\.$/m);
    expect(r.stderr).not.toMatch(/Give your security groups roles/);
    const audit = (await auditOf(sb)).slice(-3);
    expect(audit.map((e) => [e.action, e.target, e.detail])).toEqual([
      ['client.accept', 'contoso.com', `offer ${offer.id} (granular Contoso)`],
      ['client.assign', 'contoso.com', 'Helpdesk: Global Reader, Helpdesk Administrator (template std, on acceptance)'],
      ['client.assign', 'contoso.com', 'Users: User Administrator (template std, on acceptance)'],
    ]);
    // Lee is in Helpdesk: access works at once, with no `client assign` by hand.
    const users = await runBin(['--as', LEE, 'client', 'user', 'list', 'contoso.com', '--json'], sb.env);
    expect(users.code).toBe(0);
    // And the plan for those assignments is there too, now the relationship is active.
    const plan = await runBin(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator,Global Reader', '--plan'], sb.env);
    expect(plan.code).toBe(0);
  });

  test('plain output gains an assigned column; an offer with no template prints as before (no `assigned`)', async () => {
    const sb = await partner({ DELEGATE_NOW: T0 });
    const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--granular', '--template', 'std', '--name', 'Contoso', '--json']));
    const plain = await runBin(['client', 'accept', offer.id, '--domain', 'contoso.com', '--output', 'plain'], sb.env);
    expect(plain.stdout.trimEnd().split('\t').at(-1)).toBe('Helpdesk: Global Reader, Helpdesk Administrator; Users: User Administrator');
    const bare = JSON.parse(await setupIn(sb, ['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'Bare', '--json']));
    const r = await runBin(['client', 'accept', bare.id, '--domain', 'wingtip.com', '--json'], sb.env);
    expect(Object.keys(JSON.parse(r.stdout))).not.toContain('assigned');
    expect(r.stderr).toMatch(/Give your security groups roles on it/);
  });

  test('a refused acceptance writes no assignment (the store is unchanged)', async () => {
    const sb = await partner({ DELEGATE_NOW: T0 });
    const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--granular', '--template', 'std', '--name', 'Contoso', '--json']));
    await setupIn(sb, ['client', 'accept', offer.id, '--domain', 'contoso.com']);
    // Used up: a second client is exit 5, and nothing is assigned for it.
    await expectUnchanged(sb, ['client', 'accept', offer.id, '--domain', 'wingtip.com'], 5, /./);
  });
});

describe('sync', () => {
  let fake: FakeMicrosoft;
  beforeAll(async () => {
    fake = await startFakeMicrosoft();
  });
  afterAll(async () => {
    await fake.close();
  });

  test("a templated offer approved at Microsoft gets the template's assignments when sync sees it; --dry-run only lists them", async () => {
    const sb = await partner();
    const env = { ...sb.env, ...fake.env() };
    fake.addCustomer({ tenantId: CONTOSO, displayName: 'Contoso', defaultDomainName: 'contoso.com', allowDelegatedAccess: false });
    await setupIn(sb, ['offer', 'create', '--granular', '--template', 'std', '--name', 'Contoso GDAP']);
    fake.addRelationship({ displayName: 'Contoso GDAP', status: 'active', customer: { tenantId: CONTOSO, displayName: 'Contoso' }, roles: [HA, UA, GR] });

    const dry = JSON.parse((await runBin(['sync', '--only', 'relationships', '--dry-run', '--json'], env)).stdout);
    expect(dry.changes.filter((c: { what: string }) => c.what === 'assignment').map((c: { target: string; detail: string }) => [c.target, c.detail])).toEqual([
      ['Contoso GDAP/Helpdesk', '2 roles, from template std'],
      ['Contoso GDAP/Users', '1 role, from template std'],
    ]);
    expect((await auditOf(sb)).some((e) => e.action === 'client.assign')).toBe(false);

    const r = await runBin(['sync', '--only', 'relationships', '--json'], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.changes.filter((c: { what: string }) => c.what === 'assignment')).toHaveLength(2);
    expect(out.notes).toEqual([expect.stringContaining('create them there with `delegate client assign contoso.com --group "Helpdesk" --roles "Global Reader,Helpdesk Administrator" --plan`')]);
    const assigns = (await auditOf(sb)).filter((e) => e.action === 'client.assign');
    expect(assigns.map((e) => e.detail)).toEqual([
      'Helpdesk: Global Reader, Helpdesk Administrator (template std, seen approved by sync)',
      'Users: User Administrator (template std, seen approved by sync)',
    ]);
    const { DELEGATE_GRAPH_URL: _g, DELEGATE_ACCESS_TOKEN: _t, ...offline } = env;
    expect((await runBin(['--as', LEE, 'client', 'user', 'list', 'contoso.com'], offline)).code).toBe(0);
    // Once applied, a second sync adds nothing.
    const again = JSON.parse((await runBin(['sync', '--only', 'relationships', '--json'], env)).stdout);
    expect(again.changes).toEqual([]);
  });
});
