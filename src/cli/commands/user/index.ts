/** `delegate user add|set|list|grant-admin|revoke-admin|remove`: one file per verb; this file only lists them. */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import * as add from './add.js';
import * as set from './set.js';
import * as list from './list.js';
import * as grantAdmin from './grant-admin.js';
import * as revokeAdmin from './revoke-admin.js';
import * as remove from './remove.js';

export function register(user: Command, ctx: Context): void {
  for (const verb of [add, set, list, grantAdmin, revokeAdmin, remove]) verb.register(user, ctx);
}
