import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../src/version.js';
import { ROOT, spawnBin, runInProcess, sandbox } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

test('the version the program reports is the package version', async () => {
  expect(VERSION).toBe(pkg.version);
  const sb = await sandbox();
  try {
    const fast = await spawnBin(['--version'], sb.env);
    expect(fast).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    // Through commander too (the fast path only takes a lone --version).
    const slow = await runInProcess(['--version', '--no-color']);
    expect(slow.stdout).toBe(`${pkg.version}\n`);
  } finally {
    await sb.cleanup();
  }
});

test('the help printed without starting the CLI is the CLI’s own help', async () => {
  const sb = await sandbox();
  try {
    const cached = await spawnBin(['--help'], sb.env);
    const live = await spawnBin(['--help'], { ...sb.env, DELEGATE_NO_HELP_CACHE: '1' });
    expect(cached.code).toBe(0);
    expect(cached.stdout).toContain('Usage: delegate');
    expect(cached.stdout).toBe(live.stdout);
    // On a terminal narrower than the cached help's 80 columns, the CLI wraps it itself.
    const narrow = await spawnBin(['--help'], { ...sb.env, COLUMNS: '60' });
    expect(narrow.stdout).toContain('Usage: delegate');
    for (const line of narrow.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
  } finally {
    await sb.cleanup();
  }
});
