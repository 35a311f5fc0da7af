/** `delegate client unassign <domain> --group <group> [--roles ...]`: undo `client assign`. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { unassignGroup, type Unassigned } from '../../../domain/access/assignments.js';
import type { Carried } from '../../../domain/plan/decision.js';
import { parseRoles, roleName } from '../../../domain/relationship/roles.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema, required } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderOne, type View } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { clientRefSchema, relationshipSchema } from './common.js';

export const schema = z.object({
  domain: clientRefSchema,
  group: required('Missing --group <group>', (s) => v.displayName(s, '--group', 120)),
  roles: z.optional(rule((s) => parseRoles(s))),
  relationship: relationshipSchema,
  plan: planSchema,
  live: flag,
});
export type Options = output<typeof schema>;

export const unassignedView: View<Unassigned> = {
  table: { key: ['group'] },
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

export function question(o: Options): string | undefined {
  return o.plan ? undefined : `Take ${o.roles ? o.roles.map(roleName).join(', ') : 'every role'} from security group ${o.group} on ${v.clientRef(o.domain)}?`;
}

export async function run(opts: Options, ctx: Context): Promise<Carried<Unassigned>> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'client.unassign', target: v.clientRef(opts.domain) });
  return unassignGroup(s, opts.domain, opts.group, opts.roles, { mode, ...(opts.relationship === undefined ? {} : { relationship: opts.relationship }) });
}

export async function show(ctx: Context, opts: Options, r: Carried<Unassigned>): Promise<void> {
  await deliver(ctx, r, async (u) => {
    await renderOne(await ctx.target(), unassignedView, u);
    ctx.note(
      u.kept.length
        ? `${u.group} keeps ${u.kept.map(roleName).join(', ')} on "${u.relationship.displayName}".`
        : `${u.group} holds no role on "${u.relationship.displayName}" any more: its members reach ${v.clientRef(opts.domain)} through it no longer.`,
    );
  });
}

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
    .action(async (domain: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domain });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, opts, await run(opts, ctx));
    });
}
