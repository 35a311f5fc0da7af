/**
 * Interrupts in-process, with the signal raised by the test at a chosen
 * point (test/resilience/interrupt.test.ts sends real signals to the built
 * CLI): which exit code, which one line, and what the store holds.
 */
import { Interrupts } from '../../src/cli/interrupt.js';
import { InterruptedError } from '../../src/domain/core/errors.js';
import { ADMIN, expectOneLine, runInProcess, runOk, sandbox, storeHash, TENANT, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
  await runOk(['--db', sb.db, 'init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
});
afterEach(() => sb.cleanup());

const users = async () => (JSON.parse(await runOk(['--db', sb.db, 'user', 'list', '--json'])) as { email: string; adminAccess: string }[]);

describe('Interrupts', () => {
  test('the first signal is pending and thrown as InterruptedError with its exit code; later ones go to onRepeat', () => {
    const i = new Interrupts();
    const repeats: string[] = [];
    i.onRepeat = (s) => repeats.push(s);
    expect(() => i.check()).not.toThrow();
    i.raise('SIGHUP');
    i.raise('SIGINT');
    expect(i.pending).toBe('SIGHUP');
    expect(repeats).toEqual(['SIGINT']);
    expect(i.signal.aborted).toBe(true);
    expect(() => i.check()).toThrow(InterruptedError);
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) expect(new InterruptedError(sig).exitCode).toBe(code);
  });

  test('race: a wait that never ends gives way to a signal; an ordinary one resolves', async () => {
    const i = new Interrupts();
    await expect(i.race(Promise.resolve(7))).resolves.toBe(7);
    const forever = i.race(new Promise<never>(() => undefined));
    i.raise('SIGTERM');
    await expect(forever).rejects.toMatchObject({ name: 'InterruptedError', signal: 'SIGTERM', exitCode: 143 });
  });

  test('listen and dispose: the process handlers are added and removed', () => {
    const before = process.listenerCount('SIGTERM');
    const i = new Interrupts().listen();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    i.dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

describe('a command interrupted in-process', () => {
  test('a signal before the write commits: the transaction rolls back, "nothing was written", exit 130', async () => {
    const interrupts = new Interrupts();
    interrupts.raise('SIGINT');
    const before = await storeHash(sb.db);
    const r = await runInProcess(['--db', sb.db, 'user', 'add', 'grace@fabrikam.com'], { interrupts });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 130, stdout: '' });
    expectOneLine(r.stderr, /^Interrupted \(SIGINT\): nothing was written\.\n$/);
    expect(await storeHash(sb.db)).toBe(before);
  });

  test('a signal while a read is printing: exit 129, "nothing was written"', async () => {
    const interrupts = new Interrupts();
    const r = await runInProcess(['--db', sb.db, 'user', 'list'], { interrupts, onOut: () => interrupts.raise('SIGHUP') });
    expect(r.code).toBe(129);
    expectOneLine(r.stderr, /^Interrupted \(SIGHUP\): nothing was written\.\n$/);
  });

  test('a signal as the committed result is printed: exit 143, the change stays, the line says it was committed and printed', async () => {
    const interrupts = new Interrupts();
    const r = await runInProcess(['--db', sb.db, 'user', 'add', 'grace@fabrikam.com'], { interrupts, onOut: () => interrupts.raise('SIGTERM') });
    expect(r.code).toBe(143);
    expect(r.stdout).toMatch(/^grace@fabrikam\.com\t/);
    expectOneLine(r.stderr, /^Interrupted \(SIGTERM\) after the change was committed; all of its output was printed\.\n$/);
    expect((await users()).map((u) => u.email)).toContain('grace@fabrikam.com');
  });

  test('a signal while a bulk file is still coming in on stdin: no row written, exit 130', async () => {
    const interrupts = new Interrupts();
    const rows = ['email,name', ...Array.from({ length: 5000 }, (_, i) => `u${i}@fabrikam.com,U ${i}`)].join('\n') + '\n';
    const half = rows.lastIndexOf('\n', rows.length / 2) + 1;
    const stdin = (async function* () {
      yield rows.slice(0, half);
      interrupts.raise('SIGINT');
      yield rows.slice(half);
    })();
    const before = await storeHash(sb.db);
    const r = await runInProcess(['--db', sb.db, 'user', 'add', '--file', '-'], { interrupts, stdin });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 130, stdout: '' });
    expectOneLine(r.stderr, /^Interrupted \(SIGINT\): nothing was written\.\n$/);
    expect(await storeHash(sb.db)).toBe(before);
  });
});
