/** What a PostgreSQL or connection failure means, as the store's own error (one line, no password). */
import { StoreError, type StoreFailure } from '../../domain/core/errors.js';

interface PgLike {
  code?: string;
  message?: string;
  severity?: string;
}

/** SQLSTATEs a transaction may simply be run again after (serialization failure, deadlock). */
export const RETRYABLE = new Set(['40001', '40P01']);

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT', 'EACCES']);
const LOST = new Set(['ECONNRESET', 'EPIPE']);

function classify(e: PgLike, store: string, stage: 'connect' | 'work' | 'commit'): { reason: StoreFailure; message: string } | undefined {
  const code = e.code;
  const msg = String(e.message ?? e).replace(/\s*\n[\s\S]*/, '');
  if (stage === 'connect') {
    if (code && NETWORK.has(code)) return { reason: 'unreachable', message: `Cannot reach the store ${store} (${code}): is the server running and the address right?` };
    if (code === '28P01' || code === '28000') return { reason: 'unreachable', message: `The store ${store} refused the login: ${msg}` };
    if (code === '3D000') return { reason: 'unreachable', message: `The store ${store} does not exist on that server: ${msg}` };
    if (code === '57P03') return { reason: 'unreachable', message: `The store ${store} is not accepting connections yet (${msg}): try again` };
  }
  const lostNote = stage === 'commit' ? 'it may or may not have been committed: check with `delegate audit`' : 'nothing of this command was committed';
  if ((code && LOST.has(code)) || /Connection terminated|Client has encountered a connection error|connection is closed/i.test(msg) || code?.startsWith('08') || code === '57P01' || code === '57P02') {
    return { reason: 'lost', message: `The connection to the store ${store} was lost (${msg}): ${lostNote}` };
  }
  if (!code) return undefined;
  if (RETRYABLE.has(code)) return { reason: 'retry', message: `The store ${store} could not serialise this change (${msg}): nothing was written; try again` };
  if (code === '55P03' || code === '57014') return { reason: 'busy', message: `The store ${store} is busy (${msg}): nothing was written; try again` };
  if (code === '53100') return { reason: 'full', message: `The store ${store} is out of disk space: nothing was written` };
  if (code === '25006') return { reason: 'read-only', message: `The store ${store} is read-only (${msg}): nothing was written` };
  if (code === '42501') {
    return {
      reason: 'refused',
      message: `The store ${store} refused this login: ${msg}; nothing was written (the store's owner gives a login what delegate needs with \`delegate db grant <login>\`)`,
    };
  }
  if (code.startsWith('23')) return { reason: 'constraint', message: `The store ${store} refused the change (${code}: ${msg}); nothing was written` };
  if (code.startsWith('XX')) return { reason: 'damaged', message: `The store ${store} failed (${code}: ${msg}): nothing was written` };
  if (/^[0-9A-Z]{5}$/.test(code)) return { reason: 'failed', message: `The store ${store} failed (${code}: ${msg}): nothing was written` };
  if (code && NETWORK.has(code)) return { reason: 'lost', message: `The connection to the store ${store} was lost (${code}): ${lostNote}` };
  return undefined;
}

/** The store's own error for a driver failure; the domain's own errors pass unchanged. */
export function toStoreError(e: unknown, store: string, stage: 'connect' | 'work' | 'commit' = 'work'): unknown {
  if (e instanceof StoreError || (e instanceof Error && (e as { exitCode?: unknown }).exitCode !== undefined)) return e;
  const c = classify((e ?? {}) as PgLike, store, stage);
  if (c) return new StoreError(c.message, c.reason);
  if (stage === 'connect') return new StoreError(`Cannot use the store ${store}: ${String((e as Error)?.message ?? e)}`, 'unreachable');
  return e;
}
