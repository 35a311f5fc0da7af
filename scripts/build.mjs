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
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
// commander requires node:child_process (which loads net and dgram) for executable subcommands, which
// delegate has none of: it gets the module on first use instead, so start-up does not load it.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('node_modules/commander/') ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

// ES-module dependencies, loaded with import() only by the commands that need them.
const ESM_EXTERNALS = ['conf', 'clipboardy', '@inquirer/prompts', '@azure/msal-node'];
const out = await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // better-sqlite3 is native; conf, clipboardy, @inquirer/prompts and @azure/msal-node (sign-in) load lazily and rarely.
  external: ['better-sqlite3', 'pg', 'pg-copy-streams', ...ESM_EXTERNALS],
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  // The sources are ES modules; in the CommonJS bundle import.meta.url is this file's URL.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: {
    js: [
      "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;",
      // bin/delegate.js compiles this file as a vm.Script (to use its code cache), where import() cannot load
      // ES modules without an experimental flag; it passes its own import() in as __delegateImport.
      "const __esmImport = typeof __delegateImport === 'function' ? __delegateImport : (s) => import(s);",
    ].join('\n'),
  },
  logLevel: 'warning',
  write: false,
  plugins: [lazyChildProcess],
});
// The ES-module dependencies the bundle loads with import() go through __esmImport (see the banner).
let code = out.outputFiles[0].text;
for (const dep of ESM_EXTERNALS) {
  const call = `import(${JSON.stringify(dep)})`;
  if (!code.includes(call)) throw new Error(`build: expected ${call} in the bundle`);
  code = code.split(call).join(`__esmImport(${JSON.stringify(dep)})`);
}
if (/[^\w.]import\(/.test(code.replace("(s) => import(s)", ''))) throw new Error('build: an import() other than the known ES-module dependencies is in the bundle');
mkdirSync('dist', { recursive: true });
writeFileSync('dist/main.cjs', code);

// The top-level help, captured once from the bundle just built: `delegate --help`
// is asked often (and by scripts), and printing this file needs no command parser.
// Commander wraps at 80 columns when not on a terminal, so this is its piped output exactly.
const help = execFileSync(process.execPath, ['bin/delegate.js', '--help'], {
  env: { ...process.env, DELEGATE_NO_HELP_CACHE: '1', COLUMNS: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
writeFileSync('dist/help.txt', help);

// The V8 code cache of the bundle (dist/main.cjs.cache), which bin/delegate.js
// compiles it with: made by running commands that start-up matters for, each
// run adding the functions it compiled to what the cache already held. Written
// only here; a cache V8 rejects (another Node version) is simply not used.
{
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'delegate-build-'));
  writeFileSync('dist/main.cjs.cache', '');
  const env = { ...process.env, DELEGATE_DB: join(dir, 'store.db'), DELEGATE_CONFIG_DIR: join(dir, 'config'), DELEGATE_WRITE_CODE_CACHE: '1', NO_COLOR: '1' };
  const run = (...args) => execFileSync(process.execPath, ['bin/delegate.js', ...args], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    run('init', '--name', 'Build', '--tenant-id', '00000000-0000-4000-8000-000000000000', '--admin', 'admin@build.example', '--certified');
    for (const args of [['offer', 'create'], ['offer', 'list'], ['client', 'list'], ['user', 'list'], ['audit'], ['inbox'], ['client', 'list', '--output', 'json']]) run(...args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
