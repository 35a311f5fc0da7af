// `npm run docs`: writes docs/commands.md, the command reference, from the
// command tree of the built CLI (dist/main.cjs, as bin/delegate.js runs it):
// every command's --help at a fixed width (src/cli/reference.ts). Run it after
// changing any command's help; test/cli/docs.test.ts fails while the file is stale.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { commandReference } = createRequire(import.meta.url)(join(root, 'dist', 'main.cjs'));
const out = join(root, 'docs', 'commands.md');
writeFileSync(out, await commandReference());
console.log(`wrote ${out}`);
