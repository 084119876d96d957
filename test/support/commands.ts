// Watching the project's commands (`npm run supabase`, `npm start`) from a test as a user would:
// their output, their exit, and the processes they leave behind.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const repository = fileURLToPath(new URL('../..', import.meta.url));
/** Start-up creates and migrates a throw-away cluster: seconds, but CI machines can be slow. */
export const START_TIMEOUT_MS = 60_000;
export const STOP_TIMEOUT_MS = 30_000;

/** Everything the child wrote to a stream so far, and a way to wait for a line that matches. */
export function collect(stream: NodeJS.ReadableStream) {
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

export async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
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
export function processesMentioning(needle: string): string[] {
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

export async function dataDirectoryOf(databaseUrl: string): Promise<string> {
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
export function stopOnFailure(child: ChildProcess): () => void {
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
}

/**
 * Asserts what a command that could not start must show: one message on stderr, prefixed by the
 * command's name, no stack trace and nothing about an unhandled event. Returns that message.
 */
export function singleMessage(stderr: string, prefix: string): string {
  const problems: string[] = [];
  if (!stderr.startsWith(prefix)) problems.push(`it does not start with "${prefix}"`);
  if (stderr.split(prefix).length !== 2) problems.push('the prefix appears more than once');
  if (/^\s+at .+:\d+:\d+\)?$/m.test(stderr)) problems.push('it holds a stack trace');
  if (/unhandled|uncaught|triggerUncaughtException|node:internal/i.test(stderr)) problems.push('it reports an unhandled error');
  if (problems.length) throw new Error(`stderr is not one clear message (${problems.join('; ')}):\n${stderr}`);
  return stderr;
}
