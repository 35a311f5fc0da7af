/**
 * Options are a schema: each command declares its options with zod (the
 * tree-shakable zod/mini API, so start-up stays fast), reusing the domain's
 * validators, so parsing and validation are one testable thing.
 */
import { _default, array, boolean, NEVER, object, optional, pipe, safeParse, string, superRefine, transform, type output, type ZodMiniType } from 'zod/mini';
import { UsageError } from '../domain/core/errors.js';

/** The zod/mini functions commands use, named so the bundler keeps only these. */
export const z = { _default, array, boolean, object, optional, string, superRefine };

/** A string option checked (and normalised) by a domain validator that throws UsageError. */
export function rule<T>(fn: (value: string) => T) {
  return pipe(
    string(),
    transform((value: string, ctx) => {
      try {
        return fn(value);
      } catch (e) {
        ctx.issues.push({ code: 'custom', message: (e as Error).message, input: value });
        return NEVER as T;
      }
    }),
  );
}

/** Parse raw commander options; the first problem becomes one UsageError line. */
export function parseWith<S extends ZodMiniType>(schema: S, raw: unknown): output<S> {
  const r = safeParse(schema, raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  const flag = path ? '--' + path.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()) : 'input';
  throw new UsageError(issue.code === 'custom' ? issue.message : `${flag}: ${issue.message}`);
}
