/** `delegate template list`. */
import type { Command } from 'commander';
import type { Template } from '../../../domain/core/model.js';
import { listTemplates } from '../../../domain/offer/templates.js';
import type { Context } from '../../context.js';
import { renderList } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { templateView } from './view.js';

/** No options of its own (--fields is the list's, checked by render.ts). */
export const schema = z.object({});

export async function run(_opts: object, ctx: Context): Promise<Template[]> {
  return listTemplates(await ctx.session());
}

export async function show(ctx: Context, templates: Template[]): Promise<void> {
  await renderList(await ctx.target(), templateView, templates);
}

export function register(template: Command, ctx: Context): void {
  ctx
    .listFields(template.command('list'), templateView.fields!)
    .description('List templates')
    .addHelpText('after', '\nExamples:\n  delegate template list\n  delegate template list --json')
    .action(async (raw: Record<string, unknown>) => {
      await show(ctx, await run(parseWith(schema, raw), ctx));
    });
}
