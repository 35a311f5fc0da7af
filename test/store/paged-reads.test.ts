/**
 * Lists are read a page at a time (docs/performance.md): each page is one
 * query, filters run in the store's query, and nothing reads the whole table
 * first. Checked by what the store is asked, not by timing.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { listClients, storeClientFilter } from '../../src/domain/client/clients.js';
import { eachAuditChunk } from '../../src/domain/core/audit.js';
import { eachDriftChunk } from '../../src/domain/client/drift.js';
import { eachInboxChunk } from '../../src/domain/partner/inbox.js';
import { eachOfferChunk, eachOfferLineChunk } from '../../src/domain/offer/offers.js';
import { bothOfferLists } from '../helpers/offer-lines.js';
import { clientStatus, expiring } from '../../src/domain/relationship/relationships.js';
import type { ClientRecord, OfferRecord, Relationship } from '../../src/domain/core/model.js';
import type { Store } from '../../src/domain/core/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { countingSession, PARTNER } from '../helpers/domain.js';
import { Printed, renderListStream } from '../../src/cli/render.js';
import { clientView } from '../../src/cli/views.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const day = (n: number) => new Date(NOW.getTime() + n * 86_400_000).toISOString();

function offer(kind: OfferRecord['kind'], i: number): OfferRecord {
  return { id: `${kind}-${String(i).padStart(6, '0')}-${randomUUID()}`, kind, product: null, quantity: null, link: null, linkId: null, status: 'active', createdAt: day(-100), createdBy: 'ada@fabrikam.com', revokedAt: null, acceptedCount: 0 };
}

function relationship(o: OfferRecord, i: number, over: Partial<Relationship> = {}): Relationship {
  return {
    id: `rel-${i}`,
    offerId: o.id,
    displayName: `Relationship ${i}`,
    duration: 'P730D',
    autoExtendDuration: 'PT0S',
    roles: ['62e90394-69f5-4237-9190-012177145e10'],
    status: 'active',
    createdAt: day(-100),
    activatedAt: day(-90),
    endsAt: day(30),
    terminatedAt: null,
    clientDomain: null,
    template: null,
    ...over,
  };
}

/** A store whose every Tx call is counted by name. */
const counted = (store: Store) => countingSession(store, { now: () => new Date(NOW) });

let store: SqliteStore;
beforeEach(async () => {
  store = SqliteStore.open(':memory:', { create: true });
  await store.write(async (tx) => {
    await tx.insertPartner(PARTNER);
    await tx.insertUsers([{ email: 'ada@fabrikam.com', name: 'Ada', orgRole: 'global-admin', adminAccess: 'full', createdAt: PARTNER.createdAt }]);
  });
});
afterEach(() => store.close());

test('offer list: one store read a page, the granular relationship joined in; no query per offer', async () => {
  await store.write(async (tx) => {
    for (let i = 0; i < 4500; i++) {
      const o = offer(i % 3 ? 'granular' : 'plain', i);
      await tx.insertOffer(o);
      if (o.kind === 'granular') await tx.insertRelationship(relationship(o, i, { status: 'approvalPending', activatedAt: null, endsAt: null }));
    }
  });
  const { session, calls } = counted(store);
  const pages: number[] = [];
  let granular = 0;
  await eachOfferChunk(session, { all: false }, (chunk) => {
    pages.push(chunk.length);
    granular += chunk.filter((o) => o.granular?.displayName.startsWith('Relationship ')).length;
  });
  expect(pages).toEqual([2000, 2000, 500]);
  expect(granular).toBe(3000);
  expect(calls.get('offerChunks')).toBe(1);
  expect(calls.get('relationshipByOffer')).toBeUndefined();
  expect(calls.get('listOffers')).toBeUndefined();
});

test('offer list, piped: one query a page, the lines made in it; no query per offer and no record read for a printable offer', async () => {
  await store.write(async (tx) => {
    for (let i = 0; i < 4500; i++) {
      const o = offer('granular', i);
      await tx.insertOffer(o);
      await tx.insertRelationship(relationship(o, i, i % 2 ? { status: 'approvalPending', activatedAt: null, endsAt: null, createdAt: day(-10) } : {}));
    }
  });
  // Every statement the store runs while listing, counted at the driver's door.
  const ran: string[] = [];
  const stmt = store.stmt.bind(store);
  store.stmt = (sql: string) => {
    const st = stmt(sql);
    const counted: typeof st = new Proxy(st, {
      get(target, key) {
        const v = Reflect.get(target, key, target) as unknown;
        if (typeof v !== 'function') return v;
        const f = v as (...a: unknown[]) => unknown;
        if (key === 'all' || key === 'get' || key === 'run' || key === 'iterate') return (...args: unknown[]) => (ran.push(sql), f.apply(target, args));
        // raw(), pluck() and the like return the statement itself: hand back the counted one.
        return (...args: unknown[]) => {
          const r = f.apply(target, args);
          return r === target ? counted : r;
        };
      },
    });
    return counted;
  };
  const pages: number[] = [];
  let lines = 0;
  await eachOfferLineChunk({ store, clock: { now: () => new Date(NOW) } }, { all: false }, (chunk) => {
    pages.push(chunk.length);
    lines += chunk.filter((x) => typeof x === 'string').length;
  });
  expect(pages).toEqual([2000, 2000, 500]);
  expect(lines).toBe(4500);
  expect(ran.filter((sql) => /\bFROM offers\b/.test(sql))).toHaveLength(3);
  expect(ran.filter((sql) => /\brelationships\b/.test(sql) && !/\bFROM offers\b/.test(sql))).toEqual([]);
});

test('offerLines: what the store prints itself is what the renderer prints from the records, for any offer at any time', async () => {
  // Times near the rules' edges (a pending offer's 90 days, an active one's end), in the forms a store holds.
  const near = fc.oneof(fc.constantFrom(0, 1, -1, 999, -999, 1000, -1000, 86_400_000, -86_400_000), fc.integer({ min: -400, max: 400 }).map((d) => d * 86_400_000));
  const times = (base: number) =>
    near.chain((ms) => {
      const iso = new Date(base + ms).toISOString();
      return fc.constantFrom(iso, iso.replace(/\.\d{3}Z$/, 'Z'), iso.replace('Z', '0000Z'), iso.slice(0, 10));
    });
  const names = fc.oneof(fc.constantFrom('Contoso helpdesk', 'tab\there', 'back\\slash', 'Zoë', '日本', '\u202eevil', 'new\nline', 'a "b", =c'), fc.string({ minLength: 1, maxLength: 10 }));
  const ids = fc.oneof(fc.uuid(), fc.constantFrom('a/b', 'x y', "ok-_.!~*'()", 'é'));
  const msStatus = fc.option(fc.constantFrom('created', 'approvalPending', 'approved', 'activating', 'active', 'expiring', 'expired', 'terminationRequested', 'terminating', 'terminated', 'bogus'), { nil: undefined });
  const rel = fc.record({
    status: fc.constantFrom('approvalPending', 'active', 'terminated'),
    autoExtend: fc.boolean(),
    createdAt: times(NOW.getTime() - 90 * 86_400_000),
    endsAt: times(NOW.getTime()),
    msStatus,
    name: names,
    id: ids,
  });
  const spec = fc.record({ granular: fc.option(rel, { nil: undefined }), revoked: fc.boolean() });
  let printedInAll = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 12 }), near, fc.boolean(), async (specs, shift, all) => {
      const s = SqliteStore.open(':memory:', { create: true });
      try {
        await s.write(async (tx) => {
          await tx.insertPartner(PARTNER);
          for (const [i, x] of specs.entries()) {
            const o = { ...offer(x.granular ? 'granular' : 'plain', i), ...(x.revoked ? { status: 'revoked' as const, revokedAt: day(-1) } : {}) };
            await tx.insertOffer(o);
            const g = x.granular;
            if (g) {
              await tx.insertRelationship(
                relationship(o, i, {
                  id: `${g.id}${i}`,
                  displayName: `${g.name} ${i}`,
                  status: g.status,
                  autoExtendDuration: g.autoExtend ? 'P180D' : 'PT0S',
                  createdAt: g.createdAt,
                  activatedAt: g.status === 'approvalPending' ? null : g.createdAt,
                  endsAt: g.status === 'approvalPending' ? null : g.endsAt,
                  terminatedAt: g.status === 'terminated' ? g.endsAt : null,
                  ...(g.msStatus ? { msStatus: g.msStatus } : {}),
                }),
              );
            }
          }
        });
        const now = new Date(NOW.getTime() + shift);
        const { fromStore, fromRecords, printed } = await bothOfferLists(s, PARTNER, now, { all }, 5);
        expect(fromStore).toBe(fromRecords);
        printedInAll += printed;
      } finally {
        await s.close();
      }
    }),
    { numRuns: 200 },
  );
  // The store printed many of them itself (else the property says little).
  expect(printedInAll).toBeGreaterThan(100);
});

test('audit and inbox are read in pages, handed on before the next page is read', async () => {
  await store.write(async (tx) => {
    for (let i = 1; i <= 4100; i++) {
      await tx.insertAudit({ seq: i, at: day(-1), actor: 'ada@fabrikam.com', action: i % 2 ? 'offer.create' : 'client.accept', target: `t${i}`, outcome: 'allowed', detail: '', hash: 'h' });
      await tx.insertNotification({ at: day(-1), kind: 'offer.accepted', clientDomain: null, offerId: null, message: `m${i}`, readAt: i % 2 ? null : day(-1) });
    }
  });
  const sizes: number[] = [];
  let seqs: number[] = [];
  await eachAuditChunk(store, { action: 'offer' }, (chunk) => {
    sizes.push(chunk.length);
    seqs = seqs.concat(chunk.map((e) => e.seq));
  });
  expect(sizes).toEqual([2000, 50]);
  expect(seqs).toEqual(Array.from({ length: 2050 }, (_, i) => 2 * i + 1));
  const inbox: number[] = [];
  await eachInboxChunk({ store, clock: { now: () => NOW } }, { unreadOnly: false }, (chunk) => void inbox.push(chunk.length));
  expect(inbox).toEqual([2000, 2000, 100]);
});

/** Clients of every shape: DAP active or removed, granular relationships active, ending, auto-extending, expired, terminated, pending. */
async function mixedClients(n: number): Promise<void> {
  await store.write(async (tx) => {
    const dapOffer = offer('plain', 0);
    await tx.insertOffer(dapOffer);
    for (let i = 0; i < n; i++) {
      const domain = `client${String(i).padStart(4, '0')}.example.com`;
      const c: ClientRecord = { domain, name: `Client ${i}`, tenantId: null, offerId: dapOffer.id, acceptedAt: day(-200), dap: null, gdap: [] };
      if (i % 4 === 0) c.dap = { offerId: dapOffer.id, acceptedAt: day(-200), removedAt: i % 8 === 0 ? null : day(-50) };
      await tx.upsertClient(c);
      for (let k = 0; k < i % 3; k++) {
        const o = offer('granular', i * 10 + k);
        await tx.insertOffer(o);
        const shape = (i + k) % 7;
        await tx.insertRelationship(
          relationship(o, i * 10 + k, {
            clientDomain: domain,
            endsAt: [day(5), day(45), day(-3), day(400), day(-100), day(29.99), day(10)][shape]!,
            autoExtendDuration: shape === 2 || shape === 4 ? 'P180D' : 'PT0S',
            status: shape === 6 ? 'terminated' : 'active',
            terminatedAt: shape === 6 ? day(-1) : null,
            template: shape === 1 ? 'Helpdesk' : null,
          }),
        );
      }
    }
  });
}

test('client filters run in the query and select exactly what the rules select', async () => {
  await mixedClients(300);
  const every = await listClients({ store, clock: { now: () => NOW } }, {});
  expect(every).toHaveLength(300);
  await fc.assert(
    fc.asyncProperty(
      fc.record({ status: fc.option(fc.constantFrom('active', 'removed', 'expired', 'terminated'), { nil: undefined }), expiringDays: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }) }),
      async (filter) => {
        let want = every;
        if (filter.status) want = want.filter((c) => clientStatus(c, NOW) === filter.status);
        if (filter.expiringDays !== undefined) want = expiring(want, NOW, filter.expiringDays);
        const clean = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
        const got = await listClients({ store, clock: { now: () => NOW } }, clean);
        expect(got.map((c) => c.domain)).toEqual(want.map((c) => c.domain));
        // And the query itself leaves out what cannot match (the domain only checks what the store read).
        let read = 0;
        await store.read(async (tx) => {
          for await (const chunk of tx.clientChunks(storeClientFilter(NOW, clean), 100)) read += chunk.length;
        });
        if (filter.status === 'active' || filter.expiringDays !== undefined) expect(read).toBeLessThan(every.length);
        expect(read).toBeGreaterThanOrEqual(want.length);
      },
    ),
    { numRuns: 40 },
  );
});

test('drift reads only clients with an active templated relationship', async () => {
  await mixedClients(120);
  const { session, calls } = counted(store);
  let read = 0;
  const seen = new Set<string>();
  await session.store.read(async (tx) => {
    for await (const chunk of tx.clientChunks({ templated: true }, 50)) {
      read += chunk.length;
      for (const c of chunk) seen.add(c.domain);
    }
  });
  expect(read).toBeGreaterThan(0);
  expect(read).toBeLessThan(120);
  const rows: string[] = [];
  await eachDriftChunk(session, (chunk) => void rows.push(...chunk.map((d) => d.domain)));
  for (const d of rows) expect(seen.has(d)).toBe(true);
  expect(calls.get('listClients')).toBeUndefined();
});

test('clientLines: what the store prints itself is what the renderer prints from the record, in csv and json', async () => {
  const names = fc.oneof(
    fc.constantFrom('Contoso Ltd', '', 'a,b', 'say "hi"', '=cmd()', '-1', '@x', '+x', 'back\\slash', 'Zoë', '日本', 'tab\there', 'new\nline', '\u202eevil', 'ok~!#$%&()*'),
    fc.string({ minLength: 1, maxLength: 12 }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(names, fc.boolean(), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 30 }), async (specs) => {
      const s = SqliteStore.open(':memory:', { create: true });
      try {
        await s.write(async (tx) => {
          await tx.insertPartner(PARTNER);
          const dapOffer = offer('plain', 0);
          await tx.insertOffer(dapOffer);
          for (const [i, [name, removed, withTenant, granular]] of specs.entries()) {
            const domain = `c${i}.example.com`;
            await tx.upsertClient({
              domain,
              name,
              tenantId: withTenant ? '11111111-2222-4333-8444-555555555555' : null,
              offerId: dapOffer.id,
              acceptedAt: day(-10),
              dap: { offerId: dapOffer.id, acceptedAt: day(-10), removedAt: removed ? day(-1) : null },
              gdap: [],
            });
            if (granular) {
              const o = offer('granular', i);
              await tx.insertOffer(o);
              await tx.insertRelationship(relationship(o, i, { clientDomain: domain }));
            }
          }
        });
        for (const form of ['csv', 'json'] as const) {
          let fromStore = '';
          let fromRecords = '';
          let records = 0;
          const view = clientView(NOW);
          const a = renderListStream({ output: form, color: false, write: (t) => void (fromStore += t) }, view);
          const b = renderListStream({ output: form, color: false, write: (t) => void (fromRecords += t) }, view);
          await s.read(async (tx) => {
            for await (const chunk of tx.clientLines({}, 7, form)) {
              records += chunk.filter((x) => typeof x !== 'string').length;
              await a.add(chunk.map((x) => (typeof x === 'string' ? new Printed(x) : x)));
            }
            for await (const chunk of tx.clientChunks({}, 7)) await b.add(chunk);
          });
          await a.end();
          await b.end();
          expect(fromStore).toBe(fromRecords);
          const plain = specs.filter(([name, , , granular]) => !granular && /^(?![=+\-@])[^",\\\u0000-\u001f\u007f-\uffff]*$/.test(name)).length;
          expect(specs.length - records).toBe(plain);
        }
      } finally {
        await s.close();
      }
    }),
    { numRuns: 60 },
  );
});
