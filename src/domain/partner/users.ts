/** The partner's own users and their admin access to the companies it supports. */
import { appendAudit } from '../core/audit.js';
import { BadRows, chunked, requireField, rerunBulk, type RowSource } from '../core/bulk.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { type Carried, type Microsoft } from '../plan/decision.js';
import { carryOut } from '../plan/carry-out.js';
import { byItem, type PlannedRequest } from '../plan/request.js';
import { planAccessChanges } from '../plan/group-requests.js';
import { inScope } from '../plan/request.js';
import type { AdminAccess, PartnerUser } from '../core/model.js';
import type { Tx } from '../core/store.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, writeAuditedOrDry, type Session } from '../core/session.js';
import * as v from '../core/validate.js';

const CHUNK = 1000;

export async function listUsers(s: Session, filter: { access?: AdminAccess }): Promise<PartnerUser[]> {
  const out: PartnerUser[] = [];
  await eachUserChunk(s, filter, (chunk) => void out.push(...chunk));
  return out;
}

/** The partner's users, chunk by chunk, so a list of any size streams out. */
export async function eachUserChunk(s: Session, filter: { access?: AdminAccess }, fn: (chunk: PartnerUser[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    await requirePartner(tx);
    for await (const chunk of tx.userChunks(filter, 2000)) await fn(chunk);
  });
}

export function defaultDisplayName(email: string): string {
  return email.slice(0, email.indexOf('@'));
}

/**
 * Add partner users. `rows` carry `email` and optionally `name`. A single
 * command-line user that exists already is a conflict (exit 5); in a file it
 * is a bad row, and any bad row rejects the whole file.
 */
export async function addUsers(
  s: Session,
  rows: RowSource,
  opts: {
    globalAdmin: boolean;
    source: string;
    sink?: (added: PartnerUser[]) => void | Promise<void>;
    /** Take back what the sink was given (the write is being run again; see WriteOptions.rerun). */
    restart?: () => void;
    dbLogin?: string;
    /** Check and report everything, write nothing. */
    dryRun?: boolean;
  },
): Promise<PartnerUser[]> {
  const dbLogin = opts.dbLogin === undefined ? null : v.dbLogin(opts.dbLogin);
  return writeAuditedOrDry(s, Boolean(opts.dryRun), async (tx) => {
    const bad = new BadRows(opts.source);
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    if (dbLogin !== null) await loginFree(tx, dbLogin);
    // Permission is decided after the rows are read: bad input is exit 2 even for an actor who would be refused.
    const denied = actor.orgRole !== 'global-admin';
    let seenValid = 0;
    let firstValid: string | undefined;
    const at = nowIso(s);
    const added: PartnerUser[] = [];
    let count = 0;
    let one: PartnerUser | undefined;
    for await (const chunk of chunked(rows, CHUNK)) {
      const valid: { row: (typeof chunk)[number]; user: PartnerUser }[] = [];
      for (const row of chunk) {
        if (bad.unreadable(row)) continue;
        const email = bad.check(row, () => v.email(requireField(row, 'email')));
        if (email === undefined) continue;
        const rawName = row.fields.name;
        const name = rawName === undefined || rawName.trim() === '' ? defaultDisplayName(email) : bad.check(row, () => v.displayName(rawName));
        if (name === undefined) continue;
        valid.push({ row, user: { email, name, orgRole: opts.globalAdmin ? 'global-admin' : 'user', adminAccess: 'none', createdAt: at, dbLogin } });
      }
      const existing = await tx.getUsers(valid.map((x) => x.user.email));
      const seen = new Set<string>();
      const fresh: PartnerUser[] = [];
      for (const { row, user } of valid) {
        if (existing.has(user.email) || seen.has(user.email)) {
          if (row.line === undefined) throw new ConflictError(`User ${user.email} already exists`);
          bad.add(row, `${user.email} already exists (in the store or earlier in the file)`);
          continue;
        }
        seen.add(user.email);
        fresh.push(user);
        seenValid++;
        firstValid ??= user.email;
      }
      if (!bad.any && !denied) {
        await tx.insertUsers(fresh);
        count += fresh.length;
        // With a sink, results leave as they are made, so a million rows never sit in memory at once.
        if (opts.sink) await opts.sink(fresh);
        else added.push(...fresh);
        if (count === 1) one = fresh[0];
      }
    }
    bad.throwIfAny();
    if (denied) may.globalAdmin(actor, 'user.add', seenValid === 1 ? firstValid! : opts.source, 'add users');
    if (count === 0 && opts.source !== 'arguments') throw new UsageError(`${opts.source} has no rows to add`);
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'user.add',
      target: count === 1 ? one!.email : opts.source,
      outcome: 'allowed',
      detail: count === 1 ? `${one!.name}, ${one!.orgRole}${dbLogin === null ? '' : `, database login ${dbLogin}`}` : `${count} users added`,
    });
    return added;
  }, { rerun: () => rerunBulk(rows, opts) });
}

export interface AccessChange {
  email: string;
  name: string;
  orgRole: PartnerUser['orgRole'];
  from: AdminAccess;
  to: AdminAccess;
  changed: boolean;
}

const ACCESS_ROLES = ['full', 'limited'] as const;

/**
 * Grant (`mode: grant`) or revoke admin access. Rows carry `email` and, for a
 * grant, optionally `role` (else `defaultRole`). With `dryRun` the plan is
 * returned and nothing is written.
 */
export async function changeAdminAccess(
  s: Session,
  rows: RowSource,
  opts: {
    mode: 'grant' | 'revoke';
    defaultRole?: 'full' | 'limited';
    dryRun: boolean;
    source: string;
    /** Receives the results chunk by chunk instead of returning them all. */
    sink?: (changes: AccessChange[]) => void | Promise<void>;
    /** Take back what the sink was given (the write is being run again; see WriteOptions.rerun). */
    restart?: () => void;
  },
): Promise<AccessChange[]> {
  const action = opts.mode === 'grant' ? 'user.grant-admin' : 'user.revoke-admin';
  const work = async (tx: import('../core/store.js').Tx): Promise<AccessChange[]> => {
    const bad = new BadRows(opts.source);
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    const denied = actor.orgRole !== 'global-admin';
    const changes: AccessChange[] = [];
    let named = 0;
    let firstNamed: string | undefined;
    let total = 0;
    let changedCount = 0;
    let lastChanged: AccessChange | undefined;
    let pendingUnknown: string | undefined;
    for await (const chunk of chunked(rows, CHUNK)) {
      const valid: { row: (typeof chunk)[number]; email: string; to: AdminAccess }[] = [];
      for (const row of chunk) {
        if (bad.unreadable(row)) continue;
        const email = bad.check(row, () => v.email(requireField(row, 'email')));
        if (email === undefined) continue;
        let to: AdminAccess | undefined = 'none';
        if (opts.mode === 'grant') {
          const raw = row.fields.role;
          to = bad.check(row, () => {
            if (raw !== undefined && raw.trim() !== '') return v.oneOf(raw, ACCESS_ROLES, 'role');
            if (opts.defaultRole) return opts.defaultRole;
            throw new UsageError('role is missing (give it in the file or with --role full|limited)');
          });
          if (to === undefined) continue;
        }
        valid.push({ row, email, to });
        named++;
        firstNamed ??= email;
      }
      const users = await tx.getUsers(valid.map((x) => x.email));
      const batch: { email: string; adminAccess: AdminAccess }[] = [];
      const out: AccessChange[] = [];
      for (const { row, email, to } of valid) {
        const user = users.get(email);
        if (!user) {
          if (row.line === undefined) pendingUnknown ??= email;
          else bad.add(row, `${email} is not a user of this partner`);
          continue;
        }
        // A later row about the same user sees the earlier row's result.
        const from = user.adminAccess;
        user.adminAccess = to;
        out.push({ email, name: user.name, orgRole: user.orgRole, from, to, changed: from !== to });
        if (from !== to) {
          batch.push({ email, adminAccess: to });
          changedCount++;
          lastChanged = out[out.length - 1];
        }
      }
      total += out.length;
      if (!bad.any && !denied) {
        if (!opts.dryRun && batch.length) await tx.setAdminAccess(batch);
        if (opts.sink) await opts.sink(out);
        else changes.push(...out);
      }
    }
    bad.throwIfAny();
    if (denied) may.globalAdmin(actor, action, named === 1 ? firstNamed! : opts.source, opts.mode === 'grant' ? 'grant admin access' : 'revoke admin access');
    if (pendingUnknown) throw new NotFoundError(`${pendingUnknown} is not a user of this partner (see \`delegate user list\`)`);
    if (total === 0) throw new UsageError(`${opts.source} names no users`);
    if (!opts.dryRun && changedCount) {
      const one = changedCount === 1 ? lastChanged! : undefined;
      await appendAudit(tx, s.clock, {
        actor: actor.email,
        action,
        target: one ? one.email : opts.source,
        outcome: 'allowed',
        detail: one ? `${one.from} -> ${one.to}` : `${changedCount} users changed (${total - changedCount} already as asked)`,
      });
    }
    return changes;
  };
  return writeAudited(s, work, { rerun: () => rerunBulk(rows, opts) });
}

/**
 * The requests that would make a grant or revoke real: DAP admin access is
 * membership of the partner's `AdminAgents` (full) or `HelpdeskAgents`
 * (limited) group. Checks and audits a refusal exactly as the change would;
 * writes nothing. Exit 5 when a group it needs has no object id in the ledger.
 */
export async function planAdminAccess(
  s: Session,
  rows: RowSource,
  opts: { mode: 'grant' | 'revoke'; defaultRole?: 'full' | 'limited'; source: string },
): Promise<PlannedRequest[]> {
  return (await decideAdminAccess(s, rows, opts)).requests;
}

/**
 * Decide a grant or revoke without writing: every check (a refusal audited)
 * as the change itself makes them, the changes, and the requests to the
 * partner's own tenant. Exit 5 when a group it needs has no object id.
 */
async function decideAdminAccess(
  s: Session,
  rows: RowSource,
  opts: { mode: 'grant' | 'revoke'; defaultRole?: 'full' | 'limited'; source: string },
): Promise<{ changes: AccessChange[]; requests: PlannedRequest[] }> {
  const changes: AccessChange[] = [];
  await changeAdminAccess(s, rows, { ...opts, dryRun: true, sink: (c) => void changes.push(...c), restart: () => void changes.splice(0) });
  const partner = await s.store.read((tx) => requirePartner(tx));
  const plan = planAccessChanges(partner.cloud, changes, { adminAgentsGroupId: partner.adminAgentsGroupId ?? null, helpdeskAgentsGroupId: partner.helpdeskAgentsGroupId ?? null });
  if ('requests' in plan) return { changes, requests: plan.requests };
  const flag = (g: string) => (g === 'AdminAgents' ? '--admin-agents-group' : '--helpdesk-agents-group');
  throw new ConflictError(
    `The object id of ${partner.name}'s ${plan.missing.join(' and ')} group${plan.missing.length > 1 ? 's is' : ' is'} not known, so no request can name ${plan.missing.length > 1 ? 'them' : 'it'}: record ${plan.missing.length > 1 ? 'them' : 'it'} with \`delegate partner set ${plan.missing.map((g) => `${flag(g)} <object id>`).join(' ')}\``,
  );
}

/**
 * Grant or revoke at Microsoft (live): the agent group memberships in the
 * partner's own tenant, user by user; a user's new access is recorded only
 * when all of its requests succeeded (its id, leaving the old group, joining
 * the new one). A user whose access is already as asked sends nothing.
 */
export async function changeAdminAccessLive(
  s: Session,
  rows: RowSource,
  opts: { mode: 'grant' | 'revoke'; defaultRole?: 'full' | 'limited'; source: string },
  microsoft: Microsoft,
): Promise<Carried<AccessChange[]>> {
  const { changes, requests } = await decideAdminAccess(s, rows, opts);
  const changed = changes.filter((c) => c.changed);
  // Each user's requests belong to that user (plan/intent.ts scope).
  const steps = byItem(requests).map((g) => {
    const email = g.map((r) => r.intent?.effect?.email).find((e): e is string => typeof e === 'string');
    return email ? inScope(`user:${email.toLowerCase()}`, g) : g;
  });
  const action = opts.mode === 'grant' ? 'user.grant-admin' : 'user.revoke-admin';
  return carryOut(
    s,
    async () => ({
      steps,
      labels: changed.map((c) => c.email),
      apply: () => {
        throw new Error('a live change applied offline');
      },
      record: async (tx, responses) => {
        const done = changed.filter((_, i) => steps[i]!.every((r) => responses.has(r.id)));
        if (done.length) {
          await tx.setAdminAccess(done.map((c) => ({ email: c.email, adminAccess: c.to })));
          const actor = await resolveActor(tx, s);
          const one = done.length === 1 ? done[0]! : undefined;
          await appendAudit(tx, s.clock, {
            actor: actor.email,
            action,
            target: one ? one.email : opts.source,
            outcome: 'allowed',
            detail: (one ? `${one.from} -> ${one.to}` : `${done.length} users changed`) + ' (at Microsoft)',
          });
        }
        // Those whose requests failed are left as they were (reported as failures).
        return changes.filter((c) => !c.changed || done.includes(c));
      },
    }),
    { kind: 'live', microsoft },
  );
}

/** A database login acts for one partner user at most (exit 5 when another holds it). */
export async function loginFree(tx: Tx, login: string, except?: string): Promise<void> {
  const holder = await tx.userByLogin(login);
  if (holder && holder.email !== except) throw new ConflictError(`The database login ${login} already acts for ${holder.email}; unmap it there first (\`delegate user set ${holder.email} --no-db-login\`)`);
}

/** Remove a partner user. The last global admin cannot be removed. */
export async function removeUser(s: Session, emailIn: string): Promise<PartnerUser> {
  const email = v.email(emailIn);
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.globalAdmin(actor, 'user.remove', email, 'remove users');
    const user = await tx.getUser(email);
    if (!user) throw new NotFoundError(`${email} is not a user of this partner`);
    if (user.orgRole === 'global-admin' && (await tx.countGlobalAdmins()) === 1) {
      throw new ConflictError(`${email} is the partner's last global admin and cannot be removed; make another user a global admin first`);
    }
    await tx.deleteUser(email);
    await appendAudit(tx, s.clock, { actor: actor.email, action: 'user.remove', target: email, outcome: 'allowed', detail: `${user.name}, ${user.orgRole}, access ${user.adminAccess}` });
    return user;
  });
}
