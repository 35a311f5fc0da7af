/**
 * Offer links end to end (issue 8, points 1, 2 and 9): the Partner ID, trial
 * and purchase links from Partner Center, the shared plain link, and the GDAP
 * invitation in both its forms.
 */
import { ADMIN, expectOneLine, initPartner, runBin, sandbox, storeHash, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { MPN, partnerCenterLink, pcId } from '../helpers/links.js';

const ADMIN_URL = `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`;

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(() => sb.cleanup());

const run = (args: string[]) => runBin(args, sb.env);
async function ok(args: string[]): Promise<Result> {
  const r = await run(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}
const json = (r: Result) => JSON.parse(r.stdout);

test('init --mpn-id sets the Partner ID; partner show has it; partner set changes it', async () => {
  const init = json(await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', '--mpn-id', String(MPN), '--json']));
  expect(init).toMatchObject({ mpnId: MPN });
  expect(json(await ok(['partner', 'show', '--json']))).toMatchObject({ name: 'Fabrikam IT', mpnId: MPN });
  expect(json(await ok(['partner', 'set', '--mpn-id', '7654321', '--json']))).toMatchObject({ mpnId: 7654321 });
  const audit = json(await ok(['audit', '--action', 'partner.set', '--json']));
  expect(audit[0].detail).toBe(`mpnId: ${MPN} -> 7654321`);
});

test('changing the Partner ID names the active offers whose Partner Center links now carry another', async () => {
  await initPartner(sb, ['--certified', '--mpn-id', String(MPN)]);
  const trial = json(await ok(['offer', 'create', '--trial-url', partnerCenterLink('Trial', pcId(1)), '--json'])).id as string;
  await ok(['offer', 'create']);
  const set = await ok(['partner', 'set', '--mpn-id', '7654321']);
  expect(set.stderr).toContain(`1 active offer carries a trial or purchase link made for the old Partner ID (${trial}): acceptances of it are now refused`);
  const refused = await run(['client', 'accept', partnerCenterLink('Trial', pcId(1)), '--domain', 'contoso.com']);
  expect(refused.code).toBe(2);
  expectOneLine(refused.stderr, /msppid 1234567 is not Fabrikam IT's Partner ID 7654321/);
  expect((await ok(['partner', 'set', '--name', 'Fabrikam'])).stderr).not.toContain('active offer');
});

test('without a Partner ID, init and partner show say null, and a trial link is taken with a note to set it', async () => {
  await initPartner(sb);
  expect(json(await ok(['partner', 'show', '--json'])).mpnId).toBeNull();
  const r = await ok(['offer', 'create', '--trial-url', partnerCenterLink('Trial', pcId(1), 42), '--json']);
  expect(json(r).trial).toEqual({ url: partnerCenterLink('Trial', pcId(1), 42) });
  expect(r.stderr).toMatch(/Partner ID is not set, so the link's msppid 42 was not checked: set it with `delegate partner set --mpn-id <n>`/);
});

test('offer link and offer revoke say what the shared plain link does; a purchase offer does not take it over', async () => {
  await initPartner(sb, ['--certified', '--mpn-id', String(MPN)]);
  const plain = json(await ok(['offer', 'create', '--json'])).id as string;
  const purchase = json(await ok(['offer', 'create', '--purchase-url', partnerCenterLink('Purchase', pcId(2)), '--quantity', '10', '--json']));
  expect(purchase.purchase).toEqual({ quantity: 10, url: partnerCenterLink('Purchase', pcId(2)) });

  const link = await ok(['offer', 'link', plain]);
  expect(link.stdout).toBe(ADMIN_URL + '\n');
  expect(link.stderr).toContain(`records it against offer ${plain}`);
  // The purchase offer prints its own link, and says nothing of the shared one.
  const plink = await ok(['offer', 'link', purchase.id]);
  expect(plink.stdout).toBe(partnerCenterLink('Purchase', pcId(2)) + '\n');
  expect(plink.stderr).not.toContain('every plain offer shares');

  // After offer create --purchase-url, the plain link still records under the plain offer.
  expect(json(await ok(['client', 'accept', ADMIN_URL, '--domain', 'contoso.com', '--json'])).offerId).toBe(plain);

  const second = json(await ok(['offer', 'create', '--json'])).id as string;
  const revoked = await ok(['offer', 'revoke', second, '--yes']);
  expect(revoked.stderr).toContain(`still works: acceptances of it now count against offer ${plain}`);
  const revokedPurchase = await ok(['offer', 'revoke', purchase.id, '--yes']);
  expect(revokedPurchase.stderr).toMatch(/no longer records acceptances of its purchase link; that link was made by Partner Center/);
  // Revoked, its link is refused (exit 5), one line, nothing written.
  const before = await storeHash(sb.db);
  const again = await run(['client', 'accept', partnerCenterLink('Purchase', pcId(2)), '--domain', 'northwind.com']);
  expect(again.code).toBe(5);
  expectOneLine(again.stderr, /revoked/);
  expect(await storeHash(sb.db)).toBe(before);
  const last = await ok(['offer', 'revoke', plain, '--yes']);
  expect(last.stderr).toContain('No offer is active now, so the delegated admin link can no longer be accepted.');
});

test('offer link without an id: the plain admin link, never a trial or purchase link made after it; exit 5 when none is active', async () => {
  await initPartner(sb, ['--certified', '--mpn-id', String(MPN)]);
  // No offer yet: exit 5 (the state), one line naming offer create, nothing written.
  let before = await storeHash(sb.db);
  const none = await run(['offer', 'link']);
  expect(none.code).toBe(5);
  expect(none.stdout).toBe('');
  expectOneLine(none.stderr, /^Error: No offer is active that the delegated admin link counts against: create one with `delegate offer create`\n$/);
  expect(await storeHash(sb.db)).toBe(before);

  const plain = json(await ok(['offer', 'create', '--json'])).id as string;
  // The README's step 3 then step 4: a trial made after the plain offer does not take the link over.
  const trial = json(await ok(['offer', 'create', '--trial-url', partnerCenterLink('Trial', pcId(1)), '--json'])).id as string;
  const link = await ok(['offer', 'link']);
  expect(link.stdout).toBe(ADMIN_URL + '\n');
  expect(link.stderr).toContain(`records it against offer ${plain}.`);
  expect(json(await ok(['offer', 'link', '--json']))).toMatchObject({ id: plain, url: ADMIN_URL });
  expect((await ok(['offer', 'link', '--text'])).stdout).not.toContain('signup');
  expect(json(await ok(['client', 'accept', link.stdout.trim(), '--domain', 'contoso.com', '--json'])).offerId).toBe(plain);

  // With only the trial offer active, the admin link counts against it: still the plain link, saying so.
  await ok(['offer', 'revoke', plain, '--yes']);
  const only = await ok(['offer', 'link']);
  expect(only.stdout).toBe(ADMIN_URL + '\n');
  expect(only.stderr).toContain(`records it against offer ${trial}, a trial offer, as no plain offer is active; its trial link: \`delegate offer link ${trial}\`.`);
  const text = (await ok(['offer', 'link', '--text'])).stdout;
  expect(text).toContain(ADMIN_URL);
  expect(text).not.toContain(partnerCenterLink('Trial', pcId(1)));
  expect((await ok(['offer', 'link', trial])).stdout).toBe(partnerCenterLink('Trial', pcId(1)) + '\n');

  // A granular offer alone is not one the admin link counts against: exit 5.
  await ok(['offer', 'revoke', trial, '--yes']);
  await ok(['offer', 'create', '--granular', '--roles', 'Global Reader']);
  before = await storeHash(sb.db);
  expect((await run(['offer', 'link'])).code).toBe(5);
  expect(await storeHash(sb.db)).toBe(before);
});

test('a GDAP invitation is accepted in the admin.cloud.microsoft form too', async () => {
  await initPartner(sb, ['--certified', '--mpn-id', String(MPN)]);
  const offer = json(await ok(['offer', 'create', '--granular', '--roles', 'Global Reader', '--name', 'Contoso read', '--json']));
  const rel = offer.granular.relationshipId as string;
  expect(offer.url).toBe(`https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/${rel}`);
  const cloudForm = `https://admin.cloud.microsoft/?#/partners/invitation/granularAdminRelationships/${rel}`;
  const c = json(await ok(['client', 'accept', cloudForm, '--domain', 'contoso.com', '--json']));
  expect(c).toMatchObject({ domain: 'contoso.com', offerId: offer.id, granular: { relationshipId: rel, status: 'active' } });
});

test.each([
  ['a user name before the host', (u: string) => u.replace('https://', 'https://evil.com@'), /user name or password/],
  ['a password', (u: string) => u.replace('https://', 'https://a:b@'), /user name or password/],
  ['a port', (u: string) => u.replace(/^https:\/\/([^/?#]+)/, 'https://$1:8443'), /port/],
  ['http', (u: string) => u.replace('https:', 'http:'), /https:\/\//],
])('a GDAP link with %s is exit 2, one line, nothing written', async (_what, bend, message) => {
  await initPartner(sb);
  const offer = json(await ok(['offer', 'create', '--granular', '--roles', 'Global Reader', '--json']));
  const before = await storeHash(sb.db);
  for (const url of [offer.url as string, `https://admin.cloud.microsoft/?#/partners/invitation/granularAdminRelationships/${offer.granular.relationshipId}`]) {
    const r = await run(['client', 'accept', bend(url), '--domain', 'contoso.com']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, message);
  }
  expect(await storeHash(sb.db)).toBe(before);
});
