/**
 * The live-mode fault matrix (issue 19), granular relationship rows: the relationship's create and lock,
 * auto-extend (PATCH with If-Match), access assignments (create, update, delete) and terminate. Rows are
 * data (test/helpers/matrix.ts runs each cell): after the fault, the same command again leaves the fake
 * (Microsoft) and the ledger agreeing, nothing twice at Microsoft, and every message true.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { ADMIN, runInProcess, TENANT } from '../helpers/cli.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { matrix, runCell, type Row, type World, worldOf } from '../helpers/matrix.js';

// A cell runs the command two or three times, one of them killed or waiting out a fault's deadline or budget:
// room for a loaded machine, far beyond what a cell takes (seconds).
jest.setTimeout(180_000);

const CONTOSO = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const LEE = 'lee@fabrikam.com';
const REL = '/tenantRelationships/delegatedAdminRelationships';
const ONE_REL = new RegExp(`^${REL}/[^/]+$`);

const theFake = fakeForSuite();
let w: World;

beforeEach(async () => {
  const { fake, sb, env } = await liveSandbox(theFake());
  fake.addUser(ADMIN);
  fake.addUser(LEE);
  fake.addCustomer({ tenantId: CONTOSO, displayName: 'Contoso', defaultDomainName: 'contoso.com' });
  await setupAt(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupAt(sb, ['user', 'add', LEE, '--name', 'Lee']);
  w = worldOf(fake, sb, env);
});
afterEach(() => w.sb.cleanup());

const ok = async (args: string[]) => {
  const r = await runInProcess(args, { env: w.env });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
};

/** A granular offer made live and approved by Contoso at Microsoft, then synced: the client is active. */
async function activeClient(x: World, roles = 'Helpdesk Administrator,User Administrator'): Promise<string> {
  const out = await x.liveOk(['offer', 'create', '--granular', '--roles', roles, '--name', 'Contoso GDAP', '--json']);
  const id = JSON.parse(out).granular.relationshipId as string;
  x.fake.approve(id, { tenantId: CONTOSO, displayName: 'Contoso' });
  await ok(['sync', '--json']);
  return id;
}
async function assigned(x: World, roles = 'Helpdesk Administrator'): Promise<void> {
  await activeClient(x);
  await x.liveOk(['group', 'create', 'Helpdesk']);
  await x.liveOk(['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', roles]);
}
const named = (fake: FakeMicrosoft, name: string) => [...fake.relationships.values()].filter((r) => r.displayName === name);
const assignments = (fake: FakeMicrosoft) => [...fake.accessAssignments.values()].flat().filter((a) => !['deleted', 'deleting'].includes(String(a.status)));

const ROWS: Row[] = [
  {
    name: 'offer create --granular (relationship create)',
    args: ['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--json'],
    change: { method: 'POST', path: REL },
    after: async (x) => {
      expect(named(x.fake, 'Contoso GDAP')).toHaveLength(1);
      expect(named(x.fake, 'Contoso GDAP')[0]!.status).toBe('approvalPending');
    },
  },
  {
    name: 'offer create --granular (lock for approval)',
    args: ['offer', 'create', '--granular', '--roles', 'Helpdesk Administrator', '--name', 'Contoso GDAP', '--json'],
    change: { method: 'POST', path: new RegExp(`^${REL}/[^/]+/requests$`) },
    after: async (x) => {
      expect(named(x.fake, 'Contoso GDAP')).toHaveLength(1);
      expect(named(x.fake, 'Contoso GDAP')[0]!.status).toBe('approvalPending');
      expect([...x.fake.relationshipRequests.values()].flat().filter((q) => q.action === 'lockForApproval')).toHaveLength(1);
    },
  },
  {
    name: 'client extend (PATCH with If-Match)',
    args: ['client', 'extend', 'contoso.com'],
    change: { method: 'PATCH', path: ONE_REL },
    setup: (x) => activeClient(x).then(() => undefined),
    after: async (x) => expect(named(x.fake, 'Contoso GDAP')[0]!.autoExtendDuration).toBe('P180D'),
  },
  {
    name: 'client remove-role (PATCH the roles with If-Match)',
    args: ['client', 'remove-role', 'contoso.com', '--role', 'Global Administrator', '--yes'],
    change: { method: 'PATCH', path: ONE_REL },
    // Graph lets an active relationship lose only Global Administrator.
    setup: (x) => activeClient(x, 'Helpdesk Administrator,Global Administrator').then(() => undefined),
    after: async (x) => expect((named(x.fake, 'Contoso GDAP')[0]!.accessDetails as { unifiedRoles: unknown[] }).unifiedRoles).toHaveLength(1),
  },
  {
    name: 'client assign (access assignment create)',
    args: ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator'],
    change: { method: 'POST', path: new RegExp(`^${REL}/[^/]+/accessAssignments$`) },
    setup: async (x) => {
      await activeClient(x);
      await x.liveOk(['group', 'create', 'Helpdesk']);
    },
    after: async (x) => expect(assignments(x.fake)).toHaveLength(1),
  },
  {
    name: 'client assign (access assignment update)',
    args: ['client', 'assign', 'contoso.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator,User Administrator'],
    change: { method: 'PATCH', path: new RegExp(`^${REL}/[^/]+/accessAssignments/[^/]+$`) },
    setup: (x) => assigned(x),
    after: async (x) => {
      expect(assignments(x.fake)).toHaveLength(1);
      expect((assignments(x.fake)[0]!.accessDetails as { unifiedRoles: unknown[] }).unifiedRoles).toHaveLength(2);
    },
  },
  {
    name: 'client unassign (access assignment delete)',
    args: ['client', 'unassign', 'contoso.com', '--group', 'Helpdesk', '--yes'],
    change: { method: 'DELETE', path: new RegExp(`^${REL}/[^/]+/accessAssignments/[^/]+$`) },
    setup: (x) => assigned(x),
    after: async (x) => expect(assignments(x.fake)).toHaveLength(0),
  },
  {
    name: 'client terminate',
    args: ['client', 'terminate', 'contoso.com', '--yes'],
    change: { method: 'POST', path: new RegExp(`^${REL}/[^/]+/requests$`) },
    setup: (x) => activeClient(x).then(() => undefined),
    after: async (x) => expect([...x.fake.relationshipRequests.values()].flat().filter((q) => q.action === 'terminate')).toHaveLength(1),
  },
  {
    name: 'client remove (Partner Center: DAP end)',
    args: ['client', 'remove', 'contoso.com', '--yes'],
    change: { method: 'PATCH', path: `/v1/customers/${CONTOSO}` },
    setup: async (x) => {
      x.fake.customers.get(CONTOSO)!.allowDelegatedAccess = true;
      // The client's tenant as Microsoft holds it (accepting records its domain and initial domain).
      for (const [id, isInitial] of [
        ['contoso.com', false],
        ['contoso.onmicrosoft.com', true],
      ] as const) {
        x.fake.domains.set(id, { id, isInitial, isVerified: true, isDefault: !isInitial, authenticationType: 'Managed', supportedServices: [] });
      }
      const offerId = JSON.parse(await ok(['offer', 'create', '--json'])).id as string;
      await ok(['client', 'accept', offerId, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CONTOSO]);
    },
    after: async (x) => {
      expect(x.fake.customers.get(CONTOSO)!.allowDelegatedAccess).toBe(false);
      expect(JSON.parse(await ok(['client', 'show', 'contoso.com', '--json'])).status).toBe('removed');
    },
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
