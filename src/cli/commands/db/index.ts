/** `delegate db migrate | grant <login> | copy <from> <to>`: the store itself (SPEC.md "Team store"). */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import { copyLedger, grantLogin } from '../../../domain/partner/team.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { jsonText } from '../../render.js';

export function register(noun: Command, ctx: Context): void {
  const db = noun;

  db.command('migrate')
    .description("Create or upgrade the store's schema (on a team store, its owner runs this)")
    .addHelpText('after', '\nExamples:\n  delegate db migrate\n  delegate --db postgres://owner@db.example.com/delegate db migrate')
    .action(async () => {
      const path = await ctx.dbPath();
      const store = await ctx.openOther(path, { create: false, migrate: true });
      const m = store.migrated;
      const target = await ctx.target();
      if (target.output === 'json') target.write(jsonText({ store: store.path, from: m?.from ?? null, to: m?.to ?? null }) + '\n');
      if (!m) ctx.note(`The store ${store.path} is up to date.`);
      else if (m.from === m.to) ctx.note(`The store ${store.path} is up to date (schema version ${m.to}).`);
      else ctx.note(`Migrated ${store.path} from schema version ${m.from} to ${m.to}.${m.from === 0 ? ' Next: `delegate init`, then `delegate db grant <login>` for each technician.' : ''}`);
    });

  db.command('grant')
    .description("Give a technician's database login what delegate needs, and no more (team store)")
    .argument('<login>', 'the database login (PostgreSQL role)')
    .addHelpText('after', '\nExamples:\n  delegate db grant grace\n  delegate user set grace@fabrikam.com --db-login grace')
    .action(async (loginArg: string) => {
      const login = v.dbLogin(loginArg, '<login>');
      const r = await grantLogin(await ctx.session({ actor: true }), login);
      const target = await ctx.target();
      if (target.output === 'json') target.write(jsonText(r) + '\n');
      ctx.note(`Granted ${r.login}: ${r.granted.join('; ')}. Map it to its partner user with \`delegate user set <email> --db-login ${r.login}\`.`);
    });

  db.command('copy')
    .description('Copy a whole ledger between stores (SQLite <-> PostgreSQL) into an empty one; the audit chain is verified on both ends')
    .argument('<from>', 'the store to copy (a file or postgres:// URL)')
    .argument('<to>', 'the empty store to fill (a file or postgres:// URL)')
    .addHelpText('after', '\nExamples:\n  delegate db copy ~/.local/share/delegate/delegate.db postgres://owner@db.example.com/delegate')
    .action(async (fromArg: string, toArg: string) => {
      const from = v.printable(fromArg, '<from>');
      const to = v.printable(toArg, '<to>');
      if (from === to) throw new UsageError('<from> and <to> are the same store');
      const source = await ctx.openOther(from, { create: false });
      const dest = await ctx.openOther(to, { create: true });
      if (dest.login !== undefined && ctx.env.DELEGATE_NOW) throw new UsageError("DELEGATE_NOW is refused on a team store: its time is the clock's");
      const r = await copyLedger(source, dest, ctx.clock());
      const target = await ctx.target();
      if (target.output === 'json') target.write(jsonText(r) + '\n');
      const total = Object.values(r.rows).reduce((a, b) => a + b, 0);
      ctx.note(`Copied ${total} rows from ${r.from} to ${r.to}; the audit chain verified on both ends (now ${r.auditEntries} entries, the last one recording the copy).`);
      if (r.mapped) ctx.note(`${r.mapped.email} (the first global admin) now acts as the database login ${r.mapped.login}: no user had a database login.`);
    });
}
