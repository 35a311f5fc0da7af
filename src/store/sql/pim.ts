/**
 * Eligibility for a group's membership and its activation (PIM for Groups; src/domain/core/pim.ts),
 * written once for both backends over the shared SqlDriver. Part of the ledger: db copy carries it
 * (LEDGER_TABLES), after groups and users.
 */
import type { Eligibility, PimTx } from '../../domain/core/pim.js';
import type { Dialect } from './dialect.js';
import type { SqlDriver } from './driver.js';
import type { Row } from './rows.js';

/**
 * The schema: SQLite migration 14, PostgreSQL migration 4 (`TEXT` becomes `text COLLATE "C"` there,
 * and the group reference also follows a rename). A group's or a user's deletion takes its rows along.
 */
export const PIM_DDL = `
  CREATE TABLE group_eligibility (
    group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,
    email TEXT NOT NULL REFERENCES users(email) ON DELETE CASCADE,
    eligible_until TEXT NOT NULL,
    created_at TEXT NOT NULL,
    activated_at TEXT,
    active_until TEXT,
    activation TEXT CHECK (activation IS NULL OR activation IN ('active', 'pendingApproval')),
    PRIMARY KEY (group_name, email)
  );
  CREATE INDEX group_eligibility_email ON group_eligibility(email);
`;

const toEligibility = (r: Row): Eligibility => ({
  group: r.group_name as string,
  email: r.email as string,
  eligibleUntil: r.eligible_until as string,
  createdAt: r.created_at as string,
  activatedAt: (r.activated_at as string | null) ?? null,
  activeUntil: (r.active_until as string | null) ?? null,
  activation: (r.activation as Eligibility['activation']) ?? null,
});

export function pimMethods(q: Pick<SqlDriver, 'all' | 'get' | 'run'>, d: Pick<Dialect, 'sameName' | 'byName'>): PimTx {
  return {
    async putEligibility(e) {
      // The group's name as recorded (names are looked up without case).
      await q.run(
        `INSERT INTO group_eligibility (group_name, email, eligible_until, created_at)
           SELECT name, ?, ?, ? FROM groups WHERE ${d.sameName('name')}
         ON CONFLICT (group_name, email) DO UPDATE SET eligible_until = excluded.eligible_until`,
        [e.email, e.eligibleUntil, e.createdAt, e.group],
      );
    },
    async getEligibility(group, email) {
      const r = await q.get(`SELECT * FROM group_eligibility WHERE ${d.sameName('group_name')} AND email = ?`, [group, email]);
      return r && toEligibility(r);
    },
    async listEligibilities(group) {
      const where = group === undefined ? '' : `WHERE ${d.sameName('group_name')}`;
      return (await q.all(`SELECT * FROM group_eligibility ${where} ORDER BY ${d.byName('group_name')}, email`, group === undefined ? [] : [group])).map(toEligibility);
    },
    async eligibilitiesOf(email) {
      return (await q.all(`SELECT * FROM group_eligibility WHERE email = ? ORDER BY ${d.byName('group_name')}`, [email])).map(toEligibility);
    },
    async setActivation(group, email, a) {
      await q.run(`UPDATE group_eligibility SET activated_at = ?, active_until = ?, activation = ? WHERE ${d.sameName('group_name')} AND email = ?`, [
        a.activatedAt,
        a.activeUntil,
        a.activation,
        group,
        email,
      ]);
    },
  };
}
