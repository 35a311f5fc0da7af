/**
 * Migration 5 (a client holds its DAP relationship and any number of granular ones) carries a
 * store written with the previous schema over: every client keeps its relationships and history.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { clientSummary } from '../../src/domain/relationship/relationships.js';

/** The index of the migration under test: the one that gives clients their DAP columns. */
const MINE = MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN dap_offer_id'));

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'delegate-migration-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const PLAIN = 'aaaaaaaa-0000-4000-8000-000000000001';
const G1 = 'aaaaaaaa-0000-4000-8000-000000000002';
const G2 = 'aaaaaaaa-0000-4000-8000-000000000003';
const G3 = 'aaaaaaaa-0000-4000-8000-000000000004';
const REL = (n: number) => `bbbbbbbb-0000-4000-8000-00000000000${n}-cccccccc-0000-4000-8000-00000000000${n}`;
const t = (day: number) => new Date(Date.UTC(2026, 0, 1) + day * 86_400_000).toISOString();

/** A store as the previous delegate wrote it: the old clients table (status, removed_at, one offer each). */
function previousStore(path: string): void {
  const db = new Database(path);
  for (let v = 0; v < MINE; v++) db.exec(MIGRATIONS[v]!);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma(`user_version = ${MINE}`);
  db.exec(`
    INSERT INTO partner (id, name, tenant_id, cloud, certified, created_at) VALUES (1, 'Fabrikam', '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', 'global', 1, '${t(0)}');
    INSERT INTO users (email, name, org_role, admin_access, created_at) VALUES ('ada@fabrikam.com', 'Ada', 'global-admin', 'full', '${t(0)}');
    INSERT INTO offers (id, kind, status, created_at, created_by) VALUES
      ('${PLAIN}', 'plain', 'active', '${t(0)}', 'ada@fabrikam.com'),
      ('${G1}', 'granular', 'active', '${t(0)}', 'ada@fabrikam.com'),
      ('${G2}', 'granular', 'active', '${t(0)}', 'ada@fabrikam.com'),
      ('${G3}', 'granular', 'active', '${t(0)}', 'ada@fabrikam.com');
    -- dap.com: an active DAP client; gone.com: a removed one
    INSERT INTO clients (domain, name, tenant_id, status, offer_id, accepted_at, removed_at) VALUES
      ('dap.com', 'Dap', NULL, 'active', '${PLAIN}', '${t(1)}', NULL),
      ('gone.com', 'Gone', NULL, 'removed', '${PLAIN}', '${t(1)}', '${t(2)}'),
      -- moved.com: DAP, removed on day 3, then approved granular G1 on day 4 (the old row names only G1)
      ('moved.com', 'Moved', NULL, 'active', '${G1}', '${t(4)}', NULL),
      -- again.com: granular G2 expired, then granular G3 accepted (terminated on day 9)
      ('again.com', 'Again', NULL, 'removed', '${G3}', '${t(7)}', '${t(9)}');
    INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) VALUES
      ('${PLAIN}', 'dap.com', '${t(1)}', 'ada@fabrikam.com'),
      ('${PLAIN}', 'gone.com', '${t(1)}', 'ada@fabrikam.com'),
      ('${PLAIN}', 'moved.com', '${t(1)}', 'ada@fabrikam.com'),
      ('${G1}', 'moved.com', '${t(4)}', 'ada@fabrikam.com'),
      ('${G2}', 'again.com', '${t(1)}', 'ada@fabrikam.com'),
      ('${G3}', 'again.com', '${t(7)}', 'ada@fabrikam.com');
    INSERT INTO audit (seq, at, actor, action, target, outcome, detail, hash) VALUES
      (1, '${t(2)}', 'ada@fabrikam.com', 'client.remove', 'gone.com', 'allowed', '', 'h1'),
      (2, '${t(3)}', 'ada@fabrikam.com', 'client.remove', 'moved.com', 'allowed', '', 'h2');
    INSERT INTO relationships (id, offer_id, display_name, duration, auto_extend, roles, status, created_at, activated_at, ends_at, terminated_at, client_domain, template) VALUES
      ('${REL(1)}', '${G1}', 'Moved GDAP', 'P730D', 'PT0S', '["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]', 'active', '${t(0)}', '${t(4)}', '${t(734)}', NULL, 'moved.com', NULL),
      ('${REL(2)}', '${G2}', 'Again 1', 'P5D', 'PT0S', '["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]', 'active', '${t(0)}', '${t(1)}', '${t(6)}', NULL, 'again.com', NULL),
      ('${REL(3)}', '${G3}', 'Again 2', 'P730D', 'PT0S', '["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]', 'terminated', '${t(0)}', '${t(7)}', '${t(737)}', '${t(9)}', 'again.com', NULL);
  `);
  db.close();
}

test('a store from the previous schema: each client keeps its DAP relationship, granular relationships and history', async () => {
  expect(MINE).toBeGreaterThan(0);
  const path = join(dir, 'delegate.db');
  previousStore(path);
  const s = SqliteStore.open(path, { create: false });
  try {
    expect(s.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    const clients = new Map((await s.read((tx) => tx.listClients({}))).map((c) => [c.domain, c]));
    const now = new Date(t(20));
    const at = (d: string) => clientSummary(clients.get(d)!, now);

    expect(clients.get('dap.com')).toEqual({ domain: 'dap.com', name: 'Dap', tenantId: null, offerId: PLAIN, acceptedAt: t(1), dap: { offerId: PLAIN, acceptedAt: t(1), removedAt: null }, gdap: [] });
    expect(at('dap.com')).toEqual({ status: 'active', removedAt: null });

    expect(clients.get('gone.com')!.dap).toEqual({ offerId: PLAIN, acceptedAt: t(1), removedAt: t(2) });
    expect(at('gone.com')).toEqual({ status: 'removed', removedAt: t(2) });

    // The DAP relationship the old row had lost comes back from the acceptances, removed when its audit entry says.
    const moved = clients.get('moved.com')!;
    expect(moved).toMatchObject({ offerId: G1, acceptedAt: t(4), dap: { offerId: PLAIN, acceptedAt: t(1), removedAt: t(3) } });
    expect(moved.gdap.map((r) => [r.displayName, r.status])).toEqual([['Moved GDAP', 'active']]);
    expect(at('moved.com')).toEqual({ status: 'active', removedAt: null });

    const again = clients.get('again.com')!;
    expect(again.dap).toBeNull();
    expect(again.gdap.map((r) => r.displayName)).toEqual(['Again 1', 'Again 2']);
    expect(at('again.com')).toEqual({ status: 'terminated', removedAt: t(9) });

    // getClient agrees with the list, and the old columns are gone.
    expect(await s.read((tx) => tx.getClient('moved.com'))).toEqual(moved);
    const cols = (s.db.prepare('PRAGMA table_info(clients)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).not.toContain('status');
    expect(cols).not.toContain('removed_at');
    expect(await s.read((tx) => tx.countActiveClients(now.toISOString()))).toBe(2);
  } finally {
    await s.close();
  }
});

test('an empty store from the previous schema migrates too', async () => {
  const path = join(dir, 'delegate.db');
  const db = new Database(path);
  for (let v = 0; v < MINE; v++) db.exec(MIGRATIONS[v]!);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma(`user_version = ${MINE}`);
  db.close();
  const s = SqliteStore.open(path, { create: false });
  try {
    expect(s.db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(await s.read((tx) => tx.listClients({}))).toEqual([]);
  } finally {
    await s.close();
  }
});
