/** `delegate group create|add-member|list`: the partner's security groups for granular access. */
import type { Command } from 'commander';
import { groupAddMembers, groupCreate, listGroups, setGroupObjectId } from '../../../domain/groups.js';
import { UsageError } from '../../../domain/errors.js';
import type { Group } from '../../../domain/model.js';
import type { Context } from '../../context.js';
import { planFlag, printPlan, PLAN_OPTION } from '../../plan.js';
import { nounCommand } from '../../program.js';
import { renderList, renderOne, type View } from '../../render.js';

const groupView: View<Group> = {
  fields: ['name', 'objectId', 'members', 'createdAt'],
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
    .option('--object-id <guid>', "the group's object id in your Microsoft Entra tenant (used in plans)")
    .option(...PLAN_OPTION)
    .action(async (name: string, raw: { objectId?: string; plan?: string | boolean }) => {
      const plan = planFlag(raw);
      const r = await groupCreate(await ctx.session({ actor: true }), name, raw.objectId, plan);
      if (r.kind === 'plan') return printPlan(ctx, r.requests, `Then record it with its id (the response's id): \`delegate group create <name> --object-id <id>\`.`);
      await renderOne(await ctx.target(), groupView, r.value);
    });
  group
    .command('add-member')
    .description('Add partner users to a security group (global admins)')
    .argument('<group>', 'group name')
    .argument('<email...>', 'partner users')
    .option(...PLAN_OPTION)
    .action(async (name: string, emails: string[], raw: { plan?: string | boolean }) => {
      const plan = planFlag(raw);
      const r = await groupAddMembers(await ctx.session({ actor: true }), name, emails, plan);
      if (r.kind === 'plan') return printPlan(ctx, r.requests, 'Run these against your own tenant.');
      await renderOne(await ctx.target(), groupView, r.value);
    });
  group
    .command('set')
    .description("Record a security group's object id in your Microsoft Entra tenant, so plans can name it (global admins)")
    .argument('<name>', 'group name')
    .option('--object-id <guid>', "the group's object id (e.g. the id in the response to `group create --plan`'s request)")
    .action(async (name: string, raw: { objectId?: string }) => {
      if (raw.objectId === undefined) throw new UsageError('Missing --object-id <guid>');
      await renderOne(await ctx.target(), groupView, await setGroupObjectId(await ctx.session({ actor: true }), name, raw.objectId));
    });
  ctx
    .listFields(group.command('list').description('List security groups and their members'), groupView.fields!)
    .action(async () => renderList(await ctx.target(), groupView, await listGroups(await ctx.session())));
}
