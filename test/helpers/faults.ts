/**
 * For the live-mode fault matrix (issue 19): kill the CLI after Microsoft
 * (the loopback fake) has answered and before the ledger is written, and
 * compare what the fake holds with what the ledger recorded.
 *
 * - `killAfterAnswer(fake, sb, args, match)`: spawns the built CLI against the
 *   fake with the sandbox's environment, arms a `hold` fault for the request
 *   `match` names, waits until the fake has applied it and holds the answer
 *   (`fake.held`: no timer), SIGKILLs the process, and returns once it is gone.
 * - `disagreements(fake, sb)` / `agree(fake, sb)`: the differences between the
 *   fake's state and the ledger (relationships by id with their status,
 *   groups by object id with their members, the agent groups' members against
 *   partner users' access, access assignments, each client's users with their
 *   admin flag and its domains with their verified flag), or an assertion
 *   that there are none. A matrix row calls it after recovery.
 */
import { expect } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { FakeMicrosoft, Held } from '../fake-microsoft/server.js';
import { BIN, withStore, type Sandbox } from './cli.js';
import { PG_MODE, pgActing } from './pg-e2e.js';

/** Which request's answer to hold: method and path as the fake records them (after `/v1.0`), `after` earlier ones let through. */
export interface AnswerMatch {
  method?: string;
  path?: string | RegExp;
  /** Parts of a `$batch` only (true), top-level requests only (false), either (absent). */
  inBatch?: boolean;
  /** Let this many matching requests be answered first. */
  after?: number;
}

export interface Killed {
  /** The held answer (the change it answers is applied at the fake). */
  held: Held;
  stdout: string;
  stderr: string;
  /** The exit code when the process handled the signal itself (SIGINT, SIGTERM), else null. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface KillOptions {
  /** Added to the sandbox's and the fake's environment. */
  env?: NodeJS.ProcessEnv;
  /** The signal (default SIGKILL: no handler runs; SIGINT/SIGTERM let the CLI's interrupt handling run). */
  signal?: NodeJS.Signals;
  /** Awaited once the answer is held, before the signal is sent (the process still runs its other work). */
  beforeKill?: () => Promise<void>;
}

/**
 * Run `delegate <args>` against the fake, hold the answer to the request `match` names, and SIGKILL the
 * process (or send `opts.signal`) while it waits for that answer: Microsoft has applied the change, the CLI
 * never learns it. Fails (naming its output) if the CLI ends before such a request reaches the fake.
 */
export async function killAfterAnswer(fake: FakeMicrosoft, sb: Sandbox, args: string[], match: AnswerMatch, opts: KillOptions = {}): Promise<Killed> {
  const extraEnv = opts.env ?? {};
  fake.fault({ kind: 'hold', method: match.method, path: match.path, inBatch: match.inBatch, after: match.after });
  const envIn = { ...sb.env, ...fake.env(), ...extraEnv };
  // (awaited: the PostgreSQL helpers are becoming asynchronous)
  const acting = PG_MODE ? await pgActing(args, envIn) : { args, env: envIn };
  const child = spawn(process.execPath, [BIN, ...acting.args], { env: acting.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const exitedFirst = closed.then(({ code }) => {
    throw new Error(`delegate ${args.join(' ')} ended (exit ${code}) before an answer to ${match.method ?? 'any'} ${String(match.path ?? 'request')} was held:\n${stderr}${stdout}`);
  });
  let held: Held;
  try {
    held = await Promise.race([fake.held({ method: match.method, path: match.path }, 60_000), exitedFirst]);
  } catch (e) {
    child.kill('SIGKILL');
    await closed;
    throw e;
  }
  try {
    await opts.beforeKill?.();
  } finally {
    child.kill(opts.signal ?? 'SIGKILL');
  }
  const { code, signal } = await closed;
  held.drop();
  return { held, stdout, stderr, code, signal };
}

const lower = (xs: Iterable<string>) => [...xs].map((x) => x.toLowerCase()).sort();
const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(lower(a)) === JSON.stringify(lower(b));
const rolesOf = (accessDetails: unknown): string[] => (((accessDetails as { unifiedRoles?: { roleDefinitionId: string }[] } | undefined)?.unifiedRoles ?? []).map((r) => r.roleDefinitionId).sort());

export interface AgreeOptions {
  /** Fake group ids that the ledger need not know (groups made at Microsoft by a test's set-up). */
  ignoreGroups?: readonly string[];
}

/**
 * What differs between the fake (Microsoft) and the ledger, one line each; none when they agree.
 * Relationships the ledger holds only as offline drafts (no Microsoft status) are not at Microsoft.
 */
export async function disagreements(fake: FakeMicrosoft, sb: Sandbox, opts: AgreeOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const ledger = await withStore(sb.db, (store) =>
    store.read(async (tx) => {
      const partner = await tx.getPartner();
      const relationships = await tx.listRelationships();
      const groups = await tx.listGroups();
      const assignments = new Map(await Promise.all(relationships.map(async (r) => [r.id, await tx.listAssignments(r.id)] as const)));
      const users = await tx.listUsers({});
      const clients = await tx.listClients({});
      const perClient = await Promise.all(clients.map(async (c) => ({ client: c, users: await tx.listClientUsers(c.domain), domains: await tx.listClientDomains(c.domain) })));
      return { partner, relationships, groups, assignments, users, perClient };
    }),
  );
  const upnOf = (id: string) => String(fake.users.get(id)?.userPrincipalName ?? fake.groups.get(id)?.displayName ?? id);

  // Relationships: every one the ledger says Microsoft has, by id and status; none at Microsoft it lacks.
  const live = ledger.relationships.filter((r) => r.msStatus);
  for (const r of live) {
    const at = fake.relationships.get(r.id);
    if (!at) out.push(`relationship ${r.id} ("${r.displayName}") is in the ledger as ${r.msStatus} at Microsoft, but Microsoft has none`);
    else {
      if (at.status !== r.msStatus) out.push(`relationship "${r.displayName}" (${r.id}): Microsoft says ${at.status}, the ledger ${r.msStatus}`);
      if (at.displayName !== r.displayName) out.push(`relationship ${r.id}: Microsoft names it "${String(at.displayName)}", the ledger "${r.displayName}"`);
    }
  }
  for (const at of fake.relationships.values()) {
    if (!live.some((r) => r.id === at.id)) out.push(`relationship "${String(at.displayName)}" (${at.id}, ${at.status}) exists at Microsoft, not in the ledger`);
  }
  const sameName = new Map<string, number>();
  for (const at of fake.relationships.values()) sameName.set(String(at.displayName), (sameName.get(String(at.displayName)) ?? 0) + 1);
  for (const [name, n] of sameName) if (n > 1) out.push(`relationship "${name}" exists ${n} times at Microsoft`);

  // Groups: by object id, with their members (partner users by email).
  const agentIds = [ledger.partner?.adminAgentsGroupId, ledger.partner?.helpdeskAgentsGroupId].filter((x): x is string => !!x);
  const ignored = new Set([...(opts.ignoreGroups ?? []), ...agentIds]);
  for (const g of ledger.groups.filter((x) => x.objectId)) {
    const at = fake.groups.get(g.objectId!);
    if (!at) {
      out.push(`group ${g.name} is in the ledger with object id ${g.objectId}, but Microsoft has no such group`);
      continue;
    }
    if (at.displayName !== g.name) out.push(`group ${g.objectId}: Microsoft names it "${at.displayName}", the ledger "${g.name}"`);
    const members = [...at.members].map(upnOf);
    if (!same(members, g.members)) out.push(`group ${g.name}: members at Microsoft [${lower(members).join(', ')}], in the ledger [${lower(g.members).join(', ')}]`);
  }
  for (const at of fake.groups.values()) {
    if (ignored.has(at.id) || ledger.groups.some((g) => g.objectId === at.id)) continue;
    out.push(`group "${at.displayName}" (${at.id}) exists at Microsoft, not in the ledger`);
  }
  const names = new Map<string, number>();
  for (const at of fake.groups.values()) if (!ignored.has(at.id)) names.set(at.displayName, (names.get(at.displayName) ?? 0) + 1);
  for (const [name, n] of names) if (n > 1) out.push(`group "${name}" exists ${n} times at Microsoft`);

  // DAP agent groups: members against partner users' admin access.
  for (const [id, access] of [
    [ledger.partner?.adminAgentsGroupId, 'full'],
    [ledger.partner?.helpdeskAgentsGroupId, 'limited'],
  ] as const) {
    const at = id ? fake.groups.get(id) : undefined;
    if (!at) continue;
    const members = [...at.members].map(upnOf);
    const users = ledger.users.filter((u) => u.adminAccess === access).map((u) => u.email);
    if (!same(members, users)) out.push(`${at.displayName}: members at Microsoft [${lower(members).join(', ')}], partner users with ${access} access in the ledger [${lower(users).join(', ')}]`);
  }

  // Access assignments on relationships Microsoft has: by group object id, with roles.
  for (const r of live) {
    if (!fake.relationships.has(r.id)) continue;
    const atMs = (fake.accessAssignments.get(r.id) ?? []).filter((a) => !['deleted', 'deleting'].includes(String(a.status)));
    const inLedger = ledger.assignments.get(r.id) ?? [];
    for (const a of inLedger) {
      const objectId = ledger.groups.find((g) => g.name.toLowerCase() === a.group.toLowerCase())?.objectId;
      const m = atMs.find((x) => (x.accessContainer as { accessContainerId?: string } | undefined)?.accessContainerId === objectId);
      if (!m) out.push(`relationship "${r.displayName}": the ledger assigns ${a.group}, Microsoft has no assignment for it`);
      else if (JSON.stringify(rolesOf(m.accessDetails)) !== JSON.stringify([...a.roles].sort())) out.push(`relationship "${r.displayName}", group ${a.group}: roles at Microsoft ${rolesOf(m.accessDetails).join(',')}, in the ledger ${[...a.roles].sort().join(',')}`);
    }
    for (const m of atMs) {
      const id = (m.accessContainer as { accessContainerId?: string } | undefined)?.accessContainerId;
      const g = ledger.groups.find((x) => x.objectId === id);
      if (!g || !inLedger.some((a) => a.group.toLowerCase() === g.name.toLowerCase())) out.push(`relationship "${r.displayName}": Microsoft assigns group ${id}, the ledger does not`);
    }
  }

  // Each client's directory: its users (by UPN, admin = any directory role) and domains (verified). The fake
  // holds one directory: with one client in the ledger, every domain it has is that client's; with several,
  // only the domains the ledger names are compared.
  const withDomains = ledger.perClient.filter((c) => c.domains.length > 0);
  for (const { client, users, domains } of withDomains) {
    const names = new Set(domains.map((d) => d.name.toLowerCase()));
    if (withDomains.length === 1) for (const id of fake.domains.keys()) names.add(id.toLowerCase());
    for (const d of domains) {
      const at = fake.domains.get(d.name.toLowerCase());
      if (!at) out.push(`${client.domain}: the ledger has domain ${d.name}, Microsoft does not`);
      else if ((at.isVerified === true) !== d.verified) out.push(`${client.domain}: domain ${d.name} is ${at.isVerified ? '' : 'not '}verified at Microsoft, ${d.verified ? '' : 'not '}in the ledger`);
    }
    for (const name of names) {
      if (!domains.some((d) => d.name.toLowerCase() === name)) out.push(`${client.domain}: Microsoft has domain ${name}, the ledger does not`);
    }
    const inTenant = [...fake.users.values()].filter((u) => names.has(String(u.userPrincipalName).split('@')[1]?.toLowerCase() ?? ''));
    for (const u of users) {
      const at = inTenant.find((x) => String(x.userPrincipalName).toLowerCase() === u.upn.toLowerCase());
      if (!at) {
        out.push(`${client.domain}: the ledger has user ${u.upn}, Microsoft does not`);
        continue;
      }
      const isAdmin = fake.roleAssignments.some((a) => a.principalId === at.id);
      if (isAdmin !== u.isAdmin) out.push(`${client.domain}: user ${u.upn} is ${isAdmin ? '' : 'not '}an admin at Microsoft, ${u.isAdmin ? '' : 'not '}in the ledger`);
    }
    for (const at of inTenant) {
      if (!users.some((u) => u.upn.toLowerCase() === String(at.userPrincipalName).toLowerCase())) out.push(`${client.domain}: Microsoft has user ${String(at.userPrincipalName)}, the ledger does not`);
    }
  }
  return out;
}

/** The fake (Microsoft) and the ledger agree (see disagreements). */
export async function agree(fake: FakeMicrosoft, sb: Sandbox, opts: AgreeOptions = {}): Promise<void> {
  expect(await disagreements(fake, sb, opts)).toEqual([]);
}
