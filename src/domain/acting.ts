/**
 * Acting for a client after it accepted: add users, reset passwords, add and
 * verify domains, within what the acting user holds in that client (the rules
 * are in permissions.ts). Every refusal is audited.
 */
import { appendAudit } from './audit.js';
import { BadRows, eachRow, requireField, type RowSource } from './bulk.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from './errors.js';
import { decideThenDo, type Outcome } from './decision.js';
import { addDomain, listDomains, listUsers, planAddUsers, planVerifyDomain, resetPassword } from './graph.js';
import { rolesOf } from './granular.js';
import { activeDap, activeGdap, clientSummary } from './relationships.js';
import type { ClientDomain, ClientRecord, ClientUser, Cloud, Partner, PartnerUser } from './model.js';
import { allowedBy, decide, heldWords, type ClientAction, type Holding } from './permissions.js';
import { MDM_NOT_SUPPORTED } from './offer-text.js';
import { temporaryPassword } from './password.js';
import { nowIso, requirePartner, resolveActor, writeAudited, type Session, clientKey } from './session.js';
import * as v from './validate.js';
import type { Tx } from '../store/store.js';

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
 * The domains a newly accepted client starts with, both verified: the one it
 * accepted under and its initial one. A client that accepts again keeps the
 * initial domain it had.
 */
export async function startingDomains(tx: Tx, cloud: Cloud, clientDomain: string, at: string): Promise<ClientDomain[]> {
  const had = (await tx.listClientDomains(clientDomain)).find((d) => d.isInitial);
  const initial = had?.name ?? (await allocateInitialDomain(async (name) => (await tx.domainOwners(name)).length > 0, cloud, clientDomain));
  return [
    { clientDomain, name: clientDomain, isInitial: false, verified: true, addedAt: at },
    { clientDomain, name: initial, isInitial: true, verified: true, addedAt: had?.addedAt ?? at },
  ];
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
}

/**
 * What the acting user holds in the client is gathered from ANY active relationship: the
 * DAP relationship (its admin access, see holdingOf) and the roles its groups hold on each
 * active granular relationship.
 */
async function acting(tx: Tx, s: Session, domain: string): Promise<Acting> {
  const partner = await requirePartner(tx);
  const actor = await resolveActor(tx, s);
  const client = await tx.getClient(domain);
  const domains = client ? await tx.listClientDomains(domain) : [];
  const now = s.clock.now();
  const held = new Set<string>();
  for (const r of client ? activeGdap(client, now) : []) for (const role of await rolesOf(tx, actor.email, r)) held.add(role);
  return { partner, actor, domain, client, domains, held: [...held], now };
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
  if (a.client) {
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

/** What an acting command did, or (`--plan`) the requests to Microsoft that would do it. */
export type ActingResult<T> = Outcome<T>;

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
  const ref = v.clientRef(domainIn);
  const bad = new BadRows(opts.source);
  return decideThenDo(s, async (tx) => {
    const domain = await clientKey(tx, ref);
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
      // A user that exists already, or one on an unverified domain, is a bad
      // row of the file (a conflict, exit 5, on the command line).
      if (row.line !== undefined && (await tx.getClientUser(domain, upn))) {
        bad.add(row, `${upn} already exists in ${domain}`);
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
    if (valid.length === 0) throw new UsageError(`${opts.source} has no users to add`);
    const target = valid.length === 1 ? `${domain}/${valid[0]!.user.upn}` : domain;
    // An admin row needs the admin rule, which allows non-admin rows too.
    authorize(a, 'add-user', valid.some((x) => x.user.isAdmin), 'client.user.add', target);
    const single = valid.length === 1 && valid[0]!.line === undefined ? valid[0]!.user : undefined;
    if (single && (await tx.getClientUser(domain, single.upn))) throw new ConflictError(`${single.upn} already exists in ${domain}`);
    const notVerified = single && unverified(a, single.upn);
    if (notVerified) throw new ConflictError(notVerified);
    const added = valid.map((x) => ({ user: x.user, temporaryPassword: temporaryPassword() }));
    return {
      requests: () => planAddUsers(a.partner.cloud, added.map((x) => ({ ...x.user, password: x.temporaryPassword }))),
      apply: async () => {
        await tx.insertClientUsers(added.map((x) => x.user));
        await appendAudit(tx, s.clock, {
          actor: a.actor.email,
          action: 'client.user.add',
          target,
          outcome: 'allowed',
          detail: added.length === 1 ? `${added[0]!.user.name}${added[0]!.user.isAdmin ? ', admin' : ''}` : `${added.length} users added`,
        });
        return added;
      },
    };
  }, opts.plan);
}

export async function listClientUsers(s: Session, domainIn: string, opts: { plan: boolean }): Promise<ActingResult<ClientUser[]>> {
  const ref = v.clientRef(domainIn);
  return decideThenDo(s, async (tx) => {
    const domain = await clientKey(tx, ref);
    const a = await acting(tx, s, domain);
    authorize(a, 'list', false, 'client.user.list', domain);
    return { requests: () => [listUsers(a.partner.cloud)], apply: () => tx.listClientUsers(domain) };
  }, opts.plan);
}

export interface PasswordReset {
  upn: string;
  temporaryPassword: string;
  forceChangePasswordNextSignIn: true;
}

export async function resetClientPassword(s: Session, domainIn: string, upnIn: string, opts: { plan: boolean }): Promise<ActingResult<PasswordReset>> {
  const ref = v.clientRef(domainIn);
  v.email(upnIn, 'UPN');
  return decideThenDo(s, async (tx) => {
    const domain = await clientKey(tx, ref);
    const a = await acting(tx, s, domain);
    const upn = checkUpn(a, upnIn);
    const target = `${domain}/${upn}`;
    // Whoever may not reset even a non-admin's password is refused before it
    // learns whether the user exists; every role that may reset an admin's may
    // reset a non-admin's too.
    authorize(a, 'reset-password', false, 'client.user.reset-password', target);
    const user = await tx.getClientUser(domain, upn);
    if (!user) throw new NotFoundError(`No user ${upn} in ${domain} (see \`delegate client user list ${domain}\`)`);
    if (user.isAdmin) authorize(a, 'reset-password', true, 'client.user.reset-password', target);
    const password = temporaryPassword();
    return {
      requests: () => [resetPassword(a.partner.cloud, 'reset', upn, password)],
      apply: async () => {
        await tx.setPasswordReset(domain, upn, nowIso(s));
        await appendAudit(tx, s.clock, {
          actor: a.actor.email,
          action: 'client.user.reset-password',
          target,
          outcome: 'allowed',
          detail: `temporary password issued; change forced at next sign-in${user.isAdmin ? ' (admin user)' : ''}`,
        });
        return { upn, temporaryPassword: password, forceChangePasswordNextSignIn: true as const };
      },
    };
  }, opts.plan);
}

/** A domain that is Microsoft's, not the partner's to add (exit 2). */
function checkAddable(name: string): string {
  if (isInitialDomainName(name)) throw new UsageError(`${name} is a Microsoft initial domain; only the client's own domains can be added`);
  return name;
}

export async function addClientDomain(s: Session, domainIn: string, nameIn: string, opts: { plan: boolean }): Promise<ActingResult<ClientDomain>> {
  const ref = v.clientRef(domainIn);
  const name = checkAddable(v.domain(nameIn, 'domain'));
  return decideThenDo(s, async (tx) => {
    const domain = await clientKey(tx, ref);
    const a = await acting(tx, s, domain);
    const target = `${domain}/${name}`;
    authorize(a, 'add-domain', false, 'client.domain.add', target);
    const owners = await tx.domainOwners(name);
    if (owners.includes(domain)) throw new ConflictError(`${name} is already a domain of ${domain}`);
    if (owners.length) throw new ConflictError(`${name} is already a domain of another client (${owners[0]})`);
    if (await tx.partnerUsesDomain(name)) throw new ConflictError(`${name} is a domain of ${a.partner.name} itself (its users' emails are on it), not of ${domain}`);
    // A subdomain of a verified domain is verified with it (Graph, "List
    // verificationDnsRecords": "If a root domain is verified, subdomains of the
    // root domain are automatically verified";
    // https://learn.microsoft.com/graph/api/domain-list-verificationdnsrecords).
    const verified = a.domains.some((d) => d.verified && name.endsWith(`.${d.name}`) && !d.isInitial);
    const added: ClientDomain = { clientDomain: domain, name, isInitial: false, verified, addedAt: nowIso(s) };
    return {
      requests: () => [addDomain(a.partner.cloud, 'domain', name)],
      apply: async () => {
        await tx.insertClientDomains([added]);
        await appendAudit(tx, s.clock, {
          actor: a.actor.email,
          action: 'client.domain.add',
          target,
          outcome: 'allowed',
          detail: verified ? 'verified with its parent domain' : 'unverified until its DNS record is in place and `client domain verify` records it',
        });
        return added;
      },
    };
  }, opts.plan);
}

/**
 * Mark an added domain verified. Offline this records the partner's word that
 * the DNS record Microsoft asks for is in place; the plan reads that record
 * and asks Microsoft to check it.
 */
export async function verifyClientDomain(s: Session, domainIn: string, nameIn: string, opts: { plan: boolean }): Promise<ActingResult<ClientDomain>> {
  const ref = v.clientRef(domainIn);
  const name = v.domain(nameIn, 'domain');
  return decideThenDo(s, async (tx) => {
    const domain = await clientKey(tx, ref);
    const a = await acting(tx, s, domain);
    const target = `${domain}/${name}`;
    authorize(a, 'verify-domain', false, 'client.domain.verify', target);
    const d = a.domains.find((x) => x.name === name);
    if (!d) throw new NotFoundError(`${name} is not a domain of ${domain} (see \`delegate client domain list ${domain}\`; add it with \`delegate client domain add ${domain} ${name}\`)`);
    if (d.verified) throw new ConflictError(`${name} is already verified in ${domain}`);
    return {
      requests: () => planVerifyDomain(a.partner.cloud, name),
      apply: async () => {
        await tx.setDomainVerified(domain, name);
        await appendAudit(tx, s.clock, {
          actor: a.actor.email,
          action: 'client.domain.verify',
          target,
          outcome: 'allowed',
          detail: "recorded on the partner's word that the DNS record is in place (not checked with Microsoft)",
        });
        return { ...d, verified: true };
      },
    };
  }, opts.plan);
}

export async function listClientDomains(s: Session, domainIn: string, opts: { plan: boolean }): Promise<ActingResult<ClientDomain[]>> {
  const ref = v.clientRef(domainIn);
  return decideThenDo(s, async (tx) => {
    const domain = await clientKey(tx, ref);
    const a = await acting(tx, s, domain);
    authorize(a, 'list', false, 'client.domain.list', domain);
    return { requests: () => [listDomains(a.partner.cloud)], apply: async () => a.domains };
  }, opts.plan);
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
