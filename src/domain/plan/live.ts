/**
 * Carrying out a change at Microsoft, exactly once (SPEC.md "Live mode,
 * exactly once"):
 * 1. decide on the ledger: input, existence and permission (a refusal is
 *    audited; nothing is sent);
 * 2. recover the lapsed intents of the change's own scopes (an earlier run
 *    that crashed or lost its answers), then decide again on what that wrote;
 * 3. for a client tenant, read what it holds and decide on that;
 * 4. send: each round's intents commit before it goes, each answer is kept as
 *    it arrives, and a request with no usable answer is read back at once by
 *    its intent's key (found: carried on as if the answer had come; not
 *    found: pending, since Entra may not show a new object yet);
 * 5. record what Microsoft did and close those intents, in one transaction.
 */
import { appendAudit } from '../core/audit.js';
import { ConflictError, DelegateError, InterruptedError, NotPermittedError } from '../core/errors.js';
import { writeAudited, resolveActor, type Session } from '../core/session.js';
import type { Tx, WriteOptions } from '../core/store.js';
import type { Carried, Change, ItemOutcome, Json, Microsoft, Mode, Observed, Responses, SentEntry, StepFailure, Stopped } from './decision.js';
import { judge } from './intent.js';
import { storeJournal } from './journal.js';
import { usesPartnerCenter, type PlannedRequest } from './request.js';

type LiveMode = Extract<Mode, { kind: 'live' }>;

/** The scopes a change's intents belong to (plan/intent.ts), or those it names itself. */
export function scopesOf<T>(change: Change<T>): string[] {
  if (change.scopes?.length) return [...new Set(change.scopes)];
  const out = new Set<string>();
  for (const r of change.steps.flat()) if (r.intent?.scope) out.add(r.intent.scope);
  return [...out];
}

/**
 * A change offline or as a plan on a scope with a pending intent is refused
 * (exit 5): what Microsoft holds there is not known until it is recovered.
 * Cheap when nothing is pending (one indexed query).
 */
export async function refuseWhilePending<T>(tx: Tx, change: Change<T>): Promise<void> {
  if (!(await tx.hasOpenIntents())) return;
  let scopes: string[];
  try {
    scopes = scopesOf(change);
  } catch {
    return; // its requests cannot be made offline (they need Microsoft's ids): nothing to compare
  }
  if (scopes.length === 0 || !(await tx.hasOpenIntents(scopes))) return;
  const open = (await tx.listIntents({ scopes })).filter((i) => !i.passwordPending);
  const what = open.slice(0, 3).map((i) => `${i.kind} ${i.target}`).join(', ');
  throw new ConflictError(
    `A change sent to Microsoft here has no recorded outcome yet (${what}${open.length > 3 ? ', ...' : ''}): run \`delegate recover\` first (\`delegate pending\` lists it)`,
  );
}

/**
 * Drafts are not at Microsoft: a live change to a relationship the ledger
 * holds only as an offline draft (Microsoft has never reported it) is exit 5
 * before any request, naming what creates it there.
 */
async function refuseDrafts<T>(tx: Tx, change: Change<T>): Promise<void> {
  const ids = new Set<string>();
  for (const r of change.steps.flat()) {
    const id = r.intent?.effect?.relationshipId;
    if (typeof id === 'string') ids.add(id);
  }
  for (const id of ids) {
    const r = await tx.getRelationship(id);
    if (r && !r.msStatus) {
      throw new ConflictError(
        `The granular relationship "${r.displayName}" is an offline draft, not at Microsoft: create and lock it there with \`delegate offer create --granular --live --name ${JSON.stringify(r.displayName)}\` (or run \`delegate sync\` if it was created at Microsoft some other way)`,
      );
    }
  }
}

export async function carryOutLive<T>(
  s: Session,
  decide: (tx: Tx, seen?: Observed | null) => Promise<Change<T>>,
  mode: LiveMode,
  write?: WriteOptions,
): Promise<Carried<T>> {
  let change = await writeAudited(s, (tx) => decide(tx, null), write);
  if (mode.microsoft.appOnly && usesPartnerCenter(change.steps.flat())) {
    const refused = change;
    // https://learn.microsoft.com/partner-center/developer/remove-dap: "This scenario supports authentication with App+User credentials only."
    await writeAudited(s, async () => {
      throw new NotPermittedError(
        'This change goes to Partner Center, which accepts it only from a signed-in person (App+User), not from an app-only sign-in (certificate or secret): run `delegate login` as a person',
        { actor: s.actorEmail ?? 'app', action: refused.action ?? 'live', target: refused.target ?? '' },
      );
    });
  }
  const notes: string[] = [];
  const intents = mode.intents;
  let recovered: string[] = [];
  // Deciding again on what recovery recorded may find the change already made (the earlier run's):
  // the refusal says so, or "already exists" would hide that it was this command's own change.
  const sayRecovered = (e: unknown): never => {
    if (recovered.length && e instanceof DelegateError && !(e instanceof InterruptedError)) {
      const shown = recovered.slice(0, 3).join(' ');
      e.message = `${shown}${recovered.length > 3 ? ` (and ${recovered.length - 3} more: \`delegate recover\` lists what stays pending).` : ''} ${e.message}`;
    }
    throw e;
  };
  if (intents) {
    recovered = await intents.recoverScopes(scopesOf(change));
    if (recovered.length) {
      notes.push(...recovered);
      change = await writeAudited(s, (tx) => decide(tx, null), write).catch(sayRecovered);
    }
  }
  if (change.tenant) {
    const seen = await mode.microsoft.observe(change.tenant);
    change = await writeAudited(s, (tx) => decide(tx, seen), write).catch(sayRecovered);
  }
  const decided = change;
  await s.store.read((tx) => refuseDrafts(tx, decided));
  const tenantId = decided.tenant?.tenantId;
  const journal = intents
    ? storeJournal(s, { command: intents.command, owner: intents.owner, leaseMs: intents.leaseMs, answerMs: intents.answerMs, ...(tenantId ? { tenantId } : {}) })
    : undefined;
  const stopLeases = journal ? intents?.keepLeases(() => [...journal.intentOf.values()]) : undefined;
  let run;
  let value: T;
  let unseen: PlannedRequest[] = [];
  try {
    run = await mode.microsoft.run(decided.steps, {
      ...(tenantId ? { tenantId } : {}),
      ...(journal ? { journal } : {}),
      resolveUnknown: (entry: SentEntry, sentAt: string) => readBack(mode.microsoft, entry, sentAt, tenantId),
    });
    const { responses, failures } = run;
    // A run that ends in an error shows no result: a password Microsoft took in it (a user created, a
    // password reset) was never shown, so its step stays pending for `delegate recover` (which resets it
    // again and shows the new one) instead of being closed.
    const fails = !!run.stopped || (failures.length > 0 && decided.steps.length === 1);
    unseen = fails ? decided.steps.flat().filter((r) => (r.intent?.kind === 'user.create' || r.intent?.kind === 'user.password') && responses.has(r.id)) : [];
    // Recorded even when interrupted: what Microsoft did must reach the ledger, with its intents closed.
    value = await s.store.write(async (tx) => {
      const v = await decided.record(tx, responses, failures);
      if (journal) {
        const keep = new Set(unseen.map((r) => r.id));
        await closeAnswered(tx, s, journal.intentOf, new Map([...responses].filter(([id]) => !keep.has(id))), failures, intents!.command);
        const ids = unseen.map((r) => journal.intentOf.get(r.id)).filter((x): x is string => x !== undefined);
        if (ids.length) await tx.markPasswordPending(ids);
      }
      return v;
    });
  } finally {
    stopLeases?.();
    // What stays pending is no longer worked on: its lease ends with this command, so `recover`
    // (or the next live command on it) may take it at once; only a crash leaves a lease to lapse.
    if (journal?.intentOf.size) await s.store.write((tx) => tx.releaseIntents([...journal.intentOf.values()])).catch(() => undefined);
  }
  const { responses, failures, stopped } = run;
  const pending = failures.filter((f) => f.unknown).map((f) => f.id);
  const unseenNote = unseen.length
    ? `The temporary password${unseen.length === 1 ? '' : 's'} Microsoft took (${unseen.map((r) => r.id).join(', ')}) ${unseen.length === 1 ? 'was' : 'were'} never shown: \`delegate recover\` resets ${unseen.length === 1 ? 'it' : 'them'} and shows the new one.`
    : undefined;
  if (stopped) throw appendNote(stoppedError(decided.steps, responses, stopped, pending), unseenNote);
  const changed = (rs: Responses) => decided.steps.flat().some((r) => r.method !== 'GET' && rs.has(r.id));
  if (failures.length && decided.steps.length === 1) {
    const note = [decided.failureNote?.(responses), unseenNote].filter(Boolean).join(' ');
    throw new StepFailedError(failures[0]!, changed(responses), note || undefined);
  }
  const groupOf = (id: string) => decided.steps.findIndex((g) => g.some((r) => r.id === id));
  return {
    kind: 'done',
    value,
    failures: failures.map((f) => ({ ...f, item: decided.labels?.[groupOf(f.id)] })),
    notes: [...notes, ...(decided.notes ?? [])],
    items: itemOutcomes(decided, responses, failures, journal?.intentOf),
  };
}

function appendNote(e: Error, note: string | undefined): Error {
  if (note) e.message = `${e.message} ${note}`;
  return e;
}

/** Each item's outcome: its failure (refused, or pending), else accepted or applied when all its requests were answered, else not sent. */
function itemOutcomes<T>(change: Change<T>, responses: Responses, failures: readonly StepFailure[], intentOf: ReadonlyMap<string, string> | undefined): ItemOutcome[] {
  const failed = new Map(failures.map((f) => [f.id, f]));
  return change.steps.map((group, i): ItemOutcome => {
    const item = change.labels?.[i] || group[0]?.id || String(i + 1);
    const f = group.map((r) => failed.get(r.id)).find((x) => x !== undefined);
    if (f) {
      const intentId = intentOf?.get(f.id);
      return f.unknown
        ? { item, outcome: 'pending', step: f.id, message: f.error.message, ...(intentId ? { intentId } : {}) }
        : { item, outcome: 'failed', step: f.id, message: f.error.message };
    }
    if (!group.every((r) => responses.has(r.id))) return { item, outcome: 'not sent' };
    // Microsoft finishes it later: an access assignment it reports pending, a terminate request not yet succeeded.
    const later = group.some((r) => {
      const status = String(responses.get(r.id)?.status ?? '');
      const kind = r.intent?.kind;
      return (kind?.startsWith('assignment.') && status === 'pending') || (kind === 'relationship.terminate' && status !== '' && status !== 'succeeded');
    });
    return { item, outcome: later ? 'accepted' : 'applied' };
  });
}

/**
 * A request got no usable answer: read its effect back at once by its
 * intent's key. Found (applied or accepted): the found object stands in for
 * the answer. Otherwise it stays pending (an object just created may read as
 * absent for a while: "not applied" is concluded only by recovery, after
 * `live.settle`).
 */
async function readBack(ms: Microsoft, entry: SentEntry, sentAt: string, tenantId: string | undefined): Promise<Json | undefined> {
  try {
    const found = await ms.read(entry.intent.readBack.url, { ...(tenantId ? { tenantId } : {}) });
    const j = judge(entry.intent.kind, entry.intent.readBack.look, found, sentAt);
    if (j.outcome === 'applied' || j.outcome === 'accepted') return j.body ?? {};
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
  }
  return undefined;
}

/**
 * In the recording transaction: close the intents of the requests Microsoft
 * answered (their effect is recorded) or refused (audited as refused by
 * Microsoft, with its code); those with no usable answer stay pending.
 */
async function closeAnswered(tx: Tx, s: Session, intentOf: ReadonlyMap<string, string>, responses: Responses, failures: readonly StepFailure[], command: string): Promise<void> {
  const done = [...responses.keys()].map((id) => intentOf.get(id)).filter((x): x is string => x !== undefined);
  const refused = failures.filter((f) => !f.unknown && intentOf.has(f.id));
  if (refused.length) {
    const actor = await resolveActor(tx, s);
    const open = new Map((await tx.listIntents({ ids: refused.map((f) => intentOf.get(f.id)!) })).map((i) => [i.id, i]));
    for (const f of refused) {
      const i = open.get(intentOf.get(f.id)!);
      const code = f.error instanceof DelegateError ? f.error.code : 'error';
      await appendAudit(tx, s.clock, { actor: actor.email, action: command, target: i?.target ?? f.id, outcome: 'allowed', detail: `${i?.kind ?? f.id}: refused by Microsoft: ${microsoftCode(f.error) ?? code}` });
    }
  }
  await tx.closeIntents([...done, ...refused.map((f) => intentOf.get(f.id)!)]);
}

/** Microsoft's own error code, when the error carries one (src/microsoft/errors.ts MicrosoftError). */
function microsoftCode(e: Error): string | undefined {
  const c = (e as { microsoftCode?: unknown }).microsoftCode;
  return typeof c === 'string' && c ? c : undefined;
}

/**
 * A live step failed. The message says truthfully what the ledger holds:
 * the changes before it that Microsoft applied are recorded (or there were
 * none), and a step with no usable answer is pending (`delegate pending`).
 * The exit code is that of Microsoft's answer (or 1 for a network failure).
 */
export class StepFailedError extends DelegateError {
  constructor(
    readonly failure: StepFailure,
    recorded: boolean,
    note?: string,
  ) {
    const e = failure.error;
    const before = recorded ? 'The steps before it were applied at Microsoft and are recorded in the ledger' : 'Nothing is recorded in the ledger';
    const tail = failure.unknown
      ? `Microsoft may or may not have applied this step, and reading it back has not found it: it is pending (see \`delegate pending\`; \`delegate recover\` reads it back again)`
      : 'run the same command again to carry on';
    super(`Step "${failure.id}" failed: ${e.message.replace(/\.$/, '')}. ${before}; ${tail}.${note ? ` ${note}` : ''}`, e instanceof DelegateError ? e.code : 'internal', e instanceof DelegateError ? e.exitCode : 1);
  }
}

/** One line for an interrupt in live mode: what was applied at Microsoft and recorded, what is pending, what was not sent. */
function stoppedError(steps: readonly (readonly PlannedRequest[])[], responses: Responses, stopped: Stopped, pending: readonly string[]): Error {
  if (!(stopped.reason instanceof InterruptedError)) return stopped.reason;
  const changes = steps.flat().filter((r) => r.method !== 'GET' && responses.has(r.id)).map((r) => r.id);
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  const applied = changes.length
    ? `${n(changes.length, 'change')} applied at Microsoft and recorded in the ledger (${changes.slice(0, 5).join(', ')}${changes.length > 5 ? ', ...' : ''})`
    : 'nothing was applied at Microsoft or recorded';
  const unsure = [...stopped.inFlight, ...pending];
  const inFlight = unsure.length
    ? `; ${unsure.join(', ')} ${unsure.length === 1 ? 'was' : 'were'} sent without an answer, so Microsoft may or may not have applied ${unsure.length === 1 ? 'it' : 'them'}: pending (\`delegate pending\`; \`delegate recover\` reads ${unsure.length === 1 ? 'it' : 'them'} back)`
    : '';
  const rest = stopped.notSent ? `; ${n(stopped.notSent, 'request')} not sent` : '';
  return new InterruptedError(stopped.reason.signal, `Interrupted (${stopped.reason.signal}) in live mode: ${applied}${inFlight}${rest}. Run the same command again to carry on.`);
}
