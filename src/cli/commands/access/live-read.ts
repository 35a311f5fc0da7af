/**
 * The live read behind `access why --live` and `access show --live`: a signed-in client (or
 * DELEGATE_ACCESS_TOKEN), loaded only when asked, reading relationships, their access assignments
 * and groups' members now (src/microsoft/access.ts). Reads only: nothing is sent that changes
 * anything, and the ledger is left as it is.
 */
import { UsageError } from '../../../domain/core/errors.js';
import { requirePartner, type Session } from '../../../domain/core/session.js';
import type { ReadLive } from '../../../domain/access/why.js';
import { connectLive } from '../../live.js';
import type { Context } from '../../context.js';

export async function liveRead(ctx: Context, s: Session): Promise<ReadLive> {
  if (ctx.env.DELEGATE_NOW) throw new UsageError('DELEGATE_NOW is refused in live mode: Microsoft keeps its own time (unset it, or work offline)');
  // Read before any read transaction of the caller's (the reads below run inside one).
  const { cloud } = await s.store.read((tx) => requirePartner(tx));
  let client: Promise<import('../../../microsoft/client.js').MicrosoftClient> | undefined;
  return async (relationshipIds, groupIds) => {
    // Microsoft's modules load only here, for a live read.
    const { readAccess } = await import('../../../microsoft/access.js');
    client ??= connectLive(ctx, cloud);
    return readAccess(await client, relationshipIds, groupIds);
  };
}
