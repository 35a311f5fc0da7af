/** `delegate partner set [--name] [--tenant-id] [--certified|--no-certified] [--cloud] [--mpn-id] [--admin-agents-group] [--helpdesk-agents-group]`. */
import type { Command } from 'commander';
import type { output } from 'zod/mini';
import { CLOUDS, type Cloud, type Partner } from '../../../domain/core/model.js';
import { listOffers, type Offer } from '../../../domain/offer/offers.js';
import { setPartner } from '../../../domain/partner/partner.js';
import { linkNotOurs, parseOfferUrl } from '../../../domain/offer/urls.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { across } from '../../command.js';
import { renderOne } from '../../render.js';
import { parseWith, rule, z } from '../../schema.js';
import { partnerView } from '../../views.js';
import { signInDeps } from '../login/index.js';

export const schema = z
  .object({
    name: z.optional(rule((s) => v.displayName(s, '--name'))),
    tenantId: z.optional(rule((s) => v.guid(s, '--tenant-id'))),
    certified: z.optional(z.boolean()),
    cloud: z.optional(rule((s) => v.oneOf(s, CLOUDS, '--cloud'))),
    mpnId: z.optional(rule((s) => v.partnerId(s, '--mpn-id'))),
    adminAgentsGroup: z.optional(rule((s) => v.guid(s, '--admin-agents-group'))),
    helpdeskAgentsGroup: z.optional(rule((s) => v.guid(s, '--helpdesk-agents-group'))),
  })
  .check(
    across((o) =>
      Object.values(o).every((x) => x === undefined)
        ? 'Nothing to change: give --name, --tenant-id, --certified, --no-certified, --cloud, --mpn-id, --admin-agents-group or --helpdesk-agents-group'
        : undefined,
    ),
  );
export type Options = output<typeof schema>;

/** The partner as changed, and the active offers whose trial or purchase link no longer matches it. */
export interface Changed {
  partner: Partner;
  stale: Offer[];
}

/** The cloud of the saved Microsoft sign-in, if there is one (a file read; nothing is sent). */
async function signedInCloud(ctx: Context): Promise<Cloud | null> {
  const { loginStatus } = await import('../../../microsoft/signin.js');
  const status = await loginStatus(signInDeps(ctx));
  return status.signedIn ? status.cloud : null;
}

export async function run(opts: Options, ctx: Context): Promise<Changed> {
  const session = await ctx.session({ actor: true });
  const p = await setPartner(
    session,
    {
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.tenantId !== undefined ? { tenantId: opts.tenantId } : {}),
      ...(opts.certified !== undefined ? { certified: opts.certified } : {}),
      ...(opts.cloud !== undefined ? { cloud: opts.cloud } : {}),
      ...(opts.mpnId !== undefined ? { mpnId: opts.mpnId } : {}),
      ...(opts.adminAgentsGroup !== undefined ? { adminAgentsGroupId: opts.adminAgentsGroup } : {}),
      ...(opts.helpdeskAgentsGroup !== undefined ? { helpdeskAgentsGroupId: opts.helpdeskAgentsGroup } : {}),
    },
    opts.cloud !== undefined ? { signedInCloud: await signedInCloud(ctx) } : {},
  );
  if (opts.mpnId === undefined && opts.cloud === undefined) return { partner: p, stale: [] };
  // Trial and purchase links are Partner Center's: they do not follow the partner.
  const stale = (await listOffers(session, { all: false })).filter((o) => {
    const url = o.trial?.url ?? o.purchase?.url;
    const link = url ? parseOfferUrl(url) : undefined;
    return link !== undefined && !('error' in link) && linkNotOurs(p, link) !== undefined;
  });
  return { partner: p, stale };
}

export async function show(ctx: Context, opts: Options, { partner: p, stale }: Changed): Promise<void> {
  await renderOne(await ctx.target(), partnerView, p);
  if (stale.length) {
    ctx.note(
      `${stale.length} active offer${stale.length === 1 ? ' carries a trial or purchase link' : 's carry trial or purchase links'} made for the old ${opts.mpnId !== undefined ? 'Partner ID' : 'cloud'} (${stale.map((o) => o.id).join(', ')}): acceptances of ${stale.length === 1 ? 'it' : 'them'} are now refused; make new links in Partner Center.`,
    );
  }
}

export function register(partner: Command, ctx: Context): void {
  partner
    .command('set')
    .description('Change the partner (global admins only)')
    .option('--name <partner>', "the partner's name")
    .option('--tenant-id <guid>', "correct the partner's tenant id (only while no offer or client was made with it)")
    .option('--certified', 'certified to offer delegated administration')
    .option('--no-certified', 'not (or no longer) certified')
    .option('--cloud <cloud>', 'global or china (only while no client is recorded and no sign-in is to the other cloud)')
    .option('--mpn-id <n>', 'the Partner ID (formerly MPN ID): the integer Partner Center puts in trial and purchase links as msppid')
    .option('--admin-agents-group <object id>', "object id of your AdminAgents group (full admin access is membership of it; used in plans)")
    .option('--helpdesk-agents-group <object id>', "object id of your HelpdeskAgents group (limited admin access; used in plans)")
    .addHelpText('after', '\nExamples:\n  delegate partner set --name "Fabrikam IT Services"\n  delegate partner set --tenant-id 3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b\n  delegate partner set --certified\n  delegate partner set --mpn-id 1234567\n  delegate partner set --admin-agents-group <object id> --helpdesk-agents-group <object id>')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseWith(schema, raw);
      await show(ctx, opts, await run(opts, ctx));
    });
}
