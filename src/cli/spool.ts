/**
 * Output that must not be seen unless the command succeeds (all-or-nothing
 * bulk work), without holding it all in memory: text is kept in memory up to
 * a limit, then in a private temporary file, and written out only on commit.
 */
import { chmodSync, closeSync, createReadStream, fchmodSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_DIR, PRIVATE_FILE } from '../store/files.js';

const MEMORY_LIMIT = 4 << 20;

/** The temporary directory `env` names (TMPDIR, TMP, TEMP), else the system's: os.tmpdir()'s rule, on this env. */
function tempDir(env: NodeJS.ProcessEnv): string {
  const named = process.platform === 'win32' ? env.TEMP || env.TMP : env.TMPDIR || env.TMP || env.TEMP;
  if (named) return named.replace(/(.)[\\/]+$/, '$1');
  return process.platform === 'win32' ? tmpdir() : '/tmp';
}

export class Spool {
  private parts: string[] = [];
  private fd: number | undefined;
  private dir: string | undefined;
  /** Characters written so far, and of those, characters handed on by `commit`. */
  size = 0;
  printed = 0;

  /**
   * `spill: false` keeps everything in memory (for secrets such as temporary passwords). The file
   * goes in the command's temporary directory: TMPDIR of its environment, as os.tmpdir() reads it
   * from the process's.
   */
  constructor(
    private readonly spill = true,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  write(text: string): void {
    this.size += text.length;
    if (this.fd !== undefined) {
      writeSync(this.fd, text);
      return;
    }
    this.parts.push(text);
    if (this.spill && this.size > MEMORY_LIMIT) {
      this.dir = mkdtempSync(join(tempDir(this.env), 'delegate-'));
      chmodSync(this.dir, PRIVATE_DIR); // 0700 and 0600 whatever the umask
      this.fd = openSync(join(this.dir, 'out'), 'w', PRIVATE_FILE);
      fchmodSync(this.fd, PRIVATE_FILE);
      writeSync(this.fd, this.parts.join(''));
      this.parts = [];
    }
  }

  /** Hand everything written so far to `out`, in order, then clean up. */
  async commit(out: (text: string) => void, drained: () => Promise<void> = async () => undefined): Promise<void> {
    try {
      if (this.fd === undefined) {
        if (this.parts.length) out(this.parts.join(''));
        this.printed = this.size;
        return;
      }
      closeSync(this.fd);
      this.fd = undefined;
      for await (const chunk of createReadStream(join(this.dir!, 'out'), { encoding: 'utf8', highWaterMark: 1 << 20 })) {
        out(chunk as string);
        this.printed += (chunk as string).length;
        await drained();
      }
    } finally {
      this.discard();
    }
  }

  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.parts = [];
  }
}
