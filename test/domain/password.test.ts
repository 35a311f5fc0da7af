/**
 * Generated temporary passwords (SPEC.md "Acting for a client", reset-password;
 * "Behaviour every command keeps"): strong, and starting with a letter or
 * digit, so a password pasted into a spreadsheet is never a formula.
 */
import fc from 'fast-check';
import { PASSWORD_LENGTH, temporaryPassword } from '../../src/domain/acting/password.js';
import { isStrongPassword } from '../helpers/shortcuts.js';

const ALPHABET = /^[A-Za-z0-9!#%+\-=?@^_~*.,:]+$/;

describe('temporaryPassword', () => {
  test('property: any length from 16 starts with a letter or digit, has every class, and only known characters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 128 }), (length) => {
        const p = temporaryPassword(length);
        expect(p).toHaveLength(length);
        expect(p).toMatch(/^[A-Za-z0-9]/);
        expect(isStrongPassword(p)).toBe(true);
        expect(p).toMatch(/[A-Z]/);
        expect(p).toMatch(/[a-z]/);
        expect(p).toMatch(/[0-9]/);
        expect(p).toMatch(/[^A-Za-z0-9]/);
        expect(p).toMatch(ALPHABET);
      }),
      { numRuns: 1000 },
    );
  });

  test('the default is 20 characters', () => {
    expect(temporaryPassword()).toHaveLength(PASSWORD_LENGTH);
    expect(PASSWORD_LENGTH).toBe(20);
  });

  test('refuses lengths under 16', () => {
    expect(() => temporaryPassword(15)).toThrow(/at least 16/);
  });

  test('still random: 5,000 passwords are distinct, start with all three classes, and use symbols at every later position', () => {
    const all = Array.from({ length: 5000 }, () => temporaryPassword());
    expect(new Set(all).size).toBe(all.length);
    const firsts = all.map((p) => p[0]!);
    expect(firsts.some((c) => /[A-Z]/.test(c))).toBe(true);
    expect(firsts.some((c) => /[a-z]/.test(c))).toBe(true);
    expect(firsts.some((c) => /[0-9]/.test(c))).toBe(true);
    expect(firsts.every((c) => /[A-Za-z0-9]/.test(c))).toBe(true);
    for (let i = 1; i < PASSWORD_LENGTH; i++) expect(all.some((p) => /[^A-Za-z0-9]/.test(p[i]!))).toBe(true);
  });
});
