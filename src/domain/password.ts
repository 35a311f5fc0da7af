/** Strong temporary passwords, from node:crypto, shown once and never stored. */
import { randomInt } from 'node:crypto';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
// Symbols Microsoft Entra accepts in passwords, minus ones that are awkward to paste into a shell.
const SYMBOLS = '!#%+-=?@^_~*.,:';
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;

export const PASSWORD_LENGTH = 20;

/** At least one upper, lower, digit and symbol; the rest uniform over all classes; shuffled. */
export function temporaryPassword(length = PASSWORD_LENGTH): string {
  if (length < 16) throw new Error('temporary passwords are at least 16 characters');
  const pick = (set: string) => set[randomInt(set.length)]!;
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(ALL));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

export function isStrongPassword(p: string): boolean {
  return p.length >= 16 && /[A-Z]/.test(p) && /[a-z]/.test(p) && /\d/.test(p) && /[^A-Za-z0-9]/.test(p);
}
