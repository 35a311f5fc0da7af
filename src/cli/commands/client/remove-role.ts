/** `delegate client remove-role [domain...] --role "Global Administrator" [--all|--file] [--dry-run]`. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import type { FleetRow } from '../../../domain/client/fleet.js';
import type { Carried } from '../../../domain/plan/decision.js';
import { UsageError } from '../../../domain/core/errors.js';
import { GLOBAL_ADMINISTRATOR, parseRole, roleName } from '../../../domain/relationship/roles.js';
import type { Context } from '../../context.js';
import { across, checked } from '../../command.js';
import { LIVE_OPTION } from '../../live.js';
import { PLAN_OPTION } from '../../plan.js';
import { parseWith, z } from '../../schema.js';
import { fleetProblem, fleetFields, fleetQuestion, runFleet, showFleet } from './fleet.js';

/** The one role Graph lets an active relationship lose. */
const roleSchema = checked((raw) => {
  if (!raw) throw new UsageError('Missing --role "Global Administrator"');
  const role = parseRole(raw as string).id;
  if (role !== GLOBAL_ADMINISTRATOR) throw new UsageError(`--role: Graph lets an active relationship lose only Global Administrator, not ${roleName(role)}`);
  return role;
});

export const schema = z.object({ role: roleSchema, ...fleetFields }).check(across((o) => fleetProblem('remove-role', o)));
export type Options = output<typeof schema>;

export const question = (o: Options) => fleetQuestion('remove-role', o);

export const run = (opts: Options, ctx: Context): Promise<Carried<FleetRow[]>> => runFleet(ctx, { kind: 'remove-role', role: opts.role }, opts);
export const show = showFleet;

export function register(client: Command, ctx: Context): void {
  client
    .command('remove-role')
    .description("Remove Global Administrator from clients' active granular relationships (the one role Graph lets an active relationship lose), so they can auto-extend")
    .argument('[domain...]', "clients' domains, or tenant ids")
    .option('--role <role>', 'the role to remove: Global Administrator (by name or id)')
    .option('--all', 'every client with an active granular relationship that has the role (the others are listed as skipped)')
    .option('--file <csv|->', 'every client in a CSV file with a domain column (a tenant id also serves; - for stdin)')
    .option('--dry-run', 'print what would change, one line per client, and change nothing')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText(
      'after',
      '\nAsks y/N on a terminal; pass --yes in scripts. Per relationship Graph is asked to PATCH its roles (a long-running operation).\n\nExamples:\n  delegate client remove-role contoso.com --role "Global Administrator" --yes\n  delegate client remove-role --all --role "Global Administrator" --dry-run',
    )
    .action(async (domains: string[], raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, domains });
      const q = question(opts);
      if (q) await ctx.confirm(q);
      await show(ctx, opts, await run(opts, ctx));
    });
}
