/**
 * Entry point: build the program, run it, map errors to exit codes. The only
 * place that decides the process's exit status.
 */
import { CommanderError } from 'commander';
import { DelegateError } from './domain/errors.js';
import { Context, type Deps } from './cli/context.js';
import { processIO } from './cli/io.js';
import { inquirerPrompter } from './cli/prompter.js';
import { systemClipboard } from './cli/clipboard.js';
import { buildProgram } from './cli/program.js';

export function defaultDeps(): Deps {
  const env = process.env;
  const prompter = inquirerPrompter();
  const clipboard = systemClipboard(env);
  return {
    io: processIO(),
    env,
    prompter: () => prompter,
    clipboard: () => clipboard,
    settings: async () => (await import('./cli/settings.js')).confSettings(env),
    openStore: async (path, opts) => (await import('./store/sqlite/sqlite-store.js')).SqliteStore.open(path, opts),
  };
}

function describe(e: unknown): { code: string; message: string; exit: number } {
  if (e instanceof DelegateError) return { code: e.code, message: e.message, exit: e.exitCode };
  if (e instanceof CommanderError) {
    const message = e.message.replace(/^error: /, '');
    return { code: 'usage', message: message.charAt(0).toUpperCase() + message.slice(1), exit: 2 };
  }
  const err = e as { code?: string; message?: string };
  if (err?.code === 'SQLITE_BUSY' || err?.code === 'SQLITE_LOCKED') {
    return { code: 'store', message: `The store is busy (another delegate is writing and did not finish in time): try again`, exit: 1 };
  }
  if (err?.code === 'SQLITE_FULL') return { code: 'store', message: 'The disk is full: nothing was written', exit: 1 };
  if (typeof err?.code === 'string' && err.code.startsWith('SQLITE_')) {
    return { code: 'store', message: `The store failed (${err.code}): ${err.message}; nothing was written`, exit: 1 };
  }
  return { code: 'internal', message: `Unexpected failure: ${err?.message ?? String(e)}`, exit: 1 };
}

/** Run one command line; returns the exit code. */
export async function runCli(argv: readonly string[], deps: Deps): Promise<number> {
  const ctx = new Context(deps);
  try {
    const program = await buildProgram(ctx, argv);
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')) {
      return 0;
    }
    if (e instanceof CommanderError && e.code === 'commander.executeSubCommandAsync') return 0;
    const d = describe(e);
    if (ctx.outputHint() === 'json') {
      deps.io.err(JSON.stringify({ error: { code: d.code, message: d.message } }) + '\n');
    } else {
      const prefix = d.exit === 130 ? '' : 'Error: ';
      deps.io.err(prefix + d.message + '\n');
      if (d.code === 'internal' && deps.env.DELEGATE_DEBUG) deps.io.err(String((e as Error).stack) + '\n');
    }
    return d.exit;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

/** The process entry (bin/delegate.js). */
export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), defaultDeps());
}
