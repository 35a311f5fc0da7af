/** Delegated administration offers: reusable, optionally with a trial or purchase. */
import { randomUUID } from '../core/crypto.js';
import { appendAudit } from '../core/audit.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from '../core/errors.js';
import { granularUrl, relationshipOffers } from './granular-offers.js';
import { granularOfferJson } from './granular-views.js';
import { relationshipState } from '../relationship/relationships.js';
import type { OfferRecord, Partner, Relationship } from '../core/model.js';
import { roleName } from '../relationship/roles.js';
import { DAY_MS, PENDING_DAYS, durationDays } from '../core/duration.js';
import { renderOffer, type OfferFormat } from './offer-text.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from '../core/session.js';
import { adminOfferUrl, linkNotOurs, type SignupLink } from './urls.js';
import type { OfferLineSpec, Tx } from '../core/store.js';

/** An offer as scripts see it (SPEC.md "JSON shapes"). */
export interface Offer {
  id: string;
  url: string;
  text: string;
  status: OfferRecord['status'];
  /** delegate: an offer delegate made; sync: a record sync made for customers found at Microsoft. */
  origin: 'delegate' | 'sync';
  createdAt: string;
  createdBy: string;
  /** `url` is null for a trial made before links came from Partner Center: its made-up link was dropped. */
  trial?: { product?: string; url: string | null };
  purchase?: { product?: string; quantity?: number; url: string | null };
  acceptedCount: number;
  granular?: ReturnType<typeof granularOfferJson>;
}

/** A trial or purchase offer whose made-up link was dropped (see docs/guide.md "Offers made before links came from Partner Center"): it shows as a plain offer. */
export function linkDropped(o: Pick<OfferRecord, 'kind' | 'link'>): boolean {
  return (o.kind === 'trial' || o.kind === 'purchase') && o.link === null;
}

/** Whether the offer's link is the delegated admin link every plain offer shares. */
export function sharesAdminLink(o: Pick<OfferRecord, 'kind' | 'link'>): boolean {
  return o.kind === 'plain' || linkDropped(o);
}

const opt = <K extends string, V>(k: K, v: V | null): { [P in K]?: V } => (v === null ? {} : ({ [k]: v } as { [P in K]?: V }));

export function offerView(partner: Partner, o: OfferRecord, format: OfferFormat = 'text', rel?: Relationship, now: Date = new Date()): Offer {
  const trial = o.kind === 'trial' ? { ...opt('product', o.product), url: o.link } : undefined;
  const purchase = o.kind === 'purchase' ? { ...opt('product', o.product), ...opt('quantity', o.quantity), url: o.link } : undefined;
  const url = rel ? granularUrl(partner.cloud, rel.id) : (o.link ?? adminOfferUrl(partner.cloud, partner.tenantId));
  // An offer whose link was dropped reads as the plain offer its admin link now is.
  const withLink = o.link !== null;
  let text: string | undefined;
  return {
    id: o.id,
    url,
    // Made when read (JSON output, --fields text, printing the offer): a list shown as a table never needs it.
    get text() {
      const granular = rel
        ? { displayName: rel.displayName, roles: rel.roles.map(roleName), days: durationDays(rel.duration), autoExtend: rel.autoExtendDuration === 'P180D' }
        : undefined;
      return (text ??= renderOffer({ partner, url, ...(withLink && trial ? { trial } : {}), ...(withLink && purchase ? { purchase } : {}), granular }, format));
    },
    status: o.status,
    origin: o.origin ?? 'delegate',
    createdAt: o.createdAt,
    createdBy: o.createdBy,
    ...(trial ? { trial } : {}),
    ...(purchase ? { purchase } : {}),
    acceptedCount: o.acceptedCount,
    ...(rel ? { granular: granularOfferJson(rel, now) } : {}),
  };
}

export interface CreateOfferInput {
  /** A trial invitation link Partner Center made (parsed), and the product name for the text. */
  trial?: { link: SignupLink; product?: string };
  /** A purchase offer link Partner Center made (parsed), and product and licences for the text. */
  purchase?: { link: SignupLink; product?: string; quantity?: number };
  format: OfferFormat;
}

export interface CreatedOffer {
  offer: Offer;
  /** Active clients, for the Partner Center navigation hint. */
  activeClients: number;
}

export async function createOffer(s: Session, input: CreateOfferInput): Promise<CreatedOffer> {
  if (input.trial && input.purchase) throw new UsageError('An offer goes with a trial invitation or a purchase offer, not both: give --trial-url or --purchase-url');
  const bundled = input.trial ?? input.purchase;
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    // Input first: a link must be this partner's (cloud, Partner ID).
    const notOurs = bundled && linkNotOurs(partner, bundled.link);
    if (notOurs) throw new UsageError(notOurs);
    const actor = await resolveActor(tx, s);
    if (!partner.certified) {
      throw new NotPermittedError(
        `${partner.name} is not certified to offer delegated administration, so it cannot create offers; once it is, run \`delegate partner set --certified\``,
        { actor: actor.email, action: 'offer.create', target: partner.tenantId },
      );
    }
    may.adminAccess(actor, 'offer.create', partner.tenantId, 'create offers');
    if (bundled) {
      const holder = await tx.offerByLink(bundled.link.kind, bundled.link.offerId);
      if (holder && holder.status === 'active') {
        throw new ConflictError(`Offer ${holder.id} already carries that ${bundled.link.kind} link (Partner Center id ${bundled.link.offerId}); acceptances of it are recorded there`);
      }
    }
    const record: OfferRecord = {
      id: randomUUID(),
      kind: bundled ? bundled.link.kind : 'plain',
      product: bundled?.product ?? null,
      quantity: input.purchase?.quantity ?? null,
      link: bundled?.link.href ?? null,
      linkId: bundled?.link.offerId ?? null,
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
      detail: bundled
        ? `with ${record.kind} link ${bundled.link.offerId}${record.product ? ` for ${record.product}` : ''}${record.quantity ? ` x${record.quantity}` : ''}`
        : 'delegated administration offer',
    });
    return { offer: offerView(partner, record, input.format), activeClients: await tx.countActiveClients(s.clock.now().toISOString()) };
  });
}

/**
 * The offer an acceptance of the delegated admin link counts against: that link
 * carries only the partner's tenant id, so it is the newest active plain offer,
 * else the newest active non-granular offer of any kind (SPEC.md "Offers").
 */
export async function adminLinkOffer(tx: Tx): Promise<OfferRecord | undefined> {
  return (await tx.latestActiveOffer('plain')) ?? (await tx.latestActiveOffer());
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

/**
 * An offer delegate may send, link or revoke: not one sync imported (a DAP customer found at
 * Partner Center is recorded against such a record; it was never offered to anyone).
 */
export function sentOffer(o: OfferRecord, doing: string): OfferRecord {
  if (o.status === 'imported') throw new ConflictError(`Offer ${o.id} was imported by sync (delegated admin customers found at Partner Center), never sent: it cannot be ${doing}`);
  return o;
}

export interface ShownOffer {
  offer: Offer;
  /** For an offer whose link is the shared delegated admin link: the active offer acceptances of that link count against. */
  adminLinkCountsFor?: string;
}

/**
 * One offer and, when its link is the shared admin link, which offer that link counts against.
 * Without an id: the delegated admin link, as the offer an acceptance of it is recorded against
 * (adminLinkOffer), never a trial or purchase link (exit 5 when no offer that link counts
 * against is active).
 */
export async function showOffer(s: Session, idOrPrefix: string | undefined, format: OfferFormat = 'text'): Promise<ShownOffer> {
  const ref = idOrPrefix === undefined ? undefined : offerRef(idOrPrefix);
  return s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    if (ref === undefined) {
      const o = await adminLinkOffer(tx);
      if (!o) throw new ConflictError('No offer is active that the delegated admin link counts against: create one with `delegate offer create`');
      const view = offerView(partner, o, format, undefined, s.clock.now());
      if (sharesAdminLink(o)) return { offer: view, adminLinkCountsFor: o.id };
      // A trial or purchase offer stands for the admin link while no plain one is active: its link and text are the plain ones.
      const plain = offerView(partner, { ...o, kind: 'plain', link: null, linkId: null, product: null, quantity: null }, format, undefined, s.clock.now());
      return { offer: Object.defineProperty({ ...view, url: plain.url }, 'text', { get: () => plain.text, enumerable: true }), adminLinkCountsFor: o.id };
    }
    const o = sentOffer(await findOffer(tx, ref), 'linked');
    const [rel] = await relationshipOffers(tx, [o]);
    const target = sharesAdminLink(o) ? await adminLinkOffer(tx) : undefined;
    return { offer: offerView(partner, o, format, rel, s.clock.now()), ...(target ? { adminLinkCountsFor: target.id } : {}) };
  });
}

export async function listOffers(s: Session, opts: { all: boolean }): Promise<Offer[]> {
  const out: Offer[] = [];
  await eachOfferChunk(s, opts, (chunk) => void out.push(...chunk));
  return out;
}

/** The offers, a page at a time (each page one read of the store, relationships included), so a list of any size streams out. */
export async function eachOfferChunk(s: Session, opts: { all: boolean }, fn: (chunk: Offer[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const now = s.clock.now();
    for await (const chunk of tx.offerChunks(opts, 2000)) await fn(chunk.map((x) => offerView(partner, x.offer, 'text', x.relationship, now)));
  });
}

/** What the store needs to print a granular offer's plain line itself, for this partner at this time (Tx.offerLines). */
export function offerLineSpec(partner: Pick<Partner, 'cloud'>, now: Date): OfferLineSpec {
  return { now: now.toISOString(), pendingSince: new Date(now.getTime() - PENDING_DAYS * DAY_MS).toISOString(), urlPrefix: granularUrl(partner.cloud, '') };
}

/**
 * A whole offer list to print as plain output: an offer comes as the line the store printed for it,
 * or as the offer (Tx.offerLines), a page at a time.
 */
export async function eachOfferLineChunk(s: Session, opts: { all: boolean }, fn: (chunk: (string | Offer)[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    const partner = await requirePartner(tx);
    const now = s.clock.now();
    for await (const chunk of tx.offerLines(opts, 2000, offerLineSpec(partner, now))) {
      await fn(chunk.map((x) => (typeof x === 'string' ? x : offerView(partner, x.offer, 'text', x.relationship, now))));
    }
  });
}

export interface RevokedOffer {
  offer: Offer;
  /** The revoked offer's link was the delegated admin link every plain offer shares. */
  sharedAdminLink: boolean;
  /** While another non-granular offer is active, the delegated admin link still works: acceptances count against this one. */
  linkStillAcceptedBy?: string;
}

export async function revokeOffer(s: Session, idOrPrefix: string): Promise<RevokedOffer> {
  const ref = offerRef(idOrPrefix);
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.adminAccess(actor, 'offer.revoke', ref, 'revoke offers');
    const record = sentOffer(await findOffer(tx, ref), 'revoked');
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
    const next = await adminLinkOffer(tx);
    return {
      offer: offerView(partner, revoked, 'text', rel, s.clock.now()),
      sharedAdminLink: sharesAdminLink(record),
      ...(next ? { linkStillAcceptedBy: next.id } : {}),
    };
  });
}
