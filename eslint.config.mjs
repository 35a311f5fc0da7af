// The linter, run by `npm run typecheck` after tsc: ESLint's and typescript-eslint's recommended
// rules, without type information (tsc checks the types).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const node = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'TextDecoder', 'TextEncoder', 'AbortController', 'AbortSignal', 'fetch', 'performance', 'structuredClone', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/**', 'dist-check/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The patterns that name control characters are the point: terminal escapes, CSV, JSON and URL text are
      // checked for them (escape.ts, render.ts, validate.ts, urls.ts). Off, rather than a disable comment on each.
      'no-control-regex': 'off',
    },
  },
  // CommonJS: the start-up shim (bin/delegate.js loads the bundle with require on purpose) and test preloads.
  { files: ['**/*.cjs', 'bin/*.js'], languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // Tests read JSON the CLI printed; `any` there is what JSON.parse returns.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
