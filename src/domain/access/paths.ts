/**
 * Paths: how a partner user reaches a client (SPEC.md "Access: who can do what, and why not"), as
 * data, pure. Through each granular relationship with the client, a chain of links:
 *   member of a security group (directly, or an activated PIM eligibility)
 *   -> that group assigned on the relationship
 *   -> the assignment's status `active` (null: recorded offline, the ledger's own record)
 *   -> the relationship's Graph status `active`
 *   -> the union of the roles of every such assignment allows the action (permissions.ts's table);
 * and through DAP: admin access (AdminAgents = full, HelpdeskAgents = limited) -> the DAP
 * relationship active -> that access allows the action.
 *
 * Graph's `expiring` ("the relationship has passed its expiration date") and `terminating` ("the
 * system starts deprovisioning the relationship") are relationships on their way out, not holding
 * links: https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship
 * ("delegatedAdminRelationshipStatus values"). Assignment statuses (pending, active, deleting,
 * deleted, error): https://learn.microsoft.com/graph/api/resources/delegatedadminaccessassignment.
 *
 * Every link says where its state came from: `microsoft` when sync (or a live read) last read it
 * there, with that time; `ledger` when the ledger's own record is all there is (readAt: when the
 * ledger was read).
 */
import type { AccessAssignment, AdminAccess, ClientRecord, PartnerUser, Relationship } from '../core/model.js';
import type { Membership } from '../core/access-store.js';
import { relationshipState } from '../relationship/relationships.js';
import { GLOBAL_ADMINISTRATOR, HELPDESK_ADMINISTRATOR, roleName } from '../relationship/roles.js';
import { decide, ruleFor, type ClientAction, type Rule } from '../acting/permissions.js';
import { quoteArg } from './groups.js';

/** What `access why --action` takes: acting's actions, with the target's kind (admin or not) in the name. */
export const ACCESS_ACTIONS = ['list', 'add-user', 'add-admin', 'reset-password', 'reset-admin-password', 'add-domain', 'remove-user', 'remove-admin', 'remove-domain'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

const ACTION_RULE: Record<AccessAction, [ClientAction, boolean]> = {
  list: ['list', false],
  'add-user': ['add-user', false],
  'add-admin': ['add-user', true],
  'reset-password': ['reset-password', false],
  'reset-admin-password': ['reset-password', true],
  'add-domain': ['add-domain', false],
  'remove-user': ['remove-user', false],
  'remove-admin': ['remove-user', true],
  'remove-domain': ['remove-domain', false],
};

export function ruleOf(action: AccessAction) {
  const [a, admin] = ACTION_RULE[action];
  return { action: a, admin, rule: ruleFor(a, admin) };
}

export type LinkSource = 'ledger' | 'microsoft';

export interface Link {
  link: string;
  state: string;
  holds: boolean;
  source: LinkSource;
  readAt: string;
  /** The command that mends it (a broken link only). */
  fix?: string;
}

export interface Path {
  /** `relationship "<name>" (<id>) via group <group>`, or `DAP`. */
  via: string;
  kind: 'group' | 'dap';
  /** Every link up to and including the first broken one. */
  links: Link[];
  holds: boolean;
}

/** What the paths are worked out from: the ledger's records (and their read marks). */
export interface Facts {
  user: Pick<PartnerUser, 'email' | 'adminAccess'>;
  client: ClientRecord;
  /** The user's memberships. */
  memberships: readonly Membership[];
  /** Access assignments on the client's relationships. */
  assignments: readonly AccessAssignment[];
  assignmentsReadAt: ReadonlyMap<string, string | null>;
  dapReadAt: string | null;
  /** When the ledger was read (the clock). */
  now: Date;
  /** `--live`: what Microsoft answered just now (assignments and memberships above are already its). */
  live?: {
    readAt: string;
    /** Graph's status of each relationship read, by id. */
    relationshipStatus: ReadonlyMap<string, string>;
    /** The groups whose members were read (lower-case names). */
    membersRead: ReadonlySet<string>;
  };
}

/**
 * Memberships as they stand at `now`: an eligibility that has ended is gone; an activation that has
 * ended is an eligibility again (PIM for Groups, access/pim.ts).
 */
export function membershipsAt(ms: readonly Membership[], now: Date): Membership[] {
  const t = now.getTime();
  return ms
    .filter((m) => m.kind === 'direct' || !m.eligibleUntil || Date.parse(m.eligibleUntil) > t)
    .map((m) => (m.kind === 'activated' && (!m.activeUntil || Date.parse(m.activeUntil) <= t) ? { ...m, kind: 'eligible' as const, activeUntil: null } : m));
}

/** Only these memberships hold; an eligibility must be activated first. */
export const holdingMembership = (m: Pick<Membership, 'kind'>) => m.kind === 'direct' || m.kind === 'activated';
/** An assignment holds when Microsoft says it is active, or it is the ledger's own record (offline). */
export const holdingAssignment = (a: Pick<AccessAssignment, 'status'>) => a.status === null || a.status === undefined || a.status === 'active';
/** A relationship holds only while Graph's status is `active` (not `expiring`, not `terminating`). */
export const holdingRelationship = (r: Relationship, now: Date) => relationshipState(r, now).status === 'active';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function relFlag(c: ClientRecord, r: Relationship): string {
  return c.gdap.length > 1 ? ` --relationship ${quoteArg(r.displayName)}` : '';
}

const rolesArg = (ids: readonly string[]) => quoteArg(ids.map(roleName).join(','));

/** Roles that allow the rule, least privileged first: the first such set the relationship has (no relationship: the first set; `any`: its first role, else Helpdesk Administrator). */
function neededRoles(rule: Rule, relRoles?: readonly string[]): readonly string[] | undefined {
  if (rule.gdap === 'any') return relRoles ? relRoles.slice(0, 1) : [HELPDESK_ADMINISTRATOR];
  // Least privilege first: a set without Global Administrator before one with it.
  const sets = [...rule.gdap].sort((a, b) => Number(a.includes(GLOBAL_ADMINISTRATOR)) - Number(b.includes(GLOBAL_ADMINISTRATOR)));
  return relRoles ? sets.find((set) => set.every((x) => relRoles.includes(x))) : sets[0];
}

/** The paths through one granular relationship: one per group assigned on it or holding the user. */
function granularPaths(f: Facts, r: Relationship, action: AccessAction): Path[] {
  const c = f.client;
  const now = f.now.toISOString();
  const readAt = f.assignmentsReadAt.get(r.id) ?? null;
  const src = (msRead: string | null): Pick<Link, 'source' | 'readAt'> => (msRead ? { source: 'microsoft', readAt: msRead } : { source: 'ledger', readAt: now });
  const on = f.assignments.filter((a) => a.relationshipId === r.id);
  const groups: string[] = [];
  for (const a of on) groups.push(a.group);
  for (const m of f.memberships) if (!groups.some((g) => same(g, m.group))) groups.push(m.group);
  const st = relationshipState(r, f.now);
  const { rule } = ruleOf(action);
  // The roles every holding chain on this relationship gives together.
  const union = new Set<string>();
  for (const a of on) {
    const m = f.memberships.find((x) => same(x.group, a.group));
    if (m && holdingMembership(m) && holdingAssignment(a)) for (const role of a.roles) if (r.roles.includes(role)) union.add(role);
  }
  const relLink = (): Link => {
    const liveStatus = f.live?.relationshipStatus.get(r.id);
    const status = liveStatus ?? st.status;
    const holds = status === 'active';
    const ms = liveStatus !== undefined ? src(f.live!.readAt) : r.msStatus ? src(readAt) : src(null);
    const state = `${status}${st.endsAt && holds ? ` until ${st.endsAt}` : ''}`;
    if (holds) return { link: `relationship "${r.displayName}" active`, state, holds, ...ms };
    const waiting = ['created', 'approvalPending', 'approved', 'activating'].includes(status);
    const ending = status === 'expiring' || status === 'terminating' || status === 'terminationRequested';
    // The fix is a command alone; why it mends the link is said in the state.
    const [fix, why] = waiting
      ? [`delegate offer link ${r.offerId}`, 'the client has not approved it yet: send the invitation again']
      : [`delegate offer create --granular --roles ${rolesArg(r.roles)}`, `${ending ? 'on its way out' : 'ended'}: ${c.domain} accepts a new relationship`];
    return { link: `relationship "${r.displayName}" active`, state: `${state}; ${why}`, holds, ...ms, fix };
  };
  const rolesLink = (group: string | undefined, assigned: readonly string[]): Link => {
    const ok = decide({ roles: union }, ruleOf(action).action, ruleOf(action).admin).allowed;
    const held = union.size ? [...union].map(roleName).join(', ') : 'no role';
    const link = `roles allow: ${rule.task}`;
    if (ok) return { link, state: `holds ${held}`, holds: true, ...src(readAt) };
    const set = neededRoles(rule, r.roles);
    const fix = set && group
      ? `delegate client assign ${c.domain} --group ${quoteArg(group)} --roles ${rolesArg([...new Set([...assigned, ...set])])}${relFlag(c, r)}`
      : `delegate offer create --granular --roles ${rolesArg(neededRoles(rule)!)}`;
    const needs = rule.gdap === 'any' ? 'any role' : rule.gdap.map((s) => s.map(roleName).join(' + ')).join(' or ');
    return { link, state: `holds ${held}; needs ${needs}${set ? '' : `, which relationship "${r.displayName}" lacks`}`, holds: false, ...src(readAt), fix };
  };
  if (groups.length === 0) {
    const links: Link[] = [
      {
        link: `member of a security group assigned on "${r.displayName}"`,
        state: 'no group is assigned and the user is in none',
        holds: false,
        source: 'ledger',
        readAt: now,
        fix: `delegate group create Technicians && delegate group add-member Technicians ${f.user.email} && delegate client assign ${c.domain} --group Technicians --roles ${rolesArg(neededRoles(rule, r.roles) ?? r.roles.slice(0, 1))}${relFlag(c, r)}`,
      },
    ];
    return [{ via: `relationship "${r.displayName}" (${r.id})`, kind: 'group', links, holds: false }];
  }
  return groups.map((g) => {
    const via = `relationship "${r.displayName}" (${r.id}) via group ${g}`;
    const links: Link[] = [];
    const done = (): Path => ({ via, kind: 'group', links, holds: links.every((l) => l.holds) });
    const m = f.memberships.find((x) => same(x.group, g));
    const membersFrom = f.live?.membersRead.has(g.toLowerCase()) ? ({ source: 'microsoft', readAt: f.live.readAt } as const) : ({ source: 'ledger', readAt: now } as const);
    const kindWords = m ? m.kind + (m.activeUntil ? ` until ${m.activeUntil}` : '') + (holdingMembership(m) ? '' : `; holds nothing until ${f.user.email} activates it`) : 'not a member';
    const member: Link = { link: `member of ${g}`, state: kindWords, holds: !!m && holdingMembership(m), ...membersFrom };
    if (!m) member.fix = `delegate group add-member ${quoteArg(g)} ${f.user.email}`;
    else if (!holdingMembership(m)) member.fix = `delegate access activate ${quoteArg(g)} --reason "<why>"`;
    links.push(member);
    if (!member.holds) return done();
    const a = on.find((x) => same(x.group, g));
    const assigned: Link = { link: `${g} assigned on "${r.displayName}"`, state: a ? `assigned: ${a.roles.map(roleName).join(', ') || 'no role'}` : 'not assigned', holds: !!a, ...src(readAt) };
    if (!a) assigned.fix = `delegate client assign ${c.domain} --group ${quoteArg(g)} --roles ${rolesArg(neededRoles(rule, r.roles) ?? r.roles.slice(0, 1))}${relFlag(c, r)}`;
    links.push(assigned);
    if (!a) return done();
    const status: Link = {
      link: 'assignment active',
      state: a.status ?? "recorded offline (the ledger's own record; Microsoft's status not read)",
      holds: holdingAssignment(a),
      ...(a.status ? src(readAt) : src(null)),
    };
    if (!status.holds) {
      const pending = a.status === 'pending';
      status.state += pending ? '; Microsoft is still provisioning it: read its status again in a few minutes' : ' at Microsoft: make it again';
      status.fix = pending ? 'delegate sync --only relationships' : `delegate client assign ${c.domain} --group ${quoteArg(g)} --roles ${rolesArg(a.roles)}${relFlag(c, r)}`;
    }
    links.push(status);
    if (!status.holds) return done();
    const rl = relLink();
    links.push(rl);
    if (!rl.holds) return done();
    links.push(rolesLink(g, a.roles));
    return done();
  });
}

const DAP_ALLOWS: Record<Exclude<AdminAccess, 'none'>, string> = { full: 'AdminAgents (full)', limited: 'HelpdeskAgents (limited)' };

function dapPath(f: Facts, action: AccessAction): Path {
  const now = f.now.toISOString();
  const c = f.client;
  const dap = c.dap!;
  const links: Link[] = [];
  const access = f.user.adminAccess;
  const grant = `delegate user grant-admin ${f.user.email} --role full`;
  links.push({
    link: 'admin access (AdminAgents or HelpdeskAgents)',
    state: access === 'none' ? 'none' : DAP_ALLOWS[access],
    holds: access !== 'none',
    source: 'ledger',
    readAt: now,
    ...(access === 'none' ? { fix: grant } : {}),
  });
  const done = (): Path => ({ via: 'DAP', kind: 'dap', links, holds: links.every((l) => l.holds) });
  if (access === 'none') return done();
  const active = dap.removedAt === null;
  links.push({
    link: 'DAP relationship active',
    state: active ? `active since ${dap.acceptedAt}` : `removed at ${dap.removedAt}; a granular relationship replaces it`,
    holds: active,
    ...(f.dapReadAt ? { source: 'microsoft' as const, readAt: f.dapReadAt } : { source: 'ledger' as const, readAt: now }),
    ...(active ? {} : { fix: `delegate offer create --granular --roles ${rolesArg(neededRoles(ruleOf(action).rule)!)}` }),
  });
  if (!active) return done();
  const { rule } = ruleOf(action);
  const ok = rule.dap.includes(access);
  links.push({
    link: `admin access allows: ${rule.task}`,
    state: ok ? `${access} allows it` : `${access} does not; it needs ${rule.dap.join(' or ')}`,
    holds: ok,
    source: 'ledger',
    readAt: now,
    ...(ok ? {} : { fix: grant }),
  });
  return done();
}

/**
 * Every path from the user to the client for this action: those that hold first, then the others
 * by how far they got (the furthest first), each up to its first broken link.
 */
export function paths(f: Facts, action: AccessAction): Path[] {
  const out: Path[] = [];
  for (const r of f.client.gdap) out.push(...granularPaths(f, r, action));
  if (f.client.dap) out.push(dapPath(f, action));
  const reach = (p: Path) => (p.holds ? Infinity : p.links.filter((l) => l.holds).length);
  return out.map((p, i) => ({ p, i })).sort((a, b) => reach(b.p) - reach(a.p) || a.i - b.i).map((x) => x.p);
}

/** The broken link of a path that does not hold. */
export const brokenLink = (p: Path): Link | undefined => p.links.find((l) => !l.holds);
