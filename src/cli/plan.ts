/**
 * `--plan graph` (alias `--plan`): print the requests to Microsoft's APIs
 * that would do the same for real, and change nothing. The plan is JSON in
 * every output mode: `[{id, method, url, headers?, body?}]` (see
 * domain/plan/request.ts for the format).
 */
import { UsageError } from '../domain/core/errors.js';
import { planJson, type PlannedRequest } from '../domain/plan/request.js';
import type { Context } from './context.js';

/** `.option(...PLAN_OPTION)`: the same `--plan [graph]` on every command that changes something. */
export const PLAN_OPTION = ['--plan [graph]', 'print the requests to Microsoft (Graph, or Partner Center where Graph has no call) that would do this, as JSON, and change nothing'] as const;

/** `--plan` or `--plan graph`: true; absent: false; anything else is exit 2. */
export function planFlag(raw: { plan?: string | boolean }): boolean {
  if (raw.plan === undefined || raw.plan === false) return false;
  if (raw.plan === true || raw.plan === 'graph') return true;
  throw new UsageError(`--plan takes "graph", not "${raw.plan.slice(0, 40)}" (put --plan after the command's arguments)`);
}

/** Print a plan (stdout, JSON) and say on stderr that nothing changed. */
export function printPlan(ctx: Context, requests: readonly PlannedRequest[], note?: string): void {
  ctx.io.out(JSON.stringify(planJson(requests), null, 2) + '\n');
  ctx.note(`Plan only: nothing was changed.${note ? ` ${note}` : ''}`);
}
