/**
 * Signing in to Microsoft with @azure/msal-node (loaded only here, with
 * import(), so no other command pays for it): device code or the system
 * browser for people, a client secret or a certificate for CI (app-only).
 *
 * Two files in the data directory, both 0600: msal's token cache
 * (`msal-cache.json`) and what `login` chose (`login.json`: cloud, tenant, app,
 * flow, account; never a secret). msal is pointed at DELEGATE_AUTHORITY_URL
 * when set; `knownAuthorities` names that host, so msal trusts it without
 * asking Microsoft's instance discovery endpoint.
 */
import { X509Certificate } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthenticationResult, ConfidentialClientApplication, ICachePlugin, INetworkModule, PublicClientApplication, TokenCacheContext } from '@azure/msal-node';
import { DelegateError, UsageError } from '../domain/core/errors.js';
import { networkReason, type TokenProvider, type TokenRequest } from './client.js';
import { CLOUDS, endpointsFor, type Cloud } from './endpoints.js';
import { NetworkError, NotSignedInError, oneLine } from './errors.js';

export type Flow = 'device-code' | 'browser' | 'secret' | 'certificate';

export interface SignInRequest {
  cloud: Cloud;
  /** The partner's tenant (id or domain); people may leave it out (`organizations`), apps may not. */
  tenant?: string;
  clientId: string;
  flow: Flow;
  /** secret: the environment variable holding the client secret. */
  secretEnv?: string;
  /** certificate: a PEM file with the private key and the certificate. */
  certificate?: string;
}

interface SavedSession {
  version: 1;
  cloud: Cloud;
  tenant: string;
  clientId: string;
  flow: Flow;
  secretEnv?: string;
  certificate?: string;
  /** People: the account's user name and msal's id for it; apps: null. */
  account: string | null;
  homeAccountId: string | null;
  tenantId: string | null;
  expiresOn: string | null;
}

/** `delegate login status` (SPEC.md "Live mode"). */
export interface LoginStatus {
  signedIn: boolean;
  account: string | null;
  tenantId: string | null;
  cloud: Cloud | null;
  expiresOn: string | null;
}

export interface SignInDeps {
  env: NodeJS.ProcessEnv;
  /** Where the token cache and login.json live (the user's data directory). */
  dataDir: string;
  /** Where to tell the person what to do (stderr): the device code, the URL to open. */
  say: (text: string) => void;
  /** Opens the system browser; by default $BROWSER, else open / xdg-open / rundll32. */
  openBrowser?: (url: string) => Promise<void>;
  /** msal's HTTP client; by default its own (fetch). Tests pass one that trusts the fake's certificate. */
  networkClient?: INetworkModule;
}

const SESSION = 'login.json';
const CACHE = 'msal-cache.json';

/**
 * The scope for each service. Graph: `<graph resource>/.default`, the permissions the app was granted
 * (https://learn.microsoft.com/entra/identity-platform/scopes-oidc, "the /.default scope"; the 21Vianet
 * resource is https://microsoftgraph.chinacloudapi.cn, as that page's China edition shows). Partner Center:
 * its resource https://api.partnercenter.microsoft.com with the delegated permission "Access Partner Center
 * API" (https://learn.microsoft.com/partner-center/developer/partner-center-authentication), whose scope
 * value `user_impersonation` is the one Partner Center's samples use, not named on that page; `.default`
 * for an app. The 21Vianet Partner Center resource mirrors the global one on its host: not confirmed.
 */
export function scopeFor(cloud: Cloud, service: TokenRequest['service'], app: boolean): string {
  if (service === 'graph') return `${CLOUDS[cloud].graph}/.default`;
  return `${CLOUDS[cloud].partnerCenter}/${app ? '.default' : 'user_impersonation'}`;
}

export async function login(req: SignInRequest, deps: SignInDeps): Promise<LoginStatus> {
  const app = req.flow === 'secret' || req.flow === 'certificate';
  if (app && !req.tenant) throw new UsageError('An app-only sign-in needs --tenant-id (the partner tenant id)');
  const session: SavedSession = {
    version: 1,
    cloud: req.cloud,
    tenant: req.tenant ?? 'organizations',
    clientId: req.clientId,
    flow: req.flow,
    ...(req.secretEnv ? { secretEnv: req.secretEnv } : {}),
    ...(req.certificate ? { certificate: req.certificate } : {}),
    account: null,
    homeAccountId: null,
    tenantId: req.tenant ?? null,
    expiresOn: null,
  };
  const client = await msalClient(session, deps);
  const scopes = [scopeFor(req.cloud, 'graph', app)];
  // A new sign-in replaces the old one: its tokens go, whatever happens next.
  await rm(join(deps.dataDir, CACHE), { force: true });
  let result: AuthenticationResult | null;
  try {
    if (client.kind === 'app') result = await client.app.acquireTokenByClientCredential({ scopes });
    else if (req.flow === 'device-code') {
      result = await client.app.acquireTokenByDeviceCode({ scopes, deviceCodeCallback: (r) => deps.say(r.message) });
    } else {
      result = await client.app.acquireTokenInteractive({
        scopes,
        openBrowser: async (url) => {
          deps.say(`Opening your browser to sign in. If it does not open, go to: ${url}`);
          await (deps.openBrowser ?? systemBrowser(deps.env))(url);
        },
        successTemplate: 'Signed in to delegate. You can close this window.',
        errorTemplate: 'delegate could not sign you in: {{error}}. You can close this window.',
      });
    }
  } catch (e) {
    throw await explainMsal(e, session, deps.env);
  }
  if (!result) throw new SignInError('Microsoft returned no token');
  session.account = result.account?.username ?? null;
  session.homeAccountId = result.account?.homeAccountId ?? null;
  session.tenantId = result.tenantId || result.account?.tenantId || session.tenantId;
  session.expiresOn = result.expiresOn ? result.expiresOn.toISOString() : null;
  await writePrivate(deps.dataDir, SESSION, JSON.stringify(session, null, 2) + '\n');
  return statusOf(session);
}

/** What `login` left, read offline: no request to Microsoft. */
export async function loginStatus(deps: Pick<SignInDeps, 'dataDir'>): Promise<LoginStatus> {
  const session = await readSession(deps.dataDir);
  return session ? statusOf(session) : { signedIn: false, account: null, tenantId: null, cloud: null, expiresOn: null };
}

/** Forget the sign-in: the token cache and login.json. Whether there was one. */
export async function logout(deps: Pick<SignInDeps, 'dataDir'>): Promise<boolean> {
  const had = (await readSession(deps.dataDir)) !== undefined;
  await rm(join(deps.dataDir, CACHE), { force: true });
  await rm(join(deps.dataDir, SESSION), { force: true });
  return had;
}

/**
 * Tokens for the live client from the saved sign-in: msal's cache and refresh
 * token for people (a client's tenant gets its own token, for GDAP), a new
 * client-credentials token for apps. No sign-in: NotSignedInError (exit 4).
 */
export async function signedInTokens(deps: SignInDeps): Promise<TokenProvider> {
  const session = await readSession(deps.dataDir);
  if (!session) throw new NotSignedInError();
  const client = await msalClient(session, deps);
  return { getToken: async (request) => (await acquire(session, client, request, deps.env)).accessToken };
}

/**
 * `login status --check`: ask Microsoft (through msal's cache and refresh token) for a Graph token
 * now, so a sign-in that no longer works shows (exit 4), and record the new token's expiry.
 */
export async function checkSignIn(deps: SignInDeps): Promise<LoginStatus> {
  const session = await readSession(deps.dataDir);
  if (!session) return loginStatus(deps);
  const result = await acquire(session, await msalClient(session, deps), { service: 'graph' }, deps.env);
  session.expiresOn = result.expiresOn ? result.expiresOn.toISOString() : session.expiresOn;
  await writePrivate(deps.dataDir, SESSION, JSON.stringify(session, null, 2) + '\n');
  return statusOf(session);
}

async function acquire(session: SavedSession, client: MsalClient, { service, tenantId }: TokenRequest, env: NodeJS.ProcessEnv): Promise<AuthenticationResult> {
  const authority = tenantId ? { authority: `${endpointsFor(session.cloud, env).authority}/${tenantId}` } : {};
  let result: AuthenticationResult | null;
  try {
    if (client.kind === 'app') {
      result = await client.app.acquireTokenByClientCredential({ scopes: [scopeFor(session.cloud, service, true)], ...authority });
    } else {
      const account = (await client.app.getTokenCache().getAllAccounts()).find((a) => a.homeAccountId === session.homeAccountId);
      if (!account) throw new SignInError('the saved sign-in has no account in the token cache: run `delegate login` again');
      result = await client.app.acquireTokenSilent({ account, scopes: [scopeFor(session.cloud, service, false)], ...authority });
    }
  } catch (e) {
    throw await explainMsal(e, session, env);
  }
  if (!result?.accessToken) throw new SignInError('Microsoft returned no token; run `delegate login` again');
  return result;
}

/** A sign-in Microsoft refused (bad secret, consent missing, expired sign-in). Exit 4. */
export class SignInError extends DelegateError {
  constructor(message: string) {
    super(oneLine(`Sign-in failed: ${message}`, 400), 'not_permitted', 4);
  }
}

type MsalClient = { kind: 'user'; app: PublicClientApplication } | { kind: 'app'; app: ConfidentialClientApplication };

async function msalClient(session: SavedSession, deps: SignInDeps): Promise<MsalClient> {
  const msal = await import('@azure/msal-node');
  const authorityBase = endpointsFor(session.cloud, deps.env).authority;
  const auth = { clientId: session.clientId, authority: `${authorityBase}/${session.tenant}`, knownAuthorities: [new URL(authorityBase).host] };
  const cache = { cachePlugin: fileCache(deps.dataDir) };
  const system = {
    loggerOptions: { loggerCallback: () => undefined, piiLoggingEnabled: false, logLevel: msal.LogLevel.Error },
    ...(deps.networkClient ? { networkClient: deps.networkClient } : {}),
  };
  if (session.flow === 'secret') {
    const variable = session.secretEnv!;
    const clientSecret = deps.env[variable];
    if (!clientSecret) throw new UsageError(`${variable} is not set: it must hold the app's client secret`);
    return { kind: 'app', app: new msal.ConfidentialClientApplication({ auth: { ...auth, clientSecret }, cache, system }) };
  }
  if (session.flow === 'certificate') {
    return { kind: 'app', app: new msal.ConfidentialClientApplication({ auth: { ...auth, clientCertificate: await readCertificate(session.certificate!) }, cache, system }) };
  }
  return { kind: 'user', app: new msal.PublicClientApplication({ auth, cache, system }) };
}

/** A PEM file with the private key and the certificate: msal needs the key, the SHA-256 thumbprint and (x5c) the certificate. */
async function readCertificate(path: string): Promise<{ privateKey: string; thumbprintSha256: string; x5c: string }> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read the certificate file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const key = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!key || !cert) throw new UsageError(`${path} must hold a PEM private key and a PEM certificate`);
  let thumbprintSha256: string;
  try {
    thumbprintSha256 = new X509Certificate(cert).fingerprint256.replace(/:/g, '');
  } catch {
    throw new UsageError(`${path}: the certificate cannot be read`);
  }
  return { privateKey: key, thumbprintSha256, x5c: cert };
}

/** msal's token cache in a file of its own, readable only by the user. */
function fileCache(dataDir: string): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      try {
        ctx.tokenCache.deserialize(await readFile(join(dataDir, CACHE), 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (ctx.cacheHasChanged) await writePrivate(dataDir, CACHE, ctx.tokenCache.serialize());
    },
  };
}

/** Write a file readable and writable by the user only (0600), in a directory only the user can enter, atomically. */
async function writePrivate(dir: string, name: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, join(dir, name));
}

async function readSession(dataDir: string): Promise<SavedSession | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, SESSION), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const s = JSON.parse(text) as SavedSession;
  if (s?.version !== 1 || !s.clientId || !s.flow) throw new DelegateError(`${join(dataDir, SESSION)} is not a delegate sign-in: run \`delegate logout\`, then \`delegate login\``, 'internal', 1);
  return s;
}

function statusOf(s: SavedSession): LoginStatus {
  return { signedIn: true, account: s.account ?? (s.flow === 'secret' || s.flow === 'certificate' ? `app ${s.clientId}` : null), tenantId: s.tenantId, cloud: s.cloud, expiresOn: s.expiresOn };
}

/**
 * msal's errors in one line: the network, or what Microsoft said. When msal
 * could not read the authority's OpenID configuration it does not say why, so
 * that one request is made again here to name the reason (refused, not
 * trusted, no answer).
 */
async function explainMsal(e: unknown, session: SavedSession, env: NodeJS.ProcessEnv): Promise<DelegateError> {
  if (e instanceof DelegateError) return e;
  const err = e as { errorCode?: string; errorMessage?: string; message?: string; error?: { cause?: { code?: string; message?: string }; message?: string } };
  const code = err?.errorCode ?? '';
  const authority = `${endpointsFor(session.cloud, env).authority}/${session.tenant}`;
  if (code === 'network_error' || code === 'endpoints_resolution_error' || code === 'openid_config_error') {
    const configuration = `${authority}/v2.0/.well-known/openid-configuration`;
    let reason = oneLine(err.errorMessage || err.message || code);
    try {
      const res = await fetch(configuration, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) reason = `its OpenID configuration answered ${res.status}`;
    } catch (probe) {
      reason = networkReason(probe, 10_000);
    }
    return new NetworkError('authority', 'GET', configuration, reason);
  }
  return new SignInError([code, err?.errorMessage ?? err?.message].filter(Boolean).join(': ') || String(e));
}

/** The system browser: $BROWSER when set (a command taking the URL), else the platform's opener. */
function systemBrowser(env: NodeJS.ProcessEnv): (url: string) => Promise<void> {
  return (url) =>
    new Promise((resolve, reject) => {
      const [cmd, args] = env.BROWSER
        ? [env.BROWSER, [url]]
        : process.platform === 'darwin'
          ? ['open', [url]]
          : process.platform === 'win32'
            ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
            : ['xdg-open', [url]];
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
      child.once('error', (e) => reject(new DelegateError(`Cannot open a browser (${cmd}: ${e.message}): use --device-code`, 'usage', 2)));
      child.once('spawn', () => {
        child.unref();
        resolve();
      });
    });
}

/** Whether a person here can use a browser: a desktop session, or $BROWSER. Otherwise the device code. */
export function hasBrowser(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  if (env.BROWSER) return true;
  if (platform === 'darwin' || platform === 'win32') return !env.SSH_CONNECTION;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
