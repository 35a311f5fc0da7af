/**
 * docs/commands.md is the command reference `npm run docs` generates from the
 * command tree: it must be what the generator makes now, so a change to any
 * command's help that is not regenerated fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
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

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

/** A Markdown file's headings as anchors (outside code blocks), and its links (outside code blocks). */
function parse(text: string): { anchors: Set<string>; links: string[] } {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence = false;
  const prose: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('```')) {
      fence = !fence;
      continue;
    }
    if (fence) continue;
    prose.push(line);
    const h = /^#{1,6} (.*)$/.exec(line);
    if (h) {
      const s = slug(h[1]!);
      const n = seen.get(s) ?? 0;
      seen.set(s, n + 1);
      anchors.add(n === 0 ? s : `${s}-${n}`);
    }
  }
  const links = [...prose.join('\n').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
  return { anchors, links };
}

test('the README is the front door: at most 400 lines, with every guide under docs/ linked from it', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  expect(readme.split('\n').length).toBeLessThanOrEqual(400);
  const linked = new Set(parse(readme).links.map((l) => l.split('#')[0]));
  for (const file of readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) expect([...linked]).toContain(`docs/${file}`);
});

test('every link between the README and docs/ reaches a file and a heading that exist', () => {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const file of files) {
    for (const link of parse(readFileSync(join(ROOT, file), 'utf8')).links) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? normalize(join(dirname(file), path)) : file;
      if (!existsSync(join(ROOT, target))) broken.push(`${file}: ${link} (no such file)`);
      else if (anchor && target.endsWith('.md') && !parse(readFileSync(join(ROOT, target), 'utf8')).anchors.has(anchor)) broken.push(`${file}: ${link} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});

test('every source file the README and docs/ name exists', () => {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const missing: string[] = [];
  for (const file of files) {
    for (const [path] of readFileSync(join(ROOT, file), 'utf8').matchAll(/\b(?:src|test|bench|scripts)\/[\w./-]+\.(?:ts|mjs|cjs|js)\b/g)) {
      if (!existsSync(join(ROOT, path))) missing.push(`${file}: ${path}`);
    }
  }
  expect(missing).toEqual([]);
});
