/**
 * The migration that gives client domains their verified flag: a store
 * written before it opens with its accepted and initial domains verified and
 * the domains added back then unverified (nothing recorded that their DNS
 * records were ever checked).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'delegate-migration-test-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2026-01-01T00:00:00.000Z';

test('accepted and initial domains become verified, added ones unverified; users and other rows are untouched', async () => {
  const mine = MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN verified'));
  expect(mine).toBeGreaterThan(0);
  const path = join(dir, 'old.db');
  const raw = new Database(path);
  for (let v = 0; v < mine; v++) raw.exec(MIGRATIONS[v]!);
  raw.pragma(`application_id = ${APPLICATION_ID}`);
  raw.pragma(`user_version = ${mine}`);
  raw.exec(`
    INSERT INTO offers (id, kind, status, created_at, created_by) VALUES ('o1', 'plain', 'active', '${AT}', 'ada@fabrikam.com');
    INSERT INTO clients (domain, name, status, offer_id, accepted_at) VALUES ('contoso.com', 'Contoso', 'active', 'o1', '${AT}');
    INSERT INTO client_domains (client_domain, name, is_initial, added_at) VALUES
      ('contoso.com', 'contoso.com', 0, '${AT}'),
      ('contoso.com', 'contoso.onmicrosoft.com', 1, '${AT}'),
      ('contoso.com', 'contoso.org', 0, '2026-01-02T00:00:00.000Z');
    INSERT INTO client_users (client_domain, upn, name, is_admin, created_at) VALUES ('contoso.com', 'sales@contoso.org', 'Sales', 0, '${AT}');
  `);
  raw.close();

  const store = SqliteStore.open(path, { create: false });
  try {
    expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    const { domains, users } = await store.read(async (tx) => ({ domains: await tx.listClientDomains('contoso.com'), users: await tx.listClientUsers('contoso.com') }));
    expect(domains.map((d) => [d.name, d.isInitial, d.verified])).toEqual([
      ['contoso.onmicrosoft.com', true, true],
      ['contoso.com', false, true],
      ['contoso.org', false, false],
    ]);
    // A user already on a domain that is now unverified stays as it was.
    expect(users.map((u) => u.upn)).toEqual(['sales@contoso.org']);
    // The column refuses anything but 0 and 1.
    expect(() => store.db.exec("UPDATE client_domains SET verified = 2 WHERE name = 'contoso.org'")).toThrow(/CHECK constraint/);
  } finally {
    await store.close();
  }
});
