/**
 * The fault-matrix tools at work (test/helpers/faults.ts): the built CLI is
 * SIGKILLed after Microsoft (the loopback fake) has applied a change and
 * answered, before the ledger write; `disagreements`/`agree` compare the
 * fake with the ledger. After the kill the change is pending (its intent
 * was committed before the request), and the same command again, `delegate
 * recover` or `delegate sync` records it: the fake and the ledger agree, one
 * group at Microsoft. Issue 19's matrix (live-faults-*.test.ts) runs every
 * live command through this.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FakeMicrosoft } from '../fake-microsoft/server.js';
import { agree, disagreements, killAfterAnswer } from '../helpers/faults.js';
import { fakeForSuite, liveSandbox, setupAt } from '../helpers/live.js';
import { ADMIN, runBin, spawnBin, TENANT, withStore, type Sandbox } from '../helpers/cli.js';

const LEE = 'lee@fabrikam.com';

const theFake = fakeForSuite();
let fake: FakeMicrosoft;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  ({ fake, sb, env } = await liveSandbox(theFake()));
  fake.addUser(ADMIN);
  fake.addUser(LEE);
  await setupAt(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setupAt(sb, ['user', 'add', LEE, '--name', 'Lee']);
});
afterEach(() => sb.cleanup());

const group = (name: string) => withStore(sb.db, (st) => st.read((tx) => tx.getGroup(name)));
const atFake = (name: string) => [...fake.groups.values()].filter((g) => g.displayName === name);

describe('killed after the answer, before the ledger write', () => {
  it.each([
    ['the same command again', ['group', 'create', 'Helpdesk', '--live']],
    ['delegate recover', ['recover', '--json']],
    ['delegate sync', ['sync', '--json']],
  ])('group create --live: Microsoft has the group, `delegate pending` lists the change; after %s the ledger has it, once', async (_how, after) => {
    const k = await killAfterAnswer(fake, sb, ['group', 'create', 'Helpdesk', '--live'], { method: 'POST', path: '/groups' });
    expect(k.signal).toBe('SIGKILL');
    expect(k.held).toMatchObject({ status: 201, body: expect.objectContaining({ displayName: 'Helpdesk' }) });
    const made = atFake('Helpdesk');
    expect(made).toHaveLength(1);
    expect(made[0]!.id).toBe((k.held.body as { id: string }).id);
    // The intent was committed before the request: the change is pending, not lost.
    expect(await group('Helpdesk')).toBeUndefined();
    const pending = await runBin(['pending', '--json'], env);
    expect(JSON.parse(pending.stdout)).toEqual([expect.objectContaining({ command: 'group.create', action: 'group.create', method: 'POST' })]);

    const r = await runBin(after, env);
    if (after[0] === 'group') {
      // The change is the earlier run's: recovered, never made twice; the refusal says what recovery found.
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/Recovered an earlier run's change: .*A security group named Helpdesk already exists/);
    } else expect(`exit ${r.code}: ${r.stderr}`).toMatch(/^exit 0: /);
    expect(await group('Helpdesk')).toMatchObject({ objectId: made[0]!.id });
    expect(atFake('Helpdesk')).toHaveLength(1);
    expect(JSON.parse((await runBin(['pending', '--json'], env)).stdout)).toEqual([]);
    await agree(fake, sb);
  });
});

describe('another signal after the answer', () => {
  it('SIGTERM while the answer is held: the CLI handles it (exit 143, one line), Microsoft has the group', async () => {
    const k = await killAfterAnswer(fake, sb, ['group', 'create', 'Helpdesk', '--live'], { method: 'POST', path: '/groups' }, { signal: 'SIGTERM' });
    expect(k.code).toBe(143);
    expect(k.stderr).toMatch(/^Interrupted \(SIGTERM\)/);
    expect(k.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(atFake('Helpdesk')).toHaveLength(1);
  });
});

describe('agree', () => {
  it('holds after live commands that ran to the end, and names each difference when Microsoft changes behind the ledger', async () => {
    expect((await spawnBin(['group', 'create', 'Helpdesk', '--live'], env)).code).toBe(0);
    expect((await spawnBin(['group', 'add-member', 'Helpdesk', LEE, '--live'], env)).code).toBe(0);
    await agree(fake, sb);
    const g = atFake('Helpdesk')[0]!;
    g.members.clear();
    fake.addGroup('Helpdesk');
    const problems = await disagreements(fake, sb);
    expect(problems).toEqual([
      'group Helpdesk: members at Microsoft [], in the ledger [lee@fabrikam.com]',
      expect.stringMatching(/^group "Helpdesk" \([0-9a-f-]{36}\) exists at Microsoft, not in the ledger$/),
      'group "Helpdesk" exists 2 times at Microsoft',
    ]);
  });

  it('a CLI that ends before the held request is reached fails the helper, naming its output', async () => {
    await expect(killAfterAnswer(fake, sb, ['group', 'create', 'Nope', '--bogus-flag', '--live'], { method: 'POST', path: '/groups' })).rejects.toThrow(/ended \(exit 2\) before an answer to POST \/groups was held/);
    fake.clearFaults();
  });
});
