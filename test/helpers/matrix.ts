/**
 * The live-mode fault matrix (issue 19), shared by the test/e2e/live-faults-*.test.ts files: a row is a
 * live command that changes Microsoft (its arguments, its set-up, the request that makes its change); a
 * fault is what goes wrong at that request's boundary. Each cell: run the command under the fault, check
 * that what it said matches what the fake (Microsoft) did, then run the same command again (and
 * `delegate recover` where a password is owed), and check that the fake and the ledger agree, that nothing
 * exists twice at Microsoft, and that every user created (or password reset) had its password shown
 * exactly once over all the runs.
 */
import { expect } from '@jest/globals';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import type { Fault } from '../fake-microsoft/faults.js';
import { runInProcess, type Result, type Sandbox } from './cli.js';
import { agree, killAfterAnswer, type AnswerMatch } from './faults.js';

/** A live command of the matrix. */
export interface Row {
  name: string;
  /** The command, without --live. */
  args: string[];
  /** The request that changes Microsoft (the fault strikes it). */
  change: AnswerMatch;
  /** A read the command makes before its change (for `endless`); absent: no endless cell. */
  read?: { method: 'GET'; path: string | RegExp; inBatch?: boolean };
  /** Set-up in the sandbox (the fake reset, the partner initialised), before the row's command. */
  setup?: (w: World) => Promise<void>;
  /** The command prints temporary passwords (user create / reset): checked shown once. */
  passwords?: boolean;
  /** Faults this row skips (with the reason in the row's file). */
  skip?: readonly FaultName[];
  /** Extra checks at the end of every cell. */
  after?: (w: World) => Promise<void>;
}

export interface World {
  fake: FakeMicrosoft;
  sb: Sandbox;
  env: NodeJS.ProcessEnv;
  /** A live command in-process (setup): its stdout, or an error naming it. */
  liveOk(args: string[]): Promise<string>;
  /** Group ids at the fake that the ledger need not know. */
  ignoreGroups: string[];
}

/** A row's world: the fake, the sandbox, and live commands run in-process against them. */
export function worldOf(fake: FakeMicrosoft, sb: Sandbox, env: NodeJS.ProcessEnv): World {
  return {
    fake,
    sb,
    env,
    ignoreGroups: [],
    async liveOk(args) {
      const r = await runInProcess([...args, '--live'], { env });
      if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} --live exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
  };
}

export type FaultName = 'kill' | 'lost' | 'truncated' | 'trickle' | '503' | '401' | 'storm' | 'endless';

/** Whether the fault leaves the change applied at Microsoft (the answer lost, cut, held) or refused before it. */
const APPLIED: Record<FaultName, boolean> = { kill: true, lost: true, truncated: true, trickle: true, '503': true, '401': false, storm: false, endless: false };

export const FAULTS: readonly FaultName[] = ['kill', 'lost', 'truncated', 'trickle', '503', '401', 'storm', 'endless'];

/** A live run in-process, its output kept for the password count. */
export async function liveRun(w: World, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Result> {
  const r = await runInProcess([...args, '--live'], { env: { ...w.env, ...extra } });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

const faultFor = (name: FaultName, row: Row): Fault | undefined => {
  const at = { method: row.change.method, path: row.change.path, inBatch: row.change.inBatch, after: row.change.after };
  switch (name) {
    case 'lost':
      return { kind: 'lost', ...at };
    case 'truncated':
      return { kind: 'truncated', ...at };
    case 'trickle':
      return { kind: 'trickle', intervalMs: 50, ...at };
    case '503':
      return { kind: 'unavailable', retryAfter: '1', ...at };
    case '401':
      return { kind: 'error', status: 401, code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.', ...at };
    case 'storm':
      return { kind: 'storm', retryAfter: '1', durationMs: 60_000, ...at };
    case 'endless':
      return row.read ? { kind: 'endless', ...row.read } : undefined;
    default:
      return undefined;
  }
};

/** Environment of the faulted run: a short deadline for a trickle, a short retry budget for a storm. */
const envFor = (name: FaultName): NodeJS.ProcessEnv => (name === 'trickle' ? { DELEGATE_HTTP_TIMEOUT: '2' } : name === 'storm' ? { DELEGATE_RETRY_BUDGET: '2' } : {});

/** Every temporary password printed (JSON output: `temporaryPassword` anywhere). */
function passwordsIn(text: string): string[] {
  return [...text.matchAll(/"temporaryPassword"\s*:\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

export interface Cell {
  faulted: Result;
  again: Result;
  recovered?: Result;
}

/**
 * One cell: `row` under `fault`. Returns the runs for the row's own checks. The command runs with
 * `--json` where the row's args ask for it (passwords are read from JSON).
 */
export async function runCell(w: World, row: Row, name: FaultName): Promise<Cell> {
  const { fake, sb } = w;
  const before = fake.requests.length;
  let faulted: Result;
  if (name === 'kill') {
    const k = await killAfterAnswer(fake, sb, [...row.args, '--live'], row.change);
    expect(k.signal).toBe('SIGKILL');
    faulted = { code: 137, stdout: k.stdout, stderr: k.stderr };
  } else {
    const f = faultFor(name, row)!;
    fake.fault(f);
    faulted = await liveRun(w, row.args, envFor(name));
    fake.clearFaults();
  }
  // The changes the faulted run sent (a retried one counted once).
  const changes = [...new Set(fake.requests.slice(before).filter((x) => x.method !== 'GET' && x.path !== '/$batch').map((x) => `${x.method} ${x.path}`))];
  const applied = APPLIED[name];

  // What the faulted run said matches what Microsoft did.
  if (name !== 'kill') {
    if (!applied) {
      expect(faulted.code).not.toBe(0);
      expect(faulted.stderr).not.toMatch(/(?<![Nn]othing was )applied at Microsoft and recorded|\(at Microsoft\)/);
      // "The steps before it were applied": only where a change before the refused one was made.
      if (/steps before it were applied/.test(faulted.stderr)) expect(changes.length).toBeGreaterThan(1);
      if (/Nothing is recorded|nothing was applied/.test(faulted.stderr)) expect(changes.length).toBeLessThanOrEqual(1);
      if (name === 'endless') expect(changes).toEqual([]);
      await agree(fake, sb, { ignoreGroups: w.ignoreGroups });
    } else if (faulted.code === 0) {
      // The answer was lost but read back at once: what it reports is what Microsoft holds.
      await agree(fake, sb, { ignoreGroups: w.ignoreGroups });
    } else {
      expect(faulted.stderr).not.toMatch(/[Nn]othing was (sent|written|applied)|not applied|was not made/);
      const pending = JSON.parse((await runInProcess(['pending', '--json'], { env: w.env })).stdout) as unknown[];
      if (pending.length) expect(faulted.stderr).toMatch(/delegate pending|delegate recover/);
    }
  }

  // The same command again carries on. Where the change is already made (its answer came, was read back,
  // or recovery finds it now), it may refuse as for a change made earlier (exit 3 or 5), sending nothing
  // and saying what recovery found; where it was never made, it makes it now.
  const sentBefore = fake.requests.length;
  const again = await liveRun(w, row.args);
  if (!applied || again.code !== 0) {
    if (applied) {
      // Refused as done already: a conflict (5), nothing left (3), or a file whose every row is done (2).
      expect(`exit ${again.code}: ${again.stderr}`).toMatch(/^exit [235]: /);
      expect(fake.requests.slice(sentBefore).filter((x) => x.method !== 'GET')).toEqual([]);
      if (faulted.code !== 0) expect(again.stderr).toMatch(/Recovered an earlier run's change|`delegate recover`/);
    } else expect(`exit ${again.code}: ${again.stderr}`).toMatch(/^exit 0: /);
  }
  let recovered: Result | undefined;
  const open = JSON.parse((await runInProcess(['pending', '--json'], { env: w.env })).stdout) as { action?: string; command?: string }[];
  if (open.length) {
    expect(row.passwords).toBe(true);
    expect(again.stderr).toMatch(/delegate recover/);
    const r = await runInProcess(['recover', '--json'], { env: w.env });
    recovered = { code: r.code, stdout: r.stdout, stderr: r.stderr };
    expect(recovered.code).toBe(0);
    expect(JSON.parse((await runInProcess(['pending', '--json'], { env: w.env })).stdout)).toEqual([]);
  }
  await agree(fake, sb, { ignoreGroups: w.ignoreGroups });

  if (row.passwords) {
    const shown = [faulted, again, recovered].flatMap((x) => (x ? passwordsIn(x.stdout) : []));
    const current = [...fake.users.values()].map((u) => u.passwordProfile?.password).filter((p): p is string => typeof p === 'string');
    // Every password Microsoft holds for a user this row made was shown exactly once.
    for (const p of current) expect(shown.filter((x) => x === p)).toHaveLength(1);
  }
  await row.after?.(w);
  return { faulted, again, ...(recovered ? { recovered } : {}) };
}

/** The cells of a row: every fault it does not skip (endless only where it names a read). */
export function cellsOf(row: Row): FaultName[] {
  return FAULTS.filter((f) => !(row.skip ?? []).includes(f) && (f !== 'endless' || row.read));
}

/** `describe.each`-ready: [row name, fault] pairs. */
export function matrix(rows: readonly Row[]): [string, FaultName][] {
  return rows.flatMap((r) => cellsOf(r).map((f) => [r.name, f] as [string, FaultName]));
}
