import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { prepareDatabase } from './migrate.js';
import { startPostgres } from './postgres.js';

/** The demo's persistent cluster; ignored by git. */
export const defaultDataDir = fileURLToPath(new URL('../../.supabase-local/db', import.meta.url));

export interface LocalDatabaseOptions {
  /** A throw-away database, removed on stop (tests). Default false: the persistent demo database. */
  fresh?: boolean;
  /** The persistent cluster's directory. Default `.supabase-local/db`. */
  dataDir?: string;
  /** Port of the embedded server; 0 or omitted: any free port. */
  port?: number;
  /** Apply supabase/seed.sql to a database that had no migration yet. Default true. */
  seed?: boolean;
  /** Use this existing server instead of starting one. Default: the DATABASE_URL variable. */
  databaseUrl?: string | undefined;
}

export interface LocalDatabase {
  databaseUrl: string;
  /** Migrations applied by this start (none when the database was up to date). */
  applied: string[];
  seeded: boolean;
  /** Stops and starts the embedded server over the same files and port (fault tests). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL that looks like a Supabase project's database, migrated and seeded: an embedded
 * PostgreSQL 17, or a server of yours given by DATABASE_URL (a fresh database is then created on
 * it for each throw-away run, and dropped on stop).
 */
export async function startLocalDatabase(options: LocalDatabaseOptions = {}): Promise<LocalDatabase> {
  const existingServer = 'databaseUrl' in options ? options.databaseUrl : process.env.DATABASE_URL;
  if (existingServer) return useExistingServer(existingServer, options);

  const server = await startPostgres({
    ...(options.fresh ? {} : { dataDir: options.dataDir ?? defaultDataDir }),
    ...(options.port ? { port: options.port } : {}),
  });
  try {
    const result = await prepareDatabase(server.databaseUrl, { seed: options.seed ?? true });
    return { databaseUrl: server.databaseUrl, ...result, restart: () => server.restart(), stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function useExistingServer(serverUrl: string, options: LocalDatabaseOptions): Promise<LocalDatabase> {
  const restart = async () => {
    throw new Error('only the embedded PostgreSQL can be restarted, not a server given by DATABASE_URL');
  };
  if (!options.fresh) {
    const result = await prepareDatabase(serverUrl, { seed: options.seed ?? true });
    return { databaseUrl: serverUrl, ...result, restart, stop: async () => undefined };
  }
  const name = `wacrm_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const drop = async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
    } finally {
      await client.end();
    }
  };
  try {
    const result = await prepareDatabase(databaseUrl, { seed: options.seed ?? true });
    return { databaseUrl, ...result, restart, stop: drop };
  } catch (error) {
    await drop();
    throw error;
  }
}
