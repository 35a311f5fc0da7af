/**
 * Ctrl-C at a real prompt, on a real (pseudo-)terminal: the prompt adapter
 * (@inquirer/prompts) reads the key in raw mode, so no SIGINT is sent; the
 * command must still end with exit 130 (SPEC "Exit codes": cancelled at a
 * prompt), write nothing, and give the terminal back with the cursor shown.
 * test/cli/prompts.test.ts covers the same paths with the scripted fake.
 */
import { ADMIN, storeExists, initPartner, spawnBin, sandbox, storeHash, type Sandbox } from '../helpers/cli.js';
import { runOnPty } from '../helpers/pty.js';

const CTRL_C = '\x03';
let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(() => sb.cleanup());

/** The cursor is shown at the end: no hide (ESC [?25l) after the last show (ESC [?25h). */
function cursorShown(output: string): boolean {
  return output.lastIndexOf('\x1b[?25l') < output.lastIndexOf('\x1b[?25h') || !output.includes('\x1b[?25l');
}

test('delegate init: Ctrl-C at the first prompt exits 130 and creates no store', async () => {
  const r = await runOnPty(['init'], sb.env, /Partner name/, CTRL_C);
  expect(r.acted).toBe(true);
  expect(r.code).toBe(130);
  expect(r.output).toMatch(/Cancelled\./);
  expect(cursorShown(r.output)).toBe(true);
  expect(await storeExists(sb.db)).toBe(false);
});

test('delegate init: Ctrl-C at a later prompt (after answers were typed) still writes nothing', async () => {
  const r = await runOnPty(['init', '--name', 'Fabrikam IT', '--tenant-id', '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', '--admin', ADMIN], sb.env, /Cloud/, CTRL_C);
  expect(r.acted).toBe(true);
  expect(r.code).toBe(130);
  expect(await storeExists(sb.db)).toBe(false);
});

test('user remove: Ctrl-C at the y/N confirmation exits 130 and leaves the store byte for byte as it was', async () => {
  await initPartner(sb);
  const add = await spawnBin(['user', 'add', 'grace@fabrikam.com'], sb.env);
  expect(add.code).toBe(0);
  const before = await storeHash(sb.db);
  const r = await runOnPty(['user', 'remove', 'grace@fabrikam.com'], sb.env, /Remove user/, CTRL_C);
  expect(r.acted).toBe(true);
  expect(r.code).toBe(130);
  expect(cursorShown(r.output)).toBe(true);
  expect(await storeHash(sb.db)).toBe(before);
  const list = await spawnBin(['user', 'list'], sb.env);
  expect(list.stdout).toMatch(/grace@fabrikam\.com/);
});

test('user remove: SIGTERM while the y/N confirmation is open exits 143 with one line "nothing was written", the terminal given back', async () => {
  await initPartner(sb);
  const before = await storeHash(sb.db);
  const r = await runOnPty(['user', 'remove', ADMIN], sb.env, /Remove user/, 'SIGTERM');
  expect(r.acted).toBe(true);
  expect(r.code).toBe(143);
  expect(r.output).toMatch(/Interrupted \(SIGTERM\): nothing was written\.\r?\n$/);
  expect(cursorShown(r.output)).toBe(true);
  expect(await storeHash(sb.db)).toBe(before);
});
