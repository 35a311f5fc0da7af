/** `delegate user add|list|grant-admin|revoke-admin|remove`. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import { ADMIN_ACCESS } from '../../../domain/core/model.js';
import { addUsers, changeAdminAccess, changeAdminAccessLive, eachUserChunk, planAdminAccess, removeUser, setUserDbLogin } from '../../../domain/partner/users.js';
import { LEDGER } from '../../../domain/plan/decision.js';
import { deliver, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { planFlag, printPlan, PLAN_OPTION } from '../../plan.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { csvRows, printChunks, progressFor, withBulkOutput } from '../../bulk.js';
import type { RowSource } from '../../../domain/core/bulk.js';
import { renderList, renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { accessChangeView, teamUserView, userViewFor } from '../../views.js';

const listSchema = z.object({ access: z.optional(rule((s) => v.oneOf(s, ADMIN_ACCESS, '--access'))) });
const grantSchema = z.object({
  role: z.optional(rule((s) => v.oneOf(s, ['full', 'limited'] as const, '--role'))),
  file: z.optional(z.string()),
  dryRun: z._default(z.boolean(), false),
});

function emailsOrFile(emails: string[], file: string | undefined, command: string): void {
  if (emails.length && file) throw new UsageError(`Give emails or --file, not both (${command})`);
  if (!emails.length && !file) throw new UsageError(`Give one or more emails, or --file <csv|-> (${command})`);
  if (file) checkReadable(file);
}

/** Grant or revoke, printing each change as it is made (held back until the change commits); or only print its plan. */
async function accessChange(
  ctx: Context,
  rows: RowSource,
  opts: Omit<Parameters<typeof changeAdminAccess>[2], 'sink'>,
  raw: { plan?: string | boolean; live?: boolean; dryRun?: boolean },
): Promise<void> {
  const plan = planOrDryRun(raw);
  const action = opts.mode === 'grant' ? 'user.grant-admin' : 'user.revoke-admin';
  const { s: session, mode } = opts.dryRun ? { s: await ctx.session({ actor: true }), mode: LEDGER } : await sessionAndMode(ctx, raw, { inClient: false, action, target: opts.source });
  if (mode.kind === 'live') {
    const r = await changeAdminAccessLive(session, rows, opts, mode.microsoft);
    if (r.kind !== 'done') return;
    return deliver(ctx, r, async (value) => {
      await renderList(await ctx.target(), accessChangeView, value);
      const n = value.filter((c) => c.changed).length;
      ctx.note(`${n} user${n === 1 ? '' : 's'} changed at Microsoft (agent group membership) and recorded.`);
    });
  }
  if (plan) {
    const requests = await planAdminAccess(session, rows, opts);
    return printPlan(ctx, requests, requests.length ? "Run these against your own tenant: admin access is membership of your AdminAgents / HelpdeskAgents groups." : 'Every user already has the access asked for: no request is needed.');
  }
  let changed = 0;
  await withBulkOutput(ctx, accessChangeView, async (sink, restart) =>
    changeAdminAccess(session, rows, {
      ...opts,
      sink: async (changes) => {
        for (const c of changes) if (c.changed) changed++;
        await sink(changes);
      },
      restart: () => {
        changed = 0;
        restart();
      },
    }),
  );
  const users = `${changed} user${changed === 1 ? '' : 's'}`;
  ctx.note(opts.dryRun ? `Dry run: ${users} would change; nothing was written.` : `${users} changed.`);
}

/** `--plan` and `--dry-run` both write nothing; they print different things, so one at a time. */
function planOrDryRun(raw: { dryRun?: boolean; plan?: string | boolean }): boolean {
  const plan = planFlag(raw);
  if (plan && raw.dryRun) throw new UsageError('Give --plan or --dry-run, not both');
  return plan;
}

export function register(noun: Command, ctx: Context): void {
  const user = noun;

  user
    .command('add')
    .description("Add users to the partner's organization (global admins only)")
    .argument('[email]', "the user's email")
    .option('--name <display>', 'display name (default: the part of the email before @)')
    .option('--global-admin', "make the user one of the partner's global admins")
    .option('--file <csv|->', 'add many users from a CSV file with header email,name (- for stdin)')
    .option('--db-login <login>', 'the database login that acts as this user on a team store (PostgreSQL)')
    .addHelpText('after', '\nExamples:\n  delegate user add grace@fabrikam.com --name "Grace Hopper"\n  delegate user add --file users.csv')
    .action(async (emailArg: string | undefined, raw: { name?: string; globalAdmin?: boolean; file?: string; dbLogin?: string }) => {
      if (emailArg && raw.file) throw new UsageError('Give an email or --file, not both');
      if (raw.file && raw.dbLogin !== undefined) throw new UsageError('--db-login goes with a single email; map logins one by one with `delegate user set <email> --db-login <login>`');
      if (raw.dbLogin !== undefined) v.dbLogin(raw.dbLogin);
      if (raw.file && raw.name) throw new UsageError('--name goes with a single email; in a file, give the name column');
      if (raw.file) {
        const file = raw.file;
        const progress = await progressFor(ctx, checkReadable(file));
        const source = sourceName(file);
        const session = await ctx.session({ actor: true });
        const { count } = await withBulkOutput(ctx, userViewFor(session.store), (sink, restart) =>
          addUsers(session, csvRows(ctx, file, { required: ['email'], optional: ['name'] }, progress), { globalAdmin: Boolean(raw.globalAdmin), source, sink, restart }),
        ).finally(() => progress.stop());
        ctx.note(`Added ${count} user${count === 1 ? '' : 's'} from ${source}.`);
        return;
      }
      const email = await ctx.need(emailArg, '<email> (or --file)', "New user's email:", (s) => v.email(s));
      v.email(email);
      if (raw.name !== undefined) v.displayName(raw.name, '--name');
      const session = await ctx.session({ actor: true });
      const added = await addUsers(session, argRows([email], 'email', { name: raw.name }), {
        globalAdmin: Boolean(raw.globalAdmin),
        source: 'arguments',
        ...(raw.dbLogin !== undefined ? { dbLogin: raw.dbLogin } : {}),
      });
      await renderOne(await ctx.target(), userViewFor(session.store), added[0]!);
    });

  user
    .command('set')
    .description("Change a partner user: the database login that acts as them on a team store (global admins only)")
    .argument('<email>', 'the user')
    .option('--db-login <login>', 'map this database login (PostgreSQL role) to the user')
    .option('--no-db-login', 'unmap the database login the user has')
    .addHelpText('after', '\nExample:\n  delegate user set grace@fabrikam.com --db-login grace')
    .action(async (email: string, raw: { dbLogin?: string | false }) => {
      const e = v.email(email);
      if (raw.dbLogin === undefined) throw new UsageError('Nothing to change: give --db-login <login> (or --no-db-login)');
      if (raw.dbLogin !== false) v.dbLogin(raw.dbLogin);
      const session = await ctx.session({ actor: true });
      const changed = await setUserDbLogin(session, e, raw.dbLogin === false ? null : raw.dbLogin);
      await renderOne(await ctx.target(), userViewFor(session.store), changed);
      ctx.note(changed.dbLogin ? `The database login ${changed.dbLogin} now acts as ${changed.email}.` : `${changed.email} has no database login now.`);
    });

  ctx
    .listFields(user.command('list'), teamUserView.fields!)
    .description("List the partner's users")
    .option('--access <access>', 'only users with this admin access: full, limited or none')
    .action(async (raw: { access?: string }) => {
      const opts = parseWith(listSchema, raw);
      const session = await ctx.session();
      await printChunks(ctx, userViewFor(session.store), (fn) => eachUserChunk(session, opts, fn));
    });

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
    .action(async (emails: string[], raw: { role?: string; file?: string; dryRun?: boolean; plan?: string | boolean; live?: boolean }) => {
      planOrDryRun(raw);
      const opts = parseWith(grantSchema, { role: raw.role, file: raw.file, dryRun: raw.dryRun });
      if (!emails.length && !opts.file && ctx.canPrompt()) emails = [await ctx.need(undefined, '<email>', 'User to grant:', (s) => v.email(s))];
      emailsOrFile(emails, opts.file, 'grant-admin');
      let role = opts.role;
      if (!role && !opts.file) {
        role = ctx.canPrompt()
          ? await ctx.deps.prompter().select('Admin access:', [
              { value: 'full', name: 'full (admin agent, AdminAgents group): the privileges of the client’s Global Administrator' },
              { value: 'limited', name: 'limited (helpdesk agent, HelpdeskAgents group): the privileges of the client’s Helpdesk Administrator' },
            ] as const)
          : undefined;
        if (!role) throw new UsageError('Missing --role full|limited');
      }
      for (const e of emails) v.email(e);
      const progress = await progressFor(ctx, opts.file ? checkReadable(opts.file) : undefined);
      const rows = opts.file ? csvRows(ctx, opts.file, { required: ['email'], optional: ['role'] }, progress) : argRows(emails, 'email');
      await accessChange(ctx, rows, {
        mode: 'grant',
        ...(role ? { defaultRole: role } : {}),
        dryRun: opts.dryRun,
        source: opts.file ? sourceName(opts.file) : 'arguments',
      }, raw).finally(() => progress.stop());
    });

  user
    .command('revoke-admin')
    .description('Take away admin access to the companies you support')
    .argument('[email...]', 'users to revoke')
    .option('--file <csv|->', 'CSV with header email (- for stdin); all-or-nothing')
    .option('--dry-run', 'print what would change and write nothing')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .action(async (emails: string[], raw: { file?: string; dryRun?: boolean; plan?: string | boolean; live?: boolean }) => {
      const plan = planOrDryRun(raw);
      if (!emails.length && !raw.file && ctx.canPrompt()) emails = [await ctx.need(undefined, '<email>', 'User to revoke:', (s) => v.email(s))];
      emailsOrFile(emails, raw.file, 'revoke-admin');
      for (const e of emails) v.email(e);
      if (!raw.dryRun && !plan) await ctx.confirm(`Revoke admin access of ${raw.file ? `the users in ${sourceName(raw.file)}` : emails.join(', ')}?`);
      const progress = await progressFor(ctx, raw.file ? checkReadable(raw.file) : undefined);
      const rows = raw.file ? csvRows(ctx, raw.file, { required: ['email'], optional: [] }, progress) : argRows(emails, 'email');
      await accessChange(ctx, rows, { mode: 'revoke', dryRun: Boolean(raw.dryRun), source: raw.file ? sourceName(raw.file) : 'arguments' }, raw).finally(() =>
        progress.stop(),
      );
    });

  user
    .command('remove')
    .description("Remove a user from the partner's organization")
    .argument('<email>', 'the user')
    .action(async (email: string) => {
      const e = v.email(email);
      await ctx.confirm(`Remove user ${e}?`);
      const session = await ctx.session({ actor: true });
      const removed = await removeUser(session, e);
      await renderOne(await ctx.target(), userViewFor(session.store), removed);
      ctx.note(`Removed ${removed.email}.`);
    });
}
