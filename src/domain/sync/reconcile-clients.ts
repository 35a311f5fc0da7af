/**
 * Reconcile's customers and users parts (reconcile.ts has the chunking):
 * - A customer's display name replaces a client name that is only its domain.
 * - Partner Center's `allowDelegatedAccess: false` for a client with an active DAP relationship
 *   ends it; a customer with `allowDelegatedAccess: true` whom the ledger lacks is imported: a
 *   client with an active DAP relationship, named and keyed as a GDAP customer is, recorded against
 *   an offer record of origin `sync` and status `imported` (one for all the customers a sync imports).
 * - Membership of the AdminAgents group is full admin access, of HelpdeskAgents limited, of
 *   neither none; a membership there only through an activated PIM for Groups assignment is listed
 *   as an activation and is not recorded as the user's access (https://learn.microsoft.com/partner-center/account-settings/permissions-overview,
 *   not confirmed on a page found here; see docs/live-mode.md). Members who are not partner users in the
 *   ledger are listed, not added.
 */
import { randomUUID } from '../core/crypto.js';
import type { StagedItem, Tx } from '../core/store.js';
import type { AdminAccess, OfferRecord, Partner } from '../core/model.js';
import type { MsContract, StagedAgents, StagedDap } from './types.js';
import { change, clientFor, newerWrites, write, writtenAfter, type ChunkContext } from './chunk.js';

/** The offer record a sync's imported DAP customers are recorded against. */
function importOffer(ctx: ChunkContext): OfferRecord {
  return {
    id: randomUUID(),
    kind: 'plain',
    product: null,
    quantity: null,
    link: null,
    linkId: null,
    status: 'imported',
    createdAt: ctx.at,
    createdBy: ctx.actor,
    revokedAt: null,
    acceptedCount: 0,
    origin: 'sync',
  };
}

export async function clientChunk(tx: Tx, ctx: ChunkContext, items: readonly StagedItem[], dapRead: Map<string, StagedItem>): Promise<void> {
  if (!ctx.dryRun) ctx.made.clear();
  const newer = await newerWrites(tx, ctx, Math.min(...items.map((i) => i.seq)));
  const readDomains: string[] = [];
  // What the ledger holds of these customers, in one query; a whole client is read only to change it.
  const known = await tx.sync.clientReads(items.map((i) => i.key));
  for (const item of items) {
    const c = JSON.parse(item.body) as MsContract;
    const key = item.key;
    const dapItem = dapRead.get(key);
    const allow = dapItem ? (JSON.parse(dapItem.body) as StagedDap).allow : undefined;
    const held = ctx.made.get(key) ?? known.get(key);
    if (!held) {
      if (allow !== true) continue;
      if (!ctx.importOffer) {
        ctx.importOffer = importOffer(ctx);
        const offer = ctx.importOffer;
        await write(ctx, () => tx.insertOffer(offer));
      }
      const made = (await clientFor(tx, ctx, key, c, c.displayName, ctx.importOffer.id, ctx.at, true)).client;
      readDomains.push(made.domain);
      continue;
    }
    if (dapItem) readDomains.push(held.domain);
    const dapActive = 'dapActive' in held ? held.dapActive : Boolean(held.dap && held.dap.removedAt === null);
    const rename = Boolean(c.displayName && held.name === held.domain && c.displayName !== held.name);
    const endDap = allow === false && dapActive;
    if (!rename && !endDap) continue;
    if (writtenAfter(newer, Math.min(item.seq, dapItem?.seq ?? item.seq), [held.domain])) {
      ctx.out.keptNewer.push(`client ${held.domain} (written in the ledger after it was read)`);
      continue;
    }
    let client = ctx.made.get(key) ?? (await tx.getClient(held.domain))!;
    if (rename) {
      change(ctx, { kind: 'changed', what: 'client', target: client.domain, detail: `name "${c.displayName}"` });
      client = { ...client, name: c.displayName! };
      const named = client;
      await write(ctx, () => tx.upsertClient(named));
    }
    if (endDap && client.dap) {
      change(ctx, { kind: 'ended', what: 'dap', target: client.domain, detail: 'Partner Center says delegated admin (DAP) access is no longer allowed' });
      const ended = { ...client, dap: { ...client.dap, removedAt: ctx.at } };
      await write(ctx, () => tx.upsertClient(ended));
    }
  }
  await write(ctx, () => tx.sync.markDapRead(readDomains, ctx.at));
}

export async function usersPart(tx: Tx, ctx: ChunkContext, partner: Partner, item: StagedItem): Promise<void> {
  const g = JSON.parse(item.body) as StagedAgents;
  const newer = await newerWrites(tx, ctx, item.seq);
  if ((g.adminGroupId && g.adminGroupId !== partner.adminAgentsGroupId) || (g.helpdeskGroupId && g.helpdeskGroupId !== partner.helpdeskAgentsGroupId)) {
    change(ctx, { kind: 'changed', what: 'partner', target: partner.tenantId, detail: `agent group ids: AdminAgents ${g.adminGroupId ?? '-'}, HelpdeskAgents ${g.helpdeskGroupId ?? '-'}` });
    await write(ctx, () =>
      tx.updatePartner({ ...partner, adminAgentsGroupId: g.adminGroupId ?? partner.adminAgentsGroupId ?? null, helpdeskAgentsGroupId: g.helpdeskGroupId ?? partner.helpdeskAgentsGroupId ?? null }),
    );
  }
  // A member there only through an activated PIM assignment holds that access until it ends: it is
  // listed as an activation, and the user's recorded (permanent) access does not take it.
  const activated = new Set((g.activated ?? []).map((a) => `${a.group}:${a.email}`));
  for (const a of g.activated ?? []) ctx.out.activations.push(`${a.email} in ${a.group}${a.until ? ` until ${a.until}` : ''} (activated)`);
  if (g.activationsUnread) ctx.out.notes.push(g.activationsUnread);
  const admin = new Set(g.admin.filter((e) => !activated.has(`AdminAgents:${e}`)));
  const helpdesk = new Set(g.helpdesk.filter((e) => !activated.has(`HelpdeskAgents:${e}`)));
  const known = new Set<string>();
  const updates: { email: string; adminAccess: AdminAccess }[] = [];
  for await (const users of tx.userChunks({}, 1000)) {
    for (const u of users) {
      known.add(u.email);
      const access: AdminAccess = admin.has(u.email) ? 'full' : helpdesk.has(u.email) ? 'limited' : 'none';
      if (access === u.adminAccess) continue;
      if (writtenAfter(newer, item.seq, [u.email])) {
        ctx.out.keptNewer.push(`user ${u.email} (written in the ledger after it was read)`);
        continue;
      }
      updates.push({ email: u.email, adminAccess: access });
      change(ctx, { kind: 'changed', what: 'user', target: u.email, detail: `admin access ${u.adminAccess} -> ${access}` });
    }
  }
  await write(ctx, () => tx.setAdminAccess(updates));
  ctx.out.unknownMembers = [...new Set([...g.admin, ...g.helpdesk])].filter((e) => !known.has(e)).sort();
}
