/** `delegate partner show|set`. */
import type { Command } from 'commander';
import { UsageError } from '../../../domain/core/errors.js';
import { CLOUDS } from '../../../domain/core/model.js';
import { listOffers } from '../../../domain/offer/offers.js';
import { setPartner, showPartner } from '../../../domain/partner/partner.js';
import { linkNotOurs, parseOfferUrl } from '../../../domain/offer/urls.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { partnerView } from '../../views.js';

export const setSchema = z.object({
  name: z.optional(rule((s) => v.displayName(s, '--name'))),
  certified: z.optional(z.boolean()),
  cloud: z.optional(rule((s) => v.oneOf(s, CLOUDS, '--cloud'))),
  mpnId: z.optional(rule((s) => v.partnerId(s, '--mpn-id'))),
  adminAgentsGroup: z.optional(rule((s) => v.guid(s, '--admin-agents-group'))),
  helpdeskAgentsGroup: z.optional(rule((s) => v.guid(s, '--helpdesk-agents-group'))),
});

export function register(noun: Command, ctx: Context): void {
  const partner = noun;
  partner
    .command('show')
    .description('Show the partner')
    .action(async () => {
      const p = await showPartner(await ctx.session());
      await renderOne(await ctx.target(), partnerView, p);
    });
  partner
    .command('set')
    .description('Change the partner (global admins only)')
    .option('--name <partner>', "the partner's name")
    .option('--certified', 'certified to offer delegated administration')
    .option('--no-certified', 'not (or no longer) certified')
    .option('--cloud <cloud>', 'global or china')
    .option('--mpn-id <n>', 'the Partner ID (formerly MPN ID): the integer Partner Center puts in trial and purchase links as msppid')
    .option('--admin-agents-group <object id>', "object id of your AdminAgents group (full admin access is membership of it; used in plans)")
    .option('--helpdesk-agents-group <object id>', "object id of your HelpdeskAgents group (limited admin access; used in plans)")
    .addHelpText('after', '\nExamples:\n  delegate partner set --certified\n  delegate partner set --mpn-id 1234567\n  delegate partner set --admin-agents-group <object id> --helpdesk-agents-group <object id>')
    .action(async (raw: { name?: string; certified?: boolean; cloud?: string; mpnId?: string; adminAgentsGroup?: string; helpdeskAgentsGroup?: string }) => {
      const opts = parseWith(setSchema, raw);
      if (Object.values(opts).every((x) => x === undefined)) {
        throw new UsageError('Nothing to change: give --name, --certified, --no-certified, --cloud, --mpn-id, --admin-agents-group or --helpdesk-agents-group');
      }
      const session = await ctx.session({ actor: true });
      const p = await setPartner(session, {
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.certified !== undefined ? { certified: opts.certified } : {}),
        ...(opts.cloud !== undefined ? { cloud: opts.cloud } : {}),
        ...(opts.mpnId !== undefined ? { mpnId: opts.mpnId } : {}),
        ...(opts.adminAgentsGroup !== undefined ? { adminAgentsGroupId: opts.adminAgentsGroup } : {}),
        ...(opts.helpdeskAgentsGroup !== undefined ? { helpdeskAgentsGroupId: opts.helpdeskAgentsGroup } : {}),
      });
      await renderOne(await ctx.target(), partnerView, p);
      if (opts.mpnId !== undefined || opts.cloud !== undefined) {
        // Trial and purchase links are Partner Center's: they do not follow the partner.
        const stale = (await listOffers(session, { all: false })).filter((o) => {
          const url = o.trial?.url ?? o.purchase?.url;
          const link = url ? parseOfferUrl(url) : undefined;
          return link !== undefined && !('error' in link) && linkNotOurs(p, link) !== undefined;
        });
        if (stale.length) {
          ctx.note(
            `${stale.length} active offer${stale.length === 1 ? ' carries a trial or purchase link' : 's carry trial or purchase links'} made for the old ${opts.mpnId !== undefined ? 'Partner ID' : 'cloud'} (${stale.map((o) => o.id).join(', ')}): acceptances of ${stale.length === 1 ? 'it' : 'them'} are now refused; make new links in Partner Center.`,
          );
        }
      }
    });
}
