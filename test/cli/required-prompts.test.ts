/**
 * Required values (SPEC.md "Behaviour every command keeps"; issue: `client
 * domain add`, `group create`, `template create`, `offer create --granular`
 * and `client accept`): asked for on a terminal; without one (or with
 * --no-input) every missing value is named in ONE message, exit 2, and
 * nothing is written.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { ADMIN, TENANT, expectOneLine, runBin, runInProcess, sandbox, setupIn, storeHash, type Sandbox } from '../helpers/cli.js';
import { runOnPty } from '../helpers/pty.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
  sb.env.DELEGATE_NOW = '2026-03-01T09:00:00.000Z';
  await setupIn(sb, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
});
afterEach(() => sb.cleanup());

const atTerminal = (args: string[], answers: (string | boolean)[]) => runInProcess(args, { env: sb.env, tty: true, answers });

async function expectAllNamed(args: string[], message: string): Promise<void> {
  const before = await storeHash(sb.db);
  for (const extra of [[], ['--no-input']]) {
    const r = extra.length ? await runInProcess([...extra, ...args], { env: sb.env, tty: true }) : await runBin(args, sb.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, new RegExp(`^Error: Missing ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(no terminal to ask on\\)\\n$`));
  }
  expect(await storeHash(sb.db)).toBe(before);
}

describe('without a terminal: every missing value in one message, exit 2, nothing written', () => {
  test.each([
    ['client domain add', ['client', 'domain', 'add'], '<client-domain>, <domain>'],
    ['client domain add <client-domain>', ['client', 'domain', 'add', 'contoso.com'], '<domain>'],
    ['group create', ['group', 'create'], '<name>'],
    ['template create', ['template', 'create'], '<name>, --roles <roles>'],
    ['template create <name>', ['template', 'create', 'std'], '--roles <roles>'],
    ['offer create --granular', ['offer', 'create', '--granular'], '--roles <roles> (or --template <name>)'],
    ['client accept', ['client', 'accept'], '<offer-url|offer-id>, --domain'],
    ['client accept --file', ['client', 'accept', '--file', 'clients.csv'], '<offer-url|offer-id>'],
  ])('%s', async (_name, args, message) => {
    await expectAllNamed(args, message);
  });

  test('a bad value given is named before what is missing', async () => {
    const r = await runBin(['client', 'accept', 'https://evil.example/x'], sb.env);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).not.toMatch(/Missing/);
  });
});

describe('on a terminal: asked for, in order', () => {
  test('client domain add asks for the client and the domain', async () => {
    const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--json']));
    await setupIn(sb, ['client', 'accept', offer.id, '--domain', 'contoso.com']);
    const r = await atTerminal(['client', 'domain', 'add', '--json'], ['contoso.com', 'contoso.net']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(["Client's domain (or tenant id):", 'Domain to add:']);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'contoso.net', verified: false });
  });

  test('group create asks for the name', async () => {
    const r = await atTerminal(['group', 'create', '--json'], ['Helpdesk']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(['Security group name:']);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'Helpdesk' });
  });

  test('template create asks for the name and the roles', async () => {
    const r = await atTerminal(['template', 'create', '--json'], ['std', 'Helpdesk Administrator,Global Reader']);
    expect(r.code).toBe(0);
    expect(r.asked).toHaveLength(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'std', roles: expect.arrayContaining([expect.objectContaining({ name: 'Global Reader' })]) });
  });

  test('offer create --granular asks for the roles (not with --template)', async () => {
    const r = await atTerminal(['offer', 'create', '--granular', '--name', 'Contoso', '--json'], ['Global Reader']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(['Roles (names or ids, comma-separated; see `delegate role list`):']);
    expect(JSON.parse(r.stdout).granular.roles).toEqual([{ id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', name: 'Global Reader' }]);
    await setupIn(sb, ['template', 'create', 'std', '--roles', 'Global Reader']);
    const t = await atTerminal(['offer', 'create', '--template', 'std', '--name', 'Wingtip'], []);
    expect(t.code).toBe(0);
    expect(t.asked).toEqual([]);
  });

  test('client accept asks for the offer and the domain', async () => {
    const offer = JSON.parse(await setupIn(sb, ['offer', 'create', '--json']));
    const r = await atTerminal(['client', 'accept', '--json'], [offer.id, 'contoso.com']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(['The link the client followed, or the offer id:', "Client's domain:"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ domain: 'contoso.com', status: 'active' });
  });

  test('on a real terminal: group create prompts, and the typed answer is used', async () => {
    const r = await runOnPty(['group', 'create'], sb.env, /Security group name/, 'Helpdesk\r');
    expect(r.acted).toBe(true);
    expect(r.code).toBe(0);
    const list = await runBin(['group', 'list', '--json'], sb.env);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'Helpdesk' })]);
  });
});
