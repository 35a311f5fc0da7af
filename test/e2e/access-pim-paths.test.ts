/**
 * `access why` and `access show` with PIM for Groups (SPEC.md "Access: who can do what, and why not"):
 * an eligible member holds nothing until it activates (the fix named is `delegate access activate`);
 * activated, the path holds and the matrix says `activated` with its end; once the activation has
 * ended it is an eligibility again.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ADMIN, TENANT, runBin, sandbox, setupIn, type Sandbox } from '../helpers/cli.js';

const T0 = '2026-03-01T09:00:00.000Z';
const LATER = '2026-03-01T18:00:00.000Z';
const LEE = 'lee@fabrikam.com';
let sb: Sandbox;

beforeAll(async () => {
  sb = await sandbox();
  sb.env.DELEGATE_NOW = T0;
  await setupIn(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupIn(sb, ['user', 'add', LEE, '--name', 'Lee']);
  await setupIn(sb, ['group', 'create', 'Helpdesk']);
  const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--granular', '--name', 'Wingtip', '--roles', 'Helpdesk Administrator', '--json']));
  await setupIn(sb, ['client', 'accept', offer.id, '--domain', 'wingtip.com']);
  await setupIn(sb, ['client', 'assign', 'wingtip.com', '--group', 'Helpdesk', '--roles', 'Helpdesk Administrator']);
  await setupIn(sb, ['group', 'add-member', 'Helpdesk', LEE, '--eligible', '--for', 'P30D']);
});
afterAll(() => sb.cleanup());

type W = { holds: boolean; paths: { via: string; links: { link: string; state: string; fix?: string }[] }[] };
const why = async (now = T0) => {
  const r = await runBin(['access', 'why', LEE, 'wingtip.com', '--action', 'reset-password', '--json'], { ...sb.env, DELEGATE_NOW: now });
  return { code: r.code, w: JSON.parse(r.stdout) as W };
};
const show = async (now = T0) => JSON.parse((await runBin(['access', 'show', LEE, '--json'], { ...sb.env, DELEGATE_NOW: now })).stdout) as { client: string; membership: string; activeUntil?: string }[];

test('eligible: no path holds, the fix is to activate; the matrix shows the membership as eligible', async () => {
  const { code, w } = await why();
  expect(code).toBe(1);
  expect(w.holds).toBe(false);
  const broken = w.paths[0]!.links.find((l) => l.fix !== undefined)!;
  expect(broken.fix).toMatch(/^delegate access activate Helpdesk --reason /);
  expect(await show()).toEqual([expect.objectContaining({ client: 'wingtip.com', membership: 'eligible' })]);
});

test('activated: the path holds and the matrix says activated until its end; after that end, eligible again', async () => {
  const a = await runBin(['access', 'activate', 'Helpdesk', '--reason', 'ticket 4711', '--for', 'PT2H', '--as', LEE, '--json'], sb.env);
  expect(`exit ${a.code}: ${a.stderr}`).toMatch(/^exit 0/);
  expect(JSON.parse(a.stdout)).toMatchObject({ group: 'Helpdesk', status: 'active', activeUntil: '2026-03-01T11:00:00.000Z' });
  expect((await why()).code).toBe(0);
  expect(await show()).toEqual([expect.objectContaining({ client: 'wingtip.com', membership: 'activated', activeUntil: '2026-03-01T11:00:00.000Z' })]);
  const later = await why(LATER);
  expect(later.code).toBe(1);
  expect(await show(LATER)).toEqual([expect.objectContaining({ membership: 'eligible' })]);
});
