/** `delegate access show [<user>] [--client <domain>...]`: the matrix, one row per (user, client, role); `--output html` makes it one page. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { eachAccessChunk, type AccessRow } from '../../../domain/access/matrix.js';
import type { ClientRecord } from '../../../domain/core/model.js';
import type { Context } from '../../context.js';
import { printChunks } from '../../bulk.js';
import { parseWith, z } from '../../schema.js';
import { flag } from '../../command.js';
import { liveRead } from './live-read.js';
import { htmlPage } from './html.js';
import { accessView, ACCESS_FIELDS } from './view.js';

export const schema = z.object({
  user: z.optional(z.string()),
  client: z.optional(z.array(z.string())),
  live: flag,
});
export type Options = output<typeof schema>;

function scopeWords(opts: Options): string {
  const who = opts.user ? `partner user ${opts.user}` : 'every partner user';
  const where = opts.client?.length ? `clients ${opts.client.join(', ')}` : 'every client';
  return `${who}; ${where}`;
}

export async function run(opts: Options, ctx: Context): Promise<void> {
  const s = await ctx.session();
  const scope = { ...(opts.user !== undefined ? { user: opts.user } : {}), ...(opts.client?.length ? { clients: opts.client } : {}) };
  const live = opts.live ? await liveRead(ctx, s) : undefined;
  if (ctx.htmlOutput()) {
    const page = htmlPage((t) => ctx.io.out(t));
    await eachAccessChunk(
      s,
      scope,
      async (rows: AccessRow[], clients: readonly ClientRecord[]) => {
        await ctx.interrupts.checkpoint();
        page.rows(rows, clients);
        await ctx.interrupts.race(ctx.io.drained());
      },
      (head) => page.head(head, scopeWords(opts)),
      live,
    );
    page.end();
    return;
  }
  await printChunks(ctx, accessView, (fn) => eachAccessChunk(s, scope, (rows) => fn(rows), undefined, live));
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function register(access: Command, ctx: Context): void {
  ctx
    .listFields(access.command('show'), ACCESS_FIELDS)
    .description('Who holds which role in which client, and how (group and relationship, or DAP): one row per user, client and role')
    .argument('[user]', "only this partner user (email)")
    .option('--client <domain>', 'only this client (domain or tenant id); repeat for more', collect)
    .option('--live', "read the clients' relationships, their access assignments and the groups' members from Microsoft now (after `delegate login`); --client is required above 50 clients")
    .addHelpText(
      'after',
      '\nRows come from the ledger: groups assigned on active granular relationships (assignment active, or\n' +
        "recorded offline), and DAP (full: Global Administrator, limited: Helpdesk Administrator). Eligible\n" +
        'memberships are listed as such: they hold once activated. readAt: when sync last read that state\n' +
        'from Microsoft, else when the ledger was read. --output html writes one self-contained page (the\n' +
        'matrix and the relationship ends within 180 days); with --client, only those clients are on it.\n' +
        "With --live, each row's readAt is now where Microsoft was read.\n" +
        '\nExamples:\n  delegate access show\n  delegate access show --client contoso.com --live\n  delegate access show lee@fabrikam.com --json\n  delegate access show --client contoso.com --output html > access.html',
    )
    .action(async (user: string | undefined, raw: Record<string, unknown>) => {
      await run(parseWith(schema, { ...raw, ...(user !== undefined ? { user } : {}) }), ctx);
    });
}
