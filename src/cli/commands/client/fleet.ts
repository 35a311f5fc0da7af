/**
 * `client extend|terminate|remove-role` over many clients (`[<domain>...]`,
 * `--all`, `--file <csv|->` with a `domain` column, `--dry-run`): one line per
 * client. One client named alone (no --file, --all or --dry-run) keeps the
 * single-client command's output; `remove-role` always prints lines.
 * The verbs' files put these options in their schemas and call run and show.
 */
import { fleetAction, type FleetAction, type FleetRow } from '../../../domain/client/fleet.js';
import { LEDGER, type Carried } from '../../../domain/plan/decision.js';
import type { Context } from '../../context.js';
import { argRows, sourceName } from '../../csv.js';
import { csvRows } from '../../bulk.js';
import { flag, planSchema, text, unreadable } from '../../command.js';
import { deliver, sessionAndMode } from '../../live.js';
import { renderList, type View } from '../../render.js';
import { z } from '../../schema.js';
import { clientRefSchema } from './common.js';

export const fleetView: View<FleetRow> = {
  fields: ['client', 'outcome', 'relationships', 'detail'],
  table: { key: ['client'], drop: ['relationships'], min: { detail: 20 } },
  columns: [
    { header: 'client', value: (r) => r.client },
    { header: 'outcome', value: (r) => r.outcome },
    { header: 'relationships', value: (r) => r.relationships.join(', ') },
    { header: 'detail', value: (r) => r.detail },
  ],
  json: (r) => ({ client: r.client, outcome: r.outcome, relationships: r.relationships, detail: r.detail }),
};

/** The options of a verb that takes many clients, in the order they are checked. */
export const fleetFields = {
  plan: planSchema,
  domains: z.array(clientRefSchema),
  all: flag,
  file: text,
  dryRun: flag,
  live: flag,
};

export interface FleetOptions {
  plan?: boolean;
  domains: string[];
  all?: boolean;
  file?: string;
  dryRun?: boolean;
  live?: boolean;
}

/** Whether a command line asks for the bulk form. */
export function isBulk(o: FleetOptions): boolean {
  return o.domains.length !== 1 || Boolean(o.all || o.file || o.dryRun);
}

/** What is wrong with how the clients are named, checked across options (`terminate` has no --all). */
export function fleetProblem(kind: FleetAction['kind'], o: FleetOptions): string | undefined {
  const given = [o.domains.length > 0, Boolean(o.all), Boolean(o.file)].filter(Boolean).length;
  if (given === 0) return `Name the clients: <domain>...${kind === 'terminate' ? '' : ', --all'} or --file <csv|->`;
  if (given > 1) return `Give <domain>...${kind === 'terminate' ? '' : ', --all'} or --file, one of them`;
  if (o.plan && o.dryRun) return 'Give --plan or --dry-run, not both';
  if (o.dryRun && o.live) return '--dry-run writes and sends nothing; --live sends: give one';
  return unreadable(o.file);
}

/** A verb that takes one client or many: `--relationship` only with one, then fleetProblem. */
export function oneOrManyProblem(kind: FleetAction['kind']) {
  return (o: FleetOptions & { relationship?: string }) => (isBulk(o) && o.relationship !== undefined ? '--relationship goes with one client' : fleetProblem(kind, o));
}

const VERB: Record<FleetAction['kind'], string> = { extend: 'Change auto-extend of', terminate: 'Terminate the active granular relationships of', 'remove-role': 'Remove the role from the active granular relationships of' };

/** The y/N question of a destructive bulk change; none for a plan or a dry run. */
export function fleetQuestion(kind: FleetAction['kind'], o: FleetOptions): string | undefined {
  if (o.plan || o.dryRun) return undefined;
  const who = o.all ? 'every client it applies to' : o.file ? `the clients in ${sourceName(o.file)}` : o.domains.join(', ');
  return `${VERB[kind]} ${who}?`;
}

export async function runFleet(ctx: Context, action: FleetAction, o: FleetOptions): Promise<Carried<FleetRow[]>> {
  let rows;
  let source = 'arguments';
  if (o.file) {
    source = sourceName(o.file);
    rows = csvRows(ctx, o.file, { required: ['domain'], optional: [] });
  } else if (!o.all) rows = argRows(o.domains, 'domain');
  const { s, mode } = o.dryRun ? { s: await ctx.session({ actor: true }), mode: LEDGER } : await sessionAndMode(ctx, o, { inClient: false, action: `client.${action.kind}`, target: source });
  return fleetAction(s, action, { ...(rows ? { rows } : {}), ...(o.all ? { all: true } : {}), source }, { mode, dryRun: Boolean(o.dryRun) });
}

export async function showFleet(ctx: Context, o: FleetOptions, r: Carried<FleetRow[]>): Promise<void> {
  await deliver(ctx, r, async (out) => {
    await renderList(await ctx.target(), fleetView, out);
    const done = out.filter((x) => x.outcome === 'done').length;
    const skipped = out.filter((x) => x.outcome === 'skipped').length;
    ctx.note(
      `${o.dryRun ? 'Dry run: ' : ''}${done} client${done === 1 ? '' : 's'} ${o.dryRun ? 'would change' : 'changed'}${skipped ? `, ${skipped} skipped` : ''}${o.dryRun ? '; nothing was written.' : '.'}`,
    );
  });
}
