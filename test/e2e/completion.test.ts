/**
 * Completion end to end: the bash script is sourced in a real bash and its
 * function called as bash would (COMP_WORDS/COMP_CWORD); zsh, fish and
 * PowerShell scripts are checked as text (those shells may be absent here).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, expectOneLine, initPartner, runBin, sandbox, storeHash, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(() => sb.cleanup());

/** `delegate` on the PATH as a shim over the built CLI, as an installed one would be. */
function pathWithDelegate(): string {
  const bin = join(sb.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const shim = join(bin, 'delegate');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  return `${bin}:${sb.env.PATH}`;
}

/** What bash would offer for this command line (the cursor on its last word). */
async function bashComplete(line: string[]): Promise<string[]> {
  const script = (await runBin(['completion', 'bash'], sb.env)).stdout;
  const words = ['delegate', ...line].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = execFileSync(
    'bash',
    ['--norc', '--noprofile', '-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length}; _delegate_complete; printf '%s\\n' "\${COMPREPLY[@]}"`],
    { env: { ...sb.env, PATH: pathWithDelegate() }, encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean);
}

test('bash: nouns, verbs, flags and values from the store', async () => {
  await initPartner(sb);
  const offer = JSON.parse((await runBin(['offer', 'create', '--json'], sb.env)).stdout).id as string;
  await runBin(['client', 'accept', offer, '--domain', 'contoso.com'], sb.env);
  await runBin(['group', 'create', 'Helpdesk Tier 1'], sb.env);
  await runBin(['template', 'create', 'readers', '--roles', 'Global Reader'], sb.env);

  expect(await bashComplete(['cl'])).toEqual(['client']);
  expect(await bashComplete([''])).toEqual(expect.arrayContaining(['init', 'offer', 'client', 'completion', 'group', 'template']));
  expect(await bashComplete([''])).not.toContain('__complete');
  expect(await bashComplete(['client', 'a'])).toEqual(['accept', 'assign']);
  expect(await bashComplete(['client', 'list', '--s'])).toEqual(['--status', '--search']);
  expect(await bashComplete(['client', 'show', ''])).toEqual(['contoso.com']);
  expect(await bashComplete(['offer', 'revoke', offer.slice(0, 4)])).toEqual([offer]);
  expect(await bashComplete(['--output', 'j'])).toEqual(['json']);
  // A value with a space comes back quoted for bash.
  expect(await bashComplete(['group', 'add-member', 'Help'])).toEqual(['Helpdesk\\ Tier\\ 1']);
  expect(await bashComplete(['offer', 'create', '--granular', '--template', ''])).toEqual(['readers']);
  expect(await bashComplete(['client', 'assign', 'contoso.com', '--roles', 'Global R'])).toEqual(['Global\\ Reader']);
  expect(await bashComplete(['completion', ''])).toEqual(['bash', 'zsh', 'fish', 'powershell']);
});

test('bash: without a store the verbs still complete and values are empty', async () => {
  expect(await bashComplete(['offer', ''])).toEqual(expect.arrayContaining(['create', 'list', 'revoke']));
  expect(await bashComplete(['client', 'show', ''])).toEqual([]);
});

test('zsh, fish and powershell scripts call the hidden completer and register for delegate', async () => {
  for (const [shell, registers] of [
    ['zsh', /compdef _delegate_complete delegate/],
    ['fish', /complete -c delegate -f -a '\(_delegate_complete\)'/],
    ['powershell', /Register-ArgumentCompleter -Native -CommandName 'delegate'/],
  ] as const) {
    const r = await runBin(['completion', shell], sb.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(registers);
    expect(r.stdout).toMatch(/__complete '?--'?/);
  }
});

test('an unknown shell is exit 2, one line, store unchanged; a missing one too', async () => {
  await initPartner(sb);
  const before = await storeHash(sb.db);
  const r = await runBin(['completion', 'tcsh'], sb.env);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, /Unknown shell "tcsh": use one of bash, zsh, fish, powershell/);
  const m = await runBin(['completion'], sb.env);
  expect(m.code).toBe(2);
  expectOneLine(m.stderr, /shell/);
  expect(await storeHash(sb.db)).toBe(before);
});

test('the hidden completer never fails and never writes', async () => {
  await initPartner(sb);
  const before = await storeHash(sb.db);
  for (const words of [['--', 'nonsense', 'deeper', ''], ['--', '--help'], ['--', '--db'], ['--', 'client', 'show', '--db', join(sb.dir, 'missing.db'), '']]) {
    const r = await runBin(['__complete', ...words], sb.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  }
  expect(await storeHash(sb.db)).toBe(before);
});
