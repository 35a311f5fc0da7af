/** `delegate client terminate [domain...] [--relationship] [--file] [--dry-run]`: end granular relationships. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { FleetRow } from '../../../domain/client/fleet.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { across } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { parseWith, z } from '../../schema.js';
import { relationshipHelp, relationshipOption, relationshipSchema } from './common.js';
import { endQuestion, runEnd, showEnd, type EndResult } from './end.js';
import { fleetFields, oneOrManyProblem, fleetQuestion, isBulk, runFleet, showFleet } from './fleet.js';

export const schema = z.object({ ...fleetFields, relationship: relationshipSchema }).check(across(oneOrManyProblem('terminate')));
export type Options = output<typeof schema>;

/** One client: as the single-client command; several (or --file, --dry-run): one line per client. */
export type Result = { one: EndResult } | { many: Carried<FleetRow[]> };

const one = (o: Options) => ({ ...o, domain: v.clientRef(o.domains[0]!) });

export function question(o: Options): string | undefined {
  return isBulk(o) ? fleetQuestion('terminate', o) : endQuestion('terminate', one(o));
}

export async function run(opts: Options, ctx: Context): Promise<Result> {
  return isBulk(opts) ? { many: await runFleet(ctx, { kind: 'terminate' }, opts) } : { one: await runEnd(ctx, 'terminate', one(opts)) };
}

export async function show(ctx: Context, opts: Options, r: Result): Promise<void> {
  if ('many' in r) await showFleet(ctx, opts, r.many);
  else await showEnd(ctx, r.one);
}

export function register(client: Command, ctx: Context): void {
  client
    .command('terminate')
    .option(relationshipOption, `${relationshipHelp} (one client only)`)
    .option('--file <csv|->', 'terminate for every client in a CSV file with a domain column (a tenant id also serves; - for stdin)')
    .option('--dry-run', 'print what would be terminated, one line per client, and change nothing')
    .description("Terminate a client's granular relationships: each active one, or the one named with --relationship (full access or global admin)")
    .argument('[domain...]', "clients' domains, or tenant ids")
    .addHelpText(
      'after',
      '\nExamples:\n  delegate client terminate contoso.com                       (ends every active granular relationship, listed)\n  delegate client terminate contoso.com --relationship "Contoso helpdesk"\n  delegate client terminate contoso.com wingtip.com --yes     (one line per client)\n  delegate client terminate --file leaving.csv --dry-run',
    )
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .action(async (domains: string[], raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domains });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, opts, await run(opts, ctx));
    });
}
