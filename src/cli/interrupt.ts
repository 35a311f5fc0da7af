/**
 * SIGINT, SIGTERM and SIGHUP (SPEC.md "Behaviour every command keeps").
 *
 * better-sqlite3 is synchronous, so a signal handler only runs when the
 * event loop turns: between awaits that wait for real I/O or a timer. The
 * handler therefore does nothing but record the signal and abort an
 * AbortSignal. Long loops call `checkpoint()` (which lets the loop turn now
 * and then) and waits that could last forever (a stopped reader of stdout,
 * stdin, a prompt) race the AbortSignal. Either way an InterruptedError is
 * thrown where the work stands: the transaction rolls back (unless it had
 * committed), the spool is discarded, the store closed, and main.ts alone
 * turns the error into the exit status and the one line that says what
 * happened.
 */
import { InterruptedError, type InterruptSignal } from '../domain/core/errors.js';

export const SIGNALS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** How long a checkpoint lets work run before it lets the event loop turn (and a handler run). */
const SLICE_MS = 25;

export class Interrupts {
  private received: InterruptSignal | undefined;
  private readonly controller = new AbortController();
  private lastTurn = Date.now();
  private detach: (() => void) | undefined;
  /** Called for each signal after the first (main.ts stops at once then). */
  onRepeat: ((signal: InterruptSignal) => void) | undefined;

  /** The first signal received, if any. */
  get pending(): InterruptSignal | undefined {
    return this.received;
  }

  /** Aborted at the first signal, with the InterruptedError as its reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Record a signal (what the process handlers call; tests call it directly). */
  raise(signal: InterruptSignal): void {
    if (this.received) {
      this.onRepeat?.(signal);
      return;
    }
    this.received = signal;
    this.controller.abort(new InterruptedError(signal));
  }

  /** Listen to the process's signals (instead of dying at once) until `dispose()`. */
  listen(proc: NodeJS.Process = process): this {
    const handlers = SIGNALS.map((sig) => [sig, () => this.raise(sig)] as const);
    for (const [sig, h] of handlers) proc.on(sig, h);
    this.detach = () => {
      for (const [sig, h] of handlers) proc.off(sig, h);
    };
    return this;
  }

  dispose(): void {
    this.detach?.();
    this.detach = undefined;
  }

  /** Throw the InterruptedError if a signal came. */
  check(): void {
    if (this.received) throw this.controller.signal.reason as InterruptedError;
  }

  /** For long loops: let the event loop turn every SLICE_MS (so a signal is seen), then check. */
  async checkpoint(): Promise<void> {
    if (Date.now() - this.lastTurn >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastTurn = Date.now();
    }
    this.check();
  }

  /** Wait for `p`, unless a signal comes first (for waits that may never end). */
  race<T>(p: Promise<T>): Promise<T> {
    this.check();
    const signal = this.controller.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }
}
