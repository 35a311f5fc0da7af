/**
 * The intent journal of one live run (SPEC.md "Live mode, exactly once"):
 * the executor calls `open` before it sends a round of requests (their
 * intents commit together, in one transaction) and `answered` as each answer
 * arrives (kept with its intent, committed at once, so a later failure,
 * interrupt or crash never loses it). Recording the effect and closing the
 * intents is the run's last transaction (plan/live.ts).
 */
import { randomUUID } from '../core/crypto.js';
import { ConflictError } from '../core/errors.js';
import type { Intent } from '../core/model.js';
import { resolveActor, type Session } from '../core/session.js';
import type { Journal, SentEntry } from './decision.js';
import { redact } from './intent.js';

export interface JournalOptions {
  command: string;
  owner: { host: string; pid: number };
  leaseMs: number;
  /** How long a whole answer may take: an intent's deadline is its opening plus this. */
  answerMs: number;
  tenantId?: string;
}

/** A journal over the session's store, and the intent id each request it opened was given. */
export function storeJournal(s: Session, o: JournalOptions): Journal & { intentOf: Map<string, string> } {
  const intentOf = new Map<string, string>();
  const text = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  return {
    intentOf,
    async open(entries: readonly SentEntry[]) {
      const fresh = entries.filter((e) => !intentOf.has(e.id));
      if (fresh.length === 0) return;
      await s.store.write(async (tx) => {
        const actor = await resolveActor(tx, s);
        const now = s.clock.now();
        const at = now.toISOString();
        const rows: Intent[] = fresh.map((e) => ({
          id: randomUUID(),
          openedAt: at,
          actor: actor.email,
          command: o.command,
          kind: e.intent.kind,
          target: e.intent.target,
          scope: e.intent.scope,
          // Keys are per tenant: the same UPN may exist in two clients.
          key: e.intent.key ? `${o.tenantId ?? 'partner'}|${e.intent.key}` : null,
          method: e.method,
          url: e.url,
          body: text(e.body === undefined ? undefined : redact(e.body)),
          tenantId: o.tenantId ?? null,
          readBack: JSON.stringify(e.intent.readBack),
          effect: text(e.intent.effect),
          owner: { ...o.owner, leaseUntil: new Date(now.getTime() + o.leaseMs).toISOString() },
          deadline: new Date(now.getTime() + o.answerMs).toISOString(),
          answer: null,
          passwordPending: false,
        }));
        const refused = await tx.openIntents(rows);
        if (refused.length) {
          const keys = refused.map((k) => k.slice(k.indexOf('|') + 1));
          throw new ConflictError(
            `Another change to ${keys.join(', ')} was sent to Microsoft and its outcome is not recorded yet: see \`delegate pending\`, and \`delegate recover\` once its owner has stopped`,
          );
        }
        fresh.forEach((e, i) => intentOf.set(e.id, rows[i]!.id));
      });
    },
    async answered(answers) {
      const kept = answers.filter((a) => intentOf.has(a.id));
      if (kept.length === 0) return;
      const at = s.clock.now().toISOString();
      await s.store.write((tx) => tx.answerIntents(kept.map((a) => ({ id: intentOf.get(a.id)!, status: a.status, body: text(a.body === undefined ? undefined : redact(a.body)), at }))));
    },
  };
}
