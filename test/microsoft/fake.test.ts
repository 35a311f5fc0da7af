/**
 * The loopback fake answers the documented requests with the documented
 * shapes, through the real client (so the two agree), and the token endpoint
 * answers the OAuth shapes msal-node reads.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MicrosoftClient, staticToken } from '../../src/microsoft/client.js';
import { endpointsFor } from '../../src/microsoft/endpoints.js';
import * as schemas from '../../src/microsoft/schemas.js';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';

let fake: FakeMicrosoft;
let c: MicrosoftClient;

beforeAll(async () => {
  fake = await startFakeMicrosoft();
  c = new MicrosoftClient({ endpoints: endpointsFor('global', fake.env()), tokens: staticToken('t'), sleep: async () => undefined });
});
afterAll(async () => {
  await fake.close();
});

async function failure(p: Promise<unknown>): Promise<{ status: number; microsoftCode: string; exitCode: number }> {
  try {
    await p;
  } catch (e) {
    return e as { status: number; microsoftCode: string; exitCode: number };
  }
  throw new Error('expected a failure');
}

describe('users and roles (in a client tenant)', () => {
  it('creates a user, resets its password with PATCH passwordProfile (204), refuses a taken userPrincipalName', async () => {
    const body = { accountEnabled: true, displayName: 'Adele Vance', mailNickname: 'AdeleV', userPrincipalName: 'AdeleV@contoso.onmicrosoft.com', passwordProfile: { forceChangePasswordNextSignIn: true, password: 'xWwvJ]6NMw+bWH-d' } };
    const user = (await c.post('/users', body, schemas.user))!;
    expect(user).toMatchObject({ userPrincipalName: 'AdeleV@contoso.onmicrosoft.com', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(user.passwordProfile).toBeUndefined();
    const patch = await c.request({ method: 'PATCH', path: `/users/${user.id}`, body: { passwordProfile: { forceChangePasswordNextSignIn: true, password: 'N3w-p4ssw0rd!' } }, schema: schemas.noContent });
    expect(patch).toMatchObject({ status: 204, body: undefined });
    expect(fake.users.get(user.id)!.passwordProfile).toEqual({ forceChangePasswordNextSignIn: true, password: 'N3w-p4ssw0rd!' });
    expect(await failure(c.post('/users', body, schemas.user))).toMatchObject({ status: 400, microsoftCode: 'Request_BadRequest', exitCode: 2 });
    expect(await c.get(`/users/${encodeURIComponent('adelev@contoso.onmicrosoft.com')}`, schemas.user)).toMatchObject({ id: user.id });
  });

  it('assigns a directory role and lists it by principal', async () => {
    const principalId = fake.addUser('role@contoso.com');
    const a = (await c.post('/roleManagement/directory/roleAssignments', { '@odata.type': '#microsoft.graph.unifiedRoleAssignment', roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', principalId, directoryScopeId: '/' }, schemas.roleAssignment))!;
    expect(a).toMatchObject({ roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', principalId, directoryScopeId: '/' });
    const list = await c.all(`/roleManagement/directory/roleAssignments?$filter=principalId eq '${principalId}'`, schemas.roleAssignmentPage);
    expect(list.map((x) => x.id)).toEqual([a.id]);
    expect(await failure(c.post('/roleManagement/directory/roleAssignments', { principalId }, schemas.roleAssignment))).toMatchObject({ status: 400 });
  });
});

describe('domains', () => {
  it('adds a domain, reads its verification records, verifies it', async () => {
    const d = await c.post('/domains', { id: 'Contoso.com' }, schemas.domain);
    expect(d).toMatchObject({ id: 'contoso.com', isVerified: false, isRoot: true });
    const records = await c.all('/domains/contoso.com/verificationDnsRecords', schemas.domainDnsRecordPage);
    expect(records.map((r) => r.recordType)).toEqual(['Txt', 'Mx']);
    expect(records[0]).toMatchObject({ label: 'contoso.com', ttl: 3600, isOptional: false, supportedService: 'Email' });
    expect(await c.post('/domains/contoso.com/verify', undefined, schemas.domain)).toMatchObject({ id: 'contoso.com', isVerified: true });
    expect(await failure(c.post('/domains/unknown.example/verify', undefined, schemas.domain))).toMatchObject({ status: 404, exitCode: 3 });
  });
});

describe('groups', () => {
  it('adds a member by $ref (204), refuses it twice (400) and an unknown object (404), lists and removes', async () => {
    const g = fake.addGroup('AdminAgents');
    const u = fake.addUser('agent@fabrikam.com');
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${u}` };
    expect(await c.request({ method: 'POST', path: `/groups/${g}/members/$ref`, body: ref, schema: schemas.noContent })).toMatchObject({ status: 204 });
    expect(await failure(c.post(`/groups/${g}/members/$ref`, ref, schemas.noContent))).toMatchObject({ status: 400 });
    expect(await failure(c.post(`/groups/${g}/members/$ref`, { '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-4000-8000-000000000000' }, schemas.noContent))).toMatchObject({
      status: 404,
    });
    expect((await c.all(`/groups/${g}/members`, schemas.directoryObjectPage)).map((m) => m.id)).toEqual([u]);
    expect(await c.request({ method: 'DELETE', path: `/groups/${g}/members/${u}/$ref`, schema: schemas.noContent })).toMatchObject({ status: 204 });
    expect(await c.all(`/groups/${g}/members`, schemas.directoryObjectPage)).toEqual([]);
  });
});

describe('contracts and relationships', () => {
  it('lists the partner’s customers from GET /contracts, paged', async () => {
    fake.pageSize = 1;
    fake.addCustomer({ tenantId: 'aaaaaaaa-0000-4000-8000-000000000001', displayName: 'A', defaultDomainName: 'a.onmicrosoft.com' });
    fake.addCustomer({ tenantId: 'aaaaaaaa-0000-4000-8000-000000000002', displayName: 'B', defaultDomainName: 'b.onmicrosoft.com' });
    const contracts = await c.all('/contracts', schemas.contractPage);
    expect(contracts.map((x) => x.defaultDomainName)).toEqual(['a.onmicrosoft.com', 'b.onmicrosoft.com']);
    fake.pageSize = 100;
  });

  it('deletes a relationship only while created, with its etag (204)', async () => {
    const rel = (await c.post(
      '/tenantRelationships/delegatedAdminRelationships',
      {
      displayName: 'To delete',
      duration: 'P30D',
        accessDetails: { unifiedRoles: [{ roleDefinitionId: '29232cdf-9323-42fd-ade2-1d097af3e4de' }] },
      },
      schemas.relationship,
    ))!;
    const path = `/tenantRelationships/delegatedAdminRelationships/${rel.id}`;
    expect(await failure(c.request({ method: 'DELETE', path, schema: schemas.noContent }))).toMatchObject({ status: 400 });
    expect(await c.request({ method: 'DELETE', path, headers: { 'If-Match': rel['@odata.etag']! }, schema: schemas.noContent })).toMatchObject({ status: 204 });
    expect(await failure(c.get(path, schemas.relationship))).toMatchObject({ status: 404, exitCode: 3 });
  });

  it('refuses a second relationship of the same name, and actions in the wrong status', async () => {
    const body = { displayName: 'Unique name', duration: 'P30D', accessDetails: { unifiedRoles: [] } };
    const rel = (await c.post('/tenantRelationships/delegatedAdminRelationships', body, schemas.relationship))!;
    expect(await failure(c.post('/tenantRelationships/delegatedAdminRelationships', body, schemas.relationship))).toMatchObject({ status: 409, exitCode: 5 });
    expect(await failure(c.post(`/tenantRelationships/delegatedAdminRelationships/${rel.id}/requests`, { action: 'terminate' }, schemas.relationshipRequest))).toMatchObject({ status: 400 });
    expect(
      await failure(
        c.post(`/tenantRelationships/delegatedAdminRelationships/${rel.id}/accessAssignments`, {
          accessContainer: { accessContainerId: 'x', accessContainerType: 'securityGroup' },
          accessDetails: { unifiedRoles: [] },
        }, schemas.accessAssignment),
      ),
    ).toMatchObject({ status: 400 });
    fake.approve(rel.id);
    expect(await c.get(`/tenantRelationships/delegatedAdminRelationships/${rel.id}`, schemas.relationship)).toMatchObject({ status: 'active', activatedDateTime: expect.any(String), endDateTime: expect.any(String) });
  });
});

describe('token endpoint', () => {
  const form = (o: Record<string, string>) => ({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });

  it('serves the OpenID configuration of a tenant under the authority', async () => {
    const res = await fetch(`${fake.authorityUrl}/organizations/v2.0/.well-known/openid-configuration`);
    expect(await res.json()).toMatchObject({
      token_endpoint: `${fake.authorityUrl}/organizations/oauth2/v2.0/token`,
      device_authorization_endpoint: `${fake.authorityUrl}/organizations/oauth2/v2.0/devicecode`,
    });
  });

  it('client credentials: a bearer token; without a secret: invalid_client', async () => {
    const ok = await fetch(`${fake.authorityUrl}/t1/oauth2/v2.0/token`, form({ grant_type: 'client_credentials', client_id: 'app', client_secret: 's', scope: 'https://graph.microsoft.com/.default' }));
    expect(await ok.json()).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: fake.issuedToken });
    const bad = await fetch(`${fake.authorityUrl}/t1/oauth2/v2.0/token`, form({ grant_type: 'client_credentials', client_id: 'app' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('device code: the code to show, authorization_pending while the person signs in, then tokens with an id_token', async () => {
    fake.deviceCodePendingPolls = 1;
    const dc = (await (await fetch(`${fake.authorityUrl}/organizations/oauth2/v2.0/devicecode`, form({ client_id: 'app', scope: 'openid' }))).json()) as Record<string, unknown>;
    expect(Object.keys(dc).sort()).toEqual(['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri']);
    const poll = () => fetch(`${fake.authorityUrl}/organizations/oauth2/v2.0/token`, form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'app', device_code: String(dc.device_code) }));
    const pending = await poll();
    expect(pending.status).toBe(400);
    expect(await pending.json()).toMatchObject({ error: 'authorization_pending' });
    const done = (await (await poll()).json()) as Record<string, string>;
    expect(done).toMatchObject({ token_type: 'Bearer', access_token: fake.issuedToken, refresh_token: expect.any(String), client_info: expect.any(String) });
    const claims = JSON.parse(Buffer.from(done.id_token!.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ aud: 'app', preferred_username: fake.signedInUser.upn, tid: fake.signedInUser.tenantId });
  });
});
