/**
 * `--plan` on every command that changes something (SPEC.md "Acting for a
 * client" and "Granular relationships"): the printed plan is executable as
 * printed, an allowed plan writes nothing (not even an audit entry), and a
 * refused one is exit 4 with exactly one audit entry.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ADMIN, copyStore, withStore, expectOneLine, runBin, runOk, sandbox, storeHash, type Sandbox } from '../helpers/cli.js';
import { checkPlan, HOSTS } from '../helpers/plan.js';
import { listAuditEntries } from '../helpers/shortcuts.js';

const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const CONTOSO_TENANT = '4b827261-d21f-4aa9-b7db-7fa1f56fb163';
const ADMIN_AGENTS = '0b1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const HELPDESK_AGENTS = '0c1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const GROUP_OID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const NOW = '2026-03-01T00:00:00.000Z';
const GRACE = 'grace@fabrikam.com'; // no admin access yet
const LEE = 'lee@fabrikam.com'; // a plain user: refused everything that changes
const REL = 'https://graph.microsoft.com/v1.0/tenantRelationships/delegatedAdminRelationships';

const sandboxes: Sandbox[] = [];
let template: Sandbox;
let relationshipId: string;

/** A partner with agent group ids, a DAP client with a tenant id and one without, a granular client, groups. */
async function build(cloud: 'global' | 'china'): Promise<{ sb: Sandbox; relationshipId: string }> {
  const sb = await sandbox();
  sandboxes.push(sb);
  const env = { ...sb.env, DELEGATE_NOW: NOW };
  const run = (args: string[]) => runOk(args, { env });
  await run(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', '--cloud', cloud]);
  await run(['user', 'add', GRACE]);
  await run(['user', 'add', LEE]);
  await run(['partner', 'set', '--admin-agents-group', ADMIN_AGENTS, '--helpdesk-agents-group', HELPDESK_AGENTS]);
  const offer = JSON.parse(await run(['offer', 'create', '--json'])) as { id: string };
  await run(['client', 'accept', offer.id, '--domain', 'contoso.com', '--tenant-id', CONTOSO_TENANT]);
  await run(['client', 'accept', offer.id, '--domain', 'northwind.com']);
  const granular = JSON.parse(await run(['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Tailspin', '--json'])) as {
    id: string;
    granular: { relationshipId: string };
  };
  await run(['client', 'accept', granular.id, '--domain', 'tailspin.com']);
  await run(['group', 'create', 'Helpdesk', '--object-id', GROUP_OID]);
  await run(['group', 'create', 'Unlinked']);
  return { sb, relationshipId: granular.granular.relationshipId };
}

async function copyOf(from: Sandbox): Promise<Sandbox> {
  const sb = await sandbox();
  sandboxes.push(sb);
  await copyStore(from, sb);
  return sb;
}

beforeAll(async () => {
  ({ sb: template, relationshipId } = await build('global'));
});
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

async function auditCount(sb: Sandbox): Promise<number> {
  return withStore(sb.db, async (store) => (await listAuditEntries(store, {})).length);
}

/** Run a plan: exit 0, store byte for byte unchanged (no audit entry either), a checked plan on stdout, one line on stderr. */
async function plan(sb: Sandbox, args: string[], cloud: 'global' | 'china' = 'global') {
  const before = await storeHash(sb.db);
  const r = await runBin(args, { ...sb.env, DELEGATE_NOW: NOW });
  expect(r.stderr).toMatch(/^Plan only: nothing was changed\./);
  expectOneLine(r.stderr);
  expect(r.code).toBe(0);
  expect(await storeHash(sb.db)).toBe(before);
  return checkPlan(r.stdout, cloud);
}

/** A refusal: exit 2, 3 or 5 leaves the store as it was; exit 4 adds exactly one audit entry. */
async function refused(sb: Sandbox, args: string[], code: number, message: RegExp) {
  const before = await storeHash(sb.db);
  const entries = await auditCount(sb);
  const r = await runBin(args, { ...sb.env, DELEGATE_NOW: NOW });
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, message);
  if (code === 4) expect(await auditCount(sb)).toBe(entries + 1);
  else expect(await storeHash(sb.db)).toBe(before);
}

describe('DAP admin access: membership of the AdminAgents / HelpdeskAgents groups', () => {
  test('grant-admin --plan: the user id from GET /users/{upn}, then POST .../members/$ref with ${user.id}', async () => {
    const sb = await copyOf(template);
    const p = await plan(sb, ['user', 'grant-admin', GRACE, '--role', 'full', '--plan']);
    expect(p).toEqual([
      { id: 'user', method: 'GET', url: 'https://graph.microsoft.com/v1.0/users/grace%40fabrikam.com?$select=id,userPrincipalName' },
      {
        id: 'join',
        method: 'POST',
        url: `https://graph.microsoft.com/v1.0/groups/${ADMIN_AGENTS}/members/$ref`,
        headers: { 'Content-Type': 'application/json' },
        body: { '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/${user.id}' },
      },
    ]);
    expect(await plan(sb, ['user', 'grant-admin', GRACE, '--role', 'limited', '--plan', 'graph'])).toHaveLength(2);
  });

  test('a file of grants plans each changed user; revoke-admin --plan needs no --yes and leaves the old group', async () => {
    const sb = await copyOf(template);
    await runOk(['user', 'grant-admin', GRACE, '--role', 'limited'], { env: sb.env });
    const file = join(sb.dir, 'roles.csv');
    writeFileSync(file, `email,role\n${GRACE},full\n${ADMIN},full\n${LEE},limited\n`);
    const p = await plan(sb, ['user', 'grant-admin', '--file', file, '--plan']);
    // ada already has full access: nothing for her.
    expect(p.map((q) => `${q.id} ${q.method}`)).toEqual(['user-1 GET', 'leave-1 DELETE', 'join-1 POST', 'user-2 GET', 'join-2 POST']);
    expect(p[1]!.url).toBe(`https://graph.microsoft.com/v1.0/groups/${HELPDESK_AGENTS}/members/\${user-1.id}/$ref`);
    const revoke = await plan(sb, ['user', 'revoke-admin', GRACE, '--plan']);
    expect(revoke.map((q) => [q.id, q.method, q.url])).toEqual([
      ['user', 'GET', 'https://graph.microsoft.com/v1.0/users/grace%40fabrikam.com?$select=id,userPrincipalName'],
      ['leave', 'DELETE', `https://graph.microsoft.com/v1.0/groups/${HELPDESK_AGENTS}/members/\${user.id}/$ref`],
    ]);
  });

  test('with the group id unknown: exit 5 naming `partner set --admin-agents-group`, nothing written', async () => {
    const sb = await sandbox();
    sandboxes.push(sb);
    await runOk(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], { env: sb.env });
    await runOk(['user', 'add', GRACE], { env: sb.env });
    await refused(sb, ['user', 'grant-admin', GRACE, '--role', 'full', '--plan'], 5, /AdminAgents group is not known.*delegate partner set --admin-agents-group <object id>/);
    const partner = JSON.parse(await runOk(['partner', 'show', '--json'], { env: sb.env }));
    expect(partner).toMatchObject({ adminAgentsGroupId: null, helpdeskAgentsGroupId: null });
  });

  test('partner set takes the group object ids as GUIDs (exit 2 otherwise) and partner show prints them', async () => {
    const sb = await copyOf(template);
    expect(JSON.parse(await runOk(['partner', 'show', '--json'], { env: sb.env }))).toMatchObject({ adminAgentsGroupId: ADMIN_AGENTS, helpdeskAgentsGroupId: HELPDESK_AGENTS });
    await refused(sb, ['partner', 'set', '--admin-agents-group', 'AdminAgents'], 2, /--admin-agents-group/);
    await refused(sb, ['partner', 'set', '--helpdesk-agents-group', '1234'], 2, /--helpdesk-agents-group/);
    await refused(sb, ['--as', LEE, 'partner', 'set', '--admin-agents-group', GROUP_OID], 4, /only the partner's global admins/);
  });

  test('--plan with --dry-run is exit 2; a bad --plan kind is exit 2; a refused plan is exit 4 and audited once', async () => {
    const sb = await copyOf(template);
    await refused(sb, ['user', 'grant-admin', GRACE, '--role', 'full', '--plan', '--dry-run'], 2, /--plan or --dry-run, not both/);
    await refused(sb, ['user', 'revoke-admin', GRACE, '--plan', 'yaml'], 2, /--plan takes "graph", not "yaml"/);
    await refused(sb, ['--as', LEE, 'user', 'grant-admin', GRACE, '--role', 'full', '--plan'], 4, /only the partner's global admins/);
  });
});

describe('ending relationships', () => {
  test('client remove --plan (DAP): Partner Center PATCH customers/{tenant id}, no --yes needed, and it says why Partner Center', async () => {
    const sb = await copyOf(template);
    const before = await storeHash(sb.db);
    const r = await runBin(['client', 'remove', 'contoso.com', '--plan'], sb.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Graph has no call that ends a delegated admin \(DAP\) relationship/);
    expect(await storeHash(sb.db)).toBe(before);
    expect(checkPlan(r.stdout, 'global')).toEqual([
      {
        id: 'customer',
        method: 'PATCH',
        url: `https://api.partnercenter.microsoft.com/v1/customers/${CONTOSO_TENANT}`,
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: { AllowDelegatedAccess: false, attributes: { objectType: 'Customer' } },
      },
    ]);
  });

  test('client remove --plan without a known tenant id finds it from the domain first (${tenant.tenantId})', async () => {
    const p = await plan(await copyOf(template), ['client', 'remove', 'northwind.com', '--plan']);
    expect(p.map((q) => [q.id, q.method, q.url])).toEqual([
      ['tenant', 'GET', "https://graph.microsoft.com/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='northwind.com')"],
      ['customer', 'PATCH', 'https://api.partnercenter.microsoft.com/v1/customers/${tenant.tenantId}'],
    ]);
  });

  test('client terminate --plan: POST .../requests {"action":"terminate"} on the relationship', async () => {
    const p = await plan(await copyOf(template), ['client', 'terminate', 'tailspin.com', '--plan']);
    expect(p).toEqual([
      { id: 'terminate', method: 'POST', url: `${REL}/${relationshipId}/requests`, headers: { 'Content-Type': 'application/json' }, body: { action: 'terminate' } },
    ]);
  });

  test('client extend --plan: GET, then PATCH with If-Match ${relationship.@odata.etag}; --off plans PT0S', async () => {
    const sb = await copyOf(template);
    const p = await plan(sb, ['client', 'extend', 'tailspin.com', '--plan']);
    expect(p).toEqual([
      { id: 'relationship', method: 'GET', url: `${REL}/${relationshipId}` },
      {
        id: 'extend',
        method: 'PATCH',
        url: `${REL}/${relationshipId}`,
        headers: { 'If-Match': '${relationship.@odata.etag}', 'Content-Type': 'application/json' },
        body: { autoExtendDuration: 'P180D' },
      },
    ]);
    // Already PT0S: nothing to do.
    expect(await plan(sb, ['client', 'extend', 'tailspin.com', '--off', '--plan'])).toEqual([]);
  });

  test('refused and conflicting plans: exit 4 audited once; exit 5 and 3 leave the store as it was', async () => {
    const sb = await copyOf(template);
    await refused(sb, ['--as', LEE, 'client', 'remove', 'contoso.com', '--plan'], 4, /may not end client relationships/);
    await refused(sb, ['--as', LEE, 'client', 'terminate', 'tailspin.com', '--plan'], 4, /may not end client relationships/);
    await refused(sb, ['--as', LEE, 'client', 'extend', 'tailspin.com', '--plan'], 4, /may not change how client relationships extend/);
    await refused(sb, ['client', 'extend', 'contoso.com', '--plan'], 5, /not a granular one/);
    await refused(sb, ['client', 'remove', 'nosuch.com', '--plan'], 3, /No client nosuch\.com/);
  });
});

describe('groups and access assignments', () => {
  test('group create --plan: POST /groups, a security group', async () => {
    const p = await plan(await copyOf(template), ['group', 'create', 'Tier 2', '--plan']);
    expect(p).toEqual([
      {
        id: 'group',
        method: 'POST',
        url: 'https://graph.microsoft.com/v1.0/groups',
        headers: { 'Content-Type': 'application/json' },
        body: { displayName: 'Tier 2', mailEnabled: false, mailNickname: expect.stringMatching(/^dlg-[0-9a-f-]{36}$/), securityEnabled: true },
      },
    ]);
  });

  test('group add-member --plan: per member GET /users/{upn} then $ref; a group without an object id is exit 5 until `group set`', async () => {
    const sb = await copyOf(template);
    const p = await plan(sb, ['group', 'add-member', 'Helpdesk', GRACE, LEE, '--plan']);
    expect(p.map((q) => [q.id, q.method, q.url])).toEqual([
      ['user-1', 'GET', 'https://graph.microsoft.com/v1.0/users/grace%40fabrikam.com?$select=id,userPrincipalName'],
      ['add-1', 'POST', `https://graph.microsoft.com/v1.0/groups/${GROUP_OID}/members/$ref`],
      ['user-2', 'GET', 'https://graph.microsoft.com/v1.0/users/lee%40fabrikam.com?$select=id,userPrincipalName'],
      ['add-2', 'POST', `https://graph.microsoft.com/v1.0/groups/${GROUP_OID}/members/$ref`],
    ]);
    expect(p[3]!.body).toEqual({ '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/${user-2.id}' });
    await refused(sb, ['group', 'add-member', 'Unlinked', GRACE, '--plan'], 5, /no object id.*delegate group set Unlinked --object-id <guid>/);
    await refused(sb, ['group', 'set', 'Unlinked', '--object-id', 'nope'], 2, /--object-id/);
    await refused(sb, ['group', 'set', 'Nosuch', '--object-id', GROUP_OID], 3, /No security group Nosuch/);
    await refused(sb, ['--as', LEE, 'group', 'set', 'Unlinked', '--object-id', GROUP_OID], 4, /may not change security groups/);
    // At NOW like the rest: the audited refusal below must not be dated before this write.
    await runOk(['group', 'set', 'Unlinked', '--object-id', GROUP_OID], { env: { ...sb.env, DELEGATE_NOW: NOW } });
    expect(await plan(sb, ['group', 'add-member', 'Unlinked', GRACE, '--plan'])).toHaveLength(2);
    await refused(sb, ['--as', LEE, 'group', 'create', 'Mine', '--plan'], 4, /only the partner's global admins/);
  });

  test('client assign --plan: POST .../accessAssignments with the group object id and roles', async () => {
    const sb = await copyOf(template);
    const p = await plan(sb, ['client', 'assign', 'tailspin.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator', '--plan']);
    expect(p).toEqual([
      {
        id: 'assignment',
        method: 'POST',
        url: `${REL}/${relationshipId}/accessAssignments`,
        headers: { 'Content-Type': 'application/json' },
        body: { accessContainer: { accessContainerId: GROUP_OID, accessContainerType: 'securityGroup' }, accessDetails: { unifiedRoles: [{ roleDefinitionId: HA }] } },
      },
    ]);
    await refused(sb, ['client', 'assign', 'tailspin.com', '--group', 'Unlinked', '--roles', 'Helpdesk Administrator', '--plan'], 5, /no object id/);
    await refused(sb, ['--as', LEE, 'client', 'assign', 'tailspin.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator', '--plan'], 4, /global admins/);
  });
});

test('the plan is the same JSON in every output mode', async () => {
  const sb = await copyOf(template);
  const args = ['client', 'terminate', 'tailspin.com', '--plan'];
  const outputs = await Promise.all([[], ['--json'], ['--output', 'csv'], ['--output', 'plain'], ['--output', 'table']].map((o) => runBin([...o, ...args], sb.env)));
  for (const r of outputs) expect(r.code).toBe(0);
  expect(new Set(outputs.map((r) => r.stdout)).size).toBe(1);
  checkPlan(outputs[0]!.stdout, 'global');
});

test('on 21Vianet every plan uses the 21Vianet Graph and Partner Center hosts', async () => {
  const { sb, relationshipId: id } = await build('china');
  const remove = await plan(sb, ['client', 'remove', 'northwind.com', '--plan'], 'china');
  expect(remove[0]!.url.startsWith(HOSTS.china.graph)).toBe(true);
  expect(remove[1]!.url).toBe(`${HOSTS.china.partnerCenter}customers/\${tenant.tenantId}`);
  const grant = await plan(sb, ['user', 'grant-admin', GRACE, '--role', 'full', '--plan'], 'china');
  expect(grant[1]!.body).toEqual({ '@odata.id': `${HOSTS.china.graph}directoryObjects/\${user.id}` });
  const extend = await plan(sb, ['client', 'extend', 'tailspin.com', '--plan'], 'china');
  expect(extend[1]!.url).toBe(`${HOSTS.china.graph}tenantRelationships/delegatedAdminRelationships/${id}`);
  await plan(sb, ['offer', 'create', '--granular', '--roles', 'Global Reader', '--plan'], 'china');
});
