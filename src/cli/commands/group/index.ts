/** `delegate group create|add-member|set|remove-member|delete|list`: one file per verb; this file only lists them. */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import * as create from './create.js';
import * as addMember from './add-member.js';
import * as set from './set.js';
import * as removeMember from './remove-member.js';
import * as del from './delete.js';
import * as list from './list.js';

export function register(group: Command, ctx: Context): void {
  for (const verb of [create, addMember, set, removeMember, del, list]) verb.register(group, ctx);
}
