/**
 * `delegate audit [filters]` (the list: the noun's own action, list.ts), `audit verify`, `audit head`:
 * one file per verb; this file only lists them, in the order
 * `audit --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'verify', load: () => import('./verify.js') },
  { name: 'head', load: () => import('./head.js') },
];

export async function register(audit: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(audit, ctx, VERBS, words, () => import('./list.js'));
}
