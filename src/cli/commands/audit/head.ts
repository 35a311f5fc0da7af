/** `delegate audit head`: the newest entry as <seq>:<hash>, to keep elsewhere (`audit verify --expect` takes it). */
import type { Command } from 'commander';
import { auditHead, type AuditAnchor } from '../../../domain/core/audit.js';
import { NotFoundError } from '../../../domain/core/errors.js';
import type { Context } from '../../context.js';
import { renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';

/** The head as scripts see it, in `audit head --json` and in `audit verify --json` alike. */
export const headJson = (a: AuditAnchor) => ({ seq: a.seq, hash: a.hash });

/** What `--expect` takes. */
export const anchorText = (a: AuditAnchor) => `${a.seq}:${a.hash}`;

const headView: View<AuditAnchor> = {
  columns: [
    { header: 'seq', value: (a) => a.seq },
    { header: 'hash', value: (a) => a.hash },
  ],
  json: headJson,
};

/** No options. */
export const schema = z.object({});

export async function run(_opts: object, ctx: Context): Promise<AuditAnchor> {
  const head = await auditHead((await ctx.session()).store);
  if (!head) throw new NotFoundError('The audit trail has no entries yet (run `delegate init`)');
  return head;
}

export async function show(ctx: Context, head: AuditAnchor): Promise<void> {
  const target = await ctx.target();
  // Plain and at a terminal: one <seq>:<hash> line, as --expect takes it; csv and json: the two fields.
  if (target.output === 'plain' || target.output === 'table') target.write(`${anchorText(head)}\n`);
  else await renderOne(target, headView, head);
  ctx.note(`Keep this elsewhere (a ticket, a commit, a message); later, \`delegate audit verify --expect ${anchorText(head)}\` fails if the trail was cut or rewritten.`);
}

export function register(audit: Command, ctx: Context): void {
  audit
    .command('head')
    .description('Print the newest entry as <seq>:<hash>, to keep elsewhere and check later with `audit verify --expect`')
    .addHelpText('after', '\nExamples:\n  delegate audit head            # 42:<hash>\n  delegate audit verify --expect "$(delegate audit head -q)"')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
