/** Choosing the sign-in from the options, the scopes per cloud, and when a browser is there. */
import { describe, expect, it } from '@jest/globals';
import { loginSchema, signInRequest } from '../../src/cli/commands/login/index.js';
import { parseWith } from '../../src/cli/schema.js';
import { hasBrowser, scopeFor } from '../../src/microsoft/signin.js';

const APP = '0b5f1c1e-7a47-4c36-9d7c-2f4c1a0c8e11';
const req = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, browser = false) => signInRequest(parseWith(loginSchema, raw), env, browser);

describe('which sign-in', () => {
  it('people: the browser where there is one, else (or with --device-code) the device code', () => {
    expect(req({ clientId: APP }, {}, true)).toEqual({ cloud: 'global', clientId: APP, flow: 'browser' });
    expect(req({ clientId: APP }, {}, false)).toMatchObject({ flow: 'device-code' });
    expect(req({ clientId: APP, deviceCode: true }, {}, true)).toMatchObject({ flow: 'device-code' });
  });

  it('apps: a secret from a variable, or a certificate; the tenant kept as given (id or domain)', () => {
    expect(req({ clientId: APP, tenant: 'Contoso.onmicrosoft.com', clientSecretEnv: 'S' }, { S: 'x' })).toEqual({
      cloud: 'global',
      tenant: 'contoso.onmicrosoft.com',
      clientId: APP,
      flow: 'secret',
      secretEnv: 'S',
    });
    expect(req({ clientId: APP, tenant: '3F2A1B4C-5D6E-4F70-8A9B-0C1D2E3F4A5B', certificate: 'app.pem', cloud: 'china' })).toMatchObject({
      cloud: 'china',
      tenant: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
      flow: 'certificate',
    });
  });

  it('the app id from DELEGATE_CLIENT_ID when --client-id is absent (checked like the flag)', () => {
    expect(req({}, { DELEGATE_CLIENT_ID: APP })).toMatchObject({ clientId: APP });
    expect(() => req({}, { DELEGATE_CLIENT_ID: 'nope' })).toThrow('DELEGATE_CLIENT_ID "nope" is not a GUID');
  });

  it('refuses what cannot be meant', () => {
    expect(() => req({ clientId: APP, tenant: 'x.com', clientSecretEnv: 'S', certificate: 'c.pem' }, { S: '1' })).toThrow('not both');
    expect(() => req({ tenant: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b' })).toThrow('--client-id is required');
    expect(() => req({ clientId: APP, tenant: 'not a tenant!' })).toThrow(/--tenant/);
    expect(() => req({ clientId: APP, certificate: '  ' })).toThrow('--certificate needs a file');
  });
});

describe('scopes', () => {
  it('Graph .default per cloud; Partner Center user_impersonation for people, .default for apps', () => {
    expect(scopeFor('global', 'graph', false)).toBe('https://graph.microsoft.com/.default');
    expect(scopeFor('china', 'graph', true)).toBe('https://microsoftgraph.chinacloudapi.cn/.default');
    expect(scopeFor('global', 'partnerCenter', false)).toBe('https://api.partnercenter.microsoft.com/user_impersonation');
    expect(scopeFor('global', 'partnerCenter', true)).toBe('https://api.partnercenter.microsoft.com/.default');
  });
});

describe('a browser here?', () => {
  it('$BROWSER, a desktop session on Linux, macOS and Windows unless over SSH', () => {
    expect(hasBrowser({ BROWSER: 'firefox' }, 'linux')).toBe(true);
    expect(hasBrowser({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(hasBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(hasBrowser({}, 'linux')).toBe(false);
    expect(hasBrowser({}, 'darwin')).toBe(true);
    expect(hasBrowser({ SSH_CONNECTION: '1 2 3 4' }, 'win32')).toBe(false);
  });
});
