/**
 * Every Microsoft URL the tool prints or accepts, in one table.
 *
 * Verified: the global delegated admin offer link, the global trial invitation
 * link and the GDAP invitation link (SPEC.md "URLs").
 * UNVERIFIED: the global purchase offer link (not publicly documented; it
 * mirrors the trial link with type=Purchase) and every 21Vianet path (only the
 * host portal.partner.microsoftonline.cn is known; the paths mirror the global
 * ones on that host).
 */
import type { Cloud } from './model.js';

export interface UrlTemplate {
  readonly host: string;
  readonly verified: boolean;
}

export const URLS = {
  global: {
    admin: { host: 'admin.microsoft.com', verified: true },
    trial: { host: 'portal.office.com', verified: true },
    purchase: { host: 'portal.office.com', verified: false },
  },
  china: {
    admin: { host: 'portal.partner.microsoftonline.cn', verified: false },
    trial: { host: 'portal.partner.microsoftonline.cn', verified: false },
    purchase: { host: 'portal.partner.microsoftonline.cn', verified: false },
  },
} as const satisfies Record<Cloud, Record<'admin' | 'trial' | 'purchase', UrlTemplate>>;

const enc = encodeURIComponent;

/** The delegated admin offer link: it carries only the partner's tenant id. */
export function adminOfferUrl(cloud: Cloud, partnerTenantId: string): string {
  return `https://${URLS[cloud].admin.host}/Adminportal/Home?invType=Administration&partnerId=${enc(partnerTenantId)}#/BillingAccounts/partner-invitation`;
}

/** A trial invitation (or, unverified, a purchase offer) that names its offer. */
export function signupUrl(cloud: Cloud, type: 'Trial' | 'Purchase', offerId: string, partnerTenantId: string): string {
  const host = URLS[cloud][type === 'Trial' ? 'trial' : 'purchase'].host;
  return `https://${host}/partner/partnersignup.aspx?type=${type}&id=${enc(offerId)}&msppid=${enc(partnerTenantId)}`;
}

export function isVerified(cloud: Cloud, kind: 'admin' | 'trial' | 'purchase'): boolean {
  return URLS[cloud][kind].verified;
}

/** What an offer link says about itself, once parsed. */
export type ParsedOfferUrl =
  | { kind: 'admin'; cloud: Cloud; partnerId: string }
  | { kind: 'granular'; cloud: Cloud; relationshipId: string }
  | { kind: 'trial' | 'purchase'; cloud: Cloud; partnerId: string; offerId: string };

function cloudOfHost(host: string, kind: 'admin' | 'trial' | 'purchase'): Cloud | undefined {
  for (const cloud of ['global', 'china'] as const) if (URLS[cloud][kind].host === host) return cloud;
  return undefined;
}

/**
 * Parse a link a client followed. Returns undefined when it is not a link of
 * any known shape; the caller names the fault.
 */
export function parseOfferUrl(text: string): ParsedOfferUrl | { error: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { error: 'is not a URL' };
  }
  if (url.protocol !== 'https:') return { error: 'is not an https link' };
  const host = url.hostname.toLowerCase();
  const q = url.searchParams;
  const path = url.pathname.toLowerCase();
  if (path === '/adminportal/home') {
    const cloud = cloudOfHost(host, 'admin');
    if (!cloud) return { error: `is not a delegated admin link (unknown host ${host})` };
    const gdap = url.hash.match(/^#\/partners\/invitation\/granularAdminRelationships\/?([^/?#]*)$/i);
    if (gdap) {
      if (!gdap[1]) return { error: 'has no relationship id after granularAdminRelationships/' };
      return { kind: 'granular', cloud, relationshipId: decodeURIComponent(gdap[1]).toLowerCase() };
    }
    if ((q.get('invType') ?? '').toLowerCase() !== 'administration') {
      return { error: 'is not a delegated admin offer link (invType=Administration is missing)' };
    }
    const partnerId = q.get('partnerId');
    if (!partnerId) return { error: 'has no partnerId' };
    return { kind: 'admin', cloud, partnerId };
  }
  if (path === '/partner/partnersignup.aspx') {
    const type = (q.get('type') ?? '').toLowerCase();
    if (type !== 'trial' && type !== 'purchase') return { error: 'is not a trial or purchase offer link (type must be Trial or Purchase)' };
    const cloud = cloudOfHost(host, type);
    if (!cloud) return { error: `is not an offer link (unknown host ${host})` };
    const offerId = q.get('id');
    const partnerId = q.get('msppid');
    if (!offerId) return { error: 'has no offer id' };
    if (!partnerId) return { error: 'has no msppid (partner id)' };
    return { kind: type, cloud, partnerId, offerId };
  }
  return { error: `is not a delegated admin, trial or purchase offer link (${host}${url.pathname})` };
}
