/**
 * `delegate template create|list|delete`: one file per verb; this file only lists them, in the order
 * `template --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'create', load: () => import('./create.js') },
  { name: 'list', load: () => import('./list.js') },
  { name: 'delete', load: () => import('./delete.js') },
];

export async function register(template: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(template, ctx, VERBS, words);
}
