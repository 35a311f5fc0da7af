/** `delegate access why <user> <client> [--action <action>]`: every path, the one that holds or each one's first broken link and its fix. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { DelegateError } from '../../../domain/core/errors.js';
import * as v from '../../../domain/core/validate.js';
import { ACCESS_ACTIONS, brokenLink, type Link, type Path } from '../../../domain/access/paths.js';
import { accessWhy, type ReadLive, type Why } from '../../../domain/access/why.js';
import { flag } from '../../command.js';
import { liveRead } from './live-read.js';
import type { Context } from '../../context.js';
import { jsonText, renderList, safeText, type View } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';

export const schema = z.object({
  user: z.string(),
  client: z.string(),
  action: z._default(rule((s) => v.oneOf(s, ACCESS_ACTIONS, '--action')), 'list'),
  live: flag,
});
export type Options = output<typeof schema>;

export const CONDITIONAL_ACCESS =
  "The client's own Conditional Access policies (sign-in conditions in its tenant) are not visible to delegate: a path that holds here can still be refused at sign-in.";

export async function run(opts: Options, ctx: Context): Promise<Why> {
  const s = await ctx.session();
  if (!opts.live) return accessWhy(s, opts.user, opts.client, opts.action);
  const read: ReadLive = await liveRead(ctx, s);
  return accessWhy(s, opts.user, opts.client, opts.action, read);
}

const linkJson = (l: Link) => ({ link: l.link, state: l.state, source: l.source, readAt: l.readAt, ...(l.fix !== undefined ? { fix: l.fix } : {}) });

/** JSON `{user, client, action, holds, paths: [{via, links: [{link, state, source, readAt, fix?}]}]}`: the broken link is the one with a fix. */
export const whyJson = (w: Why) => ({ user: w.user, client: w.client, action: w.action, holds: w.holds, paths: w.paths.map((p) => ({ via: p.via, links: p.links.map(linkJson) })) });

/** CSV: a row per link, each with its path. */
const linkRowView: View<{ path: Path; link: Link; n: number }> = {
  columns: [
    { header: 'path', value: (r) => r.n },
    { header: 'via', value: (r) => r.path.via },
    { header: 'link', value: (r) => r.link.link },
    { header: 'holds', value: (r) => r.link.holds },
    { header: 'state', value: (r) => r.link.state },
    { header: 'source', value: (r) => r.link.source },
    { header: 'readAt', value: (r) => r.link.readAt },
    { header: 'fix', value: (r) => r.link.fix ?? '' },
  ],
  json: (r) => r,
};

export async function show(ctx: Context, w: Why): Promise<void> {
  const target = await ctx.target();
  if (target.output === 'json') target.write(jsonText(whyJson(w), 2) + '\n');
  else if (target.output === 'csv') await renderList(target, linkRowView, w.paths.flatMap((path, i) => path.links.map((link) => ({ path, link, n: i + 1 }))));
  else {
    const lines: string[] = [];
    const held = w.paths.find((p) => p.holds);
    lines.push(`${w.user} -> ${w.client}, ${w.action}: ${held ? `allowed through ${held.via}` : w.paths.length ? 'no path holds' : 'no relationship to reach it through'}`);
    const shown = held ? [held] : w.paths;
    shown.forEach((p, i) => {
      lines.push(`${held ? 'path' : `path ${i + 1}`}: ${p.via}`);
      for (const l of p.links) {
        lines.push(`  ${l.holds ? 'ok  ' : 'BROKEN'} ${l.link}: ${l.state}  (${l.source}, read ${l.readAt})`);
        if (l.fix) lines.push(`         fix: ${l.fix}`);
      }
    });
    target.write(lines.map((l) => safeText(l)).join('\n') + '\n');
  }
  ctx.note(CONDITIONAL_ACCESS);
  if (!w.holds) {
    const first = w.paths[0] && brokenLink(w.paths[0]);
    throw new DelegateError(
      `${w.user} cannot ${w.action === 'list' ? 'read' : w.action} in ${w.client}${first?.fix ? `; the first broken link (${first.link}) is fixed by: ${first.fix}` : ''}`,
      'no_access',
      1,
    );
  }
}

export function register(access: Command, ctx: Context): void {
  access
    .command('why')
    .description("Why a partner user can (or can't) do something in a client: every path, its first broken link and the fix")
    .argument('<user>', "a partner user's email")
    .argument('<client>', "a client's domain or tenant id")
    .option('--action <action>', `what to check: ${ACCESS_ACTIONS.join(', ')}`, 'list')
    .option('--live', "read the client's relationships, their access assignments and the groups' members from Microsoft now (after `delegate login`), instead of the ledger's record")
    .addHelpText(
      'after',
      '\nPaths: through each granular relationship (member of a group -> the group assigned on it -> the\n' +
        'assignment active -> the relationship active -> the roles allow the action), and through DAP\n' +
        '(admin access -> the DAP relationship active -> the access allows it). Each link says whether it\n' +
        'came from the ledger or from Microsoft (as sync read it) and when. Exit 0 when a path holds, 1\n' +
        "otherwise, 3 for an unknown user or client. The client's Conditional Access is not visible.\n" +
        'With --live: relationships Microsoft has reported, their assignments (every status), and the direct\n' +
        'members of groups whose object ids the ledger knows, read now; the rest from the ledger.\n' +
        '\nExamples:\n  delegate access why lee@fabrikam.com contoso.com\n  delegate access why lee@fabrikam.com contoso.com --action reset-password --json',
    )
    .action(async (user: string, client: string, raw: Record<string, unknown>) => {
      const opts = parseWith(schema, { ...raw, user, client });
      await show(ctx, await run(opts, ctx));
    });
}
