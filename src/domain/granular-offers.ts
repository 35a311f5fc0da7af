/**
 * Granular (GDAP) offers: each a relationship waiting for one client's approval, with its invitation link.
 */
import { randomUUID } from './crypto.js';
import { appendAudit } from './audit.js';
import type { AutoExtend } from './duration.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from './errors.js';
import { planCreateRelationships, type PlannedRequest } from './graph.js';
import type { Cloud, OfferRecord, Partner, Relationship, Template } from './model.js';
import { checkDisplayName, checkRelationshipSettings, newRelationshipId } from './relationship-rules.js';
import { roleName } from './roles.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';
import type { Tx } from './store.js';
import { gdapInvitationUrl } from './urls.js';

/** The GDAP invitation link (21Vianet: the same path on the 21Vianet host, unverified). */
export function granularUrl(cloud: Cloud, relationshipId: string): string {
  return gdapInvitationUrl(cloud, relationshipId);
}

export interface GranularInput {
  roles?: string[];
  duration?: string;
  autoExtendDuration?: AutoExtend;
  name?: string;
  count: number;
  template?: string;
  plan: boolean;
}

export interface CreatedGranular {
  records: { offer: OfferRecord; relationship: Relationship }[];
  plan?: PlannedRequest[];
  activeClients: number;
}

function generatedName(partner: Partner, at: string): string {
  const base = `${partner.name.slice(0, 24).trim()} GDAP ${at.slice(0, 10)}`;
  return `${base} ${randomUUID().slice(0, 6)}`;
}

/** Create one or `count` granular offers, each with its relationship (approvalPending). */
export async function createGranularOffers(s: Session, input: GranularInput): Promise<CreatedGranular> {
  if (input.name !== undefined) checkDisplayName(input.name);
  return writeAudited(s, async (tx) => {
    const partner = await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    let template: Template | undefined;
    if (input.template !== undefined) {
      template = await tx.getTemplate(input.template);
      if (!template) throw new NotFoundError(`No template ${input.template} (see \`delegate template list\`)`);
    }
    const roles = input.roles ?? template?.roles;
    if (!roles) throw new UsageError('Give --roles <name|id,...> or --template <name> for a granular offer');
    const duration = input.duration ?? template?.duration ?? 'P730D';
    const auto = input.autoExtendDuration ?? template?.autoExtendDuration ?? 'PT0S';
    checkRelationshipSettings(roles, auto);
    const at = nowIso(s);
    const base = input.name ?? (template ? `${template.name.slice(0, 28).trim()} ${at.slice(0, 10)} ${randomUUID().slice(0, 6)}` : generatedName(partner, at));
    const names = input.count === 1 ? [base] : Array.from({ length: input.count }, (_, i) => `${base} ${i + 1}`);
    for (const n of names) checkDisplayName(n);
    if (!partner.certified) {
      throw new NotPermittedError(
        `${partner.name} is not certified to offer delegated administration, so it cannot create offers; once it is, run \`delegate partner set --certified\``,
        { actor: actor.email, action: 'offer.create', target: partner.tenantId },
      );
    }
    may.adminAccess(actor, 'offer.create', partner.tenantId, 'create offers');
    for (const n of names) {
      if (await tx.relationshipNameTaken(n)) throw new ConflictError(`A relationship named "${n}" already exists; display names must be unique`);
    }
    const records = names.map((displayName) => {
      const offer = granularOfferRecord(at, actor.email);
      const relationship: Relationship = {
        id: newRelationshipId(),
        offerId: offer.id,
        displayName,
        duration,
        autoExtendDuration: auto,
        roles: [...roles],
        status: 'approvalPending',
        createdAt: at,
        activatedAt: null,
        endsAt: null,
        terminatedAt: null,
        clientDomain: null,
        template: template?.name ?? null,
      };
      return { offer, relationship };
    });
    const activeClients = await tx.countActiveClients(s.clock.now().toISOString());
    // Access assignments are not planned here: Graph takes them only once the relationship is active (`client assign`).
    if (input.plan) return { records, plan: planCreateRelationships(partner.cloud, records.map((r) => r.relationship)), activeClients };
    for (const { offer, relationship } of records) {
      await tx.insertOffer(offer);
      await tx.insertRelationship(relationship);
    }
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'offer.create',
      target: records.length === 1 ? records[0]!.offer.id : `${records.length} granular offers`,
      outcome: 'allowed',
      detail: `granular: ${names.length === 1 ? names[0] : `${names[0]} .. ${names[names.length - 1]}`}; roles ${roles.map(roleName).join(', ')}; ${duration}; auto-extend ${auto}`,
    });
    return { records, activeClients };
  });
}

export function relationshipOffers(tx: Tx, offers: OfferRecord[]): Promise<(Relationship | undefined)[]> {
  return Promise.all(offers.map((o) => (o.kind === 'granular' ? tx.relationshipByOffer(o.id) : Promise.resolve(undefined))));
}

/** The ledger's offer record that carries a granular relationship (offline, or one `sync` found at Microsoft). */
export function granularOfferRecord(createdAt: string, createdBy: string): OfferRecord {
  return {
    id: randomUUID(),
    kind: 'granular',
    product: null,
    quantity: null,
    link: null,
    linkId: null,
    status: 'active',
    createdAt,
    createdBy,
    revokedAt: null,
    acceptedCount: 0,
  };
}
