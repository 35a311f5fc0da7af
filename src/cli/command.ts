/**
 * What command files share, apart from the root (program.ts): the shape of a
 * noun's or verb's `register`, nested nouns, and the option schemas several
 * commands use. program.ts imports this module; nothing here imports program.ts.
 *
 * A verb file (commands/<noun>/<verb>.ts) exports its options as a zod schema
 * (`schema`), `run(opts, ctx)` returning data (no printing, no prompting, no
 * ending the process), its view (`show`, through render.ts) and `register(noun, ctx)`,
 * which declares the commander command with `.command('<verb>')` and in its
 * action parses commander's options through the schema (parseWith: the first
 * problem is one UsageError line, exit 2), asks for what is missing or needs
 * confirming, then runs and shows. The schema's fields are checked in order,
 * then its `across` checks in order: options that cannot go together, then
 * what needs them all (a --file's readability). A value still to be asked for
 * leaves the checks that need it for the parse after the answer.
 */
import type { Command } from 'commander';
import { boolean, NEVER, optional, pipe, string, superRefine, transform, unknown } from 'zod/mini';
import type { Context } from './context.js';
import { planFlag } from './plan.js';
import { checkReadable } from './csv.js';
import { UsageError } from '../domain/core/errors.js';

/** A verb's registration: `cmd` is its noun's command, made and described by its parent. */
export type Register = (cmd: Command, ctx: Context) => void;

/**
 * A noun's registration: `words` are the command line's words after the noun (absent: every verb is
 * needed, as for completion), so that only the verb invoked is loaded.
 */
export type RegisterNoun = (cmd: Command, ctx: Context, words?: readonly string[]) => void | Promise<void>;

type VerbModule = Promise<{ register: Register }>;

/** A noun's verbs, in the order its help lists them: each loaded from its own file. */
export type Verbs = readonly (
  | { name: string; load: () => VerbModule }
  /** A noun inside the noun (`client user`, `client domain`) with verbs of its own. */
  | { name: string; description: string; verbs: Verbs }
)[];

/** Global options that take a value, which may stand between a noun and its verb. */
const GLOBAL_VALUE_OPTIONS = new Set(['--db', '--as', '--output']);

/** The first word that can be a verb: not an option, nor a global option's value. */
function verbWord(words: readonly string[]): { word: string | undefined; rest: readonly string[] } {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') return { word: undefined, rest: [] };
    if (w.startsWith('-')) {
      if (GLOBAL_VALUE_OPTIONS.has(w)) i++;
      continue;
    }
    return { word: w, rest: words.slice(i + 1) };
  }
  return { word: undefined, rest: [] };
}

/**
 * Register a noun's verbs: `own` (the noun's own action and options, if it has one) always, then only
 * the verb the command line names when it names one exactly; else every verb, in order (the noun's
 * help, a mistyped verb's suggestion, completion). Loading one verb instead of all keeps start-up
 * as cheap as a noun with one verb.
 */
export async function registerVerbs(cmd: Command, ctx: Context, verbs: Verbs, words: readonly string[] | undefined, own?: () => VerbModule): Promise<void> {
  if (own) (await own()).register(cmd, ctx);
  const { word, rest } = words ? verbWord(words) : { word: undefined, rest: undefined };
  const named = verbs.find((v) => v.name === word);
  for (const v of named ? [named] : verbs) {
    if ('load' in v) (await v.load()).register(cmd, ctx);
    else await registerVerbs(cmd.command(v.name).description(v.description), ctx, v.verbs, named ? rest : undefined);
  }
}

/** Any value checked by a rule that throws (UsageError): the rule's message becomes the issue's. */
export function checked<T>(fn: (value: unknown) => T) {
  return pipe(
    unknown(),
    transform((value: unknown, ctx) => {
      try {
        return fn(value);
      } catch (e) {
        ctx.issues.push({ code: 'custom', message: (e as Error).message, input: value });
        return NEVER as T;
      }
    }),
  );
}

/** A string option checked by a domain validator, kept as the user typed it (the validator's normalised form is not used). */
export function valid(fn: (value: string) => unknown) {
  return checked((value) => {
    fn(value as string);
    return value as string;
  });
}

/** A boolean flag (commander gives true, or nothing). */
export const flag = optional(boolean());

/** `--plan [graph]`: true, false, or exit 2 (cli/plan.ts). */
export const planSchema = optional(checked((plan) => planFlag({ plan: plan as string | boolean | undefined })));

/** A string that is either given or not (checked by an `across` check below it, or by the domain). */
export const text = optional(string());

/** A value that must be given (empty counts as missing): `message` names it; `then` checks and shapes it. */
export function required<T = string>(message: string, then: (value: string) => T = (value) => value as T) {
  return checked((value) => {
    if (!value) throw new UsageError(message);
    return then(value as string);
  });
}

/** A check across options (run once each option parsed): the problem it names, if any, is the one-line UsageError. */
export function across<T>(problem: (options: T) => string | undefined) {
  return superRefine((options: T, ctx) => {
    const message = problem(options);
    if (message !== undefined) ctx.issues.push({ code: 'custom', message, input: options });
  });
}

/** A `--file <csv|->` that cannot be read: its problem (checked last, after the options' other checks). */
export function unreadable(file: string | undefined): string | undefined {
  return file === undefined ? undefined : problemOf(() => checkReadable(file));
}

/** The message a domain validator throws, if it throws (for checks across options). */
export function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
