/** `delegate client user add <client-domain> [upn] | --file <csv|->`: add users; prints temporary passwords once. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { addClientUsers, type AddedClientUser } from '../../../domain/acting/users.js';
import type { Carried } from '../../../domain/plan/decision.js';
import { UsageError } from '../../../domain/core/errors.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { argRows, sourceName } from '../../csv.js';
import { csvRows } from '../../bulk.js';
import { across, flag, planSchema, problemOf, text, unreadable } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { renderList, renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { actingMode, clientRefSchema, deliverActing } from './common.js';
import { clientUserView } from './user-list.js';

export const schema = z.object({
  plan: planSchema,
  domain: clientRefSchema,
  // Checked after the options that cannot go together (below).
  upn: text,
  name: text,
  admin: flag,
  file: text,
  copy: flag,
  live: flag,
  dryRun: flag,
}).check(
  across((o) => (o.dryRun && (o.live || o.plan) ? '--dry-run checks against the ledger and writes nothing; it does not go with --live or --plan' : undefined)),
  across((o) =>
    o.upn && o.file
      ? 'Give a UPN or --file, not both'
      : o.file && (o.name || o.admin)
        ? '--name and --admin go with a single UPN; in a file, use the name and admin columns'
        : undefined,
  ),
  across((o) => unreadable(o.file)),
  across((o) => (o.upn === undefined ? undefined : problemOf(() => v.email(o.upn!, 'UPN')))),
  // --name is checked once there is a UPN to go with it (a missing one is asked for first).
  across((o) => (o.name === undefined || o.upn === undefined ? undefined : problemOf(() => v.displayName(o.name!, '--name')))),
);
export type Options = output<typeof schema>;

const addedUserView: View<AddedClientUser> = {
  // A temporary password is shown once: never cut.
  table: { key: ['upn', 'temporaryPassword'], drop: ['passwordResetAt', 'isAdmin', 'name'] },
  columns: [...clientUserView.columns.map((c) => ({ header: c.header, value: (a: AddedClientUser) => c.value(a.user) })), { header: 'temporaryPassword', value: (a) => a.temporaryPassword }],
  json: (a) => ({ ...(clientUserView.json(a.user) as object), temporaryPassword: a.temporaryPassword, forceChangePasswordNextSignIn: true }),
};

export async function run(opts: Options, ctx: Context): Promise<Carried<AddedClientUser[]>> {
  const rows = opts.file
    ? csvRows(ctx, opts.file, { required: ['upn'], optional: ['name', 'admin'] })
    : argRows([opts.upn!], 'upn', { name: opts.name, admin: opts.admin ? 'true' : 'false' });
  const { s, mode } = await actingMode(ctx, opts, 'client.user.add', opts.domain);
  // The `mode` setting may say live: a dry run is of the ledger only, never sent.
  if (opts.dryRun && mode.kind !== 'ledger') throw new UsageError('--dry-run checks against the ledger and writes nothing; it does not go with live mode (`delegate config set mode offline` first)');
  return addClientUsers(s, opts.domain, rows, { source: opts.file ? sourceName(opts.file) : 'arguments', mode: opts.dryRun ? { kind: 'ledger', dryRun: true } : mode });
}

export async function show(ctx: Context, opts: Options, r: Carried<AddedClientUser[]>): Promise<void> {
  await deliverActing(ctx, r, async (added) => {
    const target = await ctx.target();
    if (opts.dryRun) {
      // No password is made: the users are not.
      if (opts.file) await renderList(target, clientUserView, added.map((a) => a.user));
      else await renderOne(target, clientUserView, added[0]!.user);
      ctx.note(`Would add ${added.length} user${added.length === 1 ? '' : 's'} to ${v.clientRef(opts.domain)}; nothing was written (--dry-run).`);
      return;
    }
    if (opts.file) await renderList(target, addedUserView, added);
    else await renderOne(target, addedUserView, added[0]!);
    ctx.note(`Added ${added.length} user${added.length === 1 ? '' : 's'} to ${v.clientRef(opts.domain)}. Temporary passwords are shown once; each must be changed at first sign-in.`);
    if (opts.copy && added.length === 1) await ctx.copy(added[0]!.temporaryPassword, 'temporary password');
  });
}

export function register(user: Command, ctx: Context): void {
  user
    .command('add')
    .description("Add a user to a client's organization, on one of its verified domains; prints a temporary password once")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('[upn]', "the new user's UPN, in one of the client's domains")
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .option('--name <display>', 'display name (default: the part of the UPN before @)')
    .option('--admin', "make the user a Global Administrator of the client's organization (needs DAP full access, or Global Administrator, or Privileged Role Administrator with User Administrator)")
    .option('--file <csv|->', 'add many users from a CSV file with header upn,name,admin (- for stdin)')
    .option('--copy', 'put the temporary password on the clipboard')
    .option('--dry-run', 'check everything and print the users that would be added (no passwords); write nothing')
    .addHelpText('after', '\nExamples:\n  delegate client user add contoso.com alex@contoso.com --name "Alex Wilber"\n  delegate client user add contoso.com --file staff.csv --dry-run\n  delegate client user add contoso.com --file staff.csv')
    .action(async (domain: string, upn: string | undefined, raw: Record<string, unknown>) => {
      let opts = parseWith(schema, { ...raw, domain, upn });
      if (!opts.file && opts.upn === undefined) {
        const answer = await ctx.need(undefined, '<upn> (or --file)', "New user's UPN:", (s) => v.email(s));
        opts = parseWith(schema, { ...raw, domain, upn: answer });
      }
      await show(ctx, opts, await run(opts, ctx));
    });
}
