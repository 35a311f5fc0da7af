import { createRequire } from 'node:module';
/**
 * Where output goes. Commands write through this object, so tests can record
 * output and say whether "the terminal" is one.
 */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  /** Resolves once stdout can take more (so large outputs do not pile up in memory). */
  drained(): Promise<void>;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** The terminal's width in columns, when stdout is a terminal. */
  readonly columns?: number;
}

/** Raised when the reader of stdout went away (`delegate client list | head`). */
export function outputClosed(): Error {
  return Object.assign(new Error('Output closed early'), { code: 'EPIPE' });
}

export function processIO(): IO {
  let closed = false;
  let stdinTTY: boolean | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    process.stdout.emit('drain');
  });
  return {
    out: (t) => {
      if (closed) throw outputClosed();
      process.stdout.write(t);
    },
    err: (t) => void process.stderr.write(t),
    drained: () => {
      if (closed) return Promise.reject(outputClosed());
      if (!process.stdout.writableNeedDrain) return Promise.resolve();
      return new Promise<void>((resolve, reject) => process.stdout.once('drain', () => (closed ? reject(outputClosed()) : resolve())));
    },
    // process.stdin is created on first touch, which costs start-up time: only bulk input and prompts need it.
    get stdin() {
      return process.stdin;
    },
    // node:tty loads only when asked (prompts, bulk input): reading commands never need it.
    get stdinIsTTY() {
      return (stdinTTY ??= (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(0));
    },
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    get columns() {
      return process.stdout.isTTY ? process.stdout.columns : undefined;
    },
  };
}

/** Prompts only when stdin and stdout are terminals and --no-input is not set. */
export function canPrompt(io: IO, inputAllowed: boolean): boolean {
  return inputAllowed && io.stdoutIsTTY && io.stdinIsTTY;
}

/** Colour only on a terminal, never with NO_COLOR or --no-color. */
export function useColor(io: IO, env: NodeJS.ProcessEnv, colorFlag: boolean, stream: 'out' | 'err' = 'out'): boolean {
  if (!colorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream === 'out' ? io.stdoutIsTTY : io.stderrIsTTY;
}
