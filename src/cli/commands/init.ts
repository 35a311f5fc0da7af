/** `delegate init`: set up the partner and its first global admin (full admin access). */
import { Option, type Command } from 'commander';
import { CLOUDS, type Cloud } from '../../domain/core/model.js';
import { initPartner } from '../../domain/partner/partner.js';
import { defaultDisplayName } from '../../domain/partner/users.js';
import * as v from '../../domain/core/validate.js';
import type { Context } from '../context.js';
import { renderOne } from '../render.js';
import { parseWith, rule, z } from '../schema.js';
import { partnerView, userViewFor } from '../views.js';

export const initSchema = z.object({
  name: rule((s) => v.displayName(s, '--name')),
  tenantId: rule((s) => v.guid(s, '--tenant-id')),
  admin: rule((s) => v.email(s, '--admin')),
  adminName: z.optional(rule((s) => v.displayName(s, '--admin-name'))),
  cloud: z._default(rule((s) => v.oneOf(s, CLOUDS, '--cloud')), 'global'),
  certified: z._default(z.boolean(), false),
  mpnId: z.optional(rule((s) => v.partnerId(s, '--mpn-id'))),
  dbLogin: z.optional(rule((s) => v.dbLogin(s, '--db-login'))),
});

export function register(init: Command, ctx: Context): void {
  init
    .description('Set up the partner and its first global admin (with full admin access)')
    .option('--name <partner>', "the partner's name, as clients will see it")
    .option('--tenant-id <guid>', "the partner's Microsoft Entra tenant id")
    .option('--admin <email>', 'the first global admin')
    .option('--admin-name <display>', "the first global admin's display name")
    .addOption(new Option('--cloud <cloud>', 'global (Microsoft 365) or china (Office 365 operated by 21Vianet)'))
    .option('--certified', 'the partner is certified to offer delegated administration')
    .option('--mpn-id <n>', 'the Partner ID (formerly MPN ID) Partner Center puts in trial and purchase links as msppid')
    .option('--db-login <login>', 'on a team store: the database login that acts as the admin (default: the one connected)')
    .addHelpText('after', '\nExamples:\n  delegate init --name "Fabrikam IT" --tenant-id 3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b --admin ada@fabrikam.com --certified --mpn-id 1234567')
    .action(async (raw: { name?: string; tenantId?: string; admin?: string; adminName?: string; cloud?: string; certified?: boolean; mpnId?: string; dbLogin?: string }) => {
      const name = await ctx.need(raw.name, '--name', "Partner name (as clients will see it):", (s) => v.displayName(s));
      const tenantId = await ctx.need(raw.tenantId, '--tenant-id', "Partner's tenant id (a GUID):", (s) => v.guid(s));
      const admin = await ctx.need(raw.admin, '--admin', 'First global admin (email):', (s) => v.email(s));
      let cloud = raw.cloud;
      let certified = raw.certified;
      if (ctx.canPrompt() && cloud === undefined) {
        cloud = await ctx.deps.prompter().select<Cloud>('Cloud:', [
          { value: 'global', name: 'Microsoft 365 (global)' },
          { value: 'china', name: 'Office 365 operated by 21Vianet (china)' },
        ]);
      }
      if (ctx.canPrompt() && certified === undefined) {
        certified = await ctx.deps.prompter().confirm(`Is ${name} certified to offer delegated administration?`, { default: false });
      }
      const opts = parseWith(initSchema, { name, tenantId, admin, adminName: raw.adminName, cloud, certified, mpnId: raw.mpnId, dbLogin: raw.dbLogin });
      const session = await ctx.session({ create: true });
      const { partner, admin: user } = await initPartner(session, {
        name: opts.name,
        tenantId: opts.tenantId,
        cloud: opts.cloud,
        certified: opts.certified,
        ...(opts.mpnId === undefined ? {} : { mpnId: opts.mpnId }),
        adminEmail: opts.admin,
        adminName: opts.adminName ?? defaultDisplayName(opts.admin),
        ...(opts.dbLogin === undefined ? {} : { dbLogin: opts.dbLogin }),
      });
      const target = await ctx.target();
      if (target.output === 'json') {
        target.write(JSON.stringify({ ...partnerView.json(partner) as object, admin: userViewFor(session.store).json(user) }, null, 2) + '\n');
      } else {
        await renderOne(target, partnerView, partner);
      }
      ctx.note(
        `Set up ${partner.name} in ${session.store.path}; ${user.email} is its global admin with full admin access` +
          (user.dbLogin ? ` (acting as the database login ${user.dbLogin}).` : '.'),
      );
      ctx.note(
        partner.certified
          ? 'Next: `delegate offer create` prints an offer to send to your clients.'
          : 'The partner is not certified to offer delegated administration yet; once it is, run `delegate partner set --certified`.',
      );
    });
}
