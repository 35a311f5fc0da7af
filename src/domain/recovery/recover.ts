/**
 * `delegate pending` and `delegate recover` (SPEC.md "Live mode, exactly
 * once", "Recovery"): the changes sent to Microsoft whose outcome the ledger
 * has not recorded, and their read-back. Recovery takes only intents whose
 * lease has lapsed (their command stopped: its lease ran out, or it was a
 * process on this machine that is gone), claiming each in a transaction so
 * two recoveries never act on one; it reads each one's effect back by the
 * key the intent holds and records what it finds:
 * - applied or accepted: the effect, as the lost answer would have; a user
 *   created, or a password reset, whose password nobody saw keeps its
 *   password step pending until `delegate recover` run by someone allowed to
 *   reset that user's password resets it and shows the new one once;
 * - not applied: only when read at least `live.settle` after the request's
 *   deadline (Entra is eventually consistent); earlier it stays pending;
 * - unknown (the read was refused, or says nothing): stays pending.
 * Every live command first recovers the lapsed intents of its own scopes
 * (reading and recording only), and `sync` recovers all of them.
 */
import { NotPermittedError } from '../core/errors.js';
import type { Intent, PartnerUser } from '../core/model.js';
import { requirePartner, resolveActor, type Session } from '../core/session.js';
import type { Tx } from '../core/store.js';
import { acting, refusal } from '../acting/standing.js';
import type { ClientAction } from '../acting/permissions.js';
import { resetClientPassword } from '../acting/users.js';
import type { Microsoft, Mode } from '../plan/decision.js';
import { judge, type ChangeKind, type Look, type RecoveryOutcome } from '../plan/intent.js';
import { clientOf, effectOf, recordRecovered } from './record.js';

export interface RecoverOptions {
  /** Only intents of these scopes (a live command's own). */
  scopes?: readonly string[];
  /** `delegate recover` run by a person: it may reset a password nobody saw (and show it once). */
  person: boolean;
  /** Read and report; record nothing, claim nothing. */
  dryRun: boolean;
  /** `live.settle`: how long after a request's deadline a read showing nothing means "not applied". */
  settleMs: number;
  leaseMs: number;
  /** This process. */
  owner: { host: string; pid: number };
  /** Whether an intent's owner process still runs (asked only for owners on this host). */
  alive: (pid: number) => boolean;
  microsoft: Microsoft;
  /** The live mode a password reset goes through (the same executor, intents and rules as `client user reset-password`). */
  mode?: Mode;
}

export interface Recovered {
  id: string;
  target: string;
  outcome: RecoveryOutcome;
  detail: string;
  temporaryPassword?: string;
}

/** What `delegate pending` lists (no bodies, no answers). */
export interface PendingView {
  id: string;
  openedAt: string;
  actor: string;
  command: string;
  action: string;
  target: string;
  method: string;
  url: string;
  readBack: string;
  passwordPending: boolean;
  owner: { host: string; pid: number; leaseUntil: string };
}

export async function listPending(s: Session): Promise<PendingView[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    return (await tx.listIntents()).map((i) => ({
      id: i.id,
      openedAt: i.openedAt,
      actor: i.actor,
      command: i.command,
      action: i.kind,
      target: i.target,
      method: i.method,
      url: i.url,
      readBack: readBackOf(i).url,
      passwordPending: i.passwordPending,
      owner: i.owner,
    }));
  });
}

function readBackOf(i: Intent): { url: string; look: Look } {
  return JSON.parse(i.readBack) as { url: string; look: Look };
}

const ACTING_ACTIONS: Partial<Record<ChangeKind, ClientAction>> = {
  'user.create': 'add-user',
  'role.assign': 'add-user',
  'user.delete': 'remove-user',
  'user.password': 'reset-password',
  'domain.add': 'add-domain',
  'domain.verify': 'verify-domain',
  'domain.delete': 'remove-domain',
};

/**
 * Whether `me` may recover an intent: one's own, or one whose action one may
 * do on that target (the acting rules in a client; full admin access or
 * global admin for relationships and DAP; global admin for groups).
 */
async function mayRecover(tx: Tx, s: Session, me: PartnerUser, i: Intent): Promise<boolean> {
  if (i.actor.toLowerCase() === me.email.toLowerCase()) return true;
  const kind = i.kind as ChangeKind;
  const act = ACTING_ACTIONS[kind];
  if (act) {
    const c = await clientOf(tx, i);
    if (!c) return me.orgRole === 'global-admin';
    return refusal(await acting(tx, s, c.domain), act, kind === 'role.assign') === undefined;
  }
  if (kind.startsWith('group.') || kind.startsWith('member.')) return me.orgRole === 'global-admin';
  return me.adminAccess === 'full' || me.orgRole === 'global-admin';
}

/** Whether an intent's command has stopped: its lease ran out, or its process on this host is gone. */
function lapsed(i: Intent, o: RecoverOptions, now: Date): boolean {
  // A lease that ended (released when its command stopped, or run out) is anyone's, this process's too (a
  // later command in the same process: an embedding, the in-process tests); a live lease is its owner's.
  if (Date.parse(i.owner.leaseUntil) < now.getTime()) return true;
  if (i.owner.host === o.owner.host && i.owner.pid === o.owner.pid) return false;
  return i.owner.host === o.owner.host && !o.alive(i.owner.pid);
}

/**
 * Recover: read back each lapsed intent (of `scopes`, when given) this user
 * may recover, and record what it finds. Returns one row per intent looked at.
 */
export async function recover(s: Session, o: RecoverOptions): Promise<Recovered[]> {
  const now = s.clock.now();
  const { me, candidates, partner } = await s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const me = await resolveActor(tx, s);
    const all = await tx.listIntents(o.scopes ? { scopes: o.scopes } : undefined);
    const out: { intent: Intent; allowed: boolean }[] = [];
    for (const i of all) {
      if (!lapsed(i, o, now)) continue;
      if (i.passwordPending && !o.person) continue;
      out.push({ intent: i, allowed: await mayRecover(tx, s, me, i) });
    }
    return { me, candidates: out, partner };
  });
  const results: Recovered[] = [];
  for (const { intent, allowed } of candidates) {
    if (!allowed) {
      results.push({ id: intent.id, target: intent.target, outcome: 'unknown', detail: `${me.email} may not recover ${intent.actor}'s ${intent.kind} (${intent.command})` });
      continue;
    }
    results.push(await recoverOne(s, o, intent, { partner, me }));
  }
  return results;
}

async function recoverOne(s: Session, o: RecoverOptions, intent: Intent, ctx: { partner: Awaited<ReturnType<typeof requirePartner>>; me: PartnerUser }): Promise<Recovered> {
  const row = (outcome: RecoveryOutcome, detail: string, extra: Partial<Recovered> = {}): Recovered => ({ id: intent.id, target: intent.target, outcome, detail, ...extra });
  const kind = intent.kind as ChangeKind;
  if (o.dryRun) {
    if (kind === 'user.password') return row('unknown', 'a password reset cannot be read back');
    const { outcome, detail } = await findOutcome(s, o, intent);
    return row(outcome, detail);
  }
  const myLease = new Date(s.clock.now().getTime() + o.leaseMs).toISOString();
  const claimed = await s.store.write((tx) => tx.claimIntent(intent.id, intent.owner.leaseUntil, { ...o.owner, leaseUntil: myLease }));
  if (!claimed) return row('unknown', 'another recovery took it first');
  const release = () => s.store.write((tx) => tx.claimIntent(intent.id, myLease, { ...o.owner, leaseUntil: new Date(0).toISOString() }));
  const recoveredBy = ctx.me.email;
  if (kind === 'user.password') {
    // A password reset cannot be read back (no read returns a password): only a person resets it again.
    if (!o.person) {
      await s.store.write((tx) => tx.markPasswordPending([intent.id]));
      await release();
      return row('unknown', 'a password reset whose answer was lost cannot be read back: its password was never shown; run `delegate recover` to reset it again and see the new one');
    }
    return resetAgain(s, o, intent, row('applied', 'password reset at Microsoft (the lost one cannot be read back)'));
  }
  const { outcome, detail, body } = await findOutcome(s, o, intent);
  if (outcome === 'unknown') {
    await release();
    return row('unknown', detail);
  }
  const passwordLost = kind === 'user.create' && outcome !== 'notApplied';
  const line = await s.store.write(async (tx) => {
    const l = await recordRecovered(tx, s, { partner: ctx.partner, recoveredBy }, intent, outcome, body, detail);
    if (passwordLost) await tx.markPasswordPending([intent.id]);
    else await tx.closeIntents([intent.id]);
    return l;
  });
  if (!passwordLost) return row(outcome, line);
  // The password nobody saw: only a person, allowed to reset it, gets a new one, shown once.
  if (!o.person) {
    await release();
    return row(outcome, `${line}; its password was never shown: run \`delegate recover\` to reset it and see the new one`);
  }
  return resetAgain(s, o, intent, row(outcome, line));
}

/** What Microsoft did: the answer kept with the intent when one came, else a read by the intent's key. */
async function findOutcome(s: Session, o: RecoverOptions, intent: Intent): Promise<{ outcome: RecoveryOutcome; detail: string; body?: Record<string, unknown> }> {
  const answer = intent.answer;
  if (answer && answer.status >= 200 && answer.status < 300) {
    return { outcome: 'applied', detail: `Microsoft answered ${answer.status}`, body: answer.body ? (JSON.parse(answer.body) as Record<string, unknown>) : {} };
  }
  if (answer && answer.status >= 400 && answer.status < 500 && answer.status !== 408) return { outcome: 'notApplied', detail: `Microsoft refused it (${answer.status})` };
  const rb = readBackOf(intent);
  let judged;
  try {
    const found = await o.microsoft.read(rb.url, { ...(intent.tenantId ? { tenantId: intent.tenantId } : {}) });
    // Requests made since the intent opened count (two minutes' margin for the clocks).
    judged = judge(intent.kind as ChangeKind, rb.look, found, new Date(Date.parse(intent.openedAt) - 120_000).toISOString());
  } catch (e) {
    return { outcome: 'unknown', detail: `reading it back failed: ${(e as Error).message}` };
  }
  const settled = Date.parse(intent.deadline) + o.settleMs;
  if (judged.outcome === 'notApplied' && s.clock.now().getTime() < settled) {
    return { outcome: 'unknown', detail: `${judged.detail}; not concluded before ${new Date(settled).toISOString()} (Entra may not show a change at once: live.settle)` };
  }
  return judged;
}

/** Reset a password nobody saw, as `client user reset-password --live` would (its own intent, rules and audit), and show it once. */
async function resetAgain(s: Session, o: RecoverOptions, intent: Intent, done: Recovered): Promise<Recovered> {
  const upn = effectOf(intent).upn ?? intent.target;
  const client = await s.store.read((tx) => clientOf(tx, intent));
  if (!client || !o.mode || o.mode.kind !== 'live') return { ...done, outcome: 'unknown', detail: `${done.detail}; its client is not in the ledger, so its password cannot be reset here` };
  // The lost step is closed first: the new reset reserves the same key.
  await s.store.write((tx) => tx.closeIntents([intent.id]));
  try {
    const r = await resetClientPassword(s, client.domain, upn, { mode: o.mode });
    if (r.kind !== 'done') return done;
    return { ...done, detail: `${done.detail}; password of ${upn} reset, shown once`, temporaryPassword: r.value.temporaryPassword };
  } catch (e) {
    // Refused by the rules or by Microsoft: the password step is pending again, under the new reset's own terms.
    await s.store.write((tx) => tx.openIntents([{ ...intent, passwordPending: true, owner: { ...intent.owner, leaseUntil: new Date(0).toISOString() } }]));
    if (e instanceof NotPermittedError) return { ...done, outcome: 'unknown', detail: `${done.detail}; ${e.message}` };
    throw e;
  }
}
