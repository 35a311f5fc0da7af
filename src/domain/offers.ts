/** Delegated administration offers: reusable, optionally with a trial or purchase. */
import { randomUUID } from 'node:crypto';
import { appendAudit } from './audit.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from './errors.js';
import { granularOfferJson, granularUrl, relationshipOffers, relationshipState } from './granular.js';
import type { OfferRecord, Partner, Relationship } from './model.js';
import { roleName } from './roles.js';
import { durationDays } from './duration.js';
import { renderOffer, type OfferFormat } from './offer-text.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';
import { adminOfferUrl, signupUrl } from './urls.js';
import type { Tx } from '../store/store.js';

/** An offer as scripts see it (SPEC.md "JSON shapes"). */
export interface Offer {
  id: string;
  url: string;
  text: string;
  status: OfferRecord['status'];
  createdAt: string;
  createdBy: string;
  trial?: { product: string; url: string };
  purchase?: { product: string; quantity: number; url: string };
  acceptedCount: number;
  granular?: ReturnType<typeof granularOfferJson>;
}

export function offerView(partner: Partner, o: OfferRecord, format: OfferFormat = 'text', rel?: Relationship, now: Date = new Date()): Offer {
  const trial = o.kind === 'trial' ? { product: o.product!, url: signupUrl(partner.cloud, 'Trial', o.id, partner.tenantId) } : undefined;
  const purchase =
    o.kind === 'purchase'
      ? { product: o.product!, quantity: o.quantity!, url: signupUrl(partner.cloud, 'Purchase', o.id, partner.tenantId) }
      : undefined;
  const granular = rel
    ? { displayName: rel.displayName, roles: rel.roles.map(roleName), days: durationDays(rel.duration), autoExtend: rel.autoExtendDuration === 'P180D' }
    : undefined;
  const url = rel ? granularUrl(partner.cloud, rel.id) : (trial?.url ?? purchase?.url ?? adminOfferUrl(partner.cloud, partner.tenantId));
  return {
    id: o.id,
    url,
    text: renderOffer({ partner, url, trial, purchase, granular }, format),
    status: o.status,
    createdAt: o.createdAt,
    createdBy: o.createdBy,
    ...(trial ? { trial } : {}),
    ...(purchase ? { purchase } : {}),
    acceptedCount: o.acceptedCount,
    ...(rel ? { granular: granularOfferJson(rel, now) } : {}),
  };
}

export interface CreateOfferInput {
  trial?: string;
  purchase?: { product: string; quantity: number };
  format: OfferFormat;
}

export interface CreatedOffer {
  offer: Offer;
  /** Active clients, for the Partner Center navigation hint. */
  activeClients: number;
}

export async function createOffer(s: Session, input: CreateOfferInput): Promise<CreatedOffer> {
  if (input.trial && input.purchase) throw new UsageError('An offer goes with a trial invitation or a purchase offer, not both: give --trial or --purchase');
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    if (!partner.certified) {
      throw new NotPermittedError(
        `${partner.name} is not certified to offer delegated administration, so it cannot create offers; once it is, run \`delegate partner set --certified\``,
        { actor: actor.email, action: 'offer.create', target: partner.tenantId },
      );
    }
    may.adminAccess(actor, 'offer.create', partner.tenantId, 'create offers');
    const record: OfferRecord = {
      id: randomUUID(),
      kind: input.trial ? 'trial' : input.purchase ? 'purchase' : 'plain',
      product: input.trial ?? input.purchase?.product ?? null,
      quantity: input.purchase?.quantity ?? null,
      status: 'active',
      createdAt: nowIso(s),
      createdBy: actor.email,
      revokedAt: null,
      acceptedCount: 0,
    };
    await tx.insertOffer(record);
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'offer.create',
      target: record.id,
      outcome: 'allowed',
      detail: record.kind === 'plain' ? 'delegated administration offer' : `with ${record.kind} of ${record.product}${record.quantity ? ` x${record.quantity}` : ''}`,
    });
    return { offer: offerView(partner, record, input.format), activeClients: await tx.countClients('active') };
  });
}

/** Check the shape of an offer id (or a prefix of at least 4 characters of one). */
export function offerRef(idOrPrefix: string): string {
  const ref = idOrPrefix.trim().toLowerCase();
  if (!/^[0-9a-f-]{4,36}$/.test(ref)) throw new UsageError(`${JSON.stringify(idOrPrefix.slice(0, 60))} is not an offer id (see \`delegate offer list\`)`);
  return ref;
}

/** Find one offer by id or unique id prefix (already checked with offerRef). */
export async function findOffer(tx: Tx, ref: string): Promise<OfferRecord> {
  const found = await tx.findOffers(ref);
  if (found.length === 0) throw new NotFoundError(`No offer ${ref} (see \`delegate offer list --all\`)`);
  if (found.length > 1) throw new UsageError(`Offer id prefix ${ref} matches several offers; give more of the id`);
  return found[0]!;
}

/** One offer, or the latest active offer when no id is given. */
export async function getOffer(s: Session, idOrPrefix: string | undefined, format: OfferFormat = 'text'): Promise<Offer> {
  const ref = idOrPrefix === undefined ? undefined : offerRef(idOrPrefix);
  return s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const o = ref === undefined ? await tx.latestActiveOffer() : await findOffer(tx, ref);
    if (!o) throw new NotFoundError('There is no active offer: create one with `delegate offer create`');
    const [rel] = await relationshipOffers(tx, [o]);
    return offerView(partner, o, format, rel, s.clock.now());
  });
}

export async function listOffers(s: Session, opts: { all: boolean }): Promise<Offer[]> {
  return s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const offers = await tx.listOffers(opts);
    const rels = await relationshipOffers(tx, offers);
    return offers.map((o, i) => offerView(partner, o, 'text', rels[i], s.clock.now()));
  });
}

export interface RevokedOffer {
  offer: Offer;
  /** Plain offers share one link: while another non-granular offer is active, that link still works. */
  linkStillAcceptedBy?: string;
}

export async function revokeOffer(s: Session, idOrPrefix: string): Promise<RevokedOffer> {
  const ref = offerRef(idOrPrefix);
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.adminAccess(actor, 'offer.revoke', ref, 'revoke offers');
    const record = await findOffer(tx, ref);
    if (record.status === 'revoked') throw new ConflictError(`Offer ${record.id} is already revoked`);
    const at = nowIso(s);
    let rel = record.kind === 'granular' ? await tx.relationshipByOffer(record.id) : undefined;
    if (rel) {
      if (rel.clientDomain) {
        throw new ConflictError(`Granular offer ${record.id} was accepted by ${rel.clientDomain}: end that relationship with \`delegate client terminate ${rel.clientDomain}\``);
      }
      if (relationshipState(rel, s.clock.now()).status === 'approvalPending') {
        rel = { ...rel, status: 'terminated', terminatedAt: at };
        await tx.updateRelationship(rel);
      }
    }
    await tx.setOfferStatus(record.id, 'revoked', at);
    await appendAudit(tx, s.clock, { actor: actor.email, action: 'offer.revoke', target: record.id, outcome: 'allowed', detail: record.kind });
    const revoked = { ...record, status: 'revoked' as const, revokedAt: at };
    const next = await tx.latestActiveOffer();
    return { offer: offerView(partner, revoked, 'text', rel, s.clock.now()), ...(next ? { linkStillAcceptedBy: next.id } : {}) };
  });
}
