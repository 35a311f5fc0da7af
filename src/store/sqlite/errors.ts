import { StoreError, type StoreFailure } from '../../domain/core/errors.js';

/** What an SQLite failure means for the person running delegate, in one line. */
export function explainSqlite(e: unknown): string | undefined {
  return classify(e)?.message;
}

function classify(e: unknown): { reason: StoreFailure; message: string } | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  // SQLite reports a disk with no room for its shared-memory file as an I/O error on that file.
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'ENOSPC') return { reason: 'full', message: 'The disk is full: nothing was written' };
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY')) {
    return { reason: 'busy', message: 'The store is busy (another delegate is writing and did not finish in time): try again' };
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return { reason: 'read-only', message: 'The store is read-only (check the permissions of the file and its directory): nothing was written' };
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return { reason: 'damaged', message: `The store is damaged (${code}): nothing was written; restore it from a backup` };
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) return { reason: 'constraint', message: `The store refused the change (${code}): ${(e as Error).message}; nothing was written` };
  if (code.startsWith('SQLITE_')) return { reason: 'failed', message: `The store failed (${code}): ${(e as Error).message}; nothing was written` };
  return undefined;
}

/** The store's own error for a driver failure; anything else (the domain's errors) unchanged. */
export function toStoreError(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const c = classify(e);
  return c ? new StoreError(c.message, c.reason) : e;
}
