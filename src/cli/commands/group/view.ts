/** How a security group looks (every `group` verb prints one, or a list). */
import type { Group } from '../../../domain/core/model.js';
import type { View } from '../../render.js';

export const groupView: View<Group> = {
  fields: ['name', 'objectId', 'members', 'createdAt'],
  table: { key: ['name'], drop: ['objectId'], min: { members: 20 } },
  empty: 'No groups yet (`delegate group create <name>`).',
  columns: [
    { header: 'name', value: (g) => g.name },
    { header: 'objectId', value: (g) => g.objectId },
    { header: 'members', value: (g) => g.members.join(', ') },
  ],
  json: (g) => ({ name: g.name, objectId: g.objectId, members: g.members, createdAt: g.createdAt }),
};
