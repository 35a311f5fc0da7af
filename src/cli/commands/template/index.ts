/** `delegate template create|list|delete`: reusable settings for granular offers; one file per verb, listed here. */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import * as create from './create.js';
import * as list from './list.js';
import * as del from './delete.js';

export function register(template: Command, ctx: Context): void {
  for (const verb of [create, list, del]) verb.register(template, ctx);
}
