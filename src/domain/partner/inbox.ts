/** The partner's inbox: acceptance notifications ("you receive an email with their response"). */
import { appendAudit } from '../core/audit.js';
import { NotFoundError } from '../core/errors.js';
import type { Notification } from '../core/model.js';
import type { Tx } from '../core/store.js';
import { nowIso, requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';

/** On a team store read state is each partner user's own (SPEC.md "Team store"): theirs is the login's. */
async function reader(tx: Tx, s: Session): Promise<string | undefined> {
  return s.store.login === undefined ? undefined : (await resolveActor(tx, s)).email;
}

/** The notifications, a page at a time, so an inbox of any size streams out. */
export async function eachInboxChunk(s: Session, opts: { unreadOnly: boolean }, fn: (chunk: Notification[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    await requirePartner(tx);
    const who = await reader(tx, s);
    for await (const chunk of tx.notificationChunks({ ...opts, ...(who === undefined ? {} : { reader: who }) }, 2000)) await fn(chunk);
  });
}

/** Mark one notification, or all, as read. Returns the notifications now read. */
export async function markRead(s: Session, which: number | 'all'): Promise<{ marked: number }> {
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    if (which !== 'all' && !(await tx.getNotification(which))) throw new NotFoundError(`No notification ${which} (see \`delegate inbox\`)`);
    const who = s.store.login === undefined ? undefined : actor.email;
    const marked = await tx.markNotificationsRead(which === 'all' ? 'all' : [which], nowIso(s), who);
    if (marked > 0) {
      await appendAudit(tx, s.clock, { actor: actor.email, action: 'inbox.read', target: which === 'all' ? 'all' : String(which), outcome: 'allowed', detail: `${marked} marked read` });
    }
    return { marked };
  });
}
