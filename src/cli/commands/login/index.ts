/**
 * `delegate login [status]` (SPEC.md "Live mode"): one file per verb; this
 * file only lists them (`delegate logout` is logout.ts, a noun of its own).
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import * as login from './login.js';
import * as status from './status.js';

export { loginSchema, signInDeps, signInRequest } from './login.js';

export function register(noun: Command, ctx: Context): void {
  for (const verb of [login, status]) verb.register(noun, ctx);
}
