/**
 * `--fields` on every list (SPEC.md "Fleet work and the shell"): only these
 * JSON fields, in this order, in every output form; dotted names reach nested
 * ones; an unknown field is exit 2 naming the valid ones, before the store is
 * opened, and changes nothing.
 */
import { ADMIN, expectOneLine, runInProcess, sandbox, storeHash, TENANT, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
  await ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  const plain = JSON.parse(await ok(['offer', 'create', '--json'])).id as string;
  await ok(['client', 'accept', plain, '--domain', 'contoso.com', '--name', 'Contoso Ltd']);
  await ok(['client', 'user', 'add', 'contoso.com', 'alice@contoso.com']);
  await ok(['client', 'domain', 'add', 'contoso.com', 'contoso.net']);
  await ok(['group', 'create', 'Helpdesk']);
  await ok(['template', 'create', 'std', '--roles', 'Helpdesk Administrator', '--assign', 'Helpdesk=Helpdesk Administrator']);
  const granular = JSON.parse(await ok(['offer', 'create', '--template', 'std', '--name', 'Std 1', '--json'])).id as string;
  await ok(['client', 'accept', granular, '--domain', 'adatum.com']);
});
afterAll(() => sb.cleanup());

const cli = (args: string[]) => runInProcess(['--db', sb.db, ...args]);
async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const LISTS: string[][] = [
  ['client', 'list'],
  ['user', 'list'],
  ['offer', 'list'],
  ['audit'],
  ['inbox'],
  ['role', 'list'],
  ['group', 'list'],
  ['template', 'list'],
  ['client', 'user', 'list', 'contoso.com'],
  ['client', 'domain', 'list', 'contoso.com'],
  ['client', 'drift'],
];

/** The valid fields, as the error for an unknown one names them. */
async function validFields(list: string[]): Promise<string[]> {
  const r = await cli([...list, '--fields', 'nope']);
  return /valid fields: (.*)$/m.exec(r.stderr)![1]!.split(', ');
}

describe.each(LISTS.map((l) => [l.join(' '), l] as const))('%s --fields', (_name, list) => {
  test('names every top-level key of its JSON, and selecting them all gives the same JSON', async () => {
    const valid = await validFields(list);
    const full = JSON.parse(await ok([...list, '--json'])) as Record<string, unknown>[];
    const top = valid.filter((f) => !f.includes('.'));
    for (const row of full) for (const k of Object.keys(row)) expect(top).toContain(k);
    const picked = JSON.parse(await ok([...list, '--json', '--fields', top.join(',')])) as Record<string, unknown>[];
    expect(picked).toHaveLength(full.length);
    picked.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(top);
      for (const k of top) expect(row[k]).toEqual(full[i]![k] ?? null);
    });
  });

  test('the last two fields reversed, in every output form', async () => {
    const valid = (await validFields(list)).filter((f) => !f.includes('.'));
    const fields = [valid.at(-1)!, valid[0]!];
    const spec = fields.join(',');
    const full = JSON.parse(await ok([...list, '--json'])) as Record<string, unknown>[];
    const json = JSON.parse(await ok([...list, '--json', '--fields', spec])) as Record<string, unknown>[];
    expect(json).toEqual(full.map((r) => ({ [fields[0]!]: r[fields[0]!] ?? null, [fields[1]!]: r[fields[1]!] ?? null })));
    const csv = await ok([...list, '--output', 'csv', '--fields', spec]);
    expect(csv.split('\n')[0]).toBe(spec);
    expect(csv.trimEnd().split('\n')).toHaveLength(full.length + 1 + (csv.match(/"[^"]*\n[^"]*"/g)?.length ?? 0));
    const plain = await ok([...list, '--output', 'plain', '--fields', spec]);
    for (const line of plain.trimEnd().split('\n').filter(Boolean)) expect(line.split('\t')).toHaveLength(2);
    const table = await ok([...list, '--output', 'table', '--fields', spec]);
    if (full.length) expect(table.split('\n')[0]).toMatch(new RegExp(`^${fields[0]} +${fields[1]}$`));
  });

  test('an unknown field is exit 2, one line naming the valid ones, nothing printed, store unchanged', async () => {
    const before = await storeHash(sb.db);
    for (const bad of ['nope', 'name,nope,other', '', 'a,,b']) {
      const r = await cli([...list, '--fields', bad]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expectOneLine(r.stderr, /valid fields: /);
    }
    expect(await storeHash(sb.db)).toBe(before);
  });
});

test('dotted fields reach nested JSON, nested again in JSON and named as given in csv', async () => {
  const json = JSON.parse(await ok(['client', 'list', '--json', '--fields', 'domain,granular.endsAt,granular.displayName'])) as unknown[];
  expect(json).toEqual([
    { domain: 'adatum.com', granular: { endsAt: expect.any(String), displayName: 'Std 1' } },
    { domain: 'contoso.com', granular: { endsAt: null, displayName: null } },
  ]);
  const csv = await ok(['client', 'list', '--output', 'csv', '--fields', 'granular.displayName,domain']);
  expect(csv).toBe('granular.displayName,domain\nStd 1,adatum.com\n,contoso.com\n');
  const offers = await ok(['offer', 'list', '--output', 'plain', '--fields', 'granular.displayName']);
  expect(offers).toBe('\nStd 1\n'); // the plain offer has no granular part: an empty line
});

test('a bad field is exit 2 even without a store (input is checked before existence)', async () => {
  const r = await runInProcess(['--db', `${sb.dir}/missing.db`, 'client', 'list', '--fields', 'domian']);
  expect(r.code).toBe(2);
  expectOneLine(r.stderr, /Unknown field "domian" in --fields; valid fields: domain, name/);
});

test('a list without --fields is unchanged, and --fields is not offered on non-list commands', async () => {
  const r = await cli(['offer', 'create', '--fields', 'id']);
  expect(r.code).toBe(2);
  expectOneLine(r.stderr, /unknown option '--fields'/i);
});
