/**
 * docs/commands.md is the command reference `npm run docs` generates from the
 * command tree: it must be what the generator makes now, so a change to any
 * command's help that is not regenerated fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandReference } from '../../src/cli/reference.js';
import { ROOT } from '../helpers/cli.js';

test('docs/commands.md is what `npm run docs` generates from the command tree', async () => {
  const generated = await commandReference();
  const committed = readFileSync(join(ROOT, 'docs', 'commands.md'), 'utf8');
  if (committed !== generated) {
    const a = committed.split('\n');
    const b = generated.split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    throw new Error(
      `docs/commands.md is stale: run \`npm run docs\` and commit the result.\n` +
        `First difference at line ${i + 1}:\n  in the file: ${JSON.stringify(a[i] ?? '(end of file)')}\n  generated:   ${JSON.stringify(b[i] ?? '(end of file)')}`,
    );
  }
  expect(committed).toBe(generated);
});

test('the reference has a section with usage and help for every command, leaves included', async () => {
  const text = await commandReference();
  for (const name of ['delegate', 'delegate init', 'delegate client user add', 'delegate client domain verify', 'delegate login status', 'delegate logout', 'delegate config list']) {
    const section = text.split(`\n## ${name}\n`)[1];
    expect(section).toBeDefined();
    expect(section!.split('\n## ')[0]).toContain(`Usage: ${name}`);
  }
  expect(text).not.toContain('__complete');
});

test('the reference does not depend on the terminal width or the environment', async () => {
  const saved = { COLUMNS: process.env.COLUMNS, cols: process.stdout.columns };
  try {
    process.env.COLUMNS = '40';
    const narrow = await commandReference();
    process.env.COLUMNS = '200';
    expect(await commandReference()).toBe(narrow);
  } finally {
    if (saved.COLUMNS === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved.COLUMNS;
  }
});
