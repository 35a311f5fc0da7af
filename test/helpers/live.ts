/**
 * Shared by the live-mode end-to-end suites: the loopback fake for a whole test file, setup
 * commands run in-process at a pinned time (before any live command: the ledger's time never runs
 * backwards), and the ledger opened directly to see what was recorded.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import { runInProcess, sandbox, type Sandbox } from './cli.js';

export const SETUP_TIME = '2026-03-01T09:00:00.000Z';

/** Start the fake before the file's tests and close it after; the getter gives it to tests. */
export function fakeForSuite(): () => FakeMicrosoft {
  let fake: FakeMicrosoft | undefined;
  beforeAll(async () => {
    fake = await startFakeMicrosoft();
  });
  afterAll(async () => {
    await fake?.close();
  });
  return () => fake!;
}

/** A setup command, in-process at SETUP_TIME; its stdout (it throws when the command fails). */
export async function setupAt(sb: Sandbox, args: string[]): Promise<string> {
  const r = await runInProcess(args, { env: { ...sb.env, DELEGATE_NOW: SETUP_TIME } });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A fresh sandbox whose environment points delegate at the fake (reset), with its token. */
export async function liveSandbox(fake: FakeMicrosoft): Promise<{ fake: FakeMicrosoft; sb: Sandbox; env: NodeJS.ProcessEnv }> {
  const sb = await sandbox();
  return { fake: fake.reset(), sb, env: { ...sb.env, ...fake.env() } };
}
