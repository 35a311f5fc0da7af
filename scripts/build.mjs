// Build: bundle src/ into dist/ with esbuild. One entry (dist/main.js) plus a
// chunk per command noun, loaded only when that noun runs, so start-up parses
// little. Native and rarely used packages stay outside the bundle.
// Type checking is `npm run typecheck` (tsc --noEmit); esbuild does not type check.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // better-sqlite3 is native; conf, clipboardy and @inquirer/prompts load lazily and rarely.
  external: ['better-sqlite3', 'conf', 'clipboardy', '@inquirer/prompts'],
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies inside an ES module bundle need a real `require`.
  banner: { js: "import { createRequire as __delegateRequire } from 'node:module'; const require = __delegateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The top-level help, captured once from the bundle just built: `delegate --help`
// is asked often (and by scripts), and printing this file needs no command parser.
// Commander wraps at 80 columns when not on a terminal, so this is its piped output exactly.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const help = execFileSync(process.execPath, ['bin/delegate.js', '--help'], { env: { ...process.env, DELEGATE_NO_HELP_CACHE: '1', COLUMNS: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
writeFileSync('dist/help.txt', help);
