/** `delegate user grant-admin [email...] --role full|limited | --file <csv|->` [--dry-run] [--plan] [--live]. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import * as v from '../../../domain/core/validate.js';
import { UsageError } from '../../../domain/core/errors.js';
import type { RowSource } from '../../../domain/core/bulk.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { csvRows, progressFor } from '../../bulk.js';
import { across, flag, planSchema, problemOf, text, unreadable } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { parseWith, rule, z } from '../../schema.js';
import { accessStream, emailsOrFile, planOrDryRun, runAccess, showAccess, type AccessResult, type Stream } from './access.js';

const flagFields = {
  plan: planSchema,
  role: z.optional(rule((s) => v.oneOf(s, ['full', 'limited'] as const, '--role'))),
  file: text,
  dryRun: z._default(z.boolean(), false),
  live: flag,
};

/** The flags alone (checked before a missing email is asked for). */
export const flagsSchema = z.object(flagFields).check(across(planOrDryRun));

/** The emails are checked once the role is there (a missing one is asked for, or named, first). */
export const schema = z.object({ ...flagFields, emails: z.array(z.string()) }).check(
  across(planOrDryRun),
  across((o) => emailsOrFile(o.emails, o.file, 'grant-admin')),
  across((o) => unreadable(o.file)),
  across((o) => (o.role || o.file ? o.emails.map((e) => problemOf(() => v.email(e))).find((p) => p !== undefined) : undefined)),
);
export type Options = output<typeof schema>;

/** Grant: the ledger's changes go to `stream` as they are made; a plan or a live change is returned whole. */
export async function run(opts: Options, ctx: Context, rows: RowSource, stream: Stream): Promise<AccessResult> {
  return runAccess(ctx, rows, { mode: 'grant', ...(opts.role ? { defaultRole: opts.role } : {}), dryRun: opts.dryRun, source: opts.file ? sourceName(opts.file) : 'arguments' }, opts, stream);
}

export const show = showAccess;

export function register(user: Command, ctx: Context): void {
  user
    .command('grant-admin')
    .description('Give users full (admin agent: the client’s Global Administrator) or limited (helpdesk agent: the client’s Helpdesk Administrator) access to the companies you support')
    .argument('[email...]', 'users to grant')
    .option('--role <role>', 'full (admin agent) or limited (helpdesk agent) (required without --file; in a file it fills rows without a role)')
    .option('--file <csv|->', 'CSV with header email,role (- for stdin); all-or-nothing')
    .option('--dry-run', 'print what would change and write nothing')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate user grant-admin grace@fabrikam.com --role full\n  delegate user grant-admin --file roles.csv --dry-run\n  delegate user grant-admin grace@fabrikam.com --role limited --plan')
    .action(async (emails: string[], raw: Record<string, unknown>) => {
      const flags = parseWith(flagsSchema, raw);
      if (!emails.length && !flags.file && ctx.canPrompt()) emails = [await ctx.need(undefined, '<email>', 'User to grant:', (s) => v.email(s))];
      let opts = parseWith(schema, { ...raw, emails });
      if (!opts.role && !opts.file) {
        const role = ctx.canPrompt()
          ? await ctx.deps.prompter().select('Admin access:', [
              { value: 'full', name: 'full (admin agent, AdminAgents group): the privileges of the client’s Global Administrator' },
              { value: 'limited', name: 'limited (helpdesk agent, HelpdeskAgents group): the privileges of the client’s Helpdesk Administrator' },
            ] as const)
          : undefined;
        if (!role) throw new UsageError('Missing --role full|limited');
        opts = parseWith(schema, { ...raw, emails, role });
      }
      const progress = await progressFor(ctx, opts.file ? checkReadable(opts.file) : undefined);
      const rows = opts.file ? csvRows(ctx, opts.file, { required: ['email'], optional: ['role'] }, progress) : argRows(opts.emails, 'email');
      await show(ctx, await run(opts, ctx, rows, accessStream(ctx)).finally(() => progress.stop()));
    });
}
