/**
 * Links as Partner Center and Microsoft make them, for tests. delegate itself
 * never builds a trial or purchase link; tests play Partner Center here.
 */
import type { Cloud } from '../../src/domain/core/model.js';
import { parseSignupLink, type SignupLink } from '../../src/domain/offer/urls.js';

/** The Partner ID tests give the partner. */
export const MPN = 1234567;
const HOST: Record<Cloud, string> = { global: 'portal.office.com', china: 'portal.partner.microsoftonline.cn' };

/** A Partner Center offer id (a GUID, as in every published example), numbered. */
export function pcId(n: number): string {
  return `0b5c2d1e-9f8a-4b7c-8d6e-${n.toString(16).padStart(12, '0')}`;
}

/** The trial invitation or purchase offer link Partner Center would make. */
export function partnerCenterLink(type: 'Trial' | 'Purchase', id: string, msppid: number | string = MPN, cloud: Cloud = 'global'): string {
  return `https://${HOST[cloud]}/partner/partnersignup.aspx?type=${type}&id=${id}&msppid=${msppid}`;
}

/** The same link, parsed as `offer create` would (throws on a bad one). */
export function signupLink(type: 'Trial' | 'Purchase', id: string, msppid: number | string = MPN, cloud: Cloud = 'global'): SignupLink {
  const kind = type === 'Trial' ? 'trial' : 'purchase';
  const r = parseSignupLink(partnerCenterLink(type, id, msppid, cloud), kind, `--${kind}-url`);
  if ('error' in r) throw new Error(r.error);
  return r;
}
