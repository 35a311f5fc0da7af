/**
 * `delegate user add|set|list|grant-admin|revoke-admin|remove`: one file per verb; this file only lists them, in the order
 * `user --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'add', load: () => import('./add.js') },
  { name: 'set', load: () => import('./set.js') },
  { name: 'list', load: () => import('./list.js') },
  { name: 'grant-admin', load: () => import('./grant-admin.js') },
  { name: 'revoke-admin', load: () => import('./revoke-admin.js') },
  { name: 'remove', load: () => import('./remove.js') },
];

export async function register(user: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(user, ctx, VERBS, words);
}
