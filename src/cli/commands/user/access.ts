/**
 * What `user grant-admin` and `user revoke-admin` share: the bulk change of
 * admin access, in the ledger (each change printed as it is made, held back
 * until the change commits), as a plan, or live.
 */
import { changeAdminAccess, changeAdminAccessLive, planAdminAccess, type AccessChange } from '../../../domain/partner/users.js';
import { LEDGER, type Carried } from '../../../domain/plan/decision.js';
import type { RowSource } from '../../../domain/core/bulk.js';
import type { PlannedRequest } from '../../../domain/plan/request.js';
import type { Context } from '../../context.js';
import { withBulkOutput } from '../../bulk.js';
import { deliver, sessionAndMode } from '../../live.js';
import { printPlan } from '../../plan.js';
import { renderList } from '../../render.js';
import { accessChangeView } from '../../views.js';

export type AccessOptions = Omit<Parameters<typeof changeAdminAccess>[2], 'sink' | 'restart'>;

/** Where the ledger's changes go as they are made (the view's sink), and how an attempt's are taken back. */
export type Stream = (work: (sink: (changes: AccessChange[]) => Promise<void>, restart: () => void) => Promise<unknown>) => Promise<void>;

export type AccessResult = { kind: 'live'; r: Carried<AccessChange[]> } | { kind: 'plan'; requests: PlannedRequest[] } | { kind: 'ledger'; changed: number; dryRun: boolean };

/** The view's stream: changes printed as they are made, held back until the change commits. */
export const accessStream = (ctx: Context): Stream => async (work) => {
  await withBulkOutput(ctx, accessChangeView, work);
};

export async function runAccess(ctx: Context, rows: RowSource, opts: AccessOptions, flags: { plan?: boolean; live?: boolean }, stream: Stream): Promise<AccessResult> {
  const action = opts.mode === 'grant' ? 'user.grant-admin' : 'user.revoke-admin';
  const { s: session, mode } = opts.dryRun ? { s: await ctx.session({ actor: true }), mode: LEDGER } : await sessionAndMode(ctx, flags, { inClient: false, action, target: opts.source });
  if (mode.kind === 'live') return { kind: 'live', r: await changeAdminAccessLive(session, rows, opts, mode.microsoft) };
  if (flags.plan) return { kind: 'plan', requests: await planAdminAccess(session, rows, opts) };
  let changed = 0;
  await stream(async (sink, restart) =>
    changeAdminAccess(session, rows, {
      ...opts,
      sink: async (changes) => {
        for (const c of changes) if (c.changed) changed++;
        await sink(changes);
      },
      restart: () => {
        changed = 0;
        restart();
      },
    }),
  );
  return { kind: 'ledger', changed, dryRun: opts.dryRun };
}

export async function showAccess(ctx: Context, r: AccessResult): Promise<void> {
  if (r.kind === 'live') {
    if (r.r.kind !== 'done') return;
    return deliver(ctx, r.r, async (value) => {
      await renderList(await ctx.target(), accessChangeView, value);
      const n = value.filter((c) => c.changed).length;
      ctx.note(`${n} user${n === 1 ? '' : 's'} changed at Microsoft (agent group membership) and recorded.`);
    });
  }
  if (r.kind === 'plan') {
    return printPlan(ctx, r.requests, r.requests.length ? "Run these against your own tenant: admin access is membership of your AdminAgents / HelpdeskAgents groups." : 'Every user already has the access asked for: no request is needed.');
  }
  const users = `${r.changed} user${r.changed === 1 ? '' : 's'}`;
  ctx.note(r.dryRun ? `Dry run: ${users} would change; nothing was written.` : `${users} changed.`);
}

/** `--plan` and `--dry-run` both write nothing; they print different things, so one at a time. */
export function planOrDryRun(o: { plan?: boolean; dryRun?: boolean }): string | undefined {
  return o.plan && o.dryRun ? 'Give --plan or --dry-run, not both' : undefined;
}

/** Emails or a file, one of them. */
export function emailsOrFile(emails: string[], file: string | undefined, command: string): string | undefined {
  if (emails.length && file) return `Give emails or --file, not both (${command})`;
  if (!emails.length && !file) return `Give one or more emails, or --file <csv|-> (${command})`;
  return undefined;
}
