import { UsageError } from './errors.js';

/** The single clock every time-dependent rule reads. */
export interface Clock {
  now(): Date;
  /**
   * Set when the time is pinned rather than read from the system: names what
   * pinned it (e.g. `DELEGATE_NOW`). A pinned time is a claim the ledger will
   * not move: a write pinned before the newest audit entry is refused.
   */
  readonly pinned?: string;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date, pinned = 'the fixed clock'): Clock {
  return { now: () => new Date(at.getTime()), pinned };
}

/** `clock`, but never earlier than `floorMs` (for a system clock that is behind the ledger). */
export function notBefore(clock: Clock, floorMs: number): Clock {
  return { now: () => new Date(Math.max(clock.now().getTime(), floorMs)) };
}

/** `DELEGATE_NOW` (an ISO time) pins the clock, so scripts and tests can see time pass. */
export function clockFromEnv(value: string | undefined): Clock {
  if (value === undefined || value === '') return systemClock;
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new UsageError(`DELEGATE_NOW must be an ISO-8601 time such as 2026-01-31T12:00:00Z, not "${value}"`);
  }
  return fixedClock(at, 'DELEGATE_NOW');
}

export function iso(d: Date): string {
  return d.toISOString();
}
