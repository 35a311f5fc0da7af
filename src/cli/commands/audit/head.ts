/** `delegate audit head`: the newest entry as <seq> and <hash>, to keep elsewhere. */
import type { Command } from 'commander';
import { auditHead, type AuditAnchor } from '../../../domain/core/audit.js';
import { NotFoundError } from '../../../domain/core/errors.js';
import type { Context } from '../../context.js';
import { renderOne, type View } from '../../render.js';
import { parseWith, z } from '../../schema.js';

const headView: View<AuditAnchor> = {
  columns: [
    { header: 'seq', value: (a) => a.seq },
    { header: 'hash', value: (a) => a.hash },
  ],
  json: (a) => ({ seq: a.seq, hash: a.hash }),
};

/** No options. */
export const schema = z.object({});

export async function run(_opts: object, ctx: Context): Promise<AuditAnchor> {
  const head = await auditHead((await ctx.session()).store);
  if (!head) throw new NotFoundError('The audit trail has no entries yet (run `delegate init`)');
  return head;
}

export async function show(ctx: Context, head: AuditAnchor): Promise<void> {
  await renderOne(await ctx.target(), headView, head);
  ctx.note(`Keep this elsewhere (a ticket, a commit, a message); later, \`delegate audit verify --expect ${head.seq}:${head.hash}\` fails if the trail was cut or rewritten.`);
}

export function register(audit: Command, ctx: Context): void {
  audit
    .command('head')
    .description('Print the newest entry as <seq> and <hash>: keep it elsewhere, check it later with `audit verify --expect`')
    .addHelpText('after', '\nExample:\n  delegate audit head            # 42<TAB><hash>\n  delegate audit verify --expect 42:<hash>')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
