/**
 * What `client remove` and `client terminate` (one client) share: ending a
 * client's DAP relationship or its granular ones, and how that reads.
 */
import { endClient, type Ended } from '../../../domain/client/clients.js';
import { activeDap, activeGdap } from '../../../domain/relationship/relationships.js';
import type { Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { reportLive, sessionAndMode } from '../../live.js';
import { printPlan } from '../../plan.js';
import { renderOne } from '../../render.js';
import { clientView } from '../../views.js';
import { endNote } from './common.js';

export type How = 'remove' | 'terminate';

export interface EndOptions {
  plan?: boolean;
  live?: boolean;
  /** The client, normalised (domain or tenant id). */
  domain: string;
  relationship?: string;
}

/** The y/N question before ending; none for a plan. */
export function endQuestion(how: How, o: EndOptions): string | undefined {
  if (o.plan) return undefined;
  const rel = o.relationship;
  return how === 'remove' && rel === undefined ? `End the delegated administration relationship with ${o.domain}?` : `Terminate ${rel === undefined ? 'the active granular relationships' : `granular relationship "${rel}"`} with ${o.domain}?`;
}

export interface EndResult {
  r: Carried<Ended>;
  live: boolean;
}

export async function runEnd(ctx: Context, how: How, o: EndOptions): Promise<EndResult> {
  const { s, mode } = await sessionAndMode(ctx, o, { inClient: false, action: `client.${how}`, target: o.domain });
  const r = await endClient(s, o.domain, how, { mode, ...(o.relationship === undefined ? {} : { relationship: o.relationship }) });
  return { r, live: mode.kind === 'live' };
}

export async function showEnd(ctx: Context, { r, live }: EndResult): Promise<void> {
  if (r.kind === 'plan') return printPlan(ctx, r.requests, endNote(r.requests));
  const now = ctx.clock().now();
  const ended = r.value;
  await renderOne(await ctx.target(), clientView(now), ended.client);
  const c = ended.client;
  const left = activeGdap(c, now);
  if (ended.dap) {
    ctx.note(
      `Ended the delegated admin (DAP) relationship with ${c.domain}${live ? ' at Partner Center' : ''}.${left.length ? ` Its granular relationship${left.length === 1 ? '' : 's'} ${left.map((r) => `"${r.displayName}"`).join(', ')} stay${left.length === 1 ? 's' : ''} active.` : ' You no longer administer it.'} Its history is kept.`,
    );
  } else {
    for (const r of ended.terminated) {
      ctx.note(
        r.msStatus === 'terminationRequested'
          ? `Microsoft took the request to terminate granular relationship "${r.displayName}" (${r.id}) with ${c.domain}: it is terminationRequested until Microsoft ends it (\`delegate sync\` reads it back).`
          : `Terminated granular relationship "${r.displayName}" (${r.id}) with ${c.domain}.`,
      );
    }
    ctx.note(
      left.length || activeDap(c)
        ? `${c.domain} is still active through ${[activeDap(c) ? 'its delegated admin (DAP) relationship' : '', ...left.map((r) => `"${r.displayName}"`)].filter(Boolean).join(', ')}.`
        : `You no longer administer ${c.domain}. Its history is kept.`,
    );
  }
  reportLive(ctx, r);
}
