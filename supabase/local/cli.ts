// `npm run supabase`: the local Supabase stand-in (database, REST, Auth, Realtime), in the
// foreground until Ctrl-C or SIGTERM. For local development only: it uses the Supabase CLI's
// well-known passwords, JWT secret and keys.
import { parseArgs } from 'node:util';
import { defaultDataDir } from './database.js';
import { startLocalSupabase, type LocalSupabase } from './server.js';

const usage = `Usage: npm run supabase -- [options]

Starts a local Supabase stand-in: a Supabase-shaped PostgreSQL 17 (embedded, no Docker) with
supabase/migrations applied (and, on a new database, supabase/seed.sql), and in front of it one
HTTP server with /rest/v1, /auth/v1 and /realtime/v1 that supabase-js talks to as to Supabase.
For local development only.

Options:
  --json               print one JSON line with the URL, keys and connection details once ready
  --fresh              a throw-away database, removed on exit (default: persistent, in .supabase-local/)
  --port <n>           the API port (default 54321); 0 picks free ports for the API and the database
  --db-port <n>        the database port (default: the API port + 1, or a free one with --port 0)
  --host <address>     the interface the API binds (default 127.0.0.1, loopback only)
  --jwt-expiry <s>     lifetime of the access tokens Auth issues, in seconds (default 3600)
  --data-dir <dir>     where the persistent database lives (default .supabase-local/db)
  --no-seed            do not apply supabase/seed.sql
  --help               this text

DATABASE_URL=postgresql://... uses that server instead of the embedded one.`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function parsePort(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} must be a port number between 0 and 65535, not "${value}"`);
  }
  return port;
}

function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`${flag} must be a whole number of seconds, not "${value}"`);
  return seconds;
}

/** What `supabase start` prints, for this stand-in. */
function banner(supabase: LocalSupabase, options: { fresh: boolean; dataDir: string | undefined }): string {
  const data = options.fresh ? 'throw-away, removed on exit' : options.dataDir ?? defaultDataDir;
  return `Local Supabase stand-in is running. For local development only: these keys are public.

         API URL: ${supabase.url}
        REST URL: ${supabase.url}/rest/v1
        Auth URL: ${supabase.url}/auth/v1
    Realtime URL: ${supabase.url.replace(/^http/, 'ws')}/realtime/v1/websocket
          DB URL: ${supabase.databaseUrl}
      JWT secret: ${supabase.jwtSecret}
        anon key: ${supabase.anonKey}
service_role key: ${supabase.serviceRoleKey}

            Data: ${data}
      Migrations: ${supabase.migrationsApplied.length ? `applied ${supabase.migrationsApplied.join(', ')}` : 'up to date'}
      Demo users: ${
        supabase.seeded
          ? 'alice@acme.test, bob@acme.test, carol@acme.test, dave@globex.test (password: wacrm-demo)'
          : 'seed not applied by this start (seeded users sign in with the password wacrm-demo)'
      }

Press Ctrl-C to stop.`;
}

/** Set once a signal asked the command to stop: from then on, shutdown() owns the exit. */
let stopping = false;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      port: { type: 'string' },
      'db-port': { type: 'string' },
      host: { type: 'string' },
      'jwt-expiry': { type: 'string' },
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
  const jwtExpiry = parseSeconds(values['jwt-expiry'], '--jwt-expiry');
  const host = values.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    console.error(
      `Warning: binding to ${host}, not loopback. This stand-in is for local development only: anyone who can ` +
        'reach this address can use its well-known keys and passwords.',
    );
  }

  // This command shuts down in its own order (API, then database) and exits 0 on a signal. The
  // handlers are in place before the start begins; they run from the event loop, so never before
  // `starting` below is set.
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (!values.json) console.error(`\n${signal}: stopping the local Supabase stand-in…`);
    try {
      // A signal during start-up waits for the start to finish, so that no database it launched
      // is left running; a start that failed has nothing to stop.
      const supabase = await starting.catch(() => undefined);
      await supabase?.stop();
      process.exit(0);
    } catch (error) {
      console.error(error);
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, (received) => void shutdown(received));
  // A parent killed without a chance to forward its signal (SIGKILL) leaves this process orphaned:
  // notice it and stop too, so that no database keeps running unseen.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('SIGHUP');
  }, 1000).unref();

  const starting = startLocalSupabase({
    fresh: values.fresh,
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    port: dbPort,
    seed: !values['no-seed'],
    apiPort,
    host,
    ...(jwtExpiry ? { jwtExpiry } : {}),
  });
  const supabase = await starting;
  if (stopping) return;

  if (values.json) {
    const details = {
      url: supabase.url,
      anonKey: supabase.anonKey,
      serviceRoleKey: supabase.serviceRoleKey,
      jwtSecret: supabase.jwtSecret,
      databaseUrl: supabase.databaseUrl,
      fresh: values.fresh,
      migrationsApplied: supabase.migrationsApplied,
      seeded: supabase.seeded,
    };
    process.stdout.write(`${JSON.stringify(details)}\n`);
    return;
  }
  console.log(banner(supabase, { fresh: values.fresh, dataDir: values['data-dir'] }));
}

main().catch((error: unknown) => {
  // Ctrl-C reaches the whole process group, so a start interrupted by it fails (initdb or
  // PostgreSQL got the signal too): that is the stop the user asked for, not an error.
  if (stopping) return;
  console.error(`npm run supabase: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
