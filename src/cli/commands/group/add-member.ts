/** `delegate group add-member <group> <email...> [--eligible [--for <duration>]]` (global admins). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { groupAddMembers, type MembersChanged } from '../../../domain/access/groups.js';
import { groupAddEligible, type EligibleChanged } from '../../../domain/access/pim.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { across, flag, planSchema, text } from '../../command.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderList, renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { groupView } from './view.js';

/** The group and the users are checked by the domain; `--for` only with `--eligible`. */
export const schema = z
  .object({ plan: planSchema, name: z.string(), emails: z.array(z.string()), live: flag, eligible: flag, for: text })
  .check(across((o: { eligible?: boolean; for?: string }) => (o.for !== undefined && !o.eligible ? '--for is the length of an eligibility: give it with --eligible' : undefined)));
export type Options = output<typeof schema>;

export type Result = { direct: Carried<MembersChanged> } | { eligible: Carried<EligibleChanged> };

export async function run(opts: Options, ctx: Context): Promise<Result> {
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'group.add-member', target: opts.name });
  if (opts.eligible) return { eligible: await groupAddEligible(s, opts.name, opts.emails, opts.for, mode) };
  return { direct: await groupAddMembers(s, opts.name, opts.emails, mode) };
}

type EligibleRow = EligibleChanged['eligible'][number];

/** A group's eligible members (PIM for Groups): who, until when, and an activation if there is one. */
export const eligibleView: View<EligibleRow> = {
  fields: ['group', 'email', 'eligibleUntil', 'activation', 'activeUntil'],
  table: { key: ['email'], drop: ['activeUntil', 'activation'] },
  columns: [
    { header: 'group', value: (e) => e.group },
    { header: 'email', value: (e) => e.email },
    { header: 'eligibleUntil', value: (e) => e.eligibleUntil },
    { header: 'activation', value: (e) => e.activation ?? '' },
    { header: 'activeUntil', value: (e) => e.activeUntil ?? '' },
  ],
  json: (e) => ({ group: e.group, email: e.email, membership: 'eligible', eligibleUntil: e.eligibleUntil, activation: e.activation, activeUntil: e.activeUntil }),
};

export async function show(ctx: Context, r: Result): Promise<void> {
  if ('eligible' in r) {
    return deliver(
      ctx,
      r.eligible,
      async (after) => {
        await renderList(await ctx.target(), eligibleView, after.eligible);
        ctx.note(
          after.changed.length
            ? `Eligible for ${after.group} until ${after.eligibleUntil}: ${after.changed.join(', ')}. They hold nothing until they run \`delegate access activate ${after.group} --reason <why>\`. Each eligible user needs Microsoft Entra ID P2 or ID Governance.`
            : `Nobody was made eligible for ${after.group}.`,
        );
      },
      'Run these against your own tenant (PIM for Groups needs PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup).',
    );
  }
  await deliver(
    ctx,
    r.direct,
    async (after) => {
      await renderOne(await ctx.target(), groupView, after);
      // What this command wrote, by name (the group's members alone do not say which are new).
      ctx.note(after.changed.length ? `Added to ${after.name}: ${after.changed.join(', ')}.` : `Nothing added: every one was already a member of ${after.name}.`);
    },
    'Run these against your own tenant.',
  );
}

export function register(group: Command, ctx: Context): void {
  group
    .command('add-member')
    .description('Add partner users to a security group, or make them eligible for it with PIM for Groups (global admins)')
    .argument('<group>', 'group name')
    .argument('<email...>', 'partner users')
    .option('--eligible', 'make them eligible (PIM for Groups): they activate membership when they need it')
    .option('--for <duration>', 'how long the eligibility lasts, ISO-8601 (default P365D; with --eligible)')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText(
      'after',
      '\nExamples:\n  delegate group add-member Helpdesk lee@fabrikam.com grace@fabrikam.com\n  delegate group add-member Helpdesk lee@fabrikam.com --plan\n  delegate group add-member Helpdesk lee@fabrikam.com --eligible --for P90D',
    )
    .action(async (name: string, emails: string[], raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, { ...raw, name, emails }), ctx));
    });
}
