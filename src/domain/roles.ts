/**
 * Microsoft Entra built-in roles that granular delegated admin relationships
 * can carry, by role template id (checked against Microsoft Entra's
 * "built-in roles" permissions reference).
 */
import { UsageError } from './errors.js';

export interface Role {
  id: string;
  name: string;
}

export const ROLES: readonly Role[] = [
  { id: '62e90394-69f5-4237-9190-012177145e10', name: 'Global Administrator' },
  { id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', name: 'Global Reader' },
  { id: '966707d0-3269-4727-9be2-8c3a10f19b9d', name: 'Password Administrator' },
  { id: '729827e3-9c14-49f7-bb1b-9608f156bbb8', name: 'Helpdesk Administrator' },
  { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', name: 'User Administrator' },
  { id: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', name: 'Privileged Authentication Administrator' },
  { id: 'c4e39bd9-1100-46d3-8c65-fb160da0071f', name: 'Authentication Administrator' },
  { id: 'e8611ab8-c189-46e8-94e1-60213ab1f814', name: 'Privileged Role Administrator' },
  { id: '29232cdf-9323-42fd-ade2-1d097af3e4de', name: 'Exchange Administrator' },
  { id: '31392ffb-586c-42d1-9346-e59415a2cc4e', name: 'Exchange Recipient Administrator' },
  { id: 'f28a1f50-f6e7-4571-818b-6a12f2af6b6c', name: 'SharePoint Administrator' },
  { id: '69091246-20e8-4a56-aa4d-066075b2a7a8', name: 'Teams Administrator' },
  { id: '3a2c62db-5318-420d-8d74-23affee5d9d5', name: 'Intune Administrator' },
  { id: '7698a772-787b-4ac8-901f-60d6b08affd2', name: 'Cloud Device Administrator' },
  { id: '194ae4cb-b126-40b2-bd5b-6091b380977d', name: 'Security Administrator' },
  { id: '5d6b6bb7-de71-4623-b4af-96380a352509', name: 'Security Reader' },
  { id: 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', name: 'Conditional Access Administrator' },
  { id: '17315797-102d-40b4-93e0-432062caca18', name: 'Compliance Administrator' },
  { id: 'b0f54661-2d74-4c50-afa3-1ec803f12efe', name: 'Billing Administrator' },
  { id: '4d6ac14f-3453-41d0-bef9-a3e0c569773a', name: 'License Administrator' },
  { id: '8329153b-31d0-4727-b945-745eb3bc5f31', name: 'Domain Name Administrator' },
  { id: 'f023fd81-a637-4b56-95fd-791ac0226033', name: 'Service Support Administrator' },
  { id: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', name: 'Directory Readers' },
  { id: '4a5d8f65-41da-4de4-8968-e035b65339cf', name: 'Reports Reader' },
  { id: '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', name: 'Message Center Reader' },
  { id: '158c047a-c907-4556-b7ef-446551a6b5f7', name: 'Cloud Application Administrator' },
  { id: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', name: 'Application Administrator' },
  { id: '11648597-926c-4cf3-9c36-bcebb0ba8dcc', name: 'Power Platform Administrator' },
  { id: '2b745bdf-0803-4d80-aa65-822c4493daac', name: 'Office Apps Administrator' },
];

export const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
export const PASSWORD_ADMINISTRATOR = '966707d0-3269-4727-9be2-8c3a10f19b9d';
export const HELPDESK_ADMINISTRATOR = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
export const USER_ADMINISTRATOR = 'fe930be7-5e62-47db-91af-98c3a49a38b1';

const BY_ID = new Map(ROLES.map((r) => [r.id, r]));
const BY_NAME = new Map(ROLES.map((r) => [r.name.toLowerCase(), r]));

export function roleById(id: string): Role {
  return BY_ID.get(id) ?? { id, name: id };
}

export function roleName(id: string): string {
  return roleById(id).name;
}

/** One role by display name (any case) or role template id; unknown: exit 2. */
export function parseRole(text: string): Role {
  const t = text.trim();
  const r = BY_ID.get(t.toLowerCase()) ?? BY_NAME.get(t.toLowerCase().replace(/\s+/g, ' '));
  if (!r) throw new UsageError(`Unknown role ${JSON.stringify(t.slice(0, 60))} (see \`delegate role list\` for names and ids)`);
  return r;
}

/** A comma-separated role list: unique ids in catalogue order. */
export function parseRoles(text: string, what = '--roles'): string[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`${what} needs at least one role`);
  const ids = new Set(parts.map((p) => parseRole(p).id));
  return ROLES.filter((r) => ids.has(r.id)).map((r) => r.id);
}

export function rolesJson(ids: readonly string[]): Role[] {
  return ids.map(roleById);
}
