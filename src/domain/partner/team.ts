/**
 * Team-store work that is not a partner's daily business: giving a database
 * login what delegate needs (db grant), and moving a whole ledger between
 * stores (db copy), with its audit chain verified on both ends.
 */
import { appendAudit, verifyAudit } from '../core/audit.js';
import { AuditMismatchError, ConflictError, UsageError } from '../core/errors.js';
import { loginAuditActor, writeAudited, type Session } from '../core/session.js';
import { LEDGER_TABLES, type LedgerRow, type Store, type Tx } from '../core/store.js';
import type { Clock } from '../core/clock.js';
import * as v from '../core/validate.js';

/** Who an administrative entry names: the user the login acts for, else db:<login>; on a solo store the first global admin. */
async function adminActor(tx: Tx, store: Store): Promise<string> {
  if (store.login !== undefined) return (await tx.userByLogin(store.login))?.email ?? loginAuditActor(store.login);
  return (await tx.firstGlobalAdmin())?.email ?? 'delegate';
}

/**
 * db grant: the store gives `login` what delegate needs and no more (the database itself then
 * refuses that login's UPDATE or DELETE of audit entries and any schema change), audited in the
 * same transaction. The database decides whether the connected login may grant at all.
 */
export async function grantLogin(s: Session, loginIn: string): Promise<{ login: string; granted: string[] }> {
  const login = v.dbLogin(loginIn, '<login>');
  return writeAudited(s, async (tx) => {
    if (!tx.grantLogin) throw new UsageError(`db grant is for a team store (PostgreSQL): ${s.store.path} is a solo store, whose file is its trust boundary`);
    const granted = await tx.grantLogin(login);
    await appendAudit(tx, s.clock, { actor: await adminActor(tx, s.store), action: 'db.grant', target: login, outcome: 'allowed', detail: granted.join('; ') });
    return { login, granted };
  });
}

export interface CopyReport {
  from: string;
  to: string;
  rows: Record<string, number>;
  auditEntries: number;
  head: string | null;
  /** The global admin mapped to the target's login (into a team store whose ledger mapped nobody). */
  mapped?: { email: string; login: string };
}

/**
 * db copy: every row of every ledger table, from one store into an empty one, in one
 * transaction on the target. The source's audit chain is verified before anything is
 * written, the target's after everything is (inside the transaction, so a copy that does
 * not verify is not committed); the target then records the copy as its next entry.
 * Users keep their dbLogin; into a team store where no user has one, the first global
 * admin is mapped to the connected login (so someone can act there at all).
 */
export async function copyLedger(from: Store, to: Store, clock: Clock): Promise<CopyReport> {
  return from.read(async (src) => {
    const verified = await verifyAudit(src);
    if (!verified.ok) throw new AuditMismatchError(`The source ${from.path} does not verify: audit entry ${verified.seq} ${verified.reason}; nothing was copied`);
    const last = await src.lastAudit();
    const firstAdmin = await src.firstGlobalAdmin();
    let anyLogin = false;
    for await (const page of src.exportRows('users')) if (page.some((u) => u.db_login != null)) anyLogin = true;
    const mapTo = to.login !== undefined && !anyLogin && firstAdmin ? { email: firstAdmin.email, login: to.login } : undefined;

    return to.write(async (dst) => {
      if (!(await dst.isEmpty())) throw new ConflictError(`The target ${to.path} is not empty: db copy only fills an empty store; nothing was copied`);
      const rows: Record<string, number> = {};
      for (const table of LEDGER_TABLES) {
        let n = 0;
        for await (const page of src.exportRows(table)) {
          const out: LedgerRow[] = mapTo && table === 'users' ? page.map((u) => (u.email === mapTo.email ? { ...u, db_login: mapTo.login } : u)) : page;
          await dst.importRows(table, out);
          n += page.length;
        }
        rows[table] = n;
      }
      const copied = await verifyAudit(dst, last ? { seq: last.seq, hash: last.hash } : undefined);
      if (!copied.ok) throw new AuditMismatchError(`The copy in ${to.path} does not verify: audit entry ${copied.seq} ${copied.reason}; nothing was copied`);
      const entry = await appendAudit(dst, clock, {
        actor: mapTo?.email ?? (await adminActor(dst, to)),
        action: 'db.copy',
        target: to.path,
        outcome: 'allowed',
        detail: `copied from ${from.path}: ${rows.audit} audit entries${last ? ` up to ${last.seq}:${last.hash}` : ''}${mapTo ? `; ${mapTo.email} mapped to the database login ${mapTo.login}` : ''}`,
      });
      return { from: from.path, to: to.path, rows, auditEntries: entry.seq, head: entry.hash, ...(mapTo ? { mapped: mapTo } : {}) };
    });
  });
}
