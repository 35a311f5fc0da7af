/** `delegate client extend [domain...] [--off] [--relationship] [--all|--file] [--dry-run]`: auto-extend on or off. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { FleetRow } from '../../../domain/client/fleet.js';
import { extendClient, type Extended } from '../../../domain/client/lifecycle.js';
import type { Carried } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { across, flag } from '../../command.js';
import { LIVE_OPTION, reportLive, sessionAndMode } from '../../live.js';
import { PLAN_OPTION, printPlan } from '../../plan.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { clientView } from '../../views.js';
import { relationshipHelp, relationshipOption, relationshipSchema } from './common.js';
import { fleetFields, oneOrManyProblem, isBulk, runFleet, showFleet } from './fleet.js';

export const schema = z.object({ ...fleetFields, off: flag, relationship: relationshipSchema }).check(across(oneOrManyProblem('extend')));
export type Options = output<typeof schema>;

/** One client: the client with what changed; several (or --all, --file, --dry-run): one line per client. */
export type Result = { one: Carried<Extended> } | { many: Carried<FleetRow[]> };

export async function run(opts: Options, ctx: Context): Promise<Result> {
  if (isBulk(opts)) return { many: await runFleet(ctx, { kind: 'extend', on: !opts.off }, opts) };
  const d = v.clientRef(opts.domains[0]!);
  const { s, mode } = await sessionAndMode(ctx, opts, { inClient: false, action: 'client.extend', target: d });
  return { one: await extendClient(s, d, !opts.off, { mode, ...(opts.relationship === undefined ? {} : { relationship: opts.relationship }) }) };
}

export async function show(ctx: Context, opts: Options, result: Result): Promise<void> {
  if ('many' in result) return showFleet(ctx, opts, result.many);
  const out = result.one;
  if (out.kind === 'plan') return printPlan(ctx, out.requests, out.requests.length ? undefined : 'Auto-extend is already as asked: no request is needed.');
  const r = out.value;
  await renderOne(await ctx.target(), clientView(ctx.clock().now()), r.client);
  const names = (list: readonly { displayName: string }[]) => list.map((x) => `"${x.displayName}"`).join(', ');
  const done = [...r.changed, ...r.unchanged];
  if (done.length) ctx.note(
    opts.off
      ? `Auto-extend is off for ${names(done)} with ${r.client.domain}.`
      : `${names(done)} with ${r.client.domain} now extend${done.length === 1 ? 's' : ''} by 180 days at a time when reaching the end.`,
  );
  if (r.skipped.length) ctx.note(`Skipped ${names(r.skipped)}: Global Administrator is among its roles, so it cannot auto-extend.`);
  reportLive(ctx, out);
}

export function register(client: Command, ctx: Context): void {
  client
    .command('extend')
    .description("Turn auto-extend (P180D) on for clients' active granular relationships, or off with --off")
    .argument('[domain...]', "clients' domains, or tenant ids")
    .option('--off', 'turn auto-extend off (PT0S)')
    .option(relationshipOption, `${relationshipHelp} (one client only)`)
    .option('--all', 'every client with an active granular relationship it applies to (those with Global Administrator only are listed as skipped)')
    .option('--file <csv|->', 'every client in a CSV file with a domain column (a tenant id also serves; - for stdin)')
    .option('--dry-run', 'print what would change, one line per client, and change nothing')
    .addHelpText(
      'after',
      '\nWithout --relationship it applies to each active granular relationship; turning it on skips (and lists)\nthose with Global Administrator, which cannot auto-extend. Exit 5 when none qualifies.',
    )
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nExamples:\n  delegate client extend contoso.com\n  delegate client extend --all --dry-run\n  delegate client extend contoso.com --off')
    .action(async (domains: string[], raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domains });
      await show(ctx, opts, await run(opts, ctx));
    });
}
