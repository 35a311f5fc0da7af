/**
 * `delegate login` (SPEC.md "Live mode"): the noun's own action. Sign-in code
 * (msal-node) is loaded only by the login commands.
 */
import { Option, type Command } from 'commander';
import { dirname } from 'node:path';
import { UsageError } from '../../../domain/core/errors.js';
import { CLOUDS } from '../../../domain/core/model.js';
import * as v from '../../../domain/core/validate.js';
import type { Context } from '../../context.js';
import { defaultDbPath } from '../../paths.js';
import { renderOne, type View } from '../../render.js';
import { across } from '../../command.js';
import { parseWith, rule, z } from '../../schema.js';
import type { Flow, LoginStatus, SignInDeps, SignInRequest } from '../../../microsoft/signin.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const loginSchema = z
  .object({
  cloud: z.optional(rule((s) => v.oneOf(s, CLOUDS, '--cloud'))),
  tenant: z.optional(rule((s) => (v.isDomain(s.trim().toLowerCase()) ? v.domain(s, '--tenant-id') : v.guid(s, '--tenant-id')))),
  clientId: z.optional(rule((s) => v.guid(s, '--client-id'))),
  deviceCode: z.optional(z.boolean()),
  certificate: z.optional(
    rule((s) => {
      if (!s.trim()) throw new UsageError('--certificate needs a file');
      return s;
    }),
  ),
  clientSecretEnv: z.optional(
    rule((s) => {
      if (!ENV_NAME.test(s)) throw new UsageError(`--client-secret-env takes the name of an environment variable, not ${JSON.stringify(s)}`);
      return s;
    }),
  ),
  })
  .check(
    across((o) => (o.certificate !== undefined && o.clientSecretEnv !== undefined ? 'Give --certificate or --client-secret-env, not both' : undefined)),
    across((o) => (isApp(o) && o.deviceCode ? '--device-code is for people; --certificate and --client-secret-env sign the app in' : undefined)),
    across((o) => (isApp(o) && !o.tenant ? 'An app-only sign-in (--certificate or --client-secret-env) needs --tenant-id, the partner tenant id' : undefined)),
  );

/** An app-only sign-in (certificate or secret), not a person's. */
function isApp(o: { certificate?: string; clientSecretEnv?: string }): boolean {
  return o.certificate !== undefined || o.clientSecretEnv !== undefined;
}

type LoginOptions = ReturnType<typeof parseWith<typeof loginSchema>>;

export const statusView: View<LoginStatus> = {
  columns: [
    { header: 'signedIn', value: (s) => (s.signedIn ? 'yes' : 'no') },
    { header: 'account', value: (s) => s.account },
    { header: 'tenantId', value: (s) => s.tenantId },
    { header: 'cloud', value: (s) => s.cloud },
    { header: 'expiresOn', value: (s) => s.expiresOn },
  ],
  json: (s) => ({ signedIn: s.signedIn, account: s.account, tenantId: s.tenantId, cloud: s.cloud, expiresOn: s.expiresOn }),
};

/** The sign-in's files live in the user's data directory, beside the default store (not beside a --db elsewhere). */
export function signInDeps(ctx: Context): SignInDeps {
  return { env: ctx.env, dataDir: dirname(defaultDbPath(ctx.env)), say: (text) => ctx.io.err(text.endsWith('\n') ? text : text + '\n') };
}

/**
 * Which sign-in the options (parsed: contradictions among them are the schema's) and the
 * environment ask for; a missing client id or secret is exit 2 before anything is sent.
 */
export function signInRequest(o: LoginOptions, env: NodeJS.ProcessEnv, browser: boolean): SignInRequest {
  const clientId = o.clientId ?? (env.DELEGATE_CLIENT_ID ? v.guid(env.DELEGATE_CLIENT_ID, 'DELEGATE_CLIENT_ID') : undefined);
  if (!clientId) throw new UsageError("--client-id is required: the application (client) id of the partner's own app (or set DELEGATE_CLIENT_ID)");
  if (o.clientSecretEnv !== undefined && !env[o.clientSecretEnv]) throw new UsageError(`${o.clientSecretEnv} is not set: it must hold the app's client secret`);
  const flow: Flow = o.certificate !== undefined ? 'certificate' : o.clientSecretEnv !== undefined ? 'secret' : o.deviceCode || !browser ? 'device-code' : 'browser';
  return {
    cloud: o.cloud ?? 'global',
    ...(o.tenant ? { tenant: o.tenant } : {}),
    clientId,
    flow,
    ...(o.clientSecretEnv ? { secretEnv: o.clientSecretEnv } : {}),
    ...(o.certificate ? { certificate: o.certificate } : {}),
  };
}

export async function run(opts: LoginOptions, ctx: Context): Promise<LoginStatus> {
  const { hasBrowser, login: signIn } = await import('../../../microsoft/signin.js');
  const req = signInRequest(opts, ctx.env, hasBrowser(ctx.env));
  if (ctx.env.DELEGATE_ACCESS_TOKEN) ctx.note('Note: DELEGATE_ACCESS_TOKEN is set; while it is, live commands use it instead of this sign-in.');
  return signIn(req, signInDeps(ctx));
}

export async function show(ctx: Context, status: LoginStatus): Promise<void> {
  ctx.note(`Signed in${status.account ? ` as ${status.account}` : ''} (tenant ${status.tenantId ?? 'unknown'}, cloud ${status.cloud}).`);
  await renderOne(await ctx.target(), statusView, status);
}

export function register(login: Command, ctx: Context): void {
  login
    .option('--cloud <cloud>', 'global or china (21Vianet) (default: global)')
    .option('--tenant-id <tenant>', "the partner's tenant id or domain (required for app-only sign-in)")
    // The old name, kept working (hidden): --tenant-id is the name everywhere else.
    .addOption(new Option('--tenant <tenant>').hideHelp())
    .option('--client-id <app id>', "the partner's own multi-tenant app (env DELEGATE_CLIENT_ID)")
    .option('--device-code', 'sign in with a code in a browser elsewhere (the default without a desktop)')
    .option('--certificate <pem file>', 'app-only, for CI: a PEM file with the app certificate and its private key')
    .option('--client-secret-env <VAR>', 'app-only, for CI: the environment variable holding the client secret')
    .addHelpText(
      'after',
      '\nExamples:\n  delegate login --client-id 11111111-2222-4333-8444-555555555555 --device-code\n  delegate login --tenant-id contoso.onmicrosoft.com --client-id <app id> \\\n      --client-secret-env DELEGATE_SECRET\n  delegate login status --json',
    )
    .action(async (raw: Record<string, unknown>) => {
      const { tenantId, ...rest } = raw;
      if (tenantId !== undefined && rest.tenant !== undefined) throw new UsageError('Give --tenant-id once (--tenant is its old name)');
      await show(ctx, await run(parseWith(loginSchema, { ...rest, tenant: tenantId ?? rest.tenant }), ctx));
    });
}
