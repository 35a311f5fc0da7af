/**
 * `delegate client ...`: one file per verb; this file only lists them, in the order
 * `client --help` shows, and loads only the verb a command line names.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { registerVerbs, type Verbs } from '../../command.js';

const VERBS: Verbs = [
  { name: 'accept', load: () => import('./accept.js') },
  { name: 'list', load: () => import('./list.js') },
  { name: 'show', load: () => import('./show.js') },
  { name: 'remove', load: () => import('./remove.js') },
  { name: 'terminate', load: () => import('./terminate.js') },
  { name: 'extend', load: () => import('./extend.js') },
  { name: 'remove-role', load: () => import('./remove-role.js') },
  { name: 'assign', load: () => import('./assign.js') },
  { name: 'drift', load: () => import('./drift.js') },
  { name: 'unassign', load: () => import('./unassign.js') },
  {
    name: 'user',
    description: "Act on a client's users (after it accepted)",
    verbs: [
      { name: 'add', load: () => import('./user-add.js') },
      { name: 'list', load: () => import('./user-list.js') },
      { name: 'reset-password', load: () => import('./user-reset-password.js') },
      { name: 'remove', load: () => import('./user-remove.js') },
    ],
  },
  {
    name: 'domain',
    description: "Act on a client's domains (after it accepted)",
    verbs: [
      { name: 'add', load: () => import('./domain-add.js') },
      { name: 'verify', load: () => import('./domain-verify.js') },
      { name: 'remove', load: () => import('./domain-remove.js') },
      { name: 'list', load: () => import('./domain-list.js') },
    ],
  },
  { name: 'mdm', load: () => import('./mdm.js') },
];

export async function register(client: Command, ctx: Context, words?: readonly string[]): Promise<void> {
  await registerVerbs(client, ctx, VERBS, words);
}
