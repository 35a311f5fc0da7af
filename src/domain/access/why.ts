/**
 * `access why <user> <client> [--action]`: every path from a partner user to a client, the one that
 * holds or each up to its first broken link with the command that mends it (paths.ts).
 */
import { NotFoundError } from '../core/errors.js';
import { clientKey, requirePartner, type Session } from '../core/session.js';
import * as v from '../core/validate.js';
import { paths, type AccessAction, type Path } from './paths.js';

export interface Why {
  user: string;
  client: string;
  action: AccessAction;
  holds: boolean;
  paths: Path[];
}

export async function accessWhy(s: Session, userIn: string, clientIn: string, action: AccessAction): Promise<Why> {
  const email = v.email(userIn, 'user');
  const ref = v.clientRef(clientIn);
  return s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const user = await tx.getUser(email);
    if (!user) throw new NotFoundError(`No partner user ${email} (see \`delegate user list\`)`);
    const domain = await clientKey(tx, ref);
    const client = await tx.getClient(domain);
    if (!client) throw new NotFoundError(`${domain} is not a client of ${partner.name} (see \`delegate client list\`)`);
    const memberships = await tx.access.memberships(user.email);
    const reads = await tx.access.reads(client.gdap.map((r) => r.id), [client.domain]);
    const found = paths(
      { user, client, memberships, assignments: reads.assignments, assignmentsReadAt: reads.assignmentsReadAt, dapReadAt: reads.dapReadAt.get(client.domain) ?? null, now: s.clock.now() },
      action,
    );
    return { user: user.email, client: client.domain, action, holds: found.some((p) => p.holds), paths: found };
  });
}
