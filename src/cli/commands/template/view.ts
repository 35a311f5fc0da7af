/** How a template looks (every `template` verb prints one, or a list). */
import type { Template } from '../../../domain/core/model.js';
import { roleName } from '../../../domain/relationship/roles.js';
import type { View } from '../../render.js';

export const templateView: View<Template> = {
  fields: ['name', 'roles', 'duration', 'autoExtendDuration', 'assignments', 'createdAt', 'createdBy'],
  table: { key: ['name'], drop: ['autoExtendDuration', 'duration', 'assignments'], min: { roles: 20 } },
  empty: 'No templates yet (`delegate template create <name>`).',
  columns: [
    { header: 'name', value: (t) => t.name },
    { header: 'roles', value: (t) => t.roles.map(roleName).join(', ') },
    { header: 'duration', value: (t) => t.duration },
    { header: 'autoExtendDuration', value: (t) => t.autoExtendDuration },
    { header: 'assignments', value: (t) => t.assignments.map((a) => `${a.group}: ${a.roles.map(roleName).join(', ')}`).join('; ') },
  ],
  json: (t) => ({
    name: t.name,
    roles: t.roles.map((id) => ({ id, name: roleName(id) })),
    duration: t.duration,
    autoExtendDuration: t.autoExtendDuration,
    assignments: t.assignments.map((a) => ({ group: a.group, roles: a.roles.map((id) => ({ id, name: roleName(id) })) })),
    createdAt: t.createdAt,
    createdBy: t.createdBy,
  }),
};
