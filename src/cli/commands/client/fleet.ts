/**
 * `client extend|terminate|remove-role` over many clients (`[<domain>...]`,
 * `--all`, `--file <csv|->` with a `domain` column, `--dry-run`): one line per
 * client. One client named alone (no --file, --all or --dry-run) keeps the
 * single-client command's output; `remove-role` always prints lines.
 */
import { UsageError } from '../../../domain/core/errors.js';
import { fleetAction, type FleetAction, type FleetRow } from '../../../domain/client/fleet.js';
import { LEDGER } from '../../../domain/plan/decision.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { csvRows } from '../../bulk.js';
import { deliver, sessionAndMode } from '../../live.js';
import { planFlag } from '../../plan.js';
import { renderList, type View } from '../../render.js';

export const fleetView: View<FleetRow> = {
  fields: ['client', 'outcome', 'relationships', 'detail'],
  columns: [
    { header: 'client', value: (r) => r.client },
    { header: 'outcome', value: (r) => r.outcome },
    { header: 'relationships', value: (r) => r.relationships.join(', ') },
    { header: 'detail', value: (r) => r.detail },
  ],
  json: (r) => ({ client: r.client, outcome: r.outcome, relationships: r.relationships, detail: r.detail }),
};

export interface FleetFlags {
  all?: boolean;
  file?: string;
  dryRun?: boolean;
  plan?: string | boolean;
  live?: boolean;
}

/** Whether a command line asks for the bulk form. */
export function isBulk(domains: readonly string[], raw: FleetFlags): boolean {
  return domains.length !== 1 || Boolean(raw.all || raw.file || raw.dryRun);
}

const VERB: Record<FleetAction['kind'], string> = { extend: 'Change auto-extend of', terminate: 'Terminate the active granular relationships of', 'remove-role': 'Remove the role from the active granular relationships of' };

export async function runFleet(ctx: Context, action: FleetAction, domains: readonly string[], raw: FleetFlags, opts: { destructive: boolean }): Promise<void> {
  const plan = planFlag(raw);
  const given = [domains.length > 0, Boolean(raw.all), Boolean(raw.file)].filter(Boolean).length;
  if (given === 0) throw new UsageError(`Name the clients: <domain>...${action.kind === 'terminate' ? '' : ', --all'} or --file <csv|->`);
  if (given > 1) throw new UsageError(`Give <domain>...${action.kind === 'terminate' ? '' : ', --all'} or --file, one of them`);
  if (plan && raw.dryRun) throw new UsageError('Give --plan or --dry-run, not both');
  if (raw.dryRun && raw.live) throw new UsageError('--dry-run writes and sends nothing; --live sends: give one');
  domains.forEach((d) => v.clientRef(d));
  let rows;
  let source = 'arguments';
  if (raw.file) {
    checkReadable(raw.file);
    source = sourceName(raw.file);
    rows = csvRows(ctx, raw.file, { required: ['domain'], optional: [] });
  } else if (!raw.all) rows = argRows(domains, 'domain');
  const who = raw.all ? 'every client it applies to' : raw.file ? `the clients in ${source}` : domains.join(', ');
  if (opts.destructive && !plan && !raw.dryRun) await ctx.confirm(`${VERB[action.kind]} ${who}?`);
  const { s, mode } = raw.dryRun ? { s: await ctx.session({ actor: true }), mode: LEDGER } : await sessionAndMode(ctx, raw, { inClient: false, action: `client.${action.kind}`, target: source });
  const r = await fleetAction(s, action, { ...(rows ? { rows } : {}), ...(raw.all ? { all: true } : {}), source }, { mode, dryRun: Boolean(raw.dryRun) });
  await deliver(ctx, r, async (out) => {
    await renderList(await ctx.target(), fleetView, out);
    const done = out.filter((x) => x.outcome === 'done').length;
    const skipped = out.filter((x) => x.outcome === 'skipped').length;
    ctx.note(
      `${raw.dryRun ? 'Dry run: ' : ''}${done} client${done === 1 ? '' : 's'} ${raw.dryRun ? 'would change' : 'changed'}${skipped ? `, ${skipped} skipped` : ''}${raw.dryRun ? '; nothing was written.' : '.'}`,
    );
  });
}
