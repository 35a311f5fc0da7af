/**
 * Property-based robustness: arbitrary strings (control characters, quotes,
 * very long strings, SQL metacharacters, Unicode look-alikes, BOMs, CRLF,
 * things that look like flags) as every kind of value the seed's commands
 * take, and arbitrary CSV files for the bulk commands. Whatever the input:
 *
 * - the exit code is one of 0, 2, 3, 4, 5: never 1 (an unexpected failure)
 *   and never a crash;
 * - stderr never holds a stack trace, and a refusal is exactly one line;
 * - a refusal other than "not permitted" (4, audited by design) leaves the
 *   store byte-for-byte unchanged;
 * - afterwards the store is still sound: its audit chain verifies.
 *
 * The CLI runs in-process (runInProcess) against a sandbox store file, so a
 * run costs milliseconds. `--db` always comes last so that a generated value
 * that happens to read "--db" can never point the run at another file.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { partnerCenterLink } from '../helpers/links.js';
import { ADMIN, initPartner, spawnBin, runInProcess, sandbox, storeHash, TENANT, type Sandbox } from '../helpers/cli.js';

/** Runs per property: at least 200 (PROP_RUNS may ask for more, never fewer). */
const RUNS = Math.max(200, Number(process.env.PROP_RUNS) || 0);
const CYRILLIC_A = '\u0430'; // looks like Latin "a"
const BOM = '\ufeff';

/** Hand-picked nasty values, each given as-is and spliced into generated ones. */
const NASTY: string[] = [
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  "Robert'); DROP TABLE clients;--",
  "ada@fabrikam.com'--",
  '%',
  '_',
  '\\',
  '\u0000',
  '\u0007\u0008\u001b[31mred\u001b[0m',
  '\r\n',
  '\r',
  '\t',
  BOM,
  `${BOM}ada@fabrikam.com`,
  `${CYRILLIC_A}da@fabrikam.com`,
  `ada@f${CYRILLIC_A}brikam.com`,
  `contoso.c${'\u043e'}m`,
  'ADA@FABRIKAM.COM',
  ADMIN,
  ` ${ADMIN} `,
  `${ADMIN}\n`,
  'x'.repeat(5000),
  `${'a'.repeat(64)}@${'b'.repeat(250)}.com`,
  '\u{1F600}',
  '\u202Eevil\u202C',
  '\u200B',
  '\uFFFD',
  '-',
  '--',
  '--help',
  '-h',
  '--json',
  '-V',
  '--yes',
  '$(id)',
  '`id`',
  '${HOME}',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '0',
  '-1',
  '1e309',
  'P730D',
  'P1D',
  'P2Y',
  'P731D',
  'PT0S',
  'P180D',
  'p730d',
  'P0D',
  'P99999999999999999999D',
  'Global Administrator',
  'global administrator',
  '62e90394-69f5-4237-9190-012177145e10',
  'Global Administrator,Global Administrator',
  ',,,',
  'full',
  'limited',
  'none',
  'FULL',
  TENANT,
  TENANT.toUpperCase(),
  `{${TENANT}}`,
  '00000000-0000-0000-0000-000000000000',
  'contoso.com',
  'xn--80ak6aa92e.com',
  'localhost',
  '.com',
  'contoso..com',
  `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`,
  `https://portal.office.com/partner/partnersignup.aspx?type=Trial&id=%27;DROP&msppid=${TENANT}`,
  'https://portal.office.com/partner/partnersignup.aspx?type=Trial&id=0b5c2d1e-9f8a-4b7c-8d6e-5f4a3b2c1d0e&msppid=1234567',
  'https://evil.com@admin.microsoft.com/Adminportal/Home?invType=Administration',
  'https://admin.microsoft.com:443/Adminportal/Home',
  'https://admin.cloud.microsoft/?#/partners/invitation/granularAdminRelationships/x',
  'https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/../../etc/passwd',
  'javascript:alert(1)',
  'file:///etc/passwd',
];

const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const metaChar = fc.constantFrom("'", '"', ';', '-', '%', '_', '\\', ',', '\n', '\r', '@', '.', '/', '#', '?', '&', '=', ' ', CYRILLIC_A, BOM, '\u00a0', '\u0085');

/**
 * What a real command line or file can carry: Node decodes argv and files as
 * UTF-8, so a lone UTF-16 surrogate never reaches delegate (it arrives as
 * U+FFFD). Generated strings are made well-formed the same way.
 */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** An arbitrary string that is likely to hurt. */
const nasty: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.oneof(controlChar, metaChar, fc.constantFrom('a', 'b', 'x', '1')), maxLength: 40 }),
  fc.string({ minLength: 300, maxLength: 3000 }),
  fc.tuple(fc.constantFrom(...NASTY), fc.string({ maxLength: 8 }), fc.constantFrom(...NASTY)).map(([a, b, c]) => a + b + c),
).map(wellFormed);

/** Free text that is valid where free text is allowed (names): printable, quotes and SQL included. */
const text = fc.oneof(
  fc.constantFrom("'; DROP TABLE users; --", '" OR 1=1 --', "O'Brien & Sons, \"Ltd\"", `F${CYRILLIC_A}brikam`, '\u{1F600} émoji', '%_\\', 'x'.repeat(200)),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
).map(wellFormed);
/** Usually valid, sometimes anything: each kind of value gets both. */
const mostly = <T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: other });
/** A required flag's value, left out now and then. */
const required = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: a }, { weight: 1, arbitrary: fc.constant(undefined) });

const localPart = fc.stringMatching(/^[a-z][a-z0-9]{0,10}([._+-][a-z0-9]{1,8}){0,2}$/);
const validEmail = fc.oneof(
  localPart.map((l) => `${l}@fabrikam.com`),
  fc.tuple(localPart, fc.domain()).map(([l, d]) => `${l}@${d}`),
  fc.constantFrom(ADMIN, 'GRACE@Fabrikam.com', 'bob@fabrikam.com'),
);
/** Shaped like the value it stands for, with nasty parts. */
const emailish = mostly(
  validEmail,
  fc.oneof(
    nasty,
    fc.tuple(nasty, fc.constantFrom('fabrikam.com', 'contoso.com', `f${CYRILLIC_A}brikam.com`)).map(([l, d]) => `${l}@${d}`),
    fc.tuple(fc.constantFrom('grace', 'bob', 'carol'), nasty).map(([l, d]) => `${l}@${d}`),
    fc.emailAddress(),
  ),
);
const domainish = mostly(fc.domain(), fc.oneof(nasty, fc.tuple(nasty, fc.constantFrom('.com', '.example.com', '.onmicrosoft.com')).map(([a, b]) => a + b)));
const guidish = mostly(fc.uuid().map(String), fc.oneof(nasty, fc.uuid().map((u) => `${u}${BOM}`), fc.uuid().map((u) => u.toUpperCase())));
const nameish = mostly(text, nasty);

// ---------------------------------------------------------------------------

let sb: Sandbox;
let offerId = '';
let granularName = '';

async function setup(args: string[], stdin?: string): Promise<string> {
  const r = await runInProcess([...args, '--db', sb.db], { stdin, env: sb.env });
  if (r.code !== 0) throw new Error(`setup ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  sb = await sandbox();
  await setup(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  await setup(['user', 'add', '--file', '-'], 'email,name\ngrace@fabrikam.com,Grace\nbob@fabrikam.com,Bob\ncarol@fabrikam.com,Carol\n');
  offerId = JSON.parse(await setup(['offer', 'create', '--json'])).id;
  const g = JSON.parse(await setup(['offer', 'create', '--granular', '--roles', 'Global Reader', '--json']));
  granularName = g.granular.displayName;
  await setup(['client', 'accept', offerId, '--domain', 'contoso.com']);
});

afterAll(() => sb?.cleanup());

const ALLOWED = [0, 2, 3, 4, 5];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** The invariants every run keeps, whatever its input. */
function expectWellBehaved(args: string[], r: Outcome, before: string, after: string): void {
  const ctx = { args: args.map((a) => (a.length > 80 ? a.slice(0, 80) + '…' : a)), code: r.code, stderr: r.stderr.slice(0, 500) };
  if (!ALLOWED.includes(r.code)) throw new Error(`exit ${r.code} is not one of ${ALLOWED}: ${JSON.stringify(ctx)}`);
  if (/^\s+at /m.test(r.stderr) || /\.(js|ts):\d+:\d+/.test(r.stderr)) throw new Error(`stack trace on stderr: ${JSON.stringify(ctx)}`);
  if (r.code !== 0) {
    const lines = r.stderr.trimEnd().split('\n');
    if (lines.length !== 1 || lines[0] === '' || !r.stderr.endsWith('\n')) throw new Error(`a refusal must be one line on stderr: ${JSON.stringify(ctx)}`);
    if (r.stdout !== '') throw new Error(`a refusal printed data on stdout: ${JSON.stringify({ ...ctx, stdout: r.stdout.slice(0, 200) })}`);
  }
  if (r.code !== 0 && r.code !== 4 && after !== before) throw new Error(`exit ${r.code} changed the store: ${JSON.stringify(ctx)}`);
}

/** Run one command line against the store (or `db`), checking the invariants; returns the outcome. */
async function check(args: string[], opts: { db?: string; stdin?: string } = {}): Promise<Outcome> {
  const db = opts.db ?? sb.db;
  const before = await storeHash(db);
  const argv = [...args, '--db', db];
  const r = await runInProcess(argv, { stdin: opts.stdin, env: sb.env });
  const after = await storeHash(db);
  expectWellBehaved(argv, r, before, after);
  if (after !== before && existsSync(db)) {
    // Whatever was written, the audit chain over it still verifies.
    const verify = await runInProcess(['audit', 'verify', '--json', '--db', db], { env: sb.env });
    if (verify.code !== 0) throw new Error(`audit verify failed after ${JSON.stringify(argv)}: ${verify.stderr}`);
  }
  return r;
}

/** After a property: the store still opens, reads, and its audit chain verifies. */
async function expectStoreSound(): Promise<void> {
  const verify = await runInProcess(['audit', 'verify', '--json', '--db', sb.db], { env: sb.env });
  expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  const users = await runInProcess(['user', 'list', '--json', '--db', sb.db], { env: sb.env });
  expect(users.code).toBe(0);
  expect((JSON.parse(users.stdout) as { email: string }[]).map((u) => u.email)).toContain(ADMIN);
}

const looksLikeVersion = (v: string) => /^(-[^-\s]*V|--version)/.test(v);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const flag = (name: string, v: string | undefined): string[] => (v === undefined ? [] : [name, v]);
// The store carries over from run to run, so a shrunk counterexample could mislead: report the failing run as it was.
const params = { numRuns: RUNS, endOnFailure: true };

// ---------------------------------------------------------------------------

describe('arbitrary values on the command line', () => {
  afterEach(expectStoreSound);

  test('user add <email> [--name] [--global-admin]', async () => {
    await fc.assert(
      fc.asyncProperty(emailish, opt(nameish), fc.boolean(), async (email, name, ga) => {
        const r = await check(['user', 'add', email, ...flag('--name', name), ...(ga ? ['--global-admin'] : []), '--json']);
        // An email of `-h` or `--help` asks for help (exit 0, usage on stdout): nothing is added then.
        if (r.code === 0 && name !== undefined && !r.stdout.startsWith('Usage:')) {
          // Quotes, SQL and Unicode are stored as typed (NFC, trimmed), not escaped, mangled or truncated.
          const added = JSON.parse(r.stdout) as { email: string; name: string };
          const listed = JSON.parse((await runInProcess(['user', 'list', '--json', '--db', sb.db], { env: sb.env })).stdout) as { email: string; name: string }[];
          expect(listed.find((u) => u.email === added.email)?.name).toBe(name.normalize('NFC').trim());
        }
      }),
      params,
    );
  });

  test('user grant-admin <email...> --role', async () => {
    const known = fc.constantFrom('grace@fabrikam.com', 'BOB@fabrikam.com', 'carol@fabrikam.com', ADMIN);
    await fc.assert(
      fc.asyncProperty(fc.array(mostly(known, emailish), { minLength: 1, maxLength: 3 }), opt(mostly(fc.constantFrom('full', 'limited'), nasty)), async (emails, role) => {
        await check(['user', 'grant-admin', ...emails, ...flag('--role', role)]);
      }),
      params,
    );
  });

  test('init on a new path: refused runs create no store', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        required(nameish),
        required(guidish),
        required(emailish),
        opt(mostly(fc.constantFrom('global', 'china'), nasty)),
        opt(nameish),
        async (name, tenant, admin, cloud, adminName) => {
          const db = join(sb.dir, 'fresh', `s${n++}`, 'delegate.db');
          const args = ['init', ...flag('--name', name), ...flag('--tenant-id', tenant), ...flag('--admin', admin), ...flag('--cloud', cloud), ...flag('--admin-name', adminName)];
          const r = await check(args, { db });
          if (r.code !== 0) expect(existsSync(db)).toBe(false);
        },
      ),
      params,
    );
  });

  test('init on an existing store: always refused, store unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(nameish, guidish, emailish, async (name, tenant, admin) => {
        // A value reading -V/--version prints the version instead (see the failing test at the end).
        fc.pre(![name, tenant, admin].some(looksLikeVersion));
        const before = await storeHash(sb.db);
        const r = await check(['init', '--name', name, '--tenant-id', tenant, '--admin', admin, '--certified']);
        expect(r.code).not.toBe(0);
        expect(await storeHash(sb.db)).toBe(before);
      }),
      params,
    );
  });

  test('client accept <offer> --domain [--name] [--tenant-id]', async () => {
    const offer = mostly(fc.constantFrom(offerId, `https://admin.microsoft.com/Adminportal/Home?invType=Administration&partnerId=${TENANT}#/BillingAccounts/partner-invitation`), nasty);
    await fc.assert(
      fc.asyncProperty(offer, required(domainish), opt(nameish), opt(guidish), async (o, domain, name, tenant) => {
        await check(['client', 'accept', o, ...flag('--domain', domain), ...flag('--name', name), ...flag('--tenant-id', tenant)]);
      }),
      params,
    );
  });

  test('offer create --granular --roles --duration --auto-extend --name [--count] [--plan]', async () => {
    const roles = mostly(fc.constantFrom('Global Reader', 'Helpdesk Administrator,Global Reader', 'Global Administrator', '729827e3-9c14-49f7-bb1b-9608f156bbb8', 'global reader'), nasty);
    const duration = mostly(fc.constantFrom('P730D', 'P1D', 'P2Y', 'P365D', 'P3Y', 'PT24H', 'P12M'), nasty);
    const name = mostly(text.map((t) => t.slice(0, 50)), fc.oneof(nasty, fc.constant(granularName), fc.string({ minLength: 49, maxLength: 52 })));
    await fc.assert(
      fc.asyncProperty(
        required(roles),
        opt(duration),
        opt(mostly(fc.constantFrom('PT0S', 'P180D'), nasty)),
        opt(name),
        opt(mostly(fc.constantFrom('1', '2', '3'), fc.oneof(nasty, fc.constantFrom('0', '1001')))),
        fc.boolean(),
        async (r, d, ae, n, count, plan) => {
          await check([
            'offer',
            'create',
            '--granular',
            ...flag('--roles', r),
            ...flag('--duration', d),
            ...flag('--auto-extend', ae),
            ...flag('--name', n),
            ...flag('--count', count),
            ...(plan ? ['--plan', 'graph'] : []),
          ]);
        },
      ),
      params,
    );
  });

  test('offer create --trial-url/--purchase-url --trial/--purchase --quantity --format', async () => {
    // Mostly links as Partner Center makes them (fresh ids, any Partner ID: this partner has none set), else anything.
    const link = (type: 'Trial' | 'Purchase') =>
      mostly(fc.tuple(fc.uuid(), fc.integer({ min: 1, max: 99_999_999 })).map(([id, mpn]) => partnerCenterLink(type, id, mpn)), nasty);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('trial', 'purchase', 'both', 'none'),
        link('Trial'),
        link('Purchase'),
        opt(nameish),
        opt(mostly(fc.constantFrom('1', '25', '100000'), nasty)),
        opt(mostly(fc.constantFrom('text', 'email', 'html', 'url'), nasty)),
        async (kind, trialUrl, purchaseUrl, product, qty, format) => {
          const trial = kind === 'trial' || kind === 'both';
          const purchase = kind === 'purchase' || kind === 'both';
          const what = [
            ...flag('--trial-url', trial ? trialUrl : undefined),
            ...flag('--purchase-url', purchase ? purchaseUrl : undefined),
            // The describing flags, sometimes without their link (exit 2).
            ...flag(purchase ? '--purchase' : '--trial', product),
            ...flag('--quantity', kind === 'trial' ? undefined : qty),
          ];
          await check(['offer', 'create', ...what, ...flag('--format', format)]);
        },
      ),
      params,
    );
  });

  test('read commands with arbitrary filters change nothing, ever', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mostly(fc.constantFrom('contoso.com', 'CONTOSO.com'), domainish).map((s) => ['client', 'show', s]),
          mostly(text, nasty).map((s) => ['client', 'list', '--search', s]),
          mostly(fc.constantFrom('active', 'removed', 'expired', 'terminated'), nasty).map((s) => ['client', 'list', '--status', s]),
          mostly(fc.constantFrom('full', 'limited', 'none'), nasty).map((s) => ['user', 'list', '--access', s]),
          emailish.map((s) => ['audit', '--actor', s]),
          mostly(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nasty).map((s) => ['audit', '--since', s]),
          mostly(fc.constant(''), nasty).map((s) => ['offer', 'link', ...(s ? [s] : [offerId])]),
        ),
        fc.constantFrom('table', 'json', 'csv', 'plain'),
        async (args, output) => {
          const before = await storeHash(sb.db);
          await check([...args, '--output', output]);
          expect(await storeHash(sb.db)).toBe(before);
        },
      ),
      params,
    );
  });
});

// ---------------------------------------------------------------------------

/** A CSV field: quoted (doubling quotes; may then hold commas, quotes, CR/LF) or raw (possibly malformed). */
const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
const csvField = (a: fc.Arbitrary<string>) => fc.tuple(a, fc.constantFrom('raw', 'quoted', 'quoted')).map(([v, how]) => (how === 'raw' ? v : quote(v)));

interface CsvSpec {
  /** Header variants the command accepts, and its columns in that order. */
  headers: { line: string; cols: string[] }[];
  /** Each column's value when the row should be good, and anything at all. */
  good: Record<string, fc.Arbitrary<string>>;
}

/** Arbitrary CSV text, from well-formed files of good rows (BOM, CRLF, quotes, long fields) to garbage. */
function csvArb(spec: CsvSpec): fc.Arbitrary<string> {
  const layout = fc.record({ eol: fc.constantFrom('\n', '\r\n', '\r'), bom: fc.boolean(), trailing: fc.boolean(), blankLines: fc.boolean() });
  const join = (l: { eol: string; bom: boolean; trailing: boolean; blankLines: boolean }, lines: string[]) =>
    (l.bom ? BOM : '') + lines.join(l.blankLines ? l.eol + l.eol : l.eol) + (l.trailing ? l.eol : '');
  const header = fc.constantFrom(...spec.headers);
  // Good rows, each field quoted or not as CSV allows; emails made unique by a row number.
  const goodFile = fc
    .tuple(header, layout, fc.array(fc.record(Object.fromEntries(Object.entries(spec.good).map(([k, a]) => [k, fc.tuple(a, fc.boolean())]))), { minLength: 1, maxLength: 8 }))
    .map(([h, l, rows]) =>
      join(l, [
        h.line,
        ...rows.map((r, i) =>
          h.cols
            .map((c) => {
              const [v, quoted] = r[c] as [string, boolean];
              const value = c === 'email' && v.includes('{i}') ? v.replace('{i}', String(i)) : v;
              return quoted || /[",\r\n]/.test(value) ? quote(value) : value;
            })
            .join(','),
        ),
      ]),
    );
  // Anything goes: odd headers, raw or quoted nasty fields, too few or too many of them.
  const field = csvField(fc.oneof(nasty, ...Object.values(spec.good)));
  const dirtyFile = fc
    .tuple(fc.oneof(header.map((h) => h.line), nasty), layout, fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 8 }))
    .map(([h, l, rows]) => join(l, [h, ...rows.map((r) => r.join(','))]));
  return fc.oneof(
    { weight: 4, arbitrary: goodFile },
    { weight: 4, arbitrary: dirtyFile },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }).map(wellFormed) },
    { weight: 1, arbitrary: fc.tuple(header, fc.string({ minLength: 70_000, maxLength: 70_100 })).map(([h, long]) => `${h.line}\n${quote(long)}\n`) },
  );
}

const freshEmail = fc.tuple(localPart, fc.constantFrom('fabrikam.com', 'contoso.com')).map(([l, d]) => `${l}.{i}@${d}`);
const userCsv = csvArb({
  headers: [
    { line: 'email,name', cols: ['email', 'name'] },
    { line: 'email', cols: ['email'] },
    { line: 'Name , EMAIL', cols: ['name', 'email'] },
    { line: '"email","name"', cols: ['email', 'name'] },
  ],
  good: { email: freshEmail, name: text },
});
const grantCsv = csvArb({
  headers: [
    { line: 'email,role', cols: ['email', 'role'] },
    { line: 'ROLE,Email', cols: ['role', 'email'] },
    { line: 'email', cols: ['email'] },
  ],
  good: { email: fc.constantFrom('grace@fabrikam.com', 'bob@fabrikam.com', 'Carol@Fabrikam.com'), role: fc.constantFrom('full', 'limited', '') },
});
const clientCsv = csvArb({
  headers: [
    { line: 'domain,name,tenantId', cols: ['domain', 'name', 'tenantId'] },
    { line: 'domain', cols: ['domain'] },
    { line: 'tenantid,DOMAIN', cols: ['tenantId', 'domain'] },
  ],
  good: { domain: fc.domain(), name: text, tenantId: fc.oneof(fc.constant(''), fc.uuid().map(String)) },
});

describe('arbitrary CSV files for the bulk commands', () => {
  afterEach(expectStoreSound);
  let n = 0;
  const fileWith = (content: string) => {
    const dir = join(sb.dir, 'csv');
    mkdirSync(dir, { recursive: true });
    const p = join(dir, `f${n++}.csv`);
    writeFileSync(p, content);
    return p;
  };

  test('user add --file <path> and --file - (stdin)', async () => {
    await fc.assert(
      fc.asyncProperty(userCsv, fc.boolean(), async (csv, viaStdin) => {
        if (viaStdin) await check(['user', 'add', '--file', '-'], { stdin: csv });
        else await check(['user', 'add', '--file', fileWith(csv)]);
      }),
      params,
    );
  });

  test('user grant-admin --file [--role] [--dry-run]', async () => {
    await fc.assert(
      fc.asyncProperty(grantCsv, opt(mostly(fc.constantFrom('full', 'limited'), nasty)), fc.boolean(), async (csv, role, dry) => {
        const before = await storeHash(sb.db);
        const r = await check(['user', 'grant-admin', '--file', fileWith(csv), ...flag('--role', role), ...(dry ? ['--dry-run'] : [])]);
        if (dry && r.code !== 4) expect(await storeHash(sb.db)).toBe(before);
      }),
      params,
    );
  });

  test('client accept <offer> --file', async () => {
    await fc.assert(
      fc.asyncProperty(clientCsv, async (csv) => {
        await check(['client', 'accept', offerId, '--file', fileWith(csv)]);
      }),
      params,
    );
  });
});

// ---------------------------------------------------------------------------

// BUG (found by "init on an existing store"): a value that reads like the
// global -V/--version flag, given to an option that takes a value, is taken
// as --version: the CLI prints the version and exits 0 without doing the
// command, so a script believes the user was added. (Other global flags in
// that place, e.g. `--name -q`, are refused with exit 2, and `--name -h` is
// taken as the name.) Either way is fine here: the value is taken as the
// name, or the command is refused; never a silent no-op that reports success.
test('an option value reading -V or --version is the value (or a refusal), never a silent exit 0', async () => {
  const own = await sandbox();
  try {
    await initPartner(own);
    for (const value of ['-V', '--version']) {
      const email = `v${value.length}@fabrikam.com`;
      const r = await spawnBin(['user', 'add', email, '--name', value], own.env);
      const users = JSON.parse((await spawnBin(['user', 'list', '--json'], own.env)).stdout) as { email: string; name: string }[];
      const added = users.find((u) => u.email === email);
      if (r.code === 0) expect(added).toMatchObject({ name: value });
      else expect({ code: r.code, added }).toEqual({ code: 2, added: undefined });
    }
  } finally {
    await own.cleanup();
  }
});
