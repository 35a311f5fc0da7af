/**
 * Typed errors. Each carries the exit code the CLI maps it to (SPEC.md "Exit
 * codes"); only src/main.ts turns them into a process exit status.
 */
export type ErrorCode =
  | 'usage'
  | 'not_found'
  | 'not_permitted'
  | 'conflict'
  | 'cancelled'
  | 'interrupted'
  | 'store'
  | 'audit_mismatch'
  | 'internal'
  // `doctor` printed findings that need attention (exit 1, like a failed `audit verify`).
  | 'findings'
  // `access why`: no path from the user to the client holds (exit 1; the paths were printed).
  | 'no_access'
  // Live mode (src/microsoft/errors.ts): Microsoft could not be reached, or answered with an error.
  | 'network'
  | 'microsoft'
  // `recover` left changes pending (exit 1): their outcome at Microsoft is still not known.
  | 'pending'
  // `login status --check` with no sign-in and no DELEGATE_ACCESS_TOKEN (exit 1).
  | 'not_signed_in';

export class DelegateError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid usage or input; nothing was written. Exit 2. */
export class UsageError extends DelegateError {
  constructor(message: string) {
    super(message, 'usage', 2);
  }
}

/** One or more bad rows in a bulk file; the message names each by line. Exit 2. */
export class BadRowsError extends UsageError {
  constructor(
    readonly source: string,
    readonly rows: { line: number; reason: string }[],
    readonly total = rows.length,
  ) {
    const more = total > rows.length ? `; and ${total - rows.length} more` : '';
    super(
      `${source}: ${total} bad row${total === 1 ? '' : 's'}, nothing written: ` +
        rows.map((r) => `line ${r.line}: ${r.reason}`).join('; ') +
        more,
    );
  }
}

/** Exit 3. */
export class NotFoundError extends DelegateError {
  constructor(message: string) {
    super(message, 'not_found', 3);
  }
}

/**
 * The acting user may not do this. Exit 4. The refusal is audited (outcome
 * "denied") in the same transaction that would have made the change.
 */
export class NotPermittedError extends DelegateError {
  constructor(
    message: string,
    readonly audit: { actor: string; action: string; target: string },
  ) {
    super(message, 'not_permitted', 4);
  }
}

/** Conflict with the current state: already exists, revoked, used up. Exit 5. */
export class ConflictError extends DelegateError {
  constructor(message: string) {
    super(message, 'conflict', 5);
  }
}

/** The user cancelled at a prompt (or answered no). Exit 130. */
export class CancelledError extends DelegateError {
  constructor(message = 'Cancelled.') {
    super(message, 'cancelled', 130);
  }
}

export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** 128 + the signal's number, as shells report a process a signal ended. */
const SIGNAL_EXIT: Record<InterruptSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * The process received SIGINT, SIGTERM or SIGHUP. Exit 130, 143 or 129. The
 * CLI replaces the message with what had happened by then (nothing written,
 * or committed and how much output was printed).
 */
export class InterruptedError extends DelegateError {
  /** Set when the message says what the work left behind (live mode), instead of the store's account. */
  readonly explained: boolean;
  constructor(
    readonly signal: InterruptSignal,
    message?: string,
  ) {
    super(message ?? `Interrupted (${signal})`, 'interrupted', SIGNAL_EXIT[signal]);
    this.explained = message !== undefined;
  }
}

/**
 * Why a store failed, whatever its backend (each backend turns its driver's errors into these):
 * busy (another writer held it too long), full (no room), read-only, damaged, unreachable (cannot
 * connect: server down, wrong password, no such database), lost (the connection died mid-command),
 * refused (the database refused this login the operation), constraint (a key or reference the
 * ledger's rules should have kept), retry (a serialization failure or deadlock: safe to run the
 * transaction again), failed (anything else, including not a delegate store or a newer one).
 */
export type StoreFailure = 'busy' | 'full' | 'read-only' | 'damaged' | 'unreachable' | 'lost' | 'refused' | 'constraint' | 'retry' | 'failed';

/** The store cannot be used (not a delegate store, newer version, unreadable, a driver failure). Exit 1. */
export class StoreError extends DelegateError {
  constructor(
    message: string,
    readonly reason: StoreFailure = 'failed',
  ) {
    super(message, 'store', 1);
  }
}

/** The audit trail does not verify. Exit 1, naming the first entry that does not match. */
export class AuditMismatchError extends DelegateError {
  constructor(message: string) {
    super(message, 'audit_mismatch', 1);
  }
}
