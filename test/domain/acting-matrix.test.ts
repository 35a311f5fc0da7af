/**
 * The whole permission matrix for acting for a client (SPEC.md "Acting for a
 * client"), through the domain functions on an in-memory store:
 * acting access x action x relationship, each case checking the decision,
 * the rule named in a refusal, what changed, and the audit entry appended.
 */
import { LEDGER } from '../../src/domain/plan/decision.js';
import { addClientDomain } from '../../src/domain/acting/domains.js';
import { addClientUsers, resetClientPassword } from '../../src/domain/acting/users.js';
import { refuseMdm } from '../../src/domain/acting/mdm.js';
import { checkAudit } from '../../src/domain/core/audit.js';
import { acceptOffer } from '../../src/domain/client/clients.js';
import { fixedClock } from '../../src/domain/core/clock.js';
import { NotPermittedError } from '../../src/domain/core/errors.js';
import { MDM_NOT_SUPPORTED } from '../../src/domain/acting/mdm.js';
import { createOffer } from '../../src/domain/offer/offers.js';
import { initPartner } from '../../src/domain/partner/partner.js';

import type { Session } from '../../src/domain/core/session.js';
import { addUsers, changeAdminAccess } from '../../src/domain/partner/users.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { isStrongPassword, listAuditEntries, removeClient } from '../helpers/shortcuts.js';

const SETUP_AT = new Date('2026-03-01T09:00:00.000Z');
const ACT_AT = new Date('2026-03-02T10:30:00.000Z');
const ADMIN = 'ada@fabrikam.com';

type Access = 'full' | 'limited' | 'none' | 'global admin with none';
type Action = 'add user' | 'reset non-admin password' | 'reset admin password' | 'add domain' | 'MDM';
type Relationship = 'active' | 'removed' | 'never accepted';

/** The acting partner user for each kind of access; none of them is the setup admin. */
const ACTORS: Record<Access, string> = {
  full: 'fay@fabrikam.com',
  limited: 'lee@fabrikam.com',
  none: 'noel@fabrikam.com',
  'global admin with none': 'gail@fabrikam.com',
};

const CLIENTS: Record<Relationship, string> = {
  active: 'contoso.com',
  removed: 'tailspin.com',
  'never accepted': 'northwind.com',
};

const ACCESSES = Object.keys(ACTORS) as Access[];
const ACTIONS: Action[] = ['add user', 'reset non-admin password', 'reset admin password', 'add domain', 'MDM'];
const RELATIONSHIPS = Object.keys(CLIENTS) as Relationship[];

interface Expectation {
  allowed: boolean;
  /** The rule a refusal names. */
  rule?: RegExp;
}

/** SPEC.md: full (admin agent) may do everything; limited (helpdesk agent) may only read and reset non-admin passwords; no access, no relationship, or MDM: refused. */
function expected(access: Access, action: Action, rel: Relationship): Expectation {
  if (action === 'MDM') return { allowed: false, rule: new RegExp(`^${MDM_NOT_SUPPORTED.replace(/\./g, '\\.')}$`) };
  if (rel === 'never accepted') return { allowed: false, rule: /has no delegated access to northwind\.com: it has never accepted an offer/ };
  if (rel === 'removed') return { allowed: false, rule: /has no delegated access to tailspin\.com: the relationship was removed/ };
  if (access === 'full') return { allowed: true };
  if (access === 'limited') {
    return action === 'reset non-admin password'
      ? { allowed: true }
      : { allowed: false, rule: /may not .* in contoso\.com: that needs DAP full admin access \(admin agent\), or through .*; it holds DAP limited admin access \(helpdesk agent\) and no GDAP roles$/ };
  }
  return { allowed: false, rule: /has no admin access to the companies Fabrikam IT supports/ };
}

const label = (d: string) => d.slice(0, d.indexOf('.'));

/** What each action is called in the audit trail, and the target it names. */
function auditOf(action: Action, d: string): { action: string; target: string } {
  switch (action) {
    case 'add user':
      return { action: 'client.user.add', target: `${d}/new.hire@${d}` };
    case 'reset non-admin password':
      return { action: 'client.user.reset-password', target: `${d}/alex@${d}` };
    case 'reset admin password':
      return { action: 'client.user.reset-password', target: `${d}/boss@${d}` };
    case 'add domain':
      return { action: 'client.domain.add', target: `${d}/${label(d)}.net` };
    case 'MDM':
      return { action: 'client.mdm', target: d };
  }
}

function session(store: SqliteStore, at: Date, actorEmail: string): Session {
  return { store, clock: fixedClock(at), actorEmail };
}

/** A partner with the four kinds of actors, an active client, a removed one, each with an admin and a non-admin user. */
async function world(): Promise<SqliteStore> {
  const store = SqliteStore.open(':memory:', { create: true });
  const s = session(store, SETUP_AT, ADMIN);
  await initPartner(s, { name: 'Fabrikam IT', tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', cloud: 'global', certified: true, adminEmail: ADMIN, adminName: 'Ada' });
  await addUsers(s, [ACTORS.full, ACTORS.limited, ACTORS.none].map((email) => ({ fields: { email } })), { globalAdmin: false, source: 'arguments' });
  await addUsers(s, [{ fields: { email: ACTORS['global admin with none'] } }], { globalAdmin: true, source: 'arguments' });
  await changeAdminAccess(s, [{ fields: { email: ACTORS.full, role: 'full' } }, { fields: { email: ACTORS.limited, role: 'limited' } }], {
    mode: 'grant',
    dryRun: false,
    source: 'arguments',
  });
  const { offer } = await createOffer(s, { format: 'text' });
  for (const d of [CLIENTS.active, CLIENTS.removed]) {
    await acceptOffer(s, offer.id, [{ fields: { domain: d } }], { source: 'arguments' });
    await addClientUsers(s, d, [{ fields: { upn: `alex@${d}`, name: 'Alex', admin: 'false' } }], { source: 'arguments', mode: LEDGER });
    await addClientUsers(s, d, [{ fields: { upn: `boss@${d}`, name: 'Boss', admin: 'true' } }], { source: 'arguments', mode: LEDGER });
  }
  await removeClient(s, CLIENTS.removed);
  return store;
}

/** The client directories as they stand, to show a refusal changed nothing. */
async function directories(store: SqliteStore) {
  return store.read(async (tx) => {
    const out: Record<string, unknown> = {};
    for (const d of Object.values(CLIENTS)) out[d] = { users: await tx.listClientUsers(d), domains: await tx.listClientDomains(d) };
    return out;
  });
}

async function perform(s: Session, action: Action, d: string): Promise<unknown> {
  switch (action) {
    case 'add user':
      return addClientUsers(s, d, [{ fields: { upn: `new.hire@${d}`, name: 'New Hire', admin: 'false' } }], { source: 'arguments', mode: LEDGER });
    case 'reset non-admin password':
      return resetClientPassword(s, d, `alex@${d}`, { mode: LEDGER });
    case 'reset admin password':
      return resetClientPassword(s, d, `boss@${d}`, { mode: LEDGER });
    case 'add domain':
      return addClientDomain(s, d, `${label(d)}.net`, { mode: LEDGER });
    case 'MDM':
      return refuseMdm(s, [d]);
  }
}

/** The allowed change is really in the store. */
async function expectDone(store: SqliteStore, action: Action, d: string, result: unknown): Promise<void> {
  const r = result as { kind: string; value: unknown };
  expect(r.kind).toBe('done');
  const { users, domains } = await store.read(async (tx) => ({ users: await tx.listClientUsers(d), domains: await tx.listClientDomains(d) }));
  switch (action) {
    case 'add user': {
      const added = r.value as { user: { upn: string }; temporaryPassword: string }[];
      expect(added.map((a) => a.user.upn)).toEqual([`new.hire@${d}`]);
      expect(isStrongPassword(added[0]!.temporaryPassword)).toBe(true);
      expect(users.find((u) => u.upn === `new.hire@${d}`)).toMatchObject({ name: 'New Hire', isAdmin: false, passwordResetAt: ACT_AT.toISOString() });
      return;
    }
    case 'reset non-admin password':
    case 'reset admin password': {
      const upn = action === 'reset admin password' ? `boss@${d}` : `alex@${d}`;
      const v = r.value as { upn: string; temporaryPassword: string; forceChangePasswordNextSignIn: boolean };
      expect(v.upn).toBe(upn);
      expect(v.forceChangePasswordNextSignIn).toBe(true);
      expect(isStrongPassword(v.temporaryPassword)).toBe(true);
      expect(users.find((u) => u.upn === upn)?.passwordResetAt).toBe(ACT_AT.toISOString());
      return;
    }
    case 'add domain':
      expect(domains.find((x) => x.name === `${label(d)}.net`)).toMatchObject({ isInitial: false, addedAt: ACT_AT.toISOString() });
      return;
    case 'MDM':
      throw new Error('MDM is never allowed');
  }
}

const cases: [Access, Action, Relationship][] = [];
for (const access of ACCESSES) for (const action of ACTIONS) for (const rel of RELATIONSHIPS) cases.push([access, action, rel]);

test.each(cases)('%s access, %s, %s relationship', async (access, action, rel) => {
  const store = await world();
  try {
    const d = CLIENTS[rel];
    const actor = ACTORS[access];
    const want = expected(access, action, rel);
    const before = await directories(store);
    const auditBefore = await listAuditEntries(store, {});

    let result: unknown;
    let error: unknown;
    try {
      result = await perform(session(store, ACT_AT, actor), action, d);
    } catch (e) {
      error = e;
    }

    if (want.allowed) {
      expect(error).toBeUndefined();
      await expectDone(store, action, d, result);
    } else {
      expect(error).toBeInstanceOf(NotPermittedError);
      const err = error as NotPermittedError;
      expect(err.exitCode).toBe(4);
      expect(err.message).toMatch(want.rule!);
      expect(err.message).not.toMatch(/[\r\n]/);
      if (action !== 'MDM') expect(err.message).toContain(actor);
      // A refusal changes nothing but the audit trail.
      expect(await directories(store)).toEqual(before);
    }

    const audit = await listAuditEntries(store, {});
    expect(audit).toHaveLength(auditBefore.length + 1);
    const last = audit[audit.length - 1]!;
    expect(last).toMatchObject({
      seq: auditBefore.length + 1,
      at: ACT_AT.toISOString(),
      actor,
      ...auditOf(action, d),
      outcome: want.allowed ? 'allowed' : 'denied',
    });
    if (!want.allowed) expect(last.detail).toBe((error as Error).message);
    expect(await checkAudit(store)).toMatchObject({ ok: true, entries: audit.length });
  } finally {
    await store.close();
  }
});
