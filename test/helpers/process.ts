/** A child process's outcome: its exit code (128 when a signal ended it) and what it wrote. */
import type { ChildProcess } from 'node:child_process';

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Collect a spawned child's stdout and stderr (it must be spawned with both piped) until it closes. */
export function finished(child: ChildProcess): Promise<Finished> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}
