/**
 * What every command line needs before its noun is known, in one module so
 * start-up reads one file rather than many.
 */
export { Context } from './context.js';
export { buildProgram, protectDashValues } from './program.js';
export { processIO } from './io.js';
export { inquirerPrompter } from './prompter.js';
export { systemClipboard } from './clipboard.js';
