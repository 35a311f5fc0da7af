/**
 * The live executor: carries out a plan (src/domain/plan/) against
 * Microsoft through the HTTP client, as printed by `--plan`: each request's
 * `${id.field}` references are filled from the earlier responses, and a
 * request that fails ends its group (one group per independent item). It also
 * reads a client tenant before the rules are applied (live mode acts on what
 * is really there).
 */
import type { Json, Microsoft, Observed, Responses, StepFailure } from '../domain/plan/decision.js';
import { InterruptedError } from '../domain/core/errors.js';
import { GRAPH_HOSTS, PARTNER_CENTER_HOSTS, planJson, substitute, type PlanEntry } from '../domain/plan/request.js';
import type { Cloud } from '../domain/core/model.js';
import type { ApiService, BatchPart, MicrosoftClient, Method } from './client.js';
import { MicrosoftError } from './errors.js';
import { answerSchemaFor, domainPage, roleAssignmentPage, user as userSchema } from './schemas.js';

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

/** A request as printed, and the group (independent item) it belongs to. */
interface Step {
  entry: PlanEntry;
  group: number;
}

/**
 * The live executor. `signal` is the interrupt: nothing more is sent once it
 * fires, and what was in flight is reported as such. `appOnly` says the
 * sign-in is an application's (carryOut refuses Partner Center for it).
 */
export function executor(client: MicrosoftClient, cloud: Cloud, opts: { signal?: AbortSignal; appOnly?: boolean } = {}): Microsoft {
  const interrupted = (e: unknown) => e instanceof InterruptedError || (opts.signal?.aborted === true && e === opts.signal.reason);

  /** One request on its own (Partner Center, or Graph when there is nothing to batch with). */
  async function single(e: PlanEntry, responses: Map<string, Json>, tenantId: string | undefined): Promise<void> {
    const { service, path } = routeOf(cloud, substitute(e.url, responses));
    const headers = e.headers ? (fill(e.headers, responses) as Record<string, string>) : undefined;
    try {
      const reply = await client.request({
        service,
        method: e.method as Method,
        path,
        body: e.body === undefined ? undefined : fill(e.body, responses),
        headers,
        tenantId,
        // The answer is checked against the shape Microsoft documents for this call (schemas.ts).
        schema: answerSchemaFor(service, e.method, path),
      });
      responses.set(e.id, reply.body && typeof reply.body === 'object' ? (reply.body as Json) : {});
    } catch (error) {
      if (!alreadyDone(e.method, path, error)) throw error;
      responses.set(e.id, {});
    }
  }

  return {
    appOnly: opts.appOnly === true,

    /**
     * One group: its requests one after another. Several groups (independent
     * items): in rounds, the next request of every group still going; a
     * round's Graph requests go as `$batch`es of at most 20
     * (https://learn.microsoft.com/graph/json-batching), its Partner Center
     * requests one by one (Partner Center has no batch). A failed request
     * ends its group only.
     */
    async run(groups, runOpts) {
      const entries = planJson(groups.flat());
      const steps: Step[][] = [];
      let at = 0;
      groups.forEach((g, group) => {
        steps.push(entries.slice(at, at + g.length).map((entry) => ({ entry, group })));
        at += g.length;
      });
      const responses = new Map<string, Json>();
      const failures: StepFailure[] = [];
      const next = steps.map(() => 0);
      const dead = new Set<number>();
      // Neither answered, failed, nor in flight: never sent.
      const unsent = (inFlight = 0) => entries.length - responses.size - failures.length - inFlight;
      for (;;) {
        const round = steps.map((g, i) => (dead.has(i) ? undefined : g[next[i]!])).filter((x): x is Step => x !== undefined);
        if (round.length === 0) break;
        if (opts.signal?.aborted) return { responses, failures, stopped: { reason: opts.signal.reason as Error, inFlight: [], notSent: unsent() } };
        const fail = (st: Step, error: Error) => {
          failures.push({ id: st.entry.id, error });
          dead.add(st.group);
        };
        const batchable = round.length > 1 ? round.filter((st) => routeOf(cloud, st.entry.url.replace(/\$\{[^}]*\}/g, 'x')).service === 'graph') : [];
        const alone = round.filter((st) => !batchable.includes(st));
        try {
          if (batchable.length) {
            const parts: BatchPart[] = [];
            const sent: Step[] = [];
            for (const st of batchable) {
              try {
                const { path } = routeOf(cloud, substitute(st.entry.url, responses));
                parts.push({
                  method: st.entry.method as Method,
                  path,
                  body: st.entry.body === undefined ? undefined : fill(st.entry.body, responses),
                  headers: st.entry.headers ? (fill(st.entry.headers, responses) as Record<string, string>) : undefined,
                  schema: answerSchemaFor('graph', st.entry.method, path),
                });
                sent.push(st);
              } catch (error) {
                fail(st, error as Error);
              }
            }
            // Each envelope's answers are kept whatever happens to a later one (client.batch); an interrupt
            // leaves the envelope in flight pending and the later ones not sent.
            const outcomes = await client.batch(parts, { tenantId: runOpts.tenantId });
            const inFlight: string[] = [];
            let cut = false;
            outcomes.forEach((o, k) => {
              const st = sent[k]!;
              if (o.ok) responses.set(st.entry.id, o.body && typeof o.body === 'object' ? (o.body as Json) : {});
              else if (o.kind === 'notSent' && interrupted(o.error)) cut = true;
              else if (o.kind === 'pending' && interrupted(o.error)) {
                cut = true;
                inFlight.push(st.entry.id);
              } else if (o.kind !== 'notSent' && alreadyDone(parts[k]!.method, parts[k]!.path, o.error)) responses.set(st.entry.id, {});
              else fail(st, o.error ?? new Error('not sent'));
            });
            if (cut) return { responses, failures, stopped: { reason: opts.signal?.reason as Error, inFlight, notSent: unsent(inFlight.length) } };
          }
          for (let k = 0; k < alone.length; k++) {
            const st = alone[k]!;
            try {
              await single(st.entry, responses, runOpts.tenantId);
            } catch (error) {
              if (interrupted(error)) {
                return { responses, failures, stopped: { reason: error as Error, inFlight: [st.entry.id], notSent: unsent(1) } };
              }
              fail(st, error as Error);
            }
          }
        } finally {
          for (const st of round) if (!dead.has(st.group)) next[st.group]!++;
        }
      }
      return { responses, failures };
    },

    async observe(target) {
      const t = target.tenantId;
      // https://learn.microsoft.com/graph/api/domain-list (id, isInitial, isVerified)
      const domains = (await client.all('/domains', domainPage, t)).map((d) => ({
        name: d.id.toLowerCase(),
        isInitial: d.isInitial,
        verified: d.isVerified,
      }));
      const seen: Observed = { domains };
      if (target.upn) {
        let user: { id: string; displayName?: string | null } | undefined;
        try {
          // https://learn.microsoft.com/graph/api/user-get (by userPrincipalName)
          user = await client.get(`/users/${encodeURIComponent(target.upn)}?$select=id,userPrincipalName,displayName`, userSchema, { tenantId: t });
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
          const roles = await client.all(`/roleManagement/directory/roleAssignments?$filter=${filter}`, roleAssignmentPage, t);
          seen.user = { upn: target.upn, name: user.displayName ?? target.upn.slice(0, target.upn.indexOf('@')), isAdmin: roles.length > 0 };
        }
      }
      return seen;
    },
  };
}
