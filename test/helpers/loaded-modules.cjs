// Preloaded with NODE_OPTIONS=--require: on exit, writes to LOADED_MODULES_OUT the
// Node built-in modules the process loaded and the files require() loaded.
'use strict';
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  require('node:fs').writeFileSync(process.env.LOADED_MODULES_OUT, JSON.stringify({ builtins, files: Object.keys(require.cache) }));
});
