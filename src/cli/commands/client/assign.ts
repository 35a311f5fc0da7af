/** `delegate client assign <domain> --group <group> --roles <roles> [--relationship]`. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { assignGroup } from '../../../domain/access/assignments.js';
import type { AccessAssignment, Relationship } from '../../../domain/core/model.js';
import type { Carried } from '../../../domain/plan/decision.js';
import { parseRoles, roleName } from '../../../domain/relationship/roles.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { flag, planSchema, required } from '../../command.js';
import { LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION, printPlan } from '../../plan.js';
import { renderOne, type View } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { relationshipOption, relationshipSchema } from './common.js';

export const schema = z.object({
  domain: rule((s) => v.clientRef(s)),
  // The group's name is checked by the domain (after the store is open).
  group: required('Missing --group <group>'),
  roles: required('Missing --roles <roles>', (s) => parseRoles(s)),
  relationship: relationshipSchema,
  plan: planSchema,
  live: flag,
});
export type Options = output<typeof schema>;

export type Assigned = { assignment: AccessAssignment; relationship: Relationship };

export async function run(opts: Options, ctx: Context): Promise<Carried<Assigned>> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'client.assign', target: opts.domain });
  return assignGroup(s, opts.domain, opts.group, opts.roles, { mode, ...(opts.relationship === undefined ? {} : { relationship: opts.relationship }) });
}

/** The assignment, with the relationship it is on. */
export function assignedView(rel: Relationship): View<AccessAssignment> {
  return {
    table: { key: ['group'] },
    columns: [
      { header: 'relationship', value: () => rel.displayName },
      { header: 'relationshipId', value: (x) => x.relationshipId },
      { header: 'group', value: (x) => x.group },
      { header: 'roles', value: (x) => x.roles.map(roleName).join(', ') },
    ],
    json: (x) => ({ relationshipId: x.relationshipId, group: x.group, roles: x.roles.map((id) => ({ id, name: roleName(id) })) }),
  };
}

export async function show(ctx: Context, r: Carried<Assigned>): Promise<void> {
  if (r.kind === 'plan') return printPlan(ctx, r.requests);
  await renderOne(await ctx.target(), assignedView(r.value.relationship), r.value.assignment);
}

export function register(client: Command, ctx: Context): void {
  client
    .command('assign')
    .description("Give a security group roles on a client's granular relationship (global admins)")
    .argument('<domain>', "the client's domain, or its tenant id")
    .option('--group <group>', 'the security group')
    .option('--roles <roles>', 'roles (names or ids, comma-separated), among the relationship’s roles')
    .option(relationshipOption, 'the granular relationship, by display name or id (needed when the client has several active ones)')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText(
      'after',
      '\nAssigns on the client\'s active granular relationship; with several active, name one with --relationship (exit 2 otherwise).\n\nExamples:\n  delegate client assign contoso.com --group Helpdesk --roles "Helpdesk Administrator"',
    )
    .action(async (domain: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domain });
      await show(ctx, await run(opts, ctx));
    });
}
