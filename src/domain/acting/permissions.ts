/**
 * Who may do what in a client's directory (SPEC.md "Acting for a client"):
 * the rules as data, and one pure decision over them.
 *
 * A partner user acts in a client through what it holds there:
 * - a delegated admin (DAP) relationship, when one is active: its admin
 *   access, `full` (Partner Center's admin agent, the client's Global
 *   Administrator) or `limited` (the helpdesk agent, the client's Helpdesk
 *   Administrator); `none` gives nothing;
 * - the Microsoft Entra roles assigned to its security groups on the client's
 *   active granular (GDAP) relationships.
 * Either may allow an action. "Admin" (a target user) means a user holding
 * any directory role in that client; in the ledger that is `isAdmin`.
 *
 * Sources, each cited on the rule it supports:
 * - LEAST: "Least privileged roles by task in Microsoft Entra ID", sections
 *   Users and Custom domain names.
 * - RESET: "Privileged roles and permissions in Microsoft Entra ID", tables
 *   "Who can reset passwords" and "Who can perform sensitive actions" (the
 *   latter covers "Delete or restore users").
 * - DOMAIN: the Domain Name Administrator entry of the permissions reference
 *   ("can manage (read, add, verify, update, and delete) domain names").
 * - PRA: the Privileged Role Administrator entry ("does not include ... creating
 *   or updating users", but manages assignments of every role, Global
 *   Administrator included).
 * - DAP: Partner Center's admin agent / helpdesk agent roles. That a helpdesk
 *   agent holds the client's Helpdesk Administrator privileges is SPEC.md's
 *   statement; no Microsoft page read here says it in those words (Partner
 *   Center's roles page names the agents; a third-party page says "equivalent
 *   to a helpdesk admin"). Not confirmed.
 */
import type { AdminAccess } from '../core/model.js';
import {
  AUTHENTICATION_ADMINISTRATOR,
  DOMAIN_NAME_ADMINISTRATOR,
  GLOBAL_ADMINISTRATOR,
  HELPDESK_ADMINISTRATOR,
  PASSWORD_ADMINISTRATOR,
  PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
  PRIVILEGED_ROLE_ADMINISTRATOR,
  USER_ADMINISTRATOR,
  roleName,
} from '../relationship/roles.js';

export const SOURCES = {
  LEAST: 'https://learn.microsoft.com/entra/identity/role-based-access-control/delegate-by-task',
  RESET: 'https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions#who-can-reset-passwords',
  SENSITIVE: 'https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions#who-can-perform-sensitive-actions',
  DOMAIN: 'https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference#domain-name-administrator',
  PRA: 'https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference#privileged-role-administrator',
  DAP: 'https://learn.microsoft.com/partner-center/permissions-overview',
} as const;

/** What an acting command asks to do; whether its target is an admin picks the row. */
export const CLIENT_ACTIONS = ['list', 'add-user', 'reset-password', 'add-domain', 'verify-domain', 'remove-user', 'remove-domain'] as const;
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

export interface Rule {
  /** The row of SPEC.md's table, as words for a refusal ("add an admin user"). */
  task: string;
  /** DAP admin access levels that allow it. */
  dap: readonly ('full' | 'limited')[];
  /** GDAP: any one of these role sets (every role of a set held), or any role at all. */
  gdap: 'any' | readonly (readonly string[])[];
  /** Microsoft pages the rule was checked against. */
  sources: readonly string[];
  /** What the sources do not confirm, if anything. */
  unconfirmed?: string;
}

const GA = GLOBAL_ADMINISTRATOR;
const UA = USER_ADMINISTRATOR;
const PAA = PRIVILEGED_AUTHENTICATION_ADMINISTRATOR;
const one = (...roles: string[]) => roles.map((r) => [r]);

// DAP `full` is the client's Global Administrator, so it may do every row; DAP
// `limited` is its Helpdesk Administrator, which may read and reset non-admin
// passwords only (SOURCES.RESET, "Helpdesk Admin" column; SOURCES.DAP, unconfirmed).
const LIST: Rule = {
  task: "read the client's users and domains",
  dap: ['full', 'limited'],
  // Any role: built-in roles inherit Directory Readers' permissions (the
  // permissions reference shows `inheritsPermissionsFrom` Directory Readers for
  // e.g. Helpdesk Administrator), but that is not confirmed for every role.
  gdap: 'any',
  sources: [SOURCES.LEAST],
  unconfirmed: 'that every built-in role can read users and domains (most inherit Directory Readers; not checked role by role)',
};

const RULES: Record<ClientAction, { nonAdmin: Rule; admin: Rule }> = {
  list: { nonAdmin: LIST, admin: LIST },
  'add-user': {
    // LEAST, Users: "Create user: User Administrator".
    nonAdmin: { task: 'add a non-admin user', dap: ['full'], gdap: one(GA, UA), sources: [SOURCES.LEAST] },
    // LEAST, Users: "Add user to directory role: Privileged Role Administrator";
    // PRA cannot create users, so it needs User Administrator beside it.
    admin: {
      task: 'add an admin user (it assigns Global Administrator)',
      dap: ['full'],
      gdap: [[GA], [PRIVILEGED_ROLE_ADMINISTRATOR, UA]],
      sources: [SOURCES.LEAST, SOURCES.PRA],
    },
  },
  'reset-password': {
    // RESET, row "User (no admin role)": every one of these columns is checked.
    nonAdmin: {
      task: "reset a non-admin's password",
      dap: ['full', 'limited'],
      gdap: one(HELPDESK_ADMINISTRATOR, PASSWORD_ADMINISTRATOR, UA, AUTHENTICATION_ADMINISTRATOR, PAA, GA),
      sources: [SOURCES.RESET],
    },
    // RESET, rows "Global Admin" and "All other built-in and custom roles":
    // only Privileged Auth Admin and Global Admin.
    admin: { task: "reset an admin's password", dap: ['full'], gdap: one(PAA, GA), sources: [SOURCES.RESET] },
  },
  'add-domain': {
    // LEAST, Custom domain names: "Manage domains: Domain Name Administrator"; DOMAIN: add.
    nonAdmin: { task: 'add a domain', dap: ['full'], gdap: one(DOMAIN_NAME_ADMINISTRATOR, GA), sources: [SOURCES.LEAST, SOURCES.DOMAIN] },
    admin: { task: 'add a domain', dap: ['full'], gdap: one(DOMAIN_NAME_ADMINISTRATOR, GA), sources: [SOURCES.LEAST, SOURCES.DOMAIN] },
  },
  'verify-domain': {
    // DOMAIN: "read, add, verify, update, and delete".
    nonAdmin: { task: 'verify a domain', dap: ['full'], gdap: one(DOMAIN_NAME_ADMINISTRATOR, GA), sources: [SOURCES.DOMAIN] },
    admin: { task: 'verify a domain', dap: ['full'], gdap: one(DOMAIN_NAME_ADMINISTRATOR, GA), sources: [SOURCES.DOMAIN] },
  },
  'remove-user': {
    // LEAST, Users: "Delete users: User Administrator". SENSITIVE, "Delete or
    // restore users", row "User (no admin role)" also checks Auth Admin and
    // Privileged Auth Admin: Microsoft allows more than SPEC.md's row, which
    // is followed here (narrower, never wider).
    nonAdmin: {
      task: 'remove a non-admin user',
      dap: ['full'],
      gdap: one(UA, GA),
      sources: [SOURCES.LEAST, SOURCES.SENSITIVE],
      unconfirmed: 'Microsoft also lets Authentication Administrator and Privileged Authentication Administrator delete non-admin users; SPEC.md does not',
    },
    // SENSITIVE, row "Global Admin": Privileged Auth Admin and Global Admin.
    admin: { task: 'remove an admin user', dap: ['full'], gdap: one(PAA, GA), sources: [SOURCES.SENSITIVE] },
  },
  'remove-domain': {
    // DOMAIN: "delete".
    nonAdmin: { task: 'remove a domain', dap: ['full'], gdap: one(DOMAIN_NAME_ADMINISTRATOR, GA), sources: [SOURCES.LEAST, SOURCES.DOMAIN] },
    admin: { task: 'remove a domain', dap: ['full'], gdap: one(DOMAIN_NAME_ADMINISTRATOR, GA), sources: [SOURCES.LEAST, SOURCES.DOMAIN] },
  },
};

export function ruleFor(action: ClientAction, targetIsAdmin: boolean): Rule {
  const r = RULES[action];
  return targetIsAdmin ? r.admin : r.nonAdmin;
}

/** What the acting user holds in a client. */
export interface Holding {
  /** Its admin access, when the client's DAP relationship is active; absent otherwise. */
  dap?: AdminAccess;
  /** Roles held through its groups on the client's active granular relationships. */
  roles: ReadonlySet<string>;
}

export type Decision = { allowed: true } | { allowed: false; rule: Rule };

/** The rule, pure: may someone holding `h` do `action` to a target that is (or is not) an admin? */
export function decide(h: Holding, action: ClientAction, targetIsAdmin: boolean): Decision {
  const rule = ruleFor(action, targetIsAdmin);
  const byDap = h.dap !== undefined && h.dap !== 'none' && rule.dap.includes(h.dap);
  const byGdap = rule.gdap === 'any' ? h.roles.size > 0 : rule.gdap.some((set) => set.every((r) => h.roles.has(r)));
  return byDap || byGdap ? { allowed: true } : { allowed: false, rule };
}

const DAP_WORDS = { full: 'full admin access (admin agent)', limited: 'limited admin access (helpdesk agent)' } as const;

/** Who a rule allows, in words: "DAP full admin access (admin agent), or through GDAP: Global Administrator, or ...". */
export function allowedBy(rule: Rule): string {
  const dap = `DAP ${rule.dap.map((d) => DAP_WORDS[d]).join(' or ')}`;
  if (rule.gdap === 'any') return `${dap}, or any role held through a security group on a granular relationship`;
  return `${dap}, or through a security group on a granular relationship: ${rule.gdap.map((set) => set.map(roleName).join(' together with ')).join(', or ')}`;
}

/** What a holding is, in words, for refusals. */
export function heldWords(h: Holding): string {
  const parts: string[] = [];
  if (h.dap !== undefined) parts.push(h.dap === 'none' ? 'no DAP admin access' : `DAP ${DAP_WORDS[h.dap]}`);
  parts.push(h.roles.size ? `GDAP roles ${[...h.roles].map(roleName).join(', ')}` : 'no GDAP roles');
  return parts.join(' and ');
}
