// One writer process for the team-store concurrency test: runs the command lines it is
// given (JSON on argv[2]) one after another through the built CLI, in this process (so the
// test measures the store, not Node's start-up), and prints one JSON line per command.
'use strict';
const { Readable } = require('node:stream');
const { runCli, defaultDeps } = require('../../dist/main.cjs');

async function run() {
  const lines = JSON.parse(process.argv[2]);
  for (const { args, stdin } of lines) {
    const deps = await defaultDeps();
    let err = '';
    const io = {
      out: () => undefined,
      err: (t) => void (err += t),
      drained: async () => undefined,
      stdin: Readable.from([stdin ?? '']),
      stdinIsTTY: false,
      stdoutIsTTY: false,
      stderrIsTTY: false,
    };
    const code = await runCli(args, { ...deps, io });
    process.stdout.write(JSON.stringify({ args, code, stderr: err }) + '\n');
  }
}
run().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(String(e && e.stack) + '\n');
    process.exit(1);
  },
);
