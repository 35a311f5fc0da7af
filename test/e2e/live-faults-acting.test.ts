/**
 * The live-mode fault matrix (issue 19), rows acting in a client's tenant: users (one, an admin, a bulk
 * file of 25 in two `$batch` envelopes, the fault on the second), password resets, user removal and
 * domains. Rows are data (test/helpers/matrix.ts runs each cell): after the fault, the same command again
 * (and `delegate recover` for a password nobody saw) leaves the fake (Microsoft) and the ledger agreeing,
 * nothing twice, every created user's password shown exactly once, and every message true.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { ADMIN, runInProcess, TENANT } from '../helpers/cli.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { matrix, runCell, type Row, type World, worldOf } from '../helpers/matrix.js';
import { agree } from '../helpers/faults.js';

// A cell runs the command two or three times, one of them killed or waiting out a fault's deadline or budget:
// room for a loaded machine, far beyond what a cell takes (seconds).
jest.setTimeout(180_000);

const CLIENT_TENANT = '6b0e8a3c-1d2f-4e5a-9b8c-7d6e5f4a3b2c';
const STAFF = Array.from({ length: 25 }, (_, i) => `u${String(i + 1).padStart(2, '0')}@contoso.com`);

const theFake = fakeForSuite();
let w: World;
let staffFile: string;

beforeEach(async () => {
  const { fake, sb, env } = await liveSandbox(theFake());
  for (const [id, isInitial] of [
    ['contoso.com', false],
    ['contoso.onmicrosoft.com', true],
  ] as const) {
    fake.domains.set(id, { id, isInitial, isVerified: true, isDefault: !isInitial, authenticationType: 'Managed', supportedServices: [] });
  }
  await setupAt(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  const offerId = JSON.parse(await setupAt(sb, ['offer', 'create', '--json'])).id as string;
  await setupAt(sb, ['client', 'accept', offerId, '--domain', 'contoso.com', '--name', 'Contoso', '--tenant-id', CLIENT_TENANT]);
  staffFile = join(sb.dir, 'staff.csv');
  writeFileSync(staffFile, `upn,name,admin\n${STAFF.map((u) => `${u},${u.split('@')[0]},false`).join('\n')}\n`);
  w = worldOf(fake, sb, env);
});
afterEach(() => w.sb.cleanup());

const users = (fake: FakeMicrosoft, upn: string | RegExp) => [...fake.users.values()].filter((u) => (typeof upn === 'string' ? u.userPrincipalName === upn : upn.test(String(u.userPrincipalName))));
const addAlex = (x: World) => x.liveOk(['client', 'user', 'add', 'contoso.com', 'alex@contoso.com', '--json']).then(() => undefined);

/**
 * Every command acting in a client reads its tenant's domains first (a collection: the endless cell, 10,000
 * pages, some seconds each; on the rows that add, where a cut read would matter most).
 */
const TENANT_READ = { method: 'GET' as const, path: '/domains' };

const ROWS: Row[] = [
  {
    name: 'client user add',
    args: ['client', 'user', 'add', 'contoso.com', 'alex@contoso.com', '--json'],
    change: { method: 'POST', path: '/users' },
    read: TENANT_READ,
    passwords: true,
    after: async (x) => expect(users(x.fake, 'alex@contoso.com')).toHaveLength(1),
  },
  {
    name: 'client user add --admin (role assignment)',
    args: ['client', 'user', 'add', 'contoso.com', 'boss@contoso.com', '--admin', '--json'],
    change: { method: 'POST', path: '/roleManagement/directory/roleAssignments' },
    passwords: true,
    after: async (x) => {
      expect(users(x.fake, 'boss@contoso.com')).toHaveLength(1);
      expect(x.fake.roleAssignments).toHaveLength(1);
    },
  },
  {
    name: 'client user add --file (25 users, the 2nd $batch envelope)',
    args: ['client', 'user', 'add', 'contoso.com', '--file', '<staff>', '--json'],
    change: { path: '/$batch', inBatch: false, after: 1 },
    read: TENANT_READ,
    passwords: true,
    after: async (x) => {
      for (const u of STAFF) expect(users(x.fake, u)).toHaveLength(1);
    },
  },
  {
    name: 'client user reset-password',
    args: ['client', 'user', 'reset-password', 'contoso.com', 'alex@contoso.com', '--json'],
    change: { method: 'PATCH', path: /^\/users\/[^/]+$/ },
    setup: addAlex,
    passwords: true,
  },
  {
    name: 'client user remove',
    args: ['client', 'user', 'remove', 'contoso.com', 'alex@contoso.com', '--yes'],
    change: { method: 'DELETE', path: /^\/users\/[^/]+$/ },
    setup: addAlex,
    after: async (x) => expect(users(x.fake, 'alex@contoso.com')).toHaveLength(0),
  },
  {
    name: 'client domain add',
    args: ['client', 'domain', 'add', 'contoso.com', 'fabrikam.net'],
    change: { method: 'POST', path: '/domains' },
    read: TENANT_READ,
    after: async (x) => expect(x.fake.domains.has('fabrikam.net')).toBe(true),
  },
  {
    name: 'client domain verify',
    args: ['client', 'domain', 'verify', 'contoso.com', 'fabrikam.net'],
    change: { method: 'POST', path: '/domains/fabrikam.net/verify' },
    setup: (x) => x.liveOk(['client', 'domain', 'add', 'contoso.com', 'fabrikam.net']).then(() => undefined),
    after: async (x) => expect(x.fake.domains.get('fabrikam.net')?.isVerified).toBe(true),
  },
  {
    name: 'client domain remove',
    args: ['client', 'domain', 'remove', 'contoso.com', 'fabrikam.net', '--yes'],
    change: { method: 'DELETE', path: '/domains/fabrikam.net' },
    setup: (x) => x.liveOk(['client', 'domain', 'add', 'contoso.com', 'fabrikam.net']).then(() => undefined),
    after: async (x) => expect(x.fake.domains.has('fabrikam.net')).toBe(false),
  },
];

describe.each(matrix(ROWS))('%s --live, %s', (rowName, fault) => {
  it('after the same command again (and recover): Microsoft and the ledger agree, nothing twice, passwords shown once, every message true', async () => {
    const given = ROWS.find((r) => r.name === rowName)!;
    const row = { ...given, args: given.args.map((a) => (a === '<staff>' ? staffFile : a)) };
    await row.setup?.(w);
    w.fake.requests.length = 0;
    await runCell(w, row, fault);
  });
});

describe('client user add --file --live --json, the 2nd envelope answer lost and its read-back failing', () => {
  it('each item says what became of it (20 applied with their passwords, 5 pending with their intent ids, exit 1 naming `delegate pending`); `delegate recover` records the 5 and shows each new password once', async () => {
    const args = ['client', 'user', 'add', 'contoso.com', '--file', staffFile, '--json'];
    w.fake.fault({ kind: 'lost', path: '/$batch', inBatch: false, after: 1 });
    w.fake.fault({ kind: 'error', status: 500, method: 'GET', path: /^\/users\/[^/]+$/, times: 5 });
    const r = await runInProcess([...args, '--live'], { env: w.env });
    w.fake.clearFaults();
    expect(r.code).toBe(1);
    const items = JSON.parse(r.stdout) as { item: string; outcome: string; intentId?: string; result?: { temporaryPassword: string } }[];
    expect(items.map((i) => i.item)).toEqual(STAFF);
    const pending = items.filter((i) => i.outcome === 'pending');
    expect(pending).toHaveLength(5);
    expect(items.filter((i) => i.outcome === 'applied')).toHaveLength(20);
    expect(r.stderr).toMatch(/5 of 25 items not applied at Microsoft .*those pending may or may not be: see `delegate pending`/);
    const open = JSON.parse((await runInProcess(['pending', '--json'], { env: w.env })).stdout) as { id: string; target: string }[];
    expect(open.map((i) => i.id).sort()).toEqual(pending.map((i) => i.intentId).sort());

    const rec = await runInProcess(['recover', '--json'], { env: w.env });
    expect(rec.code).toBe(0);
    const recovered = JSON.parse(rec.stdout) as { target: string; outcome: string; temporaryPassword?: string }[];
    expect(recovered.map((x) => x.outcome)).toEqual(Array(5).fill('applied'));
    // Every user's password at Microsoft was shown exactly once: 20 in the bulk JSON, 5 by recover.
    const shown = [...items.flatMap((i) => (i.result ? [i.result.temporaryPassword] : [])), ...recovered.map((x) => x.temporaryPassword!)];
    for (const u of STAFF) expect(shown.filter((p) => p === users(w.fake, u)[0]!.passwordProfile!.password)).toHaveLength(1);
    await agree(w.fake, w.sb);
  });
});
