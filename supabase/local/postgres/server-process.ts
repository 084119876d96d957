import { spawn, type ChildProcess } from 'node:child_process';
import type { RunAs } from './run.js';

/**
 * PostgreSQL runs under a small shell that stops it (fast shutdown) as soon as its standard input
 * closes: when we stop it, and also when this Node process dies in any way, SIGKILL included, so
 * that no server outlives the command or test that started it. The shell ignores the terminal's
 * signals and waits for the server, so that a Ctrl-C reaching the whole process group cannot
 * leave the server running unwatched; PostgreSQL sets its own handlers for them.
 */
const WATCHDOG = `
trap '' INT TERM HUP
exec 3<&0
"$@" </dev/null 3<&- &
server=$!
echo "$server"
( read -r _ <&3; kill -INT "$server" 2>/dev/null ) &
watcher=$!
wait "$server"
status=$?
kill -KILL "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
exit "$status"
`;

const READY = 'database system is ready to accept connections';
const STOP_TIMEOUT_MS = 30_000;
const KEPT_OUTPUT = 16_384;

export interface ServerProcess {
  /** The postmaster's pid. */
  readonly pid: number;
  /** Everything the server logged, the last 16 KB of it. */
  readonly output: string;
  /** Resolves once the server and its watchdog have exited, whoever stopped them. */
  readonly ended: Promise<void>;
  /**
   * A fast shutdown (sessions are terminated), or with `graceMs`, a smart one that lets sessions
   * end by themselves for that long first.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** Why the server did not come up (a spawn error code, an exit status, a timeout), and what it logged. */
export class LaunchError extends Error {
  constructor(
    readonly reason: string,
    readonly output: string,
  ) {
    super(reason);
  }
}

export interface LaunchOptions {
  as?: RunAs | undefined;
  env: NodeJS.ProcessEnv;
  readyTimeoutMs: number;
}

const within = (promise: Promise<void>, ms: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });

/** Starts `postgres` with `args` and resolves once it accepts connections; rejects with a LaunchError. */
export function launchServer(postgres: string, args: readonly string[], options: LaunchOptions): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', WATCHDOG, 'wacrm-postgres', postgres, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: options.env,
        ...(options.as ? { uid: options.as.uid, gid: options.as.gid } : {}),
      });
    } catch (error) {
      // Thrown rather than emitted: EPERM when the switch to another user is refused, and the like.
      const code = (error as NodeJS.ErrnoException).code;
      reject(new LaunchError(code ?? String(error), ''));
      return;
    }

    let output = '';
    let pid = 0;
    let settled = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    let hasEnded = false;
    let markEnded: () => void;
    const ended = new Promise<void>((done) => (markEnded = done)).then(() => {
      hasEnded = true;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError ??= error;
      if (child.pid === undefined) markEnded();
    });
    child.on('close', () => markEnded());
    child.stdin!.on('error', () => undefined); // EPIPE once the shell is gone
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (!pid) pid = Number.parseInt(chunk, 10) || 0;
    });
    child.stderr!.setEncoding('utf8');
    // Read for as long as the server runs: a full pipe would block its logging, and then the server.
    child.stderr!.on('data', (chunk: string) => {
      output = (output + chunk).slice(-KEPT_OUTPUT);
      if (!settled && output.includes(READY)) {
        settled = true;
        clearTimeout(timer);
        resolve(server);
      }
    });

    const signalServer = (signal: NodeJS.Signals) => {
      try {
        if (pid) process.kill(pid, signal);
      } catch {
        // Gone meanwhile.
      }
    };
    const stop = async ({ graceMs = 0 } = {}) => {
      if (hasEnded) return;
      if (graceMs > 0 && pid) {
        // A smart shutdown first: clients still saying goodbye (a pool just ended) finish doing so,
        // instead of receiving "terminating connection due to administrator command" as an error.
        signalServer('SIGTERM');
        if (await within(ended, graceMs)) return;
      }
      child.stdin!.end(); // the watchdog's fast shutdown
      if (await within(ended, STOP_TIMEOUT_MS)) return;
      // A fast shutdown that hangs: an immediate shutdown, then no more asking.
      signalServer('SIGQUIT');
      if (await within(ended, 5_000)) return;
      signalServer('SIGKILL');
      child.kill('SIGKILL');
      await within(ended, 5_000);
    };
    const server: ServerProcess = {
      get pid() {
        return pid;
      },
      get output() {
        return output;
      },
      ended,
      stop,
    };

    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new LaunchError(reason, output));
    };
    let timedOut = false;
    const notReady = `it did not accept connections within ${options.readyTimeoutMs / 1000} s`;
    const timer = setTimeout(() => {
      timedOut = true;
      void stop().then(() => fail(notReady));
    }, options.readyTimeoutMs);
    void ended.then(() => {
      if (timedOut) fail(notReady);
      else if (spawnError) fail(spawnError.code ?? spawnError.message);
      else fail(child.signalCode ? `it was killed by ${child.signalCode}` : `it exited with code ${child.exitCode}`);
    });
  });
}
