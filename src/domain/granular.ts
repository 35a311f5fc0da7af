/**
 * Granular delegated admin privileges (GDAP): time-bound relationships with
 * chosen Microsoft Entra roles, one client each, with access given to the
 * partner's security groups. Every rule reads the session's one clock.
 */
import { randomUUID } from 'node:crypto';
import { appendAudit } from './audit.js';
import { AUTO_EXTEND_DAYS, DAY_MS, PENDING_DAYS, addDays, durationDays, type AutoExtend } from './duration.js';
import { ConflictError, NotFoundError, NotPermittedError, UsageError } from './errors.js';
import { createAccessAssignment, createSecurityGroup, planAddMembers, planCreateRelationships, planExtend, relationshipRequest, type PlannedRequest } from './graph.js';
import { decideThenDo, done, type Decision, type Outcome } from './decision.js';
import type { AccessAssignment, ClientRecord, Cloud, Group, OfferRecord, Partner, Relationship, RelationshipStatus, Template } from './model.js';
import { GLOBAL_ADMINISTRATOR, roleName, rolesJson } from './roles.js';
import { may, nowIso, requirePartner, resolveActor, writeAudited, type Session } from './session.js';
import { gdapInvitationUrl } from './urls.js';
import * as v from './validate.js';
import type { Tx } from '../store/store.js';

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

/** A client's status as scripts see it: its relationship's for a granular client. */
export function clientStatus(c: ClientRecord, now: Date): string {
  return c.relationship ? relationshipState(c.relationship, now).status : c.status;
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
      const offer: OfferRecord = {
        id: randomUUID(),
        kind: 'granular',
        product: null,
        quantity: null,
        link: null,
        linkId: null,
        status: 'active',
        createdAt: at,
        createdBy: actor.email,
        revokedAt: null,
        acceptedCount: 0,
      };
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
    const activeClients = await tx.countClients('active');
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

async function granularClient(tx: Tx, domain: string): Promise<ClientRecord & { relationship: Relationship }> {
  const c = await tx.getClient(domain);
  if (!c) throw new NotFoundError(`No client ${domain} (see \`delegate client list\`)`);
  if (!c.relationship) throw new ConflictError(`${domain} has the delegated administration relationship of the original offer, not a granular one`);
  return c as ClientRecord & { relationship: Relationship };
}

/**
 * Turn auto-extend on (P180D) or off (PT0S) for an active relationship. Plan:
 * read the relationship for its ETag, then PATCH with If-Match (nothing when
 * it is already as asked).
 */
export async function extendClient(s: Session, domainIn: string, on: boolean, plan: boolean): Promise<Outcome<ClientRecord>> {
  const domain = v.domain(domainIn);
  return decideThenDo(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      may.fullOrGlobalAdmin(actor, 'client.extend', domain, 'change how client relationships extend');
      const c = await granularClient(tx, domain);
      const now = s.clock.now();
      const st = relationshipState(c.relationship, now);
      if (st.status !== 'active') throw new ConflictError(`The relationship with ${domain} is ${st.status}, not active`);
      if (on && c.relationship.roles.includes(GLOBAL_ADMINISTRATOR)) {
        throw new ConflictError(`The relationship with ${domain} includes Global Administrator, so it cannot auto-extend`);
      }
      const want = on ? 'P180D' : 'PT0S';
      if (c.relationship.autoExtendDuration === want) return { requests: () => [], apply: async () => c };
      return {
        requests: () => planExtend(partner.cloud, c.relationship.id, want),
        apply: async () => {
          // Fix the current end first, so turning auto-extend off never shortens a period already granted.
          const next: Relationship = { ...c.relationship, autoExtendDuration: want, endsAt: st.endsAt };
          await tx.updateRelationship(next);
          await appendAudit(tx, s.clock, { actor: actor.email, action: 'client.extend', target: domain, outcome: 'allowed', detail: `auto-extend ${want}; ends ${st.endsAt}` });
          return { ...c, relationship: next };
        },
      };
    },
    plan,
  );
}

export async function setAutoExtend(s: Session, domainIn: string, on: boolean): Promise<ClientRecord> {
  return done(await extendClient(s, domainIn, on, false));
}

/** End a granular relationship: Graph's `terminate` request; in the ledger, terminated and the client removed. */
export function decideTermination(tx: Tx, s: Session, cloud: Cloud, c: ClientRecord & { relationship: Relationship }, actorEmail: string): Decision<ClientRecord> {
  const now = s.clock.now();
  const st = relationshipState(c.relationship, now);
  if (st.status !== 'active') throw new ConflictError(`The relationship with ${c.domain} is already ${st.status}`);
  return {
    requests: () => [relationshipRequest(cloud, 'terminate', c.relationship.id, 'terminate')],
    apply: async () => {
      const at = now.toISOString();
      const rel: Relationship = { ...c.relationship, status: 'terminated', terminatedAt: at };
      await tx.updateRelationship(rel);
      const client: ClientRecord = { ...c, status: 'removed', removedAt: at, relationship: rel };
      await tx.upsertClient(client);
      await appendAudit(tx, s.clock, { actor: actorEmail, action: 'client.terminate', target: c.domain, outcome: 'allowed', detail: `relationship ${rel.displayName} (${rel.id}) terminated` });
      return client;
    },
  };
}

/** Active granular relationships whose current end is within `days` days. */
export function expiring(clients: readonly ClientRecord[], now: Date, days: number): ClientRecord[] {
  const limit = now.getTime() + days * DAY_MS;
  return clients.filter((c) => {
    if (!c.relationship) return false;
    const st = relationshipState(c.relationship, now);
    return st.status === 'active' && Date.parse(st.endsAt!) <= limit;
  });
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
  opts: { plan: boolean },
): Promise<Outcome<AccessAssignment>> {
  const domain = v.domain(domainIn);
  const group = v.displayName(groupIn, '--group', 120);
  return decideThenDo(
    s,
    async (tx) => {
      const partner = await requirePartner(tx);
      const actor = await resolveActor(tx, s);
      const c = await tx.getClient(domain);
      if (c?.relationship) {
        const outside = roles.filter((r) => !c.relationship!.roles.includes(r));
        if (outside.length) {
          throw new UsageError(`${outside.map(roleName).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among the roles of the relationship with ${domain} (${c.relationship.roles.map(roleName).join(', ')})`);
        }
      }
      may.globalAdmin(actor, 'client.assign', domain, 'assign security groups to client relationships');
      const gc = await granularClient(tx, domain);
      const st = relationshipState(gc.relationship, s.clock.now());
      if (st.status !== 'active') throw new ConflictError(`The relationship with ${domain} is ${st.status}, not active`);
      const g = await tx.getGroup(group);
      if (!g) throw new NotFoundError(`No security group ${group} (create it with \`delegate group create ${group}\`)`);
      const assignment: AccessAssignment = { relationshipId: gc.relationship.id, group: g.name, roles, createdAt: nowIso(s) };
      return {
        requests: () => [createAccessAssignment(partner.cloud, 'assignment', gc.relationship.id, objectIdOf(g), roles)],
        apply: async () => {
          await tx.upsertAssignment(assignment);
          await appendAudit(tx, s.clock, { actor: actor.email, action: 'client.assign', target: domain, outcome: 'allowed', detail: `${g.name}: ${roles.map(roleName).join(', ')}` });
          return assignment;
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
  template: string;
  difference: string;
  fix: string;
}

/** Clients whose active relationship's roles or group assignments differ from their template. */
export async function drift(s: Session): Promise<Drift[]> {
  return s.store.read(async (tx) => {
    await requirePartner(tx);
    const now = s.clock.now();
    const out: Drift[] = [];
    const templates = new Map((await tx.listTemplates()).map((t) => [t.name.toLowerCase(), t]));
    for (const c of await tx.listClients({})) {
      const r = c.relationship;
      if (!r || !r.template || relationshipState(r, now).status !== 'active') continue;
      const t = templates.get(r.template.toLowerCase());
      const add = (difference: string, fix: string) => out.push({ domain: c.domain, template: r.template!, difference, fix });
      if (!t) {
        add(`template ${r.template} no longer exists`, 'create it again or stop tracking this client');
        continue;
      }
      const missing = t.roles.filter((x) => !r.roles.includes(x));
      const extra = r.roles.filter((x) => !t.roles.includes(x));
      const renew = `roles of an active relationship cannot change: send a new offer (\`delegate offer create --granular --template ${t.name}\`) and, once accepted, terminate this one`;
      if (missing.length) add(`relationship lacks roles ${missing.map(roleName).join(', ')}`, renew);
      if (extra.length) add(`relationship has roles beyond the template: ${extra.map(roleName).join(', ')}`, renew);
      if (r.autoExtendDuration !== t.autoExtendDuration) {
        add(
          `auto-extend is ${r.autoExtendDuration}, template says ${t.autoExtendDuration}`,
          t.autoExtendDuration === 'P180D' ? `delegate client extend ${c.domain}` : `delegate client extend ${c.domain} --off`,
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
            `delegate client assign ${c.domain} --group "${want.group}" --roles "${wantRoles.map(roleName).join(',')}"`,
          );
        }
        assigned.delete(want.group.toLowerCase());
      }
      for (const extraAssignment of assigned.values()) {
        add(`group ${extraAssignment.group} is assigned but not in the template`, 'remove the assignment in Partner Center, or add it to the template');
      }
    }
    return out;
  });
}

export function relationshipOffers(tx: Tx, offers: OfferRecord[]): Promise<(Relationship | undefined)[]> {
  return Promise.all(offers.map((o) => (o.kind === 'granular' ? tx.relationshipByOffer(o.id) : Promise.resolve(undefined))));
}
