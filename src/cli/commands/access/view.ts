/** How an `access show` row looks: JSON as SPEC.md gives it; table and CSV the same fields, flattened (dotted names). */
import type { AccessRow } from '../../../domain/access/matrix.js';
import { jsonText, type View } from '../../render.js';

/** The row is its JSON already (domain/access/matrix.ts builds it in that shape; activeUntil left out when undefined). */
export const accessRowJson = (r: AccessRow) => r;

export const ACCESS_FIELDS = ['user', 'client', 'role', 'role.id', 'role.name', 'via', 'via.kind', 'via.group', 'via.relationshipId', 'endsAt', 'membership', 'activeUntil', 'readAt'];

const group = (r: AccessRow) => (r.via.kind === 'group' ? r.via.group : null);
const relationshipId = (r: AccessRow) => (r.via.kind === 'group' ? r.via.relationshipId : null);

/**
 * A row as JSON.stringify(list, null, 2) writes it inside the list (jsonText's escapes included),
 * made from cached pieces: a matrix of 50,000 rows repeats few users, clients, roles and times,
 * and its role and via objects are shared between rows (domain/access/matrix.ts).
 */
const quoted = new Map<string, string>();
const quote = (v: string | null): string => {
  if (v === null) return 'null';
  let t = quoted.get(v);
  if (t === undefined) quoted.set(v, (t = jsonText(v)));
  return t;
};
const objects = new WeakMap<object, string>();
function roleText(role: AccessRow['role']): string {
  let t = objects.get(role);
  if (t === undefined) objects.set(role, (t = `{\n      "id": ${quote(role.id)},\n      "name": ${quote(role.name)}\n    }`));
  return t;
}
function viaText(via: AccessRow['via']): string {
  let t = objects.get(via);
  if (t === undefined) {
    t = via.kind === 'dap' ? '{\n      "kind": "dap"\n    }' : `{\n      "kind": "group",\n      "group": ${quote(via.group)},\n      "relationshipId": ${quote(via.relationshipId)}\n    }`;
    objects.set(via, t);
  }
  return t;
}
/**
 * The part of a row after its user and client, the same for every member through one assignment:
 * made once per (via, role, membership), kept with the times it was made for (a row with other
 * times gets its own).
 */
interface Tail {
  endsAt: string | null;
  readAt: string;
  activeUntil: string | undefined;
  text: string;
}
const tails = new WeakMap<object, WeakMap<object, Partial<Record<AccessRow['membership'], Tail>>>>();
function tailText(r: AccessRow): string {
  const active = r.activeUntil === undefined ? '' : `\n    "activeUntil": ${quote(r.activeUntil)},`;
  const t = `${roleText(r.role)},\n    "via": ${viaText(r.via)},\n    "endsAt": ${quote(r.endsAt)},\n    "membership": ${quote(r.membership)},${active}\n    "readAt": ${quote(r.readAt)}\n  }`;
  // Flattened once here, not in every row that reuses it.
  return Buffer.from(t, 'utf8').toString('utf8');
}
function tail(r: AccessRow): string {
  let byRole = tails.get(r.via);
  if (byRole === undefined) tails.set(r.via, (byRole = new WeakMap()));
  let byKind = byRole.get(r.role);
  if (byKind === undefined) byRole.set(r.role, (byKind = {}));
  const t = byKind[r.membership];
  if (t !== undefined && t.endsAt === r.endsAt && t.readAt === r.readAt && t.activeUntil === r.activeUntil) return t.text;
  const made: Tail = { endsAt: r.endsAt, readAt: r.readAt, activeUntil: r.activeUntil, text: tailText(r) };
  byKind[r.membership] = made;
  return made.text;
}
export function accessRowElement(r: AccessRow): string {
  return `  {\n    "user": ${quote(r.user)},\n    "client": ${quote(r.client)},\n    "role": ${tail(r)}`;
}

export const accessView: View<AccessRow> = {
  fields: ACCESS_FIELDS,
  table: { key: ['user', 'client', 'role.name'], drop: ['role.id', 'via.relationshipId', 'readAt', 'activeUntil'] },
  empty: 'No one holds a role in these clients.',
  columns: [
    { header: 'user', value: (r) => r.user },
    { header: 'client', value: (r) => r.client },
    { header: 'role.id', value: (r) => r.role.id },
    { header: 'role.name', value: (r) => r.role.name },
    { header: 'via.kind', value: (r) => r.via.kind },
    { header: 'via.group', value: group },
    { header: 'via.relationshipId', value: relationshipId },
    { header: 'endsAt', value: (r) => r.endsAt },
    { header: 'membership', value: (r) => r.membership },
    { header: 'activeUntil', value: (r) => r.activeUntil ?? null },
    { header: 'readAt', value: (r) => r.readAt },
  ],
  json: accessRowJson,
  jsonElement: accessRowElement,
};

