/**
 * Where Microsoft's services are, per cloud, and the environment overrides
 * SPEC.md "Live mode" names (for tests against the loopback fake, and for
 * sovereign set-ups).
 */
import { UsageError } from '../domain/core/errors.js';

export type Cloud = 'global' | 'china';
export type Service = 'graph' | 'partnerCenter' | 'authority';

export interface Endpoints {
  cloud: Cloud;
  /** Microsoft Graph, without the version segment (`/v1.0` is added per request). */
  graph: string;
  /** Partner Center REST API (paths start with `/v1/`). */
  partnerCenter: string;
  /** The Microsoft Entra sign-in authority (tenant ids are appended by the sign-in code). */
  authority: string;
}

/**
 * Global: https://learn.microsoft.com/graph/deployments (graph.microsoft.com,
 * login.microsoftonline.com) and https://learn.microsoft.com/partner-center/developer/partner-center-rest-api-reference
 * (api.partnercenter.microsoft.com).
 * 21Vianet: https://learn.microsoft.com/graph/deployments lists microsoftgraph.chinacloudapi.cn and
 * login.chinacloudapi.cn. The Partner Center host partner.partnercenterapi.microsoftonline.cn is
 * unconfirmed: no Microsoft reference page found names the 21Vianet Partner Center API host (docs/live-mode.md); DELEGATE_PARTNER_CENTER_URL replaces it.
 */
export const CLOUDS: Record<Cloud, Omit<Endpoints, 'cloud'>> = {
  global: {
    graph: 'https://graph.microsoft.com',
    partnerCenter: 'https://api.partnercenter.microsoft.com',
    authority: 'https://login.microsoftonline.com',
  },
  china: {
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    partnerCenter: 'https://partner.partnercenterapi.microsoftonline.cn',
    authority: 'https://login.chinacloudapi.cn',
  },
};

export const ENDPOINT_ENV: Record<Service, string> = {
  graph: 'DELEGATE_GRAPH_URL',
  partnerCenter: 'DELEGATE_PARTNER_CENTER_URL',
  authority: 'DELEGATE_AUTHORITY_URL',
};

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])$/i;

/**
 * One base URL from an override: `https://`, or `http://` only on a loopback
 * address (a bearer token never crosses a network in clear text); no user,
 * password, query or fragment. The trailing slash is dropped.
 */
export function parseBaseUrl(value: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${variable} is not a URL: ${JSON.stringify(value)}`);
  }
  const loopback = LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError(`${variable} must be an https:// URL (http:// only on a loopback address): ${value}`);
  }
  if (url.username || url.password) throw new UsageError(`${variable} must not carry a user name or password`);
  if (url.search || url.hash) throw new UsageError(`${variable} must not have a query or fragment: ${value}`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** The endpoints for a cloud, each replaced by its environment variable when that is set (and not empty). */
export function endpointsFor(cloud: Cloud, env: NodeJS.ProcessEnv): Endpoints {
  const base = CLOUDS[cloud];
  const pick = (service: Service): string => {
    const v = env[ENDPOINT_ENV[service]];
    return v ? parseBaseUrl(v, ENDPOINT_ENV[service]) : base[service];
  };
  return { cloud, graph: pick('graph'), partnerCenter: pick('partnerCenter'), authority: pick('authority') };
}

