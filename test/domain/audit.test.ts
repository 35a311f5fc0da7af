/**
 * The audit chain exactly as SPEC.md "Audit" defines it, recomputed here with
 * node:crypto so any tool could verify it, and tampering that verify catches.
 */
import { createHash } from 'node:crypto';
import { verifyAudit } from '../../src/domain/audit.js';
import { acceptOffer } from '../../src/domain/clients.js';
import { fixedClock, type Clock } from '../../src/domain/clock.js';
import type { AuditEntry } from '../../src/domain/model.js';
import { createOffer } from '../../src/domain/offers.js';
import { initPartner } from '../../src/domain/partner.js';
import type { Session } from '../../src/domain/session.js';
import { addUsers } from '../../src/domain/users.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ADMIN = 'ada@fabrikam.com';
const ZEROS = '0'.repeat(64);

function specHash(prev: string, e: AuditEntry): string {
  return createHash('sha256')
    .update(prev + '\n' + JSON.stringify([e.seq, e.at, e.actor, e.action, e.target, e.outcome, e.detail]))
    .digest('hex');
}

/** A clock that moves on a second each time it is read, so entries differ in time. */
function tickingClock(start: Date): Clock {
  let t = start.getTime();
  return { now: () => new Date((t += 1000)) };
}

let store: SqliteStore;
let entries: AuditEntry[];

/** A small history: init, a user added, a refused offer, an offer, an acceptance. */
beforeEach(async () => {
  store = SqliteStore.open(':memory:', { create: true });
  const s: Session = { store, clock: tickingClock(new Date('2026-03-01T08:00:00Z')) };
  await initPartner(s, {
    name: 'Fabrikam "Ltd" \u00e9\u4e2d',
    tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
    cloud: 'global',
    certified: true,
    adminEmail: ADMIN,
    adminName: 'Ada',
  });
  await addUsers(s, [{ fields: { email: 'nina@fabrikam.com' } }], { globalAdmin: false, source: 'arguments' });
  await expect(createOffer({ ...s, actorEmail: 'nina@fabrikam.com' }, { format: 'text' })).rejects.toThrow(/may not create offers/);
  const { offer } = await createOffer(s, { format: 'text' });
  await acceptOffer(s, offer.id, [{ fields: { domain: 'contoso.com' } }], { source: 'arguments' });
  entries = await store.read((tx) => tx.listAudit({}));
});

afterEach(async () => {
  await store.close();
});

const verify = () => store.read((tx) => verifyAudit(tx));

test('every change and every refusal is an entry, numbered from 1', () => {
  expect(entries.map((e) => [e.seq, e.action, e.outcome])).toEqual([
    [1, 'partner.init', 'allowed'],
    [2, 'user.add', 'allowed'],
    [3, 'offer.create', 'denied'],
    [4, 'offer.create', 'allowed'],
    [5, 'client.accept', 'allowed'],
  ]);
  expect(entries[2]!.actor).toBe('nina@fabrikam.com');
  for (const e of entries) expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
});

test('each hash is sha256(previous hash + "\\n" + JSON of the fields), starting from 64 zeros', () => {
  let prev = ZEROS;
  for (const e of entries) {
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(e.hash).toBe(specHash(prev, e));
    prev = e.hash;
  }
});

test('a clean chain verifies, reporting its length and head', async () => {
  expect(await verify()).toEqual({ ok: true, entries: 5, head: entries.at(-1)!.hash, warnings: [], warningCount: 0 });
});

test('an empty log verifies', async () => {
  const empty = SqliteStore.open(':memory:', { create: true });
  try {
    expect(await empty.read((tx) => verifyAudit(tx))).toEqual({ ok: true, entries: 0, head: ZEROS, warnings: [], warningCount: 0 });
  } finally {
    await empty.close();
  }
});

test.each([
  ['detail', "UPDATE audit SET detail = 'nothing to see' WHERE seq = ?"],
  ['outcome', "UPDATE audit SET outcome = 'allowed' WHERE seq = ?"],
  ['actor', "UPDATE audit SET actor = 'ada@fabrikam.com' WHERE seq = ?"],
  ['time', "UPDATE audit SET at = '2020-01-01T00:00:00.000Z' WHERE seq = ?"],
  ['hash', "UPDATE audit SET hash = upper(hash) WHERE seq = ?"],
])('editing an entry\'s %s is named by verify', async (_field, sql) => {
  store.db.prepare(sql).run(3);
  expect(await verify()).toMatchObject({ ok: false, seq: 3 });
});

test('re-hashing an edited entry does not hide it: the next entry no longer matches', async () => {
  const e = { ...entries[1]!, detail: 'edited' };
  store.db.prepare('UPDATE audit SET detail = ?, hash = ? WHERE seq = 2').run(e.detail, specHash(entries[0]!.hash, e));
  expect(await verify()).toMatchObject({ ok: false, seq: 3 });
});

test('deleting an entry is detected at the gap', async () => {
  store.db.prepare('DELETE FROM audit WHERE seq = 2').run();
  const r = await verify();
  expect(r).toMatchObject({ ok: false, seq: 3 });
  expect(r.ok === false && r.reason).toMatch(/removed/);
});

test('deleting the first entry is detected', async () => {
  store.db.prepare('DELETE FROM audit WHERE seq = 1').run();
  expect(await verify()).toMatchObject({ ok: false, seq: 2 });
});

test('renumbering after a deletion is still detected', async () => {
  store.db.prepare('DELETE FROM audit WHERE seq = 2').run();
  for (const seq of [3, 4, 5]) store.db.prepare('UPDATE audit SET seq = ? WHERE seq = ?').run(seq - 1, seq);
  expect(await verify()).toMatchObject({ ok: false, seq: 2 });
});

test('verify names the first bad entry when several are bad', async () => {
  store.db.prepare("UPDATE audit SET detail = 'x' WHERE seq IN (2, 4)").run();
  expect(await verify()).toMatchObject({ ok: false, seq: 2 });
});
