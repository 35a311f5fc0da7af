// Build: bundle src/ into one CommonJS file, dist/main.cjs, with esbuild.
// CommonJS because Node starts it without its ES module loader (measured: a
// split ES module build is ~10% slower to start `client list`), and one file
// because reading one file beats resolving a dozen; modules inside the bundle
// still initialise only when first imported, so each command runs little.
// Native and rarely used packages (ES modules loaded with import() when
// needed) stay outside the bundle.
// Type checking is `npm run typecheck` (tsc --noEmit); esbuild does not type check.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // better-sqlite3 is native; conf, clipboardy, @inquirer/prompts and @azure/msal-node (sign-in) load lazily and rarely.
  external: ['better-sqlite3', 'conf', 'clipboardy', '@inquirer/prompts', '@azure/msal-node'],
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  // The sources are ES modules; in the CommonJS bundle import.meta.url is this file's URL.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

// The top-level help, captured once from the bundle just built: `delegate --help`
// is asked often (and by scripts), and printing this file needs no command parser.
// Commander wraps at 80 columns when not on a terminal, so this is its piped output exactly.
const help = execFileSync(process.execPath, ['bin/delegate.js', '--help'], {
  env: { ...process.env, DELEGATE_NO_HELP_CACHE: '1', COLUMNS: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
writeFileSync('dist/help.txt', help);
