// `npm run supabase`: starts the database and the API, tells how to reach them, and on a signal
// stops everything, exits 0 and leaves no PostgreSQL behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  collect,
  dataDirectoryOf,
  exitOf,
  processesMentioning,
  repository,
  stopOnFailure,
} from '../support/commands.js';

function runCommand(args: string[]): ChildProcess {
  return spawn('npm', ['run', 'supabase', '--', ...args], {
    cwd: repository,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Always the embedded database: the test is about the processes this command owns.
    env: { ...process.env, DATABASE_URL: '' },
  });
}

test('--json prints one line with the URL and keys once the API answers; SIGTERM stops everything with exit 0', async (t) => {
  const child = runCommand(['--json', '--fresh', '--port', '0']);
  t.after(stopOnFailure(child));
  const stdout = collect(child.stdout!);
  const stderr = collect(child.stderr!);

  const [line] = await stdout.waitFor(/^\{.*\}$/m, child, 'JSON line');
  const details = JSON.parse(line) as Record<string, unknown>;
  for (const key of ['url', 'anonKey', 'serviceRoleKey', 'jwtSecret', 'databaseUrl']) {
    assert.equal(typeof details[key], 'string', `${key} in ${line}`);
  }
  assert.equal(details.fresh, true);
  assert.ok(Array.isArray(details.migrationsApplied));
  assert.equal(details.seeded, true);
  // Strings, as checked above.
  const { url, anonKey, databaseUrl } = details as { url: string; anonKey: string; databaseUrl: string };
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(stdout.text.split('\n').filter((text) => text.startsWith('{')).length, 1);

  const health = await fetch(`${url}/auth/v1/health`, { headers: { apikey: anonKey } });
  assert.equal(health.status, 200);
  assert.equal((await health.json()).name, 'GoTrue');
  const withoutKey = await fetch(`${url}/auth/v1/health`);
  assert.equal(withoutKey.status, 401);
  // The seeded demo users sign in through the API the line describes.
  const signIn = await fetch(`${url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: anonKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'alice@acme.test', password: 'wacrm-demo' }),
  });
  assert.equal(signIn.status, 200);

  const dataDir = await dataDirectoryOf(databaseUrl);
  assert.ok(processesMentioning(dataDir).length > 0, 'the cluster runs while the command does');

  child.kill('SIGTERM');
  const { code, signal } = await exitOf(child);
  assert.equal(code, 0, `exit code 0 after SIGTERM (signal ${signal}); stderr:\n${stderr.text}`);
  assert.deepEqual(processesMentioning(dataDir), [], 'no PostgreSQL process left for the data directory');
  assert.equal(existsSync(dataDir), false, 'the throw-away cluster is removed');
  await assert.rejects(fetch(`${url}/auth/v1/health`, { headers: { apikey: anonKey } }));
});

test('without --json a banner lists the URLs, keys and demo password; Ctrl-C (SIGINT) stops it with exit 0', async (t) => {
  const child = runCommand(['--fresh', '--port', '0', '--jwt-expiry', '120']);
  t.after(stopOnFailure(child));
  const stdout = collect(child.stdout!);
  collect(child.stderr!);

  await stdout.waitFor(/Press Ctrl-C to stop\./, child, 'banner');
  const banner = stdout.text;
  assert.match(banner, /local development only/i);
  const url = banner.match(/API URL: (http:\/\/\S+)/)?.[1];
  assert.ok(url, banner);
  for (const label of ['REST URL', 'Auth URL', 'Realtime URL', 'DB URL', 'JWT secret', 'anon key', 'service_role key']) {
    assert.match(banner, new RegExp(`${label}: \\S+`), label);
  }
  assert.match(banner, /wacrm-demo/);
  const anonKey = banner.match(/anon key: (\S+)/)![1]!;

  // --jwt-expiry reaches Auth.
  const signIn = await fetch(`${url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: anonKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'bob@acme.test', password: 'wacrm-demo' }),
  });
  assert.equal((await signIn.json()).expires_in, 120);

  const dataDir = await dataDirectoryOf(banner.match(/DB URL: (\S+)/)![1]!);
  child.kill('SIGINT');
  assert.equal((await exitOf(child)).code, 0);
  assert.deepEqual(processesMentioning(dataDir), []);
});

test('a bad option is refused before anything starts', async () => {
  const child = runCommand(['--json', '--port', 'eighty']);
  const stderr = collect(child.stderr!);
  const { code } = await exitOf(child);
  assert.equal(code, 1);
  assert.match(stderr.text, /--port must be a port number/);
});
