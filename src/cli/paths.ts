/** Where the store and the settings live by default. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDbPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'delegate', 'delegate.db');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'delegate', 'Data', 'delegate.db');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'delegate', 'delegate.db');
}

/**
 * The settings' directory when DELEGATE_CONFIG_DIR is not set: where conf
 * (through env-paths, with projectName "delegate" and no suffix) puts it.
 * delegate names it itself so it can create it 0700 before conf touches it.
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Preferences', 'delegate');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'delegate', 'Config');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'delegate');
}
