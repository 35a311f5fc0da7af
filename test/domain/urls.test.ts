import { adminOfferUrl, isVerified, parseOfferUrl, signupUrl, type ParsedOfferUrl } from '../../src/domain/urls.js';

const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const OFFER = '0b5c2d1e-9f8a-4b7c-8d6e-5f4a3b2c1d0e';
const CN = 'portal.partner.microsoftonline.cn';

/** The links exactly as SPEC.md "URLs" gives them. */
const SPEC = {
  global: {
    admin: `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`,
    trial: `https://portal.office.com/partner/partnersignup.aspx?type=Trial&id=${OFFER}&msppid=${TENANT}`,
    purchase: `https://portal.office.com/partner/partnersignup.aspx?type=Purchase&id=${OFFER}&msppid=${TENANT}`,
  },
  china: {
    admin: `https://${CN}/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`,
    trial: `https://${CN}/partner/partnersignup.aspx?type=Trial&id=${OFFER}&msppid=${TENANT}`,
    purchase: `https://${CN}/partner/partnersignup.aspx?type=Purchase&id=${OFFER}&msppid=${TENANT}`,
  },
} as const;

function parsed(text: string): ParsedOfferUrl {
  const r = parseOfferUrl(text);
  if ('error' in r) throw new Error(`expected ${text} to parse, got: ${r.error}`);
  return r;
}

function refused(text: string): string {
  const r = parseOfferUrl(text);
  if (!('error' in r)) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(r)}`);
  expect(r.error).not.toBe('');
  expect(r.error).not.toMatch(/\n/);
  return r.error;
}

describe('the links the tool prints', () => {
  test.each(['global', 'china'] as const)('%s delegated admin offer link', (cloud) => {
    expect(adminOfferUrl(cloud, TENANT)).toBe(SPEC[cloud].admin);
  });

  test.each(['global', 'china'] as const)('%s trial invitation link', (cloud) => {
    expect(signupUrl(cloud, 'Trial', OFFER, TENANT)).toBe(SPEC[cloud].trial);
  });

  test.each(['global', 'china'] as const)('%s purchase offer link', (cloud) => {
    expect(signupUrl(cloud, 'Purchase', OFFER, TENANT)).toBe(SPEC[cloud].purchase);
  });

  test('the admin link is the same for every offer: it carries only the partner id', () => {
    expect(adminOfferUrl('global', TENANT)).not.toContain(OFFER);
    expect(new URL(adminOfferUrl('global', TENANT)).searchParams.get('partnerId')).toBe(TENANT);
  });

  test('values are URL-encoded, so a link cannot be bent by its parameters', () => {
    const url = new URL(signupUrl('global', 'Trial', 'a&type=Purchase', 'x#y'));
    expect(url.searchParams.get('type')).toBe('Trial');
    expect(url.searchParams.get('id')).toBe('a&type=Purchase');
    expect(url.searchParams.get('msppid')).toBe('x#y');
  });
});

describe('which links are verified', () => {
  test('global admin and trial links are verified; the purchase link is not', () => {
    expect(isVerified('global', 'admin')).toBe(true);
    expect(isVerified('global', 'trial')).toBe(true);
    expect(isVerified('global', 'purchase')).toBe(false);
  });

  test('every 21Vianet link is unverified', () => {
    expect(isVerified('china', 'admin')).toBe(false);
    expect(isVerified('china', 'trial')).toBe(false);
    expect(isVerified('china', 'purchase')).toBe(false);
  });
});

describe('parseOfferUrl', () => {
  test.each(['global', 'china'] as const)('reads back the %s admin link', (cloud) => {
    expect(parsed(SPEC[cloud].admin)).toEqual({ kind: 'admin', cloud, partnerId: TENANT });
  });

  test.each(['global', 'china'] as const)('reads back the %s trial link', (cloud) => {
    expect(parsed(SPEC[cloud].trial)).toEqual({ kind: 'trial', cloud, partnerId: TENANT, offerId: OFFER });
  });

  test.each(['global', 'china'] as const)('reads back the %s purchase link', (cloud) => {
    expect(parsed(SPEC[cloud].purchase)).toEqual({ kind: 'purchase', cloud, partnerId: TENANT, offerId: OFFER });
  });

  test('round-trips what the generators print', () => {
    for (const cloud of ['global', 'china'] as const) {
      expect(parsed(adminOfferUrl(cloud, TENANT))).toMatchObject({ kind: 'admin', cloud, partnerId: TENANT });
      expect(parsed(signupUrl(cloud, 'Trial', OFFER, TENANT))).toMatchObject({ kind: 'trial', cloud, offerId: OFFER });
      expect(parsed(signupUrl(cloud, 'Purchase', OFFER, TENANT))).toMatchObject({ kind: 'purchase', cloud, offerId: OFFER });
    }
  });

  test('tolerates what a mail client does to a pasted link: surrounding space, case of host and path, no fragment', () => {
    expect(parsed(`  ${SPEC.global.admin}\n`)).toMatchObject({ kind: 'admin', cloud: 'global' });
    expect(parsed(`https://ADMIN.Microsoft.com/AdminPortal/home?invType=administration&partnerId=${TENANT}`)).toMatchObject({
      kind: 'admin',
      cloud: 'global',
      partnerId: TENANT,
    });
    expect(parsed(`https://portal.office.com/Partner/PartnerSignup.aspx?type=trial&id=${OFFER}&msppid=${TENANT}`)).toMatchObject({
      kind: 'trial',
      offerId: OFFER,
    });
  });

  test('refuses plain http', () => {
    expect(refused(SPEC.global.admin.replace('https:', 'http:'))).toContain('https');
    expect(refused(SPEC.global.trial.replace('https:', 'http:'))).toContain('https');
  });

  test('refuses text that is not a URL', () => {
    expect(refused('not a link')).toContain('not a URL');
    refused('');
  });

  test.each([
    ['a look-alike host', SPEC.global.admin.replace('admin.microsoft.com', 'admin.microsoft.com.evil.example')],
    ['another Microsoft host', SPEC.global.admin.replace('admin.microsoft.com', 'portal.azure.com')],
    ['a sub-domain of the real host', SPEC.global.admin.replace('admin.microsoft.com', 'x.admin.microsoft.com')],
    ['the trial path on the admin host', SPEC.global.trial.replace('portal.office.com', 'admin.microsoft.com')],
    ['the admin path on the trial host', SPEC.global.admin.replace('admin.microsoft.com', 'portal.office.com')],
  ])('refuses %s', (_what, url) => {
    expect(refused(url)).toMatch(/unknown host/);
  });

  test('refuses an admin link without invType=Administration', () => {
    expect(refused(SPEC.global.admin.replace('invType=Administration&', ''))).toContain('invType=Administration');
    expect(refused(SPEC.global.admin.replace('invType=Administration', 'invType=Billing'))).toContain('invType=Administration');
  });

  test('refuses an admin link without partnerId', () => {
    expect(refused(SPEC.global.admin.replace(`&partnerId=${TENANT}`, ''))).toContain('partnerId');
    expect(refused(SPEC.china.admin.replace(`partnerId=${TENANT}`, 'partnerId='))).toContain('partnerId');
  });

  test('refuses a trial or purchase link without its offer id', () => {
    expect(refused(SPEC.global.trial.replace(`&id=${OFFER}`, ''))).toContain('offer id');
    expect(refused(SPEC.china.purchase.replace(`id=${OFFER}`, 'id='))).toContain('offer id');
  });

  test('refuses a trial or purchase link without msppid', () => {
    expect(refused(SPEC.global.trial.replace(`&msppid=${TENANT}`, ''))).toContain('msppid');
    expect(refused(SPEC.global.purchase.replace(`&msppid=${TENANT}`, ''))).toContain('msppid');
  });

  test('refuses a signup link whose type is neither Trial nor Purchase', () => {
    expect(refused(SPEC.global.trial.replace('type=Trial', 'type=Free'))).toContain('Trial or Purchase');
    expect(refused(SPEC.global.trial.replace('type=Trial&', ''))).toContain('Trial or Purchase');
  });

  test('refuses a known host with an unknown path, naming what it got', () => {
    expect(refused(`https://admin.microsoft.com/Adminportal/Other?invType=Administration&partnerId=${TENANT}`)).toContain(
      'admin.microsoft.com/Adminportal/Other',
    );
  });
});
