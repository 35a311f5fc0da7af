/**
 * What `access why --live` reads from Microsoft, now, for one client: each granular relationship
 * (its Graph status), its access assignments (every page, every status), and the direct members
 * of the groups involved. Every answer is checked against its documented shape (schemas.ts).
 * - GET /tenantRelationships/delegatedAdminRelationships/{id}:
 *   https://learn.microsoft.com/graph/api/delegatedadminrelationship-get
 * - GET .../{id}/accessAssignments: https://learn.microsoft.com/graph/api/delegatedadminrelationship-list-accessassignments
 * - GET /groups/{id}/members: https://learn.microsoft.com/graph/api/group-list-members (direct
 *   members; nested groups are not followed here).
 */
import type { MicrosoftClient } from './client.js';
import * as schemas from './schemas.js';

const RELATIONSHIPS = '/tenantRelationships/delegatedAdminRelationships';

export interface LiveAccess {
  /** Graph's status, by relationship id. */
  relationships: Map<string, string>;
  /** By relationship id: each assignment's group object id (lower case), roles and status. */
  assignments: Map<string, { groupId: string; roles: string[]; status: string }[]>;
  /** By group object id (lower case): its direct members' user principal names and mail, lower case. */
  members: Map<string, Set<string>>;
}

export async function readAccess(ms: MicrosoftClient, relationshipIds: readonly string[], groupIds: readonly string[]): Promise<LiveAccess> {
  const out: LiveAccess = { relationships: new Map(), assignments: new Map(), members: new Map() };
  for (const id of relationshipIds) {
    const path = `${RELATIONSHIPS}/${encodeURIComponent(id)}`;
    const r = await ms.get(path, schemas.relationship);
    out.relationships.set(id, r.status);
    const list = await ms.all(`${path}/accessAssignments`, schemas.accessAssignmentPage);
    out.assignments.set(
      id,
      list.map((a) => ({ groupId: a.accessContainer.accessContainerId.toLowerCase(), roles: (a.accessDetails?.unifiedRoles ?? []).map((x) => x.roleDefinitionId), status: a.status })),
    );
  }
  for (const g of groupIds) {
    const names = new Set<string>();
    for (const m of await ms.all(`/groups/${encodeURIComponent(g)}/members?$select=id,userPrincipalName,mail`, schemas.directoryObjectPage)) {
      for (const n of [m.userPrincipalName, m.mail]) if (n) names.add(n.toLowerCase());
    }
    out.members.set(g.toLowerCase(), names);
  }
  return out;
}
