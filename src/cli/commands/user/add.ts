/** `delegate user add [email] [--name] [--global-admin] [--db-login] | --file <csv|->`: the partner's users (global admins only). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { PartnerUser } from '../../../domain/core/model.js';
import type { Session } from '../../../domain/core/session.js';
import { addUsers } from '../../../domain/partner/users.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { csvRows, progressFor, withBulkOutput } from '../../bulk.js';
import { across, flag, problemOf, text, unreadable } from '../../command.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { userViewFor } from '../../views.js';

/** Checked in the order a person reads them; the email and --name once there is an email (a missing one is asked for first). */
export const schema = z
  .object({ email: text, name: text, globalAdmin: flag, file: text, dbLogin: text, dryRun: flag })
  .check(
    across((o) => (o.email && o.file ? 'Give an email or --file, not both' : undefined)),
    across((o) => (o.file && o.dbLogin !== undefined ? '--db-login goes with a single email; map logins one by one with `delegate user set <email> --db-login <login>`' : undefined)),
    across((o) => (o.dbLogin === undefined ? undefined : problemOf(() => v.dbLogin(o.dbLogin!)))),
    across((o) => (o.file && o.name ? '--name goes with a single email; in a file, give the name column' : undefined)),
    across((o) => unreadable(o.file)),
    across((o) => (o.file || o.email === undefined ? undefined : problemOf(() => v.email(o.email!)))),
    across((o) => (o.file || o.email === undefined || o.name === undefined ? undefined : problemOf(() => v.displayName(o.name!, '--name')))),
  );
export type Options = output<typeof schema>;

/** One user, returned; from a file, each user goes to `sink` as it is added (held back until the whole file commits). */
export async function run(
  opts: Options,
  ctx: Context,
  session: Session,
  bulk?: { sink: (added: PartnerUser[]) => Promise<void>; restart: () => void; onBytes: (n: number) => void },
): Promise<PartnerUser[]> {
  if (opts.file) {
    return addUsers(session, csvRows(ctx, opts.file, { required: ['email'], optional: ['name'] }, bulk?.onBytes), {
      globalAdmin: Boolean(opts.globalAdmin),
      source: sourceName(opts.file),
      dryRun: Boolean(opts.dryRun),
      ...(bulk ? { sink: bulk.sink, restart: bulk.restart } : {}),
    });
  }
  return addUsers(session, argRows([opts.email!], 'email', { name: opts.name }), {
    globalAdmin: Boolean(opts.globalAdmin),
    source: 'arguments',
    dryRun: Boolean(opts.dryRun),
    ...(opts.dbLogin !== undefined ? { dbLogin: opts.dbLogin } : {}),
  });
}

export async function show(ctx: Context, session: Session, added: PartnerUser): Promise<void> {
  await renderOne(await ctx.target(), userViewFor(session.store), added);
}

export function register(user: Command, ctx: Context): void {
  user
    .command('add')
    .description("Add users to the partner's organization (global admins only)")
    .argument('[email]', "the user's email")
    .option('--name <display>', 'display name (default: the part of the email before @)')
    .option('--global-admin', "make the user one of the partner's global admins")
    .option('--file <csv|->', 'add many users from a CSV file with header email,name (- for stdin)')
    .option('--db-login <login>', 'the database login that acts as this user on a team store (PostgreSQL)')
    .option('--dry-run', 'check everything and print who would be added; write nothing')
    .addHelpText('after', '\nExamples:\n  delegate user add grace@fabrikam.com --name "Grace Hopper"\n  delegate user add --file users.csv --dry-run\n  delegate user add --file users.csv')
    .action(async (emailArg: string | undefined, raw: Record<string, unknown>) => {
      let opts = parseWith(schema, { ...raw, email: emailArg });
      if (opts.file) {
        const progress = await progressFor(ctx, checkReadable(opts.file));
        const session = await ctx.session({ actor: true });
        const { count } = await withBulkOutput(ctx, userViewFor(session.store), (sink, restart) => run(opts, ctx, session, { sink, restart, onBytes: progress })).finally(() => progress.stop());
        ctx.note(`${opts.dryRun ? 'Would add' : 'Added'} ${count} user${count === 1 ? '' : 's'} from ${sourceName(opts.file)}${opts.dryRun ? '; nothing was written (--dry-run)' : ''}.`);
        return;
      }
      if (opts.email === undefined) {
        const email = await ctx.need(undefined, '<email> (or --file)', "New user's email:", (s) => v.email(s));
        opts = parseWith(schema, { ...raw, email });
      }
      const session = await ctx.session({ actor: true });
      const added = await run(opts, ctx, session);
      await show(ctx, session, added[0]!);
      if (opts.dryRun) ctx.note(`Would add ${added[0]!.email}; nothing was written (--dry-run).`);
    });
}
