import { spawn, type ChildProcess } from 'node:child_process';

/** An OS user to run a command as; absent: this process's own user. */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface RunOptions {
  /** Another OS user (this process must be root). Supplementary groups are dropped. */
  as?: RunAs | undefined;
  /** Written to the command's standard input, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** The command is killed after this long (no command of ours may hang a start). */
  timeoutMs: number;
}

export interface RunResult {
  /** The command could not be started at all (ENOENT, EACCES, EPERM for a user switch…). */
  spawnError?: NodeJS.ErrnoException;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Standard output and error, interleaved as they came. */
  output: string;
}

/**
 * Runs a command to its end and tells how it went. Never rejects and never leaves an 'error'
 * event unhandled: a command that cannot start is a result like any other, for the caller to
 * turn into advice.
 */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(options.as ? { uid: options.as.uid, gid: options.as.gid } : {}),
        ...(options.env ? { env: options.env } : {}),
      });
    } catch (error) {
      // Node throws, rather than emits, the errors it does not expect from exec (EPERM when the
      // user switch is refused, EINVAL for an unknown uid…).
      resolve({ spawnError: error as NodeJS.ErrnoException, code: null, signal: null, timedOut, output });
      return;
    }
    let settled = false;
    const finish = (result: Omit<RunResult, 'output' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, timedOut, output });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Never started (no pid): no 'close' is sure to follow.
      if (child.pid === undefined) finish({ spawnError: error, code: null, signal: null });
    });
    // A command that exits without reading its input makes the write fail with EPIPE: not our concern.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => (output += chunk));
      stream?.on('error', () => undefined);
    }
    child.on('close', (code, signal) => finish({ code, signal }));
  });
}

/** How a failed run went, for a message: "exit code 1", "killed by SIGSEGV", "EACCES"… */
export function describeFailure(result: RunResult, timeoutMs: number): string {
  if (result.spawnError) return result.spawnError.code ?? result.spawnError.message;
  if (result.timedOut) return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit code ${result.code}`;
}
