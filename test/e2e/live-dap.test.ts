/**
 * Live DAP grant/revoke (SPEC.md "Live mode": DAP grant/revoke change the
 * partner's AdminAgents / HelpdeskAgents groups): the built CLI against the
 * fake; a user's new access is recorded only once Microsoft made the
 * membership change, and running again after a failure carries on.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeMicrosoft, startFakeMicrosoft } from '../fake-microsoft/server.js';
import { ADMIN, expectOneLine, runBin, runInProcess, sandbox, storeHash, TENANT, type Result, withStore, type Sandbox } from '../helpers/cli.js';

const GRACE = 'grace@fabrikam.com';
const HANK = 'hank@fabrikam.com';
const ADMIN_AGENTS = 'a1b2c3d4-0000-4000-8000-00000000aa01';
const HELPDESK_AGENTS = 'a1b2c3d4-0000-4000-8000-00000000aa02';

let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let graceId: string;
let hankId: string;

beforeAll(async () => {
  fake = await startFakeMicrosoft();
});
afterAll(async () => {
  await fake.close();
});

async function setup(args: string[]): Promise<void> {
  const r = await runInProcess(args, { env: sb.env });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
}

beforeEach(async () => {
  sb = await sandbox();
  env = { ...sb.env, ...fake.env() };
  fake.requests.length = 0;
  fake.clearFaults();
  fake.users.clear();
  fake.groups.clear();
  fake.addGroup('AdminAgents', ADMIN_AGENTS);
  fake.addGroup('HelpdeskAgents', HELPDESK_AGENTS);
  graceId = fake.addUser(GRACE);
  hankId = fake.addUser(HANK);
  await setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setup(['partner', 'set', '--admin-agents-group', ADMIN_AGENTS, '--helpdesk-agents-group', HELPDESK_AGENTS]);
  await setup(['user', 'add', GRACE, '--name', 'Grace']);
  await setup(['user', 'add', HANK, '--name', 'Hank']);
});
afterEach(() => sb.cleanup());

const live = (args: string[]): Promise<Result> => runBin([...args, '--live'], env);
async function access(email: string): Promise<string | undefined> {
  return withStore(sb.db, async (store) => (await store.read((tx) => tx.getUser(email)))?.adminAccess);
}
const members = (group: string) => [...fake.groups.get(group)!.members];

describe('user grant-admin / revoke-admin --live', () => {
  it('grant full joins AdminAgents; limited moves to HelpdeskAgents; revoke leaves; each recorded', async () => {
    const g = await live(['user', 'grant-admin', GRACE, '--role', 'full']);
    expect(g.code).toBe(0);
    expect(members(ADMIN_AGENTS)).toEqual([graceId]);
    expect(await access(GRACE)).toBe('full');
    expect(g.stderr).toContain('1 user changed at Microsoft (agent group membership) and recorded.');

    const l = await live(['user', 'grant-admin', GRACE, '--role', 'limited']);
    expect(l.code).toBe(0);
    expect(members(ADMIN_AGENTS)).toEqual([]);
    expect(members(HELPDESK_AGENTS)).toEqual([graceId]);
    expect(await access(GRACE)).toBe('limited');

    const r = await live(['user', 'revoke-admin', GRACE, '--yes']);
    expect(r.code).toBe(0);
    expect(members(HELPDESK_AGENTS)).toEqual([]);
    expect(await access(GRACE)).toBe('none');
  });

  it('a user already as asked sends nothing', async () => {
    await live(['user', 'grant-admin', GRACE, '--role', 'full']);
    fake.requests.length = 0;
    const again = await live(['user', 'grant-admin', GRACE, '--role', 'full']);
    expect(again.code).toBe(0);
    expect(fake.requests).toEqual([]);
  });

  it('a failed join: that user keeps its recorded access, the other is recorded, exit 1 naming the step; running again carries on', async () => {
    await live(['user', 'grant-admin', GRACE, '--role', 'limited']);
    // Two users go in $batches, round by round: their ids, then Grace leaves HelpdeskAgents while Hank joins
    // AdminAgents (refused: the first join the fault meets), then Grace joins AdminAgents.
    fake.fault({ kind: 'error', method: 'POST', path: `/groups/${ADMIN_AGENTS}/members/$ref`, status: 400, code: 'Request_BadRequest', message: 'Refused.', inBatch: true });
    const r = await live(['user', 'grant-admin', GRACE, HANK, '--role', 'full']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hank@fabrikam\.com: failed at step "join-2": Microsoft Graph answered 400/);
    expect(await access(HANK)).toBe('none'); // not what Microsoft holds, so not recorded as full
    expect(await access(GRACE)).toBe('full');
    expect(members(HELPDESK_AGENTS)).toEqual([]); // she did leave at Microsoft
    expect(fake.seen({ path: '/$batch' }).length).toBeGreaterThan(0);
    // Hank's refused join was one part of a $batch whose other part (Grace leaving) was applied.
    expect(fake.seen({ inBatch: true, method: 'POST', path: `/groups/${ADMIN_AGENTS}/members/$ref` })).toHaveLength(1);
    expect(fake.seen({ inBatch: true, method: 'DELETE' })).toHaveLength(1);
    fake.clearFaults();
    const again = await live(['user', 'grant-admin', GRACE, HANK, '--role', 'full']);
    expect(again.code).toBe(0);
    expect(await access(GRACE)).toBe('full');
    expect(members(ADMIN_AGENTS).sort()).toEqual([graceId, hankId].sort());
  });

  it("--json: a live bulk change prints each user's outcome (applied with what it changed, or failed with the step and Microsoft's message), exit 1", async () => {
    fake.fault({ kind: 'error', method: 'POST', path: `/groups/${ADMIN_AGENTS}/members/$ref`, status: 400, code: 'Request_BadRequest', message: 'Refused \u001b[31mred\u001b[0m.', inBatch: true, after: 1 });
    const r = await runBin(['user', 'grant-admin', GRACE, HANK, '--role', 'full', '--live', '--json'], env);
    expect(r.code).toBe(1);
    const items = JSON.parse(r.stdout) as { item: string; outcome: string; step?: string; message?: string; result?: unknown }[];
    expect(items).toEqual([
      { item: GRACE, outcome: 'applied', result: expect.objectContaining({ email: GRACE }) },
      { item: HANK, outcome: 'failed', step: 'join-2', message: expect.stringMatching(/^Microsoft Graph answered 400 to POST .*Request_BadRequest: Refused/) },
    ]);
    expect(r.stdout).not.toContain('\u001b'); // Microsoft's text cannot reach the terminal raw
    expect(r.stderr).toMatch(/1 of 2 items not applied at Microsoft \(their outcomes are listed\)/);
    expect(await access(GRACE)).toBe('full');
    expect(await access(HANK)).toBe('none');
  });

  it('not a global admin: exit 4 before any request, audited', async () => {
    const before = await storeHash(sb.db);
    const r = await runBin(['user', 'grant-admin', HANK, '--role', 'full', '--live', '--as', GRACE], env);
    expect(r.code).toBe(4);
    expectOneLine(r.stderr, /only the partner's global admins may/);
    expect(fake.requests).toEqual([]);
    expect(await storeHash(sb.db)).not.toBe(before);
  });

  it('--dry-run with --live prints and sends nothing', async () => {
    const r = await live(['user', 'grant-admin', GRACE, '--role', 'full', '--dry-run']);
    expect(r.code).toBe(0);
    expect(fake.requests).toEqual([]);
    expect(await access(GRACE)).toBe('none');
  });
});
