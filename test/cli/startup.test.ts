/**
 * Start-up stays cheap (docs/performance.md), checked by what a command
 * loads rather than by timing it: a command that only reads loads the bundle
 * (compiled from its code cache), better-sqlite3's own files, and none of
 * the modules only writes, prompts, settings changes or sign-in need.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { ADMIN, ROOT, spawnBin, sandbox, TENANT, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
  const r = await spawnBin(['init', '--name', 'Fabrikam', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', '-q'], { ...sb.env, DELEGATE_NOW: '2026-03-01T09:00:00Z' });
  expect(r.code).toBe(0);
});
afterAll(() => sb.cleanup());

async function loaded(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ builtins: string[]; files: string[] }> {
  const out = join(sb.dir, 'loaded.json');
  const r = await spawnBin(args, { ...sb.env, ...env, NODE_OPTIONS: `--require ${join(ROOT, 'test', 'helpers', 'loaded-modules.cjs')}`, LOADED_MODULES_OUT: out });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as { builtins: string[]; files: string[] };
}

const READS = [['client', 'list'], ['user', 'list'], ['offer', 'list'], ['audit'], ['inbox', '-q']].map((a) => [a.join(' '), a] as const);

test.each(READS)('%s: no conf (nor its schema validator), no crypto, tty or child_process; better-sqlite3 without `bindings`', async (_name, args) => {
  const { builtins, files } = await loaded([...args]);
  const packages = files.filter((f) => f.includes('node_modules')).map((f) => f.split('node_modules/').pop()!.split('/')[0]!);
  expect([...new Set(packages)]).toEqual(['better-sqlite3']);
  expect(files.filter((f) => !f.includes('node_modules')).map((f) => f.slice(ROOT.length + 1))).toEqual(['test/helpers/loaded-modules.cjs', 'bin/delegate.js', 'dist/main.cjs']);
  for (const heavy of ['crypto', 'tty', 'child_process']) expect(builtins).not.toContain(heavy);
});

test('a setting set in the config file is read without loading conf', async () => {
  const set = await spawnBin(['config', 'set', 'output', 'plain'], sb.env);
  expect(set.code).toBe(0);
  const { files } = await loaded(['client', 'list']);
  expect(files.some((f) => /node_modules\/(conf|ajv|atomically)\//.test(f))).toBe(false);
  expect((await spawnBin(['config', 'unset', 'output'], sb.env)).code).toBe(0);
});

test("the bundle's code cache is one this Node accepts (so the bundle is not compiled again on every start)", () => {
  const file = join(ROOT, 'dist', 'main.cjs');
  const wrapped = '(function (exports, require, module, __filename, __dirname, __delegateImport) { ' + readFileSync(file, 'utf8') + '\n});';
  const script = new Script(wrapped, { filename: file, cachedData: readFileSync(file + '.cache') });
  expect(script.cachedDataRejected).toBe(false);
});
