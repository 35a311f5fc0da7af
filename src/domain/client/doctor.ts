/**
 * `delegate doctor`: per client, what stands between the partner and working
 * access, each finding with the command that fixes it (SPEC.md "Fleet work and
 * the shell"). Reading only: it changes nothing and audits nothing.
 *
 * Checks, in this order: relationship state and days left; Global
 * Administrator blocking auto-extend; no group assigned; assigned roles the
 * relationship lacks; assigned groups with no members; partner users with
 * access through no group; unverified domains; and, for the partner, agent
 * groups unknown.
 */
import { DAY_MS } from '../core/duration.js';
import { quoteArg } from '../access/groups.js';
import { NotFoundError } from '../core/errors.js';
import type { ClientRecord, Group, Partner, PartnerUser, Relationship, Template } from '../core/model.js';
import { activeDap, activeGdap, clientSummary, relationshipState } from '../relationship/relationships.js';
import { GLOBAL_ADMINISTRATOR, roleName } from '../relationship/roles.js';
import { clientKey, requirePartner, type Session } from '../core/session.js';
import type { Tx } from '../core/store.js';
import * as v from '../core/validate.js';

export type Severity = 'info' | 'warning' | 'error';

export const CHECKS = [
  'relationship',
  'global-admin-auto-extend',
  'no-group',
  'roles-lacking',
  'empty-group',
  'users-without-group',
  'unverified-domain',
  'agent-groups',
  // doctor --live (doctor-live.ts): what Microsoft holds that the ledger does not know
  'assignment-status',
  'group-deleted',
  'members-elsewhere',
  'eligibility-elsewhere',
  'unread',
] as const;
export type Check = (typeof CHECKS)[number];

export interface Finding {
  /** The client's domain (or tenant id, for a client known only by it); null for the partner as a whole. */
  client: string | null;
  check: Check;
  severity: Severity;
  message: string;
  /** The command that fixes it; null when there is nothing to do. */
  fix: string | null;
}

/** A client whose relationships all ended (removed, terminated, expired, or on the way there): the partner's choice, so `info`. */
export const ENDED: ReadonlySet<string> = new Set(['removed', 'terminated', 'expired', 'terminating', 'terminationRequested']);

/** What doctor knows of the person running it. */
export interface DoctorOptions {
  /** Signed in to Microsoft (or given a token): a fix may read Microsoft (`delegate sync`); else each fix works offline. */
  signedIn: boolean;
}

/** A relationship that ends within this many days, not auto-extending, is a warning. */
export const ENDING_SOON_DAYS = 30;

/** What doctor reads once for every client. */
interface Fleet {
  partner: Partner;
  now: Date;
  groups: Map<string, Group>;
  templates: Map<string, Template>;
  /** Partner users with admin access (full or limited): those who expect to reach clients. */
  agents: PartnerUser[];
  signedIn: boolean;
}

const q = quoteArg;
const roleList = (roles: readonly string[]) => q(roles.map(roleName).join(','));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The clients a doctor run looks at: those named (domain or tenant id; unknown ones are exit 3, all named at once), else every client. */
export async function doctorClients(tx: Tx, refs: readonly string[]): Promise<ClientRecord[]> {
  if (refs.length === 0) return tx.listClients({});
  const clients: ClientRecord[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    const c = await tx.getClient(await clientKey(tx, ref));
    if (c) clients.push(c);
    else missing.push(ref);
  }
  if (missing.length) throw new NotFoundError(`No client ${missing.join(', ')} (see \`delegate client list\`)`);
  return clients;
}

/** Diagnose the named clients (every client when none is named). Unknown names are exit 3, all named at once. */
export async function doctor(s: Session, domainsIn: readonly string[], opts: DoctorOptions = { signedIn: false }): Promise<Finding[]> {
  const refs = domainsIn.map((d) => v.clientRef(d));
  return s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const clients = await doctorClients(tx, refs);
    const fleet: Fleet = {
      partner,
      now: s.clock.now(),
      groups: new Map((await tx.listGroups()).map((g) => [g.name.toLowerCase(), g])),
      templates: new Map((await tx.listTemplates()).map((t) => [t.name.toLowerCase(), t])),
      agents: (await tx.listUsers({})).filter((u) => u.adminAccess !== 'none'),
      signedIn: opts.signedIn,
    };
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const c of clients) {
      if (seen.has(c.domain)) continue;
      seen.add(c.domain);
      out.push(...(await clientFindings(tx, fleet, c)));
    }
    out.push(...agentGroupFindings(fleet, clients));
    return out;
  });
}

async function clientFindings(tx: Tx, f: Fleet, c: ClientRecord): Promise<Finding[]> {
  const out: Finding[] = [];
  const add = (check: Check, severity: Severity, message: string, fix: string | null) => out.push({ client: c.domain, check, severity, message, fix });
  const dap = activeDap(c);
  const gdap = activeGdap(c, f.now);
  if (!dap && gdap.length === 0) {
    const sum = clientSummary(c, f.now);
    const newest = c.gdap[c.gdap.length - 1];
    const since = sum.removedAt ? ` since ${sum.removedAt}` : '';
    if (ENDED.has(sum.status)) {
      // Offboarded (or let go): nothing stands in the way of anything the partner still does; a new offer brings it back.
      add('relationship', 'info', `ended: no active relationship (${sum.status}${since}); a new offer brings ${c.domain} back`, newOffer(f, newest));
    } else {
      add('relationship', 'error', `no active relationship (${sum.status}${since}): ${f.partner.name} has no access`, newOffer(f, newest));
    }
    return out;
  }
  if (dap && gdap.length === 0) {
    add('relationship', 'info', 'delegated admin (DAP) relationship active, with no end date; no granular relationship (Microsoft moves partners from DAP to GDAP)', newOffer(f, undefined));
  }
  const several = gdap.length > 1;
  // Members of the groups assigned on any active granular relationship (roles the relationship has).
  const reached = new Set<string>();
  let firstGroup: string | undefined;
  for (const r of gdap) {
    const which = several ? ` --relationship ${q(r.displayName)}` : '';
    const st = relationshipState(r, f.now);
    const days = Math.max(0, Math.ceil((Date.parse(st.endsAt!) - f.now.getTime()) / DAY_MS));
    const name = `granular relationship "${r.displayName}"`;
    const hasGa = r.roles.includes(GLOBAL_ADMINISTRATOR);
    const rest = r.roles.filter((x) => x !== GLOBAL_ADMINISTRATOR);
    // Graph never auto-extends a relationship with Global Administrator, but lets an active one lose that role
    // (client remove-role); with no other role, only a new relationship helps.
    const withoutGa = rest.length ? `delegate client remove-role ${q(c.domain)} --role "Global Administrator" && delegate client extend ${q(c.domain)}${which}` : newOffer(f, r);
    if (r.autoExtendDuration === 'P180D') {
      add('relationship', 'info', `${name} active, ${plural(days, 'day')} left (ends ${st.endsAt}), auto-extends by 180 days`, null);
    } else {
      const soon = days <= ENDING_SOON_DAYS;
      const fix = hasGa ? withoutGa : `delegate client extend ${q(c.domain)}${which}`;
      add('relationship', soon ? 'warning' : 'info', `${name} active, ${plural(days, 'day')} left (ends ${st.endsAt}), not auto-extending`, fix);
    }
    if (hasGa) add('global-admin-auto-extend', 'warning', `${name} includes Global Administrator, so it cannot auto-extend: it ends ${st.endsAt} (in ${plural(days, 'day')})`, withoutGa);
    const assignments = await tx.listAssignments(r.id);
    if (assignments.length === 0) {
      const t = r.template ? f.templates.get(r.template.toLowerCase()) : undefined;
      const want = t?.assignments.find((a) => a.roles.some((x) => r.roles.includes(x)));
      add(
        'no-group',
        'error',
        `${name} has no security group assigned: nobody at ${f.partner.name} can use it`,
        want
          ? `delegate client assign ${q(c.domain)}${which} --group ${q(want.group)} --roles ${roleList(want.roles.filter((x) => r.roles.includes(x)))}`
          : `delegate client assign ${q(c.domain)}${which} --group ${f.groups.size === 1 ? q([...f.groups.values()][0]!.name) : '<group>'} --roles ${roleList(r.roles)}`,
      );
    }
    for (const a of assignments) {
      const lacking = a.roles.filter((x) => !r.roles.includes(x));
      if (lacking.length) {
        add(
          'roles-lacking',
          'warning',
          `group ${a.group} is assigned ${lacking.map(roleName).join(', ')} on ${name}, which it does not have: ${lacking.length === 1 ? 'that role gives' : 'those roles give'} nothing`,
          `delegate client unassign ${q(c.domain)}${which} --group ${q(a.group)} --roles ${roleList(lacking)}`,
        );
      }
      const g = f.groups.get(a.group.toLowerCase());
      const useful = a.roles.some((x) => r.roles.includes(x));
      if (g && g.members.length === 0) {
        add('empty-group', 'warning', `group ${a.group} is assigned on ${name} but has no members`, `delegate group add-member ${q(a.group)} <email>`);
      } else if (g && useful) {
        firstGroup ??= g.name;
        for (const m of g.members) reached.add(m.toLowerCase());
      }
    }
  }
  if (gdap.length && firstGroup) {
    const left = f.agents.filter((u) => !reached.has(u.email.toLowerCase()));
    if (left.length) {
      const shown = left.slice(0, 5).map((u) => u.email).join(', ') + (left.length > 5 ? ` and ${left.length - 5} more` : '');
      add(
        'users-without-group',
        dap ? 'info' : 'warning',
        `${plural(left.length, 'partner user')} with admin access ${left.length === 1 ? 'is' : 'are'} in no group assigned on ${c.domain}'s granular ${gdap.length === 1 ? 'relationship' : 'relationships'} (${shown}): ${dap ? 'they reach it through DAP only, and lose it when DAP ends' : 'admin access gives nothing on a granular relationship'}`,
        `delegate group add-member ${q(firstGroup)} ${left.slice(0, 5).map((u) => q(u.email)).join(' ')}`,
      );
    }
  }
  for (const d of await tx.listClientDomains(c.domain)) {
    if (!d.verified) {
      add('unverified-domain', 'warning', `domain ${d.name} is not verified: no user can be added on it`, `delegate client domain verify ${q(c.domain)} ${q(d.name)}`);
    }
  }
  return out;
}

/** The command that sends a new granular offer like `r` (its template, else its roles). */
function newOffer(f: Fleet, r: Relationship | undefined): string {
  const t = r?.template ? f.templates.get(r.template.toLowerCase()) : undefined;
  if (t) return `delegate offer create --granular --template ${q(t.name)}`;
  if (r) return `delegate offer create --granular --roles ${roleList(r.roles)}`;
  return 'delegate offer create --granular --roles <roles>';
}

/** The partner's AdminAgents and HelpdeskAgents groups: DAP grant and revoke change their members at Microsoft. */
function agentGroupFindings(f: Fleet, clients: readonly ClientRecord[]): Finding[] {
  const unknown = [
    ...(f.partner.adminAgentsGroupId ? [] : ['AdminAgents']),
    ...(f.partner.helpdeskAgentsGroupId ? [] : ['HelpdeskAgents']),
  ];
  if (unknown.length === 0) return [];
  const withDap = clients.some((c) => activeDap(c));
  return [
    {
      client: null,
      check: 'agent-groups',
      severity: withDap ? 'warning' : 'info',
      message: `the object ${unknown.length === 1 ? 'id' : 'ids'} of ${f.partner.name}'s ${unknown.join(' and ')} ${unknown.length === 1 ? 'group is' : 'groups are'} unknown: DAP grant and revoke cannot be planned or done live`,
      // Signed in, sync reads them from the partner tenant; offline, they are set by hand (Entra admin center > Groups).
      fix: f.signedIn
        ? 'delegate sync --only users'
        : `delegate partner set${f.partner.adminAgentsGroupId ? '' : ' --admin-agents-group <object id>'}${f.partner.helpdeskAgentsGroupId ? '' : ' --helpdesk-agents-group <object id>'}`,
    },
  ];
}

/** How many findings need attention (anything but info). */
export function attention(findings: readonly Finding[]): { errors: number; warnings: number } {
  return {
    errors: findings.filter((x) => x.severity === 'error').length,
    warnings: findings.filter((x) => x.severity === 'warning').length,
  };
}
