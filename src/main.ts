/**
 * Entry point: build the program, run it, map errors to exit codes. The only
 * place that decides the process's exit status. Everything is loaded on
 * demand, so start-up parses as little as possible (bin/delegate.js answers
 * `--version` and `--help` before this module is even loaded).
 */
import type { Context, Deps } from './cli/context.js';
import { Interrupts } from './cli/interrupt.js';
import { jsonText, safeMessage } from './cli/render.js';
import { DelegateError, InterruptedError, type InterruptSignal } from './domain/core/errors.js';

export async function defaultDeps(interrupts = new Interrupts()): Promise<Deps> {
  const env = process.env;
  const { processIO, inquirerPrompter, systemClipboard } = await import('./cli/core.js');
  const prompter = inquirerPrompter(interrupts.signal);
  const clipboard = systemClipboard(env);
  return {
    io: processIO(),
    env,
    prompter: () => prompter,
    clipboard: () => clipboard,
    settings: async () => (await import('./cli/settings.js')).confSettings(env),
    openStore: async (path, opts) => (await import('./store/open.js')).openStore(path, opts, env),
    interrupts,
  };
}

interface Described {
  code: string;
  message: string;
  exit: number;
}

function describe(e: unknown, ctx: Context): Described {
  // A signal decides the outcome, whatever error the work stopped with on the way out.
  const signal = ctx.interrupts.pending;
  if (signal) {
    const { code, exitCode } = e instanceof InterruptedError ? e : new InterruptedError(signal);
    // Live mode says itself what was applied at Microsoft and recorded.
    if (e instanceof InterruptedError && e.explained) return { code, message: e.message, exit: exitCode };
    return { code, message: ctx.interruption(signal), exit: exitCode };
  }
  if (e instanceof DelegateError) return { code: e.code, message: e.message, exit: e.exitCode };
  const err = e as { name?: string; code?: string; message?: string };
  if (err?.name === 'CommanderError') {
    // One line: commander's "(Did you mean ...?)" suggestion joins the message.
    const message = String(err.message).replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    return { code: 'usage', message: message.charAt(0).toUpperCase() + message.slice(1), exit: 2 };
  }
  return { code: 'internal', message: `Unexpected failure: ${err?.message ?? String(e)}`, exit: 1 };
}

/** Whether the command line asked for JSON, for errors found before options were parsed. */
function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--json' || a === '--output=json' || (a === '--output' && argv[i + 1] === 'json')) return true;
  }
  return false;
}

const QUIET_EXITS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync']);

/** Run one command line; returns the exit code. */
export async function runCli(argv: readonly string[], deps: Deps, started?: (ctx: Context) => void): Promise<number> {
  const { Context, buildProgram, protectDashValues } = await import('./cli/core.js');
  const ctx = new Context(deps);
  started?.(ctx);
  try {
    const program = await buildProgram(ctx, argv);
    await program.parseAsync(protectDashValues(program, argv), { from: 'user' });
    ctx.finished = true;
    // A signal no checkpoint saw (it came as the command ended): still reported, with its exit code.
    ctx.interrupts.check();
    return 0;
  } catch (e) {
    const err = e as { name?: string; code?: string };
    if (err?.name === 'CommanderError' && QUIET_EXITS.has(String(err.code))) return 0;
    // The reader of our output went away (`delegate client list | head`): stop quietly, store closed below.
    if (err?.code === 'EPIPE' && !ctx.interrupts.pending) return 0;
    const d = describe(e, ctx);
    ctx.reported = true;
    if (ctx.outputHint() === 'json' || (ctx.outputHint() === undefined && wantsJson(argv))) {
      deps.io.err(jsonText({ error: { code: d.code, message: d.message } }) + '\n');
    } else {
      // A message may quote what the user typed: escaped, so it stays one line and cannot drive the terminal.
      deps.io.err((d.code === 'cancelled' || d.code === 'interrupted' ? '' : 'Error: ') + safeMessage(d.message) + '\n');
      if (d.code === 'internal' && deps.env.DELEGATE_DEBUG) deps.io.err(String((e as Error).stack) + '\n');
    }
    return d.exit;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

/**
 * How long the work may take, after a signal, to reach a point that acts on
 * it (normally a few milliseconds) before the process stops at once anyway:
 * a wait that nothing races (a sign-in, a network call) must not make Ctrl-C
 * do nothing.
 */
const GRACE_MS = 2000;

/** The process entry (bin/delegate.js). */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Listen before anything else, so a signal never ends the process with work half done.
  const interrupts = new Interrupts().listen();
  const deps = await defaultDeps(interrupts);
  let ctxRef: Context | undefined;
  let grace: NodeJS.Timeout | undefined;
  interrupts.signal.addEventListener('abort', () => {
    grace = setTimeout(() => stopNow(interrupts.pending!, deps, ctxRef), GRACE_MS).unref();
  });
  interrupts.onRepeat = (signal) => stopNow(signal, deps, ctxRef);
  process.exitCode = await runCli(argv, deps, (ctx) => (ctxRef = ctx));
  clearTimeout(grace);
  interrupts.dispose();
}

/**
 * A second signal, or the grace period over: stop at once. Everything here
 * is synchronous: the cleanups (spool removed, progress bar stopped), then
 * closing the store, which rolls back an open transaction.
 */
function stopNow(signal: InterruptSignal, deps: Deps, ctx: Context | undefined): void {
  if (ctx) {
    ctx.cleanUp();
    void ctx.close().catch(() => undefined);
    if (!ctx.reported) deps.io.err(ctx.interruption(signal).replace(/^Interrupted \(\w+\)/, `Interrupted (${signal}), stopped at once`) + '\n');
  }
  process.exit(new InterruptedError(signal).exitCode);
}

/** The command reference, docs/commands.md (`npm run docs`: scripts/docs.mjs calls this in the built bundle). */
export async function commandReference(): Promise<string> {
  return (await import('./cli/reference.js')).commandReference();
}
