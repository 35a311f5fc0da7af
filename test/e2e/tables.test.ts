/**
 * Tables on a real terminal (a pseudo-terminal whose window is 80 or 120
 * columns, no COLUMNS set): the width comes from the terminal itself; tables
 * are borderless, fit it, keep their key column whole and say on stderr what
 * they left out; `client show` is vertical. test/cli/tables.test.ts covers
 * every list and show at both widths in-process.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ADMIN, TENANT, runBin, sandbox, type Sandbox } from '../helpers/cli.js';
import { pgActing } from '../helpers/pg-e2e.js';
import { runOnPty } from '../helpers/pty.js';

const LONG = 'northwind-traders-international.onmicrosoft.com';
const NEVER = /(?!)/;
const BORDER = /[│┌┐└┘├┤┬┴┼─]/;
let sb: Sandbox;

async function setup(args: string[]): Promise<string> {
  const r = await runBin(args, sb.env);
  if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  sb = await sandbox();
  sb.env.DELEGATE_NOW = '2026-03-01T09:00:00.000Z';
  await setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  const offer = JSON.parse(await setup(['offer', 'create', '--json'])).id as string;
  await setup(['client', 'accept', offer, '--domain', 'contoso.com', '--name', 'Contoso Ltd', '--tenant-id', '11111111-2222-4333-8444-555555555555']);
  await setup(['client', 'accept', offer, '--domain', LONG, '--name', 'Northwind Traders International Holdings (EMEA)', '--tenant-id', '21111111-2222-4333-8444-555555555555']);
  const granular = JSON.parse(await setup(['offer', 'create', '--granular', '--name', 'Wingtip helpdesk', '--roles', 'Global Administrator,Helpdesk Administrator', '--json']));
  await setup(['client', 'accept', granular.id, '--domain', 'wingtip.com']);
}, 60_000);
afterAll(() => sb.cleanup());

/** On a terminal of this size (on a team store, acting and the clock as runBin sets them). */
async function onTerminal(argsIn: string[], columns: number) {
  const { args, env } = await pgActing(argsIn, sb.env);
  return runOnPty(args, env, NEVER, '', { columns, rows: 30 });
}

/** The terminal's lines (it turns \n into \r\n). */
const lines = (output: string) => output.replace(/\r\n/g, '\n').trimEnd().split('\n');

test.each([80, 120])('client list on a %i-column terminal: borderless, the domain whole, every line within the width', async (columns) => {
  const r = await onTerminal(['client', 'list'], columns);
  expect(r.code).toBe(0);
  const out = lines(r.output);
  expect(r.output).not.toMatch(BORDER);
  expect(out.find((l) => l.startsWith('domain '))).toMatch(/^domain +name +/);
  for (const domain of ['contoso.com', LONG, 'wingtip.com']) expect(out.some((l) => l.startsWith(domain + ' '))).toBe(true);
  // (The line on stderr naming what was left out is a message, not the table's.)
  for (const l of out.filter((x) => !x.startsWith('Left out'))) expect([...l].length).toBeLessThanOrEqual(columns);
  // The tenant id is the first column left out, and the list says so.
  expect(out).toContainEqual(expect.stringMatching(new RegExp(`^Left out to fit ${columns} columns: tenantId`)));
});

test('doctor on an 80-column terminal: every fix whole (the key), the check left out first', async () => {
  const r = await onTerminal(['doctor'], 80);
  expect(r.code).toBe(1);
  expect(r.output).not.toMatch(BORDER);
  const out = lines(r.output);
  expect(out[0]).toMatch(/^client +severity +message +fix$/);
  expect(out).toContainEqual(expect.stringMatching(/ {2}delegate client remove-role wingtip\.com --role "Global Administrator" && delegate client extend wingtip\.com$/));
  expect(out).toContainEqual(expect.stringMatching(/^Left out to fit 80 columns: check /));
});

test('client show on an 80-column terminal: vertical, name: value lines', async () => {
  const r = await onTerminal(['client', 'show', 'wingtip.com'], 80);
  expect(r.code).toBe(0);
  const out = lines(r.output);
  expect(out.slice(0, 4)).toEqual(['domain:   wingtip.com', 'name:     wingtip.com', 'tenantId:', 'status:   active']);
  expect(out).toContain('  roles:              Global Administrator, Helpdesk Administrator');
  for (const l of out) expect([...l].length).toBeLessThanOrEqual(80);
});
