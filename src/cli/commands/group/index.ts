/**
 * `delegate group create|add-member|set|remove-member|delete|list`: one file per verb; this file only lists them, in the order
 * `group --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'create', load: () => import('./create.js') },
  { name: 'add-member', load: () => import('./add-member.js') },
  { name: 'set', load: () => import('./set.js') },
  { name: 'remove-member', load: () => import('./remove-member.js') },
  { name: 'delete', load: () => import('./delete.js') },
  { name: 'list', load: () => import('./list.js') },
];

export async function register(group: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(group, ctx, VERBS, words);
}
