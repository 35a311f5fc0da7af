/** `delegate group create|add-member|remove-member|set|delete|list`: the partner's security groups for granular access. */
import type { Command } from 'commander';
import { groupAddMembers, groupCreate, groupDelete, groupRemoveMembers, listGroups, setGroupObjectId } from '../../../domain/access/groups.js';
import { UsageError } from '../../../domain/core/errors.js';
import type { Group } from '../../../domain/core/model.js';
import type { Context } from '../../context.js';
import { planFlag, printPlan, PLAN_OPTION } from '../../plan.js';
import { deliver, LIVE_OPTION, reportLive, sessionAndMode } from '../../live.js';
import * as v from '../../../domain/core/validate.js';
import { renderList, renderOne, type View } from '../../render.js';

const groupView: View<Group> = {
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

export function register(noun: Command, ctx: Context): void {
  const group = noun;
  group
    .command('create')
    .description('Create a security group (global admins)')
    .argument('[name]', 'group name (asked for on a terminal)')
    .option('--object-id <guid>', "the group's object id in your Microsoft Entra tenant (used in plans)")
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .action(async (nameIn: string | undefined, raw: { objectId?: string; plan?: string | boolean; live?: boolean }) => {
      if (raw.objectId !== undefined && raw.live) throw new UsageError('--object-id records a group that already exists at Microsoft; --live creates one there: give one');
      const name = await ctx.need(nameIn, '<name>', 'Security group name:', (x) => v.displayName(x, 'group name', 120));
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'group.create', target: name });
      if (raw.objectId !== undefined && mode.kind === 'live') throw new UsageError('--object-id records a group that already exists at Microsoft; live mode creates one there: work offline to record it');
      const r = await groupCreate(s, name, raw.objectId, mode);
      if (r.kind === 'plan') return printPlan(ctx, r.requests, `Then record it with its id (the response's id): \`delegate group create <name> --object-id <id>\`.`);
      await renderOne(await ctx.target(), groupView, r.value);
      if (mode.kind === 'live') ctx.note(`Created security group ${r.value.name} in your Microsoft Entra tenant (object id ${r.value.objectId}).`);
    });
  group
    .command('add-member')
    .description('Add partner users to a security group (global admins)')
    .argument('<group>', 'group name')
    .argument('<email...>', 'partner users')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .action(async (name: string, emails: string[], raw: { plan?: string | boolean; live?: boolean }) => {
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'group.add-member', target: name });
      const r = await groupAddMembers(s, name, emails, mode);
      if (r.kind === 'plan') return printPlan(ctx, r.requests, 'Run these against your own tenant.');
      await renderOne(await ctx.target(), groupView, r.value);
      reportLive(ctx, r);
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
  group
    .command('remove-member')
    .description('Take partner users out of a security group: they lose the roles it holds on client relationships (global admins)')
    .argument('<group>', 'group name')
    .argument('<email...>', 'partner users')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts.\n\nExample:\n  delegate group remove-member Helpdesk lee@fabrikam.com --yes')
    .action(async (name: string, emails: string[], raw: { plan?: string | boolean; live?: boolean }) => {
      const g = v.displayName(name, 'group name', 120);
      emails.forEach((e) => v.email(e));
      if (!planFlag(raw)) await ctx.confirm(`Remove ${emails.join(', ')} from security group ${g}?`);
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'group.remove-member', target: g });
      const r = await groupRemoveMembers(s, g, emails, { mode });
      await deliver(ctx, r, async (after) => renderOne(await ctx.target(), groupView, after), 'Run these against your own tenant.');
    });
  group
    .command('delete')
    .description('Delete a security group: not while it is assigned on an active relationship or named in a template (global admins)')
    .argument('<group>', 'group name')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts. Microsoft deletes a security group for good.\n\nExample:\n  delegate group delete Helpdesk --yes')
    .action(async (name: string, raw: { plan?: string | boolean; live?: boolean }) => {
      const g = v.displayName(name, 'group name', 120);
      if (!planFlag(raw)) await ctx.confirm(`Delete security group ${g}?`);
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'group.delete', target: g });
      const r = await groupDelete(s, g, { mode });
      await deliver(
        ctx,
        r,
        async (gone) => {
          await renderOne(await ctx.target(), groupView, gone);
          ctx.note(mode.kind === 'live' ? `Deleted security group ${gone.name} at Microsoft and from the ledger.` : `Deleted security group ${gone.name} from the ledger. Nothing was sent to Microsoft: \`--live\` deletes it there.`);
        },
        'Run this against your own tenant.',
      );
    });
  ctx
    .listFields(group.command('list').description('List security groups and their members'), groupView.fields!)
    .action(async () => renderList(await ctx.target(), groupView, await listGroups(await ctx.session())));
}
