/**
 * `--dry-run` on the three bulk imports (SPEC.md "The terminal and the docs",
 * Consistency): `user add --file`, `client accept --file`, `client user add
 * --file` check everything, print what would be written, write nothing (the
 * store's bytes unchanged), exit 0; a bad file is refused exactly as without
 * --dry-run; the same command without it then writes what the dry run printed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, expectOneLine, initPartner, runBin, sandbox, storeHash, type Result, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
let offer: string;
beforeEach(async () => {
  sb = await sandbox();
  await initPartner(sb);
  offer = JSON.parse((await ok(['offer', 'create', '--json'])).stdout).id;
});
afterEach(() => sb.cleanup());

const run = (args: string[], stdin?: string) => runBin(args, sb.env, stdin);
async function ok(args: string[], stdin?: string): Promise<Result> {
  const r = await run(args, stdin);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}
function file(name: string, text: string): string {
  const path = join(sb.dir, name);
  writeFileSync(path, text);
  return path;
}

/** A dry run: exit 0, what it would write on stdout, the store's bytes as they were. */
async function dry(args: string[]): Promise<Result> {
  const before = await storeHash(sb.db);
  const r = await run([...args, '--dry-run']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/nothing was written \(--dry-run\)\.\n$/);
  expect(await storeHash(sb.db)).toBe(before);
  return r;
}

/** Refused (exit 2, one line naming the line), with or without --dry-run, nothing written. */
async function refusedBoth(args: string[], message: RegExp): Promise<void> {
  const before = await storeHash(sb.db);
  for (const extra of [['--dry-run'], []]) {
    const r = await run([...args, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, message);
  }
  expect(await storeHash(sb.db)).toBe(before);
}

test('user add --file --dry-run: the users it would add, nothing written; then the real run adds exactly those', async () => {
  const users = file('users.csv', 'email,name\ngrace@fabrikam.com,Grace Hopper\nlin@fabrikam.com,\n');
  const r = await dry(['user', 'add', '--file', users, '--json']);
  const would = JSON.parse(r.stdout) as { email: string; name: string }[];
  expect(would.map((u) => [u.email, u.name])).toEqual([['grace@fabrikam.com', 'Grace Hopper'], ['lin@fabrikam.com', 'lin']]);
  expect(r.stderr).toContain(`Would add 2 users from ${users}; nothing was written (--dry-run).`);
  expect(JSON.parse((await ok(['user', 'list', '--json'])).stdout)).toHaveLength(1);
  const audit = JSON.parse((await ok(['audit', '--json'])).stdout) as unknown[];
  const real = await ok(['user', 'add', '--file', users, '--json']);
  expect(JSON.parse(real.stdout)).toEqual(would);
  expect(JSON.parse((await ok(['audit', '--json'])).stdout)).toHaveLength(audit.length + 1);
  // Now they exist: the dry run finds the same problem the real run would.
  await refusedBoth(['user', 'add', '--file', users], /users\.csv: 2 bad rows, nothing written: line 2: grace@fabrikam\.com already exists/);
});

test('user add --dry-run of one user, and a bad row refused as without it', async () => {
  const r = await dry(['user', 'add', 'grace@fabrikam.com', '--name', 'Grace Hopper']);
  expect(r.stdout).toMatch(/^grace@fabrikam\.com\tGrace Hopper\t/);
  await refusedBoth(['user', 'add', '--file', file('bad.csv', 'email\nnot-an-email\n')], /bad\.csv: 1 bad row, nothing written: line 2: .*not-an-email/);
});

test('client accept --file --dry-run: the clients it would record, nothing written (no client, notification or audit entry)', async () => {
  const clients = file('clients.csv', 'domain,name,tenantId\ncontoso.com,Contoso Ltd,\nwingtip.com,,\n');
  const r = await dry(['client', 'accept', offer, '--file', clients, '--json']);
  const would = JSON.parse(r.stdout) as { domain: string; name: string; offerId: string }[];
  expect(would.map((c) => [c.domain, c.name, c.offerId])).toEqual([['contoso.com', 'Contoso Ltd', offer], ['wingtip.com', 'wingtip.com', offer]]);
  expect(r.stderr).toContain(`Would record 2 acceptances of offer ${offer}; nothing was written (--dry-run).`);
  expect((await ok(['client', 'list'])).stdout).toBe('');
  expect((await ok(['inbox'])).stdout).toBe('');
  const real = JSON.parse((await ok(['client', 'accept', offer, '--file', clients, '--json'])).stdout) as { domain: string }[];
  expect(real.map((c) => c.domain)).toEqual(['contoso.com', 'wingtip.com']);
  await refusedBoth(['client', 'accept', offer, '--file', file('twice.csv', 'domain\nnorthwind.com\nnorthwind.com\n')], /twice\.csv: 1 bad row, nothing written: line 3: northwind\.com appears twice/);
});

test('client user add --file --dry-run: the users it would add, without passwords, nothing written; not with --live or --plan', async () => {
  await ok(['client', 'accept', offer, '--domain', 'contoso.com']);
  const staff = file('staff.csv', 'upn,name,admin\nalex@contoso.com,Alex Wilber,false\nmeg@contoso.com,,true\n');
  const r = await dry(['client', 'user', 'add', 'contoso.com', '--file', staff, '--json']);
  const would = JSON.parse(r.stdout) as Record<string, unknown>[];
  expect(would.map((u) => [u.upn, u.name, u.isAdmin])).toEqual([['alex@contoso.com', 'Alex Wilber', false], ['meg@contoso.com', 'meg', true]]);
  for (const u of would) expect(u).not.toHaveProperty('temporaryPassword');
  expect(r.stderr).toContain('Would add 2 users to contoso.com; nothing was written (--dry-run).');
  expect((await ok(['client', 'user', 'list', 'contoso.com'])).stdout).toBe('');
  const real = JSON.parse((await ok(['client', 'user', 'add', 'contoso.com', '--file', staff, '--json'])).stdout) as { upn: string; temporaryPassword: string }[];
  expect(real.map((u) => u.upn)).toEqual(['alex@contoso.com', 'meg@contoso.com']);
  await refusedBoth(['client', 'user', 'add', 'contoso.com', '--file', file('other.csv', 'upn\nsam@fabrikam.com\n')], /other\.csv: 1 bad row, nothing written: line 2: UPN sam@fabrikam\.com is not in a domain of contoso\.com/);
  const before = await storeHash(sb.db);
  for (const extra of [['--live'], ['--plan']]) {
    const both = await run(['client', 'user', 'add', 'contoso.com', '--file', staff, '--dry-run', ...extra]);
    expect(both.code).toBe(2);
    expectOneLine(both.stderr, /--dry-run checks against the ledger and writes nothing; it does not go with --live or --plan/);
  }
  expect(await storeHash(sb.db)).toBe(before);
});

test('a dry run by someone who may not do it is refused and audited like the change itself (exit 4)', async () => {
  await ok(['user', 'add', 'lin@fabrikam.com']);
  const users = file('users.csv', 'email\ngrace@fabrikam.com\n');
  const r = await run(['--as', 'lin@fabrikam.com', 'user', 'add', '--file', users, '--dry-run']);
  expect(r.code).toBe(4);
  const audit = JSON.parse((await ok(['audit', '--action', 'user.add', '--json'])).stdout) as { outcome: string; actor: string }[];
  expect(audit.at(-1)).toMatchObject({ outcome: 'denied', actor: 'lin@fabrikam.com' });
  expect(JSON.parse((await ok(['user', 'list', '--json'])).stdout).map((u: { email: string }) => u.email).sort()).toEqual([ADMIN, 'lin@fabrikam.com']);
});
