/**
 * Installing as users do: `npm pack` the project, install the tarball into an
 * empty global prefix, and run `delegate` from that prefix's bin directory
 * (`--version`, then `init` and an offer).
 *
 * Kept fast and offline apart from the npm registry: the tarball is packed
 * from the dist/ this run already built (`--ignore-scripts`: `prepare` would
 * rebuild dist/ under the other tests' feet); dependencies come from npm's
 * cache when it has them (`--prefer-offline`); and better-sqlite3's install
 * script (which downloads a prebuilt binary from GitHub, or compiles for
 * minutes) is skipped, its binary copied from this project's own build of the
 * same version. Only when the registry resolves another version of it is the
 * binary rebuilt in place (slow, but still correct).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TENANT } from '../helpers/cli.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir: string;

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const version = (pkgDir: string) => (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'delegate-install-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('npm pack, install the tarball into an empty prefix: `delegate` is on that PATH, answers --version and makes an offer', async () => {
  expect(existsSync(join(ROOT, 'dist', 'main.cjs'))).toBe(true);
  const pack = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
  expect(pack).toMatchObject({ code: 0 });
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  // What users get: the launcher, the bundle and its help; no sources, tests or stores.
  expect(packed!.files.map((f) => f.path).sort()).toEqual(expect.arrayContaining(['bin/delegate.js', 'dist/main.cjs', 'dist/help.txt', 'package.json']));
  expect(packed!.files.some((f) => /^(src|test)\//.test(f.path))).toBe(false);

  const prefix = join(dir, 'prefix');
  mkdirSync(prefix);
  const install = await run(NPM, ['install', '--global', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', join(dir, packed!.filename)], {
    env: { npm_config_update_notifier: 'false' },
  });
  expect(install).toMatchObject({ code: 0 });

  // better-sqlite3's native binary: this project's build when the versions match, else built in place.
  const installed = join(prefix, process.platform === 'win32' ? '' : 'lib', 'node_modules', 'delegate');
  const theirs = join(installed, 'node_modules', 'better-sqlite3');
  const ours = join(ROOT, 'node_modules', 'better-sqlite3');
  if (version(theirs) === version(ours)) {
    mkdirSync(join(theirs, 'build', 'Release'), { recursive: true });
    copyFileSync(join(ours, 'build', 'Release', 'better_sqlite3.node'), join(theirs, 'build', 'Release', 'better_sqlite3.node'));
  } else {
    expect(await run(NPM, ['rebuild', 'better-sqlite3', '--build-from-source'], { cwd: installed })).toMatchObject({ code: 0 });
  }

  const bin = join(prefix, process.platform === 'win32' ? '' : 'bin');
  expect(readdirSync(bin)).toContain(process.platform === 'win32' ? 'delegate.cmd' : 'delegate');
  // As a user's shell would find it: by name, on the PATH.
  const env = {
    PATH: `${bin}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH}`,
    HOME: join(dir, 'home'),
    DELEGATE_DB: join(dir, 'store', 'delegate.db'),
    DELEGATE_CONFIG_DIR: join(dir, 'config'),
    DELEGATE_NO_CLIPBOARD: '1',
    NO_COLOR: '1',
  };
  const v = await run('delegate', ['--version'], { env });
  expect(v).toEqual({ code: 0, stdout: `${version(ROOT)}\n`, stderr: '' });

  expect(await run('delegate', ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', 'ada@fabrikam.com', '--certified'], { env })).toMatchObject({ code: 0 });
  const offer = await run('delegate', ['offer', 'create', '--json'], { env });
  expect(offer.code).toBe(0);
  expect(JSON.parse(offer.stdout)).toMatchObject({
    status: 'active',
    createdBy: 'ada@fabrikam.com',
    url: `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`,
  });
}, 240_000);
