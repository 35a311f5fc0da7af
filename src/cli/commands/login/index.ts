/**
 * `delegate login` (the noun's own action, login.ts) and `login status`: one file per verb; this file only lists them, in the order
 * `login --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

export { loginSchema, signInDeps, signInRequest } from './login.js';

const VERBS: Verbs = [
  { name: 'status', load: () => import('./status.js') },
];

export async function register(login: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(login, ctx, VERBS, words, () => import('./login.js'));
}
