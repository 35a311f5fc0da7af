/** Where the store lives by default: a file in the user's data directory. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDbPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'delegate', 'delegate.db');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'delegate', 'Data', 'delegate.db');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'delegate', 'delegate.db');
}
