/** `delegate audit [filters]` and `delegate audit verify`. */
import type { Command } from 'commander';
import { checkAudit, listAuditEntries } from '../../../domain/audit.js';
import { AuditMismatchError, UsageError } from '../../../domain/errors.js';
import type { AuditEntry } from '../../../domain/model.js';
import * as v from '../../../domain/validate.js';
import type { Context } from '../../context.js';
import { nounCommand } from '../../program.js';
import { renderList, type View } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';

const auditView: View<AuditEntry> = {
  columns: [
    { header: 'seq', value: (e) => e.seq },
    { header: 'at', value: (e) => e.at },
    { header: 'actor', value: (e) => e.actor },
    { header: 'action', value: (e) => e.action },
    { header: 'target', value: (e) => e.target },
    { header: 'outcome', value: (e) => e.outcome },
    { header: 'detail', value: (e) => e.detail },
  ],
  json: (e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, outcome: e.outcome, detail: e.detail, hash: e.hash }),
};

function isoTime(s: string): string {
  const d = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(d.getTime())) throw new UsageError(`--since must be an ISO-8601 time such as 2026-01-31T00:00:00Z, not ${JSON.stringify(s.slice(0, 40))}`);
  return d.toISOString();
}

export const auditSchema = z.object({
  actor: z.optional(rule((s) => v.email(s, '--actor'))),
  client: z.optional(rule((s) => v.domain(s, '--client'))),
  action: z.optional(rule((s) => {
    if (!/^[a-z][a-z.-]{0,63}$/.test(s)) throw new UsageError(`--action ${JSON.stringify(s.slice(0, 40))} is not an action name (e.g. offer.create, or offer for all offer actions)`);
    return s;
  })),
  since: z.optional(rule(isoTime)),
});

export function register(program: Command, ctx: Context): void {
  const audit = nounCommand(program, 'audit')
    .option('--actor <email>', 'only entries by this partner user')
    .option('--client <domain>', 'only entries about this client')
    .option('--action <name>', 'only this action (e.g. client.user.reset-password), or a prefix (client)')
    .option('--since <time>', 'only entries at or after this ISO-8601 time')
    .addHelpText('after', '\nExamples:\n  delegate audit --client contoso.com\n  delegate audit verify')
    .action(async (raw: Record<string, string | undefined>) => {
      const filter = parseWith(auditSchema, raw);
      const s = await ctx.session();
      await renderList(await ctx.target(), auditView, await listAuditEntries(s.store, filter));
    });
  audit
    .command('verify')
    .description('Recompute the hash chain; exit 1 naming the first entry that does not match')
    .action(async () => {
      const s = await ctx.session();
      const r = await checkAudit(s.store);
      if (!r.ok) throw new AuditMismatchError(`Audit entry ${r.seq} does not match: ${r.reason}`);
      const target = await ctx.target();
      if (target.output === 'json') target.write(JSON.stringify({ ok: true, entries: r.entries, head: r.head }, null, 2) + '\n');
      else target.write(`ok\t${r.entries}\t${r.head}\n`);
      ctx.note(`Audit trail intact: ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}.`);
    });
}
