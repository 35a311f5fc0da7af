/** Acting for a client: add users, list them, reset passwords, remove users. */
import { appendAudit } from '../core/audit.js';
import { BadRows, eachRow, requireField, rerunBulk, type RowSource, type SourceRow } from '../core/bulk.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { observeFirst, type Carried, type Mode } from '../plan/decision.js';
import { carryOut } from '../plan/carry-out.js';
import { byItem, inScope } from '../plan/request.js';
import { assignDirectoryRole, deleteUser, GLOBAL_ADMINISTRATOR_ROLE_ID, listUsers, planAddUsers, resetPassword } from '../plan/directory-requests.js';
import type { ClientUser } from '../core/model.js';
import { temporaryPassword } from './password.js';
import { nowIso, type Session, clientKey } from '../core/session.js';
import * as v from '../core/validate.js';
import type { Tx } from '../core/store.js';
import { acting, refusal, authorize, checkUpn, unverified, tenantOf, userIn, planIds, readOnly, removal, clientScope, notAClient } from './standing.js';

export interface AddedClientUser {
  user: ClientUser;
  temporaryPassword: string;
}

function parseAdmin(raw: string | undefined): boolean {
  if (raw === undefined || raw.trim() === '') return false;
  const t = raw.trim().toLowerCase();
  if (['true', 'yes', 'y', '1'].includes(t)) return true;
  if (['false', 'no', 'n', '0'].includes(t)) return false;
  throw new UsageError(`admin must be true or false, not ${JSON.stringify(raw.slice(0, 20))}`);
}

/** Add users to a client's organization, each with a temporary password shown once. */
export async function addClientUsers(s: Session, domainIn: string, rows: RowSource, opts: { source: string; mode: Mode }): Promise<Carried<AddedClientUser[]>> {
  const ref = v.clientRef(domainIn);
  // Offline the rows stream through one decision; live decides twice (on the
  // ledger, then on what the tenant holds), so it keeps them.
  const kept: SourceRow[] | undefined = opts.mode.kind === 'live' ? [] : undefined;
  if (kept) for await (const row of eachRow(rows)) kept.push(row);
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const at = nowIso(s);
      const bad = new BadRows(opts.source);
      const valid: { line?: number; user: ClientUser }[] = [];
      const seenUpn = new Map<string, number | undefined>();
      const already: string[] = [];
      for await (const row of eachRow(kept ?? rows)) {
        if (bad.unreadable(row)) continue;
        const upn = bad.check(row, () => checkUpn(a, requireField(row, 'upn')));
        if (upn === undefined) continue;
        const rawName = row.fields.name;
        const name = rawName === undefined || rawName.trim() === '' ? upn.slice(0, upn.indexOf('@')) : bad.check(row, () => v.displayName(rawName));
        if (name === undefined) continue;
        const isAdmin = bad.check(row, () => parseAdmin(row.fields.admin));
        if (isAdmin === undefined) continue;
        if (seenUpn.has(upn)) {
          bad.add(row, `${upn} appears twice (also on line ${seenUpn.get(upn)})`);
          continue;
        }
        seenUpn.set(upn, row.line);
        // A user that exists already, or one on an unverified domain, is a bad
        // row of the file (a conflict, exit 5, on the command line).
        // Live, a row the ledger already holds was added by an earlier run: running again carries on.
        if (row.line !== undefined && (await tx.getClientUser(domain, upn))) {
          if (seen !== undefined) already.push(upn);
          else bad.add(row, `${upn} already exists in ${domain}`);
          continue;
        }
        const notVerified = row.line !== undefined ? unverified(a, upn) : undefined;
        if (notVerified) {
          bad.add(row, notVerified);
          continue;
        }
        valid.push({ line: row.line, user: { clientDomain: domain, upn, name, isAdmin, passwordResetAt: at, forceChangePasswordNextSignIn: true, createdAt: at } });
      }
      bad.throwIfAny();
      if (valid.length === 0) throw new UsageError(already.length ? `${opts.source}: every user is in ${domain} already` : `${opts.source} has no users to add`);
      const target = valid.length === 1 ? `${domain}/${valid[0]!.user.upn}` : domain;
      // An admin row needs the admin rule, which allows non-admin rows too.
      authorize(a, 'add-user', valid.some((x) => x.user.isAdmin), 'client.user.add', target);
      const single = valid.length === 1 && valid[0]!.line === undefined ? valid[0]!.user : undefined;
      if (seen === null) return observeFirst(tenantOf(a, single?.upn), clientScope(a));
      const carryOn = single && (await adminStepLeft(tx, domain, single, seen));
      if (carryOn) {
        // An earlier run created the user (recorded, not an admin) and its Global Administrator step failed:
        // running the same command again carries on with that step alone.
        const steps = [inScope(clientScope(a), [assignDirectoryRole(a.partner.cloud, 'role-1', GLOBAL_ADMINISTRATOR_ROLE_ID, carryOn.id, carryOn.user.upn)])];
        const admin: AddedClientUser = { user: { ...carryOn.user, isAdmin: true }, temporaryPassword: '' };
        return {
          steps,
          labels: [carryOn.user.upn],
          notes: [`${carryOn.user.upn}: created by an earlier run, which did not make it an admin; only that step is sent now (its temporary password is not shown again: \`delegate pending\` says whether \`delegate recover\` owes one)`],
          tenant: tenantOf(a, carryOn.user.upn),
          apply: async () => [admin],
          record: async (tx2, responses) => {
            if (!responses.has('role-1')) return [];
            await tx2.deleteClientUser(domain, carryOn.user.upn);
            await tx2.insertClientUsers([admin.user]);
            await appendAudit(tx2, s.clock, { actor: a.actor.email, action: 'client.user.add', target: `${domain}/${carryOn.user.upn}`, outcome: 'allowed', detail: `${carryOn.user.name}, admin (Global Administrator, after an earlier run) (at Microsoft)` });
            return [admin];
          },
        };
      }
      if (single && (await userIn(tx, a, single.upn, seen, at))) throw new ConflictError(`${single.upn} already exists in ${domain}`);
      const notVerified = single && unverified(a, single.upn);
      if (notVerified) throw new ConflictError(notVerified);
      const added = valid.map((x) => ({ user: x.user, temporaryPassword: temporaryPassword() }));
      const steps = byItem(inScope(clientScope(a), planAddUsers(a.partner.cloud, added.map((x) => ({ ...x.user, password: x.temporaryPassword })))));
      const write = async (tx2: Tx, done: AddedClientUser[], how: string) => {
        if (done.length === 0) return done;
        await tx2.insertClientUsers(done.map((x) => x.user));
        await appendAudit(tx2, s.clock, {
          actor: a.actor.email,
          action: 'client.user.add',
          target: done.length === 1 ? `${domain}/${done[0]!.user.upn}` : domain,
          outcome: 'allowed',
          detail: (done.length === 1 ? `${done[0]!.user.name}${done[0]!.user.isAdmin ? ', admin' : ''}` : `${done.length} users added`) + how,
        });
        return done;
      };
      return {
        steps,
        labels: added.map((x) => x.user.upn),
        notes: already.map((upn) => `${upn}: in the ledger already (added by an earlier run), skipped`),
        tenant: tenantOf(a, single?.upn),
        apply: (tx2) => write(tx2, added, ''),
        record: (tx2, responses) => {
          // A user Microsoft created is recorded; it is an admin only if the role assignment succeeded too.
          const ids = planIds(steps);
          const done = added
            .map((x, i) => ({ x, created: responses.has(ids[i]![0]!), admin: ids[i]![1] !== undefined && responses.has(ids[i]![1]!) }))
            .filter((d) => d.created)
            .map((d) => ({ ...d.x, user: { ...d.x.user, isAdmin: d.admin } }));
          return write(tx2, done, ' (at Microsoft)');
        },
      };
    },
    opts.mode,
    // Offline, the rows stream through the transaction: it is run again only when they can be read again.
    { rerun: () => rerunBulk(kept ?? rows, {}) },
  );
}

/**
 * Live, on the tenant read: a user to add as an admin whom the ledger holds as added (not an admin) and
 * the tenant holds without any directory role, by Microsoft's id: what is left of an earlier run whose
 * admin step failed.
 */
async function adminStepLeft(tx: Tx, domain: string, want: ClientUser, seen: Parameters<typeof userIn>[3]): Promise<{ user: ClientUser; id: string } | undefined> {
  if (!want.isAdmin || !seen?.user || seen.user.isAdmin || !seen.user.id) return undefined;
  const had = await tx.getClientUser(domain, want.upn);
  return had && !had.isAdmin ? { user: had, id: seen.user.id } : undefined;
}

/** Reading changes nothing: the ledger's list, or the request that reads it (plan). */
export async function listClientUsers(s: Session, domainIn: string, opts: { mode: Mode }): Promise<Carried<ClientUser[]>> {
  const ref = v.clientRef(domainIn);
  return carryOut(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain);
      // A domain that never accepted an offer is not a client: not found (exit 3), not a refusal to audit.
      if (!a.client) throw notAClient(a);
      authorize(a, 'list', false, 'client.user.list', domain);
      const list = () => tx.listClientUsers(domain);
      return { steps: [[listUsers(a.partner.cloud)]], apply: list, record: list };
    },
    readOnly(opts.mode),
  );
}

export interface PasswordReset {
  upn: string;
  temporaryPassword: string;
  forceChangePasswordNextSignIn: true;
}

export async function resetClientPassword(s: Session, domainIn: string, upnIn: string, opts: { mode: Mode }): Promise<Carried<PasswordReset>> {
  const ref = v.clientRef(domainIn);
  v.email(upnIn, 'UPN');
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const upn = checkUpn(a, upnIn);
      const target = `${domain}/${upn}`;
      // Whoever may not reset even a non-admin's password is refused before it
      // learns whether the user exists; every role that may reset an admin's may
      // reset a non-admin's too.
      authorize(a, 'reset-password', false, 'client.user.reset-password', target);
      if (seen === null) return observeFirst(tenantOf(a, upn), clientScope(a));
      const at = nowIso(s);
      const user = await userIn(tx, a, upn, seen, at);
      if (!user) throw new NotFoundError(`No user ${upn} in ${domain} (see \`delegate client user list ${domain}\`)`);
      if (user?.isAdmin) authorize(a, 'reset-password', true, 'client.user.reset-password', target);
      const password = temporaryPassword();
      const value: PasswordReset = { upn, temporaryPassword: password, forceChangePasswordNextSignIn: true };
      const write = async (tx2: Tx, how: string) => {
        if (await tx2.getClientUser(domain, upn)) await tx2.setPasswordReset(domain, upn, at);
        else if (user) await tx2.insertClientUsers([{ ...user, passwordResetAt: at, forceChangePasswordNextSignIn: true }]);
        await appendAudit(tx2, s.clock, {
          actor: a.actor.email,
          action: 'client.user.reset-password',
          target,
          outcome: 'allowed',
          detail: `temporary password issued; change forced at next sign-in${user?.isAdmin ? ' (admin user)' : ''}${how}`,
        });
        return value;
      };
      return {
        steps: [inScope(clientScope(a), [resetPassword(a.partner.cloud, 'reset', upn, password)])],
        tenant: tenantOf(a, upn),
        apply: (tx2) => write(tx2, ''),
        record: async (tx2, responses) => (responses.has('reset') ? write(tx2, ' (at Microsoft)') : value),
      };
    },
    opts.mode,
  );
}

/**
 * Remove a user from a client's organization (live: Graph's DELETE
 * /users/{upn}; Microsoft keeps a deleted user restorable for 30 days). Who
 * may remove neither a non-admin nor an admin is refused before it learns
 * whether the user exists; then the user's own row applies. Live, a user the
 * ledger holds but the tenant no longer does was removed there already: the
 * ledger follows, so running the command again carries on.
 */
export async function removeClientUser(s: Session, domainIn: string, upnIn: string, opts: { mode: Mode }): Promise<Carried<ClientUser>> {
  const ref = v.clientRef(domainIn);
  v.email(upnIn, 'UPN');
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const upn = checkUpn(a, upnIn);
      const target = `${domain}/${upn}`;
      // SPEC.md's rows for removing differ (User Administrator removes non-admins, Privileged
      // Authentication Administrator admins): whoever neither allows is refused first.
      if (refusal(a, 'remove-user', false) && refusal(a, 'remove-user', true)) authorize(a, 'remove-user', false, 'client.user.remove', target);
      if (seen === null) return observeFirst(tenantOf(a, upn), clientScope(a));
      const at = nowIso(s);
      const ledger = await tx.getClientUser(domain, upn);
      const user = await userIn(tx, a, upn, seen, at);
      const gone = user ?? ledger;
      if (!gone) throw new NotFoundError(`No user ${upn} in ${domain} (see \`delegate client user list ${domain}\`)`);
      authorize(a, 'remove-user', gone.isAdmin, 'client.user.remove', target);
      const write = async (tx2: Tx, how: string) => {
        await tx2.deleteClientUser(domain, upn);
        await appendAudit(tx2, s.clock, {
          actor: a.actor.email,
          action: 'client.user.remove',
          target,
          outcome: 'allowed',
          detail: `${gone.name}${gone.isAdmin ? ', admin' : ''} removed${how}`,
        });
        return gone;
      };
      return removal(gone, write, tenantOf(a, upn), clientScope(a), user ? deleteUser(a.partner.cloud, 'user', upn) : `${upn} is not in ${domain}'s tenant at Microsoft`);
    },
    opts.mode,
  );
}
