/**
 * The ready-to-paste offer a client reads: who the partner is, what accepting
 * grants, the link, and what happens next. Plain data in, strings out.
 */
import type { Cloud, Partner } from '../core/model.js';
import { MDM_NOT_SUPPORTED } from '../acting/mdm.js';

export const OFFER_FORMATS = ['text', 'email', 'html', 'url'] as const;
export type OfferFormat = (typeof OFFER_FORMATS)[number];

export interface OfferTextInput {
  partner: Pick<Partner, 'name' | 'cloud'>;
  url: string;
  /** A trial invitation Partner Center made (its product name, if given, for the text). */
  trial?: { product?: string };
  /** A purchase offer Partner Center made (product and licences, if given, for the text). */
  purchase?: { product?: string; quantity?: number };
  /** A granular (GDAP) relationship: the roles it asks for and for how long. */
  granular?: { displayName: string; roles: string[]; days: number; autoExtend: boolean };
}


function serviceName(cloud: Cloud): string {
  return cloud === 'china' ? 'Office 365 operated by 21Vianet' : 'Microsoft 365';
}

function purchaseWords(p: { product?: string; quantity?: number }): string {
  const n = p.quantity;
  const licences = n === undefined ? undefined : `${n} licence${n === 1 ? '' : 's'}`;
  if (p.product) return `offers you ${licences ? `${licences} of ${p.product}` : p.product}`;
  return licences ? `offers you ${licences}` : 'sends you a purchase offer';
}

function intro(o: OfferTextInput): string {
  const svc = serviceName(o.partner.cloud);
  if (o.granular) {
    return `${o.partner.name} asks for granular delegated admin privileges in your ${svc} organization: only the roles listed below, for ${o.granular.days} days${o.granular.autoExtend ? ' (renewed automatically for 180 days at a time unless you end it)' : ''}.`;
  }
  if (o.trial) {
    return `${o.partner.name} invites you to ${o.trial.product ? `try ${o.trial.product}` : 'a trial'} and offers to act as the delegated administrator of your ${svc} organization.`;
  }
  if (o.purchase) {
    return `${o.partner.name} ${purchaseWords(o.purchase)} and offers to act as the delegated administrator of your ${svc} organization.`;
  }
  return `${o.partner.name} offers to act as the delegated administrator of your ${svc} organization.`;
}

function paragraphs(o: OfferTextInput): { intro: string; grants: string[]; notGranted: string; action: string; next: string } {
  return {
    intro: intro(o),
    grants: o.granular
      ? o.granular.roles.map((r) => `act with the ${r} role`)
      : ['add and manage users', 'reset passwords', 'add domains', 'administer your services on your behalf'],
    notGranted: MDM_NOT_SUPPORTED,
    action: o.granular
      ? `This invitation ("${o.granular.displayName}") is for your organization only. To approve it, sign in with a global administrator account of your organization and follow this link:`
      : o.trial
      ? 'To start the trial and authorize us, sign in with a global administrator account of your organization and follow this link:'
      : o.purchase
        ? 'To accept the offer and authorize us, sign in with a global administrator account of your organization and follow this link:'
        : 'To authorize us, sign in with a global administrator account of your organization and follow this link:',
    next: `When you accept, ${o.partner.name} is notified and can then administer your organization. You can remove this authorization at any time in your admin center.`,
  };
}

function text(o: OfferTextInput): string {
  const p = paragraphs(o);
  return [
    p.intro,
    '',
    `As your delegated administrator, ${o.partner.name} will be able to:`,
    ...p.grants.map((g) => `  - ${g}`),
    p.notGranted,
    '',
    p.action,
    o.url,
    '',
    p.next,
  ].join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function html(o: OfferTextInput): string {
  const p = paragraphs(o);
  const e = escapeHtml;
  return [
    '<div class="delegated-admin-offer">',
    `  <p>${e(p.intro)}</p>`,
    `  <p>As your delegated administrator, ${e(o.partner.name)} will be able to:</p>`,
    '  <ul>',
    ...p.grants.map((g) => `    <li>${e(g)}</li>`),
    '  </ul>',
    `  <p>${e(p.notGranted)}</p>`,
    `  <p>${e(p.action)} <a href="${e(o.url)}">${e(o.url)}</a></p>`,
    `  <p>${e(p.next)}</p>`,
    '</div>',
  ].join('\n');
}

function email(o: OfferTextInput): string {
  const subject = o.granular
    ? `${o.partner.name} requests granular delegated admin privileges`
    : o.trial
    ? `${o.partner.name}: your ${o.trial.product ? `${o.trial.product} ` : ''}trial and delegated administration`
    : o.purchase
      ? `${o.partner.name}: your ${o.purchase.product ? `${o.purchase.product} ` : 'purchase '}offer and delegated administration`
      : `${o.partner.name} offers to administer your ${serviceName(o.partner.cloud)} organization`;
  return [`Subject: ${subject}`, '', 'Hello,', '', text(o), '', 'Kind regards,', o.partner.name].join('\n');
}

export function renderOffer(o: OfferTextInput, format: OfferFormat): string {
  switch (format) {
    case 'text':
      return text(o);
    case 'email':
      return email(o);
    case 'html':
      return html(o);
    case 'url':
      return o.url;
  }
}

/** Where the same action lives in Partner Center (the seed's 100-client rule). */
export const NAV_THRESHOLD = 100;
export function partnerCenterHint(activeClients: number): string {
  return activeClients >= NAV_THRESHOLD
    ? 'Partner overview > Send delegated administration offers'
    : 'Build your business > delegate admin offer';
}
