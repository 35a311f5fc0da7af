/**
 * `delegate recover [--dry-run]`: read back each pending change at Microsoft and record what it
 * finds (SPEC.md "Live mode, exactly once", "Recovery"). JSON: [{id, target, outcome, detail,
 * temporaryPassword?}]; exit 0 when none stays pending, 1 otherwise, 4 when not signed in.
 */
import type { Command } from 'commander';
import { DelegateError } from '../../../domain/core/errors.js';
import type { Recovered } from '../../../domain/recovery/recover.js';
import type { Context } from '../../context.js';
import { liveIntents, processAlive, sessionAndMode, settleSeconds } from '../../live.js';
import { renderList, type View } from '../../render.js';

export const recoveredView: View<Recovered> = {
  fields: ['id', 'target', 'outcome', 'detail', 'temporaryPassword'],
  // A password is never cut: it is shown once.
  table: { key: ['id', 'temporaryPassword'], drop: ['detail'] },
  columns: [
    { header: 'id', value: (r) => r.id },
    { header: 'target', value: (r) => r.target },
    { header: 'outcome', value: (r) => r.outcome },
    { header: 'detail', value: (r) => r.detail },
    { header: 'temporaryPassword', value: (r) => r.temporaryPassword ?? '' },
  ],
  json: (r) => ({ id: r.id, target: r.target, outcome: r.outcome, detail: r.detail, ...(r.temporaryPassword ? { temporaryPassword: r.temporaryPassword } : {}) }),
};

export function register(noun: Command, ctx: Context): void {
  const cmd = noun
    .option('--dry-run', 'read each pending change back and say what was found; record nothing')
    .addHelpText(
      'after',
      '\nOnly changes whose command has stopped are taken (its lease ran out, or its process on this machine is\n' +
        'gone). Applied or accepted: recorded as the lost answer would have been. Not found: "not applied" only\n' +
        'once live.settle (default 120 s) has passed since its deadline, else it stays pending. A user created,\n' +
        'or a password reset, whose password nobody saw gets a new temporary password here, shown once,\n' +
        "when you may reset that user's password.\n\n" +
        'Examples:\n  delegate recover --dry-run\n  delegate recover --json',
    );
  ctx.listFields(cmd, recoveredView.fields!).action(async (o: { dryRun?: boolean }) => {
    const { s, mode } = await sessionAndMode(ctx, { live: true }, { inClient: false, action: 'recover', target: '' });
    if (mode.kind !== 'live') throw new Error('recover runs live');
    const { recover } = await import('../../../domain/recovery/recover.js');
    const intents = mode.intents ?? (await liveIntents(ctx, s, mode, 'recover', 100_000));
    const rows = await recover(s, {
      person: true,
      dryRun: Boolean(o.dryRun),
      settleMs: (await settleSeconds(ctx)) * 1000,
      leaseMs: intents.leaseMs,
      owner: intents.owner,
      alive: processAlive,
      microsoft: mode.microsoft,
      mode,
    });
    await renderList(await ctx.target(), recoveredView, rows);
    const open = rows.filter((r) => r.outcome === 'unknown').length;
    if (rows.length === 0) ctx.note('Nothing to recover: no pending change whose command has stopped.');
    if (open) throw new DelegateError(`${open} change${open === 1 ? '' : 's'} still pending (listed above; \`delegate pending\` shows them)`, 'pending', 1);
  });
}
