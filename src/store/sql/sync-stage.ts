/**
 * What `delegate sync` keeps between its reads and its reconcile (SPEC.md "Sync at partner scale"),
 * written once for both backends over the shared SqlDriver: the staged answers (one row per item,
 * keyed by what reconcile looks them up by), the one running sync (its owner and lease), and what
 * each ledger record last read from Microsoft (so a later sync reads only what may have changed).
 * Outside the audit chain and db copy: staging is a cache of Microsoft's answers, not the ledger.
 */
import type { StagedItem, StageKind, SyncRun, SyncTx } from '../../domain/core/store.js';
import type { Awaitable, SqlDriver } from './driver.js';
import { toRelationship, type Row } from './rows.js';
import type { Dialect } from './dialect.js';

/** The schema (both dialects: text, integer). SQLite migration 13, PostgreSQL migration 3. */
export const SYNC_DDL = `
  CREATE TABLE sync_stage (
    kind TEXT NOT NULL,
    item_key TEXT NOT NULL,
    body TEXT NOT NULL,
    seq INTEGER NOT NULL,
    staged_at TEXT NOT NULL,
    PRIMARY KEY (kind, item_key)
  );
  CREATE TABLE sync_run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    started_at TEXT NOT NULL,
    parts TEXT NOT NULL,
    full_read INTEGER NOT NULL,
    owner_host TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    lease_until TEXT NOT NULL
  );
  ALTER TABLE relationships ADD COLUMN assignments_etag TEXT;
  ALTER TABLE relationships ADD COLUMN assignments_read_at TEXT;
  ALTER TABLE clients ADD COLUMN dap_read_at TEXT;
  ALTER TABLE offers ADD COLUMN origin TEXT NOT NULL DEFAULT 'delegate' CHECK (origin IN ('delegate', 'sync'));
`;

const marks = (n: number) => Array<string>(n).fill('?').join(', ');
/** Keys a statement takes at once (well under both drivers' parameter limits). */
const IN_CHUNK = 500;

async function inChunks(keys: readonly string[], f: (chunk: readonly string[]) => Awaitable<Row[]>): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < keys.length; i += IN_CHUNK) out.push(...(await f(keys.slice(i, i + IN_CHUNK))));
  return out;
}

const toRun = (r: Record<string, unknown>): SyncRun => ({
  startedAt: r.started_at as string,
  parts: r.parts as string,
  full: Number(r.full_read) === 1,
  owner: { host: r.owner_host as string, pid: Number(r.owner_pid), leaseUntil: r.lease_until as string },
});

/** The sync Tx methods over a backend's driver. */
export function syncMethods(q: Pick<SqlDriver, 'all' | 'get' | 'run'>, d: Pick<Dialect, 'sameName'>): SyncTx {
  return {
    async run() {
      const r = await q.get('SELECT * FROM sync_run WHERE id = 1', []);
      return r ? toRun(r) : undefined;
    },
    async claimRun(run, expectedLease) {
      if (expectedLease === null) {
        const n = await q.run(
          'INSERT INTO sync_run (id, started_at, parts, full_read, owner_host, owner_pid, lease_until) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
          [run.startedAt, run.parts, run.full ? 1 : 0, run.owner.host, run.owner.pid, run.owner.leaseUntil],
        );
        return n === 1;
      }
      const n = await q.run('UPDATE sync_run SET started_at = ?, parts = ?, full_read = ?, owner_host = ?, owner_pid = ?, lease_until = ? WHERE id = 1 AND lease_until = ?', [
        run.startedAt, run.parts, run.full ? 1 : 0, run.owner.host, run.owner.pid, run.owner.leaseUntil, expectedLease,
      ]);
      return n === 1;
    },
    async renewRun(host, pid, until) {
      await q.run('UPDATE sync_run SET lease_until = ? WHERE id = 1 AND owner_host = ? AND owner_pid = ?', [until, host, pid]);
    },
    async endRun(host, pid, discard) {
      if (discard) {
        await q.run('DELETE FROM sync_stage', []);
        await q.run('DELETE FROM sync_run WHERE id = 1', []);
      } else {
        await q.run('UPDATE sync_run SET lease_until = ? WHERE id = 1 AND owner_host = ? AND owner_pid = ?', [new Date(0).toISOString(), host, pid]);
      }
    },
    async discardStage() {
      await q.run('DELETE FROM sync_stage', []);
    },
    async stage(items) {
      for (const it of items) {
        await q.run(
          'INSERT INTO sync_stage (kind, item_key, body, seq, staged_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, item_key) DO UPDATE SET body = excluded.body, seq = excluded.seq, staged_at = excluded.staged_at',
          [it.kind, it.key, it.body, it.seq, it.at],
        );
      }
    },
    async staged(kind, keys) {
      const rows = await inChunks(keys, (c) => q.all(`SELECT item_key, body, seq, staged_at FROM sync_stage WHERE kind = ? AND item_key IN (${marks(c.length)})`, [kind, ...c]));
      return new Map(rows.map((r) => [r.item_key as string, { kind, key: r.item_key as string, body: r.body as string, seq: Number(r.seq), at: r.staged_at as string }]));
    },
    async stagedAfter(kind, after, size) {
      const rows = await q.all(`SELECT item_key, body, seq, staged_at FROM sync_stage WHERE kind = ? AND item_key > ? ORDER BY item_key LIMIT ${Math.max(1, Math.floor(size))}`, [kind, after]);
      return rows.map((r): StagedItem => ({ kind, key: r.item_key as string, body: r.body as string, seq: Number(r.seq), at: r.staged_at as string }));
    },
    async stagedCount(kind) {
      return Number((await q.get('SELECT count(*) AS n FROM sync_stage WHERE kind = ?', [kind]))!.n);
    },
    async relationshipReads(ids) {
      const rows = await inChunks(ids, (c) =>
        q.all(
          `SELECT r.id, r.etag, r.assignments_etag, r.assignments_read_at,
             (SELECT count(*) FROM access_assignments a WHERE a.relationship_id = r.id AND a.status IS NOT NULL AND a.status <> 'active') AS unsettled
           FROM relationships r WHERE r.id IN (${marks(c.length)})`,
          c,
        ),
      );
      return new Map(
        rows.map((r) => [
          r.id as string,
          { assignmentsEtag: (r.assignments_etag as string | null) ?? null, assignmentsReadAt: (r.assignments_read_at as string | null) ?? null, unsettled: Number(r.unsettled) > 0 },
        ]),
      );
    },
    async markAssignmentsRead(reads) {
      for (const r of reads) await q.run('UPDATE relationships SET assignments_etag = ?, assignments_read_at = ? WHERE id = ?', [r.etag, r.at, r.id]);
    },
    async clientReads(tenantIds) {
      const rows = await inChunks(tenantIds, (c) =>
        q.all(
          `SELECT lower(tenant_id) AS tenant, domain, name, dap_offer_id, dap_removed_at, dap_read_at FROM clients WHERE lower(tenant_id) IN (${marks(c.length)})`,
          c,
        ),
      );
      return new Map(
        rows.map((r) => [
          r.tenant as string,
          { domain: r.domain as string, name: r.name as string, dapActive: r.dap_offer_id != null && r.dap_removed_at == null, dapReadAt: (r.dap_read_at as string | null) ?? null },
        ]),
      );
    },
    async markDapRead(domains, at) {
      for (let i = 0; i < domains.length; i += IN_CHUNK) {
        const c = domains.slice(i, i + IN_CHUNK);
        await q.run(`UPDATE clients SET dap_read_at = ? WHERE domain IN (${marks(c.length)})`, [at, ...c]);
      }
    },
    async relationshipByName(name) {
      const r = await q.get(`SELECT * FROM relationships WHERE ${d.sameName('display_name')}`, [name]);
      return r && toRelationship(r);
    },
    async relationshipPage(after, size) {
      const rows = await q.all(`SELECT id, display_name, status, ms_status, client_domain FROM relationships WHERE id > ? ORDER BY id LIMIT ${Math.max(1, Math.floor(size))}`, [after]);
      return rows.map((r) => ({
        id: r.id as string,
        displayName: r.display_name as string,
        status: r.status as string,
        msStatus: (r.ms_status as string | null) ?? null,
        clientDomain: (r.client_domain as string | null) ?? null,
      }));
    },
    async auditTargetsSince(seq) {
      const rows = await q.all("SELECT seq, target FROM audit WHERE seq > ? AND action <> 'sync' AND outcome = 'allowed' ORDER BY seq", [seq]);
      return rows.map((r) => ({ seq: Number(r.seq), target: (r.target as string).toLowerCase() }));
    },
  };
}

export type { StageKind };
