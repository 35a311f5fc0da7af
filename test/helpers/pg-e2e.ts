/**
 * The end-to-end tests on PostgreSQL (DELEGATE_TEST_STORE=postgres, the "e2e on
 * postgres" Jest project): each sandbox's store is a schema of its own on the
 * test server, dropped with the sandbox. What a test says in SQLite's terms
 * is carried over to the team store's:
 * - storeHash: every row of every table in the schema (what "unchanged" means there);
 * - acting as someone (--as, DELEGATE_AS): on a team store that is a database
 *   login mapped to that user, so the command connects as a login made for
 *   that email (a member of the store's owner, as the test's own login is) and
 *   the harness maps it to the user first, directly in the table (the owner's
 *   bypass, so the ledger's audit trail is the test's own).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freshSchema, pgSql, PG_URL, psql, RUN_ID, schemaUrl, withPg } from './pg.js';
import { finished, type Finished } from './process.js';

export const PG_MODE = process.env.DELEGATE_TEST_STORE === 'postgres';

export const isPgUrl = (db: string) => /^postgres(ql)?:\/\//.test(db);

/**
 * A sandbox's team store: a schema of its own, already set up by `delegate db migrate` as a team's
 * owner would have done before anyone works on it (an unmigrated store is team-store.test.ts's
 * subject). The run's first one, its template, is migrated by the built CLI and never handed out;
 * the others are copies of it: a schema a sandbox gave back, reset to the template, else a new one
 * made from the template's dump. `drop` gives the schema back for another sandbox when its
 * structure is still the template's (its rows, sequences included, are reset to the template's
 * then), and drops it otherwise.
 */
export async function pgSandboxStore(): Promise<{ url: string; drop(): Promise<void> }> {
  const t = await template();
  const name = (await claimFree()) ?? (await restored(t));
  let given = false;
  return {
    url: schemaUrl(name),
    drop: async () => {
      if (given) return;
      given = true;
      await giveBack(name, t);
    },
  };
}

interface Template {
  schema: string;
  dump: string;
  /** Its tables and sequences. */
  relations: string[];
  /** SQL that resets a schema made from it to its rows and sequences, `#` standing for that schema. */
  reset: string;
  signature: string;
}

/** The run's template, shared by its test files (and workers) through a file named with the run's id. */
const TEMPLATE_FILE = join(tmpdir(), `delegate-test-${RUN_ID}-store.json`);
let templateP: Promise<Template> | undefined;
const template = () => (templateP ??= readTemplate() ?? makeTemplate());

function readTemplate(): Promise<Template> | undefined {
  try {
    return Promise.resolve(JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8')) as Template);
  } catch {
    return undefined;
  }
}

async function makeTemplate(): Promise<Template> {
  const s = await freshSchema();
  const r = await run(process.execPath, [BIN, '--db', s.url, 'db', 'migrate', '-q'], { PATH: process.env.PATH, HOME: process.env.HOME });
  if (r.code !== 0) throw new Error(`db migrate of a test schema failed: ${r.stderr}`);
  await pgSql(FREE_LIST);
  const rels = await pgSql(`SELECT c.relname, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${s.name}' AND c.relkind IN ('r', 'S') ORDER BY 1`);
  const relations = rels.map((r) => r.relname as string);
  const tables = rels.filter((r) => r.kind === 'r').map((r) => r.relname as string);
  const sequences = await pgSql(`SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = '${s.name}'`);
  const filled: string[] = [];
  for (const table of tables) if ((await pgSql(`SELECT 1 AS one FROM ${s.name}.${table} LIMIT 1`)).length > 0) filled.push(table);
  // Rows out and the template's in, foreign keys held off (replica role); each sequence where the template's stands.
  const reset = [
    'SET session_replication_role = replica',
    ...tables.map((table) => `DELETE FROM #.${table}`),
    ...filled.map((table) => `INSERT INTO #.${table} SELECT * FROM ${s.name}.${table}`),
    ...sequences.map((q) => (q.last_value === null ? `ALTER SEQUENCE #.${q.sequencename} RESTART` : `SELECT setval('#.${q.sequencename}', ${q.last_value})`)),
  ].join(';\n');
  const t: Template = { schema: s.name, dump: await dumpSchema(s.name), relations, reset, signature: await signature(s.name, relations) };
  // Two workers may both make one: either is the template, each is as good as the other.
  const tmp = `${TEMPLATE_FILE}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(t));
  renameSync(tmp, TEMPLATE_FILE);
  return t;
}

/** A new schema made from the template's dump. */
async function restored(t: Template): Promise<string> {
  const s = await freshSchema();
  await restoreAs(t.dump, t.schema, s.name);
  return s.name;
}

/** The schemas sandboxes gave back, reset, for the next ones (in a schema of the run's, dropped at its end). */
const FREE = `dlgt_free_${RUN_ID}_0`;
const FREE_LIST = `SELECT pg_advisory_xact_lock(hashtext('${FREE}')); CREATE SCHEMA IF NOT EXISTS ${FREE}; CREATE TABLE IF NOT EXISTS ${FREE}.schemas (name text PRIMARY KEY)`;

async function claimFree(): Promise<string | undefined> {
  const rows = await pgSql(`DELETE FROM ${FREE}.schemas WHERE name = (SELECT name FROM ${FREE}.schemas LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING name`);
  return rows[0]?.name as string | undefined;
}

async function giveBack(name: string, t: Template): Promise<void> {
  if ((await signature(name, t.relations)) !== t.signature) {
    await pgSql(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    return;
  }
  await pgSql(`${t.reset.split('#.').join(`${name}.`)};\nINSERT INTO ${FREE}.schemas VALUES ('${name}')`);
}

/**
 * What a sandbox's schema is, apart from its rows and its name: its privileges, and for each of the
 * template's tables and sequences, its privileges, columns, defaults, constraints, indexes, triggers
 * and policies. A test that changed any of it (or a command that granted something) leaves a schema
 * that is not given to another sandbox. Looked up by name, through the catalogs' indexes (a scan of
 * pg_class costs more than the reset itself on a server that makes and drops many schemas).
 */
async function signature(schema: string, relations: readonly string[]): Promise<string> {
  const oids = `(SELECT to_regclass(r) AS oid FROM unnest(ARRAY[${relations.map((r) => `'${schema}.${r}'`).join(', ')}]) r)`;
  const parts = [
    `SELECT 'ns:' || coalesce(n.nspacl::text, '') AS x FROM pg_namespace n WHERE n.nspname = '${schema}'`,
    `SELECT 'rel:' || o.oid::text || ':' || coalesce(c.relkind::text, '') || ':' || coalesce(c.relacl::text, '') || ':' || coalesce(c.relrowsecurity::text, '') || ':' || coalesce(pg_get_userbyid(c.relowner)::text, '') FROM ${oids} o LEFT JOIN pg_class c ON c.oid = o.oid`,
    `SELECT 'col:' || a.attrelid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ':' || coalesce(a.attacl::text, '') FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid IN (SELECT oid FROM ${oids} o) AND a.attnum > 0 AND NOT a.attisdropped`,
    `SELECT 'con:' || k.conrelid::regclass::text || ':' || k.conname || ':' || pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid IN (SELECT oid FROM ${oids} o)`,
    `SELECT 'idx:' || pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM ${oids} o)`,
    `SELECT 'trg:' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM ${oids} o) AND NOT t.tgisinternal`,
    `SELECT 'pol:' || p.polname || ':' || p.polrelid::regclass::text || ':' || p.polcmd::text || ':' || p.polroles::text || ':' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ':' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') FROM pg_policy p WHERE p.polrelid IN (SELECT oid FROM ${oids} o)`,
  ];
  const rows = await pgSql(
    `SELECT md5(coalesce(string_agg(y, E'\\n' ORDER BY y), '')) AS sig FROM (SELECT regexp_replace(replace(x, '${schema}', '#'), '^rel:[0-9]+:', 'rel:') AS y FROM (${parts.join(' UNION ALL ')}) u) v`,
  );
  return rows[0]!.sig as string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return finished(spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const BIN = fileURLToPath(new URL('../../bin/delegate.js', import.meta.url));

const schemaOf = (url: string) => /search_path%3D([A-Za-z0-9_]+)/.exec(url)?.[1] ?? 'public';

/** A hash of every row of every table of the store's schema. */
export async function pgStoreHash(url: string): Promise<string> {
  const text = await pgStoreText(url);
  return createHash('sha256').update(text === '' ? '<no tables>' : text).digest('hex');
}

const made = new Set<string>();
const owner = new URL(PG_URL).username || 'postgres';

/** The login that acts as `email` in this run (made once, a member of the store's owner). */
async function loginFor(email: string): Promise<string> {
  const name = `dlgt_as_${RUN_ID}_${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 10)}`;
  if (!made.has(name)) {
    await pgSql(`DO $$ BEGIN CREATE ROLE ${name} LOGIN IN ROLE ${owner}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    made.add(name);
  }
  return name;
}

/**
 * The login that acts as `email` on the store: the one mapped to that user already (the
 * connected login, for the admin init mapped), else this run's login for that email, mapped now
 * (directly in the table: the owner's bypass, so the ledger's audit trail is the test's own). An
 * email that is no user gets an unmapped login, which the store refuses as acting for nobody.
 */
async function actingLogin(url: string, email: string): Promise<string> {
  const schema = schemaOf(url);
  const mine = await loginFor(email);
  const e = `lower('${email.replace(/'/g, "''")}')`;
  // As psql did: a schema without that table (not a store yet) maps nobody, and the login is this run's.
  const rows = await pgSql(`UPDATE ${schema}.users SET db_login = '${mine}' WHERE lower(email) = ${e} AND db_login IS NULL; SELECT db_login FROM ${schema}.users WHERE lower(email) = ${e}`).catch(() => []);
  return (rows[0]?.db_login as string | undefined) || mine;
}

const looksLikeEmail = (s: string) => /^[^@\s]+@[^@\s]+$/.test(s);

/**
 * A command line and environment as they act on a team store: a declared actor becomes the
 * login that acts for that user. An actor that is not an email is left for the CLI to refuse (exit 2).
 */
export async function pgActing(args: readonly string[], envIn: NodeJS.ProcessEnv): Promise<{ args: string[]; env: NodeJS.ProcessEnv; frozenAt?: Date }> {
  // The store: --db on the command line, else DELEGATE_DB.
  const dbAt = args.findIndex((a) => a === '--db' || a.startsWith('--db='));
  const db = dbAt < 0 ? envIn.DELEGATE_DB : args[dbAt] === '--db' ? args[dbAt + 1] : args[dbAt]!.slice(5);
  if (!db || !isPgUrl(db)) return { args: [...args], env: envIn };
  const { env, frozenAt } = pgClock(envIn);
  const clock = frozenAt ? { frozenAt } : {};
  let actor: string | undefined;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (a === '--as' && args[i + 1] !== undefined && looksLikeEmail(args[i + 1]!)) {
      actor = args[++i];
      continue;
    }
    if (a.startsWith('--as=') && looksLikeEmail(a.slice(5))) {
      actor = a.slice(5);
      continue;
    }
    out.push(a);
  }
  const next = { ...env };
  if (env.DELEGATE_AS && looksLikeEmail(env.DELEGATE_AS)) {
    // The declared actor when --as gives none; overruled by --as otherwise (as on a local store).
    actor ??= env.DELEGATE_AS;
    delete next.DELEGATE_AS;
  }
  if (actor === undefined) return { args: out, env: next, ...clock };
  const login = await actingLogin(db, actor);
  const u = new URL(db.replace(/^postgresql:/, 'postgres:'));
  u.username = login;
  if (dbAt < 0) next.DELEGATE_DB = u.toString();
  else {
    const i = out.findIndex((a) => a === '--db' || a.startsWith('--db='));
    if (out[i] === '--db') out[i + 1] = u.toString();
    else out[i] = `--db=${u.toString()}`;
  }
  return { args: out, env: next, ...clock };
}

/**
 * A copy of one sandbox's store in another's schema (what copying the store file is on SQLite). Both
 * schemas were made by the same migrations (pgSandboxStore), so the copy is rows, not DDL: every table
 * of the target emptied and filled from the source's, foreign keys held off meanwhile (the server's
 * superuser, replica role, so DELETE needs no order: cheaper than TRUNCATE on tables this small), and
 * every sequence set where the source's stands (restarted, when the source's never gave a value). One statement, in the server.
 */
export async function pgCopyStore(fromUrl: string, toUrl: string): Promise<void> {
  const from = schemaOf(fromUrl);
  const to = schemaOf(toUrl);
  await pgSql(`SET session_replication_role = replica;
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '${from}' LOOP
    EXECUTE format('DELETE FROM %I.%I', '${to}', t.tablename);
  END LOOP;
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '${from}' LOOP
    EXECUTE format('INSERT INTO %I.%I SELECT * FROM %I.%I', '${to}', t.tablename, '${from}', t.tablename);
  END LOOP;
  FOR t IN SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = '${from}' LOOP
    IF t.last_value IS NOT NULL THEN
      EXECUTE format('SELECT setval(%L, %s)', '${to}.' || t.sequencename, t.last_value);
    ELSE
      EXECUTE format('ALTER SEQUENCE %I.%I RESTART', '${to}', t.sequencename);
    END IF;
  END LOOP;
END $$;`);
}

/** The schema as SQL the pool's connections can run: rows as INSERTs, psql's own commands (\restrict) left out. */
async function dumpSchema(schema: string): Promise<string> {
  const { stdout } = await promisify(execFile)('pg_dump', ['--dbname', PG_URL, '--schema', schema, '--inserts'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n');
}

/** Restore a dump of schema `from` as schema `to` (replacing it), in one transaction. */
async function restoreAs(dump: string, from: string, to: string): Promise<void> {
  await withPg(async (c) => {
    try {
      await c.query(`BEGIN; DROP SCHEMA IF EXISTS ${to} CASCADE;\n${dump.split(from).join(to)}\nCOMMIT;`);
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw new Error(`restoring a copy of ${from} as ${to} failed: ${(e as Error).message}`);
    }
  });
}

/** Every row of every table of the store's schema, as text (what a store file's bytes are on SQLite). */
export async function pgStoreText(url: string): Promise<string> {
  const schema = schemaOf(url);
  const tables = (await psql(`SELECT tablename FROM pg_tables WHERE schemaname = '${schema}' ORDER BY 1`)).split('\n').filter(Boolean);
  if (tables.length === 0) return '';
  // users.db_login is left out: the harness maps logins itself when a test acts as someone (pgActing).
  const row = "(to_jsonb(x) - 'db_login')::text";
  return psql(tables.map((t) => `SELECT '${t}', coalesce((SELECT string_agg(${row}, E'\\n' ORDER BY ${row}) FROM ${schema}.${t} x), '')`).join(' UNION ALL '));
}

/** A SQL literal for a test's parameter (the tests' own values; no user input reaches this). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return `'${String(v).replace(/'/g, "''")}'`;
}

/** SQL with `?` placeholders run in the store's schema as the server's superuser; rows as objects. */
export async function pgStoreSql(url: string, sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
  let i = 0;
  const text = sql.replace(/\?/g, () => literal(params[i++]));
  const schema = schemaOf(url);
  const isQuery = /^\s*(SELECT|WITH)\b/i.test(text);
  const body = isQuery ? `SELECT coalesce(json_agg(x), '[]') FROM (${text}) x` : text;
  const rows = await pgSql(`SET search_path = ${schema}; ${body}`);
  return isQuery ? (rows[0]!.coalesce as Record<string, unknown>[]) : [];
}

/** The preload that sets a CLI process's own clock (frozen-clock.cjs). */
const FROZEN_CLOCK = fileURLToPath(new URL('./frozen-clock.cjs', import.meta.url));

/**
 * DELEGATE_NOW as a team store takes it: the store refuses the variable (SPEC), so a valid time
 * becomes the process's own clock instead (frozen there: for a child, a preload; in this process,
 * the clock runCli is given). DELEGATE_TEST_KEEP_NOW keeps the variable, for the tests of its refusal.
 */
function pgClock(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; frozenAt?: Date } {
  const now = env.DELEGATE_NOW;
  if (!now || env.DELEGATE_TEST_KEEP_NOW || !/^\d{4}-\d{2}-\d{2}/.test(now) || Number.isNaN(Date.parse(now))) return { env };
  const next = { ...env };
  delete next.DELEGATE_NOW;
  next.DELEGATE_TEST_FROZEN_NOW = now;
  next.NODE_OPTIONS = `${env.NODE_OPTIONS ? env.NODE_OPTIONS + ' ' : ''}--require ${FROZEN_CLOCK}`;
  return { env: next, frozenAt: new Date(now) };
}
