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
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { freshSchema, PG_URL, psql, RUN_ID } from './pg.js';

export const PG_MODE = process.env.DELEGATE_TEST_STORE === 'postgres';

export const isPgUrl = (db: string) => /^postgres(ql)?:\/\//.test(db);

export function pgSandboxStore(): { url: string; drop(): void } {
  const s = freshSchema();
  return { url: s.url, drop: s.drop };
}

const schemaOf = (url: string) => /search_path%3D([A-Za-z0-9_]+)/.exec(url)?.[1] ?? 'public';

/** A hash of every row of every table of the store's schema. */
export function pgStoreHash(url: string): string {
  const schema = schemaOf(url);
  const tables = psql(`SELECT tablename FROM pg_tables WHERE schemaname = '${schema}' ORDER BY 1`).split('\n').filter(Boolean);
  const h = createHash('sha256');
  if (tables.length === 0) return h.update('<no tables>').digest('hex');
  const sql = tables
    .map((t) => `SELECT '${t}', coalesce((SELECT string_agg(x::text, E'\\n' ORDER BY x::text) FROM ${schema}.${t} x), '')`)
    .join(' UNION ALL ');
  return h.update(psql(sql)).digest('hex');
}

const made = new Set<string>();
const owner = new URL(PG_URL).username || 'postgres';

/** The login that acts as `email` in this run (made once, a member of the store's owner). */
function loginFor(email: string): string {
  const name = `dlgt_as_${RUN_ID}_${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 10)}`;
  if (!made.has(name)) {
    psql(`DO $$ BEGIN CREATE ROLE ${name} LOGIN IN ROLE ${owner}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    made.add(name);
  }
  return name;
}

/** Map the login to the user (when the user and the table exist), as the owner, outside the ledger's rules. */
function mapLogin(url: string, login: string, email: string): void {
  const schema = schemaOf(url);
  spawnSync(
    'psql',
    [PG_URL, '-XAtq', '-c', `UPDATE ${schema}.users SET db_login = NULL WHERE db_login = '${login}'; UPDATE ${schema}.users SET db_login = '${login}' WHERE lower(email) = lower('${email.replace(/'/g, "''")}')`],
    { encoding: 'utf8' },
  );
}

const looksLikeEmail = (s: string) => /^[^@\s]+@[^@\s]+$/.test(s);

/**
 * A command line and environment as they act on a team store: a declared actor becomes the
 * login that acts for that user. An actor that is not an email is left for the CLI to refuse (exit 2).
 */
export function pgActing(args: readonly string[], env: NodeJS.ProcessEnv): { args: string[]; env: NodeJS.ProcessEnv } {
  const db = env.DELEGATE_DB;
  if (!db || !isPgUrl(db)) return { args: [...args], env };
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
  if (actor === undefined && env.DELEGATE_AS && looksLikeEmail(env.DELEGATE_AS)) {
    actor = env.DELEGATE_AS;
    delete next.DELEGATE_AS;
  }
  if (actor === undefined) return { args: out, env: next };
  const login = loginFor(actor);
  mapLogin(db, login, actor);
  const u = new URL(db.replace(/^postgresql:/, 'postgres:'));
  u.username = login;
  next.DELEGATE_DB = u.toString();
  return { args: out, env: next };
}
