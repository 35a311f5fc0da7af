/** A prompter that answers from a script and records the questions it was asked. */
import { CancelledError } from '../../src/domain/core/errors.js';
import type { Prompter } from '../../src/cli/prompter.js';

export type Answer = string | boolean | 'CANCEL';

export function scriptedPrompter(answers: Answer[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = (message: string): Answer => {
    asked.push(message);
    if (answers.length === 0) throw new Error(`unexpected prompt: ${message}`);
    const a = answers.shift()!;
    if (a === 'CANCEL') throw new CancelledError();
    return a;
  };
  return {
    asked,
    async input(message, opts) {
      const a = String(next(message));
      const ok = opts?.validate?.(a);
      if (ok !== undefined && ok !== true) throw new Error(`prompt answer rejected: ${ok}`);
      return a;
    },
    async confirm(message) {
      return Boolean(next(message));
    },
    async select(message, choices) {
      const a = String(next(message));
      if (!choices.some((c) => c.value === a)) throw new Error(`no choice ${a}`);
      return a as never;
    },
  };
}
