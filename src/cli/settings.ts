/**
 * User settings (keys: actor, output, db, mode, and live mode's live.*) kept by conf in its directory, or in
 * DELEGATE_CONFIG_DIR. Reading a setting parses conf's JSON file directly
 * (conf itself, with its schema validator, loads only to change a setting),
 * and creates nothing: a command that only reads leaves no directory behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../domain/core/errors.js';
import * as v from '../domain/core/validate.js';
import { makePrivateDirs, makePrivateFile, PRIVATE_FILE } from '../store/files.js';
import { defaultConfigDir } from './paths.js';

export const OUTPUTS = ['table', 'json', 'csv', 'plain'] as const;
export type Output = (typeof OUTPUTS)[number];

export const SETTING_KEYS = [
  'actor',
  'output',
  'db',
  'mode',
  'live.settle',
  'live.limits.tenantRelationships',
  'live.limits.identity',
  'live.limits.partnerCenter',
  'live.concurrency',
  'live.tenantSize',
] as const;

/**
 * The rate limiter's settings (SPEC "Sync at partner scale"; the numbers Microsoft publishes are cited in
 * src/microsoft/limiter.ts): each a positive number; a partner may lower them, since every technician
 * on the same app and tenant shares Microsoft's limits.
 */
export const LIMIT_SETTINGS = {
  'live.limits.tenantRelationships': 'requests per 20 seconds (default 1000)',
  'live.limits.identity': 'resource units per 10 seconds (default by live.tenantSize: 3500, 5000 or 8000)',
  'live.limits.partnerCenter': 'requests per minute (default 500)',
  'live.concurrency': 'requests in flight per service (default 8)',
} as const;
export const TENANT_SIZES = ['small', 'medium', 'large'] as const;

/**
 * `live.settle` (seconds, default 120): how long after a request's deadline a read-back that finds
 * nothing means "not applied" (Entra is eventually consistent: a new object may read as absent for a
 * while; Microsoft publishes no figure, so this is delegate's choice; docs/live-mode.md "Exactly once").
 */
export const DEFAULT_SETTLE_SECONDS = 120;

/** `mode`: offline (the ledger only, the default) or live (changing commands go to Microsoft, as with --live). */
export const MODES = ['offline', 'live'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface Settings {
  get(key: SettingKey): string | undefined;
  set(key: SettingKey, value: string): Promise<void>;
  unset(key: SettingKey): Promise<void>;
  all(): Partial<Record<SettingKey, string>>;
  readonly path: string;
}

export function settingKey(key: string): SettingKey {
  if (!(SETTING_KEYS as readonly string[]).includes(key)) {
    throw new UsageError(`Unknown setting "${key.slice(0, 40)}": the settings are ${SETTING_KEYS.join(', ')}`);
  }
  return key as SettingKey;
}

/** Validate a value for a key; returns it normalised. */
export function settingValue(key: SettingKey, value: string): string {
  if (key === 'actor') return v.email(value, 'actor');
  // The store: a file path or a postgres:// URL (checked when it is opened).
  if (key === 'db') return v.printable(value, 'db');
  if (key === 'live.settle') return String(v.nonNegativeInt(value, 'live.settle', 86_400));
  if (key === 'live.tenantSize') return v.oneOf(value, TENANT_SIZES, 'live.tenantSize');
  if (key === 'live.concurrency') return String(v.positiveInt(value, `live.concurrency (${LIMIT_SETTINGS[key]})`, 1000));
  if (key in LIMIT_SETTINGS) return String(positiveNumber(value, `${key} (${LIMIT_SETTINGS[key as keyof typeof LIMIT_SETTINGS]})`));
  return key === 'mode' ? v.oneOf(value, MODES, 'mode') : v.oneOf(value, OUTPUTS, 'output');
}

/** A plain decimal number above 0 and at most a million (exit 2 otherwise). */
function positiveNumber(value: string, what: string): number {
  const s = value.trim();
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
  if (!(n > 0 && n <= 1_000_000)) throw new UsageError(`${what} must be a number greater than 0 and at most 1000000, not ${JSON.stringify(value.slice(0, 40))}`);
  return n;
}

/** conf's file name in its directory (conf's defaults: configName "config", fileExtension "json"). */
const CONFIG_FILE = 'config.json';

export async function confSettings(env: NodeJS.ProcessEnv): Promise<Settings> {
  const cwd = env.DELEGATE_CONFIG_DIR || defaultConfigDir(env);
  const path = join(cwd, CONFIG_FILE);
  let values: Partial<Record<SettingKey, string>> | undefined;
  const read = (): Partial<Record<SettingKey, string>> => {
    if (values) return values;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return (values = {});
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(`The settings file ${path} is not valid JSON: fix it, or remove it to start again`);
    }
    makePrivateFile(path); // an older file may be wider than 0600
    values = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Partial<Record<SettingKey, string>>) : {};
    return values;
  };
  const write = async (change: (conf: { set(k: SettingKey, v: string): void; delete(k: SettingKey): void }) => void): Promise<void> => {
    const { default: Conf } = await import('conf');
    // The directory is made here, 0700, before conf would make it with the umask's mode.
    makePrivateDirs(cwd);
    const conf = new Conf<Partial<Record<SettingKey, string>>>({
      projectName: 'delegate',
      projectSuffix: '',
      cwd,
      configFileMode: PRIVATE_FILE,
      // Keys such as live.settle are flat names, as the file is read above, not nested objects.
      accessPropertiesByDotNotation: false,
    });
    change(conf);
    // conf writes with 0600, but the umask can narrow that further, and an older file may be wider.
    makePrivateFile(conf.path);
    values = { ...conf.store };
  };
  return {
    get: (k) => {
      const value = read()[k];
      return typeof value === 'string' ? value : undefined;
    },
    set: (k, val) => write((conf) => conf.set(k, val)),
    unset: (k) => write((conf) => conf.delete(k)),
    all: () => ({ ...read() }),
    path,
  };
}
