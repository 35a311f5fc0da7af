/** An IO that records what a command prints and says whether "the terminal" is one. */
import { Readable } from 'node:stream';
import type { IO } from '../../src/cli/io.js';

export interface FakeIO extends IO {
  stdout(): string;
  stderr(): string;
}

export function fakeIO(opts: { tty?: boolean; stdin?: string | AsyncIterable<string> } = {}): FakeIO {
  let out = '';
  let err = '';
  const tty = opts.tty ?? false;
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    drained: async () => undefined,
    stdin: Readable.from(typeof opts.stdin === 'object' ? opts.stdin : [opts.stdin ?? '']),
    stdinIsTTY: tty,
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    stdout: () => out,
    stderr: () => err,
  };
}
