/**
 * Typed errors of live mode. Each is one line (main.ts prints the message as
 * is) and carries its exit code like every other DelegateError. Whatever in a
 * message came from Microsoft (its error code and text, a link, a parse
 * error quoting the answer) is escaped like stored text (SPEC "Live mode,
 * exactly once": "Everything printed that came from Microsoft is escaped"),
 * so a message cannot drive the terminal however it is printed.
 */
import { DelegateError } from '../domain/core/errors.js';
import { safeMessage } from '../domain/core/escape.js';

export const SERVICE_NAMES = { graph: 'Microsoft Graph', partnerCenter: 'Partner Center', authority: 'Microsoft sign-in' } as const;
export type ServiceName = keyof typeof SERVICE_NAMES;

/**
 * One line, at most `max` characters, control characters and bidirectional
 * overrides escaped (`\x1b`, `\u202e`): Microsoft's messages may hold
 * newlines, terminal escapes and run long. Whitespace runs become one space first.
 */
export function oneLine(text: string, max = 300): string {
  const flat = safeMessage(text.replace(/\s+/g, ' ').trim());
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/**
 * Microsoft could not be reached, or the connection failed before a whole
 * answer came back. Exit 1. `mayHaveArrived` says whether the request may
 * have reached Microsoft (false only when no connection was ever made:
 * refused, no such host, an untrusted certificate), so a caller knows whether
 * a change may have been applied.
 */
export class NetworkError extends DelegateError {
  constructor(
    readonly service: ServiceName,
    readonly method: string,
    readonly path: string,
    readonly reason: string,
    readonly mayHaveArrived = true,
  ) {
    super(oneLine(`Cannot reach ${SERVICE_NAMES[service]} (${method} ${path}): ${reason}`, 500), 'network', 1);
  }
}

/**
 * Microsoft answered with an HTTP error. Carries Graph's `error.code` and
 * `error.message` (https://learn.microsoft.com/graph/errors) or Partner
 * Center's `code` and `description`, and the request id to quote to Microsoft.
 * `microsoftCode` and `microsoftMessage` are Microsoft's text as sent (to match
 * on); the message escapes them.
 * Exit code by status: 400/422 the input was refused (2), 401/403 not permitted (4),
 * 404 not found (3), 409/412 conflict with the current state (5), anything else 1.
 */
export class MicrosoftError extends DelegateError {
  constructor(
    readonly service: ServiceName,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly microsoftCode: string,
    readonly microsoftMessage: string,
    readonly requestId?: string,
    note?: string,
  ) {
    const what = [microsoftCode, microsoftMessage].filter(Boolean).join(': ') || 'no error details';
    const tail = [note, requestId ? `request id ${requestId}` : ''].filter(Boolean).join('; ');
    super(oneLine(`${SERVICE_NAMES[service]} answered ${status} to ${method} ${path}: ${what}${tail ? ` (${tail})` : ''}`, 500), 'microsoft', exitForStatus(status));
  }
}

/**
 * Microsoft answered 2xx, but the answer is not the shape Microsoft documents
 * for that call (not JSON, cut short, a required property missing or of the
 * wrong type, a page without `value`): an error of that request, never an
 * empty result (SPEC "Answers are checked"). Exit 1.
 *
 * `doneAtMicrosoft` is true for a change (any method but GET): Microsoft
 * answered 2xx, so it carried the change out, but what it made cannot be
 * read from this answer; the caller reads it back. For a `$batch` envelope it
 * is false: whether each part was carried out is not known (the parts are
 * pending).
 */
export class MalformedAnswerError extends DelegateError {
  constructor(
    readonly service: ServiceName,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** What is wrong with it, in words (e.g. `value: expected array, received undefined`). */
    readonly reason: string,
    readonly doneAtMicrosoft: boolean,
    readonly requestId?: string,
  ) {
    const after = doneAtMicrosoft ? 'the change was made at Microsoft, but this answer cannot be used to record it' : 'nothing was taken from it';
    const id = requestId ? `; request id ${requestId}` : '';
    super(oneLine(`${SERVICE_NAMES[service]} answered ${status} to ${method} ${path} with an answer that is not the documented shape (${reason}): ${after}${id}`, 500), 'microsoft', 1);
  }
}

/**
 * A collection that does not end: more pages than the cap (SPEC "Deadlines
 * and budgets": 10,000 pages, a million items at Graph's page sizes), or a
 * next-page link that repeats or leaves Microsoft's base URL. Exit 1.
 */
export class PagingError extends DelegateError {
  constructor(
    readonly service: ServiceName,
    readonly path: string,
    readonly reason: string,
  ) {
    super(oneLine(`${SERVICE_NAMES[service]}: reading GET ${path} stopped: ${reason}`, 500), 'microsoft', 1);
  }
}

export function exitForStatus(status: number): number {
  if (status === 400 || status === 422) return 2;
  if (status === 401 || status === 403) return 4;
  if (status === 404) return 3;
  if (status === 409 || status === 412) return 5;
  return 1;
}

/**
 * For a request that changes something and threw: did Microsoft carry it out?
 * - `notApplied`: Microsoft refused it (an HTTP error status that means the
 *   request was not processed: 4xx, 429, 503), or it never reached Microsoft.
 * - `applied`: Microsoft answered 2xx, but the answer is unreadable (read it back).
 * - `unknown`: it may or may not have been: the connection dropped or the
 *   deadline passed after it was sent, or Microsoft answered 500/502/504
 *   (an error in the middle of processing), or an interrupt cut it short.
 */
export type WriteState = 'notApplied' | 'applied' | 'unknown';

export function writeState(error: unknown): WriteState {
  if (error instanceof MalformedAnswerError) return error.doneAtMicrosoft ? 'applied' : 'unknown';
  if (error instanceof MicrosoftError) return error.status < 500 || error.status === 503 ? 'notApplied' : 'unknown';
  if (error instanceof NetworkError) return error.mayHaveArrived ? 'unknown' : 'notApplied';
  if (error instanceof NotSignedInError) return 'notApplied';
  return 'unknown';
}

/** No bearer token: neither DELEGATE_ACCESS_TOKEN nor a sign-in. Exit 4 (SPEC.md "Live mode"). */
export class NotSignedInError extends DelegateError {
  constructor() {
    super('Not signed in to Microsoft: run `delegate login` (or set DELEGATE_ACCESS_TOKEN)', 'not_permitted', 4);
  }
}
