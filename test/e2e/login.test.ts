/**
 * `delegate login`, `login status`, `logout`: the built CLI with the real
 * msal-node against the loopback fake's token endpoint (over HTTPS with a
 * test-only certificate, since msal-node accepts only an https:// authority).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expectOneLine, ROOT, spawnBin, sandbox, type Sandbox } from '../helpers/cli.js';
import { FAKE_APP_CERT, FAKE_CA, FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';

const APP = '0b5f1c1e-7a47-4c36-9d7c-2f4c1a0c8e11';
const PARTNER = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const SECRET = 'test-client-secret-7f3a';

let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  fake = await startFakeMicrosoft({ httpsAuthority: true });
  fake.validSecret = SECRET;
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  sb = await sandbox();
  const { DELEGATE_ACCESS_TOKEN: _none, ...endpoints } = fake.env();
  env = { ...sb.env, ...endpoints, NODE_EXTRA_CA_CERTS: FAKE_CA };
  fake.requests.length = 0;
  fake.deviceCodePendingPolls = 0;
});
afterEach(() => sb.cleanup());

const dataDir = () => join(sb.dir, 'home', '.local', 'share', 'delegate');
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

async function status(extra: string[] = []): Promise<Record<string, unknown>> {
  const r = await spawnBin(['login', 'status', '--json', ...extra], env);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(r.stdout);
}

describe('people: device code', () => {
  it('shows the code on stderr, signs in, keeps the token cache at 0600, and status says who, where and until when', async () => {
    fake.deviceCodePendingPolls = 1;
    fake.deviceCodeInterval = 0;
    const r = await spawnBin(['login', '--client-id', APP, '--device-code'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('enter the code FAKE-CODE to authenticate');
    expect(r.stderr).toContain(`Signed in as ${fake.signedInUser.upn} (tenant ${fake.signedInUser.tenantId}, cloud global).`);
    expect(r.stdout).toMatch(/^yes\tada@fabrikam\.com\t3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b\tglobal\t\d{4}-\d\d-\d\dT/);
    const s = await status();
    expect(s).toEqual({ signedIn: true, account: fake.signedInUser.upn, tenantId: fake.signedInUser.tenantId, cloud: 'global', expiresOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), accessToken: false });
    for (const f of ['msal-cache.json', 'login.json']) expect(mode(join(dataDir(), f))).toBe('600');
    expect(mode(dataDir())).toBe('700');
    // msal asked the fake's authority (the tenant defaults to `organizations`), never Microsoft.
    const auth = fake.seen({ service: 'authority' }).map((x) => `${x.method} ${x.path}`);
    expect(auth).toEqual([
      'GET /organizations/v2.0/.well-known/openid-configuration',
      'POST /organizations/oauth2/v2.0/devicecode',
      'POST /organizations/oauth2/v2.0/token',
      'POST /organizations/oauth2/v2.0/token',
    ]);
    expect(fake.seen({ service: 'authority', method: 'POST' })[0]!.body).toMatchObject({ client_id: APP, scope: expect.stringContaining('https://graph.microsoft.com/.default') });
  });

  it('status --check gets a fresh token through the cache; status alone sends nothing', async () => {
    expect((await spawnBin(['login', '--client-id', APP, '--device-code'], env)).code).toBe(0);
    fake.requests.length = 0;
    await status();
    expect(fake.requests).toHaveLength(0);
    expect(await status(['--check'])).toMatchObject({ signedIn: true, account: fake.signedInUser.upn });
  });

  it('a sign-in whose tokens are gone: status --check is exit 4 naming delegate login', async () => {
    expect((await spawnBin(['login', '--client-id', APP, '--device-code'], env)).code).toBe(0);
    rmSync(join(dataDir(), 'msal-cache.json'));
    const r = await spawnBin(['login', 'status', '--check'], env);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /^Error: Sign-in failed: the saved sign-in has no account in the token cache: run `delegate login` again\n$/);
  });

  it('logout removes the cache; status then says signed out; a second logout is fine', async () => {
    expect((await spawnBin(['login', '--client-id', APP, '--device-code'], env)).code).toBe(0);
    const out = await spawnBin(['logout'], env);
    expect(out).toMatchObject({ code: 0, stdout: '', stderr: 'Signed out: the token cache is removed.\n' });
    expect(existsSync(join(dataDir(), 'msal-cache.json'))).toBe(false);
    expect(existsSync(join(dataDir(), 'login.json'))).toBe(false);
    expect(await status()).toEqual({ signedIn: false, account: null, tenantId: null, cloud: null, expiresOn: null, accessToken: false });
    expect(await spawnBin(['logout'], env)).toMatchObject({ code: 0, stderr: 'Not signed in.\n' });
  });

  it('the browser flow: msal listens on a loopback redirect, $BROWSER opens the sign-in page', async () => {
    // The "browser" (test/fake-microsoft/browser.mjs) submits the fake's answer to msal's loopback listener, as a real one would.
    const browser = join(sb.dir, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'test', 'fake-microsoft', 'browser.mjs')}" "$1"\n`, { mode: 0o755 });
    const r = await spawnBin(['login', '--client-id', APP], { ...env, BROWSER: browser });
    expect(r.stderr).toContain('Opening your browser to sign in.');
    expect(r.code).toBe(0);
    expect(await status()).toMatchObject({ signedIn: true, account: fake.signedInUser.upn });
    const token = fake.seen({ service: 'authority', method: 'POST' }).at(-1)!.body as Record<string, string>;
    expect(token).toMatchObject({ grant_type: 'authorization_code', client_id: APP, code_verifier: expect.any(String), redirect_uri: expect.stringMatching(/^http:\/\/localhost:\d+/) });
  });
});

describe('apps (CI): client secret and certificate', () => {
  it('--client-secret-env signs the app in; the secret is sent, never written', async () => {
    const r = await spawnBin(['login', '--tenant-id', PARTNER, '--client-id', APP, '--client-secret-env', 'MY_SECRET', '--json'], { ...env, MY_SECRET: SECRET });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ signedIn: true, account: `app ${APP}`, tenantId: PARTNER, cloud: 'global', expiresOn: expect.any(String) });
    const post = fake.seen({ service: 'authority', method: 'POST' })[0]!;
    expect(post.path).toBe(`/${PARTNER}/oauth2/v2.0/token`);
    expect(post.body).toMatchObject({ grant_type: 'client_credentials', client_id: APP, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default' });
    for (const f of ['msal-cache.json', 'login.json']) expect(readFileSync(join(dataDir(), f), 'utf8')).not.toContain(SECRET);
    expect(JSON.parse(readFileSync(join(dataDir(), 'login.json'), 'utf8'))).toMatchObject({ flow: 'secret', secretEnv: 'MY_SECRET' });
    // Later commands read the secret from the same variable again.
    env = { ...env, MY_SECRET: SECRET };
    expect(await status(['--check'])).toMatchObject({ signedIn: true, account: `app ${APP}` });
    delete env.MY_SECRET;
    const gone = await spawnBin(['login', 'status', '--check'], env);
    expect(gone.code).toBe(2);
    expectOneLine(gone.stderr, /^Error: MY_SECRET is not set: it must hold the app's client secret\n$/);
  });

  it('--certificate signs the app in with a signed client assertion', async () => {
    // --tenant, the old name of --tenant-id, still works.
    const r = await spawnBin(['login', '--tenant', PARTNER, '--client-id', APP, '--certificate', FAKE_APP_CERT], env);
    expect(r.code).toBe(0);
    const post = fake.seen({ service: 'authority', method: 'POST' })[0]!.body as Record<string, string>;
    expect(post).toMatchObject({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
    const [header] = post.client_assertion!.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'PS256', 'x5t#S256': expect.any(String) });
  });

  it('21Vianet: the China cloud’s Graph scope, at the authority given', async () => {
    const r = await spawnBin(['login', '--cloud', 'china', '--tenant-id', PARTNER, '--client-id', APP, '--client-secret-env', 'MY_SECRET', '--json'], { ...env, MY_SECRET: SECRET });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cloud: 'china' });
    expect(fake.seen({ service: 'authority', method: 'POST' })[0]!.body).toMatchObject({ scope: 'https://microsoftgraph.chinacloudapi.cn/.default' });
  });

  it('a secret Microsoft refuses: exit 4, one line, not signed in', async () => {
    const r = await spawnBin(['login', '--tenant', PARTNER, '--client-id', APP, '--client-secret-env', 'MY_SECRET'], { ...env, MY_SECRET: 'wrong' });
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /^Error: Sign-in failed: invalid_client: .*AADSTS7000215: Invalid client secret provided\./);
    expect((await status()).signedIn).toBe(false);
  });
});

describe('login status, signed out', () => {
  it('says so on stdout, no tabs, and how to sign in on stderr; --check is exit 1 saying the same; nothing sent', async () => {
    const r = await spawnBin(['login', 'status'], env);
    expect(r).toMatchObject({ code: 0, stdout: 'not signed in\n' });
    expect(r.stdout + r.stderr).not.toContain('\t');
    expectOneLine(r.stderr, /^To sign in, register your app once \(docs\/live-mode\.md, .*\), then run `delegate login --client-id <app id>`/);
    const check = await spawnBin(['login', 'status', '--check'], env);
    expect(check.code).toBe(1);
    expect(check.stdout).toBe('');
    expectOneLine(check.stderr, /^Error: Not signed in\. To sign in, register your app once .* `delegate login --client-id <app id>`/);
    const json = await spawnBin(['login', 'status', '--check', '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'not_signed_in' } });
    expect(fake.requests).toHaveLength(0);
    expect(existsSync(dataDir())).toBe(false);
  });

  it('with DELEGATE_ACCESS_TOKEN: says a token is in use, and --check passes', async () => {
    const withToken = { ...env, DELEGATE_ACCESS_TOKEN: 'eyJ0eXAi.test.token' };
    const r = await spawnBin(['login', 'status'], withToken);
    expect(r).toMatchObject({ code: 0, stdout: 'not signed in\n' });
    expectOneLine(r.stderr, /^A token is in use: DELEGATE_ACCESS_TOKEN is set/);
    expect(r.stderr).not.toContain('To sign in');
    expect((await spawnBin(['login', 'status', '--check'], withToken)).code).toBe(0);
    expect(JSON.parse((await spawnBin(['login', 'status', '--json'], withToken)).stdout)).toMatchObject({ signedIn: false, accessToken: true });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('bad input and no network', () => {
  const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    ['no app id', ['login', '--device-code'], {}, /--client-id is required/],
    ['an app id that is not a GUID', ['login', '--client-id', 'my-app'], {}, /--client-id "my-app" is not a GUID/],
    ['an unknown cloud', ['login', '--client-id', APP, '--cloud', 'mars'], {}, /--cloud/],
    ['secret and certificate', ['login', '--tenant', PARTNER, '--client-id', APP, '--client-secret-env', 'S', '--certificate', FAKE_APP_CERT], { S: 'x' }, /not both/],
    ['an app without a tenant', ['login', '--client-id', APP, '--client-secret-env', 'S'], { S: 'x' }, /needs --tenant/],
    ['device code for an app', ['login', '--tenant-id', PARTNER, '--client-id', APP, '--client-secret-env', 'S', '--device-code'], { S: 'x' }, /--device-code is for people/],
    ['a secret variable that is not set', ['login', '--tenant', PARTNER, '--client-id', APP, '--client-secret-env', 'NOPE'], {}, /NOPE is not set/],
    ['--tenant-id and its old name --tenant together', ['login', '--tenant-id', PARTNER, '--tenant', PARTNER, '--client-id', APP], {}, /Give --tenant-id once/],
    ['a tenant that is neither a GUID nor a domain', ['login', '--tenant-id', 'not a tenant', '--client-id', APP], {}, /--tenant-id/],
    ['a bad variable name', ['login', '--tenant', PARTNER, '--client-id', APP, '--client-secret-env', 'A-B'], {}, /name of an environment variable/],
    ['a missing certificate file', ['login', '--tenant', PARTNER, '--client-id', APP, '--certificate', '/nonexistent.pem'], {}, /Cannot read the certificate file \/nonexistent\.pem: ENOENT/],
    ['a certificate file without a key', ['login', '--tenant', PARTNER, '--client-id', APP, '--certificate', FAKE_CA], {}, /must hold a PEM private key and a PEM certificate/],
    ['a plain-http authority elsewhere', ['login', '--client-id', APP, '--device-code'], { DELEGATE_AUTHORITY_URL: 'http://login.example.test' }, /DELEGATE_AUTHORITY_URL must be an https:\/\/ URL/],
  ];
  it.each(cases)('%s: exit 2, one line, nothing sent, nothing written', async (_name, args, extra, message) => {
    const r = await spawnBin(args, { ...env, ...extra });
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, message);
    expect(fake.requests).toHaveLength(0);
    expect(existsSync(dataDir())).toBe(false);
  });

  it('the authority unreachable: exit 1, one line naming Microsoft sign-in', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await spawnBin(['login', '--client-id', APP, '--device-code'], { ...env, DELEGATE_AUTHORITY_URL: `https://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /^Error: Cannot reach Microsoft sign-in \(GET https:\/\/127\.0\.0\.1:\d+\/organizations\/v2\.0\/\.well-known\/openid-configuration\): connection refused \(ECONNREFUSED\)\n$/);
  });

  it('an authority whose certificate is not trusted: exit 1, saying so', async () => {
    const { NODE_EXTRA_CA_CERTS: _trusted, ...untrusting } = env;
    const r = await spawnBin(['login', '--client-id', APP, '--device-code'], untrusting);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /: the server certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)\n$/);
  });

  it('login --help names every sign-in option', async () => {
    const r = await spawnBin(['login', '--help'], env);
    expect(r.code).toBe(0);
    for (const flag of ['--cloud', '--tenant-id', '--client-id', '--device-code', '--certificate', '--client-secret-env']) expect(r.stdout).toContain(flag);
  });

  it('msal-node stays out of the bundle (loaded with import() by login only), so other commands start as before', () => {
    const bundle = readFileSync(join(ROOT, 'dist', 'main.cjs'), 'utf8');
    expect(bundle).toContain('@azure/msal-node');
    expect(bundle).not.toContain('class PublicClientApplication');
  });
});
