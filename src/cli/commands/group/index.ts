/** `delegate group create|add-member|list`: the partner's security groups for granular access. */
import type { Command } from 'commander';
import { addGroupMembers, createGroup, listGroups } from '../../../domain/granular.js';
import type { Group } from '../../../domain/model.js';
import type { Context } from '../../context.js';
import { nounCommand } from '../../program.js';
import { renderList, renderOne, type View } from '../../render.js';

const groupView: View<Group> = {
  columns: [
    { header: 'name', value: (g) => g.name },
    { header: 'objectId', value: (g) => g.objectId },
    { header: 'members', value: (g) => g.members.join(', ') },
  ],
  json: (g) => ({ name: g.name, objectId: g.objectId, members: g.members, createdAt: g.createdAt }),
};

export function register(program: Command, ctx: Context): void {
  const group = nounCommand(program, 'group');
  group
    .command('create')
    .description('Create a security group (global admins)')
    .argument('<name>', 'group name')
    .option('--object-id <guid>', "the group's object id in your Microsoft Entra tenant (used in Graph plans)")
    .action(async (name: string, raw: { objectId?: string }) => {
      await renderOne(await ctx.target(), groupView, await createGroup(await ctx.session({ actor: true }), name, raw.objectId));
    });
  group
    .command('add-member')
    .description('Add partner users to a security group (global admins)')
    .argument('<group>', 'group name')
    .argument('<email...>', 'partner users')
    .action(async (name: string, emails: string[]) => {
      await renderOne(await ctx.target(), groupView, await addGroupMembers(await ctx.session({ actor: true }), name, emails));
    });
  group
    .command('list')
    .description('List security groups and their members')
    .action(async () => renderList(await ctx.target(), groupView, await listGroups(await ctx.session())));
}
