/** `delegate user revoke-admin [email...] | --file <csv|->` [--dry-run] [--plan] [--live]. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import * as v from '../../../domain/core/validate.js';
import type { RowSource } from '../../../domain/core/bulk.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { csvRows, progressFor } from '../../bulk.js';
import { across, flag, planSchema, problemOf, text, unreadable } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { parseWith, z } from '../../schema.js';
import { accessStream, emailsOrFile, planOrDryRun, runAccess, showAccess, type AccessResult, type Stream } from './access.js';

const flagFields = { plan: planSchema, file: text, dryRun: z._default(z.boolean(), false), live: flag };

/** The flags alone (checked before a missing email is asked for). */
export const flagsSchema = z.object(flagFields).check(across(planOrDryRun));

export const schema = z.object({ ...flagFields, emails: z.array(z.string()) }).check(
  across(planOrDryRun),
  across((o) => emailsOrFile(o.emails, o.file, 'revoke-admin')),
  across((o) => unreadable(o.file)),
  across((o) => o.emails.map((e) => problemOf(() => v.email(e))).find((p) => p !== undefined)),
);
export type Options = output<typeof schema>;

export function question(o: Options): string | undefined {
  return o.dryRun || o.plan ? undefined : `Revoke admin access of ${o.file ? `the users in ${sourceName(o.file)}` : o.emails.join(', ')}?`;
}

/** Revoke: the ledger's changes go to `stream` as they are made; a plan or a live change is returned whole. */
export async function run(opts: Options, ctx: Context, rows: RowSource, stream: Stream): Promise<AccessResult> {
  return runAccess(ctx, rows, { mode: 'revoke', dryRun: opts.dryRun, source: opts.file ? sourceName(opts.file) : 'arguments' }, opts, stream);
}

export const show = showAccess;

export function register(user: Command, ctx: Context): void {
  user
    .command('revoke-admin')
    .description('Take away admin access to the companies you support')
    .argument('[email...]', 'users to revoke')
    .option('--file <csv|->', 'CSV with header email (- for stdin); all-or-nothing')
    .option('--dry-run', 'print what would change and write nothing')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate user revoke-admin grace@fabrikam.com --yes\n  delegate user revoke-admin --file leavers.csv --dry-run')
    .action(async (emails: string[], raw: Record<string, unknown>) => {
      const flags = parseWith(flagsSchema, raw);
      if (!emails.length && !flags.file && ctx.canPrompt()) emails = [await ctx.need(undefined, '<email>', 'User to revoke:', (s) => v.email(s))];
      const opts = parseWith(schema, { ...raw, emails });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      const progress = await progressFor(ctx, opts.file ? checkReadable(opts.file) : undefined);
      const rows = opts.file ? csvRows(ctx, opts.file, { required: ['email'], optional: [] }, progress) : argRows(opts.emails, 'email');
      await show(ctx, await run(opts, ctx, rows, accessStream(ctx)).finally(() => progress.stop()));
    });
}
