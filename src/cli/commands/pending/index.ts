/**
 * `delegate pending`: the changes sent to Microsoft whose outcome is not recorded yet (SPEC.md "Live
 * mode, exactly once"); `delegate recover` reads them back. JSON: [{id, openedAt, actor, command,
 * action, target, method, url, readBack, owner: {host, pid, leaseUntil}}], no bodies; exit 0.
 */
import type { Command } from 'commander';
import type { PendingView } from '../../../domain/recovery/recover.js';
import type { Context } from '../../context.js';
import { renderList, type View } from '../../render.js';

export const pendingView: View<PendingView> = {
  fields: ['id', 'openedAt', 'actor', 'command', 'action', 'target', 'method', 'url', 'readBack', 'owner'],
  table: { key: ['id'], drop: ['owner', 'request', 'actor', 'openedAt'] },
  columns: [
    { header: 'id', value: (p) => p.id },
    { header: 'openedAt', value: (p) => p.openedAt },
    { header: 'actor', value: (p) => p.actor },
    { header: 'change', value: (p) => (p.passwordPending ? `${p.action} (password not shown)` : p.action) },
    { header: 'target', value: (p) => p.target },
    { header: 'request', value: (p) => `${p.method} ${p.url}` },
    { header: 'owner', value: (p) => `${p.owner.host}:${p.owner.pid} until ${p.owner.leaseUntil}` },
  ],
  json: (p) => ({
    id: p.id,
    openedAt: p.openedAt,
    actor: p.actor,
    command: p.command,
    action: p.action,
    target: p.target,
    method: p.method,
    url: p.url,
    readBack: p.readBack,
    ...(p.passwordPending ? { passwordPending: true } : {}),
    owner: p.owner,
  }),
};

export function register(noun: Command, ctx: Context): void {
  const cmd = noun.addHelpText(
    'after',
    '\nA change is pending from just before its request goes to Microsoft until its answer is recorded;\n' +
      'one whose command stopped (a crash, a lost answer) stays pending until `delegate recover` reads it back.\n\n' +
      'Examples:\n  delegate pending\n  delegate pending --json',
  );
  ctx.listFields(cmd, pendingView.fields!).action(async () => {
    const { listPending } = await import('../../../domain/recovery/recover.js');
    const rows = await listPending(await ctx.session());
    await renderList(await ctx.target(), pendingView, rows);
    if (rows.length === 0) ctx.note('Nothing is pending: every change sent to Microsoft has its outcome recorded.');
    else ctx.note(`${rows.length} pending: \`delegate recover\` reads ${rows.length === 1 ? 'it' : 'them'} back at Microsoft once ${rows.length === 1 ? 'its' : 'their'} command has stopped.`);
  });
}
