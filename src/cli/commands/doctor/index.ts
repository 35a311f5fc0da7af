/** `delegate doctor [<domain>...]`: what stands between the partner and working access, with the fix for each. */
import type { Command } from 'commander';
import { attention, doctor, type Finding } from '../../../domain/client/doctor.js';
import { DelegateError } from '../../../domain/core/errors.js';
import type { Context } from '../../context.js';
import { renderList, type View } from '../../render.js';
import { signInDeps } from '../login/index.js';

export const findingView: View<Finding> = {
  fields: ['client', 'check', 'severity', 'message', 'fix'],
  // The fix is the key: whole, last, overflowing its line when it must; the check is left out first.
  table: { key: ['client', 'fix'], drop: ['check'], min: { message: 30 } },
  columns: [
    { header: 'client', value: (f) => f.client ?? '(partner)' },
    { header: 'severity', value: (f) => f.severity },
    { header: 'check', value: (f) => f.check },
    { header: 'message', value: (f) => f.message },
    { header: 'fix', value: (f) => f.fix ?? '' },
  ],
  json: (f) => ({ client: f.client, check: f.check, severity: f.severity, message: f.message, fix: f.fix }),
};

/** Whether a fix may read Microsoft: a token is given, or someone is signed in (a file read; nothing is sent). */
async function signedIn(ctx: Context): Promise<boolean> {
  if (ctx.env.DELEGATE_ACCESS_TOKEN) return true;
  const { loginStatus } = await import('../../../microsoft/signin.js');
  return (await loginStatus(signInDeps(ctx))).signedIn;
}

export function register(noun: Command, ctx: Context): void {
  const cmd = noun
    .argument('[domain...]', 'clients to check, by domain or tenant id (default: every client)')
    .addHelpText(
      'after',
      '\nChecks, per client: relationship state and days left; Global Administrator blocking auto-extend;\n' +
        'no group assigned; assigned roles the relationship lacks; assigned groups without members;\n' +
        'partner users with admin access in no assigned group; unverified domains; and for the partner,\n' +
        'agent groups whose object ids are unknown. Each finding names the command that fixes it (not\n' +
        'signed in, never one that needs Microsoft). A client whose relationships all ended (removed,\n' +
        'terminated, expired) is info: offboarding stands in nobody\'s way.\n' +
        'With --live it reads Microsoft instead and reports what the ledger does not know: access\n' +
        'assignments stuck pending or in error, groups deleted at Microsoft, members (transitive) and PIM\n' +
        'eligibility added or removed elsewhere; a read Microsoft refuses says to sign in.\n' +
        'Exit 0 when every finding is info, 1 otherwise.\n\nExamples:\n  delegate doctor\n  delegate doctor contoso.com --json\n  delegate doctor --live',
    );
  cmd.option('--live', "read Microsoft too: assignments stuck pending or in error, groups deleted there, members and PIM eligibility added elsewhere (after `delegate login`)");
  ctx.listFields(cmd, findingView.fields!).action(async (domains: string[], opts: { live?: boolean }) => {
    let findings: Finding[];
    if (opts.live) {
      const s = await ctx.session();
      const { liveReader } = await import('../../live.js');
      const { doctorLive } = await import('../../../domain/client/doctor-live.js');
      findings = await doctorLive(s, domains, await liveReader(ctx, s));
    } else findings = await doctor(await ctx.session(), domains, { signedIn: await signedIn(ctx) });
    await renderList(await ctx.target(), findingView, findings);
    const { errors, warnings } = attention(findings);
    if (errors + warnings === 0) {
      ctx.note(findings.length ? 'Nothing stands in the way: every finding is for information.' : 'No clients to check.');
      return;
    }
    const words = [errors ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
    throw new DelegateError(`${words} need attention (listed above, each with its fix)`, 'findings', 1);
  });
}
