/**
 * The live-mode fault matrix (issue 19), partner tenant rows: security groups and the DAP agent groups.
 * Rows are data (test/helpers/matrix.ts runs each cell): after the fault, the same command again leaves
 * the fake (Microsoft) and the ledger agreeing, nothing twice at Microsoft, and every message true.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { agree } from '../helpers/faults.js';
import { ADMIN, runInProcess, TENANT, withStore } from '../helpers/cli.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { matrix, runCell, type Row, type World, worldOf } from '../helpers/matrix.js';

// A cell runs the command two or three times, one of them killed or waiting out a fault's deadline or budget:
// room for a loaded machine, far beyond what a cell takes (seconds).
jest.setTimeout(180_000);

const LEE = 'lee@fabrikam.com';
const ADMIN_AGENTS = 'a1b2c3d4-0000-4000-8000-00000000aa01';
const HELPDESK_AGENTS = 'a1b2c3d4-0000-4000-8000-00000000aa02';

const theFake = fakeForSuite();
let w: World;

beforeEach(async () => {
  const { fake, sb, env } = await liveSandbox(theFake());
  const adminId = fake.addUser(ADMIN);
  fake.addUser(LEE);
  fake.addGroup('AdminAgents', ADMIN_AGENTS);
  fake.groups.get(ADMIN_AGENTS)!.members.add(adminId); // init records the admin with full access
  fake.addGroup('HelpdeskAgents', HELPDESK_AGENTS);
  await setupAt(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupAt(sb, ['partner', 'set', '--admin-agents-group', ADMIN_AGENTS, '--helpdesk-agents-group', HELPDESK_AGENTS]);
  await setupAt(sb, ['user', 'add', LEE, '--name', 'Lee']);
  w = worldOf(fake, sb, env);
  fake.requests.length = 0;
});
afterEach(() => w.sb.cleanup());

const helpdesk = (fake: FakeMicrosoft) => [...fake.groups.values()].filter((g) => g.displayName === 'Helpdesk');
const madeOnce = async ({ fake }: World) => expect(helpdesk(fake).length).toBeLessThanOrEqual(1);

const ROWS: Row[] = [
  {
    name: 'group create',
    args: ['group', 'create', 'Helpdesk'],
    change: { method: 'POST', path: '/groups' },
    after: async (x) => expect(helpdesk(x.fake)).toHaveLength(1),
  },
  {
    name: 'group delete',
    args: ['group', 'delete', 'Helpdesk', '--yes'],
    change: { method: 'DELETE', path: /^\/groups\/[^/]+$/ },
    setup: (x) => x.liveOk(['group', 'create', 'Helpdesk']).then(() => undefined),
    after: async (x) => expect(helpdesk(x.fake)).toHaveLength(0),
  },
  {
    name: 'group add-member',
    args: ['group', 'add-member', 'Helpdesk', LEE],
    change: { method: 'POST', path: /^\/groups\/[^/]+\/members\/\$ref$/ },
    setup: (x) => x.liveOk(['group', 'create', 'Helpdesk']).then(() => undefined),
    after: async (x) => {
      await madeOnce(x);
      expect(helpdesk(x.fake)[0]!.members.size).toBe(1);
    },
  },
  {
    name: 'group remove-member',
    args: ['group', 'remove-member', 'Helpdesk', LEE, '--yes'],
    change: { method: 'DELETE', path: /^\/groups\/[^/]+\/members\/[^/]+\/\$ref$/ },
    setup: async (x) => {
      await x.liveOk(['group', 'create', 'Helpdesk']);
      await x.liveOk(['group', 'add-member', 'Helpdesk', LEE]);
    },
    after: async (x) => expect(helpdesk(x.fake)[0]!.members.size).toBe(0),
  },
  {
    name: 'user grant-admin (AdminAgents membership)',
    args: ['user', 'grant-admin', LEE, '--role', 'full'],
    change: { method: 'POST', path: `/groups/${ADMIN_AGENTS}/members/$ref` },
    after: async (x) => expect(x.fake.groups.get(ADMIN_AGENTS)!.members.size).toBe(2), // the admin and Lee
  },
  {
    name: 'user revoke-admin (AdminAgents membership)',
    args: ['user', 'revoke-admin', LEE, '--yes'],
    change: { method: 'DELETE', path: /^\/groups\/[^/]+\/members\/[^/]+\/\$ref$/ },
    setup: (x) => x.liveOk(['user', 'grant-admin', LEE, '--role', 'full']).then(() => undefined),
    after: async (x) => expect(x.fake.groups.get(ADMIN_AGENTS)!.members.size).toBe(1), // the admin
  },
];

describe.each(matrix(ROWS))('%s --live, %s', (rowName, fault) => {
  it('after the same command again: Microsoft and the ledger agree, nothing twice, every message true', async () => {
    const row = ROWS.find((r) => r.name === rowName)!;
    await row.setup?.(w);
    w.fake.requests.length = 0;
    await runCell(w, row, fault);
  });
});

/**
 * A read cut short is an error, never an empty page (issue 19: a 200 with truncated JSON on the AdminAgents
 * members read was taken as an empty group, and `sync` set every partner user's admin access to none).
 */
describe.each([
  ['a 200 with truncated JSON', { kind: 'truncated' as const }],
  ['pages that never end', { kind: 'endless' as const }],
])('sync, the AdminAgents members read gives %s', (_what, f) => {
  it('sync exits non-zero naming what it could not read, and nobody loses admin access', async () => {
    await w.liveOk(['user', 'grant-admin', LEE, '--role', 'full']);
    w.fake.pageSize = 1; // two members: a page each (endless: every page has a fresh next link)
    w.fake.fault({ ...f, method: 'GET', path: `/groups/${ADMIN_AGENTS}/members` });
    const r = await runInProcess(['sync'], { env: w.env });
    w.fake.clearFaults();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\/groups\/[^ ]*\/members|users/);
    const access = await withStore(w.sb.db, (st) => st.read(async (tx) => [(await tx.getUser(ADMIN))?.adminAccess, (await tx.getUser(LEE))?.adminAccess]));
    expect(access).toEqual(['full', 'full']);
    await agree(w.fake, w.sb);
  }, 120_000);
});
