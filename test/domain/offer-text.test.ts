import { MDM_NOT_SUPPORTED } from '../../src/domain/acting/mdm.js';
import {
  OFFER_FORMATS,
  partnerCenterHint,
  renderOffer,
  type OfferTextInput,
} from '../../src/domain/offer/offer-text.js';
import { adminOfferUrl } from '../../src/domain/offer/urls.js';
import { partnerCenterLink } from '../helpers/links.js';

const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const OFFER = '0b5c2d1e-9f8a-4b7c-8d6e-5f4a3b2c1d0e';

const plain: OfferTextInput = { partner: { name: 'Fabrikam', cloud: 'global' }, url: adminOfferUrl('global', TENANT) };
const trial: OfferTextInput = {
  partner: { name: 'Fabrikam', cloud: 'global' },
  url: partnerCenterLink('Trial', OFFER),
  trial: { product: 'Microsoft 365 Business Premium' },
};
const purchase = (quantity: number): OfferTextInput => ({
  partner: { name: 'Fabrikam', cloud: 'global' },
  url: partnerCenterLink('Purchase', OFFER),
  purchase: { product: 'Exchange Online (Plan 1)', quantity },
});

describe('text', () => {
  test('names the partner, what it will be able to do, the link and what happens next', () => {
    const t = renderOffer(plain, 'text');
    expect(t).toContain('Fabrikam offers to act as the delegated administrator of your Microsoft 365 organization.');
    for (const grant of ['add and manage users', 'reset passwords', 'add domains']) expect(t).toContain(grant);
    expect(t).toContain('sign in with a global administrator account');
    expect(t.split('\n')).toContain(plain.url);
    expect(t).toContain('Fabrikam is notified');
  });

  test('says that delegated access to Mobile Device Management is not supported', () => {
    for (const input of [plain, trial, purchase(3)]) {
      expect(renderOffer(input, 'text')).toContain(MDM_NOT_SUPPORTED);
    }
    expect(MDM_NOT_SUPPORTED).toMatch(/Mobile Device Management.*not supported/);
  });

  test('a trial invitation names the product and asks the client to start the trial', () => {
    const t = renderOffer(trial, 'text');
    expect(t).toContain('Fabrikam invites you to try Microsoft 365 Business Premium');
    expect(t).toContain('To start the trial and authorize us');
    expect(t.split('\n')).toContain(trial.url);
  });

  test('a purchase offer names the product and the number of licences', () => {
    const t = renderOffer(purchase(25), 'text');
    expect(t).toContain('Fabrikam offers you 25 licences of Exchange Online (Plan 1)');
    expect(t).toContain('To accept the offer and authorize us');
    expect(t).not.toContain('trial');
  });

  test('one licence is singular', () => {
    expect(renderOffer(purchase(1), 'text')).toContain('offers you 1 licence of Exchange Online (Plan 1)');
  });

  test('without a product or quantity the text still reads, naming what it has', () => {
    const base = { partner: { name: 'Fabrikam', cloud: 'global' as const }, url: partnerCenterLink('Purchase', OFFER) };
    expect(renderOffer({ ...base, trial: {} }, 'text')).toContain('Fabrikam invites you to a trial and offers');
    expect(renderOffer({ ...base, trial: {} }, 'email').split('\n')[0]).toBe('Subject: Fabrikam: your trial and delegated administration');
    expect(renderOffer({ ...base, purchase: { product: 'E3' } }, 'text')).toContain('Fabrikam offers you E3 and offers');
    expect(renderOffer({ ...base, purchase: { quantity: 1 } }, 'text')).toContain('Fabrikam offers you 1 licence and offers');
    expect(renderOffer({ ...base, purchase: {} }, 'text')).toContain('Fabrikam sends you a purchase offer and offers');
    expect(renderOffer({ ...base, purchase: {} }, 'email').split('\n')[0]).toBe('Subject: Fabrikam: your purchase offer and delegated administration');
  });

  test('a plain offer mentions neither a trial nor a purchase', () => {
    const t = renderOffer(plain, 'text');
    expect(t).not.toMatch(/trial|licence/i);
    expect(t).toContain('To authorize us');
  });

  test('a 21Vianet partner offers to administer Office 365 operated by 21Vianet', () => {
    const t = renderOffer({ partner: { name: 'Fabrikam China', cloud: 'china' }, url: adminOfferUrl('china', TENANT) }, 'text');
    expect(t).toContain('your Office 365 operated by 21Vianet organization');
    expect(t).not.toContain('Microsoft 365 organization');
  });
});

describe('email', () => {
  test('starts with a Subject line, then the text, then the partner signs off', () => {
    const e = renderOffer(plain, 'email');
    const lines = e.split('\n');
    expect(lines[0]).toBe('Subject: Fabrikam offers to administer your Microsoft 365 organization');
    expect(lines[1]).toBe('');
    expect(e).toContain(renderOffer(plain, 'text'));
    expect(lines[lines.length - 1]).toBe('Fabrikam');
  });

  test('the subject names the trial or purchase product', () => {
    expect(renderOffer(trial, 'email').split('\n')[0]).toBe(
      'Subject: Fabrikam: your Microsoft 365 Business Premium trial and delegated administration',
    );
    expect(renderOffer(purchase(2), 'email').split('\n')[0]).toBe(
      'Subject: Fabrikam: your Exchange Online (Plan 1) offer and delegated administration',
    );
  });

  test('the subject is one line', () => {
    for (const input of [plain, trial, purchase(2)]) {
      expect(renderOffer(input, 'email').split('\n').filter((l) => l.startsWith('Subject:'))).toHaveLength(1);
    }
  });
});

describe('html', () => {
  const tricky: OfferTextInput = {
    partner: { name: `Smith & Jones <b>"IT"</b> O'Neil`, cloud: 'global' },
    url: partnerCenterLink('Trial', OFFER),
    trial: { product: 'Plan <1> & "more"' },
  };

  test('escapes the partner name and product wherever they appear', () => {
    const h = renderOffer(tricky, 'html');
    expect(h).not.toContain('<b>');
    expect(h).not.toContain('Smith & Jones');
    expect(h).not.toContain('Plan <1>');
    expect(h).toContain('Smith &amp; Jones &lt;b&gt;&quot;IT&quot;&lt;/b&gt; O&#39;Neil');
    expect(h).toContain('Plan &lt;1&gt; &amp; &quot;more&quot;');
  });

  test('links the offer URL, with its ampersands escaped', () => {
    const h = renderOffer(tricky, 'html');
    const escaped = tricky.url.replace(/&/g, '&amp;');
    expect(h).toContain(`<a href="${escaped}">${escaped}</a>`);
  });

  test('is one block with the grants as a list and the MDM statement', () => {
    const h = renderOffer(plain, 'html');
    expect(h.startsWith('<div')).toBe(true);
    expect(h.trimEnd().endsWith('</div>')).toBe(true);
    expect(h).toContain('<li>reset passwords</li>');
    expect(h).toContain(MDM_NOT_SUPPORTED);
  });
});

describe('url', () => {
  test('is the link and nothing else', () => {
    expect(renderOffer(plain, 'url')).toBe(plain.url);
    expect(renderOffer(trial, 'url')).toBe(trial.url);
  });

  test('every format includes the link', () => {
    expect(OFFER_FORMATS).toEqual(['text', 'email', 'html', 'url']);
    for (const f of OFFER_FORMATS) expect(renderOffer(purchase(4), f)).toContain(purchase(4).url.split('&')[0]);
  });
});

describe('partnerCenterHint', () => {
  test('fewer than 100 clients: Build your business', () => {
    expect(partnerCenterHint(0)).toBe('Build your business > delegate admin offer');
    expect(partnerCenterHint(99)).toBe('Build your business > delegate admin offer');
  });

  test('100 or more clients: Partner overview', () => {
    expect(partnerCenterHint(100)).toBe('Partner overview > Send delegated administration offers');
    expect(partnerCenterHint(5000)).toBe('Partner overview > Send delegated administration offers');
  });
});
