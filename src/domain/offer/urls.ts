/**
 * Every Microsoft link the tool prints or accepts, in one table, each with its
 * source and how it is known (SPEC.md "URLs"):
 *
 * - `microsoft`: a Microsoft page gives the link's shape;
 * - `third-party`: only others' published tools and guides attest it;
 * - `partner-center`: Partner Center makes the link; delegate never builds it,
 *   it only checks the shape of the one the partner passes in;
 * - `unverified`: not publicly confirmed; every 21Vianet path is this (only the
 *   host portal.partner.microsoftonline.cn is known), mirroring the global path.
 */
import type { Cloud } from '../core/model.js';

export type HowKnown = 'microsoft' | 'third-party' | 'partner-center' | 'unverified';

export interface LinkEntry {
  /** The host per cloud; null where the link does not exist on that cloud. */
  readonly hosts: Readonly<Record<Cloud, string | null>>;
  readonly known: Readonly<Record<Cloud, HowKnown | null>>;
  /** Where the shape comes from. */
  readonly source: string;
}

const CHINA_HOST = 'portal.partner.microsoftonline.cn';

export const URLS = {
  /**
   * The delegated admin offer, the same for every plain offer: it carries only
   * the partner's tenant id. Microsoft's page says to copy "the offer URL" from
   * the admin center without giving its shape
   * (https://support.office.com/en-ie/article/partners-offer-delegated-administration-26530dc0-ebba-415b-86b1-b55bc06b073e);
   * the shape is attested by third parties, e.g. AADInternals'
   * New-AADIntMSPartnerDelegatedAdminRequest (Gerenios/AADInternals, MSPartner.ps1).
   */
  adminOffer: {
    hosts: { global: 'admin.microsoft.com', china: CHINA_HOST },
    known: { global: 'third-party', china: 'unverified' },
    source: 'third parties (AADInternals New-AADIntMSPartnerDelegatedAdminRequest); no Microsoft page gives the shape',
  },
  /**
   * Trial invitations and purchase offers: Partner Center's "Trials and
   * purchase offers > Create" wizard makes a custom URL with a code that
   * identifies the partner, reusable for many clients, optionally including
   * the delegated administration offer
   * (https://learn.microsoft.com/partner-center/advisors-create-a-trial-invitation,
   * https://learn.microsoft.com/partner-center/advisor-create-a-purchase-offer).
   * Those pages do not print the URL. Microsoft's Partner Center API page shows
   * the same page for reseller requests,
   * `https://portal.office.com/partner/partnersignup.aspx?type=ResellerRelationship&id=<guid>&csp=1&msppid=0`
   * (https://learn.microsoft.com/partner-center/developer/request-reseller-relationship);
   * `type=Trial|Purchase&id=<guid>&msppid=<Partner ID>` is attested by third
   * parties (AADInternals' New-AADIntMSPartnerTrialOffer prints
   * `...?type=Trial&id=a1041c87-...&msppid=7086220`). The Partner ID (formerly
   * MPN ID) is an integer shown in Partner Center's account settings
   * (https://learn.microsoft.com/partner-center/partner-center-account-setup,
   * https://learn.microsoft.com/partner-center/manage-locations).
   * Not confirmed: the length of a Partner ID (examples have 7 digits), the
   * form of Partner Center's id (every example is a GUID), whether the wizard
   * is open to every partner type today (the pages are written for
   * subscription advisors), and whether 21Vianet has it at all (Microsoft's
   * Office 365 service description says its partner features are not available there:
   * https://docs.microsoft.com/en-us/office365/servicedescriptions/office-365-platform-service-description/partners).
   */
  signup: {
    hosts: { global: 'portal.office.com', china: CHINA_HOST },
    known: { global: 'partner-center', china: 'unverified' },
    source: 'made by Partner Center (Trials and purchase offers > Create); shape from Microsoft\'s partnersignup.aspx sample and third parties',
  },
  /**
   * The GDAP invitation, as printed: Microsoft's URI template
   * (https://learn.microsoft.com/graph/api/resources/delegatedadminrelationships-api-overview).
   */
  gdapInvitation: {
    hosts: { global: 'admin.microsoft.com', china: CHINA_HOST },
    known: { global: 'microsoft', china: 'unverified' },
    source: 'Microsoft Graph GDAP API overview (URI template)',
  },
  /**
   * The newer admin center form of the GDAP invitation, accepted as input only:
   * attested by third parties (CIPP prints
   * `https://admin.cloud.microsoft/?#/partners/invitation/granularAdminRelationships/<id>`);
   * no Microsoft page found gives it. Global only.
   */
  gdapInvitationCloud: {
    hosts: { global: 'admin.cloud.microsoft', china: null },
    known: { global: 'third-party', china: null },
    source: 'third parties (CIPP); accepted as input, never printed',
  },
} as const satisfies Record<string, LinkEntry>;

export type LinkName = keyof typeof URLS;

/** How a link is known on a cloud (SPEC.md "URLs"). */
export function howKnown(cloud: Cloud, link: LinkName): HowKnown | null {
  return URLS[link].known[cloud];
}

const enc = encodeURIComponent;
const GDAP_FRAGMENT = '#/partners/invitation/granularAdminRelationships/';

/** The delegated admin offer link: it carries only the partner's tenant id. */
export function adminOfferUrl(cloud: Cloud, partnerTenantId: string): string {
  return `https://${URLS.adminOffer.hosts[cloud]}/Adminportal/Home?invType=Administration&partnerId=${enc(partnerTenantId)}#/BillingAccounts/partner-invitation`;
}

/** The GDAP invitation link for a relationship. */
export function gdapInvitationUrl(cloud: Cloud, relationshipId: string): string {
  return `https://${URLS.gdapInvitation.hosts[cloud]}/AdminPortal/Home${GDAP_FRAGMENT}${enc(relationshipId)}`;
}

/** A trial invitation or purchase offer link, as Partner Center made it. */
export interface SignupLink {
  kind: 'trial' | 'purchase';
  cloud: Cloud;
  /** Partner Center's offer id, lower-cased (the id acceptances are matched by). */
  offerId: string;
  /** The partner's integer Partner ID (formerly MPN ID). */
  msppid: number;
  /** The link, normalised. */
  href: string;
}

/** What an offer link says about itself, once parsed. */
export type ParsedOfferUrl =
  | { kind: 'admin'; cloud: Cloud; partnerId: string }
  | { kind: 'granular'; cloud: Cloud; relationshipId: string }
  | SignupLink;

export type LinkProblem = { error: string };

function cloudOf(link: LinkName, host: string): Cloud | undefined {
  for (const cloud of ['global', 'china'] as const) if (URLS[link].hosts[cloud] === host) return cloud;
  return undefined;
}

const KNOWN_HOSTS = new Set<string>(Object.values(URLS).flatMap((e: LinkEntry) => Object.values(e.hosts).filter((h): h is string => h !== null)));

/** The one value of a query parameter (case-insensitive name), or why not. */
function param(q: URLSearchParams, name: string): string | undefined | LinkProblem {
  const values = [...q.entries()].filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  if (values.length > 1) return { error: `has ${name} more than once` };
  return values[0] === undefined || values[0] === '' ? undefined : values[0];
}

const isProblem = (v: unknown): v is LinkProblem => typeof v === 'object' && v !== null && 'error' in v;

/** A Partner Center offer id as seen in links: a GUID in every published example; kept a little wider. */
const PARTNER_CENTER_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/i;
/** An integer Partner ID: digits only (no sign, no decimals), at most 10. */
const PARTNER_ID = /^\d{1,10}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parse a link the partner or a client passed in. Every link taken as input
 * must be `https://`, on a host in the table, with no user name, password or
 * port, and nothing that a browser would silently drop (spaces, control
 * characters). Returns the fault, in words, when it is not a link of a known shape.
 */
export function parseOfferUrl(input: string): ParsedOfferUrl | LinkProblem {
  const text = input.trim();
  if (/[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(text)) return { error: 'contains spaces, control or invisible characters' };
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) return { error: 'is not a URL' };
  if (!/^https:\/\//i.test(text)) return { error: 'is not an https:// link' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: 'is not a URL' };
  }
  // The authority exactly as written: the URL parser would drop a default port and read `\` as `/`.
  const authority = /^https:\/\/([^/?#\\]*)/i.exec(text)![1]!;
  if (authority.includes('@')) return { error: 'has a user name or password before the host (only the host may come after https://)' };
  if (authority.includes(':') || url.port) return { error: 'has a port (Microsoft\'s links have none)' };
  const host = url.hostname.toLowerCase();
  if (authority.toLowerCase() !== host || !/^[a-z0-9.-]+$/.test(host)) return { error: `has a host that is not plain (${authority.slice(0, 60)})` };
  if (!KNOWN_HOSTS.has(host)) return { error: `is not on a Microsoft host delegate knows (unknown host ${host})` };
  const q = url.searchParams;
  const path = url.pathname.toLowerCase();

  const gdap = url.hash.match(/^#\/partners\/invitation\/granularAdminRelationships\/?([^/?#]*)$/i);
  if (path === '/adminportal/home' || (path === '/' && gdap)) {
    const cloud = gdap && path === '/' ? cloudOf('gdapInvitationCloud', host) : cloudOf(gdap ? 'gdapInvitation' : 'adminOffer', host);
    if (!cloud) return { error: `is not a delegated admin or GDAP link (unknown host ${host} for ${url.pathname})` };
    if (gdap) {
      if (!gdap[1]) return { error: 'has no relationship id after granularAdminRelationships/' };
      return { kind: 'granular', cloud, relationshipId: decodeURIComponent(gdap[1]).toLowerCase() };
    }
    const inv = param(q, 'invType');
    if (isProblem(inv)) return inv;
    if ((inv ?? '').toLowerCase() !== 'administration') return { error: 'is not a delegated admin offer link (invType=Administration is missing)' };
    const partnerId = param(q, 'partnerId');
    if (isProblem(partnerId)) return partnerId;
    if (!partnerId) return { error: 'has no partnerId' };
    return { kind: 'admin', cloud, partnerId };
  }
  if (path === '/partner/partnersignup.aspx') {
    const cloud = cloudOf('signup', host);
    if (!cloud) return { error: `is not a trial or purchase offer link (unknown host ${host} for ${url.pathname})` };
    const type = param(q, 'type');
    if (isProblem(type)) return type;
    const kind = (type ?? '').toLowerCase();
    if (kind !== 'trial' && kind !== 'purchase') {
      return { error: `is not a trial or purchase offer link (type must be Trial or Purchase${type ? `, not ${quoted(type, 30)}` : ''})` };
    }
    const offerId = param(q, 'id');
    if (isProblem(offerId)) return offerId;
    if (!offerId) return { error: 'has no offer id (id=...)' };
    if (!PARTNER_CENTER_ID.test(offerId)) return { error: `has an offer id ${quoted(offerId, 60)} that is not one Partner Center makes` };
    const msppid = param(q, 'msppid');
    if (isProblem(msppid)) return msppid;
    if (!msppid) return { error: 'has no msppid (the Partner ID)' };
    if (!PARTNER_ID.test(msppid)) {
      return {
        error: `has msppid ${quoted(msppid, 40)}, which is not an integer Partner ID${GUID.test(msppid) ? ' (a tenant id is not a Partner ID: links made by older versions of delegate carried one and never worked at Microsoft; make the link in Partner Center)' : ''}`,
      };
    }
    return { kind, cloud, offerId: offerId.toLowerCase(), msppid: Number(msppid), href: url.href };
  }
  return { error: `is not a delegated admin, GDAP, trial or purchase offer link (${host}${url.pathname.slice(0, 60)})` };
}

/** Names people read for each cloud. */
export function cloudWords(cloud: Cloud): string {
  return cloud === 'china' ? 'Office 365 operated by 21Vianet (china)' : 'Microsoft 365 (global)';
}

/** The partner facts a link is checked against. */
export interface LinkOwner {
  name: string;
  tenantId: string;
  cloud: Cloud;
  mpnId: number | null;
}

/**
 * Why a parsed link is not this partner's, or undefined when it is: the cloud
 * must be the partner's, an admin link must carry its tenant id, a trial or
 * purchase link its Partner ID when that is set.
 */
export function linkNotOurs(partner: LinkOwner, link: ParsedOfferUrl): string | undefined {
  if (link.cloud !== partner.cloud) return `That link is for ${cloudWords(link.cloud)}, but ${partner.name} is on ${cloudWords(partner.cloud)}`;
  if (link.kind === 'admin' && link.partnerId.trim().toLowerCase() !== partner.tenantId) {
    return `That link belongs to another partner (partner id ${quoted(link.partnerId, 40)}), not ${partner.name} (${partner.tenantId})`;
  }
  if ((link.kind === 'trial' || link.kind === 'purchase') && partner.mpnId !== null && link.msppid !== partner.mpnId) {
    return `That link's msppid ${link.msppid} is not ${partner.name}'s Partner ID ${partner.mpnId} (see \`delegate partner show\`)`;
  }
  return undefined;
}

/** A value from a link as quoted in a message: at most `max` characters, with nothing that could drive a terminal or reorder text. */
export function quoted(text: string, max = 120): string {
  return JSON.stringify(text.trim().slice(0, max)).replace(/[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A link as quoted in a message. */
export const shownLink = (text: string): string => quoted(text, 120);

/** Parse a trial or purchase link given with `flag`; anything else is the fault, in words. */
export function parseSignupLink(text: string, kind: 'trial' | 'purchase', flag: string): SignupLink | LinkProblem {
  const shown = shownLink(text);
  const parsed = parseOfferUrl(text);
  if ('error' in parsed) return { error: `${flag} ${shown} ${parsed.error}` };
  const want = kind === 'trial' ? 'a trial invitation link (type=Trial)' : 'a purchase offer link (type=Purchase)';
  if (parsed.kind === 'trial' || parsed.kind === 'purchase') {
    if (parsed.kind === kind) return parsed;
    return { error: `${flag} takes ${want}; this one is a ${parsed.kind} link: give it with --${parsed.kind}-url` };
  }
  return { error: `${flag} takes ${want} made in Partner Center, not a ${parsed.kind === 'admin' ? 'delegated admin' : 'GDAP'} link` };
}
