/** Client organizations: acceptance of an offer, listing, ending the relationship. */
import { startingDomainsOf } from './initial-domains.js';
import { appendAudit } from '../core/audit.js';
import { BadRows, chunked, requireField, rerunBulk, type RowSource } from '../core/bulk.js';
import { ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import type { AccessAssignment, ClientRecord, ClientStatus, Notification, OfferRecord, Partner, Relationship } from '../core/model.js';
import { onboard } from '../access/assignments.js';
import { decideTermination, toTerminate } from './lifecycle.js';
import { RELATIONSHIP_ID } from '../relationship/rules.js';
import { activate, activeDap, activeGdap, checkAcceptable, clientStatus, expiring } from '../relationship/relationships.js';
import { modeOf, type Carried, type Mode } from '../plan/decision.js';
import { inScope } from '../plan/request.js';
import { carryOut } from '../plan/carry-out.js';
import { planRemoveDap } from '../plan/relationship-requests.js';
import { roleName } from '../relationship/roles.js';
import { adminLinkOffer, findOffer, offerRef, sentOffer } from '../offer/offers.js';
import { may, nowIso, requirePartner, resolveActor, writeAuditedOrDry, type Session, clientKey } from '../core/session.js';
import { linkNotOurs, parseOfferUrl, quoted, shownLink, type ParsedOfferUrl } from '../offer/urls.js';
import * as v from '../core/validate.js';
import type { ClientFilter, ClientLineForm, Tx } from '../core/store.js';
import { DAY_MS } from '../core/duration.js';

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
  if (ref.by === 'id') return sentOffer(await findOffer(tx, ref.id), 'accepted');
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

/**
 * Why a known client cannot accept now (exit 5; a bad row in a file): a DAP offer while its DAP
 * relationship is active, or a tenant id other than the one recorded for it.
 */
function acceptConflict(c: ClientRecord, tenantId: string | null, granular: boolean): string | undefined {
  if (tenantId && c.tenantId && tenantId !== c.tenantId) return `${c.domain} is tenant ${c.tenantId}, not ${tenantId}`;
  const dap = activeDap(c);
  if (!granular && dap) return `${c.domain} is already an active client with a delegated admin (DAP) relationship (accepted offer ${dap.offerId} at ${dap.acceptedAt})`;
  return undefined;
}

/** The partner's notification of an acceptance, with what to do next (Microsoft's path: approve GDAP, then end DAP). */
function acceptedMessage(c: ClientRecord, rel: Relationship | undefined, previous: ClientRecord | undefined, now: Date): string {
  const who = `${c.name} (${c.domain})`;
  if (rel) {
    const dap = activeDap(c) ? `; its delegated admin (DAP) relationship is still active: once your groups have their roles, end it with \`delegate client remove ${c.domain}\`` : '';
    return `${who} approved granular relationship "${rel.displayName}" (${rel.roles.map(roleName).join(', ')}) until ${rel.endsAt}: assign security groups with \`delegate client assign ${c.domain}${activeGdap(c, now).length > 1 ? ` --relationship "${rel.displayName}"` : ''}\`${dap}`;
  }
  return `${who} accepted your delegated administration offer${previous?.dap ? ' again' : ''}: you can now administer its organization`;
}

interface Accepting {
  line?: number;
  domain: string;
  /** As given (undefined: keep a known client's, else the domain). */
  name: string | undefined;
  tenantId: string | null;
  previous?: ClientRecord;
}

/**
 * Record that one or more clients accepted an offer. A client holds its delegated admin (DAP)
 * relationship and any number of granular ones at once: accepting a DAP offer conflicts only with
 * an active DAP relationship, and a granular offer (used once) can be accepted by any client. The
 * acceptance is kept in history, and the partner is notified.
 */
/** A recorded acceptance; `assigned` lists the group assignments its template gave (onboarding), when there are any. */
export type Accepted = ClientRecord & { assigned?: AccessAssignment[] };

/** Accepted clients written a chunk at a time. */
const WRITE_CHUNK = 1000;

/** Record acceptances; with `dryRun`, check and report them all and write nothing. */
export async function acceptOffer(s: Session, reference: string, rows: RowSource, opts: { source: string; dryRun?: boolean }): Promise<Accepted[]> {
  const ref = parseOfferReference(reference);
  return writeAuditedOrDry(s, Boolean(opts.dryRun), async (tx) => {
    const bad = new BadRows(opts.source);
    const partner = await requirePartner(tx);
    checkLinkIsOurs(partner, ref);
    const actor = await resolveActor(tx, s);

    const accepted: Accepting[] = [];
    const seen = new Map<string, number | undefined>();
    let conflict: string | undefined;
    // Whether the link or id names a granular offer decides which relationship must not be active already.
    const granularOffer = ref.by === 'url' ? ref.url.kind === 'granular' : (await tx.findOffers(ref.id))[0]?.kind === 'granular';
    // A chunk of rows at a time: checked, then the clients they name looked up in one go.
    for await (const chunk of chunked(rows, 1000)) {
      const fresh: Omit<Accepting, 'previous'>[] = [];
      for (const row of chunk) {
        if (bad.unreadable(row)) continue;
        const domain = bad.check(row, () => v.domain(requireField(row, 'domain')));
        if (domain === undefined) continue;
        const rawName = row.fields.name;
        const name = rawName === undefined || rawName.trim() === '' ? undefined : bad.check(row, () => v.displayName(rawName, 'name'));
        if (rawName !== undefined && rawName.trim() !== '' && name === undefined) continue;
        const rawTenant = row.fields.tenantId;
        const tenantId = rawTenant === undefined || rawTenant.trim() === '' ? null : bad.check(row, () => v.guid(rawTenant, 'tenantId'));
        if (tenantId === undefined) continue;
        if (seen.has(domain)) {
          bad.add(row, `${domain} appears twice (also on line ${seen.get(domain)})`);
          continue;
        }
        seen.set(domain, row.line);
        fresh.push({ line: row.line, domain, name, tenantId });
      }
      const known = fresh.length ? await tx.getClients(fresh.map((a) => a.domain)) : new Map<string, ClientRecord>();
      for (const a of fresh) {
        const previous = known.get(a.domain);
        const stateConflict = previous && acceptConflict(previous, a.tenantId, granularOffer);
        if (stateConflict) {
          if (a.line === undefined) conflict ??= stateConflict;
          else bad.add({ line: a.line, fields: {} }, stateConflict);
          continue;
        }
        accepted.push({ ...a, previous });
      }
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
    const now = s.clock.now();
    const out: ClientRecord[] = [];
    // A chunk at a time, each table written with a few statements (not one a client, docs/performance.md):
    // the clients, then what refers to them; the chunk's initial domains chosen as if one client after another.
    for (let i = 0; i < accepted.length; i += WRITE_CHUNK) {
      const part = accepted.slice(i, i + WRITE_CHUNK);
      const clients: ClientRecord[] = new Array(part.length);
      const notifications: Omit<Notification, 'id'>[] = new Array(part.length);
      for (let j = 0; j < part.length; j++) {
        const a = part[j]!;
        const p = a.previous;
        const base: ClientRecord = {
          domain: a.domain,
          name: a.name ?? p?.name ?? a.domain,
          tenantId: a.tenantId ?? p?.tenantId ?? null,
          offerId: offer.id,
          acceptedAt: at,
          dap: p?.dap ?? null,
          gdap: p?.gdap ?? [],
        };
        let client: ClientRecord;
        if (rel) {
          rel = activate(rel, a.domain, at);
          client = { ...base, gdap: [...base.gdap, rel] };
        } else {
          client = { ...base, dap: { offerId: offer.id, acceptedAt: at, removedAt: null } };
        }
        clients[j] = client;
        notifications[j] = { at, kind: 'offer.accepted', clientDomain: a.domain, offerId: offer.id, message: acceptedMessage(client, rel, p, now), readAt: null };
      }
      await tx.upsertClients(clients);
      // A granular offer is accepted by one client only (checked above).
      if (rel) await tx.updateRelationship(rel);
      await tx.recordAcceptances(part.map((a) => ({ offerId: offer.id, clientDomain: a.domain, at, recordedBy: actor.email })));
      await tx.insertClientDomains(await startingDomainsOf(tx, partner.cloud, part.map((a) => ({ domain: a.domain, known: a.previous !== undefined })), at));
      await tx.insertNotifications(notifications);
      for (const c of clients) out.push(c);
    }
    const one = out.length === 1 ? out[0]! : undefined;
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'client.accept',
      target: one ? one.domain : opts.source,
      outcome: 'allowed',
      detail: one ? `offer ${offer.id}${rel ? ` (granular ${rel.displayName})` : ''}` : `${out.length} clients accepted offer ${offer.id}`,
    });
    // A granular offer is for one client: its template's group assignments come with the acceptance.
    if (rel && one) {
      const assigned = await onboard(tx, s.clock, actor.email, rel, one.domain, at, 'on acceptance');
      if (assigned.length) return [{ ...one, assigned }];
    }
    return out;
  }, { rerun: () => rerunBulk(rows, {}) });
}

export interface ClientListFilter {
  status?: ClientStatus;
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

/**
 * What the store can leave out in its query for a list filter: a superset of the clients the
 * filter selects (clientFilter then decides exactly). The times are widened by a second, since
 * ISO times written with and without milliseconds compare as text in the store.
 */
export function storeClientFilter(now: Date, filter: ClientListFilter): ClientFilter {
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
  return {
    ...(filter.search ? { search: filter.search } : {}),
    ...(filter.status ? { active: filter.status === 'active' ? { now: at(-1000), is: true } : { now: at(1000), is: false } } : {}),
    ...(filter.expiringDays !== undefined ? { endingBy: { now: at(-1000), by: at(filter.expiringDays * DAY_MS + 1000) } } : {}),
  };
}

/** The clients a filter selects, chunk by chunk, so a list of any size streams out. */
export async function eachClientChunk(s: Session, filter: ClientListFilter, fn: (chunk: ClientRecord[]) => void | Promise<void>): Promise<void> {
  await s.store.read(async (tx) => {
    await requirePartner(tx);
    const now = s.clock.now();
    const keep = clientFilter(now, filter);
    for await (const chunk of tx.clientChunks(storeClientFilter(now, filter), 2000)) {
      const kept = keep(chunk);
      if (kept.length) await fn(kept);
    }
  });
}

/**
 * A whole client list (no status or expiry filter) to print in `form`: a client comes as the text
 * the store printed for it, or as its record (Tx.clientLines), a page at a time.
 */
export async function eachClientLineChunk(
  s: Session,
  filter: { search?: string },
  form: ClientLineForm,
  fn: (chunk: (string | ClientRecord)[]) => void | Promise<void>,
): Promise<void> {
  await s.store.read(async (tx) => {
    await requirePartner(tx);
    for await (const chunk of tx.clientLines(filter.search ? { search: filter.search } : {}, 2000, form)) await fn(chunk);
  });
}

export async function showClient(s: Session, domainIn: string): Promise<ClientRecord> {
  const ref = v.clientRef(domainIn);
  return s.store.read(async (tx) => {
    const domain = await clientKey(tx, ref);
    await requirePartner(tx);
    const c = await tx.getClient(domain);
    if (!c) throw new NotFoundError(`No client ${domain} (see \`delegate client list\`)`);
    return c;
  });
}

export interface Ended {
  client: ClientRecord;
  /** What ended: the DAP relationship, or these granular relationships. */
  dap: boolean;
  terminated: Relationship[];
}

/**
 * End relationships with a client; history (acceptances, audit, the relationships themselves) is kept.
 * `remove` ends the delegated admin (DAP) relationship and leaves granular ones as they are; on a
 * client without an active DAP relationship it is `terminate`. `terminate` ends the granular
 * relationship named with `relationship`, else each active one. Carried out in the ledger, as a
 * plan, or at Microsoft: Partner Center ends a DAP relationship (PATCH the customer with
 * AllowDelegatedAccess false; live, recorded only when Partner Center answered it, with the
 * client's tenant id when Graph looked it up), Graph's `terminate` request ends a granular one
 * (see decideTermination).
 */
export async function endClient(
  s: Session,
  domainIn: string,
  how: 'remove' | 'terminate',
  opts: { plan?: boolean; mode?: Mode; relationship?: string },
): Promise<Carried<Ended>> {
  const ref = v.clientRef(domainIn);
  const relationship = opts.relationship;
  return carryOut<Ended>(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      const c = await tx.getClient(domain);
      if (!c) throw new NotFoundError(`No client ${domain} (see \`delegate client list\`)`);
      const now = s.clock.now();
      // A named relationship that is not the client's is exit 3, before permission.
      if (relationship !== undefined) toTerminateOrMissing(c, now, relationship);
      may.fullOrGlobalAdmin(actor, `client.${how}`, domain, 'end client relationships');
      const dap = activeDap(c);
      if (how === 'remove' && dap && relationship === undefined) {
        const steps = [inScope(`client:${domain}`, planRemoveDap(partner.cloud, domain, c.tenantId))];
        const end = async (tx: Tx, tenantId: string | null, live: boolean): Promise<Ended> => {
          const client: ClientRecord = { ...c, tenantId, dap: { ...dap, removedAt: nowIso(s) } };
          await tx.upsertClient(client);
          const still = activeGdap(c, now).length;
          await appendAudit(tx, s.clock, {
            actor: actor.email,
            action: 'client.remove',
            target: domain,
            outcome: 'allowed',
            detail: `delegated admin relationship from offer ${dap.offerId} ended${live ? ' at Partner Center' : ''}${still ? `; ${still} granular relationship${still === 1 ? '' : 's'} still active` : ''}`,
          });
          return { client, dap: true, terminated: [] };
        };
        return {
          steps,
          action: 'client.remove',
          target: domain,
          apply: (tx) => end(tx, c.tenantId, false),
          record: async (tx, responses) => {
            const found = responses.get('tenant')?.tenantId;
            const tenantId = c.tenantId ?? (typeof found === 'string' ? found : null);
            if (responses.has('customer')) return end(tx, tenantId, true);
            // Only the tenant lookup succeeded: keep what it told (the client's tenant id), end nothing.
            if (tenantId !== c.tenantId) await tx.upsertClient({ ...c, tenantId });
            return { client: { ...c, tenantId }, dap: false, terminated: [] };
          },
        };
      }
      if (how === 'remove' && c.gdap.length === 0) throw new ConflictError(`${domain} was already removed at ${c.dap?.removedAt}`);
      const ending = toTerminate(c, now, relationship);
      const d = decideTermination(s, partner.cloud, c, ending, actor.email);
      const ended = (client: ClientRecord): Ended => ({ client, dap: false, terminated: client.gdap.filter((r) => ending.some((e) => e.id === r.id && r.status === 'terminated')) });
      return {
        ...d,
        apply: async (tx) => ended(await d.apply(tx)),
        record: async (tx, responses, failures) => ended(await d.record(tx, responses, failures)),
      };
    },
    opts.mode ?? modeOf(opts.plan),
  );
}

/** Only the existence part of toTerminate: a relationship the client does not have is exit 3. */
function toTerminateOrMissing(c: ClientRecord, now: Date, relationship: string): void {
  try {
    toTerminate(c, now, relationship);
  } catch (e) {
    if (e instanceof NotFoundError) throw e;
  }
}

