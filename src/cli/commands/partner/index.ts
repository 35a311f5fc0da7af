/** `delegate partner show|set`: one file per verb; this file only lists them. */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import * as show from './show.js';
import * as set from './set.js';

export function register(partner: Command, ctx: Context): void {
  for (const verb of [show, set]) verb.register(partner, ctx);
}
