/**
 * `delegate sync [--dry-run] [--only clients|relationships|users]` (SPEC.md "Live mode"):
 * read Microsoft first, then reconcile the ledger in one transaction (src/domain/sync.ts).
 */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import * as v from '../../../domain/core/validate.js';
import { SYNC_PARTS, type SyncChange, type SyncPart, type SyncResult } from '../../../domain/client/sync.js';
import type { Context } from '../../context.js';
import { renderList, renderOne, type View } from '../../render.js';
import { signInDeps } from '../login/login.js';
import { processAlive, recoveryLine, settleSeconds } from '../../live.js';

const changeView: View<SyncChange> = {
  table: { key: ['target'], min: { detail: 20 } },
  columns: [
    { header: 'change', value: (c) => c.kind },
    { header: 'what', value: (c) => c.what },
    { header: 'target', value: (c) => c.target },
    { header: 'detail', value: (c) => c.detail },
  ],
  json: (c) => c,
};

const resultView: View<SyncResult> = {
  columns: [],
  json: (r) => ({
    dryRun: r.dryRun,
    counts: r.counts,
    changes: r.changes,
    notAtMicrosoft: r.notAtMicrosoft,
    unknownMembers: r.unknownMembers,
    dapNotInLedger: r.dapNotInLedger,
    notes: r.notes,
  }),
};

export function register(noun: Command, ctx: Context): void {
  noun
    .option('--dry-run', 'read Microsoft and print what would change; write nothing')
    .option('--only <part>', `sync only ${SYNC_PARTS.join(' | ')}`)
    .addHelpText('after', '\nExamples:\n  delegate sync --dry-run\n  delegate sync --only relationships --json')
    .action(async (o: { dryRun?: boolean; only?: string }) => {
      const parts: readonly SyncPart[] = o.only === undefined ? SYNC_PARTS : [v.oneOf(o.only, SYNC_PARTS, '--only')];
      if (ctx.env.DELEGATE_NOW) throw new UsageError('DELEGATE_NOW pins the ledger clock for offline work; sync reads what Microsoft says now: unset it');
      const s = await ctx.session({ actor: true });
      const { prepareSync, syncLedger } = await import('../../../domain/client/sync.js');
      const partner = await prepareSync(s);
      const { connect } = await import('../../../microsoft/live.js');
      const { readTenant } = await import('../../../microsoft/tenant.js');
      const ms = await connect(signInDeps(ctx), {
        cloud: partner.cloud,
        onRetry: (e) => ctx.note(`Microsoft answered ${e.status} to ${e.method} ${e.path}; retrying in ${Math.ceil(e.waitMs / 1000)} s (attempt ${e.attempt + 1})`),
      });
      // Changes whose command stopped before their outcome was recorded are read back first (SPEC "Recovery").
      const { executor } = await import('../../../microsoft/execute.js');
      const { recover } = await import('../../../domain/recovery/recover.js');
      const recovered = await recover(s, {
        person: false,
        dryRun: Boolean(o.dryRun),
        settleMs: (await settleSeconds(ctx)) * 1000,
        leaseMs: 30_000,
        owner: ctx.processId(),
        alive: processAlive,
        microsoft: executor(ms, partner.cloud),
      });
      for (const r of recovered) ctx.note(recoveryLine(r));
      const snap = await readTenant(ms, parts, partner);
      if (parts.includes('users') && !snap.agents) ctx.note('No AdminAgents or HelpdeskAgents group found in the partner tenant: users are left as they are.');
      const result = await syncLedger(s, snap, { dryRun: Boolean(o.dryRun) });
      const target = await ctx.target();
      if (target.output === 'json') await renderOne(target, resultView, result);
      else await renderList(target, changeView, result.changes);
      for (const r of result.notAtMicrosoft) ctx.note(`Not at Microsoft: ${r}`);
      if (result.unknownMembers.length) ctx.note(`Agent group members who are not partner users here (not added): ${result.unknownMembers.join(', ')}`);
      for (const d of result.dapNotInLedger) ctx.note(`DAP at Partner Center, not in the ledger (not added): ${d}`);
      for (const n of result.notes) ctx.note(n);
      const c = result.counts;
      ctx.note(`${result.dryRun ? 'Dry run, nothing written: would have ' : 'Synced: '}${c.added} added, ${c.changed} changed, ${c.ended} ended.`);
    });
}
