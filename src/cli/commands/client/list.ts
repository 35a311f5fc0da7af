/** `delegate client list [--status] [--search] [--expiring <days>]`. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { eachClientChunk, eachClientLineChunk } from '../../../domain/client/clients.js';
import { CLIENT_STATUSES, type ClientRecord } from '../../../domain/core/model.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { printChunks } from '../../bulk.js';
import { Printed } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { clientView, CLIENT_FIELDS } from '../../views.js';

export const schema = z.object({
  status: z.optional(rule((s) => v.oneOf(s, CLIENT_STATUSES, '--status'))),
  search: z.optional(rule((s) => v.displayName(s, '--search', 200))),
  expiring: z.optional(rule((s) => v.positiveInt(s, '--expiring', 3650))),
});
export type Options = output<typeof schema>;

/** The clients, chunk by chunk as the store reads them (a line already printed by the store, or a record). */
export type Chunks = (fn: (chunk: (ClientRecord | Printed)[]) => Promise<void>) => Promise<void>;

export async function run(opts: Options, ctx: Context): Promise<Chunks> {
  const filter = { ...opts, ...(opts.expiring !== undefined ? { expiringDays: opts.expiring } : {}) };
  const session = await ctx.session();
  const { output } = await ctx.target();
  if ((output === 'csv' || output === 'json') && !ctx.fields && !opts.status && opts.expiring === undefined) {
    // The whole list in a script's form: the store prints the clients it can (Tx.clientLines).
    const printed = (x: string | ClientRecord) => (typeof x === 'string' ? new Printed(x) : x);
    return (fn) => eachClientLineChunk(session, opts, output, (chunk) => fn(chunk.map(printed)));
  }
  return (fn) => eachClientChunk(session, filter, fn);
}

export async function show(ctx: Context, opts: Options, chunks: Chunks): Promise<void> {
  const view = clientView(ctx.clock().now(), opts.expiring !== undefined ? { expiry: { days: opts.expiring } } : {});
  const filtered = opts.expiring === undefined && (opts.status !== undefined || opts.search !== undefined);
  await printChunks(ctx, filtered ? { ...view, empty: 'No client matches (`delegate client list` lists them all).' } : view, chunks);
}

export function register(client: Command, ctx: Context): void {
  ctx
    .listFields(client.command('list'), CLIENT_FIELDS)
    .description('List clients (each with its delegated admin and granular relationships)')
    .option('--status <status>', `a client status: active (any relationship active), removed (last one was DAP), or a Graph relationship status (${CLIENT_STATUSES.slice(2).join(', ')})`)
    .option('--search <text>', 'only clients whose domain, name or tenant id contains this')
    .option('--expiring <days>', "only clients with an active granular relationship whose current end is within this many days (not Graph's `expiring` status)")
    .addHelpText('after', '\nExamples:\n  delegate client list --status active\n  delegate client list --expiring 30')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseWith(schema, raw);
      await show(ctx, opts, await run(opts, ctx));
    });
}
