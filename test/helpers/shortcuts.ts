/**
 * Shortcuts for domain tests: one call for what the CLI does as decide +
 * carry out (offline), and small predicates. They live here, not in src:
 * nothing in the tool calls them.
 */
import { groupCreate } from '../../src/domain/access/groups.js';
import type { AuditEntry, ClientRecord, Group, Notification, Cloud } from '../../src/domain/core/model.js';
import type { AuditFilter, Store } from '../../src/domain/core/store.js';
import type { Session } from '../../src/domain/core/session.js';
import { endClient } from '../../src/domain/client/clients.js';
import { extendClient, type Extended } from '../../src/domain/client/lifecycle.js';
import { showOffer, type Offer } from '../../src/domain/offer/offers.js';
import type { OfferFormat } from '../../src/domain/offer/offer-text.js';
import { eachInboxChunk } from '../../src/domain/partner/inbox.js';
import { done } from '../../src/domain/plan/decision.js';
import { createRelationship, relationshipRequest } from '../../src/domain/plan/relationship-requests.js';
import { ids, ref, type PlannedRequest } from '../../src/domain/plan/request.js';

/** `group create` offline: the group as recorded. */
export async function createGroup(s: Session, name: string, objectId: string | undefined): Promise<Group> {
  return done(await groupCreate(s, name, objectId, false));
}

/** `client remove` / `client terminate` offline: the client afterwards. */
export async function removeClient(s: Session, domain: string, how: 'remove' | 'terminate' = 'remove', relationship?: string): Promise<ClientRecord> {
  return done(await endClient(s, domain, how, relationship === undefined ? {} : { relationship })).client;
}

/** `client extend` offline. */
export async function setAutoExtend(s: Session, domain: string, on: boolean, relationship?: string): Promise<Extended> {
  return done(await extendClient(s, domain, on, relationship === undefined ? {} : { relationship }));
}

/** `offer show`'s offer. */
export async function getOffer(s: Session, idOrPrefix: string | undefined, format: OfferFormat = 'text'): Promise<Offer> {
  return (await showOffer(s, idOrPrefix, format)).offer;
}

/** `inbox list`, whole. */
export async function listInbox(s: Session, opts: { unreadOnly: boolean }): Promise<Notification[]> {
  const all: Notification[] = [];
  await eachInboxChunk(s, opts, (chunk) => void all.push(...chunk));
  return all;
}

/** The audit entries a filter selects, whole. */
export async function listAuditEntries(store: Store, filter: AuditFilter): Promise<AuditEntry[]> {
  return store.read((tx) => tx.listAudit(filter));
}

/** What the tool's temporary passwords promise: 16+ characters with upper, lower, digit and symbol. */
export function isStrongPassword(p: string): boolean {
  return p.length >= 16 && /[A-Z]/.test(p) && /[a-z]/.test(p) && /\d/.test(p) && /[^A-Za-z0-9]/.test(p);
}

/** The requests `offer create --granular` sends per relationship: create it, then lock it for approval. */
export function planCreateRelationships(
  cloud: Cloud,
  rels: readonly { displayName: string; duration: string; autoExtendDuration: string; roles: readonly string[] }[],
): PlannedRequest[] {
  const relIds = ids('relationship', rels.length);
  const lockIds = ids('lock', rels.length);
  return rels.flatMap((r, i) => [createRelationship(cloud, relIds[i]!, r), relationshipRequest(cloud, lockIds[i]!, ref(relIds[i]!, 'id'), 'lockForApproval')]);
}
