/**
 * What the acting user holds in a client (its standing: the DAP relationship's
 * admin access and the roles its groups hold on active granular ones), the
 * authorization of each action against it (the rules are in permissions.ts),
 * and the helpers every acting change shares. Every refusal is audited.
 */
import { NotFoundError, NotPermittedError, UsageError } from '../core/errors.js';
import { deciding, LEDGER, type Change, type Mode, type Observed } from '../plan/decision.js';
import { inScope, type PlannedRequest } from '../plan/request.js';
import { activeDap, activeGdap, clientSummary } from '../relationship/relationships.js';
import type { ClientDomain, ClientRecord, ClientUser, Partner, PartnerUser, Relationship } from '../core/model.js';
import { allowedBy, decide, heldWords, type ClientAction, type Holding } from './permissions.js';
import { nowIso, requirePartner, resolveActor, type Session } from '../core/session.js';
import * as v from '../core/validate.js';
import type { Tx } from '../core/store.js';
import { isActivated } from '../core/pim.js';

/**
 * The roles the acting user holds on a relationship through its security groups: those it is a
 * direct member of, and those whose eligibility it has activated and not yet seen end at `now`
 * (PIM for Groups: an eligible member holds nothing until it activates; SPEC.md "Access").
 */
export async function rolesOf(tx: Tx, email: string, r: Relationship, now: Date): Promise<string[]> {
  const groups = new Set((await tx.groupsOf(email)).map((g) => g.toLowerCase()));
  for (const e of await tx.pim.eligibilitiesOf(email)) if (isActivated(e, now)) groups.add(e.group.toLowerCase());
  const held = new Set<string>();
  for (const a of await tx.listAssignments(r.id)) {
    if (groups.has(a.group.toLowerCase())) for (const role of a.roles) if (r.roles.includes(role)) held.add(role);
  }
  return [...held];
}

export interface Acting {
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

/** A domain (or tenant id) that never accepted an offer: what reading its users or domains says (exit 3). */
export function notAClient(a: Pick<Acting, 'domain' | 'partner'>): NotFoundError {
  return new NotFoundError(`${a.domain} is not a client of ${a.partner.name} (see \`delegate client list\`)`);
}

/**
 * What the acting user holds in the client is gathered from ANY active relationship: the
 * DAP relationship (its admin access, see holdingOf) and the roles its groups hold on each
 * active granular relationship.
 */
export async function acting(tx: Tx, s: Session, domain: string, seen?: Observed | null): Promise<Acting> {
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
  for (const r of client ? activeGdap(client, now) : []) for (const role of await rolesOf(tx, actor.email, r, now)) held.add(role);
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

export function authorize(a: Acting, action: ClientAction, targetIsAdmin: boolean, auditAction: string, target: string): void {
  const why = refusal(a, action, targetIsAdmin);
  if (why) throw new NotPermittedError(why, { actor: a.actor.email, action: auditAction, target });
}

/** A UPN must be well formed and in one of the client's domains (exit 2 otherwise). */
export function checkUpn(a: Acting, raw: string, what = 'UPN'): string {
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
export function unverified(a: Acting, upn: string): string | undefined {
  const d = a.domains.find((x) => x.name === upn.slice(upn.indexOf('@') + 1));
  if (!d || d.verified) return undefined;
  return `${upn} is on ${d.name}, which is not verified yet: once its DNS record is in place, run \`delegate client domain verify ${a.domain} ${d.name}\``;
}

/** Where live requests go: the client's tenant (its id when the ledger knows it), and the user to read first. */
export function tenantOf(a: Acting, upn?: string): { tenantId?: string; upn?: string } {
  return { ...(a.client?.tenantId ? { tenantId: a.client.tenantId } : {}), ...(upn ? { upn } : {}) };
}

/**
 * The user as the client really holds it: live, what the tenant answered
 * (with the ledger's record where it has one); offline, the ledger's.
 */
export async function userIn(tx: Tx, a: Acting, upn: string, seen: Observed | null | undefined, at: string): Promise<ClientUser | undefined> {
  const ledger = await tx.getClientUser(a.domain, upn);
  if (!seen || seen.user === undefined) return ledger;
  if (!seen.user) return undefined;
  return { ...(ledger ?? { clientDomain: a.domain, upn, passwordResetAt: null, forceChangePasswordNextSignIn: false, createdAt: at }), name: ledger?.name ?? seen.user.name, isAdmin: seen.user.isAdmin };
}

/** The ids of each group's requests, in order. */
export function planIds(steps: readonly (readonly PlannedRequest[])[]): string[][] {
  return steps.map((g) => g.map((r) => r.id));
}

/** The scope of every change made in a client's tenant (plan/intent.ts): the client. */
export function clientScope(a: { domain: string }): string {
  return `client:${a.domain}`;
}

/** A read has nothing to send or record live: it reads the ledger (a plan still shows the request). */
export function readOnly(mode: Mode): Mode {
  return mode.kind === 'live' ? LEDGER : mode;
}

/**
 * A removal: the DELETE request, or, when the tenant (read live) no longer
 * holds the thing, why not: then only the ledger's record goes, and the output
 * says so (an earlier run, or someone else, removed it at Microsoft).
 */
export function removal<T>(gone: T, write: (tx: Tx, how: string) => Promise<T>, tenant: { tenantId?: string; upn?: string }, scope: string, request: PlannedRequest | string): Change<T> {
  if (typeof request === 'string') {
    return {
      steps: [],
      tenant,
      scopes: [scope],
      notes: [`${request} (removed there already); removed from the ledger too`],
      apply: (tx) => write(tx, ''),
      record: (tx) => write(tx, ' (not at Microsoft: removed there already)'),
    };
  }
  return {
    steps: [inScope(scope, [request])],
    tenant,
    apply: (tx) => write(tx, ''),
    record: async (tx, responses) => (responses.has(request.id) ? write(tx, ' (at Microsoft)') : gone),
  };
}
