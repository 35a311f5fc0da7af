/**
 * Acting for a client after it accepted: add users, reset passwords, add and
 * verify domains, within what the acting user holds in that client (the rules
 * are in permissions.ts). Every refusal is audited.
 */
import { appendAudit } from './audit.js';
import { BadRows, eachRow, requireField, rerunBulk, type RowSource, type SourceRow } from './bulk.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from './errors.js';
import { carryOut, deciding, LEDGER, observeFirst, type Carried, type Change, type Mode, type Observed } from './decision.js';
import { addDomain, byItem, deleteDomain, deleteUser, listDomains, listUsers, planAddUsers, planVerifyDomain, resetPassword, type PlannedRequest } from './graph.js';
import { rolesOf } from './assignments.js';
import { activeDap, activeGdap, clientSummary } from './relationships.js';
import type { ClientDomain, ClientRecord, ClientUser, Cloud, Partner, PartnerUser } from './model.js';
import { allowedBy, decide, heldWords, type ClientAction, type Holding } from './permissions.js';
import { MDM_NOT_SUPPORTED } from './offer-text.js';
import { temporaryPassword } from './password.js';
import { nowIso, requirePartner, resolveActor, writeAudited, type Session, clientKey } from './session.js';
import * as v from './validate.js';
import type { Tx } from './store.js';

/** The client's initial domain label: the first label of the domain it accepted under. */
function initialLabel(clientDomain: string): string {
  return clientDomain.slice(0, clientDomain.indexOf('.'));
}

/** Microsoft's initial (`.onmicrosoft.com`) domains, and 21Vianet's (`.partner.onmschina.cn`, SPEC.md "URLs"). */
export const INITIAL_SUFFIX: Record<Cloud, string> = { global: '.onmicrosoft.com', china: '.partner.onmschina.cn' };

/** Whether a name is one of Microsoft's initial domains, on either cloud: those are Microsoft's to give, never added. */
export function isInitialDomainName(name: string): boolean {
  return Object.values(INITIAL_SUFFIX).some((suffix) => name.endsWith(suffix));
}

/**
 * The initial domain for a newly accepted client: `<label><suffix>`, where
 * `<label>` is the first label of its domain; when another client holds that
 * already, the first free of `<label>1<suffix>`, `<label>2<suffix>`, ...
 * (Microsoft gives every tenant a unique initial domain; the ledger cannot
 * know the one Microsoft chose, so it picks a unique one the same way.)
 */
export async function allocateInitialDomain(taken: (name: string) => Promise<boolean>, cloud: Cloud, clientDomain: string): Promise<string> {
  const label = initialLabel(clientDomain);
  for (let n = 0; ; n++) {
    const name = `${label}${n === 0 ? '' : n}${INITIAL_SUFFIX[cloud]}`;
    if (!(await taken(name))) return name;
  }
}

/**
 * The domains newly accepted clients start with, both verified: the one each
 * accepted under and its initial one (a client that accepts again keeps the
 * initial domain it had). For a chunk of clients accepting one after another,
 * as if each one's domains were written before the next one's were chosen (a
 * name one of them takes is taken for the rest), to be written with one
 * insertClientDomains. The chunk's first-choice initial names are looked up
 * in one query; only a taken one falls back to a look-up per name, and a
 * client not in the ledger yet (`known: false`) has no domains there to read.
 */
export async function startingDomainsOf(
  tx: Tx,
  cloud: Cloud,
  clients: readonly { domain: string; known: boolean }[],
  at: string,
): Promise<ClientDomain[]> {
  const suffix = INITIAL_SUFFIX[cloud];
  const firstChoices = clients.map((c) => initialLabel(c.domain) + suffix);
  const asked = new Set(firstChoices);
  const inLedger = await tx.takenDomainNames([...asked]);
  // Names this chunk has given so far: not in the ledger yet, taken all the same.
  const given = new Set<string>();
  const taken = async (name: string) => given.has(name) || (asked.has(name) ? inLedger.has(name) : (await tx.domainOwners(name)).length > 0);
  const out: ClientDomain[] = [];
  for (let i = 0; i < clients.length; i++) {
    const clientDomain = clients[i]!.domain;
    const had = clients[i]!.known ? (await tx.listClientDomains(clientDomain)).find((d) => d.isInitial) : undefined;
    const first = firstChoices[i]!;
    const initial = had?.name ?? (!(await taken(first)) ? first : await allocateInitialDomain(taken, cloud, clientDomain));
    given.add(clientDomain);
    given.add(initial);
    out.push(
      { clientDomain, name: clientDomain, isInitial: false, verified: true, addedAt: at },
      { clientDomain, name: initial, isInitial: true, verified: true, addedAt: had?.addedAt ?? at },
    );
  }
  return out;
}

interface Acting {
  partner: Partner;
  actor: PartnerUser;
  domain: string;
  client: ClientRecord | undefined;
  domains: ClientDomain[];
  /** Roles held through security groups on any of the client's active granular relationships. */
  held: string[];
  now: Date;
  /**
   * Live, before the tenant is read: its domains are checked on what the tenant holds (the ledger may
   * know none, e.g. for a client `sync` found), so a UPN's domain is not judged on the ledger's alone.
   */
  domainsUnread: boolean;
}

/**
 * What the acting user holds in the client is gathered from ANY active relationship: the
 * DAP relationship (its admin access, see holdingOf) and the roles its groups hold on each
 * active granular relationship.
 */
async function acting(tx: Tx, s: Session, domain: string, seen?: Observed | null): Promise<Acting> {
  const partner = await requirePartner(tx);
  const actor = await resolveActor(tx, s);
  const client = await tx.getClient(domain);
  const ledger = client ? await tx.listClientDomains(domain) : [];
  // Live, the domains are the tenant's (with the ledger's dates where it knows them).
  const domains = client && seen
    ? seen.domains.map((d) => ({ clientDomain: domain, ...d, addedAt: ledger.find((x) => x.name === d.name)?.addedAt ?? nowIso(s) }))
    : ledger;
  const now = s.clock.now();
  const held = new Set<string>();
  for (const r of client ? activeGdap(client, now) : []) for (const role of await rolesOf(tx, actor.email, r)) held.add(role);
  return { partner, actor, domain, client, domains, held: [...held], now, domainsUnread: deciding(seen) };
}

/** What the permission check reads of an Acting. */
export interface Standing {
  partner: Pick<Partner, 'name'>;
  actor: Pick<PartnerUser, 'email' | 'adminAccess'>;
  domain: string;
  client: ClientRecord | undefined;
  held: readonly string[];
  now: Date;
}

/**
 * What the acting user holds in the client, or why it holds nothing at all
 * (no relationship ever, or none active). The DAP relationship counts while
 * active, with the user's admin access; a granular one while active, with the
 * roles its groups hold on it.
 */
export function holdingOf(a: Standing): Holding | string {
  const c = a.client;
  if (!c) return `${a.actor.email} has no delegated access to ${a.domain}: it has never accepted an offer from ${a.partner.name}`;
  const dap = activeDap(c);
  if (!dap && activeGdap(c, a.now).length === 0) {
    const s = clientSummary(c, a.now);
    const newest = c.gdap[c.gdap.length - 1];
    const why = s.status === 'removed' || !newest ? `the relationship was removed at ${s.removedAt}` : `its granular relationship "${newest.displayName}" is ${s.status}`;
    return `${a.actor.email} has no delegated access to ${a.domain}: ${why}`;
  }
  return { ...(dap ? { dap: a.actor.adminAccess } : {}), roles: new Set(a.held) };
}

/** The refusal for `action`, in one line naming the rule and who it allows; undefined when allowed. */
export function refusal(a: Standing, action: ClientAction, targetIsAdmin: boolean): string | undefined {
  const h = holdingOf(a);
  if (typeof h === 'string') return h;
  const d = decide(h, action, targetIsAdmin);
  if (d.allowed) return undefined;
  const grant =
    h.dap === 'none' && h.roles.size === 0
      ? ` (it has no admin access to the companies ${a.partner.name} supports; a global admin grants it with \`delegate user grant-admin ${a.actor.email} --role full|limited\`)`
      : '';
  return `${a.actor.email} may not ${d.rule.task} in ${a.domain}: that needs ${allowedBy(d.rule)}; it holds ${heldWords(h)}${grant}`;
}

function authorize(a: Acting, action: ClientAction, targetIsAdmin: boolean, auditAction: string, target: string): void {
  const why = refusal(a, action, targetIsAdmin);
  if (why) throw new NotPermittedError(why, { actor: a.actor.email, action: auditAction, target });
}

/** A UPN must be well formed and in one of the client's domains (exit 2 otherwise). */
function checkUpn(a: Acting, raw: string, what = 'UPN'): string {
  const upn = v.email(raw, what);
  if (a.client && !a.domainsUnread) {
    const d = upn.slice(upn.indexOf('@') + 1);
    if (!a.domains.some((x) => x.name === d)) {
      throw new UsageError(`${what} ${upn} is not in a domain of ${a.domain} (its domains: ${a.domains.map((x) => x.name).join(', ')})`);
    }
  }
  return upn;
}

/** Users are created only on verified domains: why this UPN's domain is not one, if it is not. */
function unverified(a: Acting, upn: string): string | undefined {
  const d = a.domains.find((x) => x.name === upn.slice(upn.indexOf('@') + 1));
  if (!d || d.verified) return undefined;
  return `${upn} is on ${d.name}, which is not verified yet: once its DNS record is in place, run \`delegate client domain verify ${a.domain} ${d.name}\``;
}

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

/** Where live requests go: the client's tenant (its id when the ledger knows it), and the user to read first. */
function tenantOf(a: Acting, upn?: string): { tenantId?: string; upn?: string } {
  return { ...(a.client?.tenantId ? { tenantId: a.client.tenantId } : {}), ...(upn ? { upn } : {}) };
}

/**
 * The user as the client really holds it: live, what the tenant answered
 * (with the ledger's record where it has one); offline, the ledger's.
 */
async function userIn(tx: Tx, a: Acting, upn: string, seen: Observed | null | undefined, at: string): Promise<ClientUser | undefined> {
  const ledger = await tx.getClientUser(a.domain, upn);
  if (!seen || seen.user === undefined) return ledger;
  if (!seen.user) return undefined;
  return { ...(ledger ?? { clientDomain: a.domain, upn, passwordResetAt: null, forceChangePasswordNextSignIn: false, createdAt: at }), name: ledger?.name ?? seen.user.name, isAdmin: seen.user.isAdmin };
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
      if (seen === null) return observeFirst(tenantOf(a, single?.upn));
      if (single && (await userIn(tx, a, single.upn, seen, at))) throw new ConflictError(`${single.upn} already exists in ${domain}`);
      const notVerified = single && unverified(a, single.upn);
      if (notVerified) throw new ConflictError(notVerified);
      const added = valid.map((x) => ({ user: x.user, temporaryPassword: temporaryPassword() }));
      const steps = byItem(planAddUsers(a.partner.cloud, added.map((x) => ({ ...x.user, password: x.temporaryPassword }))));
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

/** The ids of each group's requests, in order. */
function planIds(steps: readonly (readonly PlannedRequest[])[]): string[][] {
  return steps.map((g) => g.map((r) => r.id));
}

/** Reading changes nothing: the ledger's list, or the request that reads it (plan). */
export async function listClientUsers(s: Session, domainIn: string, opts: { mode: Mode }): Promise<Carried<ClientUser[]>> {
  const ref = v.clientRef(domainIn);
  return carryOut(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain);
      authorize(a, 'list', false, 'client.user.list', domain);
      const list = () => tx.listClientUsers(domain);
      return { steps: [[listUsers(a.partner.cloud)]], apply: list, record: list };
    },
    readOnly(opts.mode),
  );
}

/** A read has nothing to send or record live: it reads the ledger (a plan still shows the request). */
function readOnly(mode: Mode): Mode {
  return mode.kind === 'live' ? LEDGER : mode;
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
      if (seen === null) return observeFirst(tenantOf(a, upn));
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
        steps: [[resetPassword(a.partner.cloud, 'reset', upn, password)]],
        tenant: tenantOf(a, upn),
        apply: (tx2) => write(tx2, ''),
        record: async (tx2, responses) => (responses.has('reset') ? write(tx2, ' (at Microsoft)') : value),
      };
    },
    opts.mode,
  );
}

/**
 * A removal: the DELETE request, or, when the tenant (read live) no longer
 * holds the thing, why not: then only the ledger's record goes, and the output
 * says so (an earlier run, or someone else, removed it at Microsoft).
 */
function removal<T>(gone: T, write: (tx: Tx, how: string) => Promise<T>, tenant: { tenantId?: string; upn?: string }, request: PlannedRequest | string): Change<T> {
  if (typeof request === 'string') {
    return {
      steps: [],
      tenant,
      notes: [`${request} (removed there already); removed from the ledger too`],
      apply: (tx) => write(tx, ''),
      record: (tx) => write(tx, ' (not at Microsoft: removed there already)'),
    };
  }
  return {
    steps: [[request]],
    tenant,
    apply: (tx) => write(tx, ''),
    record: async (tx, responses) => (responses.has(request.id) ? write(tx, ' (at Microsoft)') : gone),
  };
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
      if (seen === null) return observeFirst(tenantOf(a, upn));
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
      return removal(gone, write, tenantOf(a, upn), user ? deleteUser(a.partner.cloud, 'user', upn) : `${upn} is not in ${domain}'s tenant at Microsoft`);
    },
    opts.mode,
  );
}

/**
 * Why a client's domain cannot be removed, if it cannot: Microsoft's initial
 * domain is never removed; the domain the ledger knows the client by stays
 * while the client does; and a domain is removed only when nothing uses it
 * ("Remove a domain from Microsoft 365", Before you begin: "No users ... use
 * the domain"; https://learn.microsoft.com/en-us/microsoft-365/admin/get-help-with-domains/remove-a-domain;
 * Graph: "Attempts to delete will fail if there are any resources or objects
 * still dependent on the domain", https://learn.microsoft.com/en-us/graph/api/domain-delete).
 * The ledger knows users and subdomains only; Microsoft checks the rest
 * (mailboxes, groups, contacts) when it is asked live.
 */
async function whyDomainStays(tx: Tx, a: Acting, d: ClientDomain): Promise<string | undefined> {
  if (d.isInitial) return `${d.name} is ${a.domain}'s initial domain: Microsoft gives every organization one, and it cannot be removed`;
  if (d.name === a.domain) return `${d.name} is the domain ${a.domain} is recorded under: it stays while the client does (end the relationship with \`delegate client remove ${a.domain}\` instead)`;
  const subs = a.domains.filter((x) => x.name.endsWith(`.${d.name}`)).map((x) => x.name);
  if (subs.length) return `${d.name} has subdomains in ${a.domain} (${subs.join(', ')}): remove them first`;
  const users = (await tx.listClientUsers(a.domain)).filter((u) => u.upn.endsWith(`@${d.name}`)).map((u) => u.upn);
  if (users.length) {
    const shown = users.slice(0, 5).join(', ') + (users.length > 5 ? ` and ${users.length - 5} more` : '');
    return `${users.length} user${users.length === 1 ? '' : 's'} of ${a.domain} sign${users.length === 1 ? 's' : ''} in on ${d.name} (${shown}): remove them first with \`delegate client user remove ${a.domain} <upn>\``;
  }
  return undefined;
}

/** Remove a domain the partner added to a client (live: Graph's DELETE /domains/{name}). */
export async function removeClientDomain(s: Session, domainIn: string, nameIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain>> {
  const ref = v.clientRef(domainIn);
  const name = v.domain(nameIn, 'domain');
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const target = `${domain}/${name}`;
      authorize(a, 'remove-domain', false, 'client.domain.remove', target);
      if (seen === null) return observeFirst(tenantOf(a));
      const inTenant = a.domains.find((x) => x.name === name);
      const ledger = (await tx.listClientDomains(domain)).find((x) => x.name === name);
      const d = inTenant ?? ledger;
      if (!d) throw new NotFoundError(`${name} is not a domain of ${domain} (see \`delegate client domain list ${domain}\`)`);
      const why = await whyDomainStays(tx, a, d);
      if (why) throw new ConflictError(why);
      const write = async (tx2: Tx, how: string) => {
        await tx2.deleteClientDomain(domain, name);
        await appendAudit(tx2, s.clock, {
          actor: a.actor.email,
          action: 'client.domain.remove',
          target,
          outcome: 'allowed',
          detail: `${d.verified ? 'verified' : 'unverified'} domain removed${how}`,
        });
        return d;
      };
      return removal(d, write, tenantOf(a), inTenant ? deleteDomain(a.partner.cloud, 'domain', name) : `${name} is not a domain of ${domain}'s tenant at Microsoft`);
    },
    opts.mode,
  );
}

/** A domain that is Microsoft's, not the partner's to add (exit 2). */
function checkAddable(name: string): string {
  if (isInitialDomainName(name)) throw new UsageError(`${name} is a Microsoft initial domain; only the client's own domains can be added`);
  return name;
}

export async function addClientDomain(s: Session, domainIn: string, nameIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain>> {
  const ref = v.clientRef(domainIn);
  const name = checkAddable(v.domain(nameIn, 'domain'));
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const target = `${domain}/${name}`;
      authorize(a, 'add-domain', false, 'client.domain.add', target);
      if (seen === null) return observeFirst(tenantOf(a));
      const owners = await tx.domainOwners(name);
      if (owners.includes(domain) || a.domains.some((d) => d.name === name)) throw new ConflictError(`${name} is already a domain of ${domain}`);
      if (owners.length) throw new ConflictError(`${name} is already a domain of another client (${owners[0]})`);
      if (await tx.partnerUsesDomain(name)) throw new ConflictError(`${name} is a domain of ${a.partner.name} itself (its users' emails are on it), not of ${domain}`);
      // A subdomain of a verified domain is verified with it (Graph, "List
      // verificationDnsRecords": "If a root domain is verified, subdomains of the
      // root domain are automatically verified";
      // https://learn.microsoft.com/graph/api/domain-list-verificationdnsrecords).
      const verified = a.domains.some((d) => d.verified && name.endsWith(`.${d.name}`) && !d.isInitial);
      const added: ClientDomain = { clientDomain: domain, name, isInitial: false, verified, addedAt: nowIso(s) };
      const write = async (tx2: Tx, d: ClientDomain, how: string) => {
        await tx2.insertClientDomains([d]);
        await appendAudit(tx2, s.clock, {
          actor: a.actor.email,
          action: 'client.domain.add',
          target,
          outcome: 'allowed',
          detail: (d.verified ? 'verified with its parent domain' : 'unverified until its DNS record is in place and `client domain verify` records it') + how,
        });
        return d;
      };
      return {
        steps: [[addDomain(a.partner.cloud, 'domain', name)]],
        tenant: tenantOf(a),
        apply: (tx2) => write(tx2, added, ''),
        // What Microsoft says of the new domain (isVerified) is what the ledger records.
        record: async (tx2, responses) => {
          const r = responses.get('domain');
          return r ? write(tx2, { ...added, verified: r.isVerified === true }, ' (at Microsoft)') : added;
        },
      };
    },
    opts.mode,
  );
}

/** The TXT record Microsoft asks for, from a verificationDnsRecords response, as one line. */
export function txtRecordOf(body: Record<string, unknown> | undefined): string | undefined {
  const list = Array.isArray(body?.value) ? (body.value as Record<string, unknown>[]) : [];
  const txt = list.find((r) => r.recordType === 'Txt');
  return txt ? `TXT ${String(txt.label)} "${String(txt.text)}" (TTL ${String(txt.ttl)})` : undefined;
}

/**
 * Mark an added domain verified. Offline this records the partner's word that
 * the DNS record Microsoft asks for is in place; live (and the plan) read that
 * record and ask Microsoft to check it.
 */
export async function verifyClientDomain(s: Session, domainIn: string, nameIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain & { txtRecord?: string }>> {
  const ref = v.clientRef(domainIn);
  const name = v.domain(nameIn, 'domain');
  return carryOut(
    s,
    async (tx, seen) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain, seen);
      const target = `${domain}/${name}`;
      authorize(a, 'verify-domain', false, 'client.domain.verify', target);
      if (seen === null) return observeFirst(tenantOf(a));
      const d = a.domains.find((x) => x.name === name);
      if (!d) throw new NotFoundError(`${name} is not a domain of ${domain} (see \`delegate client domain list ${domain}\`; add it with \`delegate client domain add ${domain} ${name}\`)`);
      if (d.verified) throw new ConflictError(`${name} is already verified in ${domain}`);
      const write = async (tx2: Tx, detail: string) => {
        if (!(await tx2.listClientDomains(domain)).some((x) => x.name === name)) await tx2.insertClientDomains([{ ...d, verified: true }]);
        else await tx2.setDomainVerified(domain, name);
        await appendAudit(tx2, s.clock, { actor: a.actor.email, action: 'client.domain.verify', target, outcome: 'allowed', detail });
      };
      return {
        steps: [planVerifyDomain(a.partner.cloud, name)],
        tenant: tenantOf(a),
        apply: async (tx2) => {
          await write(tx2, "recorded on the partner's word that the DNS record is in place (not checked with Microsoft)");
          return { ...d, verified: true };
        },
        record: async (tx2, responses) => {
          const txtRecord = txtRecordOf(responses.get('records'));
          const r = responses.get('verify');
          if (!r || r.isVerified !== true) return { ...d, ...(txtRecord ? { txtRecord } : {}) };
          await write(tx2, 'verified by Microsoft');
          return { ...d, verified: true, ...(txtRecord ? { txtRecord } : {}) };
        },
        failureNote: (responses) => {
          const txt = txtRecordOf(responses.get('records'));
          return txt ? `Microsoft wants this DNS record in place first: ${txt}` : undefined;
        },
      };
    },
    opts.mode,
  );
}

export async function listClientDomains(s: Session, domainIn: string, opts: { mode: Mode }): Promise<Carried<ClientDomain[]>> {
  const ref = v.clientRef(domainIn);
  return carryOut(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const a = await acting(tx, s, domain);
      authorize(a, 'list', false, 'client.domain.list', domain);
      return { steps: [[listDomains(a.partner.cloud)]], apply: async () => a.domains, record: async () => a.domains };
    },
    readOnly(opts.mode),
  );
}

/**
 * What a refused `client mdm` is audited with: its arguments as given (the
 * first 200 characters). Arguments holding control characters are bad input
 * (exit 2), so the audit trail never keeps text that could drive a terminal.
 */
export function mdmTarget(args: readonly string[]): string {
  args.forEach((a, i) => v.printable(a, `client mdm argument ${i + 1}`));
  return [...args.join(' ')].slice(0, 200).join('') || 'mdm';
}

/** Delegated access to Mobile Device Management is not supported: always refused, and audited. */
export async function refuseMdm(s: Session, args: readonly string[]): Promise<never> {
  const target = mdmTarget(args);
  // A ledger with no partner yet (a team store its owner has only migrated) has nobody to audit: the
  // same answer as with no store at all.
  if (!(await s.store.read((tx) => tx.getPartner()))) throw new NotPermittedError(MDM_NOT_SUPPORTED, { actor: '', action: 'client.mdm', target: '' });
  await writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s).then(
      (u) => u.email,
      () => s.actorEmail ?? 'unknown',
    );
    throw new NotPermittedError(MDM_NOT_SUPPORTED, { actor, action: 'client.mdm', target });
  });
  throw new Error('unreachable');
}
