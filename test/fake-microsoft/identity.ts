/**
 * The fake's Partner Center and Microsoft Entra token endpoint (the Graph
 * handlers are in graph-gdap.ts and graph-directory.ts).
 */
import { randomUUID } from 'node:crypto';
import { oauthError, type Json, type Reply, type Req } from './replies.js';

export interface PartnerCenterState {
  customers: Map<string, Json>;
}

export interface AuthorityState {
  authorityUrl: string;
  graphUrl: string;
  issuedToken: string;
  validSecret?: string;
  deviceCodePendingPolls: number;
  deviceCodeInterval: number;
  /** Polls of the device code flow so far (reset by each new device code). */
  deviceCodePolls: number;
  signedInUser: { oid: string; upn: string; name: string; tenantId: string };
}

/**
 * https://learn.microsoft.com/partner-center/developer/get-a-customer-by-id (GET {baseURL}/v1/customers/{id});
 * the error body for an unknown customer follows https://learn.microsoft.com/partner-center/developer/error-codes
 * in shape ({code, description, data, source}; code a string); the code chosen here is not taken from that page.
 */
export function partnerCenter(s: PartnerCenterState, r: Req): Reply {
  const g = /^\/v1\/customers\/([^/]+)$/.exec(r.path);
  if (g && r.method === 'GET') {
    const c = s.customers.get(g[1]!);
    if (!c) return { status: 404, body: { code: '600008', description: 'The requested resource could not be found.', data: [], source: 'PartnerFD' } };
    return { status: 200, body: c };
  }
  if (g && r.method === 'PATCH') {
    // https://learn.microsoft.com/partner-center/developer/remove-dap: a Customer with AllowDelegatedAccess
    // false ends DAP; "200 OK" (the example's body is not shown: the fake answers with the customer).
    const c = s.customers.get(g[1]!);
    if (!c) return { status: 404, body: { code: '600008', description: 'The requested resource could not be found.', data: [], source: 'PartnerFD' } };
    const b = (r.body ?? {}) as Json;
    if (b.AllowDelegatedAccess === false || b.allowDelegatedAccess === false) c.allowDelegatedAccess = false;
    return { status: 200, body: c };
  }
  return { status: 404, body: { code: '600008', description: `No route for ${r.method} ${r.path}`, data: [], source: 'PartnerFD' } };
}

/**
 * Enough of the Microsoft identity platform for msal-node against a custom authority:
 * - GET /{tenant}/v2.0/.well-known/openid-configuration
 *   (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#fetch-the-openid-configuration-document)
 * - POST /{tenant}/oauth2/v2.0/devicecode: device_code, user_code, verification_uri, expires_in, interval, message
 *   (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#device-authorization-response)
 * - GET /{tenant}/oauth2/v2.0/authorize: signs the person in at once and redirects back with a code
 * - POST /{tenant}/oauth2/v2.0/token: client_credentials (token_type, expires_in, ext_expires_in, access_token;
 *   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow), device_code
 *   (authorization_pending until the sign-in completes), refresh_token.
 */
export function authority(s: AuthorityState, r: Req): Reply {
  const g = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/(token|devicecode|authorize))$/.exec(r.path);
  if (!g) return { status: 404, body: { error: 'invalid_request', error_description: `AADSTS90002: no route ${r.path}` } };
  const tenant = g[1]!;
  const base = `${s.authorityUrl}/${tenant}`;
  if (g[2]!.startsWith('v2.0')) {
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${s.authorityUrl}/${tenant}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${s.authorityUrl}/{tenantid}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${s.graphUrl}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'name', 'preferred_username', 'oid', 'tid', 'ver'],
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
      },
    };
  }
  if (g[3] === 'authorize') {
    // The person signs in at once; the code and state go back to the app's (loopback) redirect URI
    // (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response),
    // by a self-submitting form for response_mode=form_post (msal-node asks for it), else in the query.
    const redirect = r.query.get('redirect_uri');
    if (!redirect) return oauthError(400, 'invalid_request', 'AADSTS900144: The request body must contain the following parameter: redirect_uri.');
    const fields: Record<string, string> = { code: `code-${randomUUID()}`, ...(r.query.get('state') ? { state: r.query.get('state')! } : {}) };
    if (r.query.get('response_mode') === 'form_post') {
      const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}"/>`).join('');
      const html = `<html><body onload="document.forms[0].submit()"><form method="POST" action="${redirect.replace(/"/g, '&quot;')}">${inputs}</form></body></html>`;
      return { status: 200, headers: { 'Content-Type': 'text/html' }, body: html };
    }
    const back = new URL(redirect);
    for (const [k, v] of Object.entries(fields)) back.searchParams.set(k, v);
    return { status: 302, headers: { Location: back.toString() } };
  }
  const form = (r.body ?? {}) as Record<string, string>;
  if (g[3] === 'devicecode') {
    s.deviceCodePolls = 0;
    return {
      status: 200,
      body: {
        user_code: 'FAKE-CODE',
        device_code: `device-${randomUUID()}`,
        verification_uri: 'https://microsoft.com/devicelogin',
        expires_in: 900,
        interval: s.deviceCodeInterval,
        message: 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FAKE-CODE to authenticate.',
      },
    };
  }
  const grant = form.grant_type;
  if (grant === 'client_credentials') {
    if (!form.client_id || !(form.client_secret || form.client_assertion)) return oauthError(400, 'invalid_client', 'AADSTS7000216: client_assertion or client_secret is required.');
    if (s.validSecret !== undefined && form.client_secret !== undefined && form.client_secret !== s.validSecret) {
      return oauthError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    }
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: s.issuedToken } };
  }
  if (grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'device_code') {
    if (s.deviceCodePolls++ < s.deviceCodePendingPolls) return oauthError(400, 'authorization_pending', 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    return { status: 200, body: userTokens(s, form.client_id ?? '', tenant, form.scope) };
  }
  if (grant === 'authorization_code') {
    if (!form.code || !form.code_verifier) return oauthError(400, 'invalid_grant', 'AADSTS50148: The code_verifier does not match the code_challenge.');
    return { status: 200, body: userTokens(s, form.client_id ?? '', tenant, form.scope) };
  }
  if (grant === 'refresh_token') return { status: 200, body: userTokens(s, form.client_id ?? '', tenant, form.scope) };
  return oauthError(400, 'unsupported_grant_type', `AADSTS70003: unsupported grant type ${String(grant)}`);
}

/** A user's token response: access and refresh tokens, an id_token (not signed: msal-node reads, does not verify it) and client_info. */
function userTokens(s: AuthorityState, clientId: string, tenant: string, scope: string | undefined): Json {
  const u = s.signedInUser;
  const tid = /^[0-9a-f-]{36}$/i.test(tenant) ? tenant : u.tenantId;
  const t = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const idToken = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'fake' })}.${b64({ aud: clientId, iss: `${s.authorityUrl}/${tid}/v2.0`, iat: t, nbf: t, exp: t + 3600, name: u.name, oid: u.oid, preferred_username: u.upn, sub: u.oid, tid, ver: '2.0' })}.fake-signature`;
  return {
    token_type: 'Bearer',
    scope: scope ?? 'https://graph.microsoft.com/.default',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: s.issuedToken,
    refresh_token: `refresh-${randomUUID()}`,
    id_token: idToken,
    client_info: b64({ uid: u.oid, utid: tid }),
  };
}
