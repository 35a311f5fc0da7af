import {
  adminOfferUrl,
  gdapInvitationUrl,
  howKnown,
  linkNotOurs,
  parseOfferUrl,
  parseSignupLink,
  shownLink,
  URLS,
  type ParsedOfferUrl,
} from '../../src/domain/offer/urls.js';

const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const OFFER = '0b5c2d1e-9f8a-4b7c-8d6e-5f4a3b2c1d0e';
const MPN = 7086220;
const CN = 'portal.partner.microsoftonline.cn';
const REL = '5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836';

/** The links exactly as SPEC.md "URLs" gives them (trial and purchase ones as Partner Center makes them). */
const SPEC = {
  global: {
    admin: `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`,
    trial: `https://portal.office.com/partner/partnersignup.aspx?type=Trial&id=${OFFER}&msppid=${MPN}`,
    purchase: `https://portal.office.com/partner/partnersignup.aspx?type=Purchase&id=${OFFER}&msppid=${MPN}`,
    gdap: `https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/${REL}`,
  },
  china: {
    admin: `https://${CN}/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`,
    trial: `https://${CN}/partner/partnersignup.aspx?type=Trial&id=${OFFER}&msppid=${MPN}`,
    purchase: `https://${CN}/partner/partnersignup.aspx?type=Purchase&id=${OFFER}&msppid=${MPN}`,
    gdap: `https://${CN}/AdminPortal/Home#/partners/invitation/granularAdminRelationships/${REL}`,
  },
} as const;
const GDAP_CLOUD = `https://admin.cloud.microsoft/?#/partners/invitation/granularAdminRelationships/${REL}`;

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

  test.each(['global', 'china'] as const)('%s GDAP invitation link', (cloud) => {
    expect(gdapInvitationUrl(cloud, REL)).toBe(SPEC[cloud].gdap);
  });

  test('the admin link is the same for every offer: it carries only the partner id', () => {
    expect(new URL(adminOfferUrl('global', TENANT)).searchParams.get('partnerId')).toBe(TENANT);
  });

  test('values are URL-encoded, so a link cannot be bent by its parameters', () => {
    const url = new URL(adminOfferUrl('global', 'a&invType=Other#x'));
    expect(url.searchParams.get('partnerId')).toBe('a&invType=Other#x');
    expect(url.searchParams.get('invType')).toBe('Administration');
  });

  test('delegate builds no trial or purchase link', async () => {
    const mod = (await import('../../src/domain/offer/urls.js')) as Record<string, unknown>;
    expect(Object.keys(mod).filter((k) => /signup.*url|trial.*url|purchase.*url/i.test(k))).toEqual([]);
  });
});

describe('the table says how each link is known', () => {
  test('global: admin offer by third parties, trial/purchase made by Partner Center, GDAP by Microsoft, the newer GDAP form by third parties', () => {
    expect(howKnown('global', 'adminOffer')).toBe('third-party');
    expect(howKnown('global', 'signup')).toBe('partner-center');
    expect(howKnown('global', 'gdapInvitation')).toBe('microsoft');
    expect(howKnown('global', 'gdapInvitationCloud')).toBe('third-party');
  });

  test('every 21Vianet link is unverified, on the one known host', () => {
    for (const name of ['adminOffer', 'signup', 'gdapInvitation'] as const) {
      expect(howKnown('china', name)).toBe('unverified');
      expect(URLS[name].hosts.china).toBe(CN);
    }
    expect(URLS.gdapInvitationCloud.hosts.china).toBeNull();
  });

  test('every entry names its source', () => {
    for (const entry of Object.values(URLS)) expect(entry.source.length).toBeGreaterThan(10);
  });
});

describe('parseOfferUrl', () => {
  test.each(['global', 'china'] as const)('reads back the %s admin link', (cloud) => {
    expect(parsed(SPEC[cloud].admin)).toEqual({ kind: 'admin', cloud, partnerId: TENANT });
  });

  test.each(['global', 'china'] as const)('reads the %s trial and purchase links Partner Center makes', (cloud) => {
    expect(parsed(SPEC[cloud].trial)).toEqual({ kind: 'trial', cloud, offerId: OFFER, msppid: MPN, href: SPEC[cloud].trial });
    expect(parsed(SPEC[cloud].purchase)).toEqual({ kind: 'purchase', cloud, offerId: OFFER, msppid: MPN, href: SPEC[cloud].purchase });
  });

  test.each(['global', 'china'] as const)('reads back the %s GDAP link', (cloud) => {
    expect(parsed(SPEC[cloud].gdap)).toEqual({ kind: 'granular', cloud, relationshipId: REL });
  });

  test('reads the newer admin.cloud.microsoft form of the GDAP invitation (global only)', () => {
    expect(parsed(GDAP_CLOUD)).toEqual({ kind: 'granular', cloud: 'global', relationshipId: REL });
    expect(refused(GDAP_CLOUD.replace('admin.cloud.microsoft', 'admin.microsoft.com'))).toMatch(/unknown host/);
    expect(refused(GDAP_CLOUD.replace('/?#', '/AdminPortal/Home#'))).toMatch(/unknown host/);
  });

  test('tolerates what a mail client does to a pasted link: surrounding space, case of host, path and names', () => {
    expect(parsed(`  ${SPEC.global.admin}\n`)).toMatchObject({ kind: 'admin', cloud: 'global' });
    expect(parsed(`https://ADMIN.Microsoft.com/AdminPortal/home?invType=administration&partnerId=${TENANT}`)).toMatchObject({
      kind: 'admin',
      cloud: 'global',
      partnerId: TENANT,
    });
    expect(parsed(`https://portal.office.com/Partner/PartnerSignup.aspx?TYPE=trial&ID=${OFFER.toUpperCase()}&msppid=${MPN}`)).toMatchObject({
      kind: 'trial',
      offerId: OFFER,
    });
  });

  test('keeps other parameters Partner Center may add, in the normalised link', () => {
    const r = parsed(`${SPEC.global.trial}&csp=1`);
    expect(r).toMatchObject({ kind: 'trial', href: `${SPEC.global.trial}&csp=1` });
  });

  test('refuses anything but https://', () => {
    expect(refused(SPEC.global.admin.replace('https:', 'http:'))).toContain('https://');
    expect(refused(SPEC.global.trial.replace('https://', 'https:'))).toContain('https://');
    expect(refused(SPEC.global.trial.replace('https://', 'ftp://'))).toContain('https://');
    expect(refused(`javascript:alert(1)//${SPEC.global.trial}`)).toContain('https://');
  });

  test('refuses text that is not a URL', () => {
    expect(refused('not a link')).toMatch(/spaces|not a URL/);
    expect(refused('portal.office.com/partner/partnersignup.aspx')).toContain('not a URL');
    refused('');
  });

  test.each([
    ['a user name before the host', SPEC.global.admin.replace('https://', 'https://evil.com@')],
    ['a user name and password', SPEC.global.trial.replace('https://', 'https://user:pass@')],
    ['an empty user name', SPEC.global.trial.replace('https://', 'https://@')],
  ])('refuses %s', (_what, url) => {
    expect(refused(url)).toContain('user name or password');
  });

  test.each([
    ['a port', SPEC.global.admin.replace('admin.microsoft.com', 'admin.microsoft.com:8443')],
    ['the default port written out', SPEC.global.trial.replace('portal.office.com', 'portal.office.com:443')],
    ['an empty port', SPEC.global.trial.replace('portal.office.com', 'portal.office.com:')],
  ])('refuses %s', (_what, url) => {
    expect(refused(url)).toContain('port');
  });

  test.each([
    ['a backslash that browsers read as a slash', SPEC.global.admin.replace('https://', 'https://evil.com\\@')],
    ['a trailing dot on the host', SPEC.global.admin.replace('admin.microsoft.com', 'admin.microsoft.com.')],
    ['a percent-encoded host', SPEC.global.admin.replace('admin.microsoft.com', 'admin%2Emicrosoft.com')],
    ['a tab inside the host, which the URL parser would drop', SPEC.global.admin.replace('admin.micro', 'admin.micro\t')],
    ['an IP address', SPEC.global.admin.replace('admin.microsoft.com', '13.107.6.156')],
  ])('refuses %s', (_what, url) => {
    refused(url);
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

  test('refuses an admin link without partnerId, or with two', () => {
    expect(refused(SPEC.global.admin.replace(`&partnerId=${TENANT}`, ''))).toContain('partnerId');
    expect(refused(SPEC.china.admin.replace(`partnerId=${TENANT}`, 'partnerId='))).toContain('partnerId');
    expect(refused(SPEC.global.admin.replace(`partnerId=${TENANT}`, `partnerId=${TENANT}&partnerId=x`))).toContain('more than once');
  });

  test('refuses a trial or purchase link without its offer id, or with an odd one', () => {
    expect(refused(SPEC.global.trial.replace(`&id=${OFFER}`, ''))).toContain('offer id');
    expect(refused(SPEC.china.purchase.replace(`id=${OFFER}`, 'id='))).toContain('offer id');
    expect(refused(SPEC.global.trial.replace(`id=${OFFER}`, 'id=%27;DROP'))).toContain('offer id');
    expect(refused(SPEC.global.trial.replace(`id=${OFFER}`, `id=${OFFER}&id=${OFFER}`))).toContain('id more than once');
  });

  test('refuses a trial or purchase link without an integer msppid', () => {
    expect(refused(SPEC.global.trial.replace(`&msppid=${MPN}`, ''))).toContain('msppid');
    expect(refused(SPEC.global.purchase.replace(`msppid=${MPN}`, 'msppid=12.5'))).toContain('not an integer Partner ID');
    expect(refused(SPEC.global.purchase.replace(`msppid=${MPN}`, 'msppid=-5'))).toContain('not an integer Partner ID');
    expect(refused(SPEC.global.purchase.replace(`msppid=${MPN}`, 'msppid=12345678901'))).toContain('not an integer Partner ID');
    // What older versions of delegate made up: the tenant id. Said plainly.
    expect(refused(SPEC.global.trial.replace(`msppid=${MPN}`, `msppid=${TENANT}`))).toContain('never worked at Microsoft');
  });

  test('refuses a signup link whose type is neither Trial nor Purchase', () => {
    expect(refused(SPEC.global.trial.replace('type=Trial', 'type=Free'))).toContain('Trial or Purchase');
    expect(refused(SPEC.global.trial.replace('type=Trial&', ''))).toContain('Trial or Purchase');
    // Partner Center's reseller relationship request lives on the same page.
    expect(refused(SPEC.global.trial.replace('type=Trial', 'type=ResellerRelationship'))).toContain('ResellerRelationship');
    expect(refused(SPEC.global.trial.replace('type=Trial', 'type=Trial&type=Purchase'))).toContain('more than once');
  });

  test('refuses a known host with an unknown path, naming what it got', () => {
    expect(refused(`https://admin.microsoft.com/Adminportal/Other?invType=Administration&partnerId=${TENANT}`)).toContain(
      'admin.microsoft.com/Adminportal/Other',
    );
    expect(refused(`https://portal.office.com/partner/partnersignup.aspx/x?type=Trial&id=${OFFER}&msppid=${MPN}`)).toContain('portal.office.com/partner');
  });

  test('refuses a GDAP link without a relationship id', () => {
    expect(refused(SPEC.global.gdap.replace(REL, ''))).toContain('relationship id');
  });
});

describe('parseSignupLink (--trial-url, --purchase-url)', () => {
  test('takes the link of its own type', () => {
    expect(parseSignupLink(SPEC.global.trial, 'trial', '--trial-url')).toMatchObject({ kind: 'trial', offerId: OFFER });
    expect(parseSignupLink(SPEC.china.purchase, 'purchase', '--purchase-url')).toMatchObject({ kind: 'purchase', cloud: 'china' });
  });

  test.each([
    ['a purchase link given as the trial', SPEC.global.purchase, 'trial', /--trial-url takes a trial.*--purchase-url/],
    ['a trial link given as the purchase', SPEC.global.trial, 'purchase', /--purchase-url takes a purchase.*--trial-url/],
    ['the delegated admin link', SPEC.global.admin, 'trial', /--trial-url takes .*not a delegated admin link/],
    ['a GDAP link', SPEC.global.gdap, 'purchase', /--purchase-url takes .*not a GDAP link/],
    ['a bad link', 'https://evil.com@portal.office.com/partner/partnersignup.aspx', 'trial', /^--trial-url ".*" has a user name/],
  ] as const)('refuses %s, naming the flag', (_what, link, kind, message) => {
    const r = parseSignupLink(link, kind, `--${kind}-url`);
    expect(r).toEqual({ error: expect.stringMatching(message) });
  });
});

describe('linkNotOurs', () => {
  const partner = { name: 'Fabrikam', tenantId: TENANT, cloud: 'global' as const, mpnId: MPN };

  test("this partner's links pass", () => {
    for (const link of [SPEC.global.admin, SPEC.global.trial, SPEC.global.purchase, SPEC.global.gdap, GDAP_CLOUD]) {
      expect(linkNotOurs(partner, parsed(link))).toBeUndefined();
    }
  });

  test("another cloud's, another tenant's, another Partner ID's do not", () => {
    expect(linkNotOurs(partner, parsed(SPEC.china.trial))).toContain('21Vianet');
    expect(linkNotOurs(partner, parsed(adminOfferUrl('global', '11111111-2222-4333-8444-555555555555')))).toContain('another partner');
    expect(linkNotOurs(partner, parsed(SPEC.global.trial.replace(String(MPN), '42')))).toContain("msppid 42 is not Fabrikam's Partner ID 7086220");
  });

  test('without a Partner ID set, any msppid passes', () => {
    expect(linkNotOurs({ ...partner, mpnId: null }, parsed(SPEC.global.trial.replace(String(MPN), '42')))).toBeUndefined();
  });
});

describe('links in messages', () => {
  test('invisible and reordering characters are refused, and shown escaped', () => {
    for (const c of ['\u202e', '\u2066', '\u200b', '\ufeff', '\u0085']) {
      expect(refused(SPEC.global.trial.replace('msppid', `${c}msppid`))).toContain('invisible');
      expect(shownLink(`https://x/${c}`)).not.toContain(c);
    }
    expect(shownLink('https://x/\u202e')).toBe('"https://x/\\u202e"');
    expect(shownLink('x'.repeat(500))).toHaveLength(122);
  });
});

test('decoded parameters quoted in messages are escaped too', () => {
  const msg = refused(SPEC.global.trial.replace(`msppid=${MPN}`, 'msppid=%E2%80%AE12'));
  expect(msg).not.toContain('\u202e');
  expect(msg).toContain('\\u202e');
  const other = linkNotOurs({ name: 'F', tenantId: TENANT, cloud: 'global', mpnId: null }, parsed(SPEC.global.admin.replace(TENANT, '%E2%80%AEx')));
  expect(other).not.toContain('\u202e');
});
