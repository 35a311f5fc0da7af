/**
 * SPEC.md "Acting for a client", the permission table, walked row by row for
 * DAP full, DAP limited, and each GDAP role it lists held alone (plus the one
 * pair it lists, Privileged Role Administrator with User Administrator, and a
 * role it does not list), through the domain functions on an in-memory store.
 * Each case asserts the outcome, what the store holds afterwards (the change,
 * or nothing changed), and the audit entry (one "allowed" entry for a change,
 * none for an allowed read, one "denied" entry naming the rule for a refusal).
 *
 * The table is written out here from SPEC.md, independently of
 * src/domain/permissions.ts, so a rule that drifts from SPEC.md fails here.
 * The rows for commands that do not exist yet (removing users and domains)
 * are checked at unit level in permissions.test.ts.
 */
import { LEDGER } from '../../src/domain/plan/decision.js';
import { addClientDomain, listClientDomains, verifyClientDomain } from '../../src/domain/acting/domains.js';
import { addClientUsers, listClientUsers, resetClientPassword } from '../../src/domain/acting/users.js';
import { checkAudit } from '../../src/domain/core/audit.js';
import { acceptOffer } from '../../src/domain/client/clients.js';
import { fixedClock } from '../../src/domain/core/clock.js';
import { NotPermittedError } from '../../src/domain/core/errors.js';
import { assignGroup } from '../../src/domain/access/assignments.js';
import { createGranularOffers } from '../../src/domain/offer/granular-offers.js';
import { addGroupMembers } from '../../src/domain/access/groups.js';
import { createOffer } from '../../src/domain/offer/offers.js';
import { initPartner } from '../../src/domain/partner/partner.js';

import type { Session } from '../../src/domain/core/session.js';
import { addUsers, changeAdminAccess } from '../../src/domain/partner/users.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { dump, rejects } from '../helpers/domain.js';
import { createGroup, isStrongPassword, listAuditEntries } from '../helpers/shortcuts.js';

const SETUP_AT = new Date('2026-03-01T09:00:00.000Z');
const ACT_AT = new Date('2026-03-02T10:30:00.000Z');
const ADMIN = 'ada@fabrikam.com';
const DAP_CLIENT = 'contoso.com';
const GDAP_CLIENT = 'tailspin.com';

// Role template ids as SPEC.md "Granular relationships" lists them.
const GA = '62e90394-69f5-4237-9190-012177145e10';
const HA = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const PA = '966707d0-3269-4727-9be2-8c3a10f19b9d';
const UA = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const PAA = '7be44c8a-adaf-4e2a-84d6-ab2649e08a13';
const PRA = 'e8611ab8-c189-46e8-94e1-60213ab1f814';
const DNA = '8329153b-31d0-4727-b945-745eb3bc5f31';
// Authentication Administrator, from Microsoft's permissions reference.
const AUTHA = 'c4e39bd9-1100-46d3-8c65-fb160da0071f';
// Global Reader: a role the table does not list.
const GR = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';

type Row = 'list users' | 'list domains' | 'add non-admin user' | 'add admin user' | "reset non-admin's password" | "reset admin's password" | 'add domain' | 'verify domain';

/** SPEC.md's table: [DAP full, DAP limited, GDAP role sets that allow it ('any' = any role)]. */
const TABLE: Record<Row, [boolean, boolean, 'any' | string[][]]> = {
  'list users': [true, true, 'any'],
  'list domains': [true, true, 'any'],
  'add non-admin user': [true, false, [[UA], [GA]]],
  'add admin user': [true, false, [[GA], [PRA, UA]]],
  "reset non-admin's password": [true, true, [[HA], [PA], [UA], [AUTHA], [PAA], [GA]]],
  "reset admin's password": [true, false, [[PAA], [GA]]],
  'add domain': [true, false, [[DNA], [GA]]],
  'verify domain': [true, false, [[DNA], [GA]]],
};
const ROWS = Object.keys(TABLE) as Row[];

interface Actor {
  label: string;
  email: string;
  client: string;
  dap?: 'full' | 'limited';
  roles: string[];
}

const ROLE_NAMES: [string, string][] = [
  ['Global Administrator', GA],
  ['User Administrator', UA],
  ['Privileged Role Administrator', PRA],
  ['Helpdesk Administrator', HA],
  ['Password Administrator', PA],
  ['Authentication Administrator', AUTHA],
  ['Privileged Authentication Administrator', PAA],
  ['Domain Name Administrator', DNA],
  ['Global Reader (not in the table)', GR],
];

const ACTORS: Actor[] = [
  { label: 'DAP full', email: 'fay@fabrikam.com', client: DAP_CLIENT, dap: 'full', roles: [] },
  { label: 'DAP limited', email: 'lee@fabrikam.com', client: DAP_CLIENT, dap: 'limited', roles: [] },
  ...ROLE_NAMES.map(([label, id], i) => ({ label: `GDAP ${label} alone`, email: `gdap${i}@fabrikam.com`, client: GDAP_CLIENT, roles: [id] })),
  { label: 'GDAP Privileged Role Administrator with User Administrator', email: 'pair@fabrikam.com', client: GDAP_CLIENT, roles: [PRA, UA] },
];

function expected(actor: Actor, row: Row): boolean {
  const [full, limited, gdap] = TABLE[row];
  if (actor.dap) return actor.dap === 'full' ? full : limited;
  if (gdap === 'any') return actor.roles.length > 0;
  return gdap.some((set) => set.every((r) => actor.roles.includes(r)));
}

const session = (store: SqliteStore, at: Date, actorEmail: string): Session => ({ store, clock: fixedClock(at), actorEmail });

/** A DAP client and a GDAP client, each with a non-admin (alex), an admin (boss) and an unverified added domain. */
async function world(): Promise<SqliteStore> {
  const store = SqliteStore.open(':memory:', { create: true });
  const s = session(store, SETUP_AT, ADMIN);
  await initPartner(s, { name: 'Fabrikam IT', tenantId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', cloud: 'global', certified: true, adminEmail: ADMIN, adminName: 'Ada' });
  await addUsers(s, ACTORS.map((a) => ({ fields: { email: a.email } })), { globalAdmin: false, source: 'arguments' });
  await changeAdminAccess(s, ACTORS.filter((a) => a.dap).map((a) => ({ fields: { email: a.email, role: a.dap! } })), { mode: 'grant', dryRun: false, source: 'arguments' });
  const { offer } = await createOffer(s, { format: 'text' });
  await acceptOffer(s, offer.id, [{ fields: { domain: DAP_CLIENT } }], { source: 'arguments' });
  const [rec] = (await createGranularOffers(s, { count: 1, plan: false, name: 'Tailspin', roles: [GA, UA, PRA, HA, PA, AUTHA, PAA, DNA, GR] })).records;
  await acceptOffer(s, rec!.offer.id, [{ fields: { domain: GDAP_CLIENT } }], { source: 'arguments' });
  for (const a of ACTORS.filter((x) => !x.dap)) {
    const group = `g-${a.email}`;
    await createGroup(s, group, undefined);
    await addGroupMembers(s, group, [a.email]);
    await assignGroup(s, GDAP_CLIENT, group, a.roles, { plan: false });
  }
  await store.write(async (tx) => {
    for (const d of [DAP_CLIENT, GDAP_CLIENT]) {
      const at = SETUP_AT.toISOString();
      const user = { clientDomain: d, passwordResetAt: null, forceChangePasswordNextSignIn: false, createdAt: at };
      await tx.insertClientUsers([
        { ...user, upn: `alex@${d}`, name: 'Alex', isAdmin: false },
        { ...user, upn: `boss@${d}`, name: 'Boss', isAdmin: true },
      ]);
      await tx.insertClientDomains([{ clientDomain: d, name: `pending-${d}`, isInitial: false, verified: false, addedAt: at }]);
    }
  });
  return store;
}

function perform(row: Row, s: Session, d: string): Promise<{ kind: string; value?: unknown }> {
  const one = (upn: string, admin: boolean) => [{ fields: { upn, name: 'New Hire', admin: String(admin) } }];
  switch (row) {
    case 'list users':
      return listClientUsers(s, d, { mode: LEDGER });
    case 'list domains':
      return listClientDomains(s, d, { mode: LEDGER });
    case 'add non-admin user':
      return addClientUsers(s, d, one(`new.hire@${d}`, false), { source: 'arguments', mode: LEDGER });
    case 'add admin user':
      return addClientUsers(s, d, one(`new.boss@${d}`, true), { source: 'arguments', mode: LEDGER });
    case "reset non-admin's password":
      return resetClientPassword(s, d, `alex@${d}`, { mode: LEDGER });
    case "reset admin's password":
      return resetClientPassword(s, d, `boss@${d}`, { mode: LEDGER });
    case 'add domain':
      return addClientDomain(s, d, `new-${d}`, { mode: LEDGER });
    case 'verify domain':
      return verifyClientDomain(s, d, `pending-${d}`, { mode: LEDGER });
  }
}

const AUDIT: Record<Row, (d: string) => { action: string; target: string } | undefined> = {
  'list users': () => undefined,
  'list domains': () => undefined,
  'add non-admin user': (d) => ({ action: 'client.user.add', target: `${d}/new.hire@${d}` }),
  'add admin user': (d) => ({ action: 'client.user.add', target: `${d}/new.boss@${d}` }),
  "reset non-admin's password": (d) => ({ action: 'client.user.reset-password', target: `${d}/alex@${d}` }),
  "reset admin's password": (d) => ({ action: 'client.user.reset-password', target: `${d}/boss@${d}` }),
  'add domain': (d) => ({ action: 'client.domain.add', target: `${d}/new-${d}` }),
  'verify domain': (d) => ({ action: 'client.domain.verify', target: `${d}/pending-${d}` }),
};
const DENIED_AUDIT: Partial<Record<Row, (d: string) => { action: string; target: string }>> = {
  'list users': (d) => ({ action: 'client.user.list', target: d }),
  'list domains': (d) => ({ action: 'client.domain.list', target: d }),
};

/** The allowed change is really in the store, exactly as asked. */
async function expectStored(store: SqliteStore, row: Row, d: string, result: { kind: string; value?: unknown }): Promise<void> {
  expect(result.kind).toBe('done');
  const { users, domains } = await store.read(async (tx) => ({ users: await tx.listClientUsers(d), domains: await tx.listClientDomains(d) }));
  const at = ACT_AT.toISOString();
  switch (row) {
    case 'list users':
      expect((result.value as { upn: string }[]).map((u) => u.upn)).toEqual([`alex@${d}`, `boss@${d}`]);
      return;
    case 'list domains':
      expect((result.value as { name: string }[]).map((x) => x.name).sort()).toEqual([d, `pending-${d}`, `${d.slice(0, d.indexOf('.'))}.onmicrosoft.com`].sort());
      return;
    case 'add non-admin user':
    case 'add admin user': {
      const upn = row === 'add admin user' ? `new.boss@${d}` : `new.hire@${d}`;
      const [added] = result.value as { user: { upn: string }; temporaryPassword: string }[];
      expect(added!.user.upn).toBe(upn);
      expect(isStrongPassword(added!.temporaryPassword)).toBe(true);
      expect(users.find((u) => u.upn === upn)).toMatchObject({ name: 'New Hire', isAdmin: row === 'add admin user', passwordResetAt: at, forceChangePasswordNextSignIn: true });
      return;
    }
    case "reset non-admin's password":
    case "reset admin's password": {
      const upn = row === "reset admin's password" ? `boss@${d}` : `alex@${d}`;
      expect(result.value).toMatchObject({ upn, forceChangePasswordNextSignIn: true });
      expect(isStrongPassword((result.value as { temporaryPassword: string }).temporaryPassword)).toBe(true);
      expect(users.find((u) => u.upn === upn)).toMatchObject({ passwordResetAt: at, forceChangePasswordNextSignIn: true });
      return;
    }
    case 'add domain':
      expect(domains.find((x) => x.name === `new-${d}`)).toEqual({ clientDomain: d, name: `new-${d}`, isInitial: false, verified: false, addedAt: at });
      return;
    case 'verify domain':
      expect(domains.find((x) => x.name === `pending-${d}`)).toMatchObject({ verified: true });
      return;
  }
}

const cases = ACTORS.flatMap((actor) => ROWS.map((row) => ({ who: actor.label, row, actor, allowed: expected(actor, row) })));

test.each(cases)('$who: $row -> allowed=$allowed', async ({ actor, row, allowed }) => {
  const store = await world();
  try {
    const d = actor.client;
    const auditBefore = await listAuditEntries(store, {});
    const before = dump(store, { withoutAudit: true });
    if (allowed) {
      const result = await perform(row, session(store, ACT_AT, actor.email), d);
      await expectStored(store, row, d, result);
      const audit = await listAuditEntries(store, {});
      const want = AUDIT[row](d);
      if (want) {
        expect(audit.slice(auditBefore.length)).toEqual([expect.objectContaining({ seq: auditBefore.length + 1, at: ACT_AT.toISOString(), actor: actor.email, ...want, outcome: 'allowed' })]);
      } else {
        expect(audit).toEqual(auditBefore);
        expect(dump(store, { withoutAudit: true })).toEqual(before);
      }
    } else {
      const err = await rejects(perform(row, session(store, ACT_AT, actor.email), d), NotPermittedError);
      expect(err.exitCode).toBe(4);
      expect(err.message).not.toMatch(/[\r\n]/);
      expect(err.message).toContain(actor.email);
      // It names the rule (the row) and who it allows.
      expect(err.message).toMatch(/may not .* in (contoso|tailspin)\.com: that needs DAP full admin access/);
      if (row === 'add admin user') expect(err.message).toContain('Privileged Role Administrator together with User Administrator');
      expect(dump(store, { withoutAudit: true })).toEqual(before);
      const want = (DENIED_AUDIT[row] ?? AUDIT[row])(d)!;
      expect((await listAuditEntries(store, {})).slice(auditBefore.length)).toEqual([
        expect.objectContaining({ seq: auditBefore.length + 1, actor: actor.email, ...want, outcome: 'denied', detail: err.message }),
      ]);
    }
    expect(await checkAudit(store)).toMatchObject({ ok: true });
  } finally {
    await store.close();
  }
});

test('the table is walked whole: every row for DAP full, DAP limited and each listed GDAP role alone', () => {
  expect(cases).toHaveLength(ACTORS.length * ROWS.length);
  // Spot-checks of the three findings.
  const find = (label: string, row: Row) => cases.find((c) => c.who === label && c.row === row)!.allowed;
  expect(find('GDAP User Administrator alone', 'add admin user')).toBe(false);
  expect(find('GDAP Privileged Authentication Administrator alone', "reset admin's password")).toBe(true);
  expect(find('GDAP Domain Name Administrator alone', 'add domain')).toBe(true);
});
