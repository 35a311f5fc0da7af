/** `delegate role list`: the Microsoft Entra roles a granular relationship can carry. */
import type { Command } from 'commander';
import { ROLES, type Role } from '../../../domain/relationship/roles.js';
import type { Context } from '../../context.js';
import { renderList, type View } from '../../render.js';

const roleView: View<Role> = {
  fields: ['id', 'name'],
  // People name roles by name (`--roles "Helpdesk Administrator"`): the name stays whole.
  table: { key: ['name'] },
  columns: [
    { header: 'id', value: (r) => r.id },
    { header: 'name', value: (r) => r.name },
  ],
  json: (r) => ({ id: r.id, name: r.name }),
};

export function register(noun: Command, ctx: Context): void {
  const list = noun
    .command('list')
    .description('List the roles, by display name and Microsoft Entra role template id')
    .addHelpText('after', '\nExamples:\n  delegate role list\n  delegate role list --output csv');
  ctx
    .listFields(list, roleView.fields!)
    .action(async () => renderList(await ctx.target(), roleView, ROLES));
}
