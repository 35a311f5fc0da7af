/**
 * Where sync keeps Microsoft's answers between its reads and its reconcile (SPEC.md "Sync at partner
 * scale", "Staged, chunked and resumable"): in the store, a page at a time as the answers arrive,
 * so an interrupted or throttled sync resumes from them; with `--dry-run`, in memory (never resumed).
 * One sync at a time per store: the run is claimed with a lease, renewed while the sync works;
 * a second sync while it lasts is exit 5 naming the running one. Staged answers older than a day,
 * or from a sync of other parts, are discarded; `--restart` discards them.
 */
import type { Clock } from '../core/clock.js';
import { ConflictError } from '../core/errors.js';
import type { StagedItem, StageKind, Store, SyncRun } from '../core/store.js';
import type { SyncPart } from './types.js';

/** Staged answers older than this are discarded (Graph's next links and the answers go stale). */
export const STAGE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** A sync's lease on its run, renewed a third of the way through. */
export const RUN_LEASE_MS = 30_000;

/**
 * The store, its transactions taken one after another: sync's pipelines, its stage and its lease
 * share one connection, which runs one transaction at a time.
 */
export function serialStore(store: Store): Store {
  let tail: Promise<unknown> = Promise.resolve();
  const queue = <T>(f: () => Promise<T>): Promise<T> => {
    const r = tail.then(f, f);
    tail = r.catch(() => undefined);
    return r;
  };
  return {
    path: store.path,
    ...(store.login !== undefined ? { login: store.login } : {}),
    ...(store.migrated !== undefined ? { migrated: store.migrated } : {}),
    read: (fn) => queue(() => store.read(fn)),
    write: (fn, opts) => queue(() => store.write(fn, opts)),
    close: () => store.close(),
  };
}

export interface Stage {
  readonly persistent: boolean;
  /** The newest audit sequence number, read at most once a second (an older one only keeps more of the ledger). */
  seq(): Promise<number>;
  put(items: readonly StagedItem[]): Promise<void>;
  get(kind: StageKind, keys: readonly string[]): Promise<Map<string, StagedItem>>;
  after(kind: StageKind, after: string, size: number): Promise<StagedItem[]>;
  count(kind: StageKind): Promise<number>;
}

/** The stage in the store: every put is its own short transaction. */
export function storeStage(store: Store, clock: Clock): Stage {
  let cached: { seq: number; at: number } | undefined;
  return {
    persistent: true,
    async seq() {
      const now = clock.now().getTime();
      if (!cached || now - cached.at >= 1000) cached = { seq: (await store.read(async (tx) => (await tx.lastAudit())?.seq)) ?? 0, at: now };
      return cached.seq;
    },
    put: (items) => store.write((tx) => tx.sync.stage(items)),
    get: (kind, keys) => store.read((tx) => tx.sync.staged(kind, keys)),
    after: (kind, after, size) => store.read((tx) => tx.sync.stagedAfter(kind, after, size)),
    count: (kind) => store.read((tx) => tx.sync.stagedCount(kind)),
  };
}

/** The stage of a dry run: in memory, gone when the command ends. */
export function memoryStage(store: Store): Stage {
  const kinds = new Map<StageKind, Map<string, StagedItem>>();
  const of = (k: StageKind) => kinds.get(k) ?? kinds.set(k, new Map()).get(k)!;
  // Each kind's items in key order, sorted once after a put (a dry run pages through them many times).
  const sorted = new Map<StageKind, StagedItem[]>();
  const inOrder = (k: StageKind) => sorted.get(k) ?? sorted.set(k, [...of(k).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))).get(k)!;
  let seq: number | undefined;
  return {
    persistent: false,
    async seq() {
      seq ??= (await store.read(async (tx) => (await tx.lastAudit())?.seq)) ?? 0;
      return seq;
    },
    async put(items) {
      for (const it of items) {
        of(it.kind).set(it.key, it);
        sorted.delete(it.kind);
      }
    },
    async get(kind, keys) {
      const m = of(kind);
      return new Map(keys.filter((k) => m.has(k)).map((k) => [k, m.get(k)!]));
    },
    async after(kind, after, size) {
      const all = inOrder(kind);
      // The first key past `after`, by binary search.
      let lo = 0;
      for (let hi = all.length; lo < hi; ) {
        const mid = (lo + hi) >> 1;
        if (all[mid]!.key <= after) lo = mid + 1;
        else hi = mid;
      }
      return all.slice(lo, lo + size);
    },
    async count(kind) {
      return of(kind).size;
    },
  };
}

export interface RunOwner {
  host: string;
  pid: number;
}

export interface BeganRun {
  /** Items already staged by an earlier sync (resumed), 0 when starting afresh. */
  resumable: number;
  end(discard: boolean): Promise<void>;
}

/**
 * Claim the store's one sync run. Another sync whose lease holds (and whose process is alive, on
 * this host) is exit 5 naming it. Staged answers are kept for this run only when they are less
 * than a day old, of the same parts and `full`, and `restart` is not asked.
 */
export async function beginRun(
  store: Store,
  clock: Clock,
  o: { owner: RunOwner; parts: readonly SyncPart[]; full: boolean; restart: boolean; alive: (host: string, pid: number) => boolean },
): Promise<BeganRun> {
  const now = clock.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const parts = [...o.parts].sort().join(',');
  const mine: SyncRun = { startedAt: now.toISOString(), parts, full: o.full, owner: { ...o.owner, leaseUntil: iso(now.getTime() + RUN_LEASE_MS) } };
  const resumable = await store.write(async (tx) => {
    const running = await tx.sync.run();
    if (running) {
      const held = running.owner.leaseUntil > now.toISOString() && o.alive(running.owner.host, running.owner.pid);
      if (held && !(running.owner.host === o.owner.host && running.owner.pid === o.owner.pid)) {
        throw new ConflictError(
          `a sync is already running on this store (process ${running.owner.pid} on ${running.owner.host}, started ${running.startedAt}); wait for it to finish, or stop it`,
        );
      }
      const stale = now.getTime() - Date.parse(running.startedAt) > STAGE_MAX_AGE_MS;
      const keep = !o.restart && !stale && running.parts === parts && running.full === o.full;
      if (!keep) await tx.sync.discardStage();
      if (!(await tx.sync.claimRun(keep ? { ...mine, startedAt: running.startedAt } : mine, running.owner.leaseUntil))) {
        throw new ConflictError('another sync took this store over at the same moment; run sync again');
      }
      if (!keep) return 0;
      let n = 0;
      for (const k of ['relationship', 'assignments', 'contract', 'dap', 'agents'] as const) n += await tx.sync.stagedCount(k);
      return n;
    }
    await tx.sync.discardStage();
    if (!(await tx.sync.claimRun(mine, null))) throw new ConflictError('another sync started on this store at the same moment; run sync again');
    return 0;
  });
  const timer = setInterval(() => {
    store.write((tx) => tx.sync.renewRun(o.owner.host, o.owner.pid, iso(clock.now().getTime() + RUN_LEASE_MS))).catch(() => undefined);
  }, RUN_LEASE_MS / 3);
  timer.unref();
  return {
    resumable,
    async end(discard) {
      clearInterval(timer);
      await store.write((tx) => tx.sync.endRun(o.owner.host, o.owner.pid, discard));
    },
  };
}
