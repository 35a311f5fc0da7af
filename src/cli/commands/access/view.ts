/** How an `access show` row looks: JSON as SPEC.md gives it; table and CSV the same fields, flattened (dotted names). */
import type { AccessRow } from '../../../domain/access/matrix.js';
import type { View } from '../../render.js';

/** The row is its JSON already (domain/access/matrix.ts builds it in that shape; activeUntil left out when undefined). */
export const accessRowJson = (r: AccessRow) => r;

export const ACCESS_FIELDS = ['user', 'client', 'role', 'role.id', 'role.name', 'via', 'via.kind', 'via.group', 'via.relationshipId', 'endsAt', 'membership', 'activeUntil', 'readAt'];

const group = (r: AccessRow) => (r.via.kind === 'group' ? r.via.group : null);
const relationshipId = (r: AccessRow) => (r.via.kind === 'group' ? r.via.relationshipId : null);

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
};

