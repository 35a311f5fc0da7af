/** `delegate client unassign <domain> --group <group> [--roles ...]`: undo `client assign`. */
import type { Command } from 'commander';
import { unassignGroup, type Unassigned } from '../../../domain/access/assignments.js';
import { UsageError } from '../../../domain/core/errors.js';
import { parseRoles, roleName } from '../../../domain/relationship/roles.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { planFlag, PLAN_OPTION } from '../../plan.js';
import { renderOne, type View } from '../../render.js';

const unassignedView: View<Unassigned> = {
  columns: [
    { header: 'relationship', value: (u) => u.relationship.displayName },
    { header: 'relationshipId', value: (u) => u.relationship.id },
    { header: 'group', value: (u) => u.group },
    { header: 'removed', value: (u) => u.removed.map(roleName).join(', ') },
    { header: 'kept', value: (u) => u.kept.map(roleName).join(', ') },
  ],
  json: (u) => ({
    relationshipId: u.relationship.id,
    group: u.group,
    removed: u.removed.map((id) => ({ id, name: roleName(id) })),
    roles: u.kept.map((id) => ({ id, name: roleName(id) })),
  }),
};

export function register(client: Command, ctx: Context): void {
  client
    .command('unassign')
    .description("Take roles (all, without --roles) from a security group on a client's granular relationship (global admins)")
    .argument('<domain>', "the client's domain, or its tenant id")
    .option('--group <group>', 'the security group')
    .option('--roles <roles>', 'only these roles (names or ids, comma-separated); the group keeps the others')
    .option('--relationship <name|id>', 'the granular relationship (needed when the group is assigned on several active ones)')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText(
      'after',
      '\nAsks y/N on a terminal; pass --yes in scripts. Plans and --live name Microsoft\'s id for the assignment, which `delegate sync` reads.\n\nExamples:\n  delegate client unassign contoso.com --group Helpdesk --yes\n  delegate client unassign contoso.com --group Helpdesk --roles "User Administrator" --yes',
    )
    .action(async (domain: string, raw: { group?: string; roles?: string; relationship?: string; plan?: string | boolean; live?: boolean }) => {
      const d = v.clientRef(domain);
      if (!raw.group) throw new UsageError('Missing --group <group>');
      const group = v.displayName(raw.group, '--group', 120);
      const roles = raw.roles === undefined ? undefined : parseRoles(raw.roles);
      const relationship = raw.relationship === undefined ? undefined : v.displayName(raw.relationship, '--relationship', 120);
      if (!planFlag(raw)) await ctx.confirm(`Take ${roles ? roles.map(roleName).join(', ') : 'every role'} from security group ${group} on ${d}?`);
      const { s, mode } = await sessionAndMode(ctx, raw, { inClient: false, action: 'client.unassign', target: d });
      const r = await unassignGroup(s, domain, group, roles, { mode, ...(relationship === undefined ? {} : { relationship }) });
      await deliver(ctx, r, async (u) => {
        await renderOne(await ctx.target(), unassignedView, u);
        ctx.note(
          u.kept.length
            ? `${u.group} keeps ${u.kept.map(roleName).join(', ')} on "${u.relationship.displayName}".`
            : `${u.group} holds no role on "${u.relationship.displayName}" any more: its members reach ${d} through it no longer.`,
        );
      });
    });
}
