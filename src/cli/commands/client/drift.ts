/** `delegate client drift`: clients whose active granular relationship differs from its template. */
import type { Command } from 'commander';
import { eachDriftChunk, type Drift } from '../../../domain/client/drift.js';
import type { Context } from '../../context.js';
import { printChunks } from '../../bulk.js';
import type { View } from '../../render.js';
import { parseWith, z } from '../../schema.js';

/** No options of its own (--fields is the list's, checked by render.ts). */
export const schema = z.object({});

export const driftView: View<Drift> = {
  fields: ['domain', 'relationship', 'template', 'difference', 'fix'],
  table: { key: ['domain', 'fix'], drop: ['template', 'relationship'], min: { difference: 20 } },
  columns: [
    { header: 'domain', value: (d) => d.domain },
    { header: 'relationship', value: (d) => d.relationship },
    { header: 'template', value: (d) => d.template },
    { header: 'difference', value: (d) => d.difference },
    { header: 'fix', value: (d) => d.fix },
  ],
  json: (d) => d,
};

export type Chunks = (fn: (chunk: Drift[]) => Promise<void>) => Promise<void>;

export async function run(_opts: object, ctx: Context): Promise<Chunks> {
  const s = await ctx.session();
  return (fn) => eachDriftChunk(s, fn);
}

export async function show(ctx: Context, chunks: Chunks): Promise<void> {
  const count = await printChunks(ctx, driftView, chunks);
  if (count === 0) ctx.note('No drift: every templated relationship matches its template.');
}

export function register(client: Command, ctx: Context): void {
  ctx
    .listFields(client.command('drift'), driftView.fields!)
    .description('Clients whose active granular relationship differs from its template, with what to change')
    .addHelpText('after', '\nExamples:\n  delegate client drift\n  delegate client drift --json')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
