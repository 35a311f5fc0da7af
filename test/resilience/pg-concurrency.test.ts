/**
 * Many processes writing one team store at once (SPEC.md "Team store":
 * concurrency): 8 processes x 40 mixed writes (single and bulk user adds,
 * admin grants, offers, client acceptances). None fails, none is lost, and
 * the audit chain is one unbroken chain in commit order with one entry per write.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN, ROOT, spawnBin, sandbox, TENANT, type Sandbox } from '../helpers/cli.js';
import { describePg, freshSchema, psql, type PgSchema } from '../helpers/pg.js';

const WORKERS = 8;
const OPS = 40;

interface Line {
  args: string[];
  stdin?: string;
}
interface Ran {
  args: string[];
  code: number;
  stderr: string;
}

function plan(w: number, offerId: string): Line[] {
  const ops: Line[] = [];
  for (let j = 0; j < OPS; j++) {
    switch (j % 5) {
      case 0:
        ops.push({ args: ['user', 'add', `w${w}-u${j}@fabrikam.com`] });
        break;
      case 1:
        ops.push({ args: ['user', 'grant-admin', `w${w}-u${j - 1}@fabrikam.com`, '--role', w % 2 ? 'full' : 'limited'] });
        break;
      case 2:
        ops.push({ args: ['offer', 'create'] });
        break;
      case 3:
        ops.push({ args: ['client', 'accept', offerId, '--domain', `w${w}-c${j}.example.com`] });
        break;
      default:
        ops.push({ args: ['user', 'add', '--file', '-'], stdin: `email,name\n${[0, 1, 2].map((k) => `w${w}-b${j}-${k}@fabrikam.com,Bulk ${k}`).join('\n')}\n` });
    }
  }
  return ops;
}

function writer(lines: Line[], env: NodeJS.ProcessEnv): Promise<Ran[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'test', 'resilience', 'pg-writer.cjs'), JSON.stringify(lines)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n').map((l) => JSON.parse(l) as Ran)) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}

describePg(`${WORKERS} processes x ${OPS} writes on one PostgreSQL store`, () => {
  let schema: PgSchema;
  let sb: Sandbox;
  let results: Ran[] = [];
  let setupEntries = 0;

  beforeAll(async () => {
    schema = await freshSchema();
    sb = await sandbox();
    sb.env.DELEGATE_DB = schema.url;
    const init = await spawnBin(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified'], sb.env);
    expect(init.code).toBe(0);
    const offer = await spawnBin(['offer', 'create', '--json'], sb.env);
    const offerId = (JSON.parse(offer.stdout) as { id: string }).id;
    setupEntries = 2;
    const perWorker = await Promise.all(Array.from({ length: WORKERS }, (_, w) => writer(plan(w, offerId), sb.env)));
    results = perWorker.flat();
  }, 300_000);

  afterAll(async () => {
    await schema?.drop();
    await sb?.cleanup();
  });

  test('every write succeeds', () => {
    expect(results).toHaveLength(WORKERS * OPS);
    expect(results.filter((r) => r.code !== 0).map((r) => `${r.args.join(' ')} -> ${r.code}: ${r.stderr}`)).toEqual([]);
  });

  test('nothing is lost: every user, grant, offer and client is there once', async () => {
    const q = async (sql: string) => Number((await psql(`SET search_path = ${schema.name}; ${sql}`)).trim().split('\n').at(-1));
    const per = OPS / 5;
    expect(await q('SELECT count(*) FROM users')).toBe(1 + WORKERS * per * 4);
    expect(await q("SELECT count(*) FROM users WHERE admin_access != 'none' AND email LIKE 'w%'")).toBe(WORKERS * per);
    expect(await q('SELECT count(*) FROM offers')).toBe(1 + WORKERS * per);
    expect(await q('SELECT count(*) FROM clients')).toBe(WORKERS * per);
  });

  test('the audit chain is one unbroken chain, one entry per write, in commit order', async () => {
    const verify = await spawnBin(['audit', 'verify', '--json'], sb.env);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, entries: setupEntries + WORKERS * OPS });
    const seqs = (await psql(`SELECT string_agg(seq::text, ',' ORDER BY seq) FROM ${schema.name}.audit`)).trim().split(',').map(Number);
    expect(seqs).toEqual(Array.from({ length: setupEntries + WORKERS * OPS }, (_, i) => i + 1));
  });
});
