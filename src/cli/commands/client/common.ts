/**
 * What several `client` verbs share: the `--relationship` option, and how
 * the acting verbs (`client user ...`, `client domain ...`) run and deliver.
 */
import { LEDGER, type Carried, type Mode } from '../../../domain/plan/decision.js';
import type { Session } from '../../../domain/core/session.js';
import { usesPartnerCenter, type PlannedRequest } from '../../../domain/plan/request.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { deliver as deliverCarried, sessionAndMode } from '../../live.js';
import { optional } from 'zod/mini';
import { valid } from '../../command.js';
import { rule } from '../../schema.js';

export const relationshipOption = '--relationship <name|id>';
export const relationshipHelp = 'one granular relationship, by display name or relationship id (see `delegate client show`)';

/** `--relationship`: a display name or id. */
export const relationshipSchema = optional(rule((s) => v.displayName(s, '--relationship', 120)));

/** A client named by its domain or tenant id (checked, kept as typed). */
export const clientRefSchema = valid((s) => v.clientRef(s));

/** Ending a DAP relationship goes through Partner Center (Graph has no call for it): say so. */
export function endNote(requests: readonly PlannedRequest[]): string | undefined {
  return usesPartnerCenter(requests)
    ? "Graph has no call that ends a delegated admin (DAP) relationship: the PATCH is Partner Center's (App+User authentication)."
    : undefined;
}

/** Acting for a client: a plan goes to the client's tenant. */
export const deliverActing = <T>(ctx: Context, r: Carried<T>, show: (value: T) => Promise<void>) => deliverCarried(ctx, r, show, 'Run these against the client tenant with a token for it.');

/** How a changing acting command runs: ledger, plan or live (cli/live.ts). */
export const actingMode = (ctx: Context, raw: { plan?: boolean; live?: boolean }, action: string, target: string) => sessionAndMode(ctx, raw, { inClient: true, action, target });

/** Lists change nothing: the ledger, or the plan that reads the tenant. */
export async function listing(ctx: Context, plan: boolean | undefined): Promise<{ s: Session; mode: Mode }> {
  return { s: await ctx.session({ actor: true }), mode: plan ? { kind: 'plan' } : LEDGER };
}
