/** `delegate inbox [--unread]` and `delegate inbox read <id>|--all`. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import { eachInboxChunk, markRead } from '../../../domain/partner/inbox.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { printChunks } from '../../bulk.js';
import { notificationView } from '../../views.js';

export function register(noun: Command, ctx: Context): void {
  const inbox = ctx
    .listFields(noun, notificationView.fields!)
    .option('--unread', 'only unread notifications')
    .addHelpText('after', '\nExamples:\n  delegate inbox --unread\n  delegate inbox read --all')
    .action(async (raw: { unread?: boolean }) => {
      const s = await ctx.session();
      const count = await printChunks(ctx, notificationView, (fn) => eachInboxChunk(s, { unreadOnly: Boolean(raw.unread) }, fn));
      if (count === 0) ctx.note(raw.unread ? 'No unread notifications.' : 'No notifications yet.');
    });
  inbox
    .command('read')
    .description('Mark a notification (or --all) as read')
    .argument('[id]', 'notification id')
    .option('--all', 'mark every notification read')
    .addHelpText('after', '\nExamples:\n  delegate inbox read 3\n  delegate inbox read --all')
    .action(async (id: string | undefined, raw: { all?: boolean }) => {
      if (id !== undefined && raw.all) throw new UsageError('Give a notification id or --all, not both');
      if (id === undefined && !raw.all) throw new UsageError('Give a notification id or --all');
      const which = raw.all ? 'all' : v.positiveInt(id!, 'notification id', Number.MAX_SAFE_INTEGER);
      const { marked } = await markRead(await ctx.session({ actor: true }), which);
      ctx.note(`${marked} notification${marked === 1 ? '' : 's'} marked read.`);
    });
}
