/**
 * Typed errors of live mode. Each is one line (main.ts prints the message as
 * is) and carries its exit code like every other DelegateError.
 */
import { DelegateError } from '../domain/core/errors.js';

export const SERVICE_NAMES = { graph: 'Microsoft Graph', partnerCenter: 'Partner Center', authority: 'Microsoft sign-in' } as const;
export type ServiceName = keyof typeof SERVICE_NAMES;

/** One line, at most `max` characters: Microsoft's messages may hold newlines and run long. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** Microsoft could not be reached, or the connection failed before a whole answer came back. Exit 1. */
export class NetworkError extends DelegateError {
  constructor(
    readonly service: ServiceName,
    readonly method: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot reach ${SERVICE_NAMES[service]} (${method} ${path}): ${reason}`, 'network', 1);
  }
}

/**
 * Microsoft answered with an HTTP error. Carries Graph's `error.code` and
 * `error.message` (https://learn.microsoft.com/graph/errors) or Partner
 * Center's `code` and `description`, and the request id to quote to Microsoft.
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

export function exitForStatus(status: number): number {
  if (status === 400 || status === 422) return 2;
  if (status === 401 || status === 403) return 4;
  if (status === 404) return 3;
  if (status === 409 || status === 412) return 5;
  return 1;
}

/** No bearer token: neither DELEGATE_ACCESS_TOKEN nor a sign-in. Exit 4 (SPEC.md "Live mode"). */
export class NotSignedInError extends DelegateError {
  constructor() {
    super('Not signed in to Microsoft: run `delegate login` (or set DELEGATE_ACCESS_TOKEN)', 'not_permitted', 4);
  }
}
