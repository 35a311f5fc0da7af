/** Client organizations: acceptance of an offer, listing, ending the relationship. */
import { startingDomains } from './acting.js';
import { appendAudit } from './audit.js';
import { BadRows, eachRow, requireField, type RowSource } from './bulk.js';
import { ConflictError, NotFoundError, UsageError } from './errors.js';
import type { ClientRecord, OfferRecord, Partner, Relationship } from './model.js';
import { activate, checkAcceptable, clientStatus, decideTermination, expiring, RELATIONSHIP_ID } from './granular.js';
import { decideThenDo, done, type Outcome } from './decision.js';
import { planRemoveDap } from './graph.js';
import { roleName } from './roles.js';
import { adminLinkOffer, findOffer, offerRef } from './offers.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';
import { linkNotOurs, parseOfferUrl, quoted, shownLink, type ParsedOfferUrl } from './urls.js';
import * as v from './validate.js';
import type { Tx } from '../store/store.js';

export type OfferReference = { by: 'url'; url: ParsedOfferUrl } | { by: 'id'; id: string };

/** Parse what the client followed: an offer link or an offer id. Bad shape: exit 2. */
export function parseOfferReference(ref: string): OfferReference {
  const t = ref.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t) || t.includes('/')) {
    const parsed = parseOfferUrl(t);
    if ('error' in parsed) throw new UsageError(`The link ${shownLink(t)} ${parsed.error}`);
    return { by: 'url', url: parsed };
  }
  return { by: 'id', id: offerRef(t) };
}

/** A link must be this partner's, on this partner's cloud (exit 2 otherwise). */
function checkLinkIsOurs(partner: Partner, ref: OfferReference): void {
  if (ref.by !== 'url') return;
  const u = ref.url;
  const notOurs = linkNotOurs(partner, u);
  if (notOurs) throw new UsageError(notOurs);
  if (u.kind === 'granular' && !RELATIONSHIP_ID.test(u.relationshipId)) {
    throw new UsageError(`That link's relationship id ${quoted(u.relationshipId, 80)} is not a relationship id`);
  }
}

/**
 * The offer a reference names (exit 3 when it names none). A trial or purchase
 * link is matched by the Partner Center link stored with its offer; the
 * delegated admin link carries only the partner's tenant id, so it counts
 * against the newest active plain offer, else the newest active non-granular
 * one (undefined when there is none: a state problem, decided after permission).
 */
async function referencedOffer(tx: Tx, ref: OfferReference): Promise<OfferRecord | undefined> {
  if (ref.by === 'id') return findOffer(tx, ref.id);
  const u = ref.url;
  if (u.kind === 'granular') {
    const rel = await tx.getRelationship(u.relationshipId);
    if (!rel) throw new NotFoundError(`No granular relationship ${u.relationshipId} belongs to this partner (see \`delegate offer list\`)`);
    return (await tx.findOffers(rel.offerId))[0]!;
  }
  if (u.kind === 'admin') return adminLinkOffer(tx);
  const offer = await tx.offerByLink(u.kind, u.offerId);
  if (!offer) throw new NotFoundError(`No offer carries the ${u.kind} link with Partner Center id ${u.offerId} (see \`delegate offer list --all\`)`);
  return offer;
}

function checkOfferState(offer: OfferRecord | undefined): OfferRecord {
  if (!offer) throw new ConflictError('There is no active offer to accept this link against: create one with `delegate offer create`');
  if (offer.status === 'revoked') throw new ConflictError(`Offer ${offer.id} was revoked and can no longer be accepted`);
  return offer;
}

interface Acceptance {
  line?: number;
  domain: string;
  name: string;
  tenantId: string | null;
  previous?: ClientRecord;
}

/**
 * Record that one or more clients accepted an offer: each becomes an active
 * client, the acceptance is kept in history, and the partner is notified.
 */
export async function acceptOffer(s: Session, reference: string, rows: RowSource, opts: { source: string }): Promise<ClientRecord[]> {
  const ref = parseOfferReference(reference);
  const bad = new BadRows(opts.source);
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    checkLinkIsOurs(partner, ref);
    const actor = await resolveActor(tx, s);

    const accepted: Acceptance[] = [];
    const seen = new Map<string, number | undefined>();
    let conflict: string | undefined;
    for await (const row of eachRow(rows)) {
      if (bad.unreadable(row)) continue;
      const domain = bad.check(row, () => v.domain(requireField(row, 'domain')));
      if (domain === undefined) continue;
      const rawName = row.fields.name;
      const name = rawName === undefined || rawName.trim() === '' ? domain : bad.check(row, () => v.displayName(rawName, 'name'));
      if (name === undefined) continue;
      const rawTenant = row.fields.tenantId;
      const tenantId = rawTenant === undefined || rawTenant.trim() === '' ? null : bad.check(row, () => v.guid(rawTenant, 'tenantId'));
      if (tenantId === undefined) continue;
      if (seen.has(domain)) {
        bad.add(row, `${domain} appears twice (also on line ${seen.get(domain)})`);
        continue;
      }
      seen.set(domain, row.line);
      const previous = await tx.getClient(domain);
      if (previous && clientStatus(previous, s.clock.now()) === 'active') {
        const msg = `${domain} is already an active client (accepted offer ${previous.offerId} at ${previous.acceptedAt})`;
        if (row.line === undefined) conflict ??= msg;
        else bad.add(row, msg);
        continue;
      }
      accepted.push({ line: row.line, domain, name, tenantId, previous });
    }
    bad.throwIfAny();
    if (accepted.length === 0 && !conflict) throw new UsageError(`${opts.source} has no clients to record`);
    const named = await referencedOffer(tx, ref);
    may.adminAccess(actor, 'client.accept', accepted.length === 1 ? accepted[0]!.domain : opts.source, 'record client acceptances');
    const offer = checkOfferState(named);
    let rel = offer.kind === 'granular' ? await tx.relationshipByOffer(offer.id) : undefined;
    if (rel) {
      checkAcceptable(rel, s.clock.now());
      if (accepted.length > 1) throw new ConflictError(`Granular offer "${rel.displayName}" is for one client; ${opts.source} names ${accepted.length}`);
    }
    if (conflict) throw new ConflictError(conflict);

    const at = nowIso(s);
    const out: ClientRecord[] = [];
    for (const a of accepted) {
      const client: ClientRecord = { domain: a.domain, name: a.name, tenantId: a.tenantId, status: 'active', offerId: offer.id, acceptedAt: at, removedAt: null };
      await tx.upsertClient(client);
      if (rel) {
        rel = activate(rel, a.domain, at);
        await tx.updateRelationship(rel);
        client.relationship = rel;
      }
      await tx.recordAcceptance({ offerId: offer.id, clientDomain: a.domain, at, recordedBy: actor.email });
      await tx.insertClientDomains(await startingDomains(tx, partner.cloud, a.domain, at));
      await tx.insertNotification({
        at,
        kind: 'offer.accepted',
        clientDomain: a.domain,
        offerId: offer.id,
        message: rel
          ? `${a.name} (${a.domain}) approved granular relationship "${rel.displayName}" (${rel.roles.map(roleName).join(', ')}) until ${rel.endsAt}: assign security groups with \`delegate client assign ${a.domain}\``
          : `${a.name} (${a.domain}) accepted your delegated administration offer${a.previous ? ' again' : ''}: you can now administer its organization`,
        readAt: null,
      });
      out.push(client);
    }
    const one = out.length === 1 ? out[0]! : undefined;
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'client.accept',
      target: one ? one.domain : opts.source,
      outcome: 'allowed',
      detail: one ? `offer ${offer.id}${rel ? ` (granular ${rel.displayName})` : ''}` : `${out.length} clients accepted offer ${offer.id}`,
    });
    return out;
  });
}

export const CLIENT_STATUSES = ['active', 'removed', 'expired', 'terminated'] as const;
export type ClientStatusFilter = (typeof CLIENT_STATUSES)[number];

export interface ClientListFilter {
  status?: ClientStatusFilter;
  search?: string;
  expiringDays?: number;
}

function clientFilter(now: Date, filter: ClientListFilter): (clients: ClientRecord[]) => ClientRecord[] {
  return (clients) => {
    let out = clients;
    if (filter.status) out = out.filter((c) => clientStatus(c, now) === filter.status);
    if (filter.expiringDays !== undefined) out = expiring(out, now, filter.expiringDays);
    return out;
  };
}

export async function listClients(s: Session, filter: ClientListFilter): Promise<ClientRecord[]> {
  const out: ClientRecord[] = [];
  await eachClientChunk(s, filter, (chunk) => void out.push(...chunk));
  return out;
}

/** The clients a filter selects, chunk by chunk, so a list of any size streams out. */
export async function eachClientChunk(s: Session, filter: ClientListFilter, fn: (chunk: ClientRecord[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    await requirePartner(tx);
    const keep = clientFilter(s.clock.now(), filter);
    for await (const chunk of tx.clientChunks(filter.search ? { search: filter.search } : {}, 2000)) {
      const kept = keep(chunk);
      if (kept.length) await fn(kept);
    }
  });
}

export async function showClient(s: Session, domainIn: string): Promise<ClientRecord> {
  const domain = v.domain(domainIn);
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    const c = await tx.getClient(domain);
    if (!c) throw new NotFoundError(`No client ${domain} (see \`delegate client list\`)`);
    return c;
  });
}

/**
 * End the relationship. History (acceptances, audit) is kept. For a granular
 * client this terminates its relationship (`client remove` = `client terminate`).
 * With `plan`, returns the requests to Microsoft instead (Partner Center ends
 * a DAP relationship; Graph's `terminate` request ends a granular one).
 */
export async function endClient(s: Session, domainIn: string, how: 'remove' | 'terminate', plan: boolean): Promise<Outcome<ClientRecord>> {
  const domain = v.domain(domainIn);
  return decideThenDo(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.fullOrGlobalAdmin(actor, `client.${how}`, domain, 'end client relationships');
      const c = await tx.getClient(domain);
      if (!c) throw new NotFoundError(`No client ${domain} (see \`delegate client list\`)`);
      if (c.relationship) return decideTermination(tx, s, partner.cloud, c as ClientRecord & { relationship: Relationship }, actor.email);
      if (c.status === 'removed') throw new ConflictError(`${domain} was already removed at ${c.removedAt}`);
      return {
        requests: () => planRemoveDap(partner.cloud, domain, c.tenantId),
        apply: async () => {
          const removed: ClientRecord = { ...c, status: 'removed', removedAt: nowIso(s) };
          await tx.upsertClient(removed);
          await appendAudit(tx, s.clock, { actor: actor.email, action: 'client.remove', target: domain, outcome: 'allowed', detail: `relationship from offer ${c.offerId} ended` });
          return removed;
        },
      };
    },
    plan,
  );
}

export async function removeClient(s: Session, domainIn: string, how: 'remove' | 'terminate' = 'remove'): Promise<ClientRecord> {
  return done(await endClient(s, domainIn, how, false));
}
