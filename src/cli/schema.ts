/**
 * Options are a schema: each command declares its options with zod, reusing
 * the domain's validators, so parsing and validation are one testable thing.
 */
import { z } from 'zod';
import { UsageError } from '../domain/errors.js';

export { z };

/** A string option checked (and normalised) by a domain validator that throws UsageError. */
export function rule<T>(fn: (value: string) => T) {
  return z.string().transform((value, ctx) => {
    try {
      return fn(value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });
}

/** Parse raw commander options; the first problem becomes one UsageError line. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  const flag = path ? '--' + path.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()) : 'input';
  throw new UsageError(issue.code === 'custom' ? issue.message : `${flag}: ${issue.message}`);
}
