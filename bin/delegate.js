#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): `--version` and `--help` answer here
// without starting Node's ES module loader, which costs more than the rest of
// start-up. Everything else runs the bundled CLI in dist/, compiled with the
// V8 code cache the build made (dist/main.cjs.cache), so the bundle's code is
// not parsed and compiled again on every start.
'use strict';
const argv = process.argv.slice(2);
const only = argv.length === 1 ? argv[0] : undefined;
if (only === '--version' || only === '-V') {
  process.stdout.write(require('../package.json').version + '\n');
} else if ((only === '--help' || only === '-h') && !process.env.DELEGATE_NO_HELP_CACHE && !narrow() && printCachedHelp()) {
  // printed
} else {
  loadBundle().main();
}

/** A terminal narrower than the 80 columns the cached help is wrapped at: the CLI wraps it itself. */
function narrow() {
  const width = Number(process.env.COLUMNS) || (process.stdout.isTTY ? process.stdout.columns : 80);
  return width > 0 && width < 80;
}

/** The top-level help the build captured from the CLI itself (dist/help.txt). */
function printCachedHelp() {
  try {
    process.stdout.write(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'dist', 'help.txt'), 'utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * dist/main.cjs, loaded as require() would load it, but compiled with its code
 * cache when there is one V8 accepts (same Node, same flags; otherwise V8
 * compiles as usual). The build writes the cache by running commands with
 * DELEGATE_WRITE_CODE_CACHE set (scripts/build.mjs).
 */
function loadBundle() {
  const fs = require('node:fs');
  const path = require('node:path');
  const file = path.join(__dirname, '..', 'dist', 'main.cjs');
  const cacheFile = file + '.cache';
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    return require(file);
  }
  const vm = require('node:vm');
  const Module = require('node:module');
  // require()'s wrapper, with one more parameter: import() from here, for the ES-module dependencies
  // (conf, prompts, clipboard, sign-in), since import() inside a vm.Script needs an experimental flag.
  const wrapped = '(function (exports, require, module, __filename, __dirname, __delegateImport) { ' + fs.readFileSync(file, 'utf8') + '\n});';
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  require.cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file), (specifier) => import(specifier));
  mod.loaded = true;
  if (process.env.DELEGATE_WRITE_CODE_CACHE) process.once('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
  return mod.exports;
}
