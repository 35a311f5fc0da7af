/**
 * `--db` pointing at something that is not a healthy delegate store. For a
 * read command (`client list`) and a write command (`user add`), delegate
 * must refuse with exit 1 (a store problem; 3 when there is no store at all),
 * say why on ONE line of stderr without a stack trace, print nothing on
 * stdout, and leave the file byte-for-byte as it was (SPEC "Exit codes" and
 * "Behaviour every command keeps"): a damaged or foreign file is never
 * "repaired", migrated or overwritten.
 *
 * Read-only stores: the tests run as root in CI, and chmod does not stop
 * root. So, as root, the CLI is spawned as the unprivileged user `nobody`
 * (child_process `uid`/`gid`); as any other user, chmod alone is enough.
 * `nobody` may not be able to enter the checkout (CI may clone into a 0700
 * directory), so the CLI it runs is a copy (bin, dist and the production
 * dependencies; node itself too when nobody cannot run it) in a
 * world-traversable temporary directory. A write probe still checks: when
 * the file is writable for the spawned user after all, those tests are
 * skipped (their names say so) instead of passing vacuously, and CI
 * (.ci/run) fails on any skipped test.
 *
 * A full disk: a small tmpfs mounted in a private user+mount namespace
 * (`unshare -rm`; no mount in the host namespace and no root needed where
 * unprivileged user namespaces are allowed), filled up with a filler file.
 * Where unshare cannot mount, those tests are skipped (their names say so).
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  mkdtempSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ADMIN, BIN, ROOT, spawnBin, sandbox, storeHash, TENANT, type Result, type Sandbox, runOk, expectOneLine } from '../helpers/cli.js';
import { finished } from '../helpers/process.js';

const READ = ['client', 'list'];
const WRITE = ['user', 'add', 'x@fabrikam.com'];
const commands = [
  { kind: 'read (client list)', args: READ },
  { kind: 'write (user add)', args: WRITE },
];

/** A real store with some of everything, made in-process. */
let template: Sandbox;
let pageSize = 4096;
/** Pages holding the users and clients tables (and their indexes), from dbstat. */
let dataPages: number[] = [];

function setup(db: string, args: string[], stdin?: string): Promise<string> {
  return runOk(['--db', db, ...args], { stdin });
}

beforeAll(async () => {
  template = await sandbox();
  const db = template.db;
  await setup(db, ['init', '--name', 'Fabrikam IT', '--tenant-id', TENANT, '--admin', ADMIN, '--certified']);
  const users = ['email,name', ...Array.from({ length: 300 }, (_, i) => `user${i}@fabrikam.com,User ${i}`)].join('\n') + '\n';
  await setup(db, ['user', 'add', '--file', '-'], users);
  const offer = JSON.parse(await setup(db, ['offer', 'create', '--json'])).id as string;
  const clients = ['domain,name,tenantId', ...Array.from({ length: 200 }, (_, i) => `client${i}.example.com,Client ${i},`)].join('\n') + '\n';
  await setup(db, ['client', 'accept', offer, '--file', '-'], clients);
  expect(existsSync(db + '-wal')).toBe(false);
  const conn = new Database(db, { readonly: true });
  try {
    pageSize = conn.pragma('page_size', { simple: true }) as number;
    const rows = conn
      .prepare("SELECT DISTINCT pageno FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name IN ('users', 'clients')) ORDER BY pageno")
      .all() as { pageno: number }[];
    dataPages = rows.map((r) => r.pageno);
  } finally {
    conn.close();
  }
  expect(dataPages.length).toBeGreaterThan(2);
});

afterAll(() => template?.cleanup());

// ---------------------------------------------------------------------------

function copyTemplate(to: string): void {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  copyFileSync(template.db, to);
}

/** One line, ending in a newline, with no stack trace and no source locations. */

/** The store path's state: its bytes and those of its siblings, or, for a directory, what it holds. */
async function state(db: string): Promise<string> {
  if (existsSync(db) && statSync(db).isDirectory()) {
    return 'dir:' + JSON.stringify(readdirSync(db).sort().map((f) => [f, sha256(join(db, f))])) + [db + '-wal', db + '-shm'].map(existsSync).join();
  }
  return await storeHash(db);
}
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

interface BadStore {
  name: string;
  /** Put the bad thing at `db`. */
  make: (db: string) => void;
  code: 1 | 3;
  message: RegExp;
}

const badStores: BadStore[] = [
  {
    name: 'no file at the path',
    make: (db) => mkdirSync(dirname(db), { recursive: true }),
    code: 3,
    message: /delegate init/,
  },
  {
    name: 'an empty file',
    make: (db) => {
      mkdirSync(dirname(db), { recursive: true });
      writeFileSync(db, '');
    },
    code: 1,
    message: /empty.*delegate init/,
  },
  {
    name: 'a text file',
    make: (db) => {
      mkdirSync(dirname(db), { recursive: true });
      writeFileSync(db, 'email,name\nada@fabrikam.com,Ada\n');
    },
    code: 1,
    message: /not a delegate store/,
  },
  {
    name: 'a truncated database (its first third)',
    make: (db) => {
      copyTemplate(db);
      const bytes = readFileSync(db);
      writeFileSync(db, bytes.subarray(0, Math.floor(bytes.length / 3)));
    },
    code: 1,
    message: /malformed|damaged|corrupt/i,
  },
  {
    name: 'a database whose pages after page 2 are overwritten',
    make: (db) => {
      copyTemplate(db);
      const bytes = readFileSync(db);
      for (let i = 2 * pageSize; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
      writeFileSync(db, bytes);
    },
    code: 1,
    message: /malformed|damaged|corrupt/i,
  },
  {
    name: 'a database whose users and clients pages are overwritten (the schema is intact)',
    make: (db) => {
      copyTemplate(db);
      const fd = openSync(db, 'r+');
      try {
        const junk = Buffer.alloc(pageSize, 0xa5);
        for (const p of dataPages) writeSync(fd, junk, 0, pageSize, (p - 1) * pageSize);
      } finally {
        closeSync(fd);
      }
    },
    code: 1,
    message: /malformed|damaged|corrupt/i,
  },
  {
    name: 'a store from a newer delegate (user_version above the known one)',
    make: (db) => {
      copyTemplate(db);
      const conn = new Database(db);
      conn.pragma('user_version = 999');
      conn.close();
    },
    code: 1,
    message: /newer delegate.*upgrade/,
  },
  {
    name: "another application's SQLite database",
    make: (db) => {
      mkdirSync(dirname(db), { recursive: true });
      const conn = new Database(db);
      conn.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (\'keep me\')');
      conn.pragma('user_version = 3');
      conn.close();
    },
    code: 1,
    message: /not a delegate store/,
  },
  {
    name: 'a directory',
    make: (db) => {
      mkdirSync(db, { recursive: true });
      writeFileSync(join(db, 'keep.txt'), 'mine');
    },
    code: 1,
    message: /directory/,
  },
];

describe.each(badStores)('--db at $name', ({ make, code, message }) => {
  test.concurrent.each(commands)('$kind: exit ' + code + ', one line, the file untouched', async ({ args }) => {
    const sb = await sandbox();
    try {
      make(sb.db);
      const before = await state(sb.db);
      const r = await spawnBin(['--db', sb.db, ...args], sb.env);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code, stdout: '' });
      expectOneLine(r.stderr, message);
      expect(await state(sb.db)).toBe(before);
      // With --json the same refusal is one JSON error.
      const j = await spawnBin(['--json', '--db', sb.db, ...args], sb.env);
      expect(j.code).toBe(code);
      expect(j.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(JSON.parse(j.stderr)).toEqual({ error: { code: expect.any(String), message: expect.stringMatching(message) } });
      expect(await state(sb.db)).toBe(before);
    } finally {
      await sb.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------
// Read-only stores

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
/** Spawn options that make the CLI an unprivileged user, when the tests run as root. */
const asUser: SpawnOptions = asRoot ? { uid: NOBODY, gid: NOBODY } : {};

const canRun = (file: string, args: string[]) => spawnSync(file, args, { ...asUser, stdio: 'ignore' }).status === 0;

/**
 * The CLI as the spawned user can reach it: bin/, dist/, package.json and
 * the production dependencies (with theirs, from the hoisted node_modules)
 * copied to a 0755 temporary directory; node too if that user cannot run it.
 */
function reachableCli(): { node: string; bin: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'delegate-cli-'));
  chmodSync(dir, 0o755);
  for (const f of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  const seen = new Set<string>();
  const queue = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const from = join(ROOT, 'node_modules', name);
    if (!existsSync(from)) continue; // an optional dependency not installed here
    cpSync(from, join(dir, 'node_modules', name), { recursive: true });
    const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    queue.push(...Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
  }
  let node = process.execPath;
  if (!canRun(node, ['--version'])) {
    node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  return { node, bin: join(dir, 'bin', 'delegate.js'), dir };
}

const cli = reachableCli();
afterAll(() => rmSync(cli.dir, { recursive: true, force: true }));

function runAs(args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  const child = spawn(cli.node, [cli.bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'], ...asUser });
  const done = finished(child);
  child.stdin!.end('');
  return done;
}

/** Give the spawned user a sandbox it can reach, with its config dir. */
async function readOnlySandbox(writableDir: boolean, fill: (db: string) => void = copyTemplate): Promise<Sandbox & { storeDir: string }> {
  const sb = await sandbox();
  const storeDir = dirname(sb.db);
  mkdirSync(storeDir, { recursive: true, mode: 0o700 });
  fill(sb.db);
  mkdirSync(sb.env.DELEGATE_CONFIG_DIR!, { recursive: true });
  mkdirSync(sb.env.HOME!, { recursive: true });
  chmodSync(sb.dir, 0o755);
  chmodSync(sb.db, 0o444);
  if (asRoot) {
    for (const d of [sb.env.DELEGATE_CONFIG_DIR!, sb.env.HOME!]) chownSync(d, NOBODY, NOBODY);
    chmodSync(storeDir, 0o755);
    if (writableDir) chownSync(storeDir, NOBODY, NOBODY);
  } else {
    chmodSync(storeDir, writableDir ? 0o700 : 0o500);
  }
  const cleanup = sb.cleanup;
  return {
    ...sb,
    storeDir,
    cleanup: async () => {
      chmodSync(storeDir, 0o700);
      await cleanup();
    },
  };
}

/** The write probe: can the spawned user write the 0444 file (root does) and read it? */
async function probeReadOnly(): Promise<{ ok: boolean; why: string }> {
  const sb = await readOnlySandbox(false, (db) => writeFileSync(db, 'probe'));
  try {
    const code = `const fs=require('fs');fs.readFileSync(process.argv[1]);let w=true;try{fs.closeSync(fs.openSync(process.argv[1],'r+'))}catch{w=false}process.exit(w?10:0)`;
    const r = spawnSync(cli.node, ['-e', code, sb.db], { ...asUser, stdio: 'ignore' });
    if (r.status === 10) return { ok: false, why: 'the spawned user can still write a 0444 file' };
    if (r.status === 0) {
      // Load the bundle too (bin/delegate.js answers --version and a cached --help without it).
      const help = spawnSync(cli.node, [cli.bin, '--help'], { ...asUser, stdio: 'ignore', env: { PATH: process.env.PATH, DELEGATE_NO_HELP_CACHE: '1' } });
      return help.status === 0 ? { ok: true, why: '' } : { ok: false, why: `the spawned user cannot run the copy of the CLI in ${cli.dir}` };
    }
    return { ok: false, why: `the spawned user cannot run node or read the store (${r.status ?? r.error?.message})` };
  } finally {
    await sb.cleanup();
  }
}

const ro = await probeReadOnly();
const roTest = ro.ok ? test : test.skip;
const roNote = ro.ok ? '' : ` [skipped: ${ro.why}]`;

describe(`a read-only store file (0444${asRoot ? ', CLI run as nobody because the tests run as root' : ''})${roNote}`, () => {
  roTest('in a read-only directory: read and write both refused with one line, exit 1, nothing touched', async () => {
    const sb = await readOnlySandbox(false);
    try {
      const before = await storeHash(sb.db);
      for (const args of [READ, WRITE]) {
        const r = await runAs(['--db', sb.db, ...args], sb.env);
        expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: '' });
        expectOneLine(r.stderr, /read-?only/i);
        expect(await storeHash(sb.db)).toBe(before);
      }
    } finally {
      await sb.cleanup();
    }
  });

  // SQLite writes -wal/-shm next to a WAL store even to read it, which would
  // leave read-only side files behind; so a store that cannot be written is
  // refused for reading too (the issue: "a clear one-line error, a non-zero
  // exit, the file byte-for-byte untouched").
  roTest('in a writable directory: read and write are refused with one line naming read-only, exit 1, nothing left behind', async () => {
    const sb = await readOnlySandbox(true);
    try {
      const bytes = sha256(sb.db);
      for (const args of [READ, WRITE]) {
        const r = await runAs(['--db', sb.db, ...args], sb.env);
        expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 1, stdout: '' });
        expectOneLine(r.stderr, /read-only/);
        expect(sha256(sb.db)).toBe(bytes);
        expect(readdirSync(sb.storeDir).sort()).toEqual(['delegate.db']);
      }
    } finally {
      await sb.cleanup();
    }
  });

  // A refused write must not leave <store>-wal and <store>-shm behind (SQLite
  // would create them with the store's 0444 mode). SPEC: "a refused command
  // leaves the store's files as they were".
  roTest('in a writable directory: a refused write leaves the store files exactly as they were (no -wal/-shm left)', async () => {
    const sb = await readOnlySandbox(true);
    try {
      const before = await storeHash(sb.db);
      const write = await runAs(['--db', sb.db, ...WRITE], sb.env);
      expect(write.code).toBe(1);
      expect({ files: readdirSync(sb.storeDir).sort(), hash: await storeHash(sb.db) }).toEqual({ files: ['delegate.db'], hash: before });
    } finally {
      await sb.cleanup();
    }
  });

  // And no stale read-only -shm may keep the store read-only after the owner
  // fixes the permissions the message points at.
  roTest('in a writable directory: after a refused write, chmod 0644 makes the store writable again', async () => {
    const sb = await readOnlySandbox(true);
    try {
      const write = await runAs(['--db', sb.db, ...WRITE], sb.env);
      expect(write.code).toBe(1);
      chmodSync(sb.db, 0o644);
      if (asRoot) chownSync(sb.db, NOBODY, NOBODY);
      const again = await runAs(['--db', sb.db, '--json', ...WRITE], sb.env);
      expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(again.stdout)).toMatchObject({ email: 'x@fabrikam.com' });
    } finally {
      await sb.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------
// A full disk

/** Hash the store files the same way as storeHash (run inside the namespace). */
const HASH_JS = `
const { createHash } = require('crypto'); const fs = require('fs'); const db = process.argv[1];
const h = createHash('sha256');
for (const p of [db, db + '-wal', db + '-shm']) { h.update(p.slice(db.length) + ':'); h.update(fs.existsSync(p) ? fs.readFileSync(p) : Buffer.from('<absent>')); }
process.stdout.write(h.digest('hex') + ' ' + JSON.stringify(fs.readdirSync(require('path').dirname(db)).sort()));
`;

/** The shell run inside `unshare -rm`: mount, copy the store in, fill the disk to FREE bytes, run, hash. */
const FULL_SH = `
set -eu
mount -t tmpfs -o size=1m tmpfs "$MNT"
mkdir "$MNT/store"
cp "$SRC" "$MNT/store/delegate.db"
dd if=/dev/zero of="$MNT/filler" bs=4096 2>/dev/null || true
truncate -s "-$FREE" "$MNT/filler"
"$NODE" -e "$HASH_JS" "$MNT/store/delegate.db" > "$OUT/before"
set +e
"$NODE" "$BIN" --db "$MNT/store/delegate.db" "$@" > "$OUT/stdout" 2> "$OUT/stderr" < /dev/null
echo $? > "$OUT/code"
"$NODE" -e "$HASH_JS" "$MNT/store/delegate.db" > "$OUT/after"
`;

async function probeUnshare(): Promise<{ ok: boolean; why: string }> {
  const dir = await sandbox();
  try {
    mkdirSync(join(dir.dir, 'mnt'));
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1" && : > "$1/x"', 'sh', join(dir.dir, 'mnt')], { encoding: 'utf8' });
    if (r.error) return { ok: false, why: `unshare is not available (${r.error.message})` };
    if (r.status !== 0) return { ok: false, why: `unshare -rm cannot mount a tmpfs here (${(r.stderr || '').trim().split('\n')[0]})` };
    return { ok: true, why: '' };
  } finally {
    await dir.cleanup();
  }
}

const fullDisk = await probeUnshare();
const fdTest = fullDisk.ok ? test.concurrent : test.concurrent.skip;
const fdNote = fullDisk.ok ? '' : ` [skipped: ${fullDisk.why}]`;

interface FullRun extends Result {
  before: string;
  after: string;
}

/** Run delegate against a copy of the template store on a 1 MiB tmpfs with `free` bytes left. */
async function onFullDisk(free: number, args: string[], files: Record<string, string> = {}): Promise<FullRun> {
  const sb = await sandbox();
  try {
    const mnt = join(sb.dir, 'mnt');
    const out = join(sb.dir, 'out');
    mkdirSync(mnt);
    mkdirSync(out);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(sb.dir, name), content);
    const env = { ...sb.env, MNT: mnt, OUT: out, SRC: template.db, FREE: String(free), NODE: process.execPath, BIN, HASH_JS };
    const r = await new Promise<{ status: number | null; stderr: string }>((resolveP, reject) => {
      const child = spawn('unshare', ['-rm', 'sh', '-c', FULL_SH, 'sh', ...args.map((a) => a.replace('$DIR', sb.dir))], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolveP({ status, stderr }));
    });
    if (r.status !== 0 || !existsSync(join(out, 'after'))) throw new Error(`the full-disk harness failed (${r.status}): ${r.stderr}`);
    const read = (n: string) => readFileSync(join(out, n), 'utf8');
    return { code: Number(read('code').trim()), stdout: read('stdout'), stderr: read('stderr'), before: read('before'), after: read('after') };
  } finally {
    rmSync(join(sb.dir, 'mnt'), { recursive: true, force: true });
    await sb.cleanup();
  }
}

const bulkCsv = ['email,name', ...Array.from({ length: 3000 }, (_, i) => `bulk${i}@contoso.com,Bulk User ${i} with a longer display name`)].join('\n') + '\n';

describe(`a full disk (tmpfs in a private mount namespace)${fdNote}`, () => {
  fdTest('a write with no room for it: exit 1, one line saying the disk is full, the store untouched', async () => {
    const r = await onFullDisk(40 * 1024, WRITE);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expectOneLine(r.stderr, /disk is full.*nothing was written/);
    expect(r.after).toBe(r.before);
  });

  fdTest('a bulk add that runs out of room while committing: exit 1, one line, nothing written', async () => {
    const r = await onFullDisk(200 * 1024, ['user', 'add', '--file', '$DIR/bulk.csv'], { 'bulk.csv': bulkCsv });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expectOneLine(r.stderr, /disk is full.*nothing was written/);
    expect(r.after).toBe(r.before);
  });

  fdTest('reading still works on a full disk, and changes nothing', async () => {
    const r = await onFullDisk(40 * 1024, ['--json', ...READ]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toHaveLength(200);
    expect(r.after).toBe(r.before);
  });

  // With no room left for SQLite's 32 KiB shared-memory index: "the disk is
  // full", and no <store>-wal or partial <store>-shm left behind.
  fdTest('a disk with no room even to open the store: exit 1, one line saying the disk is full, no files left behind', async () => {
    const r = await onFullDisk(8 * 1024, WRITE);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.after).toBe(r.before);
    expect(r.stderr).toMatch(/disk is full/);
  });
});
