/** `delegate audit verify [--expect <seq>:<hash>]`: recompute the hash chain. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { checkAudit, type AuditAnchor, type VerifyResult } from '../../../domain/core/audit.js';
import { AuditMismatchError, UsageError } from '../../../domain/core/errors.js';
import type { Context } from '../../context.js';
import { parseWith, rule, z } from '../../schema.js';
import { anchorText, headJson } from './head.js';

/** `--expect <seq>:<hash>`: an entry number and the 64-hex-digit hash `audit head` printed for it. */
export function anchor(s: string): AuditAnchor {
  const m = /^\s*([1-9]\d{0,15}):([0-9a-fA-F]{64})\s*$/.exec(s);
  if (!m || !Number.isSafeInteger(Number(m[1]))) {
    throw new UsageError(`--expect must be <seq>:<hash> as \`delegate audit head\` prints it (e.g. 42:${'3f'.repeat(32)}), not ${JSON.stringify(s.slice(0, 80))}`);
  }
  return { seq: Number(m[1]), hash: m[2]!.toLowerCase() };
}

export const schema = z.object({ expect: z.optional(rule(anchor)) });
export type Options = output<typeof schema>;

export type Intact = Extract<VerifyResult, { ok: true }>;

/** The chain checked: intact (with its time warnings), else exit 1 naming the first entry that does not match. */
export async function run(opts: Options, ctx: Context): Promise<Intact> {
  const s = await ctx.session();
  const r = await checkAudit(s.store, opts.expect);
  if (!r.ok) throw new AuditMismatchError(`Audit entry ${r.seq} ${r.reason}`);
  return r;
}

/** Entries whose time runs backwards: one warning line each (stderr), whatever --quiet says. */
function timeWarnings(ctx: Context, r: Intact): void {
  for (const w of r.warnings) ctx.io.err(`Warning: audit entry ${w.seq} is dated ${w.at}, earlier than entry ${w.seq - 1} (${w.previousAt})\n`);
  if (r.warningCount > r.warnings.length) ctx.io.err(`Warning: and ${r.warningCount - r.warnings.length} more entries dated earlier than the entry before them\n`);
}

export async function show(ctx: Context, opts: Options, r: Intact): Promise<void> {
  const target = await ctx.target();
  timeWarnings(ctx, r);
  // The head as `audit head` prints it (null for an empty trail).
  const head = r.entries ? { seq: r.entries, hash: r.head } : null;
  if (target.output === 'json') target.write(JSON.stringify({ ok: true, entries: r.entries, head: head && headJson(head), warnings: r.warnings }, null, 2) + '\n');
  else target.write(`ok\t${r.entries}\t${head ? anchorText(head) : ''}\n`);
  const anchored = opts.expect ? `; entry ${opts.expect.seq} has the expected hash` : '';
  ctx.note(`Audit trail intact: ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}${anchored}.`);
}

export function register(audit: Command, ctx: Context): void {
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
    .addHelpText('after', '\nExamples:\n  delegate audit verify\n  delegate audit verify --expect "$(cat audit.anchor)"')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseWith(schema, raw);
      await show(ctx, opts, await run(opts, ctx));
    });
}
