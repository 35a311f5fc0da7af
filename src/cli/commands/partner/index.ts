/**
 * `delegate partner show|set`: one file per verb; this file only lists them, in the order
 * `partner --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'show', load: () => import('./show.js') },
  { name: 'set', load: () => import('./set.js') },
];

export async function register(partner: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(partner, ctx, VERBS, words);
}
