/**
 * `delegate sync [--dry-run] [--only clients|relationships|users] [--full] [--restart]` (SPEC.md
 * "Live mode", "Sync at partner scale"): recover pending intents, read Microsoft into the stage
 * (resuming an interrupted sync's), then reconcile the ledger a chunk at a time
 * (src/domain/sync/). Progress on a terminal; one summary line otherwise.
 */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import * as v from '../../../domain/core/validate.js';
import { SYNC_PARTS, type SyncPart, type SyncResult } from '../../../domain/sync/types.js';
import type { Context } from '../../context.js';
import { syncOutput } from './output.js';
import { signInDeps } from '../login/login.js';
import { connectLive, limitsFromSettings, processAlive, recoveryLine, settleSeconds } from '../../live.js';
import type { ReadProgress } from '../../../microsoft/tenant.js';
import { DEFAULT_LIMITS } from '../../../microsoft/limiter.js';

/** The line a terminal shows while sync reads. */
function progressLine(p: ReadProgress): string {
  const parts = [`relationships ${p.relationships}`, `assignments ${p.assignments}/${p.assignmentsToRead}`, `customers ${p.customers}`, `Partner Center ${p.dapRead}/${p.dapToRead}`];
  return `Reading: ${parts.join(', ')}${p.throttled ? `; waited for Microsoft's limits ${p.throttled}x` : ''}`;
}

export function register(noun: Command, ctx: Context): void {
  noun
    .option('--dry-run', 'read Microsoft and print what would change; write nothing (stages in memory, never resumes)')
    .option('--only <part>', `sync only ${SYNC_PARTS.join(' | ')}`)
    .option('--full', 'read everything again: every access assignment and every customer at Partner Center')
    .option('--restart', 'discard what an interrupted sync read and start over')
    .addHelpText('after', '\nExamples:\n  delegate sync --dry-run\n  delegate sync --only relationships --json\n  delegate sync --restart')
    .action(async (o: { dryRun?: boolean; only?: string; full?: boolean; restart?: boolean }) => {
      const parts: readonly SyncPart[] = o.only === undefined ? SYNC_PARTS : [v.oneOf(o.only, SYNC_PARTS, '--only')];
      if (ctx.env.DELEGATE_NOW) throw new UsageError('DELEGATE_NOW pins the ledger clock for offline work; sync reads what Microsoft says now: unset it');
      if (o.dryRun && o.restart) throw new UsageError('--restart discards a stored sync; --dry-run never stores one: use one of them');
      const dryRun = Boolean(o.dryRun);
      const session = await ctx.session({ actor: true });
      const { beginRun, memoryStage, serialStore, storeStage } = await import('../../../domain/sync/stage.js');
      // Reads run in parallel pipelines: their store work is taken one transaction at a time.
      // The recording store: what was read is staged, and the run let go, even after an interrupt.
      const s = { ...session, store: serialStore(ctx.recordingStore()) };
      const { prepareSync, reconcile } = await import('../../../domain/sync/reconcile.js');
      const partner = await prepareSync(s);
      const { readTenant, newProgress } = await import('../../../microsoft/tenant.js');
      const progress = newProgress();
      // Microsoft's limits as settings (live.limits.*, live.concurrency; docs/live-mode.md "sync").
      const limits = limitsFromSettings(await ctx.settings());
      const ms = await connectLive(ctx, partner.cloud, {
        deps: signInDeps(ctx),
        onRetry: (e) => {
          if (!ctx.io.stderrIsTTY) ctx.note(`Microsoft answered ${e.status} to ${e.method} ${e.path}; retrying in ${Math.ceil(e.waitMs / 1000)} s (attempt ${e.attempt + 1})`);
        },
      });
      // Changes whose command stopped before their outcome was recorded are read back first (SPEC "Recovery").
      const { executor } = await import('../../../microsoft/execute.js');
      const { recover } = await import('../../../domain/recovery/recover.js');
      const recovered = await recover(s, {
        person: false,
        dryRun,
        settleMs: (await settleSeconds(ctx)) * 1000,
        leaseMs: 30_000,
        owner: ctx.processId(),
        alive: processAlive,
        microsoft: executor(ms, partner.cloud),
      });
      for (const r of recovered) ctx.note(recoveryLine(r));
      const { readPlan } = await import('../../../domain/sync/reads.js');
      const me = ctx.processId();
      const run = dryRun
        ? undefined
        : await beginRun(s.store, s.clock, { owner: me, parts, full: Boolean(o.full), restart: Boolean(o.restart), alive: (host, pid) => host !== me.host || processAlive(pid) });
      if (run?.resumable) ctx.note(`Resuming an interrupted sync: ${run.resumable} answers already read (\`delegate sync --restart\` starts over).`);
      const stage = dryRun ? memoryStage(s.store) : storeStage(s.store, s.clock);
      // Relationships an intent was just resolved on: their access assignments are read again.
      const resolved = new Set(recovered.map((r) => r.target.toLowerCase()));
      const plan = readPlan(s, stage, { full: Boolean(o.full), resolved });
      const tty = ctx.io.stderrIsTTY && !ctx.globals.quiet;
      // Waits for Microsoft's limits: delegate's own pacing and Microsoft's 429s.
      const waits = () => {
        const st = ms.limiter.stats();
        progress.throttled = st.waits + st.throttled;
        return progress;
      };
      const ticker = tty ? setInterval(() => ctx.io.err(`\r\x1b[2K${progressLine(waits())}`), 250) : undefined;
      ctx.onClose(() => ticker && clearInterval(ticker));
      let result: SyncResult;
      // The changes are printed as their chunks commit.
      const output = syncOutput(await ctx.target());
      const started = performance.now();
      let read = 0;
      try {
        const notes = await readTenant(ms, parts, partner, plan, progress, { concurrency: 2 * (limits.concurrency ?? DEFAULT_LIMITS.concurrency) });
        read = performance.now();
        waits();
        if (ticker) ctx.io.err(`\r\x1b[2K${progressLine(progress)}\n`);
        result = await reconcile(s, stage, {
          dryRun,
          parts,
          notes,
          onProgress: tty ? (p) => ctx.io.err(`\r\x1b[2KRecording: ${p.phase} ${p.done}/${p.total}`) : undefined,
          // An interrupt stops between chunks: what is committed stays, the rest resumes next time.
          between: () => ctx.interrupts.checkpoint(),
          onChanges: (cs) => output.changes(cs),
        });
        if (tty) ctx.io.err('\r\x1b[2K');
        await run?.end(true);
      } catch (e) {
        output.abort();
        if (tty) ctx.io.err('\n');
        await run?.end(false).catch(() => undefined);
        throw e;
      } finally {
        if (ticker) clearInterval(ticker);
      }
      const { requests, resumed, assignmentsSkipped, dapSkipped, throttled } = progress;
      result.reads = { requests, resumed, assignmentsSkipped, dapSkipped, throttled };
      result.timings = { readMs: Math.round(read - started), reconcileMs: Math.round(performance.now() - read) };
      await output.end(result);
      for (const r of result.notAtMicrosoft) ctx.note(`Not at Microsoft: ${r}`);
      for (const r of result.keptNewer) ctx.note(`Kept the ledger's: ${r}`);
      for (const a of result.activations) ctx.note(`Activated, not permanent: ${a}`);
      if (result.unknownMembers.length) ctx.note(`Agent group members who are not partner users here (not added): ${result.unknownMembers.join(', ')}`);
      for (const n of result.notes) ctx.note(n);
      const c = result.counts;
      const sent = requests.graph + requests.partnerCenter;
      ctx.note(`${result.dryRun ? 'Dry run, nothing written: would have ' : 'Synced: '}${c.added} added, ${c.changed} changed, ${c.ended} ended (${sent} request${sent === 1 ? '' : 's'} to Microsoft).`);
    });
}
