/**
 * One name per thing (SPEC.md "The terminal and the docs", Consistency): a
 * grant's or revoke's table headers, CSV header and JSON keys are the same
 * names (`previousAdminAccess`, `adminAccess`, as the user's JSON has it);
 * and a command that writes says what it wrote (`group add-member` names the
 * members it added, `remove-member` those it removed).
 */
import { ADMIN, initPartner, runBin, sandbox, type Result, type Sandbox } from '../helpers/cli.js';

const GRACE = 'grace@fabrikam.com';
const LIN = 'lin@fabrikam.com';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
  await initPartner(sb);
  await ok(['user', 'add', GRACE]);
  await ok(['user', 'add', LIN]);
});
afterEach(() => sb.cleanup());

async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const r = await runBin(args, { ...sb.env, ...env });
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

test('grant-admin and revoke-admin name the access the same way in the table, CSV and JSON', async () => {
  const csv = await ok(['user', 'grant-admin', GRACE, '--role', 'full', '--output', 'csv']);
  expect(csv.stdout).toBe(`email,name,previousAdminAccess,adminAccess,changed\n${GRACE},grace,none,full,true\n`);
  const table = await ok(['user', 'revoke-admin', GRACE, '--yes', '--output', 'table'], { COLUMNS: '120' });
  expect(table.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['email', 'name', 'previousAdminAccess', 'adminAccess', 'changed']);
  const json = JSON.parse((await ok(['user', 'grant-admin', GRACE, '--role', 'limited', '--json'])).stdout);
  expect(json[0]).toMatchObject({ email: GRACE, previousAdminAccess: 'none', adminAccess: 'limited', changed: true });
  // The user's own JSON names it the same.
  const users = JSON.parse((await ok(['user', 'list', '--json'])).stdout) as { email: string; adminAccess: string }[];
  expect(users.find((u) => u.email === GRACE)?.adminAccess).toBe('limited');
});

test('group add-member names the members it added (not those already in); remove-member those it removed', async () => {
  await ok(['group', 'create', 'Helpdesk']);
  const first = await ok(['group', 'add-member', 'Helpdesk', GRACE]);
  expect(first.stderr).toBe(`Added to Helpdesk: ${GRACE}.\n`);
  const second = await ok(['group', 'add-member', 'Helpdesk', GRACE, LIN, ADMIN]);
  expect(second.stderr).toBe(`Added to Helpdesk: ${LIN}, ${ADMIN}.\n`);
  expect(second.stdout).toBe(`Helpdesk\t\t${ADMIN}, ${GRACE}, ${LIN}\n`);
  const none = await ok(['group', 'add-member', 'Helpdesk', GRACE]);
  expect(none.stderr).toBe('Nothing added: every one was already a member of Helpdesk.\n');
  const removed = await ok(['group', 'remove-member', 'Helpdesk', LIN, '--yes']);
  expect(removed.stderr).toBe(`Removed from Helpdesk: ${LIN}.\n`);
  // -q: data only.
  expect((await ok(['group', 'add-member', 'Helpdesk', LIN, '-q'])).stderr).toBe('');
});
