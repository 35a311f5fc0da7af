/** `delegate offer create|link|list|revoke`: one file per verb; this file only lists them. */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import * as create from './create.js';
import * as link from './link.js';
import * as list from './list.js';
import * as revoke from './revoke.js';

export function register(offer: Command, ctx: Context): void {
  for (const verb of [create, link, list, revoke]) verb.register(offer, ctx);
}
