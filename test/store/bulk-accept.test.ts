/**
 * `client accept --file` writes a chunk of clients with a few statements per table, not a few
 * statements per client (docs/performance.md), and chooses the same initial domains as accepting
 * the clients one by one would. Checked by what the store is asked and what it holds, not by timing.
 */
import { allocateInitialDomain } from '../../src/domain/client/initial-domains.js';
import { acceptOffer } from '../../src/domain/client/clients.js';
import { fixedClock } from '../../src/domain/core/clock.js';
import { createOffer } from '../../src/domain/offer/offers.js';
import { initPartner } from '../../src/domain/partner/partner.js';
import type { SourceRow } from '../../src/domain/core/bulk.js';
import type { Session } from '../../src/domain/core/session.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { countingSession } from '../helpers/domain.js';

const T0 = new Date('2026-01-15T10:00:00.000Z');
const ADMIN = 'ada@fabrikam.com';

let store: SqliteStore;
let offerId: string;
beforeEach(async () => {
  store = SqliteStore.open(':memory:', { create: true });
  const s: Session = { store, clock: fixedClock(T0) };
  await initPartner(s, { name: 'Fabrikam', tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', cloud: 'global', certified: true, mpnId: 1234567, adminEmail: ADMIN, adminName: 'Ada' });
  offerId = (await createOffer(s, { format: 'text' })).offer.id;
});
afterEach(() => store.close());

/** A session on the store whose Tx calls are counted by name, and every statement the store runs. */
function counted(): { session: Session; calls: Map<string, number>; statements: () => number } {
  // Every statement the SQLite store runs comes from stmt() or multiRow(): count their runs.
  let runs = 0;
  const counting = <S extends object>(st: S): S =>
    new Proxy(st, {
      get(target, key) {
        const v = Reflect.get(target, key, target) as unknown;
        if (typeof v !== 'function') return v;
        if (key === 'run' || key === 'all' || key === 'get' || key === 'iterate') {
          return (...args: unknown[]) => {
            runs++;
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (...args: unknown[]) => {
          const r = (v as (...a: unknown[]) => unknown).apply(target, args);
          return r === target ? counting(target) : r;
        };
      },
    });
  const stmt = store.stmt.bind(store);
  const multiRow = store.multiRow.bind(store);
  store.stmt = (sql) => counting(stmt(sql));
  store.multiRow = (...a) => counting(multiRow(...a));
  return { ...countingSession(store, fixedClock(T0)), statements: () => runs };
}

const rows = (domains: readonly string[]): SourceRow[] => domains.map((domain, i) => ({ line: i + 2, fields: { domain, name: `Client ${i}` } }));

test('a file of 2,500 new clients: each table written a few statements a chunk, no statement a client', async () => {
  const domains = Array.from({ length: 2500 }, (_, i) => `client${i}.example.com`);
  const { session, calls, statements } = counted();
  const accepted = await acceptOffer(session, offerId, rows(domains), { source: 'clients.csv' });
  expect(accepted).toHaveLength(2500);
  // Three chunks: one look-up and one write of each kind per chunk.
  for (const m of ['getClients', 'upsertClients', 'recordAcceptances', 'insertClientDomains', 'insertNotifications', 'takenDomainNames']) expect(calls.get(m)).toBe(3);
  for (const m of ['upsertClient', 'recordAcceptance', 'insertNotification', 'domainOwners', 'listClientDomains']) expect(calls.get(m)).toBeUndefined();
  // What the store ran, whatever the Tx methods do inside: far fewer statements than clients.
  expect(statements()).toBeLessThan(200);
  const n = (sql: string) => (store.db.prepare(sql).pluck().get() as number);
  expect(n('SELECT count(*) FROM clients')).toBe(2500);
  expect(n('SELECT count(*) FROM acceptances')).toBe(2500);
  expect(n('SELECT count(*) FROM client_domains')).toBe(5000);
  expect(n('SELECT count(*) FROM notifications')).toBe(2500);
  // Notifications are numbered in the file's order.
  const order = store.db.prepare('SELECT client_domain FROM notifications ORDER BY id').pluck().all();
  expect(order).toEqual(domains);
});

test('initial domains are chosen as if the clients accepted one by one, within a chunk and across chunks, keeping a known one', async () => {
  // In the ledger first: contoso.com (contoso.onmicrosoft.com), and fabrikam.com, removed so that it can accept again.
  await acceptOffer({ store, clock: fixedClock(T0) }, offerId, rows(['contoso.com', 'fabrikam.com']), { source: 'first.csv' });
  store.db.prepare("UPDATE clients SET dap_removed_at = ? WHERE domain = 'fabrikam.com'").run(T0.toISOString());
  const labels = ['contoso', 'fabrikam', 'contoso1', 'northwind', 'x'];
  // 2,300 clients (three chunks) whose labels collide, a name that is another's numbered initial domain,
  // and fabrikam.com again (it keeps fabrikam.onmicrosoft.com).
  const domains = [...Array.from({ length: 2300 }, (_, i) => `${labels[i % labels.length]}.d${i}.example.com`), 'fabrikam.com', 'contoso11.example.org', 'x1.example.net'];
  await acceptOffer({ store, clock: fixedClock(T0) }, offerId, rows(domains), { source: 'clients.csv' });

  // The rule applied one client after another, on the names taken so far.
  const taken = new Set(['contoso.com', 'contoso.onmicrosoft.com', 'fabrikam.com', 'fabrikam.onmicrosoft.com']);
  const want = new Map<string, string>([['fabrikam.com', 'fabrikam.onmicrosoft.com']]);
  for (const d of domains) {
    if (d === 'fabrikam.com') continue;
    const initial = await allocateInitialDomain(async (name) => taken.has(name), 'global', d);
    taken.add(d).add(initial);
    want.set(d, initial);
  }
  const got = new Map(
    (store.db.prepare('SELECT client_domain, name FROM client_domains WHERE is_initial = 1').raw(true).all() as [string, string][]).filter(([d]) => d !== 'contoso.com'),
  );
  expect(got).toEqual(want);
  expect(got.get('contoso.d0.example.com')).toBe('contoso1.onmicrosoft.com');
  expect(got.get('contoso11.example.org')).not.toBe(got.get('contoso1.d2.example.com'));
});
