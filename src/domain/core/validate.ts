/**
 * Input rules shared by every layer. Each returns the normalised value or
 * throws UsageError with one line that says what is wrong and what is expected.
 */
import { UsageError } from './errors.js';
import type { Cloud } from './model.js';

// Top-level domains: letters, or an internationalised one in punycode (xn--fiqs8s is .中国).
const TLD = '(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})';
const EMAIL = new RegExp(`^[a-z0-9!#$%&'*+/=?^_\`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_\`{|}~-]+)*@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+${TLD})$`);
const DOMAIN = new RegExp(`^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+${TLD}$`);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? value.slice(0, 77) + '...' : value);
}

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value.trim().toLowerCase());
}

export function email(value: string, what = 'email'): string {
  const v = value.trim().toLowerCase();
  if (!isEmail(v)) throw new UsageError(`${what} ${show(value)} is not a valid email address (expected name@example.com)`);
  return v;
}

export function isDomain(value: string): boolean {
  return DOMAIN.test(value.trim().toLowerCase().replace(/\.$/, ''));
}

export function domain(value: string, what = 'domain'): string {
  const v = value.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(v)) throw new UsageError(`${what} ${show(value)} is not a valid domain name (expected e.g. contoso.com)`);
  return v;
}

export function guid(value: string, what = 'tenant id'): string {
  const v = value.trim().toLowerCase().replace(/^\{(.*)\}$/, '$1');
  if (!GUID.test(v)) {
    throw new UsageError(`${what} ${show(value)} is not a GUID (expected e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47)`);
  }
  return v;
}

/** A display name: printable, trimmed, 1..max characters. */
export function displayName(value: string, what = 'name', max = 256): string {
  const v = value.normalize('NFC').trim();
  const length = [...v].length;
  if (length === 0) throw new UsageError(`${what} must not be empty`);
  if (length > max) throw new UsageError(`${what} is ${length} characters long; at most ${max} are allowed`);
  if (CONTROLS.test(v)) throw new UsageError(`${what} ${show(value)} contains control characters`);
  return v;
}

// C0 and C1 controls, line/paragraph separators, and bidirectional overrides (which can disguise text).
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Free text that is kept (audited) as given: refused when it holds a control character, named by its code point. */
export function printable(value: string, what: string): string {
  const bad = CONTROLS.exec(value);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new UsageError(`${what} contains a control character or bidirectional override (U+${code}), which could disguise what is printed`);
  }
  return value;
}

/** A whole number from 0 to `max` (exit 2 otherwise). */
export function nonNegativeInt(value: string | number, what: string, max = 1_000_000): number {
  const s = String(value).trim();
  if (!/^\d+$/.test(s) || Number(s) > max) throw new UsageError(`${what} must be a whole number from 0 to ${max}, not ${show(s)}`);
  return Number(s);
}

export function positiveInt(value: string | number, what: string, max = 1_000_000): number {
  const s = String(value).trim();
  if (!/^\d+$/.test(s)) throw new UsageError(`${what} must be a whole number from 1 to ${max}, not ${show(s)}`);
  const n = Number(s);
  if (n < 1 || n > max) throw new UsageError(`${what} must be a whole number from 1 to ${max}, not ${s}`);
  return n;
}

/**
 * A Partner ID (formerly MPN ID): the integer Partner Center shows under
 * Account settings > Legal info / Identifiers
 * (https://learn.microsoft.com/partner-center/partner-center-account-setup), e.g. 1234566
 * (https://learn.microsoft.com/partner-center/manage-locations). Microsoft gives no length; 1 to 10 digits.
 */
export function partnerId(value: string, what = 'Partner ID'): number {
  const s = value.trim();
  if (!/^\d{1,10}$/.test(s) || Number(s) < 1) throw new UsageError(`${what} must be your integer Partner ID (formerly MPN ID), e.g. 1234567, not ${show(s)}`);
  return Number(s);
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  // Any case; the canonical spelling comes back (Graph's statuses are camelCase, e.g. approvalPending).
  const v = value.trim().toLowerCase();
  const found = allowed.find((a) => a.toLowerCase() === v);
  if (found === undefined) throw new UsageError(`${what} must be one of ${allowed.join(', ')}, not ${show(value)}`);
  return found;
}

/** A client named on the command line: its domain, or its Microsoft tenant id (a GUID). */
export function clientRef(value: string, what = 'client domain'): string {
  const t = value.trim().replace(/^\{(.*)\}$/, '$1');
  if (GUID.test(t.toLowerCase())) return t.toLowerCase();
  return domain(value, what);
}

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/**
 * A database login (a PostgreSQL role name): 1 to 63 bytes (NAMEDATALEN - 1), no control
 * characters. https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
export function dbLogin(value: string, what = '--db-login'): string {
  if (value === '' || Buffer.byteLength(value, 'utf8') > 63 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new UsageError(`${what} must be a database login name (1 to 63 bytes, no control characters), not "${value}"`);
  }
  return value;
}

/** Microsoft's initial (`.onmicrosoft.com`) domains, and 21Vianet's (`.partner.onmschina.cn`, SPEC.md "URLs"). */
export const INITIAL_SUFFIX: Record<Cloud, string> = { global: '.onmicrosoft.com', china: '.partner.onmschina.cn' };

/** Whether a name is one of Microsoft's initial domains, on either cloud: those are Microsoft's to give, never added. */
export function isInitialDomainName(name: string): boolean {
  return Object.values(INITIAL_SUFFIX).some((suffix) => name.endsWith(suffix));
}
