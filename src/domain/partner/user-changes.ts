/**
 * `user set`: correcting a partner user's record (display name, global admin
 * or not, database login), global admins only, audited, one transaction. The
 * partner never loses its last global admin (exit 5).
 */
import { appendAudit } from '../core/audit.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { PartnerUser } from '../core/model.js';
import type { Tx } from '../core/store.js';
import { may, requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';
import * as v from '../core/validate.js';
import { loginFree } from './users.js';

export interface UserChanges {
  name?: string;
  /** true: make a global admin; false: an ordinary user. */
  globalAdmin?: boolean;
  /** A database login to map (team store), or null to unmap. */
  dbLogin?: string | null;
}

/** The user as changed, and what changed (`field: old -> new`), empty when nothing did. */
export interface UserChanged {
  user: PartnerUser;
  changed: string[];
}

export async function setUser(s: Session, emailIn: string, changes: UserChanges): Promise<UserChanged> {
  const email = v.email(emailIn);
  const name = changes.name === undefined ? undefined : v.displayName(changes.name, '--name');
  const login = changes.dbLogin === undefined || changes.dbLogin === null ? changes.dbLogin : v.dbLogin(changes.dbLogin);
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const user = await tx.getUser(email);
    if (!user) throw new NotFoundError(`${email} is not a user of this partner (see \`delegate user list\`)`);
    const actor = await resolveActor(tx, s);
    may.globalAdmin(actor, 'user.set', email, 'change partner users');
    const orgRole = changes.globalAdmin === undefined ? user.orgRole : changes.globalAdmin ? 'global-admin' : 'user';
    if (user.orgRole === 'global-admin' && orgRole === 'user' && (await tx.countGlobalAdmins()) === 1) {
      throw new ConflictError(`${email} is the partner's last global admin: make another user a global admin first (\`delegate user set <email> --global-admin\`)`);
    }
    if (login !== undefined && login !== null) await loginFree(tx, login, email);
    const next: PartnerUser = { ...user, name: name ?? user.name, orgRole, dbLogin: login === undefined ? user.dbLogin : login };
    const changed = (['name', 'orgRole', 'dbLogin'] as const).filter((k) => (next[k] ?? null) !== (user[k] ?? null)).map((k) => `${k}: ${user[k] ?? '(none)'} -> ${next[k] ?? '(none)'}`);
    if (changed.length === 0) return { user, changed };
    if (next.name !== user.name || next.orgRole !== user.orgRole) await rewriteUser(tx, next);
    else await tx.setDbLogin(email, next.dbLogin ?? null);
    await appendAudit(tx, s.clock, { actor: actor.email, action: 'user.set', target: email, outcome: 'allowed', detail: changed.join('; ') });
    return { user: next, changed };
  });
}

/**
 * Write a user's name and role. The store's port has no update for them (only
 * admin access and the database login), so the row is written again within
 * this transaction: deleted, inserted as changed (its creation time, admin
 * access and login kept) and put back in the security groups it was in, which
 * the delete cascades from. Nothing else refers to a user's row.
 */
async function rewriteUser(tx: Tx, user: PartnerUser): Promise<void> {
  const groups = await tx.groupsOf(user.email);
  const eligible = await tx.pim.eligibilitiesOf(user.email);
  await tx.deleteUser(user.email);
  await tx.insertUsers([user]);
  for (const g of groups) await tx.addGroupMembers(g, [user.email]);
  for (const e of eligible) {
    await tx.pim.putEligibility(e);
    if (e.activation) await tx.pim.setActivation(e.group, e.email, e);
  }
}
