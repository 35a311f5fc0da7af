/** Strong temporary passwords, from node:crypto, shown once and never stored. */
import { randomInt } from '../core/crypto.js';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
// Symbols Microsoft Entra accepts in passwords, minus ones that are awkward to paste into a shell.
const SYMBOLS = '!#%+-=?@^_~*.,:';
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;

export const PASSWORD_LENGTH = 20;

const ALPHANUMERIC = UPPER + LOWER + DIGITS;

/**
 * The first character is a letter or digit, so a password pasted into a
 * spreadsheet or CSV cell is never read as a formula (= + - @) and never
 * looks like an option. The rest holds at least one upper, lower, digit and
 * symbol, is otherwise uniform over all classes, and is shuffled: about
 * 5.8 + 19 x 6.2 = 123 bits for the default 20 characters.
 */
export function temporaryPassword(length = PASSWORD_LENGTH): string {
  if (length < 16) throw new Error('temporary passwords are at least 16 characters');
  const pick = (set: string) => set[randomInt(set.length)]!;
  const rest = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (rest.length < length - 1) rest.push(pick(ALL));
  for (let i = rest.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  return pick(ALPHANUMERIC) + rest.join('');
}

