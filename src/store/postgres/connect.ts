/**
 * Connecting as libpq would (https://www.postgresql.org/docs/current/libpq-connect.html):
 * the URL's parameters (sslmode and the rest, with libpq's meaning of sslmode, not pg's
 * stricter alias), a socket directory as host (`?host=/var/run/postgresql` or an encoded
 * path), the PG* environment variables for what the URL leaves out (PGHOST, PGPORT,
 * PGUSER, PGDATABASE, PGSSLMODE, PGPASSWORD), and ~/.pgpass (or PGPASSFILE) when no
 * password is given, so none need be on a command line. The password never appears in
 * a message: the store is named by redacted().
 */
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClientConfig } from 'pg';
import { UsageError } from '../../domain/core/errors.js';

const require = createRequire(import.meta.url);

/** The URL as messages show it: no password. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:***@');
  }
}

export function clientConfig(url: string, env: NodeJS.ProcessEnv): ClientConfig {
  const { parse } = require('pg-connection-string') as typeof import('pg-connection-string');
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(url, { useLibpqCompat: true }) as unknown as Record<string, unknown>;
  } catch {
    throw new UsageError(`--db ${redacted(url)} is not a valid PostgreSQL URL (postgres://[user[:password]@]host[:port]/database)`);
  }
  for (const k of Object.keys(parsed)) if (parsed[k] === '' || parsed[k] === undefined) delete parsed[k];
  const config = parsed as ClientConfig & Record<string, unknown>;
  config.host ??= env.PGHOST || (env.PGHOSTADDR ?? 'localhost');
  config.port ??= env.PGPORT ? Number(env.PGPORT) : 5432;
  config.user ??= env.PGUSER || env.USER || env.LOGNAME || 'postgres';
  config.database ??= env.PGDATABASE || config.user;
  if (typeof config.port === 'string') config.port = Number(config.port);
  if (config.ssl === undefined && env.PGSSLMODE) {
    const m = env.PGSSLMODE;
    if (m === 'require' || m === 'prefer' || m === 'allow') config.ssl = { rejectUnauthorized: false };
    else if (m === 'verify-ca' || m === 'verify-full') config.ssl = {};
  }
  if (config.options === undefined && env.PGOPTIONS) config.options = env.PGOPTIONS;
  config.application_name ??= env.PGAPPNAME || 'delegate';
  const given = typeof config.password === 'string' ? config.password : undefined;
  // pg reads ~/.pgpass itself but warns on stderr when it does: looked up here instead, quietly.
  // pg treats undefined as "no password" (then the server decides: trust, peer, or a refusal).
  config.password = (async () => given ?? env.PGPASSWORD ?? (await fromPgpass(config, env))) as () => Promise<string>;
  config.connectionTimeoutMillis ??= Number(env.PGCONNECT_TIMEOUT ?? 10) * 1000;
  return config;
}

/** PGPASSFILE, else ~/.pgpass (%APPDATA%\postgresql\pgpass.conf on Windows), as libpq finds it. */
function pgpassFile(env: NodeJS.ProcessEnv): string {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  if (process.platform === 'win32') return join(env.APPDATA || '.', 'postgresql', 'pgpass.conf');
  return join(env.HOME || homedir(), '.pgpass');
}

function fromPgpass(config: ClientConfig, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      const pgpass = require('pgpass') as ((info: object, cb: (pass?: string) => void) => void) & { warnTo?: (s: unknown) => void };
      pgpass.warnTo?.(null);
      // pgpass reads process.env; the file is the one this command's environment names (libpq's rule).
      const saved = process.env.PGPASSFILE;
      process.env.PGPASSFILE = pgpassFile(env);
      pgpass({ host: config.host, port: config.port, database: config.database, user: config.user }, (pass) => {
        if (saved === undefined) delete process.env.PGPASSFILE;
        else process.env.PGPASSFILE = saved;
        resolve(pass);
      });
    } catch {
      resolve(undefined);
    }
  });
}
