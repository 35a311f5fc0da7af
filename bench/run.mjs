#!/usr/bin/env node
// `npm run bench`: builds its own stores, then measures whole processes side
// by side with their references in one run (hyperfine medians; the sqlite3
// shell is the reference for bulk work) and prints each ratio with its target.
// Needs hyperfine and sqlite3 (Debian: apt-get install hyperfine sqlite3).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'delegate.js');
const WORK = join(ROOT, 'bench', '.work');
const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const quick = process.argv.includes('--quick');
const RUNS = quick ? 5 : 15;

for (const tool of ['hyperfine', 'sqlite3']) {
  if (spawnSync(tool, ['--version']).status !== 0) {
    console.error(`bench: ${tool} is needed (Debian: apt-get install hyperfine sqlite3)`);
    process.exit(2);
  }
}
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const env = (db) => ({ ...process.env, DELEGATE_DB: db, DELEGATE_CONFIG_DIR: join(WORK, 'config'), NO_COLOR: '1' });
const cli = (db, args, input) => execFileSync(process.execPath, [BIN, ...args], { env: env(db), input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
const sh = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

async function writeLines(file, header, n, line) {
  const w = createWriteStream(file);
  w.write(header + '\n');
  for (let i = 0; i < n; i++) if (!w.write(line(i) + '\n')) await once(w, 'drain');
  w.end();
  await once(w, 'finish');
}

function newStore(name) {
  const db = join(WORK, `${name}.db`);
  cli(db, ['init', '--name', 'Bench Partner', '--tenant-id', TENANT, '--admin', 'admin@bench.example', '--certified', '-q']);
  return db;
}

function storeWithClients(name, n) {
  const db = newStore(name);
  const offer = JSON.parse(cli(db, ['offer', 'create', '--json', '-q'])).id;
  const csv = join(WORK, `${name}.csv`);
  let s = 'domain,name,tenantId\n';
  for (let i = 0; i < n; i++) s += `client${i}.example.com,Client ${i},\n`;
  writeFileSync(csv, s);
  cli(db, ['client', 'accept', offer, '--file', csv, '-q']);
  return db;
}

/** Median seconds of each command, from one hyperfine run (so both sides share the machine's state). */
function hyperfine(commands, { shell = false, prepare, runs = RUNS, envFor } = {}) {
  const out = join(WORK, 'hf.json');
  const args = ['--warmup', '2', '--runs', String(runs), '--export-json', out, '--style', 'none'];
  if (!shell) args.push('-N');
  if (prepare) args.push('--prepare', prepare);
  const r = spawnSync('hyperfine', [...args, ...commands], { env: envFor ?? process.env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`hyperfine failed on: ${commands.join(' | ')}`);
  return JSON.parse(readFileSync(out, 'utf8')).results.map((x) => x.median);
}

/** Peak resident memory (KiB) and wall seconds of one run, from GNU time. */
function timed(args, db) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, BIN, ...args], { env: env(db), stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`failed: delegate ${args.join(' ')}: ${r.stderr}`);
  const [kib, secs] = r.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
  return { kib, secs };
}

const rows = [];
const ms = (s) => `${(s * 1000).toFixed(1)} ms`;
function report(what, mine, ref, refName, target) {
  const ratio = mine / ref;
  rows.push({ what, mine: ms(mine), ref: `${ms(ref)} (${refName})`, ratio: ratio.toFixed(2) + 'x', target: `<= ${target}x`, ok: ratio <= target });
  console.error(`  ${what}: ${ratio.toFixed(2)}x`);
}

console.error('bench: building stores (1k and 100k clients, 100k users) ...');
const small = storeWithClients('clients-1k', 1000);
const large = storeWithClients('clients-100k', 100000);
const users = newStore('users-100k');
const usersCsv = join(WORK, 'users-100k.csv');
await writeLines(usersCsv, 'email,name', 100000, (i) => `user${i}@bench.example,User ${i}`);
cli(users, ['user', 'add', '--file', usersCsv, '-q']);
const grantCsv = join(WORK, 'grant-100k.csv');
await writeLines(grantCsv, 'email,role', 100000, (i) => `user${i}@bench.example,${i % 3 ? 'limited' : 'full'}`);
const run = join(WORK, 'run.db');
const fresh = `rm -f ${run}-wal ${run}-shm; cp ${users} ${run}`;

console.error('bench: start-up ...');
{
  const [node, version, help] = hyperfine(['node -e 0', `node ${BIN} --version`, `node ${BIN} --help`]);
  report('delegate --version', version, node, 'node -e 0', 1.3);
  report('delegate --help', help, node, 'node -e 0', 1.3);
}
console.error('bench: client list --output json, 1,000 clients ...');
{
  const [node, list] = hyperfine(['node -e 0', `node ${BIN} client list --output json`], { envFor: env(small) });
  report('client list --output json (1,000 clients)', list, node, 'node -e 0', 2);
}
console.error('bench: user grant-admin --file, 100,000 rows ...');
{
  const refSql = join(WORK, 'grant.sql');
  writeFileSync(
    refSql,
    [
      'BEGIN;',
      'CREATE TEMP TABLE g(email TEXT PRIMARY KEY, role TEXT) WITHOUT ROWID;',
      `.import --csv --skip 1 ${grantCsv} g`,
      'UPDATE users SET admin_access = g.role FROM g WHERE g.email = users.email;',
      'COMMIT;',
    ].join('\n') + '\n',
  );
  const [mine, ref] = hyperfine(
    [`node ${BIN} user grant-admin --file ${grantCsv} -q > /dev/null`, `sqlite3 ${run} ${sh('.read ' + refSql)}`],
    { shell: true, prepare: fresh, runs: quick ? 3 : 7, envFor: env(run) },
  );
  report('user grant-admin --file (100,000 rows)', mine, ref, 'sqlite3 .import + UPDATE', 3);
}
console.error('bench: client list --output csv, 100,000 clients ...');
{
  const q = 'SELECT domain, name, tenant_id, status, offer_id, accepted_at, removed_at FROM clients ORDER BY domain';
  const [mine, ref] = hyperfine([`node ${BIN} client list --output csv`, `sqlite3 -csv -header ${large} ${sh(q)}`], { envFor: env(large) });
  report('client list --output csv (100,000 clients)', mine, ref, 'sqlite3 -csv', 7);
}
console.error('bench: 100,000 and 1,000,000-row bulk add ...');
{
  const csv100k = join(WORK, 'add-100k.csv');
  const csv1m = join(WORK, 'add-1m.csv');
  await writeLines(csv100k, 'email,name', 100000, (i) => `k${i}@bench.example,Member ${i}`);
  await writeLines(csv1m, 'email,name', 1000000, (i) => `m${i}@bench.example,Member ${i}`);
  const t100k = [];
  const t1m = [];
  let peak = 0;
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const a = newStore(`add-100k-${i}`);
    t100k.push(timed(['user', 'add', '--file', csv100k, '-q'], a).secs);
    const b = newStore(`add-1m-${i}`);
    const r = timed(['user', 'add', '--file', csv1m, '-q'], b);
    t1m.push(r.secs);
    peak = Math.max(peak, r.kib);
    rmSync(b, { force: true });
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const scale = med(t1m) / med(t100k);
  rows.push({ what: 'user add --file 1,000,000 rows: peak RSS', mine: `${(peak / 1024).toFixed(0)} MiB`, ref: '', ratio: '', target: '<= 200 MiB', ok: peak / 1024 <= 200 });
  rows.push({
    what: 'time(1M) / time(100k) bulk add',
    mine: `${med(t1m).toFixed(2)} s / ${med(t100k).toFixed(2)} s`,
    ref: '',
    ratio: scale.toFixed(2) + 'x',
    target: '<= 12x',
    ok: scale <= 12,
  });
}

const width = (k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const cols = ['what', 'mine', 'ref', 'ratio', 'target'];
const line = (r) => cols.map((c) => String(r[c]).padEnd(width(c))).join('  ') + '  ' + (r.ok === undefined ? 'result' : r.ok ? 'ok' : 'MISSED');
console.log(line({ what: 'measure', mine: 'delegate', ref: 'reference', ratio: 'ratio', target: 'target' }));
for (const r of rows) console.log(line(r));
rmSync(WORK, { recursive: true, force: true });
process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
