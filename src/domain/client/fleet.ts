/**
 * Fleet work (SPEC.md "Fleet work and the shell"): `client extend`, `client
 * terminate` and `client remove-role` over many clients at once, keeping the
 * bulk rules: every named client is checked first (all-or-nothing: one that
 * does not exist, or that the action cannot apply to, is a bad row, each
 * named by line, and nothing is written or sent); `--all` selects the clients
 * the action applies to and lists those it skips; `--dry-run` decides and
 * writes nothing; the output is one line per client. Each client's change is
 * decided as the single-client command decides it; together they are one
 * Change, so `--plan` prints every request and `--live` sends each client's
 * requests as one item (a failed client is listed, the others recorded).
 */
import { appendAudit } from '../core/audit.js';
import { BadRows, eachRow, requireField, type RowSource, type SourceRow } from '../core/bulk.js';
import { combine, type Carried, type Change, type Mode } from '../plan/decision.js';
import { inScope } from '../plan/request.js';
import { carryOut } from '../plan/carry-out.js';
import { ConflictError, DelegateError, UsageError } from '../core/errors.js';
import { byItem } from '../plan/request.js';
import { planRemoveRole } from '../plan/relationship-requests.js';
import type { ClientRecord, Cloud, Relationship } from '../core/model.js';
import { decideExtend, decideTermination, fromReply, toTerminate } from './lifecycle.js';
import type { MsRelationshipReply } from '../plan/relationship-requests.js';
import { activeGdap, relationshipState, replaceGdap } from '../relationship/relationships.js';
import { GLOBAL_ADMINISTRATOR, roleName } from '../relationship/roles.js';
import { clientKey, may, requirePartner, resolveActor, type Session } from '../core/session.js';
import type { Tx } from '../core/store.js';
import * as v from '../core/validate.js';

export type FleetAction = { kind: 'extend'; on: boolean } | { kind: 'terminate' } | { kind: 'remove-role'; role: string };

/** One line per client. */
export interface FleetRow {
  client: string;
  /** done: changed (or would be, with --dry-run); unchanged: already as asked; skipped: --all found nothing it may do there. */
  outcome: 'done' | 'unchanged' | 'skipped';
  relationships: string[];
  detail: string;
}

/**
 * Several clients' changes as one (decision.ts `combine`: request ids prefixed
 * `c<n>_` per client), each labelled with its client.
 */
function together<T>(parts: readonly { key: string; change: Change<T> }[]): Change<T[]> {
  return combine(
    parts.map((p) => ({ ...p.change, steps: p.change.steps, labels: p.change.steps.map((_, j) => `${p.key}${p.change.labels?.[j] ? ` "${p.change.labels[j]}"` : ''}`) })),
    'c',
  );
}

// ---------------------------------------------------------------- remove a role

export interface RoleRemoved {
  client: ClientRecord;
  changed: Relationship[];
}

/**
 * Take a role off a client's active granular relationships that hold it.
 * Graph lets an active relationship lose only Global Administrator ("You can
 * only remove the Microsoft Entra Global Administrator role when the status
 * property is active, which indicates a long-running operation";
 * https://learn.microsoft.com/graph/api/delegatedadminrelationship-update).
 * Per relationship: read it for its ETag, then PATCH accessDetails with the
 * roles it keeps, with If-Match.
 */
export function decideRemoveRole(s: Session, cloud: Cloud, actorEmail: string, c: ClientRecord, role: string): Change<RoleRemoved> {
  const now = s.clock.now();
  const holding = activeGdap(c, now).filter((r) => r.roles.includes(role));
  if (holding.length === 0) throw new ConflictError(`No active granular relationship with ${c.domain} has ${roleName(role)}`);
  const changed = holding.map((r): Relationship => ({ ...r, roles: r.roles.filter((x) => x !== role), endsAt: relationshipState(r, now).endsAt }));
  const steps = byItem(inScope(`client:${c.domain}`, planRemoveRole(cloud, changed.map((r) => ({ id: r.id, roles: r.roles })))));
  const write = async (tx: Tx, done: Relationship[], live: boolean): Promise<RoleRemoved> => {
    for (const r of done) await tx.replaceRelationship(r.id, r);
    if (done.length) {
      await appendAudit(tx, s.clock, {
        actor: actorEmail,
        action: 'client.remove-role',
        target: c.domain,
        outcome: 'allowed',
        detail: done.map((r) => `"${r.displayName}": ${roleName(role)} removed`).join('; ') + (live ? ' (at Microsoft)' : ''),
      });
    }
    return { client: replaceGdap(c, done), changed: done };
  };
  return {
    steps,
    labels: changed.map((r) => r.displayName),
    apply: (tx) => write(tx, changed, false),
    record: (tx, responses) => {
      const done = changed.flatMap((r, i) => {
        const reply = responses.get(steps[i]![steps[i]!.length - 1]!.id);
        return reply ? [fromReply(r, reply as MsRelationshipReply)] : [];
      });
      return write(tx, done, true);
    },
  };
}

// ---------------------------------------------------------------- the bulk command

const ACTIONS = { extend: 'client.extend', terminate: 'client.terminate', 'remove-role': 'client.remove-role' } as const;

/** What one client's change says, as its output line. */
function rowOf(action: FleetAction, key: string, value: unknown, labels: readonly string[]): FleetRow {
  if (action.kind === 'extend') {
    const x = value as { changed: Relationship[]; unchanged: Relationship[]; skipped: Relationship[] };
    const names = (l: Relationship[]) => l.map((r) => r.displayName);
    const skipped = x.skipped.length ? `; skipped ${x.skipped.map((r) => `"${r.displayName}"`).join(', ')} (Global Administrator)` : '';
    if (x.changed.length === 0) return { client: key, outcome: 'unchanged', relationships: names(x.unchanged), detail: `auto-extend already ${action.on ? 'P180D' : 'PT0S'}${skipped}` };
    return { client: key, outcome: 'done', relationships: names(x.changed), detail: `auto-extend ${action.on ? 'P180D' : 'PT0S'}${skipped}` };
  }
  if (action.kind === 'terminate') {
    // The relationships this change ended (the client's record also keeps those ended before).
    const c = value as ClientRecord;
    const ended = c.gdap.filter((r) => labels.includes(r.displayName) && r.status === 'terminated');
    const requested = ended.some((r) => r.msStatus === 'terminationRequested');
    return { client: key, outcome: 'done', relationships: ended.map((r) => r.displayName), detail: requested ? 'termination requested at Microsoft' : 'terminated' };
  }
  const x = value as RoleRemoved;
  return { client: key, outcome: 'done', relationships: x.changed.map((r) => r.displayName), detail: `${roleName(action.role)} removed` };
}

/**
 * Run a fleet action over the clients named (rows with a `domain`, a tenant id
 * also serving), or, with `all`, every client it applies to. Returns one row
 * per client; with `dryRun`, what would be done, nothing written.
 */
export async function fleetAction(
  s: Session,
  action: FleetAction,
  select: { rows?: RowSource; all?: boolean; source: string },
  opts: { mode: Mode; dryRun: boolean },
): Promise<Carried<FleetRow[]>> {
  if (action.kind === 'remove-role' && action.role !== GLOBAL_ADMINISTRATOR) {
    throw new UsageError(`--role: Graph lets an active relationship lose only Global Administrator, not ${roleName(action.role)}`);
  }
  const rows: SourceRow[] = [];
  if (select.rows) for await (const row of eachRow(select.rows)) rows.push(row);
  return carryOut(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      const now = s.clock.now();
      const decideOne = (c: ClientRecord): Change<unknown> => {
        if (action.kind === 'extend') return decideExtend(s, partner.cloud, actor.email, c, action.on);
        if (action.kind === 'terminate') return decideTermination(s, partner.cloud, c, toTerminate(c, now), actor.email);
        return decideRemoveRole(s, partner.cloud, actor.email, c, action.role);
      };
      const parts: { key: string; change: Change<unknown> }[] = [];
      const skipped: FleetRow[] = [];
      if (select.all) {
        for (const c of await tx.listClients({})) {
          if (activeGdap(c, now).length === 0) continue;
          try {
            parts.push({ key: c.domain, change: decideOne(c) });
          } catch (e) {
            if (!(e instanceof ConflictError)) throw e;
            skipped.push({ client: c.domain, outcome: 'skipped', relationships: [], detail: e.message });
          }
        }
      } else {
        // All-or-nothing: every row is checked (input, existence, state) before anything is decided for good.
        // A file's bad rows are named by line; clients named on the command line by name.
        const bad = new BadRows(select.source);
        const badArgs: string[] = [];
        const fault = (row: SourceRow, reason: string) => (row.line === undefined ? badArgs.push(reason) : bad.add(row, reason));
        const seen = new Map<string, number | undefined>();
        for (const row of rows) {
          if (bad.unreadable(row)) continue;
          let refIn: string;
          try {
            refIn = v.clientRef(requireField(row, 'domain'));
          } catch (e) {
            if (!(e instanceof UsageError)) throw e;
            fault(row, e.message);
            continue;
          }
          const key = await clientKey(tx, refIn);
          if (seen.has(key)) {
            fault(row, `${key} appears twice${seen.get(key) !== undefined ? ` (also on line ${seen.get(key)})` : ''}`);
            continue;
          }
          seen.set(key, row.line);
          const c = await tx.getClient(key);
          if (!c) {
            fault(row, `${refIn}: no such client`);
            continue;
          }
          try {
            parts.push({ key: c.domain, change: decideOne(c) });
          } catch (e) {
            if (!(e instanceof DelegateError) || e.exitCode === 1) throw e;
            fault(row, e.message);
          }
        }
        bad.throwIfAny();
        if (badArgs.length) throw new UsageError(`${badArgs.length} bad client${badArgs.length === 1 ? '' : 's'}, nothing written: ${badArgs.join('; ')}`);
        if (parts.length === 0) throw new UsageError(`${select.source} names no client`);
      }
      may.fullOrGlobalAdmin(actor, ACTIONS[action.kind], parts.length === 1 ? parts[0]!.key : select.source, action.kind === 'extend' ? 'change how client relationships extend' : 'end client relationships');
      const all = together(parts);
      const rowsOf = (values: unknown[]) => [...values.map((value, i) => rowOf(action, parts[i]!.key, value, parts[i]!.change.labels ?? [])), ...skipped];
      if (opts.dryRun) {
        // Decided, not done: what each client's change would be.
        const preview = parts.map((p) => previewOf(action, p.change));
        return { steps: [], apply: async () => rowsOf(preview), record: async () => rowsOf(preview) };
      }
      return {
        steps: all.steps,
        labels: all.labels!,
        notes: all.notes!,
        apply: async (tx2) => rowsOf(await all.apply(tx2)),
        record: async (tx2, responses, failures) => {
          // A client whose requests all failed changed nothing: it is listed as a failure, not as a line.
          const values = await all.record(tx2, responses, failures);
          return [...values.flatMap((value, i) => (emptyResult(action, value) ? [] : [rowOf(action, parts[i]!.key, value, parts[i]!.change.labels ?? [])])), ...skipped];
        },
      };
    },
    opts.mode,
  );
}

/** A client whose live requests all failed changed nothing: it is listed as a failure, not as a row. */
function emptyResult(action: FleetAction, value: unknown): boolean {
  if (action.kind === 'extend') return (value as { changed: unknown[]; unchanged: unknown[] }).changed.length === 0 && (value as { unchanged: unknown[] }).unchanged.length === 0;
  if (action.kind === 'terminate') return false;
  return (value as RoleRemoved).changed.length === 0;
}

/** What a decided change would do, without doing it (for --dry-run), from its labels. */
function previewOf(action: FleetAction, change: Change<unknown>): unknown {
  const labels = (change.labels ?? []).map((displayName) => ({ displayName }) as Relationship);
  if (action.kind === 'extend') return { changed: labels, unchanged: [], skipped: [] };
  if (action.kind === 'terminate') return { gdap: labels.map((r) => ({ ...r, status: 'terminated' })) };
  return { changed: labels };
}
