/**
 * The values a plan is made of: literal JSON, references to a field of an
 * earlier response (`${<id>.<field>}` when printed), and strings made of
 * both. The plan vocabulary (request.ts) and the intents (intent.ts) use them.
 */

/** A top-level property of an earlier request's response body. */
export interface Ref {
  readonly ref: string;
  readonly field: string;
}

export function ref(id: string, field: string): Ref {
  return { ref: id, field };
}

/** A string made of literal text and references to earlier responses. */
export class Template {
  constructor(readonly parts: readonly (string | Ref)[]) {}
}

/** `tpl\`${base}/users/${ref('user', 'id')}\``: literal parts stay literal, Refs become references. */
export function tpl(strings: TemplateStringsArray, ...values: (string | Ref)[]): Template {
  const parts: (string | Ref)[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length) parts.push(values[i]!);
  });
  return new Template(parts);
}

export type Value = string | number | boolean | null | Ref | Template | readonly Value[] | { readonly [k: string]: Value };
