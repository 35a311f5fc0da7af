/**
 * `delegate client user add|list|reset-password|remove`, `client domain add|verify|list|remove`,
 * `client mdm`: acting for a client. `--plan graph` prints the Microsoft
 * Graph requests instead of changing anything.
 */
import type { Command } from 'commander';
import { addClientDomain, listClientDomains, removeClientDomain, verifyClientDomain } from '../../../domain/acting/domains.js';
import { addClientUsers, listClientUsers, removeClientUser, resetClientPassword, type AddedClientUser, type PasswordReset } from '../../../domain/acting/users.js';
import { mdmTarget, refuseMdm } from '../../../domain/acting/mdm.js';
import { DelegateError, NotPermittedError, UsageError } from '../../../domain/core/errors.js';
import type { ClientDomain, ClientUser } from '../../../domain/core/model.js';
import { MDM_NOT_SUPPORTED } from '../../../domain/acting/mdm.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { argRows, checkReadable, sourceName } from '../../csv.js';
import { csvRows } from '../../bulk.js';
import { planFlag, PLAN_OPTION } from '../../plan.js';
import { deliver as deliverCarried, LIVE_OPTION, sessionAndMode } from '../../live.js';
import { LEDGER, type Carried, type Mode } from '../../../domain/plan/decision.js';
import type { Session } from '../../../domain/core/session.js';
import { renderList, renderOne, type View } from '../../render.js';

export const clientUserView: View<ClientUser> = {
  fields: ['upn', 'name', 'isAdmin', 'passwordResetAt'],
  columns: [
    { header: 'upn', value: (u) => u.upn },
    { header: 'name', value: (u) => u.name },
    { header: 'isAdmin', value: (u) => u.isAdmin },
    { header: 'passwordResetAt', value: (u) => u.passwordResetAt },
  ],
  json: (u) => ({ upn: u.upn, name: u.name, isAdmin: u.isAdmin, passwordResetAt: u.passwordResetAt }),
};

const addedUserView: View<AddedClientUser> = {
  columns: [...clientUserView.columns.map((c) => ({ header: c.header, value: (a: AddedClientUser) => c.value(a.user) })), { header: 'temporaryPassword', value: (a) => a.temporaryPassword }],
  json: (a) => ({ ...(clientUserView.json(a.user) as object), temporaryPassword: a.temporaryPassword, forceChangePasswordNextSignIn: true }),
};

const resetView: View<PasswordReset> = {
  columns: [
    { header: 'upn', value: (r) => r.upn },
    { header: 'temporaryPassword', value: (r) => r.temporaryPassword },
    { header: 'forceChangePasswordNextSignIn', value: (r) => r.forceChangePasswordNextSignIn },
  ],
  json: (r) => ({ upn: r.upn, temporaryPassword: r.temporaryPassword, forceChangePasswordNextSignIn: r.forceChangePasswordNextSignIn }),
};

export const domainView: View<ClientDomain> = {
  fields: ['name', 'isInitial', 'verified', 'addedAt'],
  columns: [
    { header: 'name', value: (d) => d.name },
    { header: 'isInitial', value: (d) => d.isInitial },
    { header: 'verified', value: (d) => d.verified },
    { header: 'addedAt', value: (d) => d.addedAt },
  ],
  json: (d) => ({ name: d.name, isInitial: d.isInitial, verified: d.verified, addedAt: d.addedAt }),
};

/** Acting for a client: a plan goes to the client's tenant. */
const deliver = <T>(ctx: Context, r: Carried<T>, show: (value: T) => Promise<void>) => deliverCarried(ctx, r, show, 'Run these against the client tenant with a token for it.');

/** How a changing acting command runs: ledger, plan or live (cli/live.ts). */
const how = (ctx: Context, raw: { plan?: string | boolean; live?: boolean }, action: string, target: string) =>
  sessionAndMode(ctx, raw, { inClient: true, action, target });

/** Lists change nothing: the ledger, or the plan that reads the tenant. */
async function listing(ctx: Context, raw: { plan?: string | boolean }): Promise<{ s: Session; mode: Mode }> {
  return { s: await ctx.session({ actor: true }), mode: planFlag(raw) ? { kind: 'plan' } : LEDGER };
}

export function register(client: Command, ctx: Context): void {
  const user = client.command('user').description("Act on a client's users (after it accepted)");

  user
    .command('add')
    .description("Add a user to a client's organization, on one of its verified domains; prints a temporary password once")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('[upn]', "the new user's UPN, in one of the client's domains")
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .option('--name <display>', 'display name (default: the part of the UPN before @)')
    .option('--admin', "make the user a Global Administrator of the client's organization (needs DAP full access, or Global Administrator, or Privileged Role Administrator with User Administrator)")
    .option('--file <csv|->', 'add many users from a CSV file with header upn,name,admin (- for stdin)')
    .option('--copy', 'put the temporary password on the clipboard')
    .addHelpText('after', '\nExamples:\n  delegate client user add contoso.com alex@contoso.com --name "Alex Wilber"\n  delegate client user add contoso.com --file staff.csv')
    .action(async (domain: string, upn: string | undefined, raw: { name?: string; admin?: boolean; file?: string; plan?: string | boolean; live?: boolean; copy?: boolean }) => {
      planFlag(raw);
      v.clientRef(domain);
      if (upn && raw.file) throw new UsageError('Give a UPN or --file, not both');
      if (raw.file && (raw.name || raw.admin)) throw new UsageError('--name and --admin go with a single UPN; in a file, use the name and admin columns');
      let rows;
      let source = 'arguments';
      if (raw.file) {
        checkReadable(raw.file);
        source = sourceName(raw.file);
        rows = csvRows(ctx, raw.file, { required: ['upn'], optional: ['name', 'admin'] });
      } else {
        const u = await ctx.need(upn, '<upn> (or --file)', "New user's UPN:", (s) => v.email(s));
        v.email(u, 'UPN');
        if (raw.name !== undefined) v.displayName(raw.name, '--name');
        rows = argRows([u], 'upn', { name: raw.name, admin: raw.admin ? 'true' : 'false' });
      }
      const { s, mode } = await how(ctx, raw, 'client.user.add', domain);
      const r = await addClientUsers(s, domain, rows, { source, mode });
      await deliver(ctx, r, async (added) => {
        const target = await ctx.target();
        if (raw.file) await renderList(target, addedUserView, added);
        else await renderOne(target, addedUserView, added[0]!);
        ctx.note(`Added ${added.length} user${added.length === 1 ? '' : 's'} to ${v.clientRef(domain)}. Temporary passwords are shown once; each must be changed at first sign-in.`);
        if (raw.copy && added.length === 1) await ctx.copy(added[0]!.temporaryPassword, 'temporary password');
      });
    });

  ctx
    .listFields(user.command('list'), clientUserView.fields!)
    .description("List a client's users")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .option(...PLAN_OPTION)
    .action(async (domain: string, raw: { plan?: string | boolean }) => {
      const { s, mode } = await listing(ctx, raw);
      const r = await listClientUsers(s, domain, { mode });
      await deliver(ctx, r, async (users) => renderList(await ctx.target(), clientUserView, users));
    });

  user
    .command('reset-password')
    .description('Reset a client user’s password: prints a strong temporary password once and forces a change at next sign-in')
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<upn>', 'the user')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .option('--copy', 'put the temporary password on the clipboard')
    .action(async (domain: string, upn: string, raw: { plan?: string | boolean; live?: boolean; copy?: boolean }) => {
      const { s, mode } = await how(ctx, raw, 'client.user.reset-password', `${domain}/${upn}`);
      const r = await resetClientPassword(s, domain, upn, { mode });
      await deliver(ctx, r, async (reset) => {
        await renderOne(await ctx.target(), resetView, reset);
        ctx.note(`Password of ${reset.upn} reset. The temporary password is shown only now; the user must change it at next sign-in.`);
        if (raw.copy) await ctx.copy(reset.temporaryPassword, 'temporary password');
      });
    });

  user
    .command('remove')
    .description("Remove a user from a client's organization (Microsoft keeps a deleted user restorable for 30 days)")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<upn>', 'the user')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts.\n\nExample:\n  delegate client user remove contoso.com alex@contoso.com --yes')
    .action(async (domain: string, upn: string, raw: { plan?: string | boolean; live?: boolean }) => {
      const d = v.clientRef(domain);
      const u = v.email(upn, 'UPN');
      if (!planFlag(raw)) await ctx.confirm(`Remove user ${u} from ${d}?`);
      const { s, mode } = await how(ctx, raw, 'client.user.remove', `${d}/${u}`);
      const r = await removeClientUser(s, domain, upn, { mode });
      await deliver(ctx, r, async (gone) => {
        await renderOne(await ctx.target(), clientUserView, gone);
        ctx.note(
          mode.kind === 'live'
            ? `Removed ${gone.upn} from ${d} at Microsoft (restorable there for 30 days) and from the ledger.`
            : `Removed ${gone.upn} from ${d} in the ledger. Nothing was sent to Microsoft: \`--live\` deletes the user there (restorable for 30 days).`,
        );
      });
    });

  const domainCmd = client.command('domain').description("Act on a client's domains (after it accepted)");
  domainCmd
    .command('add')
    .description("Add a domain to a client's organization; it stays unverified until `client domain verify`")
    .argument('[client-domain]', "the client's domain, or its tenant id (asked for on a terminal)")
    .argument('[domain]', 'the domain to add (asked for on a terminal)')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .action(async (domainIn: string | undefined, nameIn: string | undefined, raw: { plan?: string | boolean; live?: boolean }) => {
      planFlag(raw);
      const [domain, name] = await ctx.needAll([
        { value: domainIn, flag: '<client-domain>', message: "Client's domain (or tenant id):", validate: (x) => v.clientRef(x) },
        { value: nameIn, flag: '<domain>', message: 'Domain to add:', validate: (x) => v.domain(x, 'domain') },
      ]);
      const { s, mode } = await how(ctx, raw, 'client.domain.add', `${domain}/${name}`);
      const r = await addClientDomain(s, domain, name, { mode });
      await deliver(ctx, r, async (d) => {
        await renderOne(await ctx.target(), domainView, d);
        ctx.note(
          d.verified
            ? `Added ${d.name} to ${d.clientDomain}, verified with its parent domain.`
            : `Added ${d.name} to ${d.clientDomain}, unverified. Put the DNS record Microsoft asks for in place, then run \`delegate client domain verify ${d.clientDomain} ${d.name}\`.`,
        );
      });
    });
  domainCmd
    .command('verify')
    .description("Mark a client's added domain verified (offline: on your word that its DNS record is in place)")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<domain>', 'the added domain')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nOffline this records your word that the DNS record is in place; nothing is checked.\n`--plan graph` prints the Graph requests that read the record Microsoft wants and verify the domain.')
    .action(async (domain: string, name: string, raw: { plan?: string | boolean; live?: boolean }) => {
      const { s, mode } = await how(ctx, raw, 'client.domain.verify', `${domain}/${name}`);
      const r = await verifyClientDomain(s, domain, name, { mode });
      await deliver(ctx, r, async (d) => {
        await renderOne(await ctx.target(), domainView, d);
        if (mode.kind !== 'live') ctx.note(`Recorded ${d.name} as verified for ${d.clientDomain}, on your word that its DNS record is in place: nothing was checked with Microsoft.`);
        else ctx.note(`Microsoft verified ${d.name} for ${d.clientDomain}${d.txtRecord ? ` (its DNS record: ${d.txtRecord})` : ''}; recorded in the ledger.`);
      });
    });
  domainCmd
    .command('remove')
    .description("Remove a domain from a client's organization (not its initial domain, nor one its users sign in on)")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .argument('<domain>', 'the domain to remove')
    .option(...PLAN_OPTION)
    .option(...LIVE_OPTION)
    .addHelpText('after', '\nAsks y/N on a terminal; pass --yes in scripts. Microsoft cannot restore a removed domain.\n\nExample:\n  delegate client domain remove contoso.com old.contoso.com --yes')
    .action(async (domain: string, name: string, raw: { plan?: string | boolean; live?: boolean }) => {
      const d = v.clientRef(domain);
      const n = v.domain(name, 'domain');
      if (!planFlag(raw)) await ctx.confirm(`Remove domain ${n} from ${d}?`);
      const { s, mode } = await how(ctx, raw, 'client.domain.remove', `${d}/${n}`);
      const r = await removeClientDomain(s, domain, name, { mode });
      await deliver(ctx, r, async (gone) => {
        await renderOne(await ctx.target(), domainView, gone);
        ctx.note(
          mode.kind === 'live'
            ? `Removed ${gone.name} from ${d} at Microsoft and from the ledger.`
            : `Removed ${gone.name} from ${d} in the ledger. Nothing was sent to Microsoft: \`--live\` removes it there (it cannot be restored).`,
        );
      });
    });
  ctx
    .listFields(domainCmd.command('list'), domainView.fields!)
    .description("List a client's domains")
    .argument('<client-domain>', "the client's domain, or its tenant id")
    .option(...PLAN_OPTION)
    .action(async (domain: string, raw: { plan?: string | boolean }) => {
      const { s, mode } = await listing(ctx, raw);
      const r = await listClientDomains(s, domain, { mode });
      await deliver(ctx, r, async (ds) => renderList(await ctx.target(), domainView, ds));
    });

  client
    .command('mdm')
    .description('Mobile Device Management: not supported through delegated administration')
    .argument('[anything...]')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      mdmTarget(args); // bad input first (exit 2), even with no store
      let session;
      try {
        session = await ctx.session({ actor: true });
      } catch (e) {
        // No usable store: still the same answer, just nothing to audit it in.
        if (e instanceof DelegateError) throw new NotPermittedError(MDM_NOT_SUPPORTED, { actor: '', action: 'client.mdm', target: '' });
        throw e;
      }
      await refuseMdm(session, args);
    });
}
