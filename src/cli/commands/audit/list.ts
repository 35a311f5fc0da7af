/** `delegate audit [--actor] [--client] [--action] [--since]`: the trail's entries (the noun's own action). */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { eachAuditChunk } from '../../../domain/core/audit.js';
import type { AuditFilter } from '../../../domain/core/store.js';
import { UsageError } from '../../../domain/core/errors.js';
import type { AuditEntry } from '../../../domain/core/model.js';
import { clientKey } from '../../../domain/core/session.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { printChunks } from '../../bulk.js';
import type { View } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';

export const auditView: View<AuditEntry> = {
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

function isoTime(s: string): string {
  const d = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(d.getTime())) throw new UsageError(`--since must be an ISO-8601 time such as 2026-01-31T00:00:00Z, not ${JSON.stringify(s.slice(0, 40))}`);
  return d.toISOString();
}

export const schema = z.object({
  actor: z.optional(rule((s) => v.email(s, '--actor'))),
  client: z.optional(rule((s) => v.clientRef(s, '--client'))),
  action: z.optional(rule((s) => {
    if (!/^[a-z][a-z.-]{0,63}$/.test(s)) throw new UsageError(`--action ${JSON.stringify(s.slice(0, 40))} is not an action name (e.g. offer.create, or offer for all offer actions)`);
    return s;
  })),
  since: z.optional(rule(isoTime)),
});
export type Options = output<typeof schema>;

export type Chunks = (fn: (chunk: AuditEntry[]) => Promise<void>) => Promise<void>;

export async function run(opts: Options, ctx: Context): Promise<Chunks> {
  const filter: AuditFilter = { ...opts };
  const s = await ctx.session();
  // A client's tenant id names it as its domain does (the key its entries are recorded under).
  if (filter.client) {
    const ref = filter.client;
    filter.client = await s.store.read((tx) => clientKey(tx, ref));
  }
  return (fn) => eachAuditChunk(s.store, filter, fn);
}

export async function show(ctx: Context, chunks: Chunks): Promise<void> {
  await printChunks(ctx, auditView, chunks);
}

export function register(audit: Command, ctx: Context): void {
  audit
    .option('--actor <email>', 'only entries by this partner user')
    .option('--client <domain>', "only entries about this client (its domain, or its tenant id)")
    .option('--action <name>', 'only this action (e.g. client.user.reset-password), or a prefix (client)')
    .option('--since <time>', 'only entries at or after this ISO-8601 time');
  ctx
    .listFields(audit, auditView.fields!)
    .addHelpText('after', '\nExamples:\n  delegate audit --client contoso.com\n  delegate audit verify\n  delegate audit head')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
