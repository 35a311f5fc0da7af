/**
 * Prompts, confirmations and the clipboard, through the injected prompter and
 * clipboard (in-process, with a fake terminal). SPEC: prompts only when stdin
 * and stdout are terminals and --no-input is not set; otherwise a missing
 * value is exit 2 naming the flag; a "no" or a cancel at a prompt is exit 130
 * and changes nothing.
 */
import { existsSync } from 'node:fs';
import { ADMIN, runInProcess, sandbox, storeHash, TENANT, type InProcessOptions, type Sandbox } from '../helpers/cli.js';
import type { Answer } from '../helpers/prompter.js';

const ADMIN_URL = `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`;
const GRACE = 'grace@fabrikam.com';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(() => sb.cleanup());

/** Run against the sandbox's store. */
const cli = (args: string[], opts: InProcessOptions = {}) => runInProcess(['--db', sb.db, ...args], opts);
/** On a (fake) terminal, answering from a script. */
const atTerminal = (args: string[], answers: Answer[] = [], opts: InProcessOptions = {}) => cli(args, { tty: true, answers, ...opts });

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const json = async (args: string[]) => JSON.parse(await ok([...args, '--json']));

async function initFabrikam(): Promise<void> {
  await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
}

/** A partner with a plain offer, an active client and a second user. */
async function scene(): Promise<{ offerId: string }> {
  await initFabrikam();
  const offerId = (await json(['offer', 'create'])).id as string;
  await ok(['client', 'accept', ADMIN_URL, '--domain', 'contoso.com', '--name', 'Contoso Ltd']);
  await ok(['user', 'add', GRACE]);
  return { offerId };
}

describe('init', () => {
  test('prompts for name, tenant, admin, cloud and certification when none is given, and uses the answers', async () => {
    const r = await atTerminal(['init'], ['Fabrikam IT', TENANT, ADMIN, 'china', true]);
    expect(r.code).toBe(0);
    expect(r.asked).toHaveLength(5);
    expect(r.asked[0]).toMatch(/name/i);
    expect(r.asked[1]).toMatch(/tenant/i);
    expect(r.asked[2]).toMatch(/admin/i);
    expect(r.asked[3]).toMatch(/cloud/i);
    expect(r.asked[4]).toMatch(/certified/i);
    expect(await json(['partner', 'show'])).toMatchObject({ name: 'Fabrikam IT', tenantId: TENANT, cloud: 'china', certified: true });
    expect(await json(['user', 'list'])).toEqual([expect.objectContaining({ email: ADMIN, orgRole: 'global-admin', adminAccess: 'full' })]);
  });

  test('asks only for what the flags leave out', async () => {
    const r = await atTerminal(['init', '--name', 'Fabrikam IT', '--cloud', 'global'], [TENANT, ADMIN, false]);
    expect(r.code).toBe(0);
    expect(r.asked).toHaveLength(3);
    expect(r.asked[0]).toMatch(/tenant/i);
    expect(r.asked[1]).toMatch(/admin/i);
    expect(r.asked[2]).toMatch(/certified/i);
    expect(await json(['partner', 'show'])).toMatchObject({ name: 'Fabrikam IT', cloud: 'global', certified: false });
  });

  test('with every flag given, a terminal is not asked anything', async () => {
    const r = await atTerminal(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--cloud', 'global', '--certified']);
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([]);
  });

  test('without a terminal nothing is asked: a missing value is exit 2 naming the flag, and no store is created', async () => {
    const r = await cli(['init', '--tenant-id', TENANT, '--admin', ADMIN], { tty: false, answers: ['Fabrikam IT'] });
    expect(r.code).toBe(2);
    expect(r.asked).toEqual([]);
    expect(r.stderr).toContain('--name');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(sb.db)).toBe(false);
  });

  test('--no-input on a terminal: nothing is asked; missing values are exit 2; optional ones take their defaults', async () => {
    const missing = await atTerminal(['init', '--no-input', '--name', 'Fabrikam IT', '--admin', ADMIN], [TENANT]);
    expect(missing.code).toBe(2);
    expect(missing.asked).toEqual([]);
    expect(missing.stderr).toContain('--tenant-id');
    expect(existsSync(sb.db)).toBe(false);

    const defaults = await atTerminal(['init', '--no-input', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN], ['china', true]);
    expect(defaults.code).toBe(0);
    expect(defaults.asked).toEqual([]);
    expect(await json(['partner', 'show'])).toMatchObject({ cloud: 'global', certified: false });
  });

  test.each([
    ['at the first prompt', ['CANCEL'] as Answer[]],
    ['at the cloud prompt', ['Fabrikam IT', TENANT, ADMIN, 'CANCEL'] as Answer[]],
    ['at the certification prompt', ['Fabrikam IT', TENANT, ADMIN, 'global', 'CANCEL'] as Answer[]],
  ])('cancelling %s is exit 130 and creates no store', async (_when, answers) => {
    const r = await atTerminal(['init'], answers);
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(sb.db)).toBe(false);
  });
});

describe('confirmation of destructive commands', () => {
  const destructive: { name: string; args: (ids: { offerId: string }) => string[]; about: RegExp; state: (ids: { offerId: string }) => Promise<unknown> }[] = [
    {
      name: 'client remove',
      args: () => ['client', 'remove', 'contoso.com'],
      about: /contoso\.com/,
      state: async () => (await json(['client', 'show', 'contoso.com'])).status,
    },
    {
      name: 'offer revoke',
      args: ({ offerId }) => ['offer', 'revoke', offerId],
      about: /offer/i,
      state: async ({ offerId }) => (await json(['offer', 'link', offerId])).status,
    },
    {
      name: 'user remove',
      args: () => ['user', 'remove', GRACE],
      about: /grace@fabrikam\.com/,
      state: async () => ((await json(['user', 'list'])) as { email: string }[]).map((u) => u.email),
    },
  ];

  describe.each(destructive)('$name', ({ args, about, state }) => {
    test('answering no is exit 130 and changes nothing', async () => {
      const ids = await scene();
      const before = { hash: await storeHash(sb.db), state: await state(ids) };
      const r = await atTerminal(args(ids), [false]);
      expect(r.code).toBe(130);
      expect(r.asked).toHaveLength(1);
      expect(r.asked[0]).toMatch(about);
      expect(r.stdout).toBe('');
      expect(await storeHash(sb.db)).toBe(before.hash);
      expect(await state(ids)).toEqual(before.state);
    });

    test('cancelling the question is exit 130 and changes nothing', async () => {
      const ids = await scene();
      const hash = await storeHash(sb.db);
      const r = await atTerminal(args(ids), ['CANCEL']);
      expect(r.code).toBe(130);
      expect(await storeHash(sb.db)).toBe(hash);
    });

    test('answering yes does it', async () => {
      const ids = await scene();
      const before = await state(ids);
      const r = await atTerminal(args(ids), [true]);
      expect(r.code).toBe(0);
      expect(r.asked).toHaveLength(1);
      expect(await state(ids)).not.toEqual(before);
    });

    test('--yes does it without asking', async () => {
      const ids = await scene();
      const before = await state(ids);
      const r = await atTerminal([...args(ids), '--yes']);
      expect(r.code).toBe(0);
      expect(r.asked).toEqual([]);
      expect(await state(ids)).not.toEqual(before);
    });

    test('without a terminal (or with --no-input) nothing is asked: exit 2 naming --yes', async () => {
      const ids = await scene();
      const hash = await storeHash(sb.db);
      const piped = await cli(args(ids), { tty: false, answers: [true] });
      const noInput = await atTerminal([...args(ids), '--no-input'], [true]);
      for (const r of [piped, noInput]) {
        expect(r.code).toBe(2);
        expect(r.asked).toEqual([]);
        expect(r.stderr).toContain('--yes');
      }
      expect(await storeHash(sb.db)).toBe(hash);
    });
  });

  test('the removed client, revoked offer and removed user are really gone after yes', async () => {
    const { offerId } = await scene();
    expect((await atTerminal(['client', 'remove', 'contoso.com'], [true])).code).toBe(0);
    expect((await atTerminal(['offer', 'revoke', offerId], [true])).code).toBe(0);
    expect((await atTerminal(['user', 'remove', GRACE], [true])).code).toBe(0);
    expect(await json(['client', 'show', 'contoso.com'])).toMatchObject({ status: 'removed' });
    expect(await json(['offer', 'list'])).toEqual([]);
    expect(((await json(['user', 'list'])) as { email: string }[]).map((u) => u.email)).toEqual([ADMIN]);
  });
});

describe('other values asked for at a terminal', () => {
  test('client accept asks for the domain', async () => {
    await initFabrikam();
    await ok(['offer', 'create']);
    const r = await atTerminal(['client', 'accept', ADMIN_URL, '--json'], ['Contoso.com']);
    expect(r.code).toBe(0);
    expect(r.asked).toHaveLength(1);
    expect(r.asked[0]).toMatch(/domain/i);
    expect(JSON.parse(r.stdout)).toMatchObject({ domain: 'contoso.com', status: 'active' });
  });

  test('user add asks for the email', async () => {
    await initFabrikam();
    const r = await atTerminal(['user', 'add', '--json'], [GRACE]);
    expect(r.code).toBe(0);
    expect(r.asked).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ email: GRACE, adminAccess: 'none' });
  });

  test('user grant-admin asks for the user and the role', async () => {
    await initFabrikam();
    await ok(['user', 'add', GRACE]);
    const r = await atTerminal(['user', 'grant-admin', '--json'], [GRACE, 'limited']);
    expect(r.code).toBe(0);
    expect(r.asked).toHaveLength(2);
    expect(r.asked[1]).toMatch(/access|role/i);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ email: GRACE, adminAccess: 'limited', canCreateOffers: true })]);
  });

  test('a cancelled value prompt is exit 130 and writes nothing', async () => {
    await initFabrikam();
    const hash = await storeHash(sb.db);
    const r = await atTerminal(['user', 'grant-admin', ADMIN], ['CANCEL']);
    expect(r.code).toBe(130);
    expect(r.asked).toHaveLength(1);
    expect(await storeHash(sb.db)).toBe(hash);
  });
});

describe('clipboard', () => {
  test('offer create --copy puts the printed offer on the clipboard', async () => {
    await initFabrikam();
    const r = await cli(['offer', 'create', '--copy']);
    expect(r.code).toBe(0);
    expect(r.copied).toHaveLength(1);
    expect(r.copied[0]!.trimEnd()).toBe(r.stdout.trimEnd());
    expect(r.copied[0]).toContain(ADMIN_URL);
    expect(r.stderr).toMatch(/cop(y|ied)/i);
  });

  test('--format email --copy copies the email, Subject line first', async () => {
    await initFabrikam();
    const r = await cli(['offer', 'create', '--format', 'email', '--copy']);
    expect(r.code).toBe(0);
    expect(r.copied).toHaveLength(1);
    expect(r.copied[0]).toMatch(/^Subject: /);
    expect(r.copied[0]!.trimEnd()).toBe(r.stdout.trimEnd());
  });

  test('--format url --copy and offer link --copy copy just the link', async () => {
    await initFabrikam();
    const created = await cli(['offer', 'create', '--format', 'url', '--copy']);
    expect(created.copied).toEqual([ADMIN_URL]);
    const link = await cli(['offer', 'link', '--copy']);
    expect(link.code).toBe(0);
    expect(link.copied).toEqual([ADMIN_URL]);
    expect(link.stdout).toBe(ADMIN_URL + '\n');
  });

  test('without --copy nothing is put on the clipboard', async () => {
    await initFabrikam();
    const r = await cli(['offer', 'create']);
    expect(r.code).toBe(0);
    expect(r.copied).toEqual([]);
  });

  test('no clipboard: the offer is still printed, exit 0, and one line says the copy was skipped', async () => {
    await initFabrikam();
    const r = await cli(['offer', 'create', '--copy'], { clipboard: { copy: async () => 'no display, so no clipboard' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(ADMIN_URL);
    const notes = r.stderr.split('\n').filter((l) => /skip/i.test(l));
    expect(notes).toHaveLength(1);
  });
});
