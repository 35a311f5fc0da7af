/**
 * User settings (keys: actor, output) kept by conf in its directory, or in
 * DELEGATE_CONFIG_DIR. conf is loaded only when a setting is actually needed.
 */
import { UsageError } from '../domain/errors.js';
import * as v from '../domain/validate.js';
import { makePrivateDirs, makePrivateFile, PRIVATE_FILE } from '../store/files.js';
import { defaultConfigDir } from './paths.js';

export const OUTPUTS = ['table', 'json', 'csv', 'plain'] as const;
export type Output = (typeof OUTPUTS)[number];

export const SETTING_KEYS = ['actor', 'output'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface Settings {
  get(key: SettingKey): string | undefined;
  set(key: SettingKey, value: string): void;
  unset(key: SettingKey): void;
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
  return key === 'actor' ? v.email(value, 'actor') : v.oneOf(value, OUTPUTS, 'output');
}

export async function confSettings(env: NodeJS.ProcessEnv): Promise<Settings> {
  const { default: Conf } = await import('conf');
  // The directory is made here, 0700, before conf would make it with the umask's mode.
  const cwd = env.DELEGATE_CONFIG_DIR || defaultConfigDir(env);
  makePrivateDirs(cwd);
  const conf = new Conf<Partial<Record<SettingKey, string>>>({
    projectName: 'delegate',
    projectSuffix: '',
    cwd,
    configFileMode: PRIVATE_FILE,
  });
  // conf writes with 0600, but the umask can narrow that further, and an older file may be wider.
  makePrivateFile(conf.path);
  const written = (): void => makePrivateFile(conf.path);
  return {
    get: (k) => conf.get(k),
    set: (k, val) => {
      conf.set(k, val);
      written();
    },
    unset: (k) => {
      conf.delete(k);
      written();
    },
    all: () => ({ ...conf.store }),
    path: conf.path,
  };
}
