/**
 * The team store on a real PostgreSQL server (SPEC.md "Team store", "Who is
 * acting"): migrations, identity from the database login, db grant (the
 * database itself refusing a technician's edits of the trail), db copy both
 * ways, per-user inbox read state, and one-line failures to connect. Each
 * test has its own schema; its logins are unique and dropped after.
 */
import { join } from 'node:path';
import { ADMIN, expectOneLine, runBin, sandbox, spawnBin, TENANT, type Result, type Sandbox } from '../helpers/cli.js';
import { asLogin, describePg, dropRoles, freshSchema, makeRole, PG_URL, psql, schemaUrl, type PgSchema } from '../helpers/pg.js';
import { LATEST_VERSION } from '../../src/store/postgres/migrations.js';

const BOB = 'bob@fabrikam.com';
const schemas: PgSchema[] = [];
const sandboxes: Sandbox[] = [];

interface Team {
  sb: Sandbox;
  url: string;
  schema: string;
  run(args: string[], opts?: { login?: string; env?: NodeJS.ProcessEnv; stdin?: string }): Promise<Result>;
  ok(args: string[], opts?: { login?: string; env?: NodeJS.ProcessEnv; stdin?: string }): Promise<string>;
}

async function team(): Promise<Team> {
  const schema = await freshSchema();
  schemas.push(schema);
  const sb = await sandbox();
  sandboxes.push(sb);
  sb.env.DELEGATE_DB = schema.url;
  const run: Team['run'] = (args, opts = {}) =>
    runBin(args, { ...sb.env, ...(opts.login ? { DELEGATE_DB: asLogin(schema.url, opts.login) } : {}), ...(opts.env ?? {}) }, opts.stdin);
  const ok: Team['ok'] = async (args, opts) => {
    const r = await run(args, opts);
    if (r.code !== 0) throw new Error(`delegate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return { sb, url: schema.url, schema: schema.name, run, ok };
}

async function initTeam(t: Team, extra: string[] = []): Promise<void> {
  await t.ok(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified', ...extra]);
}

const audit = async (t: Team) => JSON.parse(await t.ok(['audit', '--json'])) as { seq: number; actor: string; action: string; outcome: string; target: string }[];

afterAll(async () => {
  for (const s of schemas) await s.drop();
  for (const sb of sandboxes) await sb.cleanup();
  await dropRoles();
});

describePg('team store: schema and migrations', () => {
  test('an unmigrated database is exit 5 naming db migrate; db migrate sets it up; two at once do not race', async () => {
    const t = await team();
    const r = await t.run(['user', 'list']);
    expect(r.code).toBe(5);
    expectOneLine(r.stderr, /not set up.*delegate db migrate/);
    // Processes of their own, at once (runBin runs one command at a time).
    const at = (args: string[]) => spawnBin(args, t.sb.env);
    const both = await Promise.all([at(['db', 'migrate']), at(['db', 'migrate']), at(['db', 'migrate', '--json'])]);
    for (const b of both) expect(b).toMatchObject({ code: 0 });
    expect(JSON.parse(both[2]!.stdout)).toMatchObject({ to: LATEST_VERSION });
    expect((await psql(`SELECT version FROM ${t.schema}.delegate_schema`)).trim()).toBe(String(LATEST_VERSION));
    await initTeam(t);
    expect(await t.ok(['audit', 'verify'])).toMatch(/^ok\t1\t/);
  });

  test('a schema newer than this delegate is refused, exit 1, one line', async () => {
    const t = await team();
    await initTeam(t);
    await psql(`UPDATE ${t.schema}.delegate_schema SET version = 99`);
    const r = await t.run(['user', 'list']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /newer delegate.*99/);
  });

  test('an older schema is exit 5 naming db migrate (init and db migrate bring it up)', async () => {
    const t = await team();
    await t.ok(['db', 'migrate']);
    await psql(`UPDATE ${t.schema}.delegate_schema SET version = 0`);
    // Version 0 with the tables in place: the migration would fail on them, and says so in one line.
    const r = await t.run(['user', 'list']);
    expect(r.code).toBe(5);
    expectOneLine(r.stderr, /delegate db migrate/);
  });

  test('unreachable server, missing database: one line naming the store, exit 1, no password shown', async () => {
    const sb = await sandbox();
    sandboxes.push(sb);
    const down = await runBin(['--db', 'postgres://someone:s3cret-pw@127.0.0.1:1/delegate', 'user', 'list'], sb.env);
    expect(down.code).toBe(1);
    expectOneLine(down.stderr, /Cannot reach the store postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/delegate/);
    expect(down.stderr).not.toContain('s3cret');
    const base = new URL(PG_URL);
    base.pathname = '/no_such_database_for_delegate';
    const missing = await runBin(['--db', base.toString(), 'user', 'list'], sb.env);
    expect(missing.code).toBe(1);
    expectOneLine(missing.stderr, /no_such_database_for_delegate.*does not exist/);
    const json = await runBin(['--db', 'postgres://127.0.0.1:1/x', 'user', 'list', '--json'], sb.env);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'store' } });
  });

  test("the store comes from DELEGATE_DB or the db setting too; DELEGATE_NOW is refused, to every login", async () => {
    const t = await team();
    const url = t.url;
    const env = { ...t.sb.env };
    delete env.DELEGATE_DB;
    expect((await runBin(['config', 'set', 'db', url], env)).code).toBe(0);
    expect((await runBin(['init', '--name', 'F', '--tenant-id', TENANT, '--admin', ADMIN], env)).code).toBe(0);
    expect(await t.ok(['partner', 'show', '--json'])).toContain('"name": "F"');
    // No login pins a team store's clock: a technician's ...
    const tech = await makeRole();
    await t.ok(['db', 'grant', tech]);
    await t.ok(['user', 'add', BOB, '--db-login', tech]);
    const pinned = await t.run(['user', 'list'], { login: tech, env: { DELEGATE_NOW: '2030-01-01T00:00:00.000Z' } });
    expect(pinned.code).toBe(2);
    expectOneLine(pinned.stderr, /DELEGATE_NOW is refused on a team store/);
    // The store's owner neither (SPEC: refused on a team store), and a malformed time is named as such.
    const owner = await t.run(['user', 'list'], { env: { DELEGATE_NOW: '2030-01-01T00:00:00.000Z' } });
    expect(owner.code).toBe(2);
    expectOneLine(owner.stderr, /DELEGATE_NOW is refused on a team store/);
    const bad = await t.run(['user', 'list'], { env: { DELEGATE_NOW: 'tomorrow' } });
    expect(bad.code).toBe(2);
    expectOneLine(bad.stderr, /DELEGATE_NOW must be an ISO-8601 time/);
  });
});

describePg('team store: who is acting', () => {
  test("init maps the admin to the connected login; it acts; JSON users carry dbLogin", async () => {
    const t = await team();
    await initTeam(t);
    const users = JSON.parse(await t.ok(['user', 'list', '--json']));
    expect(users).toEqual([{ email: ADMIN, name: 'ada', orgRole: 'global-admin', adminAccess: 'full', canCreateOffers: true, dbLogin: new URL(PG_URL).username }]);
    const offer = JSON.parse(await t.ok(['offer', 'create', '--json']));
    expect(offer.createdBy).toBe(ADMIN);
  });

  test('--as, DELEGATE_AS and the actor setting are exit 4, each audited once', async () => {
    const t = await team();
    await initTeam(t);
    await t.ok(['user', 'add', BOB]);
    const before = (await audit(t)).length;
    const asFlag = await t.run(['--as', BOB, 'offer', 'create']);
    expect(asFlag.code).toBe(4);
    expectOneLine(asFlag.stderr, /--as is refused on a team store/);
    const asEnv = await t.run(['user', 'list'], { env: { DELEGATE_AS: BOB } });
    expect(asEnv.code).toBe(4);
    expectOneLine(asEnv.stderr, /DELEGATE_AS is refused/);
    await t.ok(['config', 'set', 'actor', BOB]);
    const asSetting = await t.run(['user', 'list']);
    expect(asSetting.code).toBe(4);
    expectOneLine(asSetting.stderr, /actor setting is refused/);
    await t.ok(['config', 'unset', 'actor']);
    const entries = await audit(t);
    expect(entries.slice(before).map((e) => [e.action, e.outcome, e.actor, e.target])).toEqual([
      ['session.declare', 'denied', ADMIN, BOB],
      ['session.declare', 'denied', ADMIN, BOB],
      ['session.declare', 'denied', ADMIN, BOB],
    ]);
    expect(await t.ok(['audit', 'verify'])).toMatch(/^ok/);
  });

  test('a login mapped to nobody is exit 4 naming user set --db-login, audited as db:<login>; mapped, it acts as its user', async () => {
    const t = await team();
    await initTeam(t);
    const tech = await makeRole();
    await t.ok(['db', 'grant', tech]);
    await t.ok(['user', 'add', BOB]);
    for (const args of [['user', 'list'], ['offer', 'create']]) {
      const r = await t.run(args, { login: tech });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      expectOneLine(r.stderr, new RegExp(`login ${tech} acts for no partner user.*user set <email> --db-login ${tech}`));
    }
    const denied = (await audit(t)).filter((e) => e.actor === `db:${tech}`);
    expect(denied.map((e) => [e.action, e.outcome])).toEqual([
      ['session.login', 'denied'],
      ['session.login', 'denied'],
    ]);
    await t.ok(['user', 'set', BOB, '--db-login', tech]);
    await t.ok(['user', 'grant-admin', BOB, '--role', 'limited']);
    const offer = JSON.parse(await t.ok(['offer', 'create', '--json'], { login: tech }));
    expect(offer.createdBy).toBe(BOB);
    // Bob is not a global admin: the rules hold for the login as for the user.
    const refused = await t.run(['user', 'add', 'carol@fabrikam.com'], { login: tech });
    expect(refused.code).toBe(4);
    // One login, one user.
    const taken = await t.run(['user', 'set', ADMIN, '--db-login', tech]);
    expect(taken.code).toBe(5);
    expectOneLine(taken.stderr, new RegExp(`already acts for ${BOB}`));
    expect(await t.ok(['audit', 'verify'])).toMatch(/^ok/);
  });

  test('the inbox read state is per partner user', async () => {
    const t = await team();
    await initTeam(t);
    const tech = await makeRole();
    await t.ok(['db', 'grant', tech]);
    await t.ok(['user', 'add', BOB, '--db-login', tech]);
    const offer = JSON.parse(await t.ok(['offer', 'create', '--json']));
    await t.ok(['client', 'accept', offer.id, '--domain', 'contoso.com']);
    await t.ok(['inbox', 'read', '--all']);
    expect(JSON.parse(await t.ok(['inbox', '--unread', '--json']))).toEqual([]);
    const bobs = JSON.parse(await t.ok(['inbox', '--unread', '--json'], { login: tech }));
    expect(bobs).toHaveLength(1);
    await t.ok(['inbox', 'read', String(bobs[0].id)], { login: tech });
    expect(JSON.parse(await t.ok(['inbox', '--unread', '--json'], { login: tech }))).toEqual([]);
  });
});

describePg('team store: db grant', () => {
  test("a technician's login works through delegate, and PostgreSQL refuses its edits of the trail and of the schema", async () => {
    const t = await team();
    await initTeam(t);
    const tech = await makeRole();
    const r = await t.run(['db', 'grant', tech]);
    expect(r.code).toBe(0);
    await t.ok(['user', 'add', BOB, '--global-admin', '--db-login', tech]);
    await t.ok(['user', 'grant-admin', BOB, '--role', 'full']);
    const offer = JSON.parse(await t.ok(['offer', 'create', '--json'], { login: tech }));
    await t.ok(['client', 'accept', offer.id, '--domain', 'contoso.com'], { login: tech });
    // Bulk work goes through a temporary table: the login may make one.
    await t.ok(['user', 'add', 'carol@fabrikam.com'], { login: tech });
    await t.ok(['user', 'grant-admin', '--file', '-'], { login: tech, stdin: 'email,role\ncarol@fabrikam.com,limited\n' });
    expect(JSON.parse(await t.ok(['user', 'list', '--access', 'limited', '--json'])).map((u: { email: string }) => u.email)).toEqual(['carol@fabrikam.com']);
    const techUrl = asLogin(t.url, tech);
    const refused = [
      `UPDATE audit SET detail = 'edited'`,
      `DELETE FROM audit`,
      `TRUNCATE audit`,
      `ALTER TABLE audit ADD COLUMN note text`,
      `DROP TABLE audit`,
      `ALTER TABLE users DROP COLUMN db_login`,
      `CREATE TABLE ${t.schema}.extra (a int)`,
      `UPDATE delegate_schema SET version = 2`,
      `CREATE INDEX sneaky ON users (name)`,
    ];
    for (const sql of refused) await expect(psql(sql, techUrl)).rejects.toThrow(/permission denied|must be owner/);
    expect(await t.ok(['audit', 'verify'])).toMatch(/^ok/);
  });

  test('db grant: a login that does not exist is exit 3; the owner itself is exit 5; a solo store is exit 2', async () => {
    const t = await team();
    await initTeam(t);
    const missing = await t.run(['db', 'grant', 'no_such_login_for_delegate']);
    expect(missing.code).toBe(3);
    expectOneLine(missing.stderr, /no database login no_such_login_for_delegate/);
    const self = await t.run(['db', 'grant', new URL(PG_URL).username]);
    expect(self.code).toBe(5);
    const solo = await sandbox();
    sandboxes.push(solo);
    await runBin(['init', '--name', 'F', '--tenant-id', TENANT, '--admin', ADMIN], solo.env);
    const r = await runBin(['db', 'grant', 'x'], solo.env);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /team store/);
  });
});

describePg('team store: db copy', () => {
  test('a solo ledger into PostgreSQL and back: every row, the chain verified on both ends, logins kept, the first admin mapped', async () => {
    const solo = await sandbox();
    sandboxes.push(solo);
    const env = { ...solo.env, DELEGATE_NOW: '2026-03-01T09:00:00.000Z' };
    const run = async (args: string[]) => {
      const r = await runBin(args, env);
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await run(['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
    await run(['user', 'add', BOB]);
    const offer = JSON.parse(await run(['offer', 'create', '--json']));
    await run(['client', 'accept', offer.id, '--domain', 'contoso.com']);
    await run(['client', 'user', 'add', 'contoso.com', 'x@contoso.com', '--name', 'X']);
    await run(['group', 'create', 'Helpdesk']);
    const head = JSON.parse(await run(['audit', 'head', '--json']));

    const t = await team();
    const r = await runBin(['db', 'copy', solo.db, t.url, '--json'], solo.env);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rows).toMatchObject({ partner: 1, users: 2, offers: 1, clients: 1, audit: head.seq, client_users: 1, groups: 1 });
    expect(report.mapped).toEqual({ email: ADMIN, login: new URL(PG_URL).username });
    expect(r.stderr).toMatch(/now acts as the database login/);
    // The copy continues the chain: the source's head is still there, the copy recorded after it.
    expect((await t.run(['audit', 'verify', '--expect', `${head.seq}:${head.hash}`])).code).toBe(0);
    const entries = await audit(t);
    expect(entries.at(-1)).toMatchObject({ seq: head.seq + 1, action: 'db.copy', actor: ADMIN });
    expect(JSON.parse(await t.ok(['client', 'list', '--json']))[0]).toMatchObject({ domain: 'contoso.com' });

    // Not empty any more: exit 5, nothing written.
    const again = await runBin(['db', 'copy', solo.db, t.url], solo.env);
    expect(again.code).toBe(5);
    expectOneLine(again.stderr, /not empty/);
    expect((await audit(t)).length).toBe(head.seq + 1);

    // And back into a new SQLite file, the login mapping kept.
    const back = join(solo.dir, 'back', 'delegate.db');
    const home = await runBin(['db', 'copy', t.url, back], solo.env);
    expect(home.code).toBe(0);
    const users = JSON.parse((await runBin(['--db', back, 'user', 'list', '--json'], solo.env)).stdout);
    expect(users.map((u: { email: string }) => u.email)).toEqual([ADMIN, BOB]);
    expect((await runBin(['--db', back, 'audit', 'verify', '--expect', `${head.seq}:${head.hash}`], solo.env)).code).toBe(0);
    const backPg = await team();
    expect((await runBin(['db', 'copy', back, backPg.url], solo.env)).code).toBe(0);
    // The mapping came back with the ledger: nobody new is mapped.
    expect(JSON.parse(await backPg.ok(['user', 'list', '--json']))[0].dbLogin).toBe(new URL(PG_URL).username);
  });

  test('a source whose chain does not verify is not copied (exit 1)', async () => {
    const src = await team();
    await initTeam(src);
    await src.ok(['user', 'add', BOB]);
    await psql(`UPDATE ${src.schema}.audit SET detail = 'edited' WHERE seq = 1`);
    const dst = await team();
    const r = await runBin(['db', 'copy', src.url, dst.url], src.sb.env);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /does not verify.*entry 1/);
    expect((await psql(`SELECT count(*) FROM ${dst.schema}.audit`)).trim()).toBe('0');
  });
});

export { schemaUrl };
