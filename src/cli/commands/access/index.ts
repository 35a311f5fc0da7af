/**
 * `delegate access show|why|activate|deactivate`: one file per verb; this file only lists them, in
 * the order `access --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'show', load: () => import('./show.js') },
  { name: 'why', load: () => import('./why.js') },
  { name: 'activate', load: () => import('./activate.js') },
  { name: 'deactivate', load: () => import('./deactivate.js') },
];

export async function register(access: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(access, ctx, VERBS, words);
}
