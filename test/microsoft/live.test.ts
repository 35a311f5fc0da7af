/**
 * From sign-in to a Graph request, in process: msal-node (through a network
 * client that trusts the fake's certificate) signs in at the fake's token
 * endpoint, and the live client sends the token it gets, per service and tenant.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/microsoft/live.js';
import { contractPage, partnerCenterCustomer, userPage } from '../../src/microsoft/schemas.js';
import { login, type SignInDeps } from '../../src/microsoft/signin.js';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import { trustingNetworkClient } from '../fake-microsoft/trusting-network.js';

const APP = '0b5f1c1e-7a47-4c36-9d7c-2f4c1a0c8e11';
const PARTNER = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const CLIENT_TENANT = '4b827261-d21f-4aa9-b7db-7fa1f56fb163';

let fake: FakeMicrosoft;
let dir: string;
let deps: SignInDeps;
const said: string[] = [];

beforeAll(async () => {
  fake = await startFakeMicrosoft({ httpsAuthority: true });
  fake.requireToken = fake.issuedToken;
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'delegate-live-'));
  const { DELEGATE_ACCESS_TOKEN: _none, ...endpoints } = fake.env();
  deps = { env: { ...endpoints, S: 'secret' }, dataDir: dir, say: (t) => said.push(t), networkClient: trustingNetworkClient() };
  fake.requests.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('connect', () => {
  it('DELEGATE_ACCESS_TOKEN: sent as is, no sign-in read', async () => {
    const c = await connect({ ...deps, env: { ...deps.env, DELEGATE_ACCESS_TOKEN: fake.issuedToken } });
    await c.get('/contracts', contractPage);
    expect(fake.seen({ service: 'authority' })).toHaveLength(0);
    expect(fake.seen({ service: 'graph' })[0]!.headers.authorization).toBe(`Bearer ${fake.issuedToken}`);
  });

  it('neither a token nor a sign-in: exit 4 naming delegate login, nothing sent', async () => {
    await expect(connect(deps)).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('delegate login') });
    expect(fake.requests).toHaveLength(0);
  });

  it('an app signed in with a secret: a token per tenant, for Graph and Partner Center', async () => {
    await login({ cloud: 'global', tenant: PARTNER, clientId: APP, flow: 'secret', secretEnv: 'S' }, deps);
    const c = await connect(deps);
    fake.requests.length = 0;
    await c.get('/contracts', contractPage);
    await c.get('/users', userPage, { tenantId: CLIENT_TENANT });
    fake.addCustomer({ tenantId: CLIENT_TENANT, displayName: 'Contoso', defaultDomainName: 'contoso.onmicrosoft.com' });
    await c.get(`/v1/customers/${CLIENT_TENANT}`, partnerCenterCustomer, { service: 'partnerCenter' });
    const tokens = fake.seen({ service: 'authority', method: 'POST' }).map((r) => [r.path, (r.body as Record<string, string>).scope]);
    // The partner-tenant Graph token of the sign-in is reused from the cache; the client tenant and Partner Center get their own.
    expect(tokens).toEqual([
      [`/${CLIENT_TENANT}/oauth2/v2.0/token`, 'https://graph.microsoft.com/.default'],
      [`/${PARTNER}/oauth2/v2.0/token`, 'https://api.partnercenter.microsoft.com/.default'],
    ]);
    expect(fake.seen({ service: 'graph' }).map((r) => r.headers.authorization)).toEqual([`Bearer ${fake.issuedToken}`, `Bearer ${fake.issuedToken}`]);
  });

  it('a person signed in with a device code: Partner Center’s token comes from the refresh token, silently', async () => {
    fake.deviceCodePendingPolls = 0;
    await login({ cloud: 'global', clientId: APP, flow: 'device-code' }, deps);
    expect(said.join('\n')).toContain('FAKE-CODE');
    const c = await connect(deps);
    fake.requests.length = 0;
    await c.get('/contracts', contractPage);
    fake.addCustomer({ tenantId: 'aaaaaaaa-0000-4000-8000-00000000000c', displayName: 'C', defaultDomainName: 'c.onmicrosoft.com' });
    await c.get('/v1/customers/aaaaaaaa-0000-4000-8000-00000000000c', partnerCenterCustomer, { service: 'partnerCenter' });
    const posts = fake.seen({ service: 'authority', method: 'POST' }).map((r) => r.body as Record<string, string>);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ grant_type: 'refresh_token', scope: expect.stringContaining('https://api.partnercenter.microsoft.com/user_impersonation') });
  });
});
