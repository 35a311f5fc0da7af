/**
 * Output and files that cannot be turned against their reader (SPEC.md
 * "Behaviour every command keeps"), through the built CLI:
 *
 * - a store written by an older version (escape sequences put in with SQL)
 *   prints them escaped in table and plain output, exact in JSON;
 * - `client mdm` refuses control characters in its arguments before it
 *   audits them; errors that quote a value carry no raw escapes;
 * - CSV output neutralises spreadsheet formulas;
 * - directories 0700 and files 0600 under `umask 000`, and for an existing
 *   0644 store; a dangling `--db` symbolic link is exit 2;
 * - input files: UTF-8 with or without a BOM and UTF-16 with a BOM are read;
 *   invalid UTF-8 and UTF-16 without a BOM are exit 2 naming the line.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { auditHash } from '../../src/domain/core/audit.js';
import { ADMIN, storeExists, BIN, expectOneLine, initPartner, runBin, sandbox, storeHash, storeSql, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { isPgUrl, PG_MODE } from '../helpers/pg-e2e.js';
import { finished } from '../helpers/process.js';

/** On a team store a user record carries its dbLogin too (SPEC: "+ dbLogin on a team store"); these users have none. */
const LOGIN_CELL = (separator: string) => (PG_MODE ? separator : '');
const USERS_CSV_HEADER = `email,name,orgRole,adminAccess,canCreateOffers${PG_MODE ? ',dbLogin' : ''}\n`;

const NOW = '2026-03-01T09:00:00.000Z';
/** What output must never print raw: C0 (but the newline that ends a line and the tab between plain fields), DEL, C1, bidirectional overrides. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const sandboxes: Sandbox[] = [];
async function newSandbox(opts: { file?: boolean } = {}): Promise<Sandbox> {
  const sb = await sandbox(opts);
  sandboxes.push(sb);
  return sb;
}
afterAll(async () => {
  for (const sb of sandboxes) await sb.cleanup();
});

const at = (sb: Sandbox) => ({ ...sb.env, DELEGATE_NOW: NOW });

async function ok(sb: Sandbox, args: string[], stdin?: string): Promise<string> {
  const r = await runBin(args, at(sb), stdin);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Run the built CLI with these bytes on stdin, each chunk written separately (so reads can split anywhere). */
const runWithBytes = (args: string[], env: NodeJS.ProcessEnv, chunks: Buffer[]): Promise<Result> => runBin(args, env, chunks);

/** A refusal: the exit code, nothing on stdout, one line on stderr with nothing unsafe in it, the store as it was. */
async function refused(sb: Sandbox, args: string[], code: number, message: RegExp, stdin?: Buffer): Promise<Result> {
  const before = isPgUrl(sb.db) || existsSync(sb.db) ? await storeHash(sb.db) : undefined;
  const r = stdin ? await runWithBytes(args, at(sb), [stdin]) : await runBin(args, at(sb));
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code, stdout: '' });
  expectOneLine(r.stderr, message);
  expect(r.stderr.trimEnd()).not.toMatch(UNSAFE);
  if (before !== undefined) expect(await storeHash(sb.db)).toBe(before);
  return r;
}

// ---------------------------------------------------------------------------
// What an older version may have stored, and how it is shown.

const PARTNER_NAME = 'Fabrikam\u001b]0;pwned\u0007\u001b[2J IT';
const USER = 'eve@fabrikam.com';
const USER_NAME = 'Eve\u202egnp.exe \u009b31m\\x1b\u007f';
const MDM_TARGET = '\u001b]2;owned\u0007\u001b[2J\u001b[HAll systems normal\r\n';
const MDM_DETAIL = 'Delegated access to Mobile Device Management is not supported.';

describe('a store written by an older version, holding escape sequences', () => {
  let sb: Sandbox;
  let mdmSeq: number;

  beforeAll(async () => {
    sb = await newSandbox();
    await initPartner({ ...sb, env: at(sb) }); // at the pinned time: the ledger's time never runs backwards
    await ok(sb, ['user', 'add', USER, '--name', 'Eve']);
    await storeSql(sb.db, 'UPDATE partner SET name = ?', PARTNER_NAME);
    await storeSql(sb.db, 'UPDATE users SET name = ? WHERE email = ?', USER_NAME, USER);
    // An older `client mdm` audited its arguments raw: append such an entry, hash chain intact.
    const last = (await storeSql(sb.db, 'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0] as { seq: number; hash: string };
    const entry = { seq: Number(last.seq) + 1, at: NOW, actor: ADMIN, action: 'client.mdm', target: MDM_TARGET, outcome: 'denied' as const, detail: MDM_DETAIL };
    await storeSql(
      sb.db,
      'INSERT INTO audit (seq, at, actor, action, target, outcome, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.outcome, entry.detail, auditHash(last.hash, entry),
    );
    mdmSeq = entry.seq;
  });

  test('plain output shows every control character and override escaped, byte for byte', async () => {
    const users = await ok(sb, ['user', 'list']);
    expect(users.split('\n').find((l) => l.startsWith(USER))).toBe(`${USER}\tEve\\u202egnp.exe \\x9b31m\\\\x1b\\x7f\tuser\tnone\tfalse${LOGIN_CELL('\t')}`);
    expect(users).not.toMatch(UNSAFE);

    const partner = await ok(sb, ['partner', 'show']);
    expect(partner.split('\t')[0]).toBe('Fabrikam\\x1b]0;pwned\\x07\\x1b[2J IT');
    expect(partner).not.toMatch(UNSAFE);

    const audit = await ok(sb, ['audit', '--action', 'client.mdm']);
    expect(audit).toBe(`${mdmSeq}\t${NOW}\t${ADMIN}\tclient.mdm\t\\x1b]2;owned\\x07\\x1b[2J\\x1b[HAll systems normal\\r\\n\tdenied\t${MDM_DETAIL}\n`);
  });

  test('table output shows them escaped too, byte for byte', async () => {
    const table = await ok(sb, ['user', 'list', '--output', 'table']);
    expect(table).not.toMatch(UNSAFE);
    const row = table.split('\n').find((l) => l.includes(USER))!;
    // Borderless: columns two spaces apart (the name holds one space), no trailing spaces.
    expect(row.split(/ {2,}/)).toEqual([USER, 'Eve\\u202egnp.exe \\x9b31m\\\\x1b\\x7f', 'user', 'none', 'false']);

    const partner = await ok(sb, ['partner', 'show', '--output', 'table']);
    expect(partner).not.toMatch(UNSAFE);
    expect(partner.split('\n').find((l) => l.includes('Fabrikam'))).toMatch(/^name: +Fabrikam\\x1b\]0;pwned\\x07\\x1b\[2J IT$/);

    const audit = await ok(sb, ['audit', '--action', 'client.mdm', '--output', 'table']);
    expect(audit).not.toMatch(UNSAFE);
    expect(audit).toContain('  \\x1b]2;owned\\x07\\x1b[2J\\x1b[HAll systems normal\\r\\n  ');
  });

  test('JSON keeps the exact values (characters JSON leaves raw are written as \\u escapes)', async () => {
    const users = JSON.parse(await ok(sb, ['user', 'list', '--json'])) as { email: string; name: string }[];
    expect(users.find((u) => u.email === USER)!.name).toBe(USER_NAME);
    const raw = await ok(sb, ['audit', '--action', 'client.mdm', '--json']);
    expect(JSON.parse(raw)[0].target).toBe(MDM_TARGET);
    expect(raw.replace(/\n/g, '')).not.toMatch(UNSAFE);
    expect(JSON.parse(await ok(sb, ['partner', 'show', '--json'])).name).toBe(PARTNER_NAME);
  });

  test('the chain the older version wrote still verifies', async () => {
    expect((await runBin(['audit', 'verify'], at(sb))).code).toBe(0);
  });

  test('an offer\'s text, which quotes the stored partner name, is printed with it escaped', async () => {
    const r = await runBin(['offer', 'create'], at(sb));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Fabrikam\\x1b\]0;pwned\\x07\\x1b\[2J IT offers to act as the delegated administrator/);
    expect(r.stdout).not.toMatch(UNSAFE);
    expect(r.stderr).not.toMatch(UNSAFE);
  });
});

// ---------------------------------------------------------------------------

describe('client mdm validates its arguments before auditing them', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await newSandbox();
    await initPartner({ ...sb, env: at(sb) }); // at the pinned time: the ledger's time never runs backwards
  });

  test.each([
    ['ESC (retitle the window)', '\u001b]0;pwned\u0007', /argument 1 contains a control character .*U\+001B/],
    ['CSI as one C1 character', 'x\u009b2J', /argument 1 .*U\+009B/],
    ['a newline (a fake second line)', 'a\nError: all fine', /argument 1 .*U\+000A/],
    ['a right-to-left override', 'abc\u202eexe', /argument 1 .*U\+202E/],
    ['DEL', 'del\u007f', /argument 1 .*U\+007F/],
  ])('%s: exit 2, one line, the store unchanged', async (_what, arg, message) => {
    await refused(sb, ['client', 'mdm', arg], 2, message);
  });

  test('the bad argument is named by its place', async () => {
    await refused(sb, ['client', 'mdm', 'contoso.com', 'enroll', '\u001b[2J'], 2, /client mdm argument 3 /);
  });

  test('with no store at all: still exit 2, and no store is made', async () => {
    const fresh = await newSandbox();
    await refused(fresh, ['client', 'mdm', '\u001b[2J'], 2, /control character/);
    expect(await storeExists(fresh.db)).toBe(false);
  });

  test('ordinary arguments: exit 4 with the explanation, audited exactly as given', async () => {
    const args = ['contoso.com', 'enroll', '--device', 'laptop-7', 'C:\\Users\\Zoë', '=cmd'];
    const r = await runBin(['client', 'mdm', ...args], at(sb));
    expect(r).toEqual({ code: 4, stdout: '', stderr: `Error: ${MDM_DETAIL}\n` });
    const entries = JSON.parse(await ok(sb, ['audit', '--action', 'client.mdm', '--json'])) as { target: string }[];
    expect(entries.at(-1)!.target).toBe(args.join(' '));
    // Shown in plain output with the backslashes doubled, so it cannot be mistaken for an escape.
    expect((await ok(sb, ['audit', '--action', 'client.mdm'])).split('\t')[4]).toBe('contoso.com enroll --device laptop-7 C:\\\\Users\\\\Zoë =cmd');
  });
});

describe('errors that quote a value carry no raw escape sequences', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await newSandbox();
    await initPartner({ ...sb, env: at(sb) }); // at the pinned time: the ledger's time never runs backwards
  });

  test.each([
    [['--output', '\u001b[2Jx', 'user', 'list'], 2, /--output must be one of/],
    [['user', 'add', '\u001b]0;pwned\u0007@fabrikam.com'], 2, /not a valid email/],
    [['user', 'add', 'x\u009b2J@fabrikam.com'], 2, /not a valid email/],
    [['user', 'add', 'zed@fabrikam.com', '--name', 'Zed\u202eevil'], 2, /contains control characters/],
    [['config', 'get', '\u001b[2Jactor'], 2, /Unknown setting/],
    [['client', 'show', 'contoso\u001b[2J.com'], 2, /not a valid domain/],
    [['no-such-\u001b[2J-command'], 2, /unknown command/i],
    [['--db', join('/nonexistent', '\u001b[2J', 'x.db'), 'user', 'list'], 3, /No delegate store/],
  ] as [string[], number, RegExp][])('%j', async (args, code, message) => {
    await refused(sb, args, code, message);
  });

  test('in JSON mode too', async () => {
    const r = await refused(sb, ['--json', 'user', 'add', 'x\u009b2J\u202e@fabrikam.com'], 2, /not a valid email/);
    expect(JSON.parse(r.stderr).error.message).toContain('x\u009b2J\u202e@fabrikam.com');
  });
});

// ---------------------------------------------------------------------------

describe('CSV output neutralises spreadsheet formulas', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await newSandbox();
    await initPartner({ ...sb, env: at(sb) }); // at the pinned time: the ledger's time never runs backwards
  });

  test('in lists, streamed bulk output and single records; JSON keeps the values', async () => {
    const added = await ok(sb, ['user', 'add', '--file', '-', '--output', 'csv', '-q'], 'email,name\nf1@fabrikam.com,"=HYPERLINK(""http://evil.example"")"\nf2@fabrikam.com,+1+2\nf3@fabrikam.com,-2+3\nf4@fabrikam.com,@SUM(A1)\nf5@fabrikam.com,ok=fine\n');
    expect(added).toBe(
      USERS_CSV_HEADER +
        `f1@fabrikam.com,"'=HYPERLINK(""http://evil.example"")",user,none,false${LOGIN_CELL(',')}\n` +
        `f2@fabrikam.com,'+1+2,user,none,false${LOGIN_CELL(',')}\n` +
        `f3@fabrikam.com,'-2+3,user,none,false${LOGIN_CELL(',')}\n` +
        `f4@fabrikam.com,'@SUM(A1),user,none,false${LOGIN_CELL(',')}\n` +
        `f5@fabrikam.com,ok=fine,user,none,false${LOGIN_CELL(',')}\n`,
    );
    const listed = await ok(sb, ['user', 'list', '--output', 'csv']);
    for (const line of added.split('\n').slice(1).filter(Boolean)) expect(listed).toContain(line + '\n');
    expect(await ok(sb, ['user', 'remove', 'f2@fabrikam.com', '--yes', '--output', 'csv', '-q'])).toBe(`${USERS_CSV_HEADER}f2@fabrikam.com,'+1+2,user,none,false${LOGIN_CELL(',')}\n`);
    const json = JSON.parse(await ok(sb, ['user', 'list', '--json'])) as { email: string; name: string }[];
    expect(json.find((u) => u.email === 'f1@fabrikam.com')!.name).toBe('=HYPERLINK("http://evil.example")');
  });

  test('a stored tab or carriage return at the start of a cell, and a single record', async () => {
    await storeSql(sb.db, 'UPDATE users SET name = ? WHERE email = ?', '\tcmd', 'f5@fabrikam.com');
    await storeSql(sb.db, 'UPDATE partner SET name = ?', '\r=1+1');
    expect(await ok(sb, ['user', 'list', '--output', 'csv'])).toContain(`f5@fabrikam.com,'\tcmd,user,none,false${LOGIN_CELL(',')}\n`);
    const partner = await ok(sb, ['partner', 'show', '--output', 'csv']);
    expect(partner.split('\n')[1]!.startsWith(`"'\r=1+1",${TENANT},global,true,`)).toBe(true);
  });
});

// ---------------------------------------------------------------------------

/** Run the CLI under a shell with the given umask. */
function withUmask(umask: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return finished(spawn('/bin/sh', ['-c', `umask ${umask}; exec ${quoted}`], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const mode = (p: string) => statSync(p).mode & 0o777;

/** Every file and directory under `dir`, with its mode. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      out[p.slice(dir.length + 1)] = mode(p).toString(8);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe('files: private whatever the umask', () => {
  test('umask 000: the store, settings and every directory delegate creates are 0700 / 0600', async () => {
    const sb = await newSandbox();
    // Default places under a home that does not exist yet: delegate creates all of it.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: join(sb.dir, 'home'), DELEGATE_NO_CLIPBOARD: '1', NO_COLOR: '1' };
    const init = await withUmask('000', ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN], env);
    expect(init.code).toBe(0);
    expect((await withUmask('000', ['config', 'set', 'output', 'plain'], env)).code).toBe(0);
    expect((await withUmask('000', ['user', 'add', 'grace@fabrikam.com'], env)).code).toBe(0);
    expect(modes(sb.dir)).toEqual({
      home: '700',
      'home/.config': '700',
      'home/.config/delegate': '700',
      'home/.config/delegate/config.json': '600',
      'home/.local': '700',
      'home/.local/share': '700',
      'home/.local/share/delegate': '700',
      'home/.local/share/delegate/delegate.db': '600',
    });
  });

  test('umask 000 with DELEGATE_DB and DELEGATE_CONFIG_DIR: the same', async () => {
    const sb = await newSandbox({ file: true }); // the store file itself is the subject
    expect((await withUmask('000', ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN], sb.env)).code).toBe(0);
    expect((await withUmask('000', ['config', 'set', 'actor', ADMIN], sb.env)).code).toBe(0);
    expect(modes(sb.dir)).toEqual({ config: '700', 'config/config.json': '600', store: '700', 'store/delegate.db': '600' });
  });

  test('an existing 0644 store and settings file are narrowed to 0600; a directory delegate did not create keeps its mode', async () => {
    const sb = await newSandbox({ file: true }); // the store file itself is the subject
    await initPartner({ ...sb, env: at(sb) }); // at the pinned time: the ledger's time never runs backwards
    expect((await runBin(['config', 'set', 'output', 'plain'], sb.env)).code).toBe(0);
    const settings = join(sb.env.DELEGATE_CONFIG_DIR!, 'config.json');
    chmodSync(sb.db, 0o644);
    chmodSync(settings, 0o644);
    chmodSync(dirname(sb.db), 0o755);
    chmodSync(sb.env.DELEGATE_CONFIG_DIR!, 0o755);
    const before = await storeHash(sb.db);
    expect((await runBin(['user', 'list'], sb.env)).code).toBe(0);
    expect(await storeHash(sb.db)).toBe(before);
    expect([mode(sb.db), mode(settings)]).toEqual([0o600, 0o600]);
    expect([mode(dirname(sb.db)), mode(sb.env.DELEGATE_CONFIG_DIR!)]).toEqual([0o755, 0o755]);
  });

  test('init into an existing shared directory leaves its mode alone', async () => {
    const sb = await newSandbox();
    const shared = join(sb.dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o775);
    const r = await withUmask('000', ['--db', join(shared, 'new', 'd.db'), 'init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN], sb.env);
    expect(r.code).toBe(0);
    expect([mode(shared), mode(join(shared, 'new')), mode(join(shared, 'new', 'd.db'))]).toEqual([0o775, 0o700, 0o600]);
  });
});

describe('a --db that is a dangling symbolic link', () => {
  test.each([
    ['user list', ['user', 'list']],
    ['init', ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN]],
  ])('%s: exit 2, one line naming the link, nothing created at its target', async (_name, args) => {
    const sb = await newSandbox();
    const link = join(sb.dir, 'link.db');
    const target = join(sb.dir, 'gone', 'store.db');
    symlinkSync(target, link);
    await refused(sb, ['--db', link, ...args], 2, /link\.db is a symbolic link to nothing/);
    expect(existsSync(dirname(target))).toBe(false);
    expect(readdirSync(sb.dir)).toEqual(['link.db']);
  });

  test('a symbolic link to a store is used as the store', async () => {
    const sb = await newSandbox({ file: true }); // the store file itself is the subject
    await initPartner({ ...sb, env: at(sb) }); // at the pinned time: the ledger's time never runs backwards
    const link = join(sb.dir, 'link.db');
    symlinkSync(sb.db, link);
    expect((await runBin(['--db', link, 'user', 'list'], sb.env)).stdout).toContain(ADMIN);
  });
});

// ---------------------------------------------------------------------------

const utf16le = (s: string) => Buffer.from(s, 'utf16le');
const utf16be = (s: string) => utf16le(s).swap16();

describe('input files: encodings', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await newSandbox();
    await initPartner({ ...sb, env: at(sb) }); // at the pinned time: the ledger's time never runs backwards
  });

  const file = (name: string, bytes: Buffer): string => {
    const p = join(sb.dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const NAMES = 'email,name\r\nzoe@fabrikam.com,Zoë Çelik 😀\r\nyan@fabrikam.com,Yan\r\n';

  test.each([
    ['UTF-8', Buffer.from(NAMES)],
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(NAMES)])],
    ['UTF-16 LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(NAMES)])],
    ['UTF-16 BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(NAMES)])],
  ])('%s is read', async (_what, bytes) => {
    const own = await newSandbox();
    await initPartner({ ...own, env: at(own) }); // at the pinned time: the ledger's time never runs backwards
    const p = join(own.dir, 'users.csv');
    writeFileSync(p, bytes);
    const out = await ok(own, ['user', 'add', '--file', p, '--json', '-q']);
    expect(JSON.parse(out).map((u: { email: string; name: string }) => [u.email, u.name])).toEqual([
      ['zoe@fabrikam.com', 'Zoë Çelik 😀'],
      ['yan@fabrikam.com', 'Yan'],
    ]);
    // From standard input too, the first bytes one at a time so the byte order mark and a character are split across reads.
    const again = await newSandbox();
    await initPartner({ ...again, env: at(again) }); // at the pinned time: the ledger's time never runs backwards
    const r = await runWithBytes(['user', 'add', '--file', '-', '-q'], again.env, [...Array.from({ length: 6 }, (_v, i) => bytes.subarray(i, i + 1)), bytes.subarray(6)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Zoë Çelik 😀');
  });

  test.each([
    ['invalid UTF-8 (Latin-1 bytes)', () => Buffer.from('email\nzoe@fabrikam.com\nyan@fabrik\xe0m.com\n', 'latin1'), /bad\.csv line 3: not valid UTF-8/],
    ['invalid UTF-8 after a multi-line quoted field', () => Buffer.concat([Buffer.from('email\n"zoe@fabrikam.com\n"\nyan@fabrik'), Buffer.from([0xc3, 0x28]), Buffer.from('.com\n')]), /bad\.csv line 4: not valid UTF-8/],
    ['a UTF-8 sequence cut short at the end', () => Buffer.concat([Buffer.from('email\nzoe@fabrikam.com\nzo'), Buffer.from([0xe2, 0x82])]), /bad\.csv line 3: not valid UTF-8/],
    ['UTF-16 LE without a BOM', () => utf16le('email\nzoe@fabrikam.com\n'), /bad\.csv line 1: holds a NUL byte: a UTF-16 file needs a byte order mark/],
    ['UTF-16 BE without a BOM', () => utf16be('email\nzoe@fabrikam.com\n'), /bad\.csv line 1: holds a NUL byte/],
    ['a NUL byte in UTF-8 text', () => Buffer.from('email\nzoe@fabrikam.com\nyan@fabrik\0m.com\n'), /bad\.csv line 3: holds a NUL byte/],
    ['UTF-16 with a BOM holding half a surrogate pair', () => Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le('email\nzoe@fabrikam.com\ud83d\n')]), /bad\.csv line 2: not valid UTF-16/],
    ['UTF-16 with a BOM and an odd number of bytes', () => Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le('email\n'), Buffer.from([0x41])]), /bad\.csv line 2: .*odd number of bytes/],
  ])('%s: exit 2, one line naming the line, the store unchanged', async (_what, bytes, message) => {
    const p = file('bad.csv', bytes());
    for (const args of [
      ['user', 'add', '--file', p],
      ['user', 'grant-admin', '--role', 'full', '--file', p],
    ]) {
      await refused(sb, args, 2, message);
    }
    // From standard input, named as such.
    await refused(sb, ['user', 'add', '--file', '-'], 2, new RegExp(`^Error: standard input ${message.source.replace('bad\\.csv ', '')}`), bytes());
  });

  test('invalid UTF-8 far into a large file: exit 2 naming its line, nothing written', async () => {
    const rows = Array.from({ length: 30000 }, (_v, i) => `u${i}@fabrikam.com,User ${i}`);
    const bytes = Buffer.concat([Buffer.from('email,name\n' + rows.join('\n') + '\nlast@fabrikam.com,L'), Buffer.from([0xff]), Buffer.from('st\n')]);
    await refused(sb, ['user', 'add', '--file', file('big.csv', bytes)], 2, /big\.csv line 30002: not valid UTF-8/);
    expect((await ok(sb, ['user', 'list'])).split('\n').filter(Boolean)).toHaveLength(1);
  });
});
