/**
 * `delegate offer create|link|list|revoke`: one file per verb; this file only lists them, in the order
 * `offer --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'create', load: () => import('./create.js') },
  { name: 'link', load: () => import('./link.js') },
  { name: 'list', load: () => import('./list.js') },
  { name: 'revoke', load: () => import('./revoke.js') },
];

export async function register(offer: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(offer, ctx, VERBS, words);
}
