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
