/** `delegate template create [name] --roles ... [--duration] [--auto-extend] [--assign <group=roles>]...`. */
import type { Command } from 'commander';
import { pipe, transform, type output } from 'zod/mini';
import { autoExtend, normaliseDuration } from '../../../domain/core/duration.js';
import { UsageError } from '../../../domain/core/errors.js';
import type { Template } from '../../../domain/core/model.js';
import { createTemplate } from '../../../domain/offer/templates.js';
import { parseRoles } from '../../../domain/relationship/roles.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { across, problemOf, text } from '../../command.js';
import { renderOne } from '../../render.js';
import { parseWith, z } from '../../schema.js';
import { templateView } from './view.js';

/** `--assign "<group>=<role>,<role>"`, repeatable. */
function parseAssign(text: string): { group: string; roles: string[] } {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`--assign takes "<group>=<role>,<role>", not ${JSON.stringify(text.slice(0, 60))}`);
  return { group: v.displayName(text.slice(0, i), 'group name', 120), roles: parseRoles(text.slice(i + 1), `--assign ${text.slice(0, i)}`) };
}

/** Whether the name and the roles are there (else they are asked for, or named, first). */
const complete = (o: { name?: string; roles?: string }) => o.name !== undefined && o.roles !== undefined;

/** The name and roles given are checked first; duration, auto-extend and assignments once nothing is missing. */
const given = z
  .object({ name: text, roles: text, duration: z.string(), autoExtend: z.string(), assign: z.array(z.string()) })
  .check(
    across((o) => (o.name === undefined ? undefined : problemOf(() => v.displayName(o.name!, 'template name', 100)))),
    across((o) => (o.roles === undefined ? undefined : problemOf(() => parseRoles(o.roles!)))),
    across((o) => (complete(o) ? problemOf(() => normaliseDuration(o.duration)) : undefined)),
    across((o) => (complete(o) ? problemOf(() => autoExtend(o.autoExtend)) : undefined)),
    across((o) => (complete(o) ? o.assign.map((a) => problemOf(() => parseAssign(a))).find((p) => p !== undefined) : undefined)),
  );

export const schema = pipe(
  given,
  transform((o) => ({
    ...o,
    roleIds: o.roles === undefined ? undefined : parseRoles(o.roles),
    assignments: complete(o) ? o.assign.map(parseAssign) : [],
  })),
);
export type Options = output<typeof schema>;

export async function run(opts: Options, ctx: Context): Promise<Template> {
  return createTemplate(await ctx.session({ actor: true }), {
    name: v.displayName(opts.name!, 'template name', 100),
    roles: opts.roleIds!,
    duration: normaliseDuration(opts.duration),
    autoExtendDuration: autoExtend(opts.autoExtend),
    assignments: opts.assignments,
  });
}

export async function show(ctx: Context, t: Template): Promise<void> {
  await renderOne(await ctx.target(), templateView, t);
}

export function register(template: Command, ctx: Context): void {
  template
    .command('create')
    .description('Create a template for granular offers: roles, duration, auto-extend, and the group assignments clients should have')
    .argument('[name]', 'template name (asked for on a terminal)')
    .option('--roles <roles>', 'roles (names or ids, comma-separated; asked for on a terminal)')
    .option('--duration <iso>', 'P1D to P2Y', 'P730D')
    .option('--auto-extend <iso>', 'PT0S or P180D', 'PT0S')
    .option('--assign <group=roles>', 'a security group and the roles it should hold on each relationship (repeatable)', (val: string, acc: string[]) => [...acc, val], [] as string[])
    .addHelpText('after', '\nExamples:\n  delegate template create helpdesk --roles "Helpdesk Administrator,Global Reader" --duration P365D --auto-extend P180D --assign "Helpdesk=Helpdesk Administrator"')
    .action(async (nameIn: string | undefined, raw: Record<string, unknown>) => {
      const roles = (raw.roles as string | undefined) || undefined; // an empty --roles is missing
      parseWith(schema, { ...raw, name: nameIn, roles });
      const answers = await ctx.needAll([
        { value: nameIn, flag: '<name>', message: 'Template name:', validate: (x) => v.displayName(x, 'template name', 100) },
        { value: roles, flag: '--roles <roles>', message: 'Roles (names or ids, comma-separated; see `delegate role list`):', validate: (x) => parseRoles(x) },
      ]);
      const opts = parseWith(schema, { ...raw, name: answers[0], roles: answers[1] });
      await show(ctx, await run(opts, ctx));
    });
}
