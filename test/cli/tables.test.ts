/**
 * What a person at a terminal sees (SPEC.md "The terminal and the docs"):
 * every list and show command at 80 and 120 columns. Tables are borderless,
 * one line a row; the key column is never cut; no line is wider than the
 * terminal (a key longer than the room left overflows its own line, and only
 * then); a list that left columns out says which, on stderr; `show` is
 * vertical. Each output is also pinned as a snapshot (ids and hashes, which
 * change every run, replaced by placeholders of the same width).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ADMIN, TENANT, memorySettings, runInProcess, sandbox, type Sandbox } from '../helpers/cli.js';

const LEE = 'lee@fabrikam.com';
const GRACE = 'grace.hopper-longname@fabrikam.com';
const LONG = 'northwind-traders-international.onmicrosoft.com';
const BORDER = /[│┌┐└┘├┤┬┴┼─]/;

let sb: Sandbox;
const settings = memorySettings({ output: 'table' });
let clock = Date.parse('2026-03-01T09:00:00.000Z');
/** Each set-up step a minute after the last: lists ordered by time are the same every run. */
const tick = () => new Date((clock += 60_000)).toISOString();
const NOW = () => new Date(clock).toISOString();

async function setup(args: string[]): Promise<string> {
  const r = await runInProcess([...args, '--output', 'json'], { env: { ...sb.env, DELEGATE_NOW: tick() } });
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A partner with a DAP client (a user and a domain of its own), a client with a long domain and name,
 * granular clients (one with Global Administrator, ending soon), a removed and a terminated one, groups,
 * a template, offers of each kind.
 */
beforeAll(async () => {
  sb = await sandbox();
  await setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setup(['user', 'add', LEE, '--name', 'Lee Gu']);
  await setup(['user', 'grant-admin', LEE, '--role', 'limited']);
  await setup(['user', 'add', GRACE, '--name', 'Grace Brewster Murray Hopper, Rear Admiral']);
  await setup(['group', 'create', 'Helpdesk']);
  await setup(['group', 'add-member', 'Helpdesk', LEE, ADMIN]);
  await setup(['group', 'create', 'Tier 2 escalation engineers (Europe, Middle East and Africa)']);
  await setup(['template', 'create', 'std', '--roles', 'Helpdesk Administrator,User Administrator', '--auto-extend', 'P180D', '--assign', 'Helpdesk=Helpdesk Administrator']);
  const plain = JSON.parse(await setup(['offer', 'create'])).id as string;
  await setup(['client', 'accept', plain, '--domain', 'contoso.com', '--name', 'Contoso Ltd', '--tenant-id', '11111111-2222-4333-8444-555555555555']);
  await setup(['client', 'accept', plain, '--domain', LONG, '--name', 'Northwind Traders International Holdings (EMEA)', '--tenant-id', '21111111-2222-4333-8444-555555555555']);
  await setup(['client', 'accept', plain, '--domain', 'tailspin.com']);
  await setup(['client', 'remove', 'tailspin.com', '--yes']);
  await setup(['client', 'user', 'add', 'contoso.com', 'alex.wilber@contoso.com', '--name', 'Alex Wilber']);
  await setup(['client', 'domain', 'add', 'contoso.com', 'contoso.net']);
  const gdap = async (domain: string, args: string[]) => {
    const offer = JSON.parse(await setup(['offer', 'create', '--granular', ...args])).id as string;
    await setup(['client', 'accept', offer, '--domain', domain]);
  };
  await gdap('wingtip.com', ['--name', 'Wingtip toys helpdesk and user administration', '--roles', 'Global Administrator,Helpdesk Administrator', '--duration', 'P20D']);
  await gdap('adatum.com', ['--name', 'Adatum', '--template', 'std']);
  await gdap('fourthcoffee.com', ['--name', 'Fourth Coffee', '--roles', 'Global Reader']);
  await setup(['client', 'terminate', 'fourthcoffee.com', '--yes']);
  await setup(['offer', 'create', '--granular', '--name', 'Not yet accepted', '--roles', 'Global Reader']);
}, 120_000);
afterAll(() => sb.cleanup());

interface Shown {
  code: number;
  stdout: string;
  stderr: string;
}

async function at(width: number, args: string[]): Promise<Shown> {
  const r = await runInProcess(args, { env: { ...sb.env, DELEGATE_NOW: NOW(), COLUMNS: String(width) }, tty: true, settings });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Ids and hashes change every run: the n-th distinct one becomes a placeholder of the same width. */
function stable(text: string): string {
  const seen = new Map<string, string>();
  const as = (kind: string, len: number) => (m: string) => {
    if (!seen.has(m)) seen.set(m, `${kind}${seen.size + 1}`.padEnd(len, '_'));
    return seen.get(m)!;
  };
  return text
    .replace(/\b[0-9a-f]{64}\b/g, as('hash', 64))
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, as('id', 36))
    .replace(/\b[0-9a-f]{8}-[0-9a-f-]{0,27}…/g, (m) => 'cut'.padEnd(m.length - 1, '_') + '…');
}

const cells = (s: string) => [...s].length;

/** The table's invariants: no border, a header and a line per row, each row's key whole, no line over the width (but a long last-column key's). */
function checkTable(out: string, width: number, keys: readonly string[], lastKeys: readonly string[] = []): void {
  expect(out).not.toMatch(BORDER);
  const lines = out.trimEnd().split('\n');
  expect(lines).toHaveLength(keys.length + 1);
  for (const [i, key] of keys.entries()) expect(lines[i + 1]).toContain(key);
  for (const [i, line] of lines.entries()) {
    expect(line).toBe(line.trimEnd());
    if (cells(line) > width) {
      // Only a row whose key in the last column is too long for the room left.
      const last = lastKeys[i - 1];
      expect(last !== undefined && line.endsWith(last)).toBe(true);
    }
  }
}

/** The list's key values, in order, from its JSON. */
async function keysOf(args: string[], key: (row: Record<string, unknown>) => string): Promise<string[]> {
  const r = await runInProcess([...args, '--json'], { env: { ...sb.env, DELEGATE_NOW: NOW() } });
  return (JSON.parse(r.stdout) as Record<string, unknown>[]).map(key);
}

const LISTS: { name: string; args: string[]; key: (row: Record<string, unknown>) => string; lastKey?: (row: Record<string, unknown>) => string }[] = [
  { name: 'client list', args: ['client', 'list'], key: (r) => r.domain as string },
  { name: 'client list --expiring', args: ['client', 'list', '--expiring', '30'], key: (r) => r.domain as string },
  { name: 'offer list', args: ['offer', 'list'], key: (r) => r.id as string },
  { name: 'user list', args: ['user', 'list'], key: (r) => r.email as string },
  { name: 'group list', args: ['group', 'list'], key: (r) => r.name as string },
  { name: 'template list', args: ['template', 'list'], key: (r) => r.name as string },
  { name: 'client user list', args: ['client', 'user', 'list', 'contoso.com'], key: (r) => r.upn as string },
  { name: 'client domain list', args: ['client', 'domain', 'list', 'contoso.com'], key: (r) => r.name as string },
  { name: 'inbox', args: ['inbox'], key: (r) => String(r.id) },
  { name: 'audit', args: ['audit', '--action', 'client'], key: (r) => String(r.seq) },
  { name: 'doctor', args: ['doctor'], key: (r) => (r.fix as string | null) ?? (r.client as string | null) ?? '(partner)', lastKey: (r) => (r.fix as string | null) ?? '' },
];

describe.each([80, 120])('at %i columns', (width) => {
  test.each(LISTS)('$name: borderless, the key whole, no line over the width', async ({ args, key, lastKey }) => {
    const r = await at(width, args);
    expect(r.code === 0 || args[0] === 'doctor').toBe(true);
    checkTable(r.stdout, width, await keysOf(args, key), lastKey ? await keysOf(args, lastKey) : []);
    expect(stable(r.stdout)).toMatchSnapshot();
    // What was left out is named on stderr, with the way to see it.
    const left = r.stderr.split('\n').find((l) => l.startsWith('Left out to fit'));
    if (left) expect(left).toMatch(new RegExp(`^Left out to fit ${width} columns: [a-zA-Z, ]+ \\(--output json (or --fields )?shows them\\)\\.$`));
  });

  test('role list: the role name (what --roles takes) whole on every line; the id cut first', async () => {
    const r = await at(width, ['role', 'list']);
    const names = await keysOf(['role', 'list'], (x) => x.name as string);
    checkTable(r.stdout, width, names, names);
    expect(r.stdout.split('\n').slice(0, 4).join('\n')).toMatchSnapshot();
  });

  test('config list: keys and values whole', async () => {
    const r = await at(width, ['config', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(BORDER);
    expect(r.stdout).toMatch(/^output +table$/m);
    for (const l of r.stdout.trimEnd().split('\n')) expect(cells(l)).toBeLessThanOrEqual(width);
  });

  test('client show: vertical, the client then each relationship, name: value lines, nothing cut (a long id on a line of its own)', async () => {
    for (const domain of ['contoso.com', 'wingtip.com', LONG]) {
      const r = await at(width, ['client', 'show', domain]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(BORDER);
      expect(r.stdout).not.toContain('…');
      expect(r.stdout).toMatch(new RegExp(`^domain: +${domain.replace(/\./g, '\\.')}$`, 'm'));
      expect(r.stdout).toMatch(/^relationships \(\d\):$/m);
      for (const l of r.stdout.split('\n')) expect(cells(l)).toBeLessThanOrEqual(width);
      expect(stable(r.stdout)).toMatchSnapshot();
    }
    const wingtip = await at(width, ['client', 'show', 'wingtip.com']);
    expect(wingtip.stdout).toMatch(/^ {2}roles: +Global Administrator, Helpdesk Administrator$/m);
    // A granular relationship id (two GUIDs) does not fit beside its name at 80 columns: the line below, whole.
    const id = (JSON.parse((await runInProcess(['client', 'show', 'wingtip.com', '--json'], { env: { ...sb.env, DELEGATE_NOW: NOW() } })).stdout) as { granular: { relationshipId: string } }).granular.relationshipId;
    expect(wingtip.stdout).toContain(width < 100 ? `  relationshipId:\n      ${id}\n` : `  relationshipId:     ${id}\n`);
  });

  test('partner show: vertical; audit head: its seq:hash line', async () => {
    const partner = await at(width, ['partner', 'show']);
    expect(partner.stdout).toMatch(/^name: +Fabrikam IT\ntenantId: +3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b\n/);
    expect(stable(partner.stdout)).toMatchSnapshot();
    const head = await at(width, ['audit', 'head']);
    expect(head.stdout).toMatch(/^\d+:[0-9a-f]{64}\n$/);
  });
});

describe('at a terminal', () => {
  test('an empty list says so in one line on stderr, and prints nothing', async () => {
    const r = await at(80, ['client', 'list', '--search', 'no-such-client']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No client matches (`delegate client list` lists them all).\n');
    const empty = await sandbox();
    try {
      const none = await runInProcess(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', '-q'], { env: empty.env });
      expect(none.code).toBe(0);
      const list = await runInProcess(['client', 'list'], { env: { ...empty.env, COLUMNS: '80' }, tty: true });
      expect(list.stdout).toBe('');
      expect(list.stderr).toBe('No clients.\n');
      const groups = await runInProcess(['group', 'list'], { env: { ...empty.env, COLUMNS: '80' }, tty: true });
      expect(groups.stderr).toBe('No groups yet (`delegate group create <name>`).\n');
      // Piped, an empty list is empty: nothing on either stream.
      const piped = await runInProcess(['client', 'list'], { env: empty.env });
      expect(piped.stdout + piped.stderr).toBe('');
    } finally {
      await empty.cleanup();
    }
  });

  test('headers are bold when colour is on; the widths do not count the colour codes', async () => {
    const r = await runInProcess(['client', 'list'], { env: { ...sb.env, DELEGATE_NOW: NOW(), COLUMNS: '80', NO_COLOR: '' }, tty: true, settings });
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    expect(head).toContain('\u001b[1mdomain');
    const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
    for (const l of [head!, ...rows]) expect(cells(plain(l))).toBeLessThanOrEqual(80);
    expect(plain(head!)).toMatch(/^domain +name +status/);
  });

  test('--fields chooses the columns; the key chosen stays whole and nothing is left out', async () => {
    const r = await at(80, ['client', 'list', '--fields', 'name,domain,tenantId,acceptedAt']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name +domain +tenantId +acceptedAt$/);
    expect(lines.find((l) => l.includes(LONG))).toBeDefined();
    for (const l of lines) expect(cells(l)).toBeLessThanOrEqual(80);
    expect(r.stderr).not.toMatch(/Left out/);
  });

  test('piped output, CSV and JSON are never fitted: the same bytes at any width', async () => {
    for (const output of ['plain', 'csv', 'json']) {
      const narrow = await runInProcess(['client', 'list', '--output', output], { env: { ...sb.env, DELEGATE_NOW: NOW(), COLUMNS: '40' } });
      const wide = await runInProcess(['client', 'list', '--output', output], { env: { ...sb.env, DELEGATE_NOW: NOW(), COLUMNS: '200' } });
      expect(narrow.stdout).toBe(wide.stdout);
      expect(narrow.stdout).toContain(LONG);
      expect(narrow.stdout).not.toContain('…');
    }
  });
});
