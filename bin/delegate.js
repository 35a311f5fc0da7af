#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): `--version` and `--help` answer here
// without starting Node's ES module loader, which costs more than the rest of
// start-up. Everything else runs the bundled CLI in dist/.
'use strict';
const argv = process.argv.slice(2);
const only = argv.length === 1 ? argv[0] : undefined;
if (only === '--version' || only === '-V') {
  process.stdout.write(require('../package.json').version + '\n');
} else if ((only === '--help' || only === '-h') && !process.env.DELEGATE_NO_HELP_CACHE && printCachedHelp()) {
  // printed
} else {
  require('../dist/main.cjs').main();
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
