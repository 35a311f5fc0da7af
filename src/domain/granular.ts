/**
 * Granular delegated admin privileges (GDAP): time-bound relationships with
 * chosen Microsoft Entra roles, one client each, with access given to the
 * partner's security groups. Every rule reads the session's one clock.
 */
import { randomUUID } from 'node:crypto';
import { appendAudit } from './audit.js';
import { AUTO_EXTEND_DAYS, DAY_MS, PENDING_DAYS, addDays, durationDays, type AutoExtend } from './duration.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from './errors.js';
import { createAccessAssignment, createSecurityGroup, planAddMembers, planCreateRelationships, planExtend, planTerminate, type PlannedRequest } from './graph.js';
import { decideThenDo, done, type Decision, type Outcome } from './decision.js';
import type { AccessAssignment, ClientRecord, Cloud, Group, OfferRecord, Partner, Relationship, RelationshipStatus, Template } from './model.js';
import { activeDap, activeGdap, chooseOne, clientStatus, findGdap } from './relationships.js';
import { GLOBAL_ADMINISTRATOR, roleName, rolesJson } from './roles.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session, clientKey } from './session.js';
import { gdapInvitationUrl } from './urls.js';
import * as v from './validate.js';
import type { Tx } from './store.js';

export const MAX_DISPLAY_NAME = 50;

/** The GDAP invitation link (21Vianet: the same path on the 21Vianet host, unverified). */
export function granularUrl(cloud: Cloud, relationshipId: string): string {
  return gdapInvitationUrl(cloud, relationshipId);
}

/** Graph relationship ids are two GUIDs joined by a hyphen. */
export function newRelationshipId(): string {
  return `${randomUUID()}-${randomUUID()}`;
}

export const RELATIONSHIP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/;

export interface RelationshipState {
  status: RelationshipStatus;
  /** The current end, after any auto-extensions up to now. */
  endsAt: string | null;
}

/**
 * The relationship as of `now`: a pending offer expires 90 days after it was
 * made; an active one expires when endsAt passes, unless auto-extend adds
 * 180 days (as often as needed to reach now).
 */
export function relationshipState(r: Relationship, now: Date): RelationshipState {
  const t = now.getTime();
  if (r.status === 'terminated') return { status: 'terminated', endsAt: r.terminatedAt ?? r.endsAt };
  if (r.status === 'approvalPending') {
    return { status: t >= Date.parse(r.createdAt) + PENDING_DAYS * DAY_MS ? 'expired' : 'approvalPending', endsAt: null };
  }
  let ends = Date.parse(r.endsAt!);
  if (t >= ends && r.autoExtendDuration === 'P180D') {
    const periods = Math.floor((t - ends) / (AUTO_EXTEND_DAYS * DAY_MS)) + 1;
    ends += periods * AUTO_EXTEND_DAYS * DAY_MS;
  }
  return t >= ends ? { status: 'expired', endsAt: new Date(ends).toISOString() } : { status: 'active', endsAt: new Date(ends).toISOString() };
}

export function granularClientJson(r: Relationship, now: Date) {
  const st = relationshipState(r, now);
  return {
    relationshipId: r.id,
    displayName: r.displayName,
    roles: rolesJson(r.roles),
    status: st.status,
    activatedAt: r.activatedAt,
    endsAt: st.endsAt,
    autoExtendDuration: r.autoExtendDuration,
  };
}

export function granularOfferJson(r: Relationship, now: Date) {
  const st = relationshipState(r, now);
  return {
    relationshipId: r.id,
    displayName: r.displayName,
    duration: r.duration,
    autoExtendDuration: r.autoExtendDuration,
    roles: rolesJson(r.roles),
    status: st.status,
    activatedAt: r.activatedAt,
    endsAt: st.endsAt,
  };
}

/** Graph's rules for a relationship's settings (exit 2 when broken). */
export function checkRelationshipSettings(roles: readonly string[], autoExtendDuration: AutoExtend): void {
  if (roles.length === 0) throw new UsageError('A granular relationship needs at least one role (--roles)');
  if (autoExtendDuration === 'P180D' && roles.includes(GLOBAL_ADMINISTRATOR)) {
    throw new UsageError('Auto-extend (P180D) is not allowed when Global Administrator is among the roles: use --auto-extend PT0S');
  }
}

export function checkDisplayName(name: string): string {
  const n = v.displayName(name, 'display name (--name)', 1000);
  const length = [...n].length;
  if (length > MAX_DISPLAY_NAME) throw new UsageError(`display name "${n.slice(0, 60)}" is ${length} characters; Graph allows at most ${MAX_DISPLAY_NAME}`);
  return n;
}

// ---------------------------------------------------------------- offers

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

/** Can a client accept this granular offer now? (exit 5 when used up or expired) */
export function checkAcceptable(r: Relationship, now: Date): void {
  const st = relationshipState(r, now);
  if (r.clientDomain || st.status === 'active') {
    throw new ConflictError(`Granular offer "${r.displayName}" was already accepted by ${r.clientDomain ?? 'a client'}: each granular relationship is for one client`);
  }
  if (st.status === 'expired') throw new ConflictError(`Granular offer "${r.displayName}" expired: nobody accepted it within ${PENDING_DAYS} days`);
  if (st.status === 'terminated') throw new ConflictError(`Granular offer "${r.displayName}" was withdrawn and can no longer be accepted`);
}

export function activate(r: Relationship, clientDomain: string, at: string): Relationship {
  return { ...r, status: 'active', activatedAt: at, endsAt: addDays(at, durationDays(r.duration)), clientDomain };
}

// ---------------------------------------------------------------- lifecycle

/** A client that has granular relationships (exit 3 when there is no such client, 5 when it has none). */
async function granularClient(tx: Tx, domain: string): Promise<ClientRecord> {
  const c = await tx.getClient(domain);
  if (!c) throw new NotFoundError(`No client ${domain} (see \`delegate client list\`)`);
  if (c.gdap.length === 0) throw new ConflictError(`${domain} has only the delegated admin (DAP) relationship, not a granular one`);
  return c;
}

/** Relationships with a client and the choice of one (`--relationship <display name|id>`). */
function pick(c: ClientRecord, now: Date, relationship: string | undefined): { chosen?: Relationship; active: Relationship[] } {
  return { chosen: relationship === undefined ? undefined : findGdap(c, relationship), active: activeGdap(c, now) };
}

function notActive(c: ClientRecord, r: Relationship, now: Date): ConflictError {
  return new ConflictError(`The granular relationship "${r.displayName}" with ${c.domain} is ${relationshipState(r, now).status}, not active`);
}

/** No active granular relationship: names the newest one and its status (`already` for terminate, `not active` for the rest). */
function noneActive(c: ClientRecord, now: Date, terminating = false): ConflictError {
  const newest = c.gdap[c.gdap.length - 1];
  if (!newest) return new ConflictError(`${c.domain} has no granular relationship (its client status is ${clientStatus(c, now)})`);
  const st = relationshipState(newest, now).status;
  return new ConflictError(`${c.domain} has no active granular relationship: the newest, "${newest.displayName}", is ${terminating ? `already ${st}` : `${st}, not active`}`);
}

function replaceGdap(c: ClientRecord, changed: readonly Relationship[]): ClientRecord {
  const byId = new Map(changed.map((r) => [r.id, r]));
  return { ...c, gdap: c.gdap.map((r) => byId.get(r.id) ?? r) };
}

export interface Extended {
  client: ClientRecord;
  /** The relationships whose auto-extend was set (or already was as asked). */
  changed: Relationship[];
  unchanged: Relationship[];
  /** Active relationships left alone: Global Administrator is among their roles. */
  skipped: Relationship[];
}

/**
 * Turn auto-extend on (P180D) or off (PT0S) for a client's active granular relationships: the one
 * named with `relationship`, else each active one (turning it on skips those with Global
 * Administrator, which Graph does not let auto-extend). Exit 5 when none qualifies. Plan: per
 * relationship, read it for its ETag, then PATCH with If-Match (nothing for those already as asked).
 */
export async function extendClient(s: Session, domainIn: string, on: boolean, opts: { plan: boolean; relationship?: string }): Promise<Outcome<Extended>> {
  const ref = v.clientRef(domainIn);
  return decideThenDo(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.fullOrGlobalAdmin(actor, 'client.extend', domain, 'change how client relationships extend');
      const c = await granularClient(tx, domain);
      const now = s.clock.now();
      const { chosen, active } = pick(c, now, opts.relationship);
      const hasGa = (r: Relationship) => on && r.roles.includes(GLOBAL_ADMINISTRATOR);
      const gaWords = (r: Relationship) => `The granular relationship "${r.displayName}" with ${domain} includes Global Administrator, so it cannot auto-extend`;
      if (chosen && !active.includes(chosen)) throw notActive(c, chosen, now);
      if (chosen && hasGa(chosen)) throw new ConflictError(gaWords(chosen));
      if (!chosen && active.length === 0) throw noneActive(c, now);
      const candidates = chosen ? [chosen] : active;
      const skipped = candidates.filter(hasGa);
      const apply = candidates.filter((r) => !hasGa(r));
      if (apply.length === 0) {
        throw new ConflictError(skipped.length === 1 ? gaWords(skipped[0]!) : `Every active granular relationship with ${domain} includes Global Administrator, so none can auto-extend`);
      }
      const want = on ? 'P180D' : 'PT0S';
      const unchanged = apply.filter((r) => r.autoExtendDuration === want);
      // Fix the current end first, so turning auto-extend off never shortens a period already granted.
      const changed = apply
        .filter((r) => r.autoExtendDuration !== want)
        .map((r): Relationship => ({ ...r, autoExtendDuration: want, endsAt: relationshipState(r, now).endsAt }));
      return {
        requests: () => planExtend(partner.cloud, changed.map((r) => r.id), want),
        apply: async () => {
          for (const r of changed) await tx.updateRelationship(r);
          if (changed.length) {
            await appendAudit(tx, s.clock, {
              actor: actor.email,
              action: 'client.extend',
              target: domain,
              outcome: 'allowed',
              detail: changed.map((r) => `"${r.displayName}": auto-extend ${want}; ends ${r.endsAt}`).join('; '),
            });
          }
          return { client: replaceGdap(c, changed), changed, unchanged, skipped };
        },
      };
    },
    opts.plan,
  );
}

export async function setAutoExtend(s: Session, domainIn: string, on: boolean, relationship?: string): Promise<Extended> {
  return done(await extendClient(s, domainIn, on, { plan: false, ...(relationship === undefined ? {} : { relationship }) }));
}

/** Terminate granular relationships of a client (already checked active): Graph's `terminate` request for each. */
export function decideTermination(tx: Tx, s: Session, cloud: Cloud, c: ClientRecord, rels: readonly Relationship[], actorEmail: string): Decision<ClientRecord> {
  return {
    requests: () => planTerminate(cloud, rels.map((r) => r.id)),
    apply: async () => {
      const at = nowIso(s);
      const ended = rels.map((r): Relationship => ({ ...r, status: 'terminated', terminatedAt: at }));
      for (const r of ended) await tx.updateRelationship(r);
      await appendAudit(tx, s.clock, {
        actor: actorEmail,
        action: 'client.terminate',
        target: c.domain,
        outcome: 'allowed',
        detail: ended.map((r) => `relationship ${r.displayName} (${r.id}) terminated`).join('; '),
      });
      return replaceGdap(c, ended);
    },
  };
}

/** Which of a client's granular relationships `client terminate` ends: the named one, else each active one (exit 5 when none is active). */
export function toTerminate(c: ClientRecord, now: Date, relationship?: string): Relationship[] {
  const { chosen, active } = pick(c, now, relationship);
  if (chosen) {
    if (!active.includes(chosen)) throw new ConflictError(`The granular relationship "${chosen.displayName}" with ${c.domain} is already ${relationshipState(chosen, now).status}`);
    return [chosen];
  }
  if (active.length === 0) {
    if (activeDap(c)) throw new ConflictError(`${c.domain} has no active granular relationship; its delegated admin (DAP) relationship is ended with \`delegate client remove ${c.domain}\``);
    throw noneActive(c, now, true);
  }
  return active;
}

/** A client's active granular relationships whose current end is within `days` days, soonest first. */
export function expiringGdap(c: ClientRecord, now: Date, days: number): { rel: Relationship; endsAt: string }[] {
  const limit = now.getTime() + days * DAY_MS;
  const out: { rel: Relationship; endsAt: string }[] = [];
  for (const rel of c.gdap) {
    const st = relationshipState(rel, now);
    if (st.status === 'active' && Date.parse(st.endsAt!) <= limit) out.push({ rel, endsAt: st.endsAt! });
  }
  return out.sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt));
}

/** Clients with an active granular relationship whose current end is within `days` days (`--expiring`, not Graph's `expiring` status). */
export function expiring(clients: readonly ClientRecord[], now: Date, days: number): ClientRecord[] {
  return clients.filter((c) => expiringGdap(c, now, days).length > 0);
}

// ---------------------------------------------------------------- templates

export async function createTemplate(
  s: Session,
  input: { name: string; roles: string[]; duration: string; autoExtendDuration: AutoExtend; assignments: { group: string; roles: string[] }[] },
): Promise<Template> {
  checkRelationshipSettings(input.roles, input.autoExtendDuration);
  for (const a of input.assignments) {
    const outside = a.roles.filter((r) => !input.roles.includes(r));
    if (outside.length) throw new UsageError(`--assign ${a.group}: ${outside.map(roleName).join(', ')} is not among the template's roles`);
  }
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.adminAccess(actor, 'template.create', input.name, 'create relationship templates');
    if (await tx.getTemplate(input.name)) throw new ConflictError(`A template named ${input.name} already exists`);
    const assignments = [];
    for (const a of input.assignments) {
      const g = await tx.getGroup(a.group);
      if (!g) throw new NotFoundError(`No security group ${a.group} (create it with \`delegate group create ${a.group}\`)`);
      assignments.push({ group: g.name, roles: a.roles });
    }
    const t: Template = { ...input, assignments, createdAt: nowIso(s), createdBy: actor.email };
    await tx.insertTemplate(t);
    await appendAudit(tx, s.clock, {
      actor: actor.email,
      action: 'template.create',
      target: t.name,
      outcome: 'allowed',
      detail: `roles ${t.roles.map(roleName).join(', ')}; ${t.duration}; auto-extend ${t.autoExtendDuration}`,
    });
    return t;
  });
}

export async function listTemplates(s: Session): Promise<Template[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    return tx.listTemplates();
  });
}

// ---------------------------------------------------------------- security groups

/** A group's object id, for a plan (exit 5 naming the fix when the ledger has none). */
function objectIdOf(g: Pick<Group, 'name' | 'objectId'>): string {
  if (g.objectId) return g.objectId;
  throw new ConflictError(
    `Security group ${g.name} has no object id in the ledger, so no request can name it: record its object id in your Microsoft Entra tenant with \`delegate group set ${quoteArg(g.name)} --object-id <guid>\``,
  );
}

const quoteArg = (s: string) => (/^[A-Za-z0-9._@-]+$/.test(s) ? s : `"${s.replace(/["\\$`]/g, '\\$&')}"`);

/** Create a security group (plan: POST /groups in the partner's own tenant). */
export async function createGroup(s: Session, nameIn: string, objectId: string | undefined): Promise<Group> {
  return done(await groupCreate(s, nameIn, objectId, false));
}

export async function groupCreate(s: Session, nameIn: string, objectId: string | undefined, plan: boolean): Promise<Outcome<Group>> {
  const name = v.displayName(nameIn, 'group name', 120);
  const oid = objectId === undefined ? null : v.guid(objectId, '--object-id');
  return decideThenDo(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.globalAdmin(actor, 'group.create', name, 'create security groups');
      if (await tx.getGroup(name)) throw new ConflictError(`A security group named ${name} already exists`);
      return {
        requests: () => [createSecurityGroup(partner.cloud, 'group', name)],
        apply: async () => {
          const g = { name, objectId: oid, createdAt: nowIso(s) };
          await tx.insertGroup(g);
          await appendAudit(tx, s.clock, { actor: actor.email, action: 'group.create', target: name, outcome: 'allowed', detail: oid ? `object id ${oid}` : '' });
          return { ...g, members: [] };
        },
      };
    },
    plan,
  );
}

/** Add partner users to a group (plan: each user's id from GET /users/{upn}, then POST .../members/$ref). */
export async function addGroupMembers(s: Session, groupIn: string, emailsIn: readonly string[]): Promise<Group> {
  return done(await groupAddMembers(s, groupIn, emailsIn, false));
}

export async function groupAddMembers(s: Session, groupIn: string, emailsIn: readonly string[], plan: boolean): Promise<Outcome<Group>> {
  const group = v.displayName(groupIn, 'group name', 120);
  if (emailsIn.length === 0) throw new UsageError('Give one or more member emails');
  const emails = emailsIn.map((e) => v.email(e));
  return decideThenDo(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.globalAdmin(actor, 'group.add-member', group, 'change security groups');
      const g = await tx.getGroup(group);
      if (!g) throw new NotFoundError(`No security group ${group} (see \`delegate group list\`)`);
      const users = await tx.getUsers(emails);
      const unknown = emails.filter((e) => !users.has(e));
      if (unknown.length) throw new NotFoundError(`${unknown.join(', ')} ${unknown.length === 1 ? 'is not a user' : 'are not users'} of this partner`);
      return {
        requests: () => {
          const fresh = [...new Set(emails)].filter((e) => !g.members.includes(e));
          return fresh.length ? planAddMembers(partner.cloud, objectIdOf(g), fresh) : [];
        },
        apply: async () => {
          const added = await tx.addGroupMembers(g.name, emails);
          if (added > 0) await appendAudit(tx, s.clock, { actor: actor.email, action: 'group.add-member', target: g.name, outcome: 'allowed', detail: emails.join(', ') });
          return (await tx.getGroup(g.name))!;
        },
      };
    },
    plan,
  );
}

/** Record a group's object id (from Microsoft Entra), so plans can name the group. */
export async function setGroupObjectId(s: Session, nameIn: string, objectId: string): Promise<Group> {
  const name = v.displayName(nameIn, 'group name', 120);
  const oid = v.guid(objectId, '--object-id');
  return writeAudited(s, async (tx) => {
    await requirePartner(tx);
    const actor = await resolveActor(tx, s);
    may.globalAdmin(actor, 'group.set', name, 'change security groups');
    const g = await tx.getGroup(name);
    if (!g) throw new NotFoundError(`No security group ${name} (see \`delegate group list\`)`);
    if (g.objectId === oid) return g;
    await tx.setGroupObjectId(g.name, oid);
    await appendAudit(tx, s.clock, { actor: actor.email, action: 'group.set', target: g.name, outcome: 'allowed', detail: `object id ${g.objectId ?? 'none'} -> ${oid}` });
    return { ...g, objectId: oid };
  });
}

export async function listGroups(s: Session): Promise<Group[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    return tx.listGroups();
  });
}

// ---------------------------------------------------------------- access assignments

export async function assignGroup(
  s: Session,
  domainIn: string,
  groupIn: string,
  roles: string[],
  opts: { plan: boolean; relationship?: string },
): Promise<Outcome<{ assignment: AccessAssignment; relationship: Relationship }>> {
  const ref = v.clientRef(domainIn);
  const group = v.displayName(groupIn, '--group', 120);
  return decideThenDo(
    s,
    async (tx) => {
      const domain = await clientKey(tx, ref);
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      const now = s.clock.now();
      const c = await tx.getClient(domain);
      // Which relationship: the named one, else the only active one (several active: exit 2 asking for --relationship).
      let target: Relationship | undefined;
      if (c && c.gdap.length) {
        const { chosen, active } = pick(c, now, opts.relationship);
        if (!chosen && active.length > 1) chooseOne(c, active, 'assign on');
        target = chosen ?? active[0] ?? c.gdap[c.gdap.length - 1]!;
        const outside = roles.filter((r) => !target!.roles.includes(r));
        if (outside.length) {
          throw new UsageError(
            `${outside.map(roleName).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among the roles of the granular relationship "${target.displayName}" with ${domain} (${target.roles.map(roleName).join(', ')})`,
          );
        }
      }
      may.globalAdmin(actor, 'client.assign', domain, 'assign security groups to client relationships');
      const gc = await granularClient(tx, domain);
      const rel = target ?? gc.gdap[gc.gdap.length - 1]!;
      if (relationshipState(rel, now).status !== 'active') throw notActive(gc, rel, now);
      const g = await tx.getGroup(group);
      if (!g) throw new NotFoundError(`No security group ${group} (create it with \`delegate group create ${group}\`)`);
      const assignment: AccessAssignment = { relationshipId: rel.id, group: g.name, roles, createdAt: nowIso(s) };
      return {
        requests: () => [createAccessAssignment(partner.cloud, 'assignment', rel.id, objectIdOf(g), roles)],
        apply: async () => {
          await tx.upsertAssignment(assignment);
          await appendAudit(tx, s.clock, {
            actor: actor.email,
            action: 'client.assign',
            target: domain,
            outcome: 'allowed',
            detail: `${g.name}: ${roles.map(roleName).join(', ')}${gc.gdap.length > 1 ? ` (relationship ${rel.displayName})` : ''}`,
          });
          return { assignment, relationship: rel };
        },
      };
    },
    opts.plan,
  );
}

/** The roles the acting user holds on a relationship through its security groups. */
export async function rolesOf(tx: Tx, email: string, r: Relationship): Promise<string[]> {
  const groups = new Set((await tx.groupsOf(email)).map((g) => g.toLowerCase()));
  const held = new Set<string>();
  for (const a of await tx.listAssignments(r.id)) {
    if (groups.has(a.group.toLowerCase())) for (const role of a.roles) if (r.roles.includes(role)) held.add(role);
  }
  return [...held];
}

// ---------------------------------------------------------------- drift

export interface Drift {
  domain: string;
  /** The relationship's display name (a client may hold several). */
  relationship: string;
  template: string;
  difference: string;
  fix: string;
}

/** Clients whose active templated relationships' roles or group assignments differ from their template. */
export async function drift(s: Session): Promise<Drift[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    const now = s.clock.now();
    const out: Drift[] = [];
    const templates = new Map((await tx.listTemplates()).map((t) => [t.name.toLowerCase(), t]));
    for (const c of await tx.listClients({})) {
      const active = activeGdap(c, now);
      for (const r of active) {
        if (r.template) await driftOf(tx, c, r, active.length > 1, templates, out);
      }
    }
    return out;
  });
}

async function driftOf(tx: Tx, c: ClientRecord, r: Relationship, several: boolean, templates: Map<string, Template>, out: Drift[]): Promise<void> {
  const t = templates.get(r.template!.toLowerCase());
  const add = (difference: string, fix: string) => out.push({ domain: c.domain, relationship: r.displayName, template: r.template!, difference, fix });
  if (!t) {
    add(`template ${r.template} no longer exists`, 'create it again or stop tracking this client');
    return;
  }
  const missing = t.roles.filter((x) => !r.roles.includes(x));
  const extra = r.roles.filter((x) => !t.roles.includes(x));
  // With several active relationships, each fix names its relationship (terminate always does).
  const which = several ? ` --relationship "${r.displayName}"` : '';
  const renew = `roles of an active relationship cannot change: send a new offer (\`delegate offer create --granular --template ${t.name}\`) and, once accepted, terminate this one (\`delegate client terminate ${c.domain} --relationship "${r.displayName}"\`: without --relationship it would end the new one too)`;
  if (missing.length) add(`relationship lacks roles ${missing.map(roleName).join(', ')}`, renew);
  if (extra.length) add(`relationship has roles beyond the template: ${extra.map(roleName).join(', ')}`, renew);
  if (r.autoExtendDuration !== t.autoExtendDuration) {
    add(
      `auto-extend is ${r.autoExtendDuration}, template says ${t.autoExtendDuration}`,
      t.autoExtendDuration === 'P180D' ? `delegate client extend ${c.domain}${which}` : `delegate client extend ${c.domain}${which} --off`,
    );
  }
  if (r.duration !== t.duration) add(`duration is ${r.duration}, template says ${t.duration}`, 'takes effect with the next relationship (durations are fixed once accepted)');
  const assigned = new Map((await tx.listAssignments(r.id)).map((a) => [a.group.toLowerCase(), a]));
  for (const want of t.assignments) {
    const have = assigned.get(want.group.toLowerCase());
    const wantRoles = want.roles.filter((x) => r.roles.includes(x));
    const same = have && have.roles.length === wantRoles.length && wantRoles.every((x) => have.roles.includes(x));
    if (!same && wantRoles.length === 0) {
      add(`group ${want.group} should hold ${want.roles.map(roleName).join(', ')}, which the relationship does not have`, renew);
    } else if (!same) {
      add(
        have ? `group ${want.group} has ${have.roles.map(roleName).join(', ')}, template says ${wantRoles.map(roleName).join(', ')}` : `group ${want.group} is not assigned`,
        `delegate client assign ${c.domain}${which} --group "${want.group}" --roles "${wantRoles.map(roleName).join(',')}"`,
      );
    }
    assigned.delete(want.group.toLowerCase());
  }
  for (const extraAssignment of assigned.values()) {
    add(`group ${extraAssignment.group} is assigned but not in the template`, 'remove the assignment in Partner Center, or add it to the template');
  }
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
