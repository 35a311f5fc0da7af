/**
 * Graph's rules for a granular relationship's settings and ids (exit 2 when broken).
 */
import { randomUUID } from '../core/crypto.js';
import type { AutoExtend } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { GLOBAL_ADMINISTRATOR } from './roles.js';
import * as v from '../core/validate.js';

export const MAX_DISPLAY_NAME = 50;

/** Graph relationship ids are two GUIDs joined by a hyphen. */
export function newRelationshipId(): string {
  return `${randomUUID()}-${randomUUID()}`;
}

export const RELATIONSHIP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/;

/** Graph's rules for a relationship's settings (exit 2 when broken). */
export function checkRelationshipSettings(roles: readonly string[], autoExtendDuration: AutoExtend): void {
  if (roles.length === 0) throw new UsageError('A granular relationship needs at least one role (--roles)');
  if (autoExtendDuration === 'P180D' && roles.includes(GLOBAL_ADMINISTRATOR)) {
    throw new UsageError('Auto-extend (P180D) is not allowed when Global Administrator is among the roles: use --auto-extend PT0S');
  }
}

export function checkDisplayName(name: string): string {
  const n = v.displayName(name, 'display name (--name)', 1000);
  const length = [...n].length;
  if (length > MAX_DISPLAY_NAME) throw new UsageError(`display name "${n.slice(0, 60)}" is ${length} characters; Graph allows at most ${MAX_DISPLAY_NAME}`);
  return n;
}
