/**
 * What every domain operation runs with: the store, the clock, and who is
 * acting. Also the unit of work that audits refusals in the same transaction.
 */
import type { Store, Tx, WriteOptions } from './store.js';
import { appendAudit } from './audit.js';
import { notBefore, type Clock } from './clock.js';
import { NotFoundError, NotPermittedError } from './errors.js';
import type { Partner, PartnerUser } from './model.js';
import * as v from './validate.js';

export interface Session {
  store: Store;
  clock: Clock;
  /**
   * The acting partner user (--as, DELEGATE_AS, setting `actor`); undefined: the first global admin.
   * Never set on a team store, where the database login decides (store.login).
   */
  actorEmail?: string;
}

export function nowIso(s: Session): string {
  return s.clock.now().toISOString();
}

/**
 * Run `fn` in one write transaction. A NotPermittedError undoes whatever `fn`
 * wrote, appends a "denied" audit entry, commits that, and is rethrown.
 * A team store may run `fn` again (see WriteOptions.rerun).
 */
export async function writeAudited<T>(s: Session, fn: (tx: Tx) => Promise<T>, opts?: WriteOptions): Promise<T> {
  let denied: NotPermittedError | undefined;
  const result = await s.store.write(async (tx) => {
    denied = undefined;
    await keepTimeForward(tx, s);
    try {
      return await fn(tx);
    } catch (e) {
      if (!(e instanceof NotPermittedError)) throw e;
      await tx.rollbackWrites();
      await appendAudit(tx, s.clock, { ...e.audit, outcome: 'denied', detail: e.message });
      denied = e;
      return undefined as T;
    }
  }, opts);
  if (denied) throw denied;
  return result;
}

/** What a dry run computed, thrown out of its transaction so that the transaction rolls back whole. */
class DryRunResult<T> {
  constructor(readonly value: T) {}
}

/**
 * writeAudited, or with `dryRun` the same work (every check, every write, so
 * what it reports is exactly what would be written) in a transaction that is
 * then rolled back whole: the store is left as it was. A refusal (exit 4) is
 * audited as without `dryRun`.
 */
export async function writeAuditedOrDry<T>(s: Session, dryRun: boolean, fn: (tx: Tx) => Promise<T>, opts?: WriteOptions): Promise<T> {
  if (!dryRun) return writeAudited(s, fn, opts);
  try {
    await writeAudited(s, async (tx) => {
      throw new DryRunResult(await fn(tx));
    }, opts);
  } catch (e) {
    if (e instanceof DryRunResult) return e.value as T;
    throw e;
  }
  throw new Error('a dry run returned without its result');
}

/**
 * The ledger's time never runs backwards (SPEC.md "Behaviour every command
 * keeps"): a write's time is the later of the clock and the newest audit
 * entry's time. A system clock that is behind is moved up to that entry for
 * this session, so every time the write records agrees. A pinned clock
 * (DELEGATE_NOW) is a claim and is not moved: appendAudit refuses to record
 * a write pinned before the newest entry (exit 2, the transaction rolls back).
 */
async function keepTimeForward(tx: Tx, s: Session): Promise<void> {
  if (s.clock.pinned) return;
  const newest = await tx.lastAudit();
  const floor = newest ? Date.parse(newest.at) : NaN;
  if (s.clock.now().getTime() < floor) s.clock = notBefore(s.clock, floor);
}

/**
 * The store as a declared actor reads it: each read first checks that the
 * actor is one of the partner's users (exit 3), in the same snapshot, after
 * the command has checked its own input (SPEC.md: input, then existence).
 * Writes check the actor themselves (resolveActor), after their input.
 * A store without a partner yet is left to the command to report.
 */
export function readingAs(store: Store, actorEmail: string): Store {
  let known = false;
  return {
    get path() {
      return store.path;
    },
    read: (fn) =>
      store.read(async (tx) => {
        if (!known && (await tx.getPartner())) {
          await declaredActor(tx, actorEmail);
          known = true;
        }
        return fn(tx);
      }),
    ...(store.login !== undefined ? { login: store.login } : {}),
    write: (fn, opts) => store.write(fn, opts),
    close: () => store.close(),
  };
}

export async function requirePartner(tx: Tx): Promise<Partner> {
  const p = await tx.getPartner();
  if (!p) throw new NotFoundError('This store has no partner yet: run `delegate init --name <partner> --tenant-id <guid> --admin <email>`');
  return p;
}

/**
 * Who is acting. On a team store it is the partner user mapped to the connection's database
 * login (SPEC.md "Team store"): a login mapped to nobody is refused (exit 4, audited as
 * `db:<login>`). On a solo store it is the declared actor, else the first global admin.
 */
export async function resolveActor(tx: Tx, s: Session): Promise<PartnerUser> {
  const login = s.store.login;
  if (login !== undefined) return loginActor(tx, login);
  if (s.actorEmail !== undefined) return declaredActor(tx, s.actorEmail);
  const ga = await tx.firstGlobalAdmin();
  if (!ga) throw new NotFoundError('This store has no global admin to act as: run `delegate init` first');
  return ga;
}

async function loginActor(tx: Tx, login: string): Promise<PartnerUser> {
  const u = await tx.userByLogin(login);
  if (u) return u;
  throw new NotPermittedError(
    `The database login ${login} acts for no partner user: a global admin maps it with \`delegate user set <email> --db-login ${login}\``,
    { actor: loginAuditActor(login), action: 'session.login', target: login },
  );
}

/** How an audit entry names a database login that acts for no partner user. */
export const loginAuditActor = (login: string) => `db:${login}`;

/**
 * The store as a team store's login reads it: the first read checks that the login acts for a
 * partner user; one that does not is refused (exit 4) with a denied audit entry, as a write is.
 */
export function readingAsLogin(store: Store, clock: Clock): Store {
  const login = store.login!;
  let known = false;
  return {
    get path() {
      return store.path;
    },
    login,
    read: async (fn) => {
      if (!known) {
        const mapped = await store.read(async (tx) => !(await tx.getPartner()) || (await tx.userByLogin(login)) !== undefined);
        if (!mapped) await writeAudited({ store, clock }, (tx) => loginActor(tx, login));
        known = true;
      }
      return store.read(fn);
    },
    write: (fn, opts) => store.write(fn, opts),
    close: () => store.close(),
  };
}

/**
 * A declared actor (--as, DELEGATE_AS, the actor setting) on a team store: refused (exit 4) and
 * audited, since there the database login is who acts.
 */
export async function refuseDeclaredActor(s: Session, declared: string, source: string): Promise<never> {
  const login = s.store.login!;
  await writeAudited(s, async (tx) => {
    const mapped = await tx.userByLogin(login);
    throw new NotPermittedError(
      `${source} is refused on a team store: the acting user is the one the database login ${login} is mapped to${mapped ? ` (${mapped.email})` : ''}; connect as another login to act as another user`,
      { actor: mapped?.email ?? loginAuditActor(login), action: 'session.declare', target: declared },
    );
  });
  throw new Error('unreachable');
}

async function declaredActor(tx: Tx, actorEmail: string): Promise<PartnerUser> {
  const email = v.email(actorEmail, 'acting user (--as)');
  const u = await tx.getUser(email);
  if (!u) throw new NotFoundError(`Acting user ${email} is not a user of this partner (see \`delegate user list\`)`);
  return u;
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

/**
 * The one place a client named on the command line is resolved (SPEC.md "Live mode": every command
 * that takes a client domain also takes a client's tenant id): a tenant id is the key of the client
 * holding it (a client `sync` recorded without a domain is keyed by its tenant id); a domain is itself.
 */
export async function clientKey(tx: Tx, ref: string): Promise<string> {
  if (!v.isGuid(ref)) return ref;
  return (await tx.clientByTenant(ref))?.domain ?? ref;
}
