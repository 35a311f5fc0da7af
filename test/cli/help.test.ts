/**
 * Help as a person reads it at a terminal (SPEC.md "The terminal and the
 * docs"): every command that does something says what in one sentence and
 * shows at least one example; every help fits the terminal's width (80 here),
 * so the terminal never breaks a word (`organ\nization`); the top-level help
 * groups the nouns and ends with where to read more.
 */
import { describe, expect, test } from '@jest/globals';
import type { Command } from 'commander';
import { commandTree, fullName, walk } from '../../src/cli/reference.js';
import { runInProcess, sandbox, type Sandbox } from '../helpers/cli.js';

let tree: Command[];
let sb: Sandbox;
beforeAll(async () => {
  tree = walk(await commandTree());
  sb = await sandbox();
});
afterAll(() => sb.cleanup());

/** A command that runs something itself: a leaf, or a noun with its own action (`audit`, `login`, `inbox`). */
const runs = (c: Command) => c.commands.length === 0 || Boolean((c as unknown as { _actionHandler?: unknown })._actionHandler);
/** Its words after `delegate`. */
const words = (c: Command) => fullName(c).split(' ').slice(1);

async function helpAt(width: number, args: string[]): Promise<string> {
  const r = await runInProcess([...args, '--help'], { env: { ...sb.env, COLUMNS: String(width) } });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

test('the tree is walked whole: every noun and the nested ones', () => {
  const names = tree.map(fullName);
  for (const n of ['delegate client user add', 'delegate client domain verify', 'delegate login status', 'delegate audit', 'delegate inbox read', 'delegate logout']) expect(names).toContain(n);
  expect(tree.filter(runs).length).toBeGreaterThan(60);
});

test('every command that runs something has an Examples: block with a delegate command line in it', async () => {
  const missing: string[] = [];
  for (const c of tree.filter(runs)) {
    const help = await helpAt(80, words(c));
    const block = /\nExamples:\n((?: {2}.*\n?)+)/.exec(help);
    if (!block || !/^ {2}(delegate |source |\S+=\S* delegate )/m.test(block[1]!)) missing.push(fullName(c));
  }
  expect(missing).toEqual([]);
});

test('every command that runs something says what it does in one sentence', () => {
  const long: string[] = [];
  for (const c of tree.filter(runs)) {
    const d = c.description();
    // One sentence: no full stop (or "?"/"!") followed by more text, no second line.
    if (!d || /[.!?]\s+\S/.test(d) || d.includes('\n')) long.push(`${fullName(c)}: ${d}`);
  }
  expect(long).toEqual([]);
});

describe.each([80, 120])('at %i columns', (width) => {
  test('no line of any help is wider than the terminal, and no description loses a word to wrapping', async () => {
    const over: string[] = [];
    const broken: string[] = [];
    for (const c of tree) {
      const help = await helpAt(width, words(c));
      for (const line of help.split('\n')) {
        // Only a single word longer than the width (a URL) may overflow: it cannot be broken.
        if ([...line].length > width && line.trim().includes(' ')) over.push(`${fullName(c)}: ${line}`);
        // Only an example's command line is continued with a backslash, never prose.
        if (line.endsWith(' \\') && !/^ {2,}\S/.test(line)) over.push(`${fullName(c)}: ${line}`);
      }
      // Each subcommand's description is there word for word once the wrapping is undone.
      const flat = help.replace(/\s+/g, ' ');
      for (const sub of c.commands.filter((s) => !(s as unknown as { _hidden?: boolean })._hidden)) {
        if (!flat.includes(sub.description().replace(/\s+/g, ' '))) broken.push(`${fullName(c)} → ${sub.name()}`);
      }
    }
    expect(over).toEqual([]);
    expect(broken).toEqual([]);
  });
});

test('the tenant is --tenant-id everywhere (login --tenant is a hidden alias only)', () => {
  const visible = tree.flatMap((c) => c.options.filter((o) => !o.hidden).map((o) => [fullName(c), o.long] as const));
  expect(visible.filter(([, long]) => long === '--tenant')).toEqual([]);
  const withTenantId = visible.filter(([, long]) => long === '--tenant-id').map(([name]) => name);
  expect(withTenantId).toEqual(expect.arrayContaining(['delegate init', 'delegate login', 'delegate partner set', 'delegate client accept']));
});

test('client --help at 80 columns: wrapped beside the verbs, "organizations" whole', async () => {
  const help = await helpAt(80, ['client']);
  expect(help).toContain('Record acceptances and manage client organizations\n');
  expect(help).toMatch(/^ {2}accept \[options\] \[offer-url\|offer-id\] {2}Record that a client accepted an offer\n {41}\(by its link or offer id\)$/m);
  for (const line of help.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
  expect(help).not.toMatch(/organ\n/);
});

test('a long example command is broken with a trailing backslash, a quoted argument kept whole', async () => {
  const help = await helpAt(60, ['client', 'remove-role']);
  expect(help).toContain('  delegate client remove-role contoso.com --role \\\n      "Global Administrator" --yes\n');
});

test('the top-level help groups the nouns under headings and ends with where to read more', async () => {
  const r = await runInProcess(['--help'], { env: { ...sb.env, COLUMNS: '80' } });
  const help = r.stdout;
  const headings = [...help.matchAll(/^(\S[^:\n]*):$/gm)].map((m) => m[1]);
  expect(headings).toEqual(['Options', 'Getting started', 'Offers and clients', 'Granular relationships (GDAP)', 'Live mode (Microsoft)', 'Checks and records', 'Settings and the store']);
  // Every noun is under one of them.
  for (const noun of ['init', 'offer', 'client', 'group', 'login', 'sync', 'doctor', 'audit', 'config', 'db']) expect(help).toMatch(new RegExp(`^ {2}${noun} +\\S`, 'm'));
  expect(help.trimEnd().split('\n').slice(-3).join(' ')).toMatch(/Run `delegate <command> --help` .* README\.md .* docs\/ .*docs\/commands\.md/);
});
