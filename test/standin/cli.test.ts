// `npm run supabase`: starts the database and the API, tells how to reach them, and on a signal
// stops everything, exits 0 and leaves no PostgreSQL behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repository = fileURLToPath(new URL('../..', import.meta.url));
/** Start-up creates and migrates a throw-away cluster: seconds, but CI machines can be slow. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

function runCommand(args: string[]): ChildProcess {
  return spawn('npm', ['run', 'supabase', '--', ...args], {
    cwd: repository,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Always the embedded database: the test is about the processes this command owns.
    env: { ...process.env, DATABASE_URL: '' },
  });
}

/** Everything the child wrote to a stream so far, and a way to wait for a line that matches. */
function collect(stream: NodeJS.ReadableStream) {
  let text = '';
  const waiters: Array<() => void> = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    get text() {
      return text;
    },
    async waitFor(pattern: RegExp, child: ChildProcess, what: string): Promise<RegExpMatchArray> {
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        const match = text.match(pattern);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`the command exited (${child.exitCode}) before ${what}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within ${START_TIMEOUT_MS} ms:\n${text}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the command did not exit within ${STOP_TIMEOUT_MS} ms`)), STOP_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Processes whose command line mentions `needle` (Linux /proc), e.g. `postgres -D <dir>`. */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (commandLine.includes(needle)) found.push(`${entry}: ${commandLine}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

async function dataDirectoryOf(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    return rows[0]!.data_directory;
  } finally {
    await client.end();
  }
}

/** The child's stop, whatever happened in the test (a failing assertion must not leave a cluster). */
function stopOnFailure(child: ChildProcess): () => void {
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
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
  assert.match(String(details.url), /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(stdout.text.split('\n').filter((text) => text.startsWith('{')).length, 1);

  const health = await fetch(`${details.url}/auth/v1/health`, { headers: { apikey: String(details.anonKey) } });
  assert.equal(health.status, 200);
  assert.equal((await health.json()).name, 'GoTrue');
  const withoutKey = await fetch(`${details.url}/auth/v1/health`);
  assert.equal(withoutKey.status, 401);
  // The seeded demo users sign in through the API the line describes.
  const signIn = await fetch(`${details.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: String(details.anonKey), 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'alice@acme.test', password: 'wacrm-demo' }),
  });
  assert.equal(signIn.status, 200);

  const dataDir = await dataDirectoryOf(String(details.databaseUrl));
  assert.ok(processesMentioning(dataDir).length > 0, 'the cluster runs while the command does');

  child.kill('SIGTERM');
  const { code, signal } = await exitOf(child);
  assert.equal(code, 0, `exit code 0 after SIGTERM (signal ${signal}); stderr:\n${stderr.text}`);
  assert.deepEqual(processesMentioning(dataDir), [], 'no PostgreSQL process left for the data directory');
  assert.equal(existsSync(dataDir), false, 'the throw-away cluster is removed');
  await assert.rejects(fetch(`${details.url}/auth/v1/health`, { headers: { apikey: String(details.anonKey) } }));
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
