/**
 * What every domain operation runs with: the store, the clock, and who is
 * acting. Also the unit of work that audits refusals in the same transaction.
 */
import type { Store, Tx } from '../store/store.js';
import { appendAudit } from './audit.js';
import type { Clock } from './clock.js';
import { NotFoundError, NotPermittedError } from './errors.js';
import type { Partner, PartnerUser } from './model.js';
import * as v from './validate.js';

export interface Session {
  store: Store;
  clock: Clock;
  /** The acting partner user (--as, DELEGATE_AS, setting `actor`); undefined: the first global admin. */
  actorEmail?: string;
}

export function nowIso(s: Session): string {
  return s.clock.now().toISOString();
}

/**
 * Run `fn` in one write transaction. A NotPermittedError undoes whatever `fn`
 * wrote, appends a "denied" audit entry, commits that, and is rethrown.
 */
export async function writeAudited<T>(s: Session, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let denied: NotPermittedError | undefined;
  const result = await s.store.write(async (tx) => {
    try {
      return await fn(tx);
    } catch (e) {
      if (!(e instanceof NotPermittedError)) throw e;
      await tx.rollbackWrites();
      await appendAudit(tx, s.clock, { ...e.audit, outcome: 'denied', detail: e.message });
      denied = e;
      return undefined as T;
    }
  });
  if (denied) throw denied;
  return result;
}

export async function requirePartner(tx: Tx): Promise<Partner> {
  const p = await tx.getPartner();
  if (!p) throw new NotFoundError('This store has no partner yet: run `delegate init --name <partner> --tenant-id <guid> --admin <email>`');
  return p;
}

export async function resolveActor(tx: Tx, s: Session): Promise<PartnerUser> {
  if (s.actorEmail !== undefined) {
    const email = v.email(s.actorEmail, 'acting user (--as)');
    const u = await tx.getUser(email);
    if (!u) throw new NotFoundError(`Acting user ${email} is not a user of this partner (see \`delegate user list\`)`);
    return u;
  }
  const ga = await tx.firstGlobalAdmin();
  if (!ga) throw new NotFoundError('This store has no global admin to act as: run `delegate init` first');
  return ga;
}

/** Permission rules (SPEC.md "Who may do what"). Each throws NotPermittedError naming the rule. */
export const may = {
  globalAdmin(actor: PartnerUser, action: string, target: string, what: string): void {
    if (actor.orgRole !== 'global-admin') {
      throw new NotPermittedError(`${actor.email} may not ${what}: only the partner's global admins may`, { actor: actor.email, action, target });
    }
  },
  adminAccess(actor: PartnerUser, action: string, target: string, what: string): void {
    if (actor.adminAccess === 'none') {
      throw new NotPermittedError(
        `${actor.email} may not ${what}: it needs full or limited admin access (a global admin grants it with \`delegate user grant-admin ${actor.email} --role full\`)`,
        { actor: actor.email, action, target },
      );
    }
  },
  fullOrGlobalAdmin(actor: PartnerUser, action: string, target: string, what: string): void {
    if (actor.adminAccess !== 'full' && actor.orgRole !== 'global-admin') {
      throw new NotPermittedError(`${actor.email} may not ${what}: it needs full admin access or the partner's global admin role`, {
        actor: actor.email,
        action,
        target,
      });
    }
  },
};
