#!/usr/bin/env node
// `npm run bench`: builds its own stores, then measures whole processes side by
// side with their references in one run and prints each ratio with its target
// (docs/performance.md). Timing is done here, in Node: the commands
// being compared run alternately, and each figure is the median of its runs,
// so both sides share whatever else the machine is doing. Peak memory comes
// from the process itself (process.resourceUsage().maxRSS, written on exit by
// a preloaded file). The sqlite3 shell is the reference for bulk work and
// builds the million-row stores (Debian: apt-get install sqlite3).
// `--quick`: fewer runs; `--only <word>`: only the measures whose name has it; `--callgrind`:
// start-up also counted in instructions with valgrind (slow, but the same on a busy machine).
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'delegate.js');
const WORK = join(ROOT, 'bench', '.work');
const TENANT = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const ADMIN = 'admin@bench.example';
const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const RUNS = quick ? 5 : 11;
const NODE = process.execPath;

if (spawnSync('sqlite3', ['--version']).status !== 0) {
  console.error('bench: the sqlite3 shell is needed (Debian: apt-get install sqlite3)');
  process.exit(2);
}
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const CONFIG = join(WORK, 'config');
const PEAK = join(WORK, 'peak.cjs');
writeFileSync(PEAK, "process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_PEAK_OUT, String(process.resourceUsage().maxRSS)));\n");
const env = (db, extra = {}) => ({ ...process.env, DELEGATE_DB: db, DELEGATE_CONFIG_DIR: CONFIG, NO_COLOR: '1', ...extra });
const cli = (db, args, input) => execFileSync(NODE, [BIN, ...args], { env: env(db), input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
const sh = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const dg = (args) => `${sh(NODE)} ${sh(BIN)} ${args}`;
const sqlite = (db, sql) => execFileSync('sqlite3', [db], { input: sql, stdio: ['pipe', 'pipe', 'inherit'] }).toString();

async function writeLines(file, header, n, line) {
  const w = createWriteStream(file);
  w.write(header + '\n');
  for (let i = 0; i < n; i++) if (!w.write(line(i) + '\n')) await once(w, 'drain');
  w.end();
  await once(w, 'finish');
}

function newStore(name) {
  const db = join(WORK, `${name}.db`);
  cli(db, ['init', '--name', 'Bench Partner', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', '-q']);
  return db;
}

const offerOf = (db) => JSON.parse(cli(db, ['offer', 'create', '--json', '-q'])).id;

async function storeWithClients(name, n) {
  const db = newStore(name);
  const offer = offerOf(db);
  const csv = join(WORK, `${name}.csv`);
  await writeLines(csv, 'domain,name,tenantId', n, (i) => `client${i}.example.com,Client ${i},`);
  cli(db, ['client', 'accept', offer, '--file', csv, '-q']);
  return { db, offer, csv };
}

/**
 * A store with n granular clients, written with the sqlite3 shell (a million
 * acceptances through the CLI would take the bench's whole budget): each
 * client has one active relationship made from a template that no longer
 * exists (so `client drift` lists it) and ending in 10 days (so `client list
 * --expiring 30` lists it), its granular offer, its acceptance, one
 * notification and one audit entry.
 */
function fleetStore(name, n) {
  const db = newStore(name);
  const at = (days) => new Date(Date.now() + days * 86400000).toISOString();
  const offer = "printf('00000000-0000-4000-8000-%012d', i)";
  const domain = "printf('fleet%07d.example.com', i)";
  sqlite(
    db,
    `BEGIN;
CREATE TEMP TABLE n(i INTEGER PRIMARY KEY);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}) INSERT INTO n SELECT i FROM c;
INSERT INTO offers (id, kind, status, created_at, created_by) SELECT ${offer}, 'granular', 'active', '${at(-60)}', '${ADMIN}' FROM n;
INSERT INTO clients (domain, name, tenant_id, offer_id, accepted_at) SELECT ${domain}, printf('Fleet client %d', i), NULL, ${offer}, '${at(-50)}' FROM n;
INSERT INTO relationships (id, offer_id, display_name, duration, auto_extend, roles, status, created_at, activated_at, ends_at, client_domain, template)
  SELECT ${offer} || '-00000000-0000-4000-8000-000000000001', ${offer}, printf('Fleet GDAP %d', i), 'P60D', 'PT0S', '["62e90394-69f5-4237-9190-012177145e10"]',
    'active', '${at(-60)}', '${at(-50)}', '${at(10)}', ${domain}, 'Retired template' FROM n;
INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) SELECT ${offer}, ${domain}, '${at(-50)}', '${ADMIN}' FROM n;
INSERT INTO notifications (at, kind, client_domain, offer_id, message)
  SELECT '${at(-50)}', 'offer.accepted', ${domain}, ${offer}, printf('Fleet client %d (%s) approved granular relationship "Fleet GDAP %d"', i, ${domain}, i) FROM n;
INSERT INTO audit (seq, at, actor, action, target, outcome, detail, hash)
  SELECT (SELECT max(seq) FROM audit) + i, '${at(-50)}', '${ADMIN}', 'client.accept', ${domain}, 'allowed', printf('offer %s (granular Fleet GDAP %d)', ${offer}, i), printf('%064d', i) FROM n;
COMMIT;
`,
  );
  return db;
}

/**
 * Median wall seconds of each shell command, the commands run alternately
 * (`prepare` before each run, not timed); stdout is a pipe, as in a script.
 */
function measure(commands, { runs = RUNS, prepare, warmup = 1 } = {}) {
  const times = commands.map(() => []);
  for (let i = 0; i < warmup + runs; i++) {
    for (let j = 0; j < commands.length; j++) {
      if (prepare) execFileSync('/bin/sh', ['-c', prepare], { stdio: 'ignore' });
      const t = process.hrtime.bigint();
      const r = spawnSync('/bin/sh', ['-c', commands[j]], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      if (r.status !== 0) throw new Error(`bench: failed (${r.status}): ${commands[j]}\n${r.stderr}`);
      if (i >= warmup) times[j].push(s);
    }
  }
  return times.map(median);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Peak resident memory (MiB) and wall seconds of one run of delegate. */
function peak(db, args) {
  const out = join(WORK, 'peak.txt');
  const t = process.hrtime.bigint();
  const r = spawnSync('/bin/sh', ['-c', `${dg(args)} > /dev/null`], { env: env(db, { NODE_OPTIONS: `--require ${PEAK}`, BENCH_PEAK_OUT: out }), stdio: ['ignore', 'ignore', 'pipe'] });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`bench: failed: delegate ${args}: ${r.stderr}`);
  return { mib: Number(readFileSync(out, 'utf8')) / 1024, secs };
}

const rows = [];
const ms = (s) => (s >= 10 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(0)} ms`);
function report(what, mine, ref, refName, target) {
  const ratio = mine / ref;
  rows.push({ what, mine: ms(mine), ref: `${ms(ref)} (${refName})`, ratio: ratio.toFixed(2) + 'x', target: `<= ${target}x`, ok: ratio <= target });
  console.error(`  ${what}: ${ratio.toFixed(2)}x (target ${target}x)`);
}
const wanted = (name) => !only || name.includes(only);

// ---------------------------------------------------------------- stores
console.error('bench: building stores ...');
const empty = newStore('empty');
const small = await storeWithClients('clients-1k', 1000);
const ten = await storeWithClients('clients-10k', 10000);
const large = await storeWithClients('clients-100k', 100000);
const run = join(WORK, 'run.db');
const fresh = (db) => `rm -f ${run} ${run}-wal ${run}-shm; cp ${db} ${run}`;

// ---------------------------------------------------------------- start-up
if (wanted('start-up')) {
  console.error('bench: start-up ...');
  const [node, version, help] = measure(['node -e 0', dg('--version'), dg('--help')]);
  report('delegate --version', version, node, 'node -e 0', 1.3);
  report('delegate --help', help, node, 'node -e 0', 1.3);
  // Every command on an empty store, with no --output and no --as, piped.
  const e = `DELEGATE_DB=${sh(empty)} DELEGATE_CONFIG_DIR=${sh(CONFIG)}`;
  const cmds = ['client list', 'user list', 'offer list', 'audit', 'offer create -q'];
  const [ref, ...mine] = measure(['node -e 0', ...cmds.map((c) => `${e} ${dg(c)}`)], { runs: RUNS + 4 });
  cmds.forEach((c, i) => report(`start-up: ${c} (empty store, piped)`, mine[i], ref, 'node -e 0', 1.6));
  if (process.argv.includes('--callgrind')) {
    // Instructions executed (valgrind's callgrind): what start-up costs, whatever else the machine is doing.
    const instructions = (cmd, vars = '') => {
      const r = spawnSync('/bin/sh', ['-c', `${vars} valgrind --tool=callgrind --callgrind-out-file=/dev/null ${cmd} 2>&1 >/dev/null`], { stdio: ['ignore', 'pipe', 'pipe'] });
      const m = /Collected : (\d+)/.exec(r.stdout.toString());
      if (!m) throw new Error(`bench: valgrind failed on ${cmd}`);
      return Number(m[1]);
    };
    const base = instructions('node -e 0');
    for (const c of cmds) {
      const n = instructions(dg(c), e);
      rows.push({ what: `start-up: ${c}, instructions (callgrind)`, mine: `${(n / 1e6).toFixed(0)} M`, ref: `${(base / 1e6).toFixed(0)} M (node -e 0)`, ratio: (n / base).toFixed(2) + 'x', target: '<= 1.6x', ok: n / base <= 1.6 });
    }
  }
  const [node2, list] = measure(['node -e 0', `DELEGATE_DB=${sh(small.db)} ${dg('client list --output json')}`]);
  report('client list --output json (1,000 clients)', list, node2, 'node -e 0', 2);
}

// ---------------------------------------------------------------- tables
if (wanted('table')) {
  console.error('bench: tables ...');
  const e = `COLUMNS=120 DELEGATE_DB=${sh(ten.db)}`;
  const [plain, table] = measure([`${e} ${dg('client list --output plain')}`, `${e} ${dg('client list --output table')}`]);
  report('client list --output table (10,000 clients, COLUMNS=120)', table, plain, '--output plain', 2);
  const [plainL, tableL] = measure([`COLUMNS=120 DELEGATE_DB=${sh(large.db)} ${dg('client list --output plain')} > /dev/null`, `COLUMNS=120 DELEGATE_DB=${sh(large.db)} ${dg('client list --output table')} > /dev/null`], { runs: quick ? 1 : 3 });
  report('client list --output table (100,000 clients, COLUMNS=120)', tableL, plainL, '--output plain', 2);
}

// ---------------------------------------------------------------- csv and json against the sqlite3 shell
if (wanted('csv') || wanted('json')) {
  console.error('bench: client list --output csv|json, 100,000 clients ...');
  // The reference: a table shaped as the list (the same 7 columns, in the same order, the same values).
  const ref = join(WORK, 'clients-flat.db');
  sqlite(
    ref,
    `ATTACH ${sh(large.db)} AS s;
CREATE TABLE clients (domain TEXT PRIMARY KEY, name TEXT, tenantId TEXT, status TEXT, offerId TEXT, acceptedAt TEXT, removedAt TEXT) WITHOUT ROWID;
INSERT INTO clients SELECT domain, name, tenant_id, CASE WHEN dap_removed_at IS NULL THEN 'active' ELSE 'removed' END, offer_id, accepted_at, dap_removed_at FROM s.clients;`,
  );
  const q = 'SELECT domain, name, tenantId, status, offerId, acceptedAt, removedAt FROM clients ORDER BY domain';
  const e = `DELEGATE_DB=${sh(large.db)}`;
  const [csv, csvRef, json, jsonRef] = measure([`${e} ${dg('client list --output csv')}`, `sqlite3 -csv -header ${sh(ref)} ${sh(q)}`, `${e} ${dg('client list --output json')}`, `sqlite3 -json ${sh(ref)} ${sh(q)}`]);
  report('client list --output csv (100,000 clients)', csv, csvRef, 'sqlite3 -csv -header', 4);
  report('client list --output json (100,000 clients)', json, jsonRef, 'sqlite3 -json', 4);
}

// ---------------------------------------------------------------- bulk writes against the sqlite3 shell
if (wanted('accept')) {
  console.error('bench: client accept --file, 100,000 clients ...');
  const base = newStore('accept-base');
  const offer = offerOf(base);
  const at = new Date().toISOString();
  // The same rows into the same tables: the client, its acceptance, its two domains, a notification, one audit entry.
  const refSql = join(WORK, 'accept.sql');
  writeFileSync(
    refSql,
    `PRAGMA foreign_keys = ON;
BEGIN IMMEDIATE;
CREATE TEMP TABLE incoming(domain TEXT, name TEXT, tenantId TEXT);
.import --csv --skip 1 ${large.csv} incoming
INSERT INTO clients (domain, name, tenant_id, offer_id, accepted_at, dap_offer_id, dap_accepted_at)
  SELECT lower(domain), coalesce(nullif(name, ''), domain), nullif(tenantId, ''), '${offer}', '${at}', '${offer}', '${at}' FROM incoming;
INSERT INTO acceptances (offer_id, client_domain, at, recorded_by) SELECT '${offer}', lower(domain), '${at}', '${ADMIN}' FROM incoming;
INSERT INTO client_domains (client_domain, name, is_initial, verified, added_at) SELECT lower(domain), lower(domain), 0, 1, '${at}' FROM incoming;
INSERT INTO client_domains (client_domain, name, is_initial, verified, added_at)
  SELECT lower(domain), substr(lower(domain), 1, instr(domain, '.') - 1) || '.onmicrosoft.com', 1, 1, '${at}' FROM incoming;
INSERT INTO notifications (at, kind, client_domain, offer_id, message)
  SELECT '${at}', 'offer.accepted', lower(domain), '${offer}', coalesce(nullif(name, ''), domain) || ' (' || lower(domain) || ') accepted your delegated administration offer: you can now administer its organization' FROM incoming;
INSERT INTO audit (seq, at, actor, action, target, outcome, detail, hash)
  SELECT max(seq) + 1, '${at}', '${ADMIN}', 'client.accept', 'clients-100k.csv', 'allowed', '100000 clients accepted offer ${offer}', printf('%064d', 0) FROM audit;
COMMIT;
`,
  );
  const [mine, ref] = measure([`DELEGATE_DB=${sh(run)} ${dg(`client accept ${offer} --file ${sh(large.csv)} -q`)} > /dev/null`, `sqlite3 ${sh(run)} ${sh('.read ' + refSql)}`], {
    prepare: fresh(base),
    runs: quick ? 1 : 5,
    warmup: 0,
  });
  report('client accept --file (100,000 clients)', mine, ref, 'sqlite3 .import + INSERT ... SELECT', 2);
}

if (wanted('grant')) {
  console.error('bench: user grant-admin --file, 100,000 rows ...');
  const users = newStore('users-100k');
  const usersCsv = join(WORK, 'users-100k.csv');
  await writeLines(usersCsv, 'email,name', 100000, (i) => `user${i}@bench.example,User ${i}`);
  cli(users, ['user', 'add', '--file', usersCsv, '-q']);
  const grantCsv = join(WORK, 'grant-100k.csv');
  await writeLines(grantCsv, 'email,role', 100000, (i) => `user${i}@bench.example,${i % 3 ? 'limited' : 'full'}`);
  const refSql = join(WORK, 'grant.sql');
  writeFileSync(
    refSql,
    ['BEGIN;', 'CREATE TEMP TABLE g(email TEXT PRIMARY KEY, role TEXT) WITHOUT ROWID;', `.import --csv --skip 1 ${grantCsv} g`, 'UPDATE users SET admin_access = g.role FROM g WHERE g.email = users.email;', 'COMMIT;'].join('\n') + '\n',
  );
  const [mine, ref] = measure([`DELEGATE_DB=${sh(run)} ${dg(`user grant-admin --file ${sh(grantCsv)} -q`)} > /dev/null`, `sqlite3 ${sh(run)} ${sh('.read ' + refSql)}`], {
    prepare: fresh(users),
    runs: quick ? 1 : 5,
    warmup: 0,
  });
  report('user grant-admin --file (100,000 rows)', mine, ref, 'sqlite3 .import + UPDATE ... FROM', 3);
}

// ---------------------------------------------------------------- granular lists
const fleet = wanted('offer') || wanted('search') || wanted('stream') ? fleetStore('fleet-100k', 100000) : undefined;
if (wanted('offer')) {
  console.error('bench: offer list, 100,000 granular offers ...');
  const [offers, clients] = measure([`DELEGATE_DB=${sh(fleet)} ${dg('offer list')} > /dev/null`, `DELEGATE_DB=${sh(large.db)} ${dg('client list')} > /dev/null`], { runs: quick ? 1 : 5 });
  report('offer list (100,000 granular offers)', offers, clients, 'client list, 100,000 clients', 2);
}
if (wanted('search')) {
  console.error('bench: a search matching one client among 100,000 granular clients ...');
  const e = `DELEGATE_DB=${sh(fleet)}`;
  const [search, show] = measure([`${e} ${dg('client list --search fleet0077777.example')}`, `${e} ${dg('client show fleet0077777.example.com')}`]);
  report('client list --search (one of 100,000 granular clients)', search, show, 'client show of that client', 2);
}

// ---------------------------------------------------------------- access show at partner scale
/**
 * fleetStore's n granular clients, with t technicians in one security group assigned (Global
 * Administrator) on every client's relationship: the matrix has n x t rows.
 */
function accessStore(name, n, t) {
  const db = fleetStore(name, n);
  const at = new Date(Date.now() - 50 * 86400000).toISOString();
  sqlite(
    db,
    `BEGIN;
CREATE TEMP TABLE t(i INTEGER PRIMARY KEY);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${t}) INSERT INTO t SELECT i FROM c;
INSERT INTO users (email, name, org_role, admin_access, created_at) SELECT printf('tech%02d@bench.example', i), printf('Technician %d', i), 'user', 'none', '${at}' FROM t;
INSERT INTO groups (name, object_id, created_at) VALUES ('Technicians', NULL, '${at}');
INSERT INTO group_members (group_name, email) SELECT 'Technicians', printf('tech%02d@bench.example', i) FROM t;
INSERT INTO access_assignments (relationship_id, group_name, roles, created_at) SELECT id, 'Technicians', roles, '${at}' FROM relationships;
COMMIT;
`,
  );
  return db;
}
if (wanted('access')) {
  console.error('bench: access show, 1,000 clients x 50 technicians ...');
  const db = accessStore('access-1k', 1000, 50);
  const e = `DELEGATE_DB=${sh(db)}`;
  const [show, list] = measure([`${e} ${dg('access show --output json')} > /dev/null`, `${e} ${dg('client list --output json')} > /dev/null`]);
  report('access show --output json (1,000 clients x 50 technicians: 50,000 rows)', show, list, 'client list --output json, same store', 2);
}

// ---------------------------------------------------------------- a million rows: memory and scaling
if (wanted('stream')) {
  console.error('bench: every list streams (100,000 and 1,000,000 rows; building the million-row store takes a minute) ...');
  const million = fleetStore('fleet-1m', 1000000);
  for (const args of ['audit --output json', 'inbox', 'offer list', 'client drift', 'client list --expiring 30']) {
    const small100k = peak(fleet, args);
    const big = peak(million, args);
    rows.push({ what: `${args}, 1,000,000 rows: peak RSS`, mine: `${big.mib.toFixed(0)} MiB`, ref: '', ratio: '', target: '<= 200 MiB', ok: big.mib <= 200 });
    const scale = big.secs / small100k.secs;
    rows.push({ what: `${args}: time(1M) / time(100k)`, mine: `${big.secs.toFixed(2)} s / ${small100k.secs.toFixed(2)} s`, ref: '', ratio: scale.toFixed(2) + 'x', target: '<= 12x', ok: scale <= 12 });
    console.error(`  ${args}: ${big.mib.toFixed(0)} MiB, ${scale.toFixed(2)}x`);
  }
  rmSync(million, { force: true });
}

if (wanted('bulk add')) {
  console.error('bench: 100,000 and 1,000,000-row bulk add ...');
  const csv100k = join(WORK, 'add-100k.csv');
  const csv1m = join(WORK, 'add-1m.csv');
  await writeLines(csv100k, 'email,name', 100000, (i) => `k${i}@bench.example,Member ${i}`);
  await writeLines(csv1m, 'email,name', 1000000, (i) => `m${i}@bench.example,Member ${i}`);
  const a = newStore('add-100k');
  const b = newStore('add-1m');
  const t100k = peak(a, `user add --file ${sh(csv100k)} -q`);
  const t1m = peak(b, `user add --file ${sh(csv1m)} -q`);
  rows.push({ what: 'user add --file 1,000,000 rows: peak RSS', mine: `${t1m.mib.toFixed(0)} MiB`, ref: '', ratio: '', target: '<= 200 MiB', ok: t1m.mib <= 200 });
  const scale = t1m.secs / t100k.secs;
  rows.push({ what: 'user add --file: time(1M) / time(100k)', mine: `${t1m.secs.toFixed(2)} s / ${t100k.secs.toFixed(2)} s`, ref: '', ratio: scale.toFixed(2) + 'x', target: '<= 12x', ok: scale <= 12 });
}

// ---------------------------------------------------------------- the team store (PostgreSQL) against psql
if (wanted('team') || wanted('postgres')) {
  const pgBase = process.env.DELEGATE_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  if (spawnSync('psql', [pgBase, '-XAtqc', 'SELECT 1'], { encoding: 'utf8' }).stdout?.trim() !== '1') {
    console.error(`bench: no PostgreSQL answers at ${pgBase} (set DELEGATE_BENCH_PG_URL): the team store measures are left out`);
  } else {
    console.error('bench: team store (PostgreSQL): 100,000 users and 100,000 clients, moved there with db copy ...');
    const dbName = `delegate_bench_${process.pid}`;
    const psql = (sql, url = pgBase) => execFileSync('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
    psql(`DROP DATABASE IF EXISTS ${dbName}`);
    psql(`CREATE DATABASE ${dbName}`);
    const u = new URL(pgBase);
    u.pathname = '/' + dbName;
    const pgUrl = u.toString();
    const inSchema = (schema) => `${pgUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    try {
      psql('CREATE SCHEMA users_store; CREATE SCHEMA clients_store', pgUrl);
      const users = newStore('team-users');
      const usersCsv = join(WORK, 'team-users.csv');
      await writeLines(usersCsv, 'email,name', 100000, (i) => `user${i}@bench.example,User ${i}`);
      cli(users, ['user', 'add', '--file', usersCsv, '-q']);
      cli(users, ['db', 'copy', users, inSchema('users_store'), '-q']);
      cli(large.db, ['db', 'copy', large.db, inSchema('clients_store'), '-q']);
      const grantCsv = join(WORK, 'team-grant.csv');
      await writeLines(grantCsv, 'email,role', 100000, (i) => `user${i}@bench.example,${i % 3 ? 'limited' : 'full'}`);
      const refSql = join(WORK, 'team-grant.sql');
      writeFileSync(
        refSql,
        [
          'SET search_path = users_store;',
          'BEGIN;',
          'CREATE TEMP TABLE g(email text PRIMARY KEY, role text);',
          `\\copy g FROM ${sh(grantCsv)} CSV HEADER`,
          'UPDATE users SET admin_access = g.role FROM g WHERE g.email = users.email;',
          'COMMIT;',
        ].join('\n') + '\n',
      );
      // Both sides change every row: access is reset before each run.
      const reset = `psql ${sh(pgUrl)} -Xqc ${sh(`UPDATE users_store.users SET admin_access = 'none' WHERE email <> '${ADMIN}'`)}`;
      const [grant, grantRef] = measure([`DELEGATE_DB=${sh(inSchema('users_store'))} ${dg(`user grant-admin --file ${sh(grantCsv)} -q`)} > /dev/null`, `psql ${sh(pgUrl)} -Xq -f ${sh(refSql)}`], {
        prepare: reset,
        runs: quick ? 1 : 5,
        warmup: 0,
      });
      report('team store: user grant-admin --file (100,000 rows)', grant, grantRef, 'psql \\copy + UPDATE ... FROM', 3);
      // The reference: psql --csv of the same columns, in the same order, with the same values.
      const q = `SELECT domain, name, tenant_id AS "tenantId", CASE WHEN dap_removed_at IS NULL THEN 'active' ELSE 'removed' END AS status,
        offer_id AS "offerId", accepted_at AS "acceptedAt", dap_removed_at AS "removedAt" FROM clients_store.clients ORDER BY domain`;
      const [csv, csvRef] = measure([`DELEGATE_DB=${sh(inSchema('clients_store'))} ${dg('client list --output csv')}`, `psql ${sh(pgUrl)} -X --csv -c ${sh(q)}`]);
      report('team store: client list --output csv (100,000 clients)', csv, csvRef, 'psql --csv', 4);
    } finally {
      psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    }
  }
}

// ---------------------------------------------------------------- sync at partner scale (bench/sync.mjs)
if (wanted('sync')) {
  const { syncBench } = await import('./sync.mjs');
  await syncBench({ ROOT, WORK, CONFIG, NODE, BIN, TENANT, ADMIN, rows, quick });
}

const width = (k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const cols = ['what', 'mine', 'ref', 'ratio', 'target'];
const line = (r) => cols.map((c) => String(r[c]).padEnd(width(c))).join('  ') + '  ' + (r.ok === undefined ? 'result' : r.ok ? 'ok' : 'MISSED');
console.log(line({ what: 'measure', mine: 'delegate', ref: 'reference', ratio: 'ratio', target: 'target' }));
for (const r of rows) console.log(line(r));
if (!process.argv.includes('--keep')) rmSync(WORK, { recursive: true, force: true });
process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
