/**
 * ISO-8601 durations as Microsoft Graph's delegatedAdminRelationship takes
 * them: `duration` from P1D to P2Y (730 days); `autoExtendDuration` PT0S or P180D.
 */
import { UsageError } from './errors.js';

export const DAY_MS = 86_400_000;
export const MAX_DAYS = 730;
export const PENDING_DAYS = 90;
export const AUTO_EXTEND_DAYS = 180;

export const AUTO_EXTEND = ['PT0S', 'P180D'] as const;
export type AutoExtend = (typeof AUTO_EXTEND)[number];

/** Days in a date-only ISO duration (Y = 365, M = 30, W = 7 days). */
export function durationDays(text: string, what = '--duration'): number {
  const t = text.trim().toUpperCase();
  const m = t.match(/^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/);
  if (!m) throw new UsageError(`${what} ${JSON.stringify(text.slice(0, 30))} is not an ISO-8601 duration in days, weeks, months or years (e.g. P730D, P1Y, P90D)`);
  const [y, mo, w, d] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number];
  const days = y * 365 + mo * 30 + w * 7 + d;
  if (days < 1 || days > MAX_DAYS) throw new UsageError(`${what} must be from P1D to P2Y (730 days), not ${t} (${days} days)`);
  return days;
}

/** Normalise a duration to its canonical PnD form. */
export function normaliseDuration(text: string, what = '--duration'): string {
  return `P${durationDays(text, what)}D`;
}

export function autoExtend(text: string): AutoExtend {
  const t = text.trim().toUpperCase();
  if (t === 'PT0S' || t === 'P180D') return t;
  throw new UsageError(`--auto-extend must be PT0S (off) or P180D, not ${JSON.stringify(text.slice(0, 20))}`);
}

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}
