/** `delegate audit [filters]`, `delegate audit verify [--expect <seq>:<hash>]` and `delegate audit head`. */
import type { Command } from 'commander';
import { auditHead, checkAudit, eachAuditChunk, type AuditAnchor, type VerifyResult } from '../../../domain/core/audit.js';
import { AuditMismatchError, NotFoundError, UsageError } from '../../../domain/core/errors.js';
import type { AuditEntry } from '../../../domain/core/model.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { clientKey } from '../../../domain/core/session.js';
import { renderOne, type View } from '../../render.js';
import { printChunks } from '../../bulk.js';
import { parseWith, rule, z } from '../../schema.js';

const auditView: View<AuditEntry> = {
  fields: ['seq', 'at', 'actor', 'action', 'target', 'outcome', 'detail', 'hash'],
  table: { key: ['seq'], drop: ['detail', 'actor', 'at'], min: { target: 16 } },
  empty: 'No audit entries match.',
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

const headView: View<AuditAnchor> = {
  columns: [
    { header: 'seq', value: (a) => a.seq },
    { header: 'hash', value: (a) => a.hash },
  ],
  json: (a) => ({ seq: a.seq, hash: a.hash }),
};

/** `--expect <seq>:<hash>`: an entry number and the 64-hex-digit hash `audit head` printed for it. */
export function anchor(s: string): AuditAnchor {
  const m = /^\s*([1-9]\d{0,15}):([0-9a-fA-F]{64})\s*$/.exec(s);
  if (!m || !Number.isSafeInteger(Number(m[1]))) {
    throw new UsageError(`--expect must be <seq>:<hash> as \`delegate audit head\` prints it (e.g. 42:${'3f'.repeat(32)}), not ${JSON.stringify(s.slice(0, 80))}`);
  }
  return { seq: Number(m[1]), hash: m[2]!.toLowerCase() };
}

const verifySchema = z.object({ expect: z.optional(rule(anchor)) });

/** Entries whose time runs backwards: one warning line each (stderr), whatever --quiet says. */
function timeWarnings(ctx: Context, r: Extract<VerifyResult, { ok: true }>): void {
  for (const w of r.warnings) ctx.io.err(`Warning: audit entry ${w.seq} is dated ${w.at}, earlier than entry ${w.seq - 1} (${w.previousAt})\n`);
  if (r.warningCount > r.warnings.length) ctx.io.err(`Warning: and ${r.warningCount - r.warnings.length} more entries dated earlier than the entry before them\n`);
}

function isoTime(s: string): string {
  const d = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(d.getTime())) throw new UsageError(`--since must be an ISO-8601 time such as 2026-01-31T00:00:00Z, not ${JSON.stringify(s.slice(0, 40))}`);
  return d.toISOString();
}

export const auditSchema = z.object({
  actor: z.optional(rule((s) => v.email(s, '--actor'))),
  client: z.optional(rule((s) => v.clientRef(s, '--client'))),
  action: z.optional(rule((s) => {
    if (!/^[a-z][a-z.-]{0,63}$/.test(s)) throw new UsageError(`--action ${JSON.stringify(s.slice(0, 40))} is not an action name (e.g. offer.create, or offer for all offer actions)`);
    return s;
  })),
  since: z.optional(rule(isoTime)),
});

export function register(noun: Command, ctx: Context): void {
  const audit = noun
    .option('--actor <email>', 'only entries by this partner user')
    .option('--client <domain>', "only entries about this client (its domain, or its tenant id)")
    .option('--action <name>', 'only this action (e.g. client.user.reset-password), or a prefix (client)')
    .option('--since <time>', 'only entries at or after this ISO-8601 time');
  ctx
    .listFields(audit, auditView.fields!)
    .addHelpText('after', '\nExamples:\n  delegate audit --client contoso.com\n  delegate audit verify\n  delegate audit head')
    .action(async (raw: Record<string, string | undefined>) => {
      const filter = parseWith(auditSchema, raw);
      const s = await ctx.session();
      // A client's tenant id names it as its domain does (the key its entries are recorded under).
      if (filter.client) {
        const ref = filter.client;
        filter.client = await s.store.read((tx) => clientKey(tx, ref));
      }
      await printChunks(ctx, auditView, (fn) => eachAuditChunk(s.store, filter, fn));
    });
  audit
    .command('verify')
    .description('Recompute the hash chain; exit 1 naming the first entry that does not match')
    .option('--expect <seq:hash>', 'also require entry <seq> to have this hash (as `audit head` printed it earlier)')
    .addHelpText(
      'after',
      '\nA chain alone cannot show that its newest entries were cut off, or that it was rewritten whole.\n' +
        'Keep `delegate audit head` somewhere else (a ticket, a commit, a message) and check against it:\n' +
        '  delegate audit verify --expect 42:<hash>',
    )
    .action(async (raw: { expect?: string }) => {
      const opts = parseWith(verifySchema, raw);
      const s = await ctx.session();
      const r = await checkAudit(s.store, opts.expect);
      if (!r.ok) throw new AuditMismatchError(`Audit entry ${r.seq} ${r.reason}`);
      const target = await ctx.target();
      timeWarnings(ctx, r);
      if (target.output === 'json') target.write(JSON.stringify({ ok: true, entries: r.entries, head: r.head, warnings: r.warnings }, null, 2) + '\n');
      else target.write(`ok\t${r.entries}\t${r.head}\n`);
      const anchored = opts.expect ? `; entry ${opts.expect.seq} has the expected hash` : '';
      ctx.note(`Audit trail intact: ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}${anchored}.`);
    });
  audit
    .command('head')
    .description('Print the newest entry as <seq> and <hash>: keep it elsewhere, check it later with `audit verify --expect`')
    .addHelpText('after', '\nExample:\n  delegate audit head            # 42<TAB><hash>\n  delegate audit verify --expect 42:<hash>')
    .action(async () => {
      const s = await ctx.session();
      const head = await auditHead(s.store);
      if (!head) throw new NotFoundError('The audit trail has no entries yet (run `delegate init`)');
      await renderOne(await ctx.target(), headView, head);
      ctx.note(`Keep this elsewhere (a ticket, a commit, a message); later, \`delegate audit verify --expect ${head.seq}:${head.hash}\` fails if the trail was cut or rewritten.`);
    });
}
