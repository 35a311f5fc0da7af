/**
 * What delegate keeps on disk (the store and the settings) is private to the
 * user whatever the umask: the directories it creates are 0700, the files
 * 0600, an existing file with a wider mode is narrowed. A directory delegate
 * did not create keeps its mode: it may be shared on purpose (a home, /tmp).
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { relative, sep } from 'node:path';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/**
 * Create `dir` and any missing parents, each 0700 (mkdir's mode is filtered
 * by the umask, so each created directory is set explicitly). Directories
 * that already exist are left as they are.
 */
export function makePrivateDirs(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  if (first === undefined) return;
  // Every directory from the first one created down to `dir` is new.
  const parts = relative(first, dir).split(sep).filter(Boolean);
  let current = first;
  chmodSync(current, PRIVATE_DIR);
  for (const p of parts) {
    current = `${current}${sep}${p}`;
    chmodSync(current, PRIVATE_DIR);
  }
}

/**
 * Narrow a file delegate keeps to 0600 when its mode is anything else. A file
 * that is missing, or that belongs to someone else (chmod is refused), is
 * left alone: whether it can be used at all is decided elsewhere.
 */
export function makePrivateFile(path: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return;
  }
  if (mode === PRIVATE_FILE) return;
  try {
    chmodSync(path, PRIVATE_FILE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EACCES' && code !== 'EROFS' && code !== 'ENOENT') throw e;
  }
}
