/**
 * Who is acting (SPEC.md "Who is acting"): on a local store `--as`,
 * DELEGATE_AS and the `actor` setting are a declared identity, checked on
 * every command, reading ones too: not an email is exit 2 (input), an email
 * that is none of the partner's users is exit 3 (existence), input first.
 * Each refusal: one line on stderr, nothing on stdout, the store unchanged.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, copyStore, expectOneLine, expectRefused, runBin, runOk, sandbox, storeHash, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { PG_MODE } from '../helpers/pg-e2e.js';

const T0 = '2026-03-01T09:00:00.000Z';
const LEE = 'lee@fabrikam.com';
const GHOST = 'ghost@fabrikam.com';

const sandboxes: Sandbox[] = [];
let template: Sandbox;

async function newSandbox(): Promise<Sandbox> {
  const sb = await sandbox();
  sandboxes.push(sb);
  return sb;
}

async function copyOfTemplate(): Promise<Sandbox> {
  const sb = await newSandbox();
  await copyStore(template, sb);
  return sb;
}

beforeAll(async () => {
  template = await newSandbox();
  const env = { ...template.env, DELEGATE_NOW: T0 };
  await runOk(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], { env });
  await runOk(['user', 'add', LEE, '--name', 'Lee'], { env });
  const offerId = (JSON.parse(await runOk(['offer', 'create', '--json'], { env })) as { id: string }).id;
  await runOk(['client', 'accept', offerId, '--domain', 'contoso.com'], { env });
  await runOk(['group', 'create', 'Helpdesk'], { env });
});
afterAll(() => Promise.all(sandboxes.map((sb) => sb.cleanup())));

/** Every command that only reads the store. */
const READS: string[][] = [
  ['user', 'list'],
  ['partner', 'show'],
  ['client', 'list'],
  ['client', 'show', 'contoso.com'],
  ['client', 'drift'],
  ['offer', 'list'],
  ['offer', 'link'],
  ['inbox'],
  ['group', 'list'],
  ['template', 'list'],
  ['audit'],
  ['audit', 'verify'],
  ['audit', 'head'],
];
/** A few that write, and one that reads through the acting rules. */
const WRITES: string[][] = [
  ['user', 'add', 'new@fabrikam.com'],
  ['offer', 'create'],
  ['client', 'user', 'list', 'contoso.com'],
];

async function refused(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv, code: number, message: RegExp): Promise<Result> {
  const before = await storeHash(sb.db);
  const r = await runBin(args, { ...sb.env, ...env });
  expect([args.join(' '), r.code]).toEqual([args.join(' '), code]);
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, message);
  expect(await storeHash(sb.db)).toBe(before);
  return r;
}

describe('a declared actor that is not an email: exit 2 on every command', () => {
  test.each([...READS, ...WRITES].map((args) => [args.join(' '), args]))('--as "not an email" %s', async (_name, args) => {
    const sb = await copyOfTemplate();
    await refused(sb, ['--as', 'not an email', ...args], {}, 2, /^Error: --as "not an email" is not a valid email address/);
  });

  test('also an empty --as, DELEGATE_AS, and the actor setting (named as such); --json errors are JSON', async () => {
    const sb = await copyOfTemplate();
    await refused(sb, ['--as', '', 'user', 'list'], {}, 2, /^Error: --as "" is not a valid email/);
    await refused(sb, ['user', 'list'], { DELEGATE_AS: 'lee at fabrikam' }, 2, /^Error: DELEGATE_AS "lee at fabrikam" is not a valid email/);
    const j = await refused(sb, ['--json', '--as', 'nope', 'audit', 'head'], {}, 2, /^\{"error"/);
    expect(JSON.parse(j.stderr)).toEqual({ error: { code: 'usage', message: expect.stringMatching(/^--as "nope" is not a valid email/) } });
    // A hand-edited settings file: `config set actor` validates, the file does not.
    mkdirSync(sb.env.DELEGATE_CONFIG_DIR!, { recursive: true });
    writeFileSync(join(sb.env.DELEGATE_CONFIG_DIR!, 'config.json'), JSON.stringify({ actor: 'lee' }));
    await refused(sb, ['client', 'list'], {}, 2, /^Error: The actor setting "lee" is not a valid email/);
    await refused(sb, ['offer', 'create'], {}, 2, /^Error: The actor setting "lee" is not a valid email/);
    // ... and it can still be repaired: config does not act on the ledger.
    expect((await runBin(['config', 'unset', 'actor'], sb.env)).code).toBe(0);
    expect((await runBin(['client', 'list'], sb.env)).code).toBe(0);
  });

  test('commands that never open the store check it too (config, role list)', async () => {
    const sb = await copyOfTemplate();
    mkdirSync(sb.env.DELEGATE_CONFIG_DIR!, { recursive: true });
    await refused(sb, ['--as', 'x', 'config', 'list'], {}, 2, /^Error: --as "x" is not a valid email/);
    await refused(sb, ['role', 'list'], { DELEGATE_AS: 'x' }, 2, /^Error: DELEGATE_AS "x" is not a valid email/);
  });

  test('--as wins over DELEGATE_AS, which wins over the setting: only the one in use decides', async () => {
    const sb = await copyOfTemplate();
    expect((await runBin(['--as', LEE, 'user', 'list'], { ...sb.env, DELEGATE_AS: GHOST })).code).toBe(0);
    await refused(sb, ['--as', 'bad', 'user', 'list'], { DELEGATE_AS: LEE }, 2, /--as "bad"/);
  });
});

/**
 * On a team store the actor is the database login (SPEC "Who is acting"), and the harness acts as GHOST by
 * connecting with a login mapped to nobody: exit 4, and the refusal audited once as db:<login>.
 */
const asNobody = (sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}) =>
  expectRefused(sb, args, { actor: expect.stringMatching(/^db:/), action: 'session.login', target: expect.any(String) }, /acts for no partner user/, env);

describe(`a declared actor that is none of the partner users: ${PG_MODE ? 'on a team store, a login mapped to nobody: exit 4, audited' : 'exit 3'}, reading commands too`, () => {
  test.each(READS.map((args) => [args.join(' '), args]))('--as ghost %s', async (_name, args) => {
    const sb = await copyOfTemplate();
    if (PG_MODE) await asNobody(sb, ['--as', GHOST, ...args]);
    else await refused(sb, ['--as', GHOST, ...args], {}, 3, /^Error: Acting user ghost@fabrikam\.com is not a user of this partner/);
  });

  test.each(WRITES.map((args) => [args.join(' '), args]))(`--as ghost %s (a write: nothing written, ${PG_MODE ? 'only the refusal audited' : 'no audit entry'})`, async (_name, args) => {
    const sb = await copyOfTemplate();
    if (PG_MODE) await asNobody(sb, ['--as', GHOST, ...args]);
    else await refused(sb, ['--as', GHOST, ...args], {}, 3, /^Error: Acting user ghost@fabrikam\.com is not a user of this partner/);
  });

  test('from DELEGATE_AS or the setting alike', async () => {
    const sb = await copyOfTemplate();
    if (PG_MODE) await asNobody(sb, ['user', 'list'], { DELEGATE_AS: GHOST });
    else await refused(sb, ['user', 'list'], { DELEGATE_AS: GHOST }, 3, /ghost@fabrikam\.com is not a user/);
    expect((await runBin(['config', 'set', 'actor', GHOST], sb.env)).code).toBe(0);
    // A team store takes no actor setting at all (exit 4, audited).
    if (PG_MODE) await expectRefused(sb, ['audit'], { actor: expect.any(String), action: expect.any(String), target: expect.any(String) }, /actor setting is refused on a team store/);
    else await refused(sb, ['audit'], {}, 3, /ghost@fabrikam\.com is not a user/);
  });

  test('input is checked first: a bad argument is exit 2 even for an unknown actor', async () => {
    const sb = await copyOfTemplate();
    await refused(sb, ['--as', GHOST, 'client', 'show', 'not a domain'], {}, 2, /domain "not a domain" is not a valid domain/);
    await refused(sb, ['--as', GHOST, 'audit', '--since', 'yesterday'], {}, 2, /--since/);
    await refused(sb, ['--as', GHOST, 'audit', 'verify', '--expect', '3'], {}, 2, /--expect/);
    await refused(sb, ['--as', GHOST, 'user', 'list', '--access', 'root'], {}, 2, /--access/);
    // ... and a missing store or partner is reported as such.
    const empty = await newSandbox();
    const r = await runBin(['--as', GHOST, 'user', 'list'], empty.env);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/ghost/);
  });

  test('a partner user may read, whatever their access; the email is matched without case', async () => {
    const sb = await copyOfTemplate();
    const before = await storeHash(sb.db);
    for (const args of READS) {
      const r = await runBin(['--as', 'Lee@Fabrikam.COM', ...args], sb.env);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 0]);
    }
    expect(await storeHash(sb.db)).toBe(before);
  });
});
