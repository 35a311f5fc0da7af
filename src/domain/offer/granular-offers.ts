/**
 * Granular (GDAP) offers: each a relationship waiting for one client's approval, with its invitation link.
 */
import { randomUUID } from '../core/crypto.js';
import { appendAudit } from '../core/audit.js';
import type { AutoExtend } from '../core/duration.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from '../core/errors.js';
import { createRelationship, relationshipRequest } from '../plan/relationship-requests.js';
import { ids, ref, type PlannedRequest } from '../plan/request.js';
import { deciding, modeOf, type Mode, type Responses, type StepFailure } from '../plan/decision.js';
import { inScope } from '../plan/request.js';
import { carryOut } from '../plan/carry-out.js';
import type { MsRelationshipReply } from '../plan/relationship-requests.js';
import type { MsRelationship } from '../relationship/microsoft.js';
import type { Cloud, OfferRecord, Partner, Relationship, Template } from '../core/model.js';
import { checkDisplayName, checkRelationshipSettings, newRelationshipId } from '../relationship/rules.js';
import { roleName } from '../relationship/roles.js';
import { may, nowIso, requirePartner, resolveActor, type Session } from '../core/session.js';
import type { Tx } from '../core/store.js';
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
  /** The older flag: a plan instead of the ledger. */
  plan?: boolean;
  mode?: Mode;
}

export interface CreatedGranular {
  /** The offers made (live: those created and locked for approval at Microsoft, with Microsoft's ids). */
  records: { offer: OfferRecord; relationship: Relationship }[];
  plan?: PlannedRequest[];
  activeClients: number;
  /** Live: items that failed at Microsoft (named by display name); what succeeded is recorded. */
  failures?: (StepFailure & { item?: string })[];
  notes?: string[];
}

function generatedName(partner: Partner, at: string): string {
  const base = `${partner.name.slice(0, 24).trim()} GDAP ${at.slice(0, 10)}`;
  return `${base} ${randomUUID().slice(0, 6)}`;
}

/** `existing`: created at Microsoft already (to be locked); `draft`: an offline draft, created there now in its place. */
type Item = { offer: OfferRecord; relationship: Relationship; existing: boolean; draft?: boolean };

/**
 * Create one or `count` granular offers, each with its relationship. Offline: approvalPending in
 * the ledger, with the ledger's own (draft) id. Plan and live, per offer: create the relationship
 * (https://learn.microsoft.com/graph/api/tenantrelationship-post-delegatedadminrelationships, 201
 * with status `created`), then lock it for the customer's approval with `${relationship.id}`
 * (https://learn.microsoft.com/graph/api/delegatedadminrelationship-post-requests, action
 * lockForApproval; the relationship is then `approvalPending`). Live records Microsoft's id, times
 * and status: an offer whose lock failed is recorded as `created` (not yet valid for a customer), and
 * running the same command again with the same `--name` locks it instead of creating another; one
 * already created and locked with the same settings is done and shown again.
 */
export async function createGranularOffers(s: Session, input: GranularInput): Promise<CreatedGranular> {
  if (input.name !== undefined) checkDisplayName(input.name);
  const mode = input.mode ?? modeOf(input.plan);
  let activeClients = 0;
  const out = await carryOut<CreatedGranular>(
    s,
    async (tx, seen) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      let template: Template | undefined;
      if (input.template !== undefined) {
        template = await tx.getTemplate(input.template);
        if (!template) throw new NotFoundError(`No template ${input.template} (see \`delegate template list\`)`);
      }
      // Live with the name of an offline draft and no settings: the draft's own settings (it is created as it is).
      const draft = deciding(seen) && input.name !== undefined && !input.roles && !template ? (await tx.listRelationships()).find((r) => r.displayName.toLowerCase() === input.name!.toLowerCase() && !r.msStatus) : undefined;
      const roles = input.roles ?? template?.roles ?? draft?.roles;
      if (!roles) throw new UsageError('Give --roles <name|id,...> or --template <name> for a granular offer');
      const duration = input.duration ?? template?.duration ?? draft?.duration ?? 'P730D';
      const auto = input.autoExtendDuration ?? template?.autoExtendDuration ?? draft?.autoExtendDuration ?? 'PT0S';
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
      const live = deciding(seen);
      const ledger = live ? new Map((await tx.listRelationships()).map((r) => [r.displayName.toLowerCase(), r])) : undefined;
      const same = (r: Relationship) => r.duration === duration && r.autoExtendDuration === auto && r.roles.length === roles.length && roles.every((x) => r.roles.includes(x));
      const items: Item[] = [];
      const done: Item[] = [];
      for (const displayName of names) {
        const mine = ledger?.get(displayName.toLowerCase());
        // Live carries on from an earlier live run with the same settings: created but not locked, or already done.
        if (mine && same(mine) && (mine.msStatus === 'created' || mine.msStatus === 'approvalPending')) {
          const [offer] = await tx.findOffers(mine.offerId);
          (mine.msStatus === 'created' ? items : done).push({ offer: offer!, relationship: mine, existing: true });
          continue;
        }
        // An offline draft (Microsoft has never reported it) is created and locked at Microsoft as it is,
        // with its own settings; Microsoft's id then replaces the ledger's (SPEC "Drafts are not at Microsoft").
        if (mine && !mine.msStatus) {
          const [offer] = await tx.findOffers(mine.offerId);
          items.push({ offer: offer!, relationship: mine, existing: false, draft: true });
          continue;
        }
        if (await tx.relationshipNameTaken(displayName)) throw new ConflictError(`A relationship named "${displayName}" already exists; display names must be unique`);
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
        items.push({ offer, relationship, existing: false });
      }
      activeClients = await tx.countActiveClients(s.clock.now().toISOString());
      const relIds = ids('relationship', items.length);
      const lockIds = ids('lock', items.length);
      // Access assignments are not planned here: Graph takes them only once the relationship is active (`client assign`).
      // Each relationship's requests belong to it, by its display name (unique across the partner's relationships).
      const steps = items.map((it, i) =>
        inScope(
          `relationship:${it.relationship.displayName.toLowerCase()}`,
          it.existing
            ? [relationshipRequest(partner.cloud, lockIds[i]!, it.relationship.id, 'lockForApproval')]
            : [createRelationship(partner.cloud, relIds[i]!, it.relationship), relationshipRequest(partner.cloud, lockIds[i]!, ref(relIds[i]!, 'id'), 'lockForApproval')],
        ),
      );
      const audit = (tx: Tx, made: Relationship[], live: boolean) =>
        appendAudit(tx, s.clock, {
          actor: actor.email,
          action: 'offer.create',
          target: made.length === 1 ? made[0]!.offerId : `${made.length} granular offers`,
          outcome: 'allowed',
          detail: `granular: ${made.length === 1 ? made[0]!.displayName : `${made[0]!.displayName} .. ${made[made.length - 1]!.displayName}`}; roles ${roles.map(roleName).join(', ')}; ${duration}; auto-extend ${auto}${live ? ' (at Microsoft)' : ''}`,
        });
      const createdOnly = (responses: Responses) =>
        items.flatMap((it, i) => (!it.existing && responses.has(relIds[i]!) && !responses.has(lockIds[i]!) ? [`"${it.relationship.displayName}" (${String(responses.get(relIds[i]!)!.id)})`] : []));
      return {
        steps,
        labels: items.map((it) => it.relationship.displayName),
        ...(done.length ? { notes: done.map((d) => `"${d.relationship.displayName}" was already created and locked for approval at Microsoft: shown again, nothing sent`) } : {}),
        apply: async (tx) => {
          for (const { offer, relationship } of items) {
            await tx.insertOffer(offer);
            await tx.insertRelationship(relationship);
          }
          await audit(tx, items.map((it) => it.relationship), false);
          return { records: items.map(({ offer, relationship }) => ({ offer, relationship })), activeClients };
        },
        record: async (tx, responses) => {
          const locked: { offer: OfferRecord; relationship: Relationship }[] = [];
          const made: Relationship[] = [];
          for (const [i, it] of items.entries()) {
            const isLocked = responses.has(lockIds[i]!);
            if (it.existing) {
              if (!isLocked) continue;
              const r: Relationship = { ...it.relationship, msStatus: 'approvalPending', etag: null };
              await tx.updateRelationship(r);
              locked.push({ offer: it.offer, relationship: r });
              made.push(r);
              continue;
            }
            const c = responses.get(relIds[i]!) as MsRelationshipReply | undefined;
            if (!c || typeof c.id !== 'string') continue;
            // After the lock Microsoft's status is approvalPending and the create's ETag is stale.
            const r: Relationship = {
              ...it.relationship,
              // A draft's offline acceptance was only the ledger's: Microsoft's status holds from now on.
              ...(it.draft ? { status: 'approvalPending' as const, activatedAt: null, endsAt: null } : {}),
              id: c.id,
              duration: c.duration ?? it.relationship.duration,
              createdAt: c.createdDateTime ?? it.relationship.createdAt,
              msStatus: isLocked ? 'approvalPending' : (c.status ?? 'created'),
              etag: isLocked ? null : (c['@odata.etag'] ?? null),
            };
            if (it.draft) {
              // Microsoft's status is the truth from now on: an offline acceptance was only the ledger's.
              await tx.replaceRelationship(it.relationship.id, r);
            } else {
              await tx.insertOffer(it.offer);
              await tx.insertRelationship(r);
            }
            made.push(r);
            if (isLocked) locked.push({ offer: it.offer, relationship: r });
          }
          if (made.length) await audit(tx, made, true);
          return { records: [...done.map(({ offer, relationship }) => ({ offer, relationship })), ...locked], activeClients };
        },
        failureNote: (responses) => {
          const left = createdOnly(responses);
          return left.length ? `${left.join(', ')} exists at Microsoft, recorded as created and not yet locked for approval: give the same --name to carry on.` : undefined;
        },
      };
    },
    mode,
  );
  if (out.kind === 'plan') return { records: [], plan: out.requests, activeClients };
  return { ...out.value, ...(out.failures.length ? { failures: out.failures } : {}), ...(out.notes.length ? { notes: out.notes } : {}) };
}

export function relationshipOffers(tx: Tx, offers: OfferRecord[]): Promise<(Relationship | undefined)[]> {
  return Promise.all(offers.map((o) => (o.kind === 'granular' ? tx.relationshipByOffer(o.id) : Promise.resolve(undefined))));
}

/** The ledger's offer record that carries a granular relationship (offline, or one `sync` found at Microsoft). */
/**
 * A relationship Microsoft lists that the ledger lacks (made elsewhere): its offer record (every ledger
 * relationship belongs to one), made by `actor`, and the relationship as a pending draft that
 * fromMicrosoft (relationship/microsoft.ts) then brings to Microsoft's state. Sync and recovery use it.
 */
export function madeElsewhere(m: Pick<MsRelationship, 'id' | 'displayName' | 'duration' | 'createdDateTime'>, actor: string, at: string): { offer: OfferRecord; base: Relationship } {
  const offer = granularOfferRecord(m.createdDateTime ?? at, actor);
  const base: Relationship = {
    id: m.id,
    offerId: offer.id,
    displayName: m.displayName,
    duration: m.duration,
    autoExtendDuration: 'PT0S',
    roles: [],
    status: 'approvalPending',
    createdAt: m.createdDateTime ?? at,
    activatedAt: null,
    endsAt: null,
    terminatedAt: null,
    clientDomain: null,
    template: null,
  };
  return { offer, base };
}

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
