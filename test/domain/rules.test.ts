/**
 * The domain rules (SPEC.md "Domain", "Who may do what"), driven through the
 * domain functions on a private in-memory store.
 */
import { clientStatus } from '../../src/domain/relationship/relationships.js';
import { acceptOffer, listClients, showClient } from '../../src/domain/client/clients.js';
import { fixedClock } from '../../src/domain/core/clock.js';
import { BadRowsError, ConflictError, NotFoundError, NotPermittedError, UsageError } from '../../src/domain/core/errors.js';
import { markRead } from '../../src/domain/partner/inbox.js';
import { canCreateOffers, type AuditEntry, type Cloud } from '../../src/domain/core/model.js';
import { createOffer, revokeOffer, type Offer } from '../../src/domain/offer/offers.js';
import { initPartner, setPartner, showPartner } from '../../src/domain/partner/partner.js';
import { writeAudited, type Session } from '../../src/domain/core/session.js';
import { adminOfferUrl, gdapInvitationUrl } from '../../src/domain/offer/urls.js';
import { addUsers, changeAdminAccess, listUsers, removeUser } from '../../src/domain/partner/users.js';
import type { SourceRow } from '../../src/domain/core/bulk.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { dump, rejects } from '../helpers/domain.js';
import { MPN, partnerCenterLink, pcId, signupLink } from '../helpers/links.js';
import { getOffer, listInbox, removeClient } from '../helpers/shortcuts.js';

const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';
const ADMIN = 'ada@fabrikam.com';
const T0 = new Date('2026-01-15T10:00:00.000Z');

let stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

interface World {
  store: SqliteStore;
  /** A session acting as `email` (the first global admin when omitted). */
  as(email?: string): Session;
  admin: Session;
}

async function world(opts: { certified?: boolean; cloud?: Cloud; mpnId?: number | null } = {}): Promise<World> {
  const store = SqliteStore.open(':memory:', { create: true });
  stores.push(store);
  const clock = fixedClock(T0);
  const as = (actorEmail?: string): Session => (actorEmail === undefined ? { store, clock } : { store, clock, actorEmail });
  await initPartner(as(), {
    name: 'Fabrikam',
    tenantId: TENANT,
    cloud: opts.cloud ?? 'global',
    certified: opts.certified ?? true,
    ...(opts.mpnId === null ? {} : { mpnId: opts.mpnId ?? MPN }),
    adminEmail: ADMIN,
    adminName: 'Ada',
  });
  return { store, as, admin: as(ADMIN) };
}

const args = (fields: Record<string, string>): SourceRow[] => [{ fields }];

async function addUser(w: World, email: string, access: 'full' | 'limited' | 'none' = 'none', globalAdmin = false): Promise<void> {
  await addUsers(w.admin, args({ email }), { globalAdmin, source: 'arguments' });
  if (access !== 'none') {
    await changeAdminAccess(w.admin, args({ email }), { mode: 'grant', defaultRole: access, dryRun: false, source: 'arguments' });
  }
}

async function accept(s: Session, reference: string, domain: string, extra: Record<string, string> = {}) {
  const [client] = await acceptOffer(s, reference, args({ domain, ...extra }), { source: 'arguments' });
  return client!;
}

let linkSeq = 0;

/**
 * A plain offer, or one bundled with a trial (`trial: product`, '' for none) or
 * purchase link Partner Center made (a fresh Partner Center id each time, unless given).
 */
async function newOffer(
  s: Session,
  input: { trial?: string; purchase?: { product?: string; quantity?: number }; id?: string; msppid?: number; cloud?: Cloud } = {},
): Promise<Offer> {
  const id = input.id ?? pcId(++linkSeq);
  const link = (type: 'Trial' | 'Purchase') => signupLink(type, id, input.msppid ?? MPN, input.cloud ?? 'global');
  const product = (p: string | undefined) => (p ? { product: p } : {});
  return (
    await createOffer(s, {
      ...(input.trial !== undefined ? { trial: { link: link('Trial'), ...product(input.trial) } } : {}),
      ...(input.purchase ? { purchase: { link: link('Purchase'), ...product(input.purchase.product), ...(input.purchase.quantity ? { quantity: input.purchase.quantity } : {}) } } : {}),
      format: 'text',
    })
  ).offer;
}

const audit = (w: World): Promise<AuditEntry[]> => w.store.read((tx) => tx.listAudit({}));

/**
 * The attempt is refused with NotPermittedError; the only trace it leaves is
 * one "denied" audit entry naming the actor and action.
 */
async function deniedAndAudited(w: World, attempt: () => Promise<unknown>, expected: { actor: string; action: string }): Promise<NotPermittedError> {
  const before = dump(w.store, { withoutAudit: true });
  const auditBefore = await audit(w);
  const err = await rejects(attempt(), NotPermittedError);
  expect(err.exitCode).toBe(4);
  expect(dump(w.store, { withoutAudit: true })).toEqual(before);
  const auditAfter = await audit(w);
  expect(auditAfter.slice(0, auditBefore.length)).toEqual(auditBefore);
  expect(auditAfter.slice(auditBefore.length)).toEqual([
    expect.objectContaining({ actor: expected.actor, action: expected.action, outcome: 'denied', detail: err.message }),
  ]);
  return err;
}

describe('partner', () => {
  test('init creates the partner and its first global admin with full admin access', async () => {
    const w = await world();
    expect(await showPartner(w.admin)).toMatchObject({ name: 'Fabrikam', tenantId: TENANT, cloud: 'global', certified: true });
    expect(await listUsers(w.admin, {})).toEqual([
      expect.objectContaining({ email: ADMIN, name: 'Ada', orgRole: 'global-admin', adminAccess: 'full' }),
    ]);
    expect(await audit(w)).toEqual([expect.objectContaining({ seq: 1, actor: ADMIN, action: 'partner.init', outcome: 'allowed' })]);
  });

  test('init on a store that already has a partner is a conflict and changes nothing', async () => {
    const w = await world();
    const before = dump(w.store);
    const err = await rejects(
      initPartner(w.as(), { name: 'Contoso', tenantId: OTHER_TENANT, cloud: 'china', certified: false, adminEmail: 'eve@contoso.com', adminName: 'Eve' }),
      ConflictError,
    );
    expect(err.exitCode).toBe(5);
    expect(err.message).toContain('Fabrikam');
    expect(dump(w.store)).toEqual(before);
  });

  test('only a global admin may change the partner', async () => {
    const w = await world();
    await addUser(w, 'bob@fabrikam.com', 'full');
    await deniedAndAudited(w, () => setPartner(w.as('bob@fabrikam.com'), { certified: false }), {
      actor: 'bob@fabrikam.com',
      action: 'partner.set',
    });
    expect((await showPartner(w.admin)).certified).toBe(true);
  });
});

describe('refusals', () => {
  test('a refusal after partial writes undoes them and leaves only a denied audit entry', async () => {
    const w = await world();
    await deniedAndAudited(
      w,
      () =>
        writeAudited(w.admin, async (tx) => {
          await tx.insertUsers([{ email: 'eve@fabrikam.com', name: 'Eve', orgRole: 'global-admin', adminAccess: 'full', createdAt: T0.toISOString() }]);
          throw new NotPermittedError('eve may not', { actor: 'eve@fabrikam.com', action: 'test.sneak', target: 'x' });
        }),
      { actor: 'eve@fabrikam.com', action: 'test.sneak' },
    );
  });
});

describe('creating offers', () => {
  test('an uncertified partner cannot create offers: refused, the fix named, only a denied entry written', async () => {
    const w = await world({ certified: false });
    const err = await deniedAndAudited(w, () => createOffer(w.admin, { format: 'text' }), { actor: ADMIN, action: 'offer.create' });
    expect(err.message).toContain('not certified');
    expect(err.message).toContain('delegate partner set --certified');
    expect(await w.store.read((tx) => tx.listOffers({ all: true }))).toEqual([]);
  });

  test('once certified, the same user can create offers', async () => {
    const w = await world({ certified: false });
    await setPartner(w.admin, { certified: true });
    const offer = await newOffer(w.admin);
    expect(offer).toMatchObject({ status: 'active', createdBy: ADMIN, acceptedCount: 0, url: adminOfferUrl('global', TENANT) });
  });

  test('a user without admin access cannot create offers; full and limited can', async () => {
    const w = await world();
    await addUser(w, 'nina@fabrikam.com', 'none');
    await addUser(w, 'fay@fabrikam.com', 'full');
    await addUser(w, 'lee@fabrikam.com', 'limited');
    const err = await deniedAndAudited(w, () => createOffer(w.as('nina@fabrikam.com'), { format: 'text' }), {
      actor: 'nina@fabrikam.com',
      action: 'offer.create',
    });
    expect(err.message).toContain('grant-admin nina@fabrikam.com');
    expect((await newOffer(w.as('fay@fabrikam.com'))).createdBy).toBe('fay@fabrikam.com');
    expect((await newOffer(w.as('lee@fabrikam.com'))).createdBy).toBe('lee@fabrikam.com');
  });

  test('revoking admin access takes the right to create offers away', async () => {
    const w = await world();
    await addUser(w, 'lee@fabrikam.com', 'limited');
    await newOffer(w.as('lee@fabrikam.com'));
    await changeAdminAccess(w.admin, args({ email: 'lee@fabrikam.com' }), { mode: 'revoke', dryRun: false, source: 'arguments' });
    await deniedAndAudited(w, () => createOffer(w.as('lee@fabrikam.com'), { format: 'text' }), {
      actor: 'lee@fabrikam.com',
      action: 'offer.create',
    });
  });

  test('a user without admin access cannot revoke offers', async () => {
    const w = await world();
    await addUser(w, 'nina@fabrikam.com');
    const offer = await newOffer(w.admin);
    await deniedAndAudited(w, () => revokeOffer(w.as('nina@fabrikam.com'), offer.id), { actor: 'nina@fabrikam.com', action: 'offer.revoke' });
    expect((await getOffer(w.admin, offer.id)).status).toBe('active');
  });

  test('a trial and a purchase offer carry the link Partner Center made, as given', async () => {
    const w = await world();
    const t = await newOffer(w.admin, { trial: 'Microsoft 365 E3', id: pcId(900) });
    const p = await newOffer(w.admin, { purchase: { product: 'Exchange Online', quantity: 10 }, id: pcId(901) });
    expect(t.trial).toEqual({ product: 'Microsoft 365 E3', url: partnerCenterLink('Trial', pcId(900)) });
    expect(t.url).toBe(t.trial!.url);
    expect(t.text).toContain('try Microsoft 365 E3');
    expect(t.text).toContain(t.url);
    expect(p.purchase).toEqual({ product: 'Exchange Online', quantity: 10, url: partnerCenterLink('Purchase', pcId(901)) });
    expect(p.text).toContain('10 licences of Exchange Online');
    // The link names Partner Center's id, not delegate's.
    expect(t.url).not.toContain(t.id);
    await rejects(
      createOffer(w.admin, { trial: { link: signupLink('Trial', pcId(902)) }, purchase: { link: signupLink('Purchase', pcId(903)) }, format: 'text' }),
      UsageError,
    );
  });

  test('product and quantity are optional: they only feed the text', async () => {
    const w = await world();
    const t = await newOffer(w.admin, { trial: '' });
    expect(t.trial).toEqual({ url: t.url });
    expect(t.text).toContain('invites you to a trial');
    const q = await newOffer(w.admin, { purchase: { quantity: 3 } });
    expect(q.purchase).toEqual({ quantity: 3, url: q.url });
    expect(q.text).toContain('offers you 3 licences and');
    const n = await newOffer(w.admin, { purchase: {} });
    expect(n.purchase).toEqual({ url: n.url });
    expect(n.text).toContain('sends you a purchase offer');
  });

  test("a link whose msppid is not the partner's Partner ID is invalid input, and writes nothing", async () => {
    const w = await world();
    const before = dump(w.store);
    const err = await rejects(newOffer(w.admin, { trial: 'E3', msppid: 7654321 }), UsageError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('msppid 7654321');
    expect(err.message).toContain(String(MPN));
    expect(dump(w.store)).toEqual(before);
  });

  test('without a Partner ID set, any integer msppid is taken; once set, it is checked', async () => {
    const w = await world({ mpnId: null });
    expect((await showPartner(w.admin)).mpnId).toBeNull();
    await newOffer(w.admin, { trial: 'E3', msppid: 42 });
    await setPartner(w.admin, { mpnId: 43 });
    expect((await showPartner(w.admin)).mpnId).toBe(43);
    await rejects(newOffer(w.admin, { trial: 'E3', msppid: 42 }), UsageError);
    await newOffer(w.admin, { trial: 'E3', msppid: 43 });
    expect((await audit(w)).find((e) => e.action === 'partner.set')?.detail).toBe('mpnId: null -> 43');
  });

  test("a link for the other cloud is invalid input at creation", async () => {
    const w = await world();
    const before = dump(w.store);
    expect((await rejects(newOffer(w.admin, { trial: 'E3', cloud: 'china' }), UsageError)).message).toContain('21Vianet');
    expect(dump(w.store)).toEqual(before);
    const cn = await world({ cloud: 'china' });
    const o = await newOffer(cn.admin, { purchase: { product: 'E3', quantity: 1 }, cloud: 'china' });
    expect(o.url).toBe(partnerCenterLink('Purchase', pcId(linkSeq), MPN, 'china'));
  });

  test('one Partner Center link goes with one active offer; once that is revoked it can be bundled again', async () => {
    const w = await world();
    const first = await newOffer(w.admin, { trial: 'E3', id: pcId(950) });
    const before = dump(w.store);
    const err = await rejects(newOffer(w.admin, { trial: 'E5', id: pcId(950).toUpperCase() }), ConflictError);
    expect(err.exitCode).toBe(5);
    expect(err.message).toContain(first.id);
    expect(dump(w.store)).toEqual(before);
    // A purchase link with the same id is another link.
    await newOffer(w.admin, { purchase: { product: 'E3' }, id: pcId(950) });
    await revokeOffer(w.admin, first.id);
    const second = await newOffer(w.admin, { trial: 'E5', id: pcId(950) });
    expect((await accept(w.admin, first.url, 'contoso.com')).offerId).toBe(second.id);
  });
});

describe('partner users', () => {
  test('canCreateOffers is exactly adminAccess != none', async () => {
    expect(canCreateOffers({ adminAccess: 'full' })).toBe(true);
    expect(canCreateOffers({ adminAccess: 'limited' })).toBe(true);
    expect(canCreateOffers({ adminAccess: 'none' })).toBe(false);
    const w = await world();
    await addUser(w, 'nina@fabrikam.com', 'none');
    await addUser(w, 'lee@fabrikam.com', 'limited');
    const byEmail = Object.fromEntries((await listUsers(w.admin, {})).map((u) => [u.email, canCreateOffers(u)]));
    expect(byEmail).toEqual({ [ADMIN]: true, 'lee@fabrikam.com': true, 'nina@fabrikam.com': false });
  });

  test('new users have no admin access until a global admin grants it', async () => {
    const w = await world();
    await addUsers(w.admin, args({ email: 'Bob@Fabrikam.com', name: 'Bob' }), { globalAdmin: false, source: 'arguments' });
    expect(await listUsers(w.admin, { access: 'none' })).toEqual([
      expect.objectContaining({ email: 'bob@fabrikam.com', name: 'Bob', orgRole: 'user', adminAccess: 'none' }),
    ]);
  });

  test('emails are unique regardless of case: adding one twice is a conflict', async () => {
    const w = await world();
    await addUser(w, 'bob@fabrikam.com');
    await rejects(addUsers(w.admin, args({ email: 'BOB@fabrikam.com' }), { globalAdmin: false, source: 'arguments' }), ConflictError);
  });

  describe('only global admins manage users, even with full admin access', () => {
    const FAY = 'fay@fabrikam.com';
    let w: World;
    beforeEach(async () => {
      w = await world();
      await addUser(w, FAY, 'full');
      await addUser(w, 'nina@fabrikam.com');
    });

    test('add', async () => {
      await deniedAndAudited(w, () => addUsers(w.as(FAY), args({ email: 'new@fabrikam.com' }), { globalAdmin: false, source: 'arguments' }), {
        actor: FAY,
        action: 'user.add',
      });
    });

    test('grant', async () => {
      await deniedAndAudited(
        w,
        () => changeAdminAccess(w.as(FAY), args({ email: 'nina@fabrikam.com' }), { mode: 'grant', defaultRole: 'full', dryRun: false, source: 'arguments' }),
        { actor: FAY, action: 'user.grant-admin' },
      );
    });

    test('revoke', async () => {
      await deniedAndAudited(
        w,
        () => changeAdminAccess(w.as(FAY), args({ email: ADMIN }), { mode: 'revoke', dryRun: false, source: 'arguments' }),
        { actor: FAY, action: 'user.revoke-admin' },
      );
    });

    test('remove', async () => {
      await deniedAndAudited(w, () => removeUser(w.as(FAY), 'nina@fabrikam.com'), { actor: FAY, action: 'user.remove' });
    });

    test('a second global admin may do all of it', async () => {
      await addUser(w, 'gail@fabrikam.com', 'none', true);
      const gail = w.as('gail@fabrikam.com');
      await addUsers(gail, args({ email: 'new@fabrikam.com' }), { globalAdmin: false, source: 'arguments' });
      await changeAdminAccess(gail, args({ email: 'new@fabrikam.com' }), { mode: 'grant', defaultRole: 'limited', dryRun: false, source: 'arguments' });
      await changeAdminAccess(gail, args({ email: FAY }), { mode: 'revoke', dryRun: false, source: 'arguments' });
      await removeUser(gail, 'nina@fabrikam.com');
      const users = Object.fromEntries((await listUsers(w.admin, {})).map((u) => [u.email, u.adminAccess]));
      expect(users).toEqual({ [ADMIN]: 'full', [FAY]: 'none', 'gail@fabrikam.com': 'none', 'new@fabrikam.com': 'limited' });
    });
  });

  test('the last global admin cannot be removed; with a second one it can', async () => {
    const w = await world();
    const before = dump(w.store);
    const err = await rejects(removeUser(w.admin, ADMIN), ConflictError);
    expect(err.message).toContain('last global admin');
    expect(dump(w.store)).toEqual(before);

    await addUser(w, 'gail@fabrikam.com', 'none', true);
    await removeUser(w.as('gail@fabrikam.com'), ADMIN);
    expect((await listUsers(w.as('gail@fabrikam.com'), {})).map((u) => u.email)).toEqual(['gail@fabrikam.com']);
    await rejects(removeUser(w.as('gail@fabrikam.com'), 'gail@fabrikam.com'), ConflictError);
  });

  test('removing a user who does not exist is not found', async () => {
    const w = await world();
    await rejects(removeUser(w.admin, 'ghost@fabrikam.com'), NotFoundError);
  });
});

describe('bulk admin access', () => {
  /** Rows as a CSV file gives them: the header is line 1. */
  /** Rows as a CSV file gives them (the header is line 1); an Error stands for a row that could not be read. */
  const file = (rows: Array<Record<string, string> | Error>): SourceRow[] =>
    rows.map((r, i) => (r instanceof Error ? { line: i + 2, fields: {}, error: r.message } : { line: i + 2, fields: r }));

  test('bad rows reject the whole file, each named by line, and nothing is written', async () => {
    const w = await world();
    await addUser(w, 'bob@fabrikam.com');
    await addUser(w, 'cy@fabrikam.com');
    const before = dump(w.store);
    const rows = file([
      { email: 'bob@fabrikam.com', role: 'full' }, // line 2: good
      { email: 'not-an-email', role: 'full' }, // line 3
      { email: 'ghost@fabrikam.com', role: 'limited' }, // line 4
      { email: 'cy@fabrikam.com', role: 'admin' }, // line 5
      { email: '', role: 'full' }, // line 6
      new Error('expected 2 fields, got 3'), // line 7
      { email: 'cy@fabrikam.com' }, // line 8: no role and no default
    ]);
    const err = await rejects(changeAdminAccess(w.admin, rows, { mode: 'grant', dryRun: false, source: 'roles.csv' }), BadRowsError);
    expect(err.exitCode).toBe(2);
    expect(err.rows.map((r) => r.line).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(err.total).toBe(6);
    for (const line of [3, 4, 5, 6, 7, 8]) expect(err.message).toContain(`line ${line}:`);
    expect(err.message).not.toContain('line 2:');
    expect(err.message).toContain('roles.csv');
    expect(err.message).toContain('nothing written');
    expect(err.message).toContain('ghost@fabrikam.com is not a user');
    expect(err.message).toContain('"admin"');
    expect(err.message).toContain('expected 2 fields, got 3');
    expect(err.message).not.toMatch(/\n/);
    expect(dump(w.store)).toEqual(before);
  });

  test('bad input is reported before permissions: a non-admin with a bad file gets the bad rows', async () => {
    const w = await world();
    await addUser(w, 'fay@fabrikam.com', 'full');
    const before = dump(w.store);
    await rejects(
      changeAdminAccess(w.as('fay@fabrikam.com'), file([{ email: 'nope', role: 'full' }]), { mode: 'grant', dryRun: false, source: 'roles.csv' }),
      BadRowsError,
    );
    expect(dump(w.store)).toEqual(before);
  });

  test('a row without a role takes the default; a row with one keeps its own', async () => {
    const w = await world();
    await addUser(w, 'bob@fabrikam.com');
    await addUser(w, 'cy@fabrikam.com');
    const changes = await changeAdminAccess(
      w.admin,
      file([{ email: 'bob@fabrikam.com', role: '' }, { email: 'cy@fabrikam.com', role: 'FULL' }]),
      { mode: 'grant', defaultRole: 'limited', dryRun: false, source: 'roles.csv' },
    );
    expect(changes.map((c) => [c.email, c.from, c.to, c.changed])).toEqual([
      ['bob@fabrikam.com', 'none', 'limited', true],
      ['cy@fabrikam.com', 'none', 'full', true],
    ]);
    expect((await listUsers(w.admin, { access: 'limited' })).map((u) => u.email)).toEqual(['bob@fabrikam.com']);
    expect((await audit(w)).at(-1)).toMatchObject({ action: 'user.grant-admin', target: 'roles.csv', outcome: 'allowed' });
  });

  test('dry run returns the plan and writes nothing', async () => {
    const w = await world();
    await addUser(w, 'bob@fabrikam.com');
    await addUser(w, 'cy@fabrikam.com', 'full');
    const before = dump(w.store);
    const plan = await changeAdminAccess(
      w.admin,
      file([{ email: 'bob@fabrikam.com', role: 'full' }, { email: 'cy@fabrikam.com', role: 'full' }]),
      { mode: 'grant', dryRun: true, source: 'roles.csv' },
    );
    expect(plan.map((c) => [c.email, c.from, c.to, c.changed])).toEqual([
      ['bob@fabrikam.com', 'none', 'full', true],
      ['cy@fabrikam.com', 'full', 'full', false],
    ]);
    expect(dump(w.store)).toEqual(before);

    const revokePlan = await changeAdminAccess(w.admin, file([{ email: 'cy@fabrikam.com' }]), { mode: 'revoke', dryRun: true, source: 'revoke.csv' });
    expect(revokePlan).toEqual([expect.objectContaining({ email: 'cy@fabrikam.com', from: 'full', to: 'none', changed: true })]);
    expect(dump(w.store)).toEqual(before);
  });

  test('an unknown user named on the command line is not found', async () => {
    const w = await world();
    await rejects(
      changeAdminAccess(w.admin, args({ email: 'ghost@fabrikam.com' }), { mode: 'grant', defaultRole: 'full', dryRun: false, source: 'arguments' }),
      NotFoundError,
    );
  });
});

describe('accepting offers', () => {
  test('one offer is reused: many clients accept it and acceptedCount counts them', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    await accept(w.admin, offer.id, 'contoso.com', { name: 'Contoso', tenantId: OTHER_TENANT });
    await accept(w.admin, offer.id, 'northwind.com');
    await accept(w.admin, offer.url, 'tailspin.com');
    expect((await getOffer(w.admin, offer.id)).acceptedCount).toBe(3);
    const clients = await listClients(w.admin, {});
    expect(clients.map((c) => [c.domain, clientStatus(c, T0), c.offerId])).toEqual([
      ['contoso.com', 'active', offer.id],
      ['northwind.com', 'active', offer.id],
      ['tailspin.com', 'active', offer.id],
    ]);
    expect(clients[0]).toEqual({
      domain: 'contoso.com',
      name: 'Contoso',
      tenantId: OTHER_TENANT,
      offerId: offer.id,
      acceptedAt: T0.toISOString(),
      dap: { offerId: offer.id, acceptedAt: T0.toISOString(), removedAt: null },
      gdap: [],
    });
    expect(clients[1]!.name).toBe('northwind.com');
  });

  test('an offer can be named by a unique prefix of its id', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    expect((await accept(w.admin, offer.id.slice(0, 8).toUpperCase(), 'contoso.com')).offerId).toBe(offer.id);
  });

  test('a revoked offer cannot be accepted', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    const trial = await newOffer(w.admin, { trial: 'Microsoft 365 E3' });
    await revokeOffer(w.admin, offer.id);
    await revokeOffer(w.admin, trial.id);
    const before = dump(w.store);
    expect((await rejects(accept(w.admin, offer.id, 'contoso.com'), ConflictError)).message).toContain('revoked');
    await rejects(accept(w.admin, trial.url, 'contoso.com'), ConflictError);
    expect(dump(w.store)).toEqual(before);
  });

  test('revoking a revoked offer is a conflict', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    await revokeOffer(w.admin, offer.id);
    await rejects(revokeOffer(w.admin, offer.id), ConflictError);
  });

  test('the admin link records against the latest active plain offer', async () => {
    const w = await world();
    const first = await newOffer(w.admin);
    const second = await newOffer(w.admin);
    expect(first.url).toBe(second.url);
    expect((await accept(w.admin, first.url, 'contoso.com')).offerId).toBe(second.id);

    const { linkStillAcceptedBy } = await revokeOffer(w.admin, second.id);
    expect(linkStillAcceptedBy).toBe(first.id);
    expect((await accept(w.admin, first.url, 'northwind.com')).offerId).toBe(first.id);

    const last = await revokeOffer(w.admin, first.id);
    expect(last.linkStillAcceptedBy).toBeUndefined();
    const before = dump(w.store);
    await rejects(accept(w.admin, first.url, 'tailspin.com'), ConflictError);
    expect(dump(w.store)).toEqual(before);
  });

  test('the admin link with no offer at all is a conflict', async () => {
    const w = await world();
    const err = await rejects(accept(w.admin, adminOfferUrl('global', TENANT), 'contoso.com'), ConflictError);
    expect(err.exitCode).toBe(5);
    expect(err.message).toContain('delegate offer create');
  });

  test('a trial or purchase link finds the offer that stores it, even when a newer offer is active', async () => {
    const w = await world();
    const trial = await newOffer(w.admin, { trial: 'Microsoft 365 E3' });
    const purchase = await newOffer(w.admin, { purchase: { product: 'Exchange Online', quantity: 5 } });
    const plain = await newOffer(w.admin);
    expect((await accept(w.admin, trial.url, 'contoso.com')).offerId).toBe(trial.id);
    // The id in the link is matched whatever its case; the rest of the link need not be byte-identical.
    expect((await accept(w.admin, purchase.url.toUpperCase().replace('HTTPS://PORTAL.OFFICE.COM', 'https://portal.office.com'), 'northwind.com')).offerId).toBe(purchase.id);
    expect((await accept(w.admin, plain.url, 'tailspin.com')).offerId).toBe(plain.id);
  });

  test('after a purchase offer, the plain delegated admin link is still recorded under the plain offer', async () => {
    const w = await world();
    const plain = await newOffer(w.admin);
    const purchase = await newOffer(w.admin, { purchase: { product: 'Microsoft 365 E3', quantity: 5 } });
    expect((await accept(w.admin, adminOfferUrl('global', TENANT), 'contoso.com')).offerId).toBe(plain.id);
    expect((await getOffer(w.admin, purchase.id)).acceptedCount).toBe(0);
  });

  test('with no plain offer active, the admin link falls back to the newest active non-granular offer', async () => {
    const w = await world();
    const trial = await newOffer(w.admin, { trial: 'E3' });
    const purchase = await newOffer(w.admin, { purchase: { product: 'E3', quantity: 1 } });
    const plain = await newOffer(w.admin);
    await revokeOffer(w.admin, plain.id);
    expect((await accept(w.admin, adminOfferUrl('global', TENANT), 'contoso.com')).offerId).toBe(purchase.id);
    const { linkStillAcceptedBy, sharedAdminLink } = await revokeOffer(w.admin, purchase.id);
    expect(sharedAdminLink).toBe(false);
    expect(linkStillAcceptedBy).toBe(trial.id);
    const last = await revokeOffer(w.admin, trial.id);
    expect(last.linkStillAcceptedBy).toBeUndefined();
    await rejects(accept(w.admin, adminOfferUrl('global', TENANT), 'northwind.com'), ConflictError);
  });

  test('revoking a plain offer says the shared link still counts against another active plain offer', async () => {
    const w = await world();
    const a = await newOffer(w.admin);
    await newOffer(w.admin, { trial: 'E3' });
    const b = await newOffer(w.admin);
    const r = await revokeOffer(w.admin, a.id);
    expect(r).toMatchObject({ sharedAdminLink: true, linkStillAcceptedBy: b.id });
  });

  test('a trial or purchase link no offer carries is not found, before permission, and writes nothing', async () => {
    const w = await world();
    const trial = await newOffer(w.admin, { trial: 'E3' });
    await addUser(w, 'nina@fabrikam.com');
    const before = dump(w.store);
    const unknown = partnerCenterLink('Trial', pcId(999));
    const err = await rejects(accept(w.admin, unknown, 'contoso.com'), NotFoundError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('offer list --all');
    // Its id under the other type names no offer either.
    await rejects(accept(w.admin, trial.url.replace('type=Trial', 'type=Purchase'), 'contoso.com'), NotFoundError);
    // Existence is checked before permission: no denied entry.
    await rejects(accept(w.as('nina@fabrikam.com'), unknown, 'contoso.com'), NotFoundError);
    expect(dump(w.store)).toEqual(before);
  });

  test("a trial link whose msppid is not the partner's is invalid input", async () => {
    const w = await world();
    const trial = await newOffer(w.admin, { trial: 'E3' });
    const before = dump(w.store);
    expect((await rejects(accept(w.admin, trial.url.replace(`msppid=${MPN}`, 'msppid=999'), 'contoso.com'), UsageError)).message).toContain('msppid 999');
    // An old made-up link (msppid = the tenant id) is refused, saying why.
    expect((await rejects(accept(w.admin, trial.url.replace(`msppid=${MPN}`, `msppid=${TENANT}`), 'contoso.com'), UsageError)).message).toContain('never worked');
    expect(dump(w.store)).toEqual(before);
  });

  test('a GDAP link in the admin.cloud.microsoft form names its relationship too', async () => {
    const w = await world();
    const rel = '5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836';
    const err = await rejects(accept(w.admin, `https://admin.cloud.microsoft/?#/partners/invitation/granularAdminRelationships/${rel}`, 'contoso.com'), NotFoundError);
    expect(err.message).toContain(rel);
    await rejects(accept(w.admin, gdapInvitationUrl('global', rel), 'contoso.com'), NotFoundError);
  });

  test("another partner's link is invalid input, even for a user who could not accept anyway", async () => {
    const w = await world();
    await newOffer(w.admin);
    await addUser(w, 'nina@fabrikam.com');
    const before = dump(w.store);
    const err = await rejects(accept(w.admin, adminOfferUrl('global', OTHER_TENANT), 'contoso.com'), UsageError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('another partner');
    await rejects(accept(w.as('nina@fabrikam.com'), adminOfferUrl('global', OTHER_TENANT), 'contoso.com'), UsageError);
    expect(dump(w.store)).toEqual(before);
  });

  test("a link for the other cloud is invalid input", async () => {
    const w = await world();
    const offer = await newOffer(w.admin, { trial: 'Microsoft 365 E3', id: pcId(960) });
    const before = dump(w.store);
    expect((await rejects(accept(w.admin, adminOfferUrl('china', TENANT), 'contoso.com'), UsageError)).message).toContain('21Vianet');
    await rejects(accept(w.admin, offer.url.replace('portal.office.com', 'portal.partner.microsoftonline.cn'), 'contoso.com'), UsageError);
    expect(dump(w.store)).toEqual(before);

    const cn = await world({ cloud: 'china' });
    const cnOffer = await newOffer(cn.admin);
    await rejects(accept(cn.admin, adminOfferUrl('global', TENANT), 'contoso.com'), UsageError);
    expect((await accept(cn.admin, adminOfferUrl('china', TENANT), 'contoso.com')).offerId).toBe(cnOffer.id);
  });

  test('a user without admin access cannot record an acceptance', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    await addUser(w, 'nina@fabrikam.com');
    await deniedAndAudited(w, () => accept(w.as('nina@fabrikam.com'), offer.id, 'contoso.com'), {
      actor: 'nina@fabrikam.com',
      action: 'client.accept',
    });
  });

  test('accepting for a client that is already active is a conflict', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    await accept(w.admin, offer.id, 'contoso.com');
    const before = dump(w.store);
    const err = await rejects(accept(w.admin, offer.id, 'Contoso.COM'), ConflictError);
    expect(err.message).toContain('already an active client');
    expect(dump(w.store)).toEqual(before);
  });

  test('a removed client can accept again; history keeps both acceptances', async () => {
    const w = await world();
    const first = await newOffer(w.admin);
    await accept(w.admin, first.id, 'contoso.com', { name: 'Contoso' });
    const removed = await removeClient(w.admin, 'contoso.com');
    expect(removed).toMatchObject({ dap: { removedAt: T0.toISOString(), offerId: first.id }, offerId: first.id });
    expect(clientStatus(removed, T0)).toBe('removed');

    const second = await newOffer(w.admin);
    const again = await accept(w.admin, second.id, 'contoso.com', { name: 'Contoso' });
    expect(again).toMatchObject({ offerId: second.id, dap: { offerId: second.id, removedAt: null } });
    expect(clientStatus(again, T0)).toBe('active');
    expect(await showClient(w.admin, 'contoso.com')).toEqual(again);
    expect((await getOffer(w.admin, first.id)).acceptedCount).toBe(1);
    expect((await getOffer(w.admin, second.id)).acceptedCount).toBe(1);
    expect((await audit(w)).filter((e) => e.action === 'client.accept' && e.target === 'contoso.com')).toHaveLength(2);
    const inbox = await listInbox(w.admin, { unreadOnly: false });
    expect(inbox.map((n) => n.offerId)).toEqual([first.id, second.id]);
    expect(inbox[1]!.message).toContain('again');
  });

  test('a bulk acceptance with a duplicate or invalid row writes nothing and names each line', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    const before = dump(w.store);
    const rows: SourceRow[] = [
      { line: 2, fields: { domain: 'contoso.com' } },
      { line: 3, fields: { domain: 'not a domain' } },
      { line: 4, fields: { domain: 'CONTOSO.com' } },
      { line: 5, fields: { domain: 'northwind.com', tenantId: 'nope' } },
    ];
    const err = await rejects(acceptOffer(w.admin, offer.id, rows, { source: 'clients.csv' }), BadRowsError);
    expect(err.rows.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(dump(w.store)).toEqual(before);
  });
});

describe('removing clients', () => {
  let w: World;
  let offerId: string;
  beforeEach(async () => {
    w = await world();
    offerId = (await newOffer(w.admin)).id;
    await accept(w.admin, offerId, 'contoso.com');
    await addUser(w, 'lee@fabrikam.com', 'limited');
    await addUser(w, 'fay@fabrikam.com', 'full');
  });

  test('limited admin access may not end a relationship', async () => {
    const err = await deniedAndAudited(w, () => removeClient(w.as('lee@fabrikam.com'), 'contoso.com'), {
      actor: 'lee@fabrikam.com',
      action: 'client.remove',
    });
    expect(err.message).toContain('full admin access');
    expect(clientStatus(await showClient(w.admin, 'contoso.com'), T0)).toBe('active');
  });

  test('full admin access may, without being a global admin', async () => {
    expect(clientStatus(await removeClient(w.as('fay@fabrikam.com'), 'contoso.com'), T0)).toBe('removed');
  });

  test('a global admin without admin access may', async () => {
    await addUser(w, 'gail@fabrikam.com', 'none', true);
    expect(clientStatus(await removeClient(w.as('gail@fabrikam.com'), 'contoso.com'), T0)).toBe('removed');
  });

  test('removing keeps the client in the ledger as removed; removing it again is a conflict', async () => {
    await removeClient(w.admin, 'contoso.com');
    expect(await listClients(w.admin, { status: 'active' })).toEqual([]);
    expect(await listClients(w.admin, { status: 'removed' })).toEqual([expect.objectContaining({ domain: 'contoso.com', offerId })]);
    expect((await getOffer(w.admin, offerId)).acceptedCount).toBe(1);
    await rejects(removeClient(w.admin, 'contoso.com'), ConflictError);
  });

  test('an unknown client is not found', async () => {
    await rejects(removeClient(w.admin, 'northwind.com'), NotFoundError);
  });
});

describe('inbox', () => {
  test('each acceptance notifies the partner; listing leaves it unread', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    await accept(w.admin, offer.id, 'contoso.com', { name: 'Contoso' });
    const expected = [
      expect.objectContaining({ kind: 'offer.accepted', clientDomain: 'contoso.com', offerId: offer.id, readAt: null, at: T0.toISOString() }),
    ];
    expect(await listInbox(w.admin, { unreadOnly: true })).toEqual(expected);
    expect(await listInbox(w.admin, { unreadOnly: true })).toEqual(expected);
    expect((await listInbox(w.admin, { unreadOnly: false }))[0]!.message).toContain('Contoso (contoso.com) accepted');
  });

  test('read one, then all', async () => {
    const w = await world();
    const offer = await newOffer(w.admin);
    for (const d of ['a.com', 'b.com', 'c.com']) await accept(w.admin, offer.id, d);
    const [first] = await listInbox(w.admin, { unreadOnly: true });

    expect(await markRead(w.admin, first!.id)).toEqual({ marked: 1 });
    expect((await listInbox(w.admin, { unreadOnly: true })).map((n) => n.clientDomain)).toEqual(['b.com', 'c.com']);
    expect((await listInbox(w.admin, { unreadOnly: false })).find((n) => n.id === first!.id)!.readAt).toBe(T0.toISOString());
    expect(await markRead(w.admin, first!.id)).toEqual({ marked: 0 });

    expect(await markRead(w.admin, 'all')).toEqual({ marked: 2 });
    expect(await listInbox(w.admin, { unreadOnly: true })).toEqual([]);
    expect(await listInbox(w.admin, { unreadOnly: false })).toHaveLength(3);
    expect(await markRead(w.admin, 'all')).toEqual({ marked: 0 });
  });

  test('reading a notification that does not exist is not found', async () => {
    const w = await world();
    await rejects(markRead(w.admin, 42), NotFoundError);
  });
});
