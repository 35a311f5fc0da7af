/**
 * The intents table (live mode, exactly once: domain/plan/intent.ts), written
 * once for both backends over the shared SqlDriver (`?` placeholders; the
 * PostgreSQL driver numbers them). Times are ISO text, booleans 0/1 integers
 * on both, so nothing here differs by dialect.
 */
import type { Intent } from '../../domain/core/model.js';
import type { Tx } from '../../domain/core/store.js';

import type { SqlDriver } from './driver.js';
import type { Row } from './rows.js';

/** What this module needs of a driver: rows of a query, and the count a statement changed. */
export type SqlFace = Pick<SqlDriver, 'all' | 'run'>;

export type IntentTx = Pick<Tx, 'openIntents' | 'answerIntents' | 'markPasswordPending' | 'closeIntents' | 'listIntents' | 'hasOpenIntents' | 'claimIntent' | 'renewLeases' | 'releaseIntents'>;

/** A lease that has run out: recovery may take the intent. */
const LAPSED = new Date(0).toISOString();

/** The schema (both dialects: text, integer). SQLite migration 12, PostgreSQL migration 2. */
export const INTENTS_DDL = `
  CREATE TABLE intents (
    id TEXT PRIMARY KEY,
    opened_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    command TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    scope TEXT NOT NULL,
    reserved_key TEXT UNIQUE,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT,
    tenant_id TEXT,
    read_back TEXT NOT NULL,
    effect TEXT,
    owner_host TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    lease_until TEXT NOT NULL,
    deadline TEXT NOT NULL,
    answer_status INTEGER,
    answer_body TEXT,
    password_pending INTEGER NOT NULL DEFAULT 0 CHECK (password_pending IN (0, 1))
  );
  CREATE INDEX intents_scope ON intents(scope);
  CREATE INDEX intents_opened ON intents(opened_at, id);
`;

const COLUMNS =
  'id, opened_at, actor, command, kind, target, scope, reserved_key, method, url, body, tenant_id, read_back, effect, owner_host, owner_pid, lease_until, deadline, answer_status, answer_body, password_pending';

const toIntent = (r: Row): Intent => ({
  id: r.id as string,
  openedAt: r.opened_at as string,
  actor: r.actor as string,
  command: r.command as string,
  kind: r.kind as string,
  target: r.target as string,
  scope: r.scope as string,
  key: (r.reserved_key as string | null) ?? null,
  method: r.method as string,
  url: r.url as string,
  body: (r.body as string | null) ?? null,
  tenantId: (r.tenant_id as string | null) ?? null,
  readBack: r.read_back as string,
  effect: (r.effect as string | null) ?? null,
  owner: { host: r.owner_host as string, pid: Number(r.owner_pid), leaseUntil: r.lease_until as string },
  deadline: r.deadline as string,
  answer: r.answer_status === null || r.answer_status === undefined ? null : { status: Number(r.answer_status), body: (r.answer_body as string | null) ?? null },
  passwordPending: Number(r.password_pending) === 1,
});

const marks = (n: number) => Array<string>(n).fill('?').join(', ');

/** The Tx methods of the intents table over a backend's SqlFace. */
export function intentMethods(q: SqlFace): IntentTx {
  return {
    async openIntents(intents) {
      const keys = intents.map((i) => i.key).filter((k): k is string => k !== null);
      if (keys.length) {
        const taken = await q.all(`SELECT reserved_key FROM intents WHERE reserved_key IN (${marks(keys.length)})`, keys);
        const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
        if (taken.length || twice.length) return [...new Set([...taken.map((r) => r.reserved_key as string), ...twice])];
      }
      for (const i of intents) {
        await q.run(`INSERT INTO intents (${COLUMNS}) VALUES (${marks(21)})`, [
          i.id, i.openedAt, i.actor, i.command, i.kind, i.target, i.scope, i.key, i.method, i.url, i.body, i.tenantId, i.readBack, i.effect,
          i.owner.host, i.owner.pid, i.owner.leaseUntil, i.deadline, i.answer?.status ?? null, i.answer?.body ?? null, i.passwordPending ? 1 : 0,
        ]);
      }
      return [];
    },
    async answerIntents(answers) {
      for (const a of answers) {
        await q.run('UPDATE intents SET answer_status = ?, answer_body = ?, deadline = CASE WHEN deadline > ? THEN ? ELSE deadline END WHERE id = ?', [a.status, a.body, a.at, a.at, a.id]);
      }
    },
    async markPasswordPending(ids) {
      for (const id of ids) await q.run('UPDATE intents SET password_pending = 1 WHERE id = ?', [id]);
    },
    async closeIntents(ids) {
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500);
        await q.run(`DELETE FROM intents WHERE id IN (${marks(part.length)})`, part);
      }
    },
    async listIntents(filter) {
      if (filter?.ids) {
        if (filter.ids.length === 0) return [];
        return (await q.all(`SELECT ${COLUMNS} FROM intents WHERE id IN (${marks(filter.ids.length)}) ORDER BY opened_at, id`, filter.ids)).map(toIntent);
      }
      if (filter?.scopes) {
        if (filter.scopes.length === 0) return [];
        return (await q.all(`SELECT ${COLUMNS} FROM intents WHERE scope IN (${marks(filter.scopes.length)}) ORDER BY opened_at, id`, filter.scopes)).map(toIntent);
      }
      return (await q.all(`SELECT ${COLUMNS} FROM intents ORDER BY opened_at, id`, [])).map(toIntent);
    },
    async hasOpenIntents(scopes) {
      if (scopes === undefined) return (await q.all('SELECT 1 AS one FROM intents WHERE password_pending = 0 LIMIT 1', [])).length > 0;
      if (scopes.length === 0) return false;
      return (await q.all(`SELECT 1 AS one FROM intents WHERE password_pending = 0 AND scope IN (${marks(scopes.length)}) LIMIT 1`, scopes)).length > 0;
    },
    async claimIntent(id, expectedLease, owner) {
      return (await q.run('UPDATE intents SET owner_host = ?, owner_pid = ?, lease_until = ? WHERE id = ? AND lease_until = ?', [owner.host, owner.pid, owner.leaseUntil, id, expectedLease])) === 1;
    },
    async releaseIntents(ids) {
      for (const id of ids) await q.run('UPDATE intents SET lease_until = ? WHERE id = ?', [LAPSED, id]);
    },
    async renewLeases(ids, until) {
      for (const id of ids) await q.run('UPDATE intents SET lease_until = ? WHERE id = ?', [until, id]);
    },
  };
}
