/**
 * The live executor: carries out a plan (src/domain/plan/) against
 * Microsoft through the HTTP client, as printed by `--plan`: each request's
 * `${id.field}` references are filled from the earlier responses, and a
 * request that fails ends its group (one group per independent item). It also
 * reads a client tenant before the rules are applied (live mode acts on what
 * is really there).
 */
import type { Json, Microsoft, Observed, Responses, SentEntry, StepFailure } from '../domain/plan/decision.js';
import { InterruptedError } from '../domain/core/errors.js';
import { GRAPH_HOSTS, PARTNER_CENTER_HOSTS, sendable, substitute, type SendableEntry } from '../domain/plan/request.js';
import type { Cloud } from '../domain/core/model.js';
import type { ApiService, BatchPart, MicrosoftClient, Method, PartOutcome } from './client.js';
import { MicrosoftError, writeState } from './errors.js';
import { answerSchemaFor, domainPage, roleAssignmentPage, user as userSchema } from './schemas.js';

/** A read-back reads at most this many pages of a collection (a partner's relationships: 300 a page). */
const READ_BACK_PAGES = 1000;

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

/** A request as the executor takes it, and the group (independent item) it belongs to. */
interface Step {
  entry: SendableEntry;
  group: number;
}

/** A step filled from the answers so far: what is sent, where, and what its intent records. */
interface Ready {
  st: Step;
  sent: SentEntry;
  route: { service: ApiService; path: string };
  headers?: Record<string, string>;
}

/**
 * Whether Microsoft may have applied a request that failed (errors.ts writeState): no usable
 * answer came (the connection dropped after it was sent, no whole answer by the deadline, a
 * `$batch` part missing), a server error other than 503, or a 2xx whose body does not read.
 * A refusal (4xx, 429, 503) was not applied.
 */
export function mayHaveApplied(error: unknown): boolean {
  return writeState(error) !== 'notApplied';
}

/**
 * The live executor. `signal` is the interrupt: nothing more is sent once it
 * fires, and what was in flight is reported as such. `appOnly` says the
 * sign-in is an application's (carryOut refuses Partner Center for it).
 */
export function executor(client: MicrosoftClient, cloud: Cloud, opts: { signal?: AbortSignal; appOnly?: boolean } = {}): Microsoft {
  const interrupted = (e: unknown) => e instanceof InterruptedError || (opts.signal?.aborted === true && e === opts.signal.reason);

  /** A Graph GET for a read-back: an entity as it is, or a collection's every page as one `value` (bounded). */
  const collect = async (path: string, tenantId: string | undefined): Promise<unknown> => {
    const base = client.base('graph');
    const first = (await client.request({ method: 'GET', path, tenantId, schema: answerSchemaFor('graph', 'GET', path) })).body as Record<string, unknown> | undefined;
    if (!first || !Array.isArray(first.value)) return first;
    const value = [...(first.value as unknown[])];
    let link = first['@odata.nextLink'];
    for (let pages = 1; typeof link === 'string'; pages++) {
      if (pages >= READ_BACK_PAGES || !link.startsWith(base + '/')) throw new MicrosoftError('graph', 'GET', path, 200, 'badNextLink', `a read-back stopped after ${pages} pages at ${link}`);
      const next = link.slice(base.length);
      const page = (await client.request({ method: 'GET', path: next, tenantId, schema: answerSchemaFor('graph', 'GET', next) })).body as Record<string, unknown> | undefined;
      if (!page || !Array.isArray(page.value)) throw new MicrosoftError('graph', 'GET', path, 200, 'badPage', 'a page of the read-back has no value list');
      value.push(...(page.value as unknown[]));
      link = page['@odata.nextLink'];
    }
    return { value };
  };
  const readAll = async (path: string, tenantId: string | undefined): Promise<unknown> => {
    try {
      return await collect(path, tenantId);
    } catch (e) {
      // tenantrelationship-list-delegatedadminrelationships supports $filter but names no filterable property.
      const whole = path.replace(/\?\$filter=[^&]*$/, '');
      if (e instanceof MicrosoftError && e.status === 400 && whole !== path && path.startsWith('/tenantRelationships/delegatedAdminRelationships?')) return collect(whole, tenantId);
      throw e;
    }
  };

  return {
    appOnly: opts.appOnly === true,

    /**
     * One group: its requests one after another. Several groups (independent
     * items): in rounds, the next request of every group still going; a
     * round's Graph requests go as `$batch`es of at most 20
     * (https://learn.microsoft.com/graph/json-batching), its Partner Center
     * requests one by one (Partner Center has no batch). A failed request
     * ends its group only. Before a round goes, the intents of its requests
     * that change Microsoft are committed (`journal.open`); each answer is
     * kept as it arrives (`journal.answered`: a `$batch` envelope's parts as
     * soon as the envelope is read); a request with no usable answer is read
     * back (`resolveUnknown`) and, found, carries its group on.
     */
    async run(groups, runOpts) {
      const entries = sendable(groups.flat());
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
      const { journal, resolveUnknown, tenantId } = runOpts;
      // Neither answered, failed, nor in flight: never sent.
      const unsent = (inFlight = 0) => entries.length - responses.size - failures.length - inFlight;
      for (;;) {
        const round = steps.map((g, i) => (dead.has(i) ? undefined : g[next[i]!])).filter((x): x is Step => x !== undefined);
        if (round.length === 0) break;
        if (opts.signal?.aborted) return { responses, failures, stopped: { reason: opts.signal.reason as Error, inFlight: [], notSent: unsent() } };
        const fail = (st: Step, error: Error, unknown = false) => {
          failures.push({ id: st.entry.id, error, ...(unknown ? { unknown: true } : {}) });
          dead.add(st.group);
        };
        const ready: Ready[] = [];
        for (const st of round) {
          try {
            const url = substitute(st.entry.url, responses);
            const sent: SentEntry = {
              id: st.entry.id,
              method: st.entry.method,
              url,
              ...(st.entry.body === undefined ? {} : { body: fill(st.entry.body, responses) }),
              intent: (st.entry.intent ? fill(st.entry.intent, responses) : undefined) as SentEntry['intent'],
            };
            ready.push({ st, sent, route: routeOf(cloud, url), ...(st.entry.headers ? { headers: fill(st.entry.headers, responses) as Record<string, string> } : {}) });
          } catch (error) {
            fail(st, error as Error);
          }
        }
        const changing = ready.filter((r) => r.sent.intent);
        const sentAt = new Date().toISOString();
        if (journal && changing.length) {
          try {
            await journal.open(changing.map((r) => r.sent));
          } catch (error) {
            // Nothing of this round was sent.
            return { responses, failures, stopped: { reason: error as Error, inFlight: [], notSent: unsent() } };
          }
        }
        const answered: { id: string; status: number; body: unknown }[] = [];
        const keep = (st: Step, status: number, body: unknown) => {
          const b = body && typeof body === 'object' ? (body as Json) : {};
          responses.set(st.entry.id, b);
          answered.push({ id: st.entry.id, status, body: b });
        };
        const flush = () => journal?.answered(answered.splice(0));
        /** A failed request: refused, or (no usable answer) read back at once, carrying on when found. */
        const failed = async (r: Ready, error: Error) => {
          if (alreadyDone(r.sent.method, r.route.path, error)) return keep(r.st, 204, {});
          const unknown = r.sent.method !== 'GET' && mayHaveApplied(error);
          // An error answer is an answer: kept with the intent (its wait is over), the error as its body.
          if (journal && r.sent.intent && error instanceof MicrosoftError && error.status > 0) {
            await journal.answered([{ id: r.st.entry.id, status: error.status, body: { error: { code: error.microsoftCode, message: error.microsoftMessage } } }]);
          }
          if (unknown && r.sent.intent && resolveUnknown) {
            const found = await resolveUnknown(r.sent, sentAt);
            if (found) return keep(r.st, 200, found);
          }
          fail(r.st, error, unknown);
        };
        const batchable = ready.length > 1 ? ready.filter((r) => r.route.service === 'graph') : [];
        const alone = ready.filter((r) => !batchable.includes(r));
        try {
          if (batchable.length) {
            const parts: BatchPart[] = batchable.map((r) => ({
              method: r.sent.method as Method,
              path: r.route.path,
              body: r.sent.body,
              headers: r.headers,
              schema: answerSchemaFor('graph', r.sent.method, r.route.path),
            }));
            // Each envelope's answers are kept (journaled) as soon as it is read, whatever happens to a later
            // one (client.batch); an interrupt leaves the envelope in flight pending and the later ones not sent.
            const outcomes: PartOutcome[] = await client.batch(parts, {
              tenantId,
              onPart: (k, o) => {
                if (o.ok) keep(batchable[k]!.st, o.status, o.body);
              },
            });
            await flush();
            const inFlight: string[] = [];
            let cut = false;
            for (const [k, o] of outcomes.entries()) {
              const r = batchable[k]!;
              if (o.ok) continue;
              if (o.kind === 'notSent' && (interrupted(o.error) || !o.error)) cut = true;
              else if (o.kind === 'pending' && interrupted(o.error)) {
                cut = true;
                inFlight.push(r.st.entry.id);
              } else if (o.kind === 'notSent') fail(r.st, o.error ?? new Error('not sent'));
              else await failed(r, o.error);
            }
            await flush();
            if (cut) return { responses, failures, stopped: { reason: opts.signal?.reason as Error, inFlight, notSent: unsent(inFlight.length) } };
          }
          for (const r of alone) {
            try {
              const reply = await client.request({
                service: r.route.service,
                method: r.sent.method as Method,
                path: r.route.path,
                body: r.sent.body,
                headers: r.headers,
                tenantId,
                // The answer is checked against the shape Microsoft documents for this call (schemas.ts).
                schema: answerSchemaFor(r.route.service, r.sent.method, r.route.path),
              });
              keep(r.st, reply.status, reply.body);
              await flush();
            } catch (error) {
              if (interrupted(error)) {
                await flush();
                return { responses, failures, stopped: { reason: error as Error, inFlight: [r.st.entry.id], notSent: unsent(1) } };
              }
              await failed(r, error as Error);
              await flush();
            }
          }
        } finally {
          for (const st of round) if (!dead.has(st.group)) next[st.group]!++;
        }
      }
      return { responses, failures };
    },

    /**
     * A read-back (plan/intent.ts READ_BACK): the GET as the intent holds it,
     * every page of a collection as one `value` (at most READ_BACK_PAGES pages).
     * A relationship list whose `$filter` Microsoft refuses (its filterable
     * properties are not documented) is read whole instead.
     */
    async read(url, readOpts) {
      const { service, path } = routeOf(cloud, url);
      try {
        if (service !== 'graph') {
          const reply = await client.request({ service, method: 'GET', path, tenantId: readOpts.tenantId, schema: answerSchemaFor(service, 'GET', path) });
          return { read: 'ok', body: reply.body };
        }
        return { read: 'ok', body: await readAll(path, readOpts.tenantId) };
      } catch (e) {
        if (e instanceof MicrosoftError && e.status === 404) return { read: 'absent' };
        if (e instanceof MicrosoftError && (e.status === 401 || e.status === 403)) return { read: 'forbidden', message: e.message };
        throw e;
      }
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
          seen.user = { upn: target.upn, name: user.displayName ?? target.upn.slice(0, target.upn.indexOf('@')), isAdmin: roles.length > 0, id: user.id };
        }
      }
      return seen;
    },
  };
}
