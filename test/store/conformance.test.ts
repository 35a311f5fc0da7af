/**
 * The store contract (src/domain/store.ts), pinned once and run on every
 * backend: SQLite (a file) and PostgreSQL (a schema of its own on the test
 * server; skipped, with one line saying why, when there is none). What a
 * backend must keep: every Tx method round-trips exactly, lists come out in
 * the same order, names the ledger compares without case are found without
 * case, transactions are all-or-nothing, and driver errors become StoreError.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../../src/domain/core/errors.js';
import type { AuditEntry, ClientRecord, Intent, OfferRecord, Partner, PartnerUser, Relationship } from '../../src/domain/core/model.js';
import { LEDGER_TABLES, type LedgerRow, type Store, type Tx } from '../../src/domain/core/store.js';
import { openStore } from '../../src/store/open.js';
import { freshSchema, PG_MISSING, type PgSchema } from '../helpers/pg.js';
import { bothOfferLists } from '../helpers/offer-lines.js';
import { offerLineSpec } from '../../src/domain/offer/offers.js';

interface Backend {
  name: string;
  missing?: string;
  make(): Promise<{ store: Store; cleanup(): Promise<void> | void }>;
}

export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    async make() {
      const dir = mkdtempSync(join(tmpdir(), 'delegate-conformance-'));
      const store = await openStore(join(dir, 'delegate.db'), { create: true });
      return { store, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    missing: PG_MISSING,
    async make() {
      const schema: PgSchema = await freshSchema();
      const store = await openStore(schema.url, { create: true });
      return { store, cleanup: () => schema.drop() };
    },
  },
];

const AT = '2026-01-01T00:00:00.000Z';
const PARTNER: Partner = {
  name: 'Fabrikam',
  tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
  cloud: 'global',
  certified: true,
  mpnId: 1234567,
  createdAt: AT,
  adminAgentsGroupId: null,
  helpdeskAgentsGroupId: 'b0b0b0b0-0000-4000-8000-000000000000',
};
const user = (email: string, extra: Partial<PartnerUser> = {}): PartnerUser => ({
  email,
  name: email.split('@')[0]!,
  orgRole: 'user',
  adminAccess: 'none',
  createdAt: AT,
  dbLogin: null,
  ...extra,
});
const offer = (id: string, extra: Partial<OfferRecord> = {}): OfferRecord => ({
  id,
  kind: 'plain',
  product: null,
  quantity: null,
  link: null,
  linkId: null,
  status: 'active',
  createdAt: AT,
  createdBy: 'ada@fabrikam.com',
  revokedAt: null,
  acceptedCount: 0,
  ...extra,
});
const client = (domain: string, offerId: string, extra: Partial<ClientRecord> = {}): ClientRecord => ({
  domain,
  name: domain.split('.')[0]!,
  tenantId: null,
  offerId,
  acceptedAt: AT,
  dap: { offerId, acceptedAt: AT, removedAt: null },
  gdap: [],
  ...extra,
});
const relationship = (id: string, offerId: string, extra: Partial<Relationship> = {}): Relationship => ({
  id,
  offerId,
  displayName: `Rel ${id}`,
  duration: 'P730D',
  autoExtendDuration: 'PT0S',
  roles: ['62e90394-69f5-4237-9190-012177145e10'],
  status: 'approvalPending',
  createdAt: AT,
  activatedAt: null,
  endsAt: null,
  terminatedAt: null,
  clientDomain: null,
  template: null,
  ...extra,
});

const collect = async <T>(it: AsyncIterable<T[]>): Promise<T[][]> => {
  const out: T[][] = [];
  for await (const c of it) out.push(c);
  return out;
};

for (const backend of BACKENDS) {
  const d = backend.missing ? describe.skip : describe;
  d(`store contract on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void> | void;
    beforeEach(async () => {
      ({ store, cleanup } = await backend.make());
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });
    const w = <T>(fn: (tx: Tx) => Promise<T>) => store.write(fn);
    const r = <T>(fn: (tx: Tx) => Promise<T>) => store.read(fn);

    test('intents: open with reserved keys (a taken key refuses the whole call), answers move the deadline, claim is compare-and-set, close removes', async () => {
      const intent = (id: string, extra: Partial<Intent> = {}): Intent => ({
        id,
        openedAt: AT,
        actor: 'ada@f.com',
        command: 'group.create',
        kind: 'group.create',
        target: 'Helpdesk',
        scope: 'group:helpdesk',
        key: `partner|group:${id}`,
        method: 'POST',
        url: 'https://graph.microsoft.com/v1.0/groups',
        body: '{"displayName":"Helpdesk"}',
        tenantId: null,
        readBack: '{"url":"https://graph.microsoft.com/v1.0/groups","look":{"find":"exists"}}',
        effect: '{"name":"Helpdesk"}',
        owner: { host: 'h1', pid: 42, leaseUntil: '2026-01-01T00:00:30.000Z' },
        deadline: '2026-01-01T00:01:40.000Z',
        answer: null,
        passwordPending: false,
        ...extra,
      });
      expect(await r((tx) => tx.hasOpenIntents())).toBe(false);
      expect(await w((tx) => tx.openIntents([intent('a'), intent('b', { scope: 'client:contoso.com', tenantId: 'T1' })]))).toEqual([]);
      expect(await r((tx) => tx.listIntents())).toEqual([intent('a'), intent('b', { scope: 'client:contoso.com', tenantId: 'T1' })]);
      // A key another open intent reserves: nothing of the call is written, the taken keys come back.
      expect(await w((tx) => tx.openIntents([intent('c'), intent('d', { key: 'partner|group:a' })]))).toEqual(['partner|group:a']);
      expect(await w((tx) => tx.openIntents([intent('e', { key: 'same' }), intent('f', { key: 'same' })]))).toEqual(['same']);
      expect((await r((tx) => tx.listIntents())).map((i) => i.id)).toEqual(['a', 'b']);
      expect((await r((tx) => tx.listIntents({ scopes: ['client:contoso.com'] }))).map((i) => i.id)).toEqual(['b']);
      expect((await r((tx) => tx.listIntents({ ids: ['a', 'zz'] }))).map((i) => i.id)).toEqual(['a']);
      expect(await r((tx) => tx.hasOpenIntents(['client:contoso.com']))).toBe(true);
      expect(await r((tx) => tx.hasOpenIntents(['client:other.com']))).toBe(false);
      // An answer is kept and ends the wait: the deadline moves to it when earlier, never later.
      await w((tx) => tx.answerIntents([{ id: 'a', status: 201, body: '{"id":"g1"}', at: '2026-01-01T00:00:05.000Z' }, { id: 'b', status: 500, body: null, at: '2026-01-01T00:09:00.000Z' }]));
      const [a, b] = await r((tx) => tx.listIntents());
      expect(a).toMatchObject({ answer: { status: 201, body: '{"id":"g1"}' }, deadline: '2026-01-01T00:00:05.000Z' });
      expect(b).toMatchObject({ answer: { status: 500, body: null }, deadline: '2026-01-01T00:01:40.000Z' });
      // Claiming takes an intent only while its lease is the one read.
      const mine = { host: 'h2', pid: 7, leaseUntil: '2026-01-01T00:05:00.000Z' };
      expect(await w((tx) => tx.claimIntent('a', '2026-01-01T00:00:30.000Z', mine))).toBe(true);
      expect(await w((tx) => tx.claimIntent('a', '2026-01-01T00:00:30.000Z', { ...mine, pid: 8 }))).toBe(false);
      expect((await r((tx) => tx.listIntents({ ids: ['a'] })))[0]!.owner).toEqual(mine);
      await w((tx) => tx.renewLeases(['a'], '2026-01-01T00:06:00.000Z'));
      expect((await r((tx) => tx.listIntents({ ids: ['a'] })))[0]!.owner.leaseUntil).toBe('2026-01-01T00:06:00.000Z');
      await w((tx) => tx.releaseIntents(['a']));
      expect((await r((tx) => tx.listIntents({ ids: ['a'] })))[0]!.owner.leaseUntil).toBe('1970-01-01T00:00:00.000Z');
      // A password nobody saw is pending for a person, and blocks nothing else.
      await w((tx) => tx.markPasswordPending(['b']));
      expect((await r((tx) => tx.listIntents({ ids: ['b'] })))[0]!.passwordPending).toBe(true);
      expect(await r((tx) => tx.hasOpenIntents(['client:contoso.com']))).toBe(false);
      await w((tx) => tx.closeIntents(['a', 'b']));
      expect(await r((tx) => tx.listIntents())).toEqual([]);
      // Its key is free again once closed; and a rolled-back write leaves no intent behind.
      expect(await w((tx) => tx.openIntents([intent('g', { key: 'partner|group:a' })]))).toEqual([]);
      await expect(
        w(async (tx) => {
          await tx.openIntents([intent('h')]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect((await r((tx) => tx.listIntents())).map((i) => i.id)).toEqual(['g']);
      // Intents are no part of the ledger db copy moves, nor of the audit chain.
      expect(LEDGER_TABLES).not.toContain('intents' as never);
    });

    test('a new store is empty; the partner round-trips', async () => {
      expect(await r((tx) => tx.isEmpty())).toBe(true);
      expect(await r((tx) => tx.getPartner())).toBeUndefined();
      await w((tx) => tx.insertPartner(PARTNER));
      expect(await r((tx) => tx.getPartner())).toEqual(PARTNER);
      await w((tx) => tx.updatePartner({ ...PARTNER, certified: false, mpnId: null, adminAgentsGroupId: 'x' }));
      expect(await r((tx) => tx.getPartner())).toEqual({ ...PARTNER, certified: false, mpnId: null, adminAgentsGroupId: 'x' });
      expect(await r((tx) => tx.isEmpty())).toBe(false);
    });

    test('users: get, bulk get, list in email order, chunks, filters, admins, logins, delete', async () => {
      const users = [user('zed@f.com'), user('ada@f.com', { orgRole: 'global-admin', adminAccess: 'full' }), user('Bob@f.com'), user('bob@f.com', { adminAccess: 'limited' })];
      await w((tx) => tx.insertUsers(users));
      expect(await r((tx) => tx.getUser('ada@f.com'))).toEqual(users[1]);
      const got = await r((tx) => tx.getUsers(['bob@f.com', 'nobody@f.com', 'zed@f.com']));
      expect([...got.keys()].sort()).toEqual(['bob@f.com', 'zed@f.com']);
      expect(got.get('bob@f.com')).toMatchObject({ email: 'bob@f.com', adminAccess: 'limited', orgRole: 'user' });
      // Binary order: upper case before lower case, on every backend.
      expect((await r((tx) => tx.listUsers({}))).map((u) => u.email)).toEqual(['Bob@f.com', 'ada@f.com', 'bob@f.com', 'zed@f.com']);
      expect((await r((tx) => tx.listUsers({ access: 'limited' }))).map((u) => u.email)).toEqual(['bob@f.com']);
      const chunks = await r((tx) => collect(tx.userChunks({}, 3)));
      expect(chunks.map((c) => c.length)).toEqual([3, 1]);
      expect(await r((tx) => tx.firstGlobalAdmin())).toEqual(users[1]);
      expect(await r((tx) => tx.countGlobalAdmins())).toBe(1);
      await w((tx) => tx.setAdminAccess([{ email: 'zed@f.com', adminAccess: 'full' }, { email: 'bob@f.com', adminAccess: 'none' }]));
      expect((await r((tx) => tx.getUser('zed@f.com')))!.adminAccess).toBe('full');
      expect((await r((tx) => tx.getUser('bob@f.com')))!.adminAccess).toBe('none');
      expect(await r((tx) => tx.userByLogin('ada'))).toBeUndefined();
      await w((tx) => tx.setDbLogin('ada@f.com', 'ada'));
      expect((await r((tx) => tx.userByLogin('ada')))!.email).toBe('ada@f.com');
      expect((await r((tx) => tx.getUser('ada@f.com')))!.dbLogin).toBe('ada');
      await expect(w((tx) => tx.setDbLogin('zed@f.com', 'ada'))).rejects.toMatchObject({ code: 'store', reason: 'constraint' });
      await w((tx) => tx.deleteUser('zed@f.com'));
      expect(await r((tx) => tx.getUser('zed@f.com'))).toBeUndefined();
      expect(await r((tx) => tx.partnerUsesDomain('f.com'))).toBe(true);
      expect(await r((tx) => tx.partnerUsesDomain('g.com'))).toBe(false);
    });

    test('a large bulk admin change lands whole', async () => {
      const many = Array.from({ length: 12_000 }, (_, i) => user(`u${String(i).padStart(5, '0')}@f.com`));
      await w((tx) => tx.insertUsers(many));
      await w((tx) => tx.setAdminAccess(many.map((u, i) => ({ email: u.email, adminAccess: i % 2 ? 'full' : 'limited' }))));
      expect((await r((tx) => tx.listUsers({ access: 'full' }))).length).toBe(6000);
      expect((await r((tx) => tx.listUsers({ access: 'limited' }))).length).toBe(6000);
    });

    test('bulk admin changes are seen by every later read of the same transaction, and undone with it', async () => {
      await w((tx) => tx.insertUsers([user('a@f.com'), user('b@f.com'), user('c@f.com')]));
      await w(async (tx) => {
        await tx.setAdminAccess([{ email: 'a@f.com', adminAccess: 'full' }]);
        expect((await tx.getUsers(['a@f.com', 'b@f.com'])).get('a@f.com')!.adminAccess).toBe('full');
        await tx.setAdminAccess([{ email: 'a@f.com', adminAccess: 'limited' }, { email: 'b@f.com', adminAccess: 'full' }]);
        expect((await tx.getUsers(['a@f.com'])).get('a@f.com')!.adminAccess).toBe('limited');
        expect((await tx.getUser('b@f.com'))!.adminAccess).toBe('full');
        expect((await tx.listUsers({ access: 'limited' })).map((u) => u.email)).toEqual(['a@f.com']);
        await tx.setAdminAccess([{ email: 'c@f.com', adminAccess: 'full' }]);
        await tx.rollbackWrites();
        expect((await tx.getUser('c@f.com'))!.adminAccess).toBe('none');
        await tx.setAdminAccess([{ email: 'c@f.com', adminAccess: 'limited' }]);
      });
      expect((await r((tx) => tx.listUsers({}))).map((u) => [u.email, u.adminAccess])).toEqual([
        ['a@f.com', 'none'],
        ['b@f.com', 'none'],
        ['c@f.com', 'limited'],
      ]);
    });

    test('offers: exact id, prefix, lists, latest active, by link, status, acceptance count', async () => {
      await w(async (tx) => {
        await tx.insertOffer(offer('abc123'));
        await tx.insertOffer(offer('abd456', { kind: 'trial', product: 'P', link: 'https://x/y', linkId: 'lnk' }));
        await tx.insertOffer(offer('xyz789', { kind: 'granular' }));
      });
      expect((await r((tx) => tx.findOffers('abc123'))).map((o) => o.id)).toEqual(['abc123']);
      expect((await r((tx) => tx.findOffers('ab'))).map((o) => o.id)).toEqual(['abc123', 'abd456']);
      expect((await r((tx) => tx.findOffers('a_'))).map((o) => o.id)).toEqual([]);
      expect((await r((tx) => tx.latestActiveOffer()))!.id).toBe('abd456');
      expect((await r((tx) => tx.latestActiveOffer('plain')))!.id).toBe('abc123');
      expect((await r((tx) => tx.offerByLink('trial', 'lnk')))!.id).toBe('abd456');
      await w((tx) => tx.setOfferStatus('abd456', 'revoked', AT));
      expect((await r((tx) => tx.listOffers({ all: false }))).map((o) => o.id)).toEqual(['abc123', 'xyz789']);
      expect((await r((tx) => tx.listOffers({ all: true }))).map((o) => o.status)).toEqual(['active', 'revoked', 'active']);
      await w(async (tx) => {
        await tx.upsertClient(client('contoso.com', 'abc123'));
        await tx.recordAcceptance({ offerId: 'abc123', clientDomain: 'contoso.com', at: AT, recordedBy: 'ada@f.com' });
      });
      expect((await r((tx) => tx.findOffers('abc123')))[0]!.acceptedCount).toBe(1);
    });

    test('clients: upsert, by tenant without case, search without case, keyset chunks, active count', async () => {
      await w(async (tx) => {
        await tx.insertOffer(offer('o1'));
        await tx.insertOffer(offer('g1', { kind: 'granular' }));
        await tx.upsertClient(client('contoso.com', 'o1', { tenantId: 'AAAA-1' }));
        await tx.upsertClient(client('Alpha.com', 'o1', { dap: { offerId: 'o1', acceptedAt: AT, removedAt: AT } }));
        await tx.upsertClient(client('beta.com', 'g1', { dap: null }));
        await tx.insertRelationship(relationship('r1', 'g1', { clientDomain: 'beta.com', status: 'active', activatedAt: AT, endsAt: '2028-01-01T00:00:00.000Z' }));
      });
      expect((await r((tx) => tx.clientByTenant('aaaa-1')))!.domain).toBe('contoso.com');
      expect((await r((tx) => tx.getClient('beta.com')))!.gdap.map((g) => g.id)).toEqual(['r1']);
      const some = await r((tx) => tx.getClients(['beta.com', 'nope.com', 'contoso.com']));
      expect([...some.keys()].sort()).toEqual(['beta.com', 'contoso.com']);
      expect(some.get('beta.com')!.gdap.map((g) => g.id)).toEqual(['r1']);
      expect(some.get('contoso.com')).toEqual(await r((tx) => tx.getClient('contoso.com')));
      // clientLines: text or records, in the same order as clientChunks.
      const lines = (await r((tx) => collect(tx.clientLines({}, 2, 'csv')))).flat();
      expect(lines.map((x) => (typeof x === 'string' ? x.split(',')[0] : x.domain))).toEqual(['Alpha.com', 'beta.com', 'contoso.com']);
      expect((await r((tx) => tx.listClients({}))).map((c) => c.domain)).toEqual(['Alpha.com', 'beta.com', 'contoso.com']);
      expect((await r((tx) => tx.listClients({ search: 'CONT' }))).map((c) => c.domain)).toEqual(['contoso.com']);
      expect((await r((tx) => tx.listClients({ search: '%' }))).map((c) => c.domain)).toEqual([]);
      expect((await r((tx) => collect(tx.clientChunks({}, 2)))).map((c) => c.map((x) => x.domain))).toEqual([['Alpha.com', 'beta.com'], ['contoso.com']]);
      expect(await r((tx) => tx.countActiveClients('2027-01-01T00:00:00.000Z'))).toBe(2);
      expect(await r((tx) => tx.countActiveClients('2029-01-01T00:00:00.000Z'))).toBe(1);
      await w((tx) => tx.upsertClient(client('contoso.com', 'o1', { name: 'Renamed', tenantId: null })));
      expect(await r((tx) => tx.getClient('contoso.com'))).toMatchObject({ name: 'Renamed', tenantId: null });
    });

    test('bulk acceptance writes: clients, acceptances, domains and notifications many at once, in order', async () => {
      const n = 450; // more than one multi-row statement's worth
      const domains = Array.from({ length: n }, (_, i) => `c${String(i).padStart(3, '0')}.example.com`);
      await w(async (tx) => {
        await tx.insertOffer(offer('o1'));
        await tx.upsertClient(client('c001.example.com', 'o1', { name: 'Before' }));
        await tx.insertClientDomains([{ clientDomain: 'c001.example.com', name: 'c001.example.com', isInitial: false, verified: false, addedAt: AT }]);
      });
      await w(async (tx) => {
        await tx.upsertClients(domains.map((d, i) => client(d, 'o1', { tenantId: i % 2 ? null : `t-${i}` })));
        await tx.recordAcceptances(domains.map((d) => ({ offerId: 'o1', clientDomain: d, at: AT, recordedBy: 'a@x.com' })));
        await tx.insertClientDomains(
          domains.flatMap((d) => [
            { clientDomain: d, name: d, isInitial: false, verified: true, addedAt: AT },
            { clientDomain: d, name: `${d.split('.')[0]}.onmicrosoft.com`, isInitial: true, verified: true, addedAt: AT },
          ]),
        );
        await tx.insertNotifications(domains.map((d) => ({ at: AT, kind: 'offer.accepted', clientDomain: d, offerId: 'o1', message: `m ${d}`, readAt: null })));
        await tx.upsertClients([]);
        await tx.recordAcceptances([]);
        await tx.insertNotifications([]);
      });
      // An upsert updates the client already there; a domain already recorded is left as it was.
      expect(await r((tx) => tx.getClient('c001.example.com'))).toEqual(client('c001.example.com', 'o1', { name: 'c001' }));
      expect(await r((tx) => tx.getClient('c002.example.com'))).toEqual(client('c002.example.com', 'o1', { tenantId: 't-2' }));
      expect((await r((tx) => tx.listClients({}))).length).toBe(n);
      expect(await r((tx) => tx.listClientDomains('c001.example.com'))).toEqual([
        { clientDomain: 'c001.example.com', name: 'c001.onmicrosoft.com', isInitial: true, verified: true, addedAt: AT },
        { clientDomain: 'c001.example.com', name: 'c001.example.com', isInitial: false, verified: false, addedAt: AT },
      ]);
      expect((await r((tx) => tx.listNotifications({ unreadOnly: false }))).map((x) => x.clientDomain)).toEqual(domains);
      expect((await r((tx) => tx.findOffers('o1')))[0]!.acceptedCount).toBe(n);
      const taken = await r((tx) => tx.takenDomainNames(['c007.onmicrosoft.com', 'nope.onmicrosoft.com', 'c449.example.com', 'c007.onmicrosoft.com']));
      expect([...taken].sort()).toEqual(['c007.onmicrosoft.com', 'c449.example.com']);
      expect((await r((tx) => tx.takenDomainNames([]))).size).toBe(0);
      // A whole list in csv: consecutive printed clients come as one text (not a string a client).
      const csv = (await r((tx) => collect(tx.clientLines({}, 1000, 'csv')))).flat();
      expect(csv.every((x) => typeof x === 'string')).toBe(true);
      expect(csv.length).toBeLessThanOrEqual(2);
      expect(csv.join('').split('\n').slice(0, 2)).toEqual([`c000.example.com,c000,t-0,active,o1,${AT},`, `c001.example.com,c001,,active,o1,${AT},`]);
      const json = (await r((tx) => collect(tx.clientLines({}, 1000, 'json')))).flat();
      expect(json.length).toBeLessThanOrEqual(2);
      const list = JSON.parse(`[${json.join(',\n')}]`) as unknown[];
      expect(list).toHaveLength(n);
      expect(list[1]).toEqual({
        ...{ domain: 'c001.example.com', name: 'c001', tenantId: null, status: 'active', offerId: 'o1', acceptedAt: AT, removedAt: null },
        relationships: [{ kind: 'dap', status: 'active', offerId: 'o1', acceptedAt: AT, removedAt: null }],
      });
    });

    test("a client's users and domains", async () => {
      // (deleteClientUser and deleteClientDomain at the end)
      await w(async (tx) => {
        await tx.insertOffer(offer('o1'));
        await tx.upsertClient(client('contoso.com', 'o1'));
        await tx.insertClientUsers([
          { clientDomain: 'contoso.com', upn: 'b@contoso.com', name: 'B', isAdmin: true, passwordResetAt: null, forceChangePasswordNextSignIn: false, createdAt: AT },
          { clientDomain: 'contoso.com', upn: 'a@contoso.com', name: 'A', isAdmin: false, passwordResetAt: null, forceChangePasswordNextSignIn: false, createdAt: AT },
        ]);
        await tx.insertClientDomains([
          { clientDomain: 'contoso.com', name: 'contoso.com', isInitial: false, verified: true, addedAt: AT },
          { clientDomain: 'contoso.com', name: 'contoso.onmicrosoft.com', isInitial: true, verified: true, addedAt: AT },
          { clientDomain: 'contoso.com', name: 'contoso.com', isInitial: false, verified: false, addedAt: AT },
        ]);
        await tx.insertClientDomains([{ clientDomain: 'contoso.com', name: 'extra.com', isInitial: false, verified: false, addedAt: '2026-02-01T00:00:00.000Z' }]);
      });
      expect((await r((tx) => tx.listClientUsers('contoso.com'))).map((u) => [u.upn, u.isAdmin])).toEqual([['a@contoso.com', false], ['b@contoso.com', true]]);
      await w((tx) => tx.setPasswordReset('contoso.com', 'a@contoso.com', AT));
      expect(await r((tx) => tx.getClientUser('contoso.com', 'a@contoso.com'))).toMatchObject({ passwordResetAt: AT, forceChangePasswordNextSignIn: true });
      expect((await r((tx) => tx.listClientDomains('contoso.com'))).map((x) => [x.name, x.isInitial, x.verified])).toEqual([
        ['contoso.onmicrosoft.com', true, true],
        ['contoso.com', false, true],
        ['extra.com', false, false],
      ]);
      await w((tx) => tx.setDomainVerified('contoso.com', 'extra.com'));
      expect((await r((tx) => tx.listClientDomains('contoso.com')))[2]!.verified).toBe(true);
      expect(await r((tx) => tx.domainOwners('extra.com'))).toEqual(['contoso.com']);
      expect(await w((tx) => tx.deleteClientDomain('contoso.com', 'extra.com'))).toBe(true);
      expect(await w((tx) => tx.deleteClientDomain('contoso.com', 'extra.com'))).toBe(false);
      expect(await w((tx) => tx.deleteClientUser('contoso.com', 'a@contoso.com'))).toBe(true);
      expect((await r((tx) => tx.listClientUsers('contoso.com'))).map((u) => u.upn)).toEqual(['b@contoso.com']);
    });

    test('notifications: read state of the ledger, and per reader', async () => {
      const ids = await w(async (tx) => [
        await tx.insertNotification({ at: AT, kind: 'accepted', clientDomain: null, offerId: null, message: 'one', readAt: null }),
        await tx.insertNotification({ at: AT, kind: 'accepted', clientDomain: null, offerId: null, message: 'two', readAt: null }),
      ]);
      expect(typeof ids[0]).toBe('number');
      expect(ids[1]).toBe(ids[0]! + 1);
      expect(await w((tx) => tx.markNotificationsRead([ids[0]!], AT, 'ada@f.com'))).toBe(1);
      expect((await r((tx) => tx.listNotifications({ unreadOnly: true, reader: 'ada@f.com' }))).map((n) => n.message)).toEqual(['two']);
      expect((await r((tx) => tx.listNotifications({ unreadOnly: true, reader: 'bob@f.com' }))).map((n) => n.message)).toEqual(['one', 'two']);
      expect((await r((tx) => tx.getNotification(ids[0]!, 'ada@f.com')))!.readAt).toBe(AT);
      expect((await r((tx) => tx.getNotification(ids[0]!, 'bob@f.com')))!.readAt).toBeNull();
      expect((await r((tx) => tx.listNotifications({ unreadOnly: true }))).length).toBe(2);
      expect(await w((tx) => tx.markNotificationsRead('all', AT))).toBe(2);
      expect(await w((tx) => tx.markNotificationsRead('all', AT))).toBe(0);
      expect(await w((tx) => tx.markNotificationsRead('all', AT, 'bob@f.com'))).toBe(2);
      expect(await r((tx) => tx.getNotification(999))).toBeUndefined();
    });

    test('audit: text comes back exactly as written, seq as a number; filters; walking in order', async () => {
      // Times are text to the store: an odd but valid form must come back byte for byte (it feeds the hash).
      const e = (seq: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
        seq,
        at: '2026-01-01T00:00:00.5+00:00',
        actor: 'ada@f.com',
        action: 'client.accept',
        target: 'contoso.com',
        outcome: 'allowed',
        detail: 'ünïcode \\ "quoted" \t tab',
        hash: 'h'.repeat(64),
        ...extra,
      });
      await w(async (tx) => {
        await tx.insertAudit(e(1));
        await tx.insertAudit(e(2, { target: 'contoso.com/user/a', action: 'client.user.add', actor: 'bob@f.com', at: '2026-02-01T00:00:00.000Z' }));
        await tx.insertAudit(e(3, { target: 'contoso_com', outcome: 'denied' }));
      });
      const last = await r((tx) => tx.lastAudit());
      expect(last).toEqual(e(3, { target: 'contoso_com', outcome: 'denied' }));
      expect(typeof last!.seq).toBe('number');
      expect((await r((tx) => tx.listAudit({ client: 'contoso.com' }))).map((x) => x.seq)).toEqual([1, 2]);
      expect((await r((tx) => tx.listAudit({ action: 'client' }))).map((x) => x.seq)).toEqual([1, 2, 3]);
      expect((await r((tx) => tx.listAudit({ action: 'client.user' }))).map((x) => x.seq)).toEqual([2]);
      expect((await r((tx) => tx.listAudit({ actor: 'bob@f.com' }))).map((x) => x.seq)).toEqual([2]);
      expect((await r((tx) => tx.listAudit({ since: '2026-01-15' }))).map((x) => x.seq)).toEqual([2]);
      const walked: number[] = [];
      await r((tx) => tx.eachAudit((x) => void walked.push(x.seq)));
      expect(walked).toEqual([1, 2, 3]);
      const stopped: number[] = [];
      await r((tx) => tx.eachAudit((x) => (stopped.push(x.seq), false)));
      expect(stopped).toEqual([1]);
      expect((await r((tx) => tx.listAudit({})))[0]).toEqual(e(1));
    });

    test('granular: relationships, names without case, replace with its assignments, templates, groups', async () => {
      await w(async (tx) => {
        await tx.insertUsers([user('ada@f.com'), user('bob@f.com')]);
        await tx.insertOffer(offer('g1', { kind: 'granular' }));
        await tx.insertRelationship(relationship('draft-1', 'g1', { displayName: 'Contoso Admin' }));
        await tx.insertGroup({ name: 'Helpdesk', objectId: null, createdAt: AT });
        await tx.upsertAssignment({ relationshipId: 'draft-1', group: 'Helpdesk', roles: ['a'], createdAt: AT });
        await tx.upsertAssignment({ relationshipId: 'draft-1', group: 'Helpdesk', roles: ['a', 'b'], createdAt: AT });
      });
      expect(await r((tx) => tx.relationshipNameTaken('contoso admin'))).toBe(true);
      expect(await r((tx) => tx.relationshipNameTaken('other'))).toBe(false);
      expect((await r((tx) => tx.relationshipByOffer('g1')))!.id).toBe('draft-1');
      const real = relationship('ms-1', 'g1', { displayName: 'Contoso Admin', status: 'active', activatedAt: AT, endsAt: '2028-01-01T00:00:00.000Z', msStatus: 'active', etag: 'W/"1"' });
      await w((tx) => tx.replaceRelationship('draft-1', real));
      expect(await r((tx) => tx.getRelationship('draft-1'))).toBeUndefined();
      expect(await r((tx) => tx.getRelationship('ms-1'))).toEqual(real);
      expect(await r((tx) => tx.listAssignments('ms-1'))).toEqual([{ relationshipId: 'ms-1', group: 'Helpdesk', roles: ['a', 'b'], createdAt: AT, microsoftId: null, status: null }]);
      await w((tx) => tx.upsertAssignment({ relationshipId: 'ms-1', group: 'Helpdesk', roles: ['a', 'b'], createdAt: AT, microsoftId: 'm-1', status: 'pending' }));
      // A later write that does not know Microsoft's id or status keeps them.
      await w((tx) => tx.upsertAssignment({ relationshipId: 'ms-1', group: 'Helpdesk', roles: ['a'], createdAt: AT }));
      expect(await r((tx) => tx.assignmentsOfGroup('Helpdesk'))).toEqual([{ relationshipId: 'ms-1', group: 'Helpdesk', roles: ['a'], createdAt: AT, microsoftId: 'm-1', status: 'pending' }]);
      await w((tx) => tx.upsertAssignment({ relationshipId: 'ms-1', group: 'Helpdesk', roles: ['a'], createdAt: AT, status: 'active' }));
      expect((await r((tx) => tx.listAssignments('ms-1')))[0]).toMatchObject({ microsoftId: 'm-1', status: 'active' });
      await w((tx) => tx.updateRelationship({ ...real, status: 'terminated', terminatedAt: AT }));
      expect((await r((tx) => tx.listRelationships())).map((x) => x.status)).toEqual(['terminated']);

      await w((tx) => tx.insertTemplate({ name: 'Std', roles: ['a'], duration: 'P730D', autoExtendDuration: 'P180D', assignments: [{ group: 'Helpdesk', roles: ['a'] }], createdAt: AT, createdBy: 'ada@f.com' }));
      expect((await r((tx) => tx.getTemplate('STD')))!.assignments).toEqual([{ group: 'Helpdesk', roles: ['a'] }]);
      expect((await r((tx) => tx.listTemplates())).map((t) => t.name)).toEqual(['Std']);
      await expect(w((tx) => tx.insertTemplate({ name: 'std', roles: [], duration: 'P1D', autoExtendDuration: 'PT0S', assignments: [], createdAt: AT, createdBy: 'x' }))).rejects.toMatchObject({
        reason: 'constraint',
      });

      expect(await w((tx) => tx.addGroupMembers('helpdesk', ['bob@f.com', 'ada@f.com']))).toBe(2);
      expect(await w((tx) => tx.addGroupMembers('HELPDESK', ['bob@f.com']))).toBe(0);
      expect(await r((tx) => tx.getGroup('HelpDesk'))).toEqual({ name: 'Helpdesk', objectId: null, createdAt: AT, members: ['ada@f.com', 'bob@f.com'] });
      expect(await w((tx) => tx.setGroupObjectId('helpdesk', 'oid'))).toBe(true);
      expect(await w((tx) => tx.setGroupObjectId('nope', 'oid'))).toBe(false);
      expect((await r((tx) => tx.listGroups()))[0]!.objectId).toBe('oid');
      expect(await r((tx) => tx.groupsOf('bob@f.com'))).toEqual(['Helpdesk']);
      // A removed user leaves its groups.
      await w((tx) => tx.deleteUser('bob@f.com'));
      expect((await r((tx) => tx.getGroup('Helpdesk')))!.members).toEqual(['ada@f.com']);
      expect(await w((tx) => tx.removeGroupMembers('Helpdesk', ['ada@f.com', 'nobody@f.com']))).toBe(1);
      expect(await w((tx) => tx.deleteAssignment('ms-1', 'Helpdesk'))).toBe(true);
      expect(await w((tx) => tx.deleteAssignment('ms-1', 'Helpdesk'))).toBe(false);
      expect(await w((tx) => tx.deleteTemplate('STD'))).toBe(true);
      expect(await w((tx) => tx.deleteGroup('helpdesk'))).toBe(true);
      expect(await r((tx) => tx.listGroups())).toEqual([]);
      expect(await r((tx) => tx.listTemplates())).toEqual([]);
    });

    test('names listed without case in one order everywhere: templates, groups, a user\'s groups, a relationship\'s assignments', async () => {
      // ASCII case folded to lower case: '_' (between 'Z' and 'a' in binary) sorts before the letters.
      const names = ['beta', 'Alpha', 'Gamma', '_under', 'delta'];
      const sorted = ['_under', 'Alpha', 'beta', 'delta', 'Gamma'];
      await w(async (tx) => {
        await tx.insertUsers([user('ada@f.com')]);
        await tx.insertOffer(offer('g1', { kind: 'granular' }));
        await tx.insertRelationship(relationship('r1', 'g1'));
        for (const name of names) {
          await tx.insertTemplate({ name, roles: ['a'], duration: 'P730D', autoExtendDuration: 'PT0S', assignments: [], createdAt: AT, createdBy: 'ada@f.com' });
          await tx.insertGroup({ name, objectId: null, createdAt: AT });
          await tx.addGroupMembers(name.toUpperCase(), ['ada@f.com']);
          await tx.upsertAssignment({ relationshipId: 'r1', group: name, roles: ['a'], createdAt: AT });
        }
      });
      expect((await r((tx) => tx.listTemplates())).map((t) => t.name)).toEqual(sorted);
      expect((await r((tx) => tx.listGroups())).map((g) => g.name)).toEqual(sorted);
      // Members are recorded under the group's own name, whatever case they were added with.
      expect(await r((tx) => tx.groupsOf('ada@f.com'))).toEqual(sorted);
      expect((await r((tx) => tx.listAssignments('r1'))).map((a) => a.group)).toEqual(sorted);
      expect(await r((tx) => tx.getTemplate('GAMMA'))).toMatchObject({ name: 'Gamma' });
      expect(await w((tx) => tx.setGroupObjectId('ALPHA', 'oid-a'))).toBe(true);
      expect(await r((tx) => tx.getGroup('alpha'))).toEqual({ name: 'Alpha', objectId: 'oid-a', createdAt: AT, members: ['ada@f.com'] });
    });

    test('offers by prefix without case, the active one preferred by link; notifications read by id, on the ledger and per reader', async () => {
      await w(async (tx) => {
        await tx.insertOffer(offer('abc-1', { kind: 'trial', product: 'P', link: 'https://x/1', linkId: 'lnk' }));
        await tx.insertOffer(offer('abc-2', { kind: 'trial', product: 'P', link: 'https://x/2', linkId: 'lnk', status: 'revoked', revokedAt: AT }));
        await tx.insertOffer(offer('abc-3', { kind: 'purchase', product: 'P', link: 'https://x/3', linkId: 'other' }));
      });
      expect((await r((tx) => tx.findOffers('ABC-'))).map((o) => o.id)).toEqual(['abc-1', 'abc-2', 'abc-3']);
      // The newest offer with the link is revoked: the active one is preferred.
      expect((await r((tx) => tx.offerByLink('trial', 'lnk')))!.id).toBe('abc-1');
      await w((tx) => tx.setOfferStatus('abc-1', 'revoked', AT));
      expect((await r((tx) => tx.offerByLink('trial', 'lnk')))!.id).toBe('abc-2');
      expect(await r((tx) => tx.offerByLink('purchase', 'lnk'))).toBeUndefined();

      const ids = await w(async (tx) => {
        const out: number[] = [];
        for (const message of ['one', 'two', 'three']) out.push(await tx.insertNotification({ at: AT, kind: 'k', clientDomain: null, offerId: null, message, readAt: null }));
        return out;
      });
      expect(await w((tx) => tx.markNotificationsRead([ids[0]!, ids[2]!], '2026-02-01T00:00:00.000Z'))).toBe(2);
      expect(await w((tx) => tx.markNotificationsRead([ids[0]!, ids[1]!], AT))).toBe(1);
      expect((await r((tx) => tx.getNotification(ids[0]!)))!.readAt).toBe('2026-02-01T00:00:00.000Z');
      expect((await r((tx) => tx.listNotifications({ unreadOnly: true }))).map((n) => n.message)).toEqual([]);
      expect(await w((tx) => tx.markNotificationsRead([ids[1]!, 999], AT, 'bob@f.com'))).toBe(1);
      expect(await w((tx) => tx.markNotificationsRead([ids[1]!, ids[2]!], AT, 'bob@f.com'))).toBe(1);
      expect((await r((tx) => tx.listNotifications({ unreadOnly: true, reader: 'bob@f.com' }))).map((n) => n.message)).toEqual(['one']);
      expect(await r((tx) => tx.getNotification(ids[1]!))).toEqual({ id: ids[1], at: AT, kind: 'k', clientDomain: null, offerId: null, message: 'two', readAt: AT });
    });

    test('pages: offers with their relationship, audit by filter, notifications per reader, clients by state', async () => {
      await w(async (tx) => {
        await tx.insertOffer(offer('o1'));
        await tx.insertOffer(offer('g1', { kind: 'granular' }));
        await tx.insertOffer(offer('o3', { status: 'revoked', revokedAt: AT }));
        await tx.insertRelationship(relationship('r1', 'g1', { template: 'Std' }));
        for (let i = 1; i <= 5; i++) await tx.insertAudit({ seq: i, at: AT, actor: i % 2 ? 'a@f.com' : 'b@f.com', action: 'x', target: 't', outcome: 'allowed', detail: '', hash: 'h' });
        await tx.insertNotification({ at: AT, kind: 'k', clientDomain: null, offerId: null, message: 'm1', readAt: null });
        await tx.insertNotification({ at: AT, kind: 'k', clientDomain: null, offerId: null, message: 'm2', readAt: null });
        await tx.upsertClient(client('a.com', 'o1'));
        await tx.upsertClient(client('b.com', 'o1', { dap: { offerId: 'o1', acceptedAt: AT, removedAt: AT } }));
        await tx.upsertClient(client('c.com', 'g1', { dap: null }));
        await tx.updateRelationship(relationship('r1', 'g1', { status: 'active', clientDomain: 'c.com', activatedAt: AT, endsAt: '2027-01-01T00:00:00.000Z', template: 'Std' }));
      });
      const offers = (await r((tx) => collect(tx.offerChunks({ all: false }, 1)))).flat();
      expect(offers.map((o) => [o.offer.id, o.relationship?.id])).toEqual([['o1', undefined], ['g1', 'r1']]);
      expect((await r((tx) => collect(tx.offerChunks({ all: true }, 10)))).flat()).toHaveLength(3);
      expect((await r((tx) => collect(tx.auditChunks({ actor: 'a@f.com' }, 2)))).map((c) => c.map((e) => e.seq))).toEqual([[1, 3], [5]]);
      await w((tx) => tx.markNotificationsRead('all', AT, 'a@f.com'));
      expect((await r((tx) => collect(tx.notificationChunks({ unreadOnly: true, reader: 'a@f.com' }, 1)))).flat()).toEqual([]);
      expect((await r((tx) => collect(tx.notificationChunks({ unreadOnly: true, reader: 'b@f.com' }, 1)))).map((c) => c.map((n) => n.message))).toEqual([['m1'], ['m2']]);
      const now = '2026-06-01T00:00:00.000Z';
      const names = async (f: Parameters<Tx['clientChunks']>[0]) => (await r((tx) => collect(tx.clientChunks(f, 2)))).flat().map((c) => c.domain);
      expect(await names({ active: { now, is: true } })).toEqual(['a.com', 'c.com']);
      expect(await names({ active: { now, is: false } })).toEqual(['b.com']);
      expect(await names({ endingBy: { now, by: '2027-06-01T00:00:00.000Z' } })).toEqual(['c.com']);
      expect(await names({ endingBy: { now, by: '2026-07-01T00:00:00.000Z' } })).toEqual([]);
      expect(await names({ templated: true })).toEqual(['c.com']);
      expect((await r((tx) => tx.getClient('c.com')))!.gdap.map((g) => g.id)).toEqual(['r1']);
    });

    test('offerLines: the plain lines the store prints are the renderer\'s, in offer order; records for the rest', async () => {
      const now = new Date('2026-06-01T00:00:00.000Z');
      const day = (n: number) => new Date(now.getTime() + n * 86_400_000).toISOString();
      // [relationship (none: a plain offer), printed by the store?]
      const shapes: [Partial<Relationship> | null, boolean][] = [
        [null, false],
        [{ createdAt: day(-10) }, true],
        [{ createdAt: day(-90) }, true], // exactly PENDING_DAYS: expired
        [{ createdAt: day(-89.99), msStatus: 'approved' }, true],
        [{ status: 'active', activatedAt: day(-5), endsAt: day(5) }, true],
        [{ status: 'active', activatedAt: day(-5), endsAt: day(0) }, true], // ends now: expired
        [{ status: 'active', activatedAt: day(-500), endsAt: day(-300), autoExtendDuration: 'P180D' }, true],
        [{ status: 'active', activatedAt: day(-5), endsAt: day(5), msStatus: 'expiring' }, true],
        [{ status: 'terminated', terminatedAt: day(-1), msStatus: 'terminating' }, true],
        [{ status: 'active', activatedAt: day(-5), endsAt: '2026-06-01T00:00:01Z' }, true], // as Graph writes it
        [{ status: 'active', activatedAt: day(-5), endsAt: '2026-06-01T00:00:00.9999999Z' }, false],
        [{ status: 'active', activatedAt: day(-5), endsAt: '2026-07-01' }, false],
        [{ displayName: 'tab\there' }, false],
        [{ displayName: 'back\\slash' }, false],
        [{ displayName: '\u202eevil' }, false],
        [{ displayName: 'Zoë, "quoted" =1' }, true],
        [{ id: 'rel/with space' }, false],
      ];
      await w(async (tx) => {
        await tx.insertPartner(PARTNER);
        for (const [i, [rel]] of shapes.entries()) {
          const id = `o${String(i).padStart(2, '0')}`;
          await tx.insertOffer(offer(id, { kind: rel ? 'granular' : 'plain', status: i === 4 ? 'revoked' : 'active', createdAt: day(-100) }));
          if (rel) await tx.insertRelationship(relationship(`r${i}`, id, { displayName: `Rel ${i}`, ...rel }));
        }
        for (const domain of ['a.com', 'b.com']) {
          await tx.upsertClient(client(domain, 'o01'));
          await tx.recordAcceptance({ offerId: 'o01', clientDomain: domain, at: AT, recordedBy: 'ada@fabrikam.com' });
        }
      });
      for (const all of [true, false]) {
        const { fromStore, fromRecords, printed } = await bothOfferLists(store, PARTNER, now, { all }, 3);
        expect(fromStore).toBe(fromRecords);
        expect(printed).toBe(shapes.filter(([, p], i) => p && (all || i !== 4)).length);
        expect(fromStore.split('\n')[1]).toMatch(/^o01\tactive\tgranular: Rel 1 \(approvalPending\)\t2\t/);
      }
      const lines = (await r((tx) => collect(tx.offerLines({ all: true }, 4, offerLineSpec(PARTNER, now))))).flat();
      expect(lines.map((x) => (typeof x === 'string' ? x.split('\t')[0] : x.offer.id))).toEqual(shapes.map((_, i) => `o${String(i).padStart(2, '0')}`));
    });

    test('a write that throws leaves nothing; rollbackWrites undoes and carries on', async () => {
      await expect(
        w(async (tx) => {
          await tx.insertPartner(PARTNER);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await r((tx) => tx.getPartner())).toBeUndefined();
      await w(async (tx) => {
        await tx.insertPartner(PARTNER);
        await tx.insertUsers([user('a@f.com')]);
        await tx.rollbackWrites();
        expect(await tx.getPartner()).toBeUndefined();
        await tx.insertUsers([user('b@f.com')]);
      });
      expect((await r((tx) => tx.listUsers({}))).map((u) => u.email)).toEqual(['b@f.com']);
    });

    test("driver errors become the store's own: a duplicate key is a StoreError (constraint), one line, and nothing is written", async () => {
      const err = await w(async (tx) => {
        await tx.insertUsers([user('a@f.com')]);
        await tx.insertUsers([user('a@f.com')]);
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ reason: 'constraint', exitCode: 1 });
      expect((err as Error).message).not.toMatch(/\n/);
      expect(await r((tx) => tx.listUsers({}))).toEqual([]);
      const fk = await w((tx) => tx.upsertClient(client('c.com', 'no-such-offer'))).catch((e: unknown) => e);
      expect(fk).toMatchObject({ reason: 'constraint' });
    });

    test('every ledger table exports and imports as the same rows', async () => {
      await w(async (tx) => {
        await tx.insertPartner(PARTNER);
        await tx.insertUsers([user('ada@f.com', { dbLogin: 'ada' })]);
        await tx.insertOffer(offer('o1'));
        await tx.upsertClient(client('contoso.com', 'o1'));
        await tx.recordAcceptance({ offerId: 'o1', clientDomain: 'contoso.com', at: AT, recordedBy: 'ada@f.com' });
        await tx.insertClientDomains([{ clientDomain: 'contoso.com', name: 'contoso.com', isInitial: false, verified: true, addedAt: AT }]);
      });
      const dump: Partial<Record<string, LedgerRow[]>> = {};
      await r(async (tx) => {
        for (const t of LEDGER_TABLES) for await (const page of tx.exportRows(t)) (dump[t] ??= []).push(...page);
      });
      expect(dump.partner![0]).toMatchObject({ certified: true, mpn_id: 1234567 });
      expect(dump.client_domains![0]).toMatchObject({ verified: true, is_initial: false });
      const other = await backend.make();
      try {
        await other.store.write(async (tx) => {
          for (const t of LEDGER_TABLES) if (dump[t]) await tx.importRows(t, dump[t]!);
        });
        const again: Partial<Record<string, LedgerRow[]>> = {};
        await other.store.read(async (tx) => {
          for (const t of LEDGER_TABLES) for await (const page of tx.exportRows(t)) (again[t] ??= []).push(...page);
        });
        expect(again).toEqual(dump);
        // Serial keys carry on after the copied ones.
        await other.store.write(async (tx) => {
          await tx.insertOffer(offer('o2'));
          await tx.recordAcceptance({ offerId: 'o2', clientDomain: 'contoso.com', at: AT, recordedBy: 'ada@f.com' });
        });
        expect((await other.store.read((tx) => tx.listOffers({ all: true }))).map((o) => o.id)).toEqual(['o1', 'o2']);
      } finally {
        await other.store.close();
        await other.cleanup();
      }
    });
  });
}
