/**
 * A store written before trial and purchase links came from Partner Center
 * keeps working: the migration keeps its offers (ids, products, quantities,
 * status, acceptances) and drops their made-up links, which were never stored
 * and never worked at Microsoft. The old store is built here with the old
 * migrations' SQL, as the previous delegate left it.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { listOffers } from '../../src/domain/offer/offers.js';
import { fixedClock } from '../../src/domain/core/clock.js';
import { showPartner } from '../../src/domain/partner/partner.js';
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ADMIN, expectOneLine, runBin, sandbox, storeHash, TENANT, type Sandbox } from '../helpers/cli.js';
import { MPN, partnerCenterLink, pcId } from '../helpers/links.js';

/** The migration that brought Partner Center links; the store is built with every one before it. */
const LINKS = MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN mpn_id'));
const ADMIN_URL = `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`;
const ID = {
  plain: '10000000-0000-4000-8000-000000000001',
  trial: '10000000-0000-4000-8000-000000000002',
  purchase: '10000000-0000-4000-8000-000000000003',
  revokedTrial: '10000000-0000-4000-8000-000000000004',
};
/** The link the previous delegate printed for the trial offer: its own offer id, and the tenant id as msppid. */
const MADE_UP = `https://portal.office.com/partner/partnersignup.aspx?type=Trial&id=${ID.trial}&msppid=${TENANT}`;
const OLD_OFFERS = [
  [ID.plain, 'plain', null, null, 'active', '2026-01-01T00:00:01.000Z', null],
  [ID.trial, 'trial', 'Microsoft 365 Business Premium', null, 'active', '2026-01-01T00:00:02.000Z', null],
  [ID.purchase, 'purchase', 'Microsoft 365 E3', 25, 'active', '2026-01-01T00:00:03.000Z', null],
  [ID.revokedTrial, 'trial', 'Office 365 E1', null, 'revoked', '2026-01-01T00:00:04.000Z', '2026-01-02T00:00:00.000Z'],
] as const;

/** A store exactly as the previous schema left it, with offers of every old kind and their acceptances. */
function oldStore(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  for (const [v, sql] of MIGRATIONS.slice(0, LINKS).entries()) {
    db.exec(sql);
    if (v === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
  }
  db.pragma(`user_version = ${LINKS}`);
  const at = '2026-01-01T00:00:00.000Z';
  db.prepare('INSERT INTO partner (id, name, tenant_id, cloud, certified, created_at) VALUES (1, ?, ?, ?, 1, ?)').run('Fabrikam IT', TENANT, 'global', at);
  db.prepare("INSERT INTO users (email, name, org_role, admin_access, created_at) VALUES (?, 'Ada', 'global-admin', 'full', ?)").run(ADMIN, at);
  const offer = db.prepare('INSERT INTO offers (id, kind, product, quantity, status, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const [id, kind, product, quantity, status, created, revoked] of OLD_OFFERS) offer.run(id, kind, product, quantity, status, created, ADMIN, revoked);
  const client = db.prepare("INSERT INTO clients (domain, name, tenant_id, status, offer_id, accepted_at, removed_at) VALUES (?, ?, NULL, 'active', ?, ?, NULL)");
  const acceptance = db.prepare('INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) VALUES (?, ?, ?, ?)');
  for (const [domain, offerId] of [
    ['contoso.com', ID.trial],
    ['northwind.com', ID.purchase],
    ['adatum.com', ID.revokedTrial],
  ] as const) {
    client.run(domain, domain, offerId, at);
    acceptance.run(offerId, domain, at, ADMIN);
  }
  db.close();
}

const offersAsStored = (path: string) => {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return {
      offers: db.prepare('SELECT id, kind, product, quantity, status, created_at, created_by, revoked_at FROM offers ORDER BY seq').all(),
      acceptances: db.prepare('SELECT offer_id, client_domain, at, recorded_by FROM acceptances ORDER BY id').all(),
    };
  } finally {
    db.close();
  }
};

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
  oldStore(sb.db);
});
afterEach(() => sb.cleanup());

const run = (args: string[]) => runBin(['--db', sb.db, ...args], sb.env);
async function ok(args: string[]) {
  const r = await run(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

test('the old store is built at the version just before the links migration', () => {
  expect(LINKS).toBeGreaterThanOrEqual(4);
  expect(LATEST_VERSION).toBeGreaterThan(LINKS);
});

test('old offers keep their ids, products, quantities, status and acceptances; their made-up links are gone', async () => {
  const before = offersAsStored(sb.db);
  const store = SqliteStore.open(sb.db, { create: false });
  try {
    const s = { store, clock: fixedClock(new Date('2026-02-01T00:00:00.000Z')) };
    expect((await showPartner(s)).mpnId).toBeNull();
    const records = await store.read((tx) => tx.listOffers({ all: true }));
    expect(records.map((o) => [o.id, o.kind, o.product, o.quantity, o.status, o.link, o.linkId, o.acceptedCount])).toEqual([
      [ID.plain, 'plain', null, null, 'active', null, null, 0],
      [ID.trial, 'trial', 'Microsoft 365 Business Premium', null, 'active', null, null, 1],
      [ID.purchase, 'purchase', 'Microsoft 365 E3', 25, 'active', null, null, 1],
      [ID.revokedTrial, 'trial', 'Office 365 E1', null, 'revoked', null, null, 1],
    ]);
    const [, trial, purchase] = await listOffers(s, { all: true });
    // Shown as the plain offer they now are: the shared admin link, no trial in the text; marked by url null.
    expect(trial).toMatchObject({ id: ID.trial, url: ADMIN_URL, trial: { product: 'Microsoft 365 Business Premium', url: null }, acceptedCount: 1 });
    expect(trial!.text).toContain(ADMIN_URL);
    expect(trial!.text).not.toMatch(/trial|Business Premium/);
    expect(purchase).toMatchObject({ url: ADMIN_URL, purchase: { product: 'Microsoft 365 E3', quantity: 25, url: null } });
  } finally {
    await store.close();
  }
  expect(offersAsStored(sb.db)).toEqual(before);
});

test('through the CLI: listed and shown as dropped, accepted by id, the old link refused saying why', async () => {
  const list = await ok(['offer', 'list', '--all', '--json']);
  const offers = JSON.parse(list.stdout) as { id: string; url: string; trial?: { url: string | null }; status: string; acceptedCount: number }[];
  expect(offers.map((o) => [o.id, o.status, o.acceptedCount, o.url])).toEqual([
    [ID.plain, 'active', 0, ADMIN_URL],
    [ID.trial, 'active', 1, ADMIN_URL],
    [ID.purchase, 'active', 1, ADMIN_URL],
    [ID.revokedTrial, 'revoked', 1, ADMIN_URL],
  ]);
  const plain = await ok(['offer', 'list', '--all', '--output', 'plain']);
  expect(plain.stdout.split('\n')[1]!.split('\t')[2]).toBe('trial: Microsoft 365 Business Premium (link dropped: made up by an older delegate)');
  expect((await ok(['partner', 'show', '--json'])).stdout).toContain('"mpnId": null');

  const link = await ok(['offer', 'link', ID.trial]);
  expect(link.stdout).toBe(ADMIN_URL + '\n');
  expect(link.stderr).toMatch(/made up and never worked at Microsoft; it was dropped/);
  expect(link.stderr).toContain('--trial-url');

  // The link the previous delegate printed is refused: exit 2, one line, nothing written.
  const before = await storeHash(sb.db);
  const old = await run(['client', 'accept', MADE_UP, '--domain', 'fourthcoffee.com']);
  expect(old.code).toBe(2);
  expectOneLine(old.stderr, /never worked at Microsoft/);
  expect(await storeHash(sb.db)).toBe(before);

  // By id, an old trial offer is still accepted; the admin link goes to the plain offer.
  const byId = JSON.parse((await ok(['client', 'accept', ID.trial, '--domain', 'fourthcoffee.com', '--json'])).stdout);
  expect(byId.offerId).toBe(ID.trial);
  const byLink = JSON.parse((await ok(['client', 'accept', ADMIN_URL, '--domain', 'tailspintoys.com', '--json'])).stdout);
  expect(byLink.offerId).toBe(ID.plain);

  // Revoking an old trial offer speaks of the shared admin link it now shows.
  const revoked = await ok(['offer', 'revoke', ID.trial, '--yes']);
  expect(revoked.stderr).toMatch(new RegExp(`still works: acceptances of it now count against offer ${ID.plain}`));

  // A new trial offer with the link Partner Center made, once the Partner ID is set.
  await ok(['partner', 'set', '--mpn-id', String(MPN)]);
  const made = JSON.parse((await ok(['offer', 'create', '--trial-url', partnerCenterLink('Trial', pcId(1)), '--trial', 'Microsoft 365 Business Premium', '--json'])).stdout);
  expect(made.trial).toEqual({ product: 'Microsoft 365 Business Premium', url: partnerCenterLink('Trial', pcId(1)) });
});
