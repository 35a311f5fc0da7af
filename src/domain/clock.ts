import { UsageError } from './errors.js';

/** The single clock every time-dependent rule reads. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at.getTime()) };
}

/** `DELEGATE_NOW` (an ISO time) pins the clock, so scripts and tests can see time pass. */
export function clockFromEnv(value: string | undefined): Clock {
  if (value === undefined || value === '') return systemClock;
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new UsageError(`DELEGATE_NOW must be an ISO-8601 time such as 2026-01-31T12:00:00Z, not "${value}"`);
  }
  return fixedClock(at);
}

export function iso(d: Date): string {
  return d.toISOString();
}
