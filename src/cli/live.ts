/**
 * How a changing command is carried out: in the ledger (offline, the
 * default), printed as a plan (`--plan`), or at Microsoft and then recorded
 * (`--live`, the setting `mode=live`, or DELEGATE_MODE=live). The Microsoft
 * modules are imported only here, only for a live command, so offline
 * commands start as before.
 */
import { LEDGER, type Carried, type ItemOutcome, type LiveIntents, type Microsoft, type Mode } from '../domain/plan/decision.js';
import { DelegateError, NotPermittedError, UsageError } from '../domain/core/errors.js';
import { requirePartner, resolveActor, writeAudited, type Session } from '../domain/core/session.js';
import type { Context } from './context.js';
import { defaultDbPath } from './paths.js';
import { planFlag, printPlan } from './plan.js';
import { jsonText } from './render.js';
import { DEFAULT_SETTLE_SECONDS, LIMIT_SETTINGS, MODES, settingValue, type Settings } from './settings.js';
import type { Limits } from '../microsoft/limiter.js';
import type { MicrosoftClient, RetryEvent } from '../microsoft/client.js';
import type { Cloud } from '../microsoft/endpoints.js';
import type { SignInDeps } from '../microsoft/signin.js';
import { dirname } from 'node:path';

/** `.option(...LIVE_OPTION)`: the same `--live` on every command that changes something. */
export const LIVE_OPTION = ['--live', 'do this at Microsoft (after `delegate login`), then record in the ledger what Microsoft answered'] as const;

/** Whether live mode is asked for: --live, else DELEGATE_MODE, else the `mode` setting. */
export async function wantsLive(ctx: Context, raw: { live?: boolean }): Promise<boolean> {
  if (raw.live) return true;
  const env = ctx.env.DELEGATE_MODE;
  if (env !== undefined && env !== '') {
    if (!(MODES as readonly string[]).includes(env)) throw new UsageError(`DELEGATE_MODE must be offline or live, not "${env.slice(0, 40)}"`);
    return env === 'live';
  }
  return (await ctx.settings()).get('mode') === 'live';
}

/**
 * The session and mode of a changing command. Live: DELEGATE_NOW is exit 2
 * (Microsoft keeps its own time); no sign-in is exit 4 naming `delegate
 * login`; the actor is the signed-in person (an `--as` naming someone else is
 * exit 4, audited), or, with DELEGATE_ACCESS_TOKEN, chosen as offline. An
 * app-only sign-in cannot act in a client (`inClient`): exit 4, audited.
 */
export async function sessionAndMode(
  ctx: Context,
  raw: { plan?: string | boolean; live?: boolean },
  what: { inClient: boolean; action: string; target: string },
): Promise<{ s: Session; mode: Mode }> {
  const plan = planFlag(raw);
  if (plan && raw.live) throw new UsageError('--plan prints the requests and changes nothing; --live sends them: give one');
  if (plan) return { s: await ctx.session({ actor: true }), mode: { kind: 'plan' } };
  if (!(await wantsLive(ctx, raw))) return { s: await ctx.session({ actor: true }), mode: LEDGER };
  if (ctx.env.DELEGATE_NOW) throw new UsageError('DELEGATE_NOW is refused in live mode: Microsoft keeps its own time (unset it, or work offline)');
  const deps = { env: ctx.env, dataDir: dirname(defaultDbPath(ctx.env)), say: (t: string) => ctx.note(t) };
  const { loginStatus } = await import('../microsoft/signin.js');
  const { executor } = await import('../microsoft/execute.js');
  const { NotSignedInError } = await import('../microsoft/errors.js');
  const token = !!ctx.env.DELEGATE_ACCESS_TOKEN;
  const status = token ? undefined : await loginStatus(deps);
  if (status && !status.signedIn) throw new NotSignedInError();
  const declared = await ctx.actor();
  // loginStatus names an app-only sign-in `app <client id>`; a person's is the account's user name.
  const appOnly = status?.account?.startsWith('app ') === true;
  const account = appOnly ? undefined : (status?.account ?? undefined);
  const s = await ctx.session({ actor: true });
  const live: Session = account ? { ...s, actorEmail: account } : s;
  const refuse = (message: string, actor: string) =>
    writeAudited(s, async () => {
      throw new NotPermittedError(message, { actor, action: what.action, target: what.target });
    });
  if (account && declared !== undefined && declared.toLowerCase() !== account.toLowerCase()) {
    await refuse(`In live mode the actor is the signed-in account ${account}; --as ${declared} names someone else (sign in as that user with \`delegate login\`)`, declared);
  }
  if (account && s.store.login !== undefined) {
    // A team store: the acting user is the database login's (SPEC "Who is acting"); in live mode it must be the
    // signed-in account too, as a declared actor must on a local store.
    const acting = await s.store.read((tx) => resolveActor(tx, s)).catch(() => undefined);
    if (acting && acting.email.toLowerCase() !== account.toLowerCase()) {
      await refuse(
        `In live mode the actor is the signed-in account ${account}; the database login ${s.store.login} acts for ${acting.email}, someone else (sign in as that user with \`delegate login\`, or connect as your own login)`,
        acting.email,
      );
    }
  }
  if (appOnly && what.inClient) {
    await refuse(
      'An app-only sign-in (certificate or secret) cannot act in a client: Microsoft gives an application no access to a customer tenant over GDAP, only a signed-in person; run `delegate login` as a person',
      declared ?? 'app',
    );
  }
  const partner = await s.store.read((tx) => requirePartner(tx));
  const signal = ctx.interrupts.signal;
  const client = await connectLive(ctx, partner.cloud, { deps });
  // What Microsoft answered is recorded even after an interrupt (a call to Microsoft is never rolled back).
  const recording: Session = { ...live, store: ctx.recordingStore() };
  const microsoft = executor(client, partner.cloud, { signal, appOnly });
  const mode: Mode = { kind: 'live', microsoft };
  mode.intents = await liveIntents(ctx, recording, mode, what.action, client.timeoutMs);
  return { s: recording, mode };
}

/**
 * Microsoft for reading only (`doctor --live`): the signed-in client (exit 4 naming `delegate login` when
 * nobody is), the same limits and retries as a live change, and no intents (nothing is changed).
 */
export async function liveReader(ctx: Context, s: Session): Promise<Pick<Microsoft, 'read'>> {
  const partner = await s.store.read((tx) => requirePartner(tx));
  const { executor } = await import('../microsoft/execute.js');
  return executor(await connectLive(ctx, partner.cloud), partner.cloud, { signal: ctx.interrupts.signal });
}

/**
 * The client every live command talks to Microsoft through: the sign-in (or DELEGATE_ACCESS_TOKEN), the
 * limits the settings give (live.limits.*, live.concurrency), the interrupt, and a note for each retry
 * (unless the command says retries itself). Loaded only here, for live work.
 */
export async function connectLive(
  ctx: Context,
  cloud: Cloud,
  o: { deps?: SignInDeps; onRetry?: (e: RetryEvent) => void } = {},
): Promise<MicrosoftClient> {
  const { connect } = await import('../microsoft/live.js');
  return connect(o.deps ?? { env: ctx.env, dataDir: dirname(defaultDbPath(ctx.env)), say: (t: string) => ctx.note(t) }, {
    cloud,
    signal: ctx.interrupts.signal,
    limits: limitsFromSettings(await ctx.settings()),
    onRetry: o.onRetry ?? ((e) => ctx.note(`Microsoft answered ${e.status} to ${e.method} ${e.path}; trying again in ${Math.ceil(e.waitMs / 1000)} s (attempt ${e.attempt + 1}).`)),
  });
}

/** How long an intent's lease runs; the running command renews it every third of that. */
const LEASE_MS = 30_000;

/** Whether a process of this machine is still running (its intents' lease is then still its own). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What a live command keeps of its intents (SPEC "Live mode, exactly once"): this process as their
 * owner, its lease renewed while it runs, the deadline of an answer (DELEGATE_HTTP_TIMEOUT), and the
 * recovery of its own scopes' lapsed intents before it decides (src/domain/recovery).
 */
export async function liveIntents(ctx: Context, s: Session, mode: Mode & { kind: 'live' }, command: string, answerMs: number): Promise<LiveIntents> {
  const owner = ctx.processId();
  const settleMs = await settleSeconds(ctx) * 1000;
  const { recover } = await import('../domain/recovery/recover.js');
  return {
    command,
    owner,
    leaseMs: LEASE_MS,
    answerMs,
    keepLeases(ids) {
      const timer = setInterval(() => {
        const until = new Date(s.clock.now().getTime() + LEASE_MS).toISOString();
        s.store.write((tx) => tx.renewLeases(ids(), until)).catch(() => undefined);
      }, LEASE_MS / 3);
      timer.unref();
      return () => clearInterval(timer);
    },
    async recoverScopes(scopes) {
      if (scopes.length === 0) return [];
      const rows = await recover(s, { scopes, person: false, dryRun: false, settleMs, leaseMs: LEASE_MS, owner, alive: processAlive, microsoft: mode.microsoft });
      return rows.map(recoveryLine);
    },
  };
}

/** One line for a change recovery looked at (an earlier run's, whose command stopped). */
export function recoveryLine(r: { target: string; outcome: string; detail: string }): string {
  return r.outcome === 'unknown' ? `Still pending from an earlier run: ${r.target}: ${r.detail}` : `Recovered an earlier run's change: ${r.detail}`;
}

/** `live.settle` in seconds (a setting; docs/live-mode.md "Exactly once"). */
export async function settleSeconds(ctx: Context): Promise<number> {
  const raw = (await ctx.settings()).get('live.settle');
  return raw === undefined ? DEFAULT_SETTLE_SECONDS : Number(raw);
}

/**
 * The rate limiter's limits from the settings (`live.limits.*`, `live.concurrency`, `live.tenantSize`);
 * an unset one keeps the limiter's default. A value edited into the settings file by hand is checked as
 * `config set` checks it (exit 2).
 */
export function limitsFromSettings(settings: Pick<Settings, 'get'>): Limits {
  const read = (key: keyof typeof LIMIT_SETTINGS | 'live.tenantSize'): string | undefined => {
    const raw = settings.get(key);
    return raw === undefined ? undefined : settingValue(key, raw);
  };
  const num = (key: keyof typeof LIMIT_SETTINGS): number | undefined => {
    const v = read(key);
    return v === undefined ? undefined : Number(v);
  };
  const limits: Limits = {};
  const tr = num('live.limits.tenantRelationships');
  const identity = num('live.limits.identity');
  const pc = num('live.limits.partnerCenter');
  const concurrency = num('live.concurrency');
  const size = read('live.tenantSize') as Limits['tenantSize'];
  if (tr !== undefined) limits.tenantRelationships = tr;
  if (identity !== undefined) limits.identity = identity;
  if (pc !== undefined) limits.partnerCenter = pc;
  if (concurrency !== undefined) limits.concurrency = concurrency;
  if (size !== undefined) limits.tenantSize = size;
  return limits;
}

/**
 * After a live bulk change: one line per item left out or failed (stderr),
 * and a non-zero exit when any failed; what succeeded is recorded already.
 */
export function reportLive<T>(ctx: Context, r: Carried<T>): void {
  if (r.kind !== 'done') return;
  for (const n of r.notes) ctx.note(n);
  for (const f of r.failures) ctx.io.err(`${f.item ?? f.id}: failed at step "${f.id}": ${f.error.message}\n`);
  if (r.failures.length) {
    const n = r.failures.length;
    throw new DelegateError(`${n} item${n === 1 ? '' : 's'} failed at Microsoft (listed above); the others are applied and recorded: run the same command again to carry on`, 'microsoft', 1);
  }
}

/** A plan is always JSON (see cli/plan.ts). Otherwise hand the value on, then list what a live bulk change left undone. */
export async function deliver<T>(ctx: Context, r: Carried<T>, show: (value: T) => Promise<void>, planNote?: string): Promise<void> {
  if (r.kind === 'plan') return printPlan(ctx, r.requests, planNote);
  if (r.items && r.items.length > 1 && (await ctx.output()) === 'json') return printLiveItems(ctx, r, show);
  await show(r.value);
  reportLive(ctx, r);
}

/** One item of a live bulk command's JSON (SPEC "Live mode, exactly once"). */
export interface LiveItemJson {
  item: string;
  outcome: ItemOutcome['outcome'];
  step?: string;
  message?: string;
  intentId?: string;
  /** What the item made, as the command prints it (a created user with its temporary password, shown once). */
  result?: unknown;
}

/**
 * The JSON of a live bulk command: `[{item, outcome, step?, message?, intentId?, result?}]`, one per item in
 * the order given; `result` is the command's own JSON for that item where it was applied (the element of
 * what `show` prints that names the item). Exit 1 unless every item is applied or accepted.
 */
export function liveItemsJson(items: readonly ItemOutcome[], printed: unknown): LiveItemJson[] {
  // A list names its items one by one; one object (a group with its members) is not any one item's result.
  const rows = Array.isArray(printed) ? printed : [];
  const names = (v: unknown, item: string): boolean =>
    typeof v === 'string' ? v.toLowerCase() === item.toLowerCase() : v !== null && typeof v === 'object' && Object.values(v).some((x) => names(x, item));
  return items.map((i) => {
    const result = i.outcome === 'applied' || i.outcome === 'accepted' ? rows.find((row) => names(row, i.item)) : undefined;
    return { item: i.item, outcome: i.outcome, ...(i.step ? { step: i.step } : {}), ...(i.message ? { message: i.message } : {}), ...(i.intentId ? { intentId: i.intentId } : {}), ...(result !== undefined ? { result } : {}) };
  });
}

async function printLiveItems<T>(ctx: Context, r: Carried<T> & { kind: 'done' }, show: (value: T) => Promise<void>): Promise<void> {
  // What the command would print (its JSON), captured to give each applied item its result.
  let captured = '';
  const out = ctx.io.out;
  ctx.io.out = (t: string) => void (captured += t);
  try {
    await show(r.value);
  } finally {
    ctx.io.out = out;
  }
  let printed: unknown;
  try {
    printed = captured.trim() ? JSON.parse(captured) : undefined;
  } catch {
    printed = undefined;
  }
  // A command whose JSON is already one outcome per item (the fleet commands' {client, outcome, ...}) keeps it.
  if (Array.isArray(printed) && printed.length > 0 && printed.every((x) => x !== null && typeof x === 'object' && 'outcome' in x)) {
    ctx.io.out(captured);
    return reportLive(ctx, r);
  }
  ctx.io.out(jsonText(liveItemsJson(r.items!, printed), 2) + '\n');
  for (const n of r.notes) ctx.note(n);
  const bad = r.items!.filter((i) => i.outcome !== 'applied' && i.outcome !== 'accepted');
  if (bad.length) {
    const pending = bad.some((i) => i.outcome === 'pending');
    throw new DelegateError(
      `${bad.length} of ${r.items!.length} items not applied at Microsoft (their outcomes are listed)${pending ? '; those pending may or may not be: see `delegate pending`' : ''}: the others are applied and recorded; run the same command again to carry on`,
      'microsoft',
      1,
    );
  }
}
