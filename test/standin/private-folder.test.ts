// The local stack wherever users put it: a clone in a private folder (mode 700, as under /root in
// many containers), run as root, where PostgreSQL must run as the OS user `postgres`; and a clone
// of an ordinary user's own. CI runs as root, so both run there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../supabase/local/postgres.js';
import { LINK_SUFFIX, removeCluster } from '../../supabase/local/postgres/reaper.js';
import { blockedAt } from '../../supabase/local/postgres/access.js';
import { run } from '../../supabase/local/postgres/run.js';
import { serverUser } from '../../supabase/local/postgres/server-user.js';
import { collect, dataDirectoryOf, exitOf, processesMentioning, repository, stopOnFailure } from '../support/commands.js';
import { privateClone } from '../support/private-clone.js';

const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? false : 'needs root (as in CI): the switch to the postgres user is what it tests';

test('as root, `npm run supabase` runs from a clone in a private folder, serves, and stops without leftovers', { skip: rootOnly }, async (t) => {
  const clone = await privateClone();
  t.after(() => clone.remove());
  // The fault itself: the postgres user may not run the binaries where npm put them.
  const postgres = await serverUser();
  const whereNpmPutThem = await run(join(clone.binaries!, 'native', 'bin', 'postgres'), ['--version'], {
    as: postgres,
    timeoutMs: 10_000,
  });
  assert.equal(whereNpmPutThem.spawnError?.code, 'EACCES', 'the private folder keeps the postgres user out');

  const child = spawn('npm', ['run', 'supabase', '--', '--json', '--fresh', '--port', '0'], {
    cwd: clone.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '' },
  });
  t.after(stopOnFailure(child));
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const [line] = await stdout.waitFor(/^\{.*\}$/m, child, 'JSON line');
  const details = JSON.parse(line) as { url: string; anonKey: string; databaseUrl: string; seeded: boolean };
  assert.equal(details.seeded, true);

  // Migrated, seeded and served: a demo user signs in through the API.
  const signIn = await fetch(`${details.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: details.anonKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'alice@acme.test', password: 'wacrm-demo' }),
  });
  assert.equal(signIn.status, 200);
  const dataDir = await dataDirectoryOf(details.databaseUrl);
  assert.equal((await stat(dataDir)).uid, postgres.uid, 'the cluster belongs to postgres');

  child.kill('SIGTERM');
  assert.equal((await exitOf(child)).code, 0, stderr.text);
  assert.deepEqual(processesMentioning(dataDir), [], 'no PostgreSQL left behind');
  assert.equal(existsSync(dataDir), false, 'the throw-away cluster is removed');
});

async function tableCount(server: PostgresServer, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: number }>('select count(*)::int as count from pg_tables where tablename = $1', [table]);
    return rows[0]!.count;
  } finally {
    await client.end();
  }
}

test('as root, a persistent database asked for inside a private folder lives outside it behind a link, lasts, and starts over when deleted', { skip: rootOnly }, async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'wacrm-private-')); // mode 700
  const requested = join(folder, '.supabase-local', 'db');
  const started: PostgresServer[] = [];
  t.after(async () => {
    for (const server of started) await server.stop();
    for (const server of started) await removeCluster(server.dataDir, LINK_SUFFIX);
    await rm(folder, { recursive: true, force: true });
  });
  const start = async () => {
    const server = await startPostgres({ dataDir: requested });
    started.push(server);
    return server;
  };

  const first = await start();
  assert.ok((await lstat(requested)).isSymbolicLink(), 'the requested path links to the database');
  assert.equal(await readlink(requested), first.dataDir);
  assert.ok(!first.dataDir.startsWith(folder), `${first.dataDir} is outside the private folder`);
  const info = await stat(first.dataDir);
  assert.equal(info.uid, (await serverUser()).uid);
  assert.equal(info.mode & 0o777, 0o700);
  const client = new pg.Client({ connectionString: first.databaseUrl });
  await client.connect();
  await client.query('create table kept_across_starts (id int)');
  await client.end();
  await first.stop();

  const second = await start();
  assert.equal(second.dataDir, first.dataDir, 'the next start finds it through the link');
  assert.equal(await tableCount(second, 'kept_across_starts'), 1);
  await second.stop();

  // What the README says to do to start over: delete .supabase-local/.
  await rm(join(folder, '.supabase-local'), { recursive: true });
  const third = await start();
  assert.notEqual(third.dataDir, first.dataDir);
  assert.equal(await tableCount(third, 'kept_across_starts'), 0);
  assert.equal(existsSync(first.dataDir), false, 'the database nobody links to any more is removed');
});

/** An ordinary account every Debian-like system has, or undefined. */
async function nobody(): Promise<{ uid: number; gid: number } | undefined> {
  const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => Number.parseInt((await run('id', [flag, 'nobody'], { timeoutMs: 5_000 })).output, 10)));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  // Node itself must be within its reach (not under /root/.nvm, say).
  const node = await run(process.execPath, ['--version'], { as: { uid: uid!, gid: gid! }, timeoutMs: 10_000 });
  return node.code === 0 ? { uid: uid!, gid: gid! } : undefined;
}

test('an ordinary user runs the stand-in from its own private clone; the database is its own, mode 700, and lasts', { skip: rootOnly }, async (t) => {
  const user = await nobody();
  if (!user) return t.skip('no user "nobody" that can run this Node');
  // Its copy links back to this checkout's node_modules, which must then be within its reach.
  const blocked = await blockedAt(join(repository, 'node_modules'), user);
  if (blocked) return t.skip(`"nobody" cannot enter ${blocked}, on the way to this checkout's node_modules`);
  const clone = await privateClone({ owner: user });
  t.after(() => clone.remove());
  const startCommand = () => {
    // As `npm run supabase` runs it; npm itself wants a writable home, which `nobody` lacks.
    const child = spawn(process.execPath, ['--import', 'tsx', 'supabase/local/cli.ts', '--json', '--port', '0'], {
      cwd: clone.root,
      uid: user.uid,
      gid: user.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: clone.root, DATABASE_URL: '' },
    });
    t.after(stopOnFailure(child));
    return child;
  };

  for (const firstStart of [true, false]) {
    const child = startCommand();
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const [line] = await stdout.waitFor(/^\{.*\}$/m, child, 'JSON line');
    const details = JSON.parse(line) as { databaseUrl: string; seeded: boolean };
    assert.equal(details.seeded, firstStart, 'seeded on the first start only');
    const dataDir = await dataDirectoryOf(details.databaseUrl);
    assert.equal(dataDir, join(clone.root, '.supabase-local', 'db'));
    const info = await lstat(dataDir);
    assert.ok(info.isDirectory(), 'a plain folder in the clone, no link: this user reaches its own files');
    assert.equal(info.uid, user.uid);
    assert.equal(info.mode & 0o777, 0o700);
    child.kill('SIGTERM');
    assert.equal((await exitOf(child)).code, 0, stderr.text);
    assert.deepEqual(processesMentioning(dataDir), []);
  }
});
