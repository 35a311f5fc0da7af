/**
 * The one way a live command gets its client: DELEGATE_ACCESS_TOKEN when set
 * (no sign-in is read), else the saved sign-in's tokens and cloud; neither is
 * exit 4 naming `delegate login`, before any request.
 */
import { liveClient, type ClientOptions, type MicrosoftClient } from './client.js';
import type { Cloud } from './endpoints.js';
import { NotSignedInError } from './errors.js';
import { loginStatus, signedInTokens, type SignInDeps } from './signin.js';

export async function connect(
  deps: SignInDeps,
  opts: { cloud?: Cloud } & Omit<ClientOptions, 'endpoints' | 'tokens'> = {},
): Promise<MicrosoftClient> {
  const { cloud, ...rest } = opts;
  if (deps.env.DELEGATE_ACCESS_TOKEN) return liveClient(deps.env, { ...rest, cloud: cloud ?? 'global' });
  const status = await loginStatus(deps);
  if (!status.signedIn || !status.cloud) throw new NotSignedInError();
  return liveClient(deps.env, { ...rest, cloud: status.cloud, signedIn: await signedInTokens(deps) });
}
