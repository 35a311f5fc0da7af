/** The partner's inbox: acceptance notifications ("you receive an email with their response"). */
import { appendAudit } from './audit.js';
import { NotFoundError } from './errors.js';
import type { Notification } from './model.js';
import { nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';

export async function listInbox(s: Session, opts: { unreadOnly: boolean }): Promise<Notification[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    return tx.listNotifications(opts);
  });
}

/** The notifications, a page at a time, so an inbox of any size streams out. */
export async function eachInboxChunk(s: Session, opts: { unreadOnly: boolean }, fn: (chunk: Notification[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    await requirePartner(tx);
    for await (const chunk of tx.notificationChunks(opts, 2000)) await fn(chunk);
  });
}

/** Mark one notification, or all, as read. Returns the notifications now read. */
export async function markRead(s: Session, which: number | 'all'): Promise<{ marked: number }> {
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    if (which !== 'all' && !(await tx.getNotification(which))) throw new NotFoundError(`No notification ${which} (see \`delegate inbox\`)`);
    const marked = await tx.markNotificationsRead(which === 'all' ? 'all' : [which], nowIso(s));
    if (marked > 0) {
      await appendAudit(tx, s.clock, { actor: actor.email, action: 'inbox.read', target: which === 'all' ? 'all' : String(which), outcome: 'allowed', detail: `${marked} marked read` });
    }
    return { marked };
  });
}
