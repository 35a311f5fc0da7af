/** `delegate audit [filters]`, `audit verify [--expect <seq>:<hash>]` and `audit head`: one file per verb, listed here. */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import * as list from './list.js';
import * as verify from './verify.js';
import * as head from './head.js';

export function register(audit: Command, ctx: Context): void {
  for (const verb of [list, verify, head]) verb.register(audit, ctx);
}
