/** Prompts, behind an interface so tests inject answers. Loaded only when a prompt is shown. */
import { CancelledError } from '../domain/core/errors.js';

export interface Prompter {
  input(message: string, opts?: { default?: string; validate?: (value: string) => string | true }): Promise<string>;
  confirm(message: string, opts?: { default?: boolean }): Promise<boolean>;
  select<T extends string>(message: string, choices: readonly { value: T; name: string }[]): Promise<T>;
}

function cancelled(e: unknown, signal?: AbortSignal): never {
  // A signal (SIGTERM, SIGHUP; SIGINT when the terminal is not in raw mode) aborted the prompt: report that signal.
  if (signal?.aborted) throw signal.reason;
  const name = (e as Error | undefined)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') throw new CancelledError();
  throw e;
}

/**
 * @inquirer/prompts on the real terminal; prompts are drawn on stderr so
 * stdout stays data. Ctrl-C at a prompt (the terminal is in raw mode, so no
 * SIGINT) cancels: exit 130. `signal` aborts an open prompt, restoring the
 * terminal, when the process receives a signal.
 */
export function inquirerPrompter(signal?: AbortSignal): Prompter {
  const context = { output: process.stderr, signal };
  const fail = (e: unknown): never => cancelled(e, signal);
  const load = () => import('@inquirer/prompts');
  return {
    async input(message, opts) {
      const { input } = await load();
      return input({ message, default: opts?.default, validate: opts?.validate }, context).catch(fail);
    },
    async confirm(message, opts) {
      const { confirm } = await load();
      return confirm({ message, default: opts?.default ?? false }, context).catch(fail);
    },
    async select(message, choices) {
      const { select } = await load();
      return select({ message, choices: choices.map((c) => ({ value: c.value, name: c.name })) }, context).catch(fail);
    },
  };
}
