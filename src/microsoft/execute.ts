/**
 * The live executor: carries out a plan (src/domain/graph.ts) against
 * Microsoft through the HTTP client, as printed by `--plan`: each request's
 * `${id.field}` references are filled from the earlier responses, and a
 * request that fails ends its group (one group per independent item). It also
 * reads a client tenant before the rules are applied (live mode acts on what
 * is really there).
 */
import type { Json, Microsoft, Observed, Responses, StepFailure } from '../domain/decision.js';
import { GRAPH_HOSTS, PARTNER_CENTER_HOSTS, planJson, substitute, type PlannedRequest } from '../domain/graph.js';
import type { Cloud } from '../domain/model.js';
import type { ApiService, MicrosoftClient, Method } from './client.js';
import { MicrosoftError } from './errors.js';

/** Which service and path a planned URL goes to (plans are written for the cloud's public hosts). */
export function routeOf(cloud: Cloud, url: string): { service: ApiService; path: string } {
  const graph = GRAPH_HOSTS[cloud];
  if (url.startsWith(graph + '/')) return { service: 'graph', path: url.slice(graph.length) };
  // Partner Center paths are taken from the root, version included (client.ts).
  const pc = PARTNER_CENTER_HOSTS[cloud];
  if (url.startsWith(pc + '/')) return { service: 'partnerCenter', path: '/v1' + url.slice(pc.length) };
  throw new Error(`a plan URL on no known host: ${url}`);
}

/** Fill every string of a printed body (its references and `$${` escapes). */
function fill(v: unknown, responses: Responses): unknown {
  if (typeof v === 'string') return substitute(v, responses);
  if (Array.isArray(v)) return v.map((x) => fill(x, responses));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, responses)]));
  return v;
}

/**
 * A membership change whose end state already holds is done, not failed, so
 * running a command again after a partial failure carries on: adding a member
 * that is one already is "400 Bad Request ... when the object is already a
 * member" (https://learn.microsoft.com/graph/api/group-post-members), and
 * removing one that is not a member is 404 (Graph's answer for a missing
 * member reference; https://learn.microsoft.com/graph/api/group-delete-members
 * documents only the 204, so the 404 is Graph's general "not found").
 */
export function alreadyDone(method: string, path: string, error: unknown): boolean {
  if (!(error instanceof MicrosoftError) || !/^\/groups\/[^/]+\/members\//.test(path)) return false;
  if (method === 'DELETE') return error.status === 404;
  return method === 'POST' && error.status === 400 && /already exist/i.test(error.microsoftMessage);
}

export function executor(client: MicrosoftClient, cloud: Cloud): Microsoft {
  return {
    async run(groups, opts) {
      const entries = planJson(groups.flat());
      const responses = new Map<string, Json>();
      const failures: StepFailure[] = [];
      let at = 0;
      for (const group of groups) {
        const mine = entries.slice(at, at + group.length);
        at += group.length;
        for (const e of mine) {
          let route: { service: ApiService; path: string } | undefined;
          try {
            const { service, path } = (route = routeOf(cloud, substitute(e.url, responses)));
            const headers = e.headers ? (fill(e.headers, responses) as Record<string, string>) : undefined;
            const reply = await client.request<Json | undefined>({
              service,
              method: e.method as Method,
              path,
              body: e.body === undefined ? undefined : fill(e.body, responses),
              headers,
              tenantId: opts.tenantId,
            });
            responses.set(e.id, reply.body && typeof reply.body === 'object' ? reply.body : {});
          } catch (error) {
            if (route && alreadyDone(e.method, route.path, error)) {
              responses.set(e.id, {});
              continue;
            }
            failures.push({ id: e.id, error: error as Error });
            break;
          }
        }
      }
      return { responses, failures };
    },

    async observe(target) {
      const t = target.tenantId;
      // https://learn.microsoft.com/graph/api/domain-list (id, isInitial, isVerified)
      const domains = (await client.all<{ id: string; isInitial?: boolean; isVerified?: boolean }>('/domains', t)).map((d) => ({
        name: String(d.id).toLowerCase(),
        isInitial: d.isInitial === true,
        verified: d.isVerified === true,
      }));
      const seen: Observed = { domains };
      if (target.upn) {
        let user: { id: string; userPrincipalName: string; displayName?: string } | undefined;
        try {
          // https://learn.microsoft.com/graph/api/user-get (by userPrincipalName)
          user = await client.get(`/users/${encodeURIComponent(target.upn)}?$select=id,userPrincipalName,displayName`, t);
        } catch (e) {
          if (!(e instanceof MicrosoftError && e.status === 404)) throw e;
        }
        if (!user) seen.user = null;
        else {
          // "Admin" is a user holding any directory role: its role assignments, filtered by principalId
          // (https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments; permissions
          // RoleManagement.Read.Directory or Directory.Read.All). Direct assignments only: a role held through
          // a role-assignable group is listed under the group (Graph's transitiveRoleAssignments, which sees
          // it, is beta only: https://learn.microsoft.com/graph/api/rbacapplication-list-transitiveroleassignments).
          const filter = encodeURIComponent(`principalId eq '${user.id}'`);
          const roles = await client.all(`/roleManagement/directory/roleAssignments?$filter=${filter}`, t);
          seen.user = { upn: target.upn, name: user.displayName ?? target.upn.slice(0, target.upn.indexOf('@')), isAdmin: roles.length > 0 };
        }
      }
      return seen;
    },
  };
}
