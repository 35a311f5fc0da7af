/**
 * Acting for a client after it accepted: add users, reset passwords, add
 * domains, within the acting user's admin access. Permissions are decided
 * here, in the domain, and every refusal is audited.
 */
import { appendAudit } from './audit.js';
import { BadRows, eachRow, requireField, type RowSource } from './bulk.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from './errors.js';
import { addDomain, listDomains, listUsers, planAddUsers, resetPassword, type PlannedRequest } from './graph.js';
import { relationshipState, rolesOf } from './granular.js';
import type { ClientDomain, ClientRecord, ClientUser, Partner, PartnerUser, Relationship } from './model.js';
import { GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR, PASSWORD_ADMINISTRATOR, USER_ADMINISTRATOR, roleName } from './roles.js';
import { MDM_NOT_SUPPORTED } from './offer-text.js';
import { temporaryPassword } from './password.js';
import { nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';
import * as v from './validate.js';
import type { Tx } from '../store/store.js';

/** What an acting command needs to be allowed. */
export type Need = 'read' | 'add-user' | 'reset-non-admin' | 'reset-admin' | 'add-domain';

const NEED_WORDS: Record<Need, string> = {
  read: "read the client's directory",
  'add-user': 'add users',
  'reset-non-admin': 'reset passwords of non-admin users',
  'reset-admin': 'reset passwords of admin users',
  'add-domain': 'add domains',
};

/** The client's initial domain: `<first label>.onmicrosoft.com` (SPEC.md). */
export function initialDomain(clientDomain: string): string {
  return `${clientDomain.slice(0, clientDomain.indexOf('.'))}.onmicrosoft.com`;
}

/** The domains a newly accepted client starts with. */
export function startingDomains(clientDomain: string, at: string): ClientDomain[] {
  return [
    { clientDomain, name: clientDomain, isInitial: false, addedAt: at },
    { clientDomain, name: initialDomain(clientDomain), isInitial: true, addedAt: at },
  ];
}

/**
 * The permission rule for the legacy (seed) relationship. Returns undefined
 * when allowed, else the rule that refuses, in one sentence.
 */
export function legacyRefusal(partner: Partner, actor: PartnerUser, client: ClientRecord | undefined, domain: string, need: Need): string | undefined {
  if (!client) return `${actor.email} has no delegated access to ${domain}: it has never accepted an offer from ${partner.name}`;
  if (client.status !== 'active') return `${actor.email} has no delegated access to ${domain}: the relationship was removed at ${client.removedAt}`;
  if (actor.adminAccess === 'none') {
    return `${actor.email} may not ${NEED_WORDS[need]} for ${domain}: it has no admin access to the companies ${partner.name} supports (a global admin grants it with \`delegate user grant-admin ${actor.email} --role full|limited\`)`;
  }
  if (actor.adminAccess === 'limited' && need !== 'read' && need !== 'reset-non-admin') {
    return `${actor.email} may not ${NEED_WORDS[need]} for ${domain}: limited admin access (the client's Password Administrator) may only reset passwords of non-admin users`;
  }
  return undefined;
}

interface Acting {
  partner: Partner;
  actor: PartnerUser;
  domain: string;
  client: ClientRecord | undefined;
  domains: ClientDomain[];
  /** Roles held through security groups, for a granular client. */
  held: string[];
  now: Date;
}

/** Which roles allow what on a granular relationship (SPEC.md "Granular relationships"). */
export const GRANULAR_NEEDS: Record<Exclude<Need, 'read'>, readonly string[]> = {
  'add-user': [GLOBAL_ADMINISTRATOR, USER_ADMINISTRATOR],
  'reset-non-admin': [PASSWORD_ADMINISTRATOR, HELPDESK_ADMINISTRATOR, USER_ADMINISTRATOR, GLOBAL_ADMINISTRATOR],
  'reset-admin': [GLOBAL_ADMINISTRATOR],
  'add-domain': [GLOBAL_ADMINISTRATOR],
};

/**
 * The permission rule for a granular relationship: only the roles the acting
 * user holds through security groups assigned on it count (adminAccess does not).
 */
export function granularRefusal(actor: PartnerUser, domain: string, r: Relationship, now: Date, held: readonly string[], need: Need): string | undefined {
  const st = relationshipState(r, now);
  if (st.status !== 'active') return `${actor.email} has no delegated access to ${domain}: its granular relationship "${r.displayName}" is ${st.status}`;
  const has = held.length ? held.map(roleName).join(', ') : 'no roles';
  if (need === 'read') {
    return held.length ? undefined : `${actor.email} may not ${NEED_WORDS[need]} for ${domain}: it holds no role on relationship "${r.displayName}" through its security groups`;
  }
  const ok = GRANULAR_NEEDS[need];
  if (held.some((x) => ok.includes(x))) return undefined;
  return `${actor.email} may not ${NEED_WORDS[need]} for ${domain}: that needs ${ok.map(roleName).join(' or ')} on relationship "${r.displayName}" through a security group, and it holds ${has}`;
}

async function acting(tx: Tx, s: Session, domain: string): Promise<Acting> {
  const partner = await requirePartner(tx);
  const actor = await resolveActor(tx, s);
  const client = await tx.getClient(domain);
  const domains = client ? await tx.listClientDomains(domain) : [];
  const held = client?.relationship ? await rolesOf(tx, actor.email, client.relationship) : [];
  return { partner, actor, domain, client, domains, held, now: s.clock.now() };
}

function authorize(a: Acting, need: Need, action: string, target: string): void {
  const refusal = a.client?.relationship
    ? granularRefusal(a.actor, a.domain, a.client.relationship, a.now, a.held, need)
    : legacyRefusal(a.partner, a.actor, a.client, a.domain, need);
  if (refusal) throw new NotPermittedError(refusal, { actor: a.actor.email, action, target });
}

/** A UPN must be well formed and in one of the client's domains (exit 2 otherwise). */
function checkUpn(a: Acting, raw: string, what = 'UPN'): string {
  const upn = v.email(raw, what);
  if (a.client) {
    const d = upn.slice(upn.indexOf('@') + 1);
    if (!a.domains.some((x) => x.name === d)) {
      throw new UsageError(`${what} ${upn} is not in a domain of ${a.domain} (its domains: ${a.domains.map((x) => x.name).join(', ')})`);
    }
  }
  return upn;
}

export type ActingResult<T> = { kind: 'done'; value: T } | { kind: 'plan'; requests: PlannedRequest[] };

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
export async function addClientUsers(
  s: Session,
  domainIn: string,
  rows: RowSource,
  opts: { source: string; plan: boolean },
): Promise<ActingResult<AddedClientUser[]>> {
  const domain = v.domain(domainIn, 'client domain');
  const bad = new BadRows(opts.source);
  return writeAudited(s, async (tx) => {
    const a = await acting(tx, s, domain);
    const at = nowIso(s);
    const valid: { line?: number; user: ClientUser }[] = [];
    const seen = new Map<string, number | undefined>();
    for await (const row of eachRow(rows)) {
      if (bad.unreadable(row)) continue;
      const upn = bad.check(row, () => checkUpn(a, requireField(row, 'upn')));
      if (upn === undefined) continue;
      const rawName = row.fields.name;
      const name = rawName === undefined || rawName.trim() === '' ? upn.slice(0, upn.indexOf('@')) : bad.check(row, () => v.displayName(rawName));
      if (name === undefined) continue;
      const isAdmin = bad.check(row, () => parseAdmin(row.fields.admin));
      if (isAdmin === undefined) continue;
      if (seen.has(upn)) {
        bad.add(row, `${upn} appears twice (also on line ${seen.get(upn)})`);
        continue;
      }
      seen.set(upn, row.line);
      // A user that exists already is a bad row of the file (a conflict, exit 5, on the command line).
      if (row.line !== undefined && (await tx.getClientUser(domain, upn))) {
        bad.add(row, `${upn} already exists in ${domain}`);
        continue;
      }
      valid.push({ line: row.line, user: { clientDomain: domain, upn, name, isAdmin, passwordResetAt: at, forceChangePasswordNextSignIn: true, createdAt: at } });
    }
    bad.throwIfAny();
    if (valid.length === 0) throw new UsageError(`${opts.source} has no users to add`);
    const target = valid.length === 1 ? `${domain}/${valid[0]!.user.upn}` : domain;
    authorize(a, 'add-user', 'client.user.add', target);
    const single = valid.length === 1 && valid[0]!.line === undefined ? valid[0]!.user : undefined;
    if (single && (await tx.getClientUser(domain, single.upn))) throw new ConflictError(`${single.upn} already exists in ${domain}`);
    const added = valid.map((x) => ({ user: x.user, temporaryPassword: temporaryPassword() }));
    if (opts.plan) {
      return { kind: 'plan', requests: planAddUsers(a.partner.cloud, added.map((x) => ({ ...x.user, password: x.temporaryPassword }))) };
    }
    await tx.insertClientUsers(added.map((x) => x.user));
    await appendAudit(tx, s.clock, {
      actor: a.actor.email,
      action: 'client.user.add',
      target,
      outcome: 'allowed',
      detail: added.length === 1 ? `${added[0]!.user.name}${added[0]!.user.isAdmin ? ', admin' : ''}` : `${added.length} users added`,
    });
    return { kind: 'done', value: added };
  });
}

export async function listClientUsers(s: Session, domainIn: string, opts: { plan: boolean }): Promise<ActingResult<ClientUser[]>> {
  const domain = v.domain(domainIn, 'client domain');
  return writeAudited(s, async (tx) => {
    const a = await acting(tx, s, domain);
    authorize(a, 'read', 'client.user.list', domain);
    if (opts.plan) return { kind: 'plan', requests: [listUsers(a.partner.cloud)] };
    return { kind: 'done', value: await tx.listClientUsers(domain) };
  });
}

export interface PasswordReset {
  upn: string;
  temporaryPassword: string;
  forceChangePasswordNextSignIn: true;
}

export async function resetClientPassword(s: Session, domainIn: string, upnIn: string, opts: { plan: boolean }): Promise<ActingResult<PasswordReset>> {
  const domain = v.domain(domainIn, 'client domain');
  v.email(upnIn, 'UPN');
  return writeAudited(s, async (tx) => {
    const a = await acting(tx, s, domain);
    const upn = checkUpn(a, upnIn);
    const target = `${domain}/${upn}`;
    authorize(a, 'reset-non-admin', 'client.user.reset-password', target);
    const user = await tx.getClientUser(domain, upn);
    if (!user) throw new NotFoundError(`No user ${upn} in ${domain} (see \`delegate client user list ${domain}\`)`);
    if (user.isAdmin) authorize(a, 'reset-admin', 'client.user.reset-password', target);
    const password = temporaryPassword();
    if (opts.plan) return { kind: 'plan', requests: [resetPassword(a.partner.cloud, 'reset', upn, password)] };
    await tx.setPasswordReset(domain, upn, nowIso(s));
    await appendAudit(tx, s.clock, {
      actor: a.actor.email,
      action: 'client.user.reset-password',
      target,
      outcome: 'allowed',
      detail: `temporary password issued; change forced at next sign-in${user.isAdmin ? ' (admin user)' : ''}`,
    });
    return { kind: 'done', value: { upn, temporaryPassword: password, forceChangePasswordNextSignIn: true } };
  });
}

export async function addClientDomain(s: Session, domainIn: string, nameIn: string, opts: { plan: boolean }): Promise<ActingResult<ClientDomain>> {
  const domain = v.domain(domainIn, 'client domain');
  const name = v.domain(nameIn, 'domain');
  if (/\.onmicrosoft\.com$/.test(name)) throw new UsageError(`${name} is a Microsoft initial domain; only your own domains can be added`);
  return writeAudited(s, async (tx) => {
    const a = await acting(tx, s, domain);
    const target = `${domain}/${name}`;
    authorize(a, 'add-domain', 'client.domain.add', target);
    const owners = await tx.domainOwners(name);
    if (owners.includes(domain)) throw new ConflictError(`${name} is already a domain of ${domain}`);
    if (owners.length) throw new ConflictError(`${name} is already a domain of another client (${owners[0]})`);
    const added: ClientDomain = { clientDomain: domain, name, isInitial: false, addedAt: nowIso(s) };
    if (opts.plan) return { kind: 'plan', requests: [addDomain(a.partner.cloud, 'domain', name)] };
    await tx.insertClientDomains([added]);
    await appendAudit(tx, s.clock, { actor: a.actor.email, action: 'client.domain.add', target, outcome: 'allowed', detail: 'unverified until its DNS records are in place' });
    return { kind: 'done', value: added };
  });
}

export async function listClientDomains(s: Session, domainIn: string, opts: { plan: boolean }): Promise<ActingResult<ClientDomain[]>> {
  const domain = v.domain(domainIn, 'client domain');
  return writeAudited(s, async (tx) => {
    const a = await acting(tx, s, domain);
    authorize(a, 'read', 'client.domain.list', domain);
    if (opts.plan) return { kind: 'plan', requests: [listDomains(a.partner.cloud)] };
    return { kind: 'done', value: a.domains };
  });
}

/** Delegated access to Mobile Device Management is not supported: always refused, and audited. */
export async function refuseMdm(s: Session, args: readonly string[]): Promise<never> {
  const target = args.join(' ').slice(0, 200) || 'mdm';
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
