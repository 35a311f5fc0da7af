/**
 * The audit chain exactly as SPEC.md "Audit" defines it, recomputed here with
 * node:crypto so any tool could verify it, and tampering that verify catches.
 */
import { createHash } from 'node:crypto';
import { verifyAudit } from '../../src/domain/core/audit.js';
import { acceptOffer } from '../../src/domain/client/clients.js';
import { fixedClock, type Clock } from '../../src/domain/core/clock.js';
import { UsageError } from '../../src/domain/core/errors.js';
import type { AuditEntry } from '../../src/domain/core/model.js';
import { createOffer } from '../../src/domain/offer/offers.js';
import { initPartner } from '../../src/domain/partner/partner.js';
import type { Session } from '../../src/domain/core/session.js';
import { addUsers } from '../../src/domain/partner/users.js';
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

describe('the ledger’s time never runs backwards', () => {
  const late = (email: string) => [{ fields: { email } }];

  test('a system clock behind the newest entry is moved up to it, for every time the write records', async () => {
    const newest = entries.at(-1)!;
    const behind: Clock = { now: () => new Date(Date.parse(newest.at) - 3_600_000) };
    await addUsers({ store, clock: behind }, late('late@fabrikam.com'), { globalAdmin: false, source: 'arguments' });
    const after = await store.read((tx) => tx.listAudit({}));
    expect(after.at(-1)).toMatchObject({ seq: 6, at: newest.at, action: 'user.add', target: 'late@fabrikam.com' });
    expect((await store.read((tx) => tx.getUser('late@fabrikam.com')))!.createdAt).toBe(newest.at);
    expect(await verify()).toMatchObject({ ok: true, entries: 6, warnings: [] });
  });

  test('a pinned clock behind it is refused (exit 2) and the whole write rolls back; at the same instant it is allowed', async () => {
    const newest = entries.at(-1)!;
    const pinned = fixedClock(new Date(Date.parse(newest.at) - 1), 'DELEGATE_NOW');
    const err = await addUsers({ store, clock: pinned }, late('pinned@fabrikam.com'), { globalAdmin: false, source: 'arguments' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `DELEGATE_NOW ${new Date(Date.parse(newest.at) - 1).toISOString()} is earlier than the newest audit entry (entry 5, at ${newest.at}): the ledger's time never runs backwards; nothing was written`,
    );
    expect(await store.read((tx) => tx.getUser('pinned@fabrikam.com'))).toBeUndefined();
    expect(await store.read((tx) => tx.listAudit({}))).toEqual(entries);
    // A refusal (exit 4) would be audited, so it is refused the same way, without an entry.
    const denied = await createOffer({ store, clock: pinned, actorEmail: 'nina@fabrikam.com' }, { format: 'text' }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(UsageError);
    expect(await store.read((tx) => tx.listAudit({}))).toEqual(entries);
    await addUsers({ store, clock: fixedClock(new Date(newest.at)) }, late('same@fabrikam.com'), { globalAdmin: false, source: 'arguments' });
    expect((await store.read((tx) => tx.listAudit({}))).at(-1)).toMatchObject({ seq: 6, at: newest.at });
  });
});

describe('verify with an anchor, and time warnings', () => {
  test('entry seq must be there with that hash; the result says which entry and why', async () => {
    const head = entries.at(-1)!;
    expect(await store.read((tx) => verifyAudit(tx, { seq: 5, hash: head.hash }))).toMatchObject({ ok: true, entries: 5 });
    expect(await store.read((tx) => verifyAudit(tx, { seq: 2, hash: entries[1]!.hash }))).toMatchObject({ ok: true });
    expect(await store.read((tx) => verifyAudit(tx, { seq: 6, hash: head.hash }))).toEqual({
      ok: false,
      entries: 5,
      seq: 6,
      reason: 'is missing: the trail ends at entry 5 (entries were cut off its end, or the anchor is from another store)',
    });
    expect(await store.read((tx) => verifyAudit(tx, { seq: 5, hash: ZEROS }))).toEqual({
      ok: false,
      entries: 5,
      seq: 5,
      reason: `does not match: its hash is ${head.hash}, not the expected ${ZEROS} (the trail was rewritten)`,
    });
  });

  test('entries dated before their predecessor are warnings, counted in full, the first twenty kept', async () => {
    const mem = SqliteStore.open(':memory:', { create: true });
    try {
      let prev = ZEROS;
      await mem.write(async (tx) => {
        for (let seq = 1; seq <= 50; seq++) {
          // Every odd entry from 3 on is dated an hour before the one before it.
          const at = new Date(Date.parse('2026-03-01T00:00:00Z') + (seq % 2 === 1 && seq > 1 ? seq - 2 : seq) * 3_600_000).toISOString();
          const e = { seq, at, actor: ADMIN, action: 'test', target: String(seq), outcome: 'allowed' as const, detail: '' };
          const hash = specHash(prev, { ...e, hash: '' });
          await tx.insertAudit({ ...e, hash });
          prev = hash;
        }
      });
      const r = await mem.read((tx) => verifyAudit(tx));
      expect(r).toMatchObject({ ok: true, entries: 50, head: prev, warningCount: 24 });
      if (!r.ok) throw new Error('unreachable');
      expect(r.warnings).toHaveLength(20);
      expect(r.warnings[0]).toEqual({ seq: 3, at: '2026-03-01T01:00:00.000Z', previousAt: '2026-03-01T02:00:00.000Z' });
    } finally {
      await mem.close();
    }
  });
});
