// `npm start`: the demo page against the local Supabase stand-in, until Ctrl-C.
import { parseArgs } from 'node:util';
import { startDemo } from './demo-server.js';

const usage = `Usage: npm start -- [--port <n>] [--fresh]

Starts the local Supabase stand-in (persistent demo database in .supabase-local/, migrated and
seeded on first run) and serves the demo page. Ctrl-C stops everything.

  --port <n>   the page's port (default 8000, or the next free one)
  --fresh      a throw-away database instead of .supabase-local/, removed on exit`;

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  console.error(`--port must be a port number, not "${values.port}"`);
  process.exit(1);
}

// On a signal the demo stops the web server, then the API, then the database, and exits 0. The
// handlers are in place before the start begins; they run from the event loop, so never before
// `starting` below is set.
let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping the demo…');
  try {
    // A signal during start-up waits for it, so that no database it launched keeps running.
    await (await starting.catch(() => undefined))?.stop();
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown());
// Orphaned (the parent was killed outright): stop too, rather than leave PostgreSQL running unseen.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown();
}, 1000).unref();

console.log('Starting the local Supabase stand-in and the demo…');
const starting = startDemo({ ...(port === undefined ? {} : { port }), fresh: values.fresh });
try {
  const demo = await starting;
  if (!stopping) {
    console.log(`
  Demo:      ${demo.url}
  Supabase:  ${demo.supabase.url} (local stand-in; database ${values.fresh ? 'throw-away' : 'in .supabase-local/'})
  Sign in as alice@acme.test, bob@acme.test or carol@acme.test (Acme Support), or dave@globex.test
  (Globex); every password is wacrm-demo.

Press Ctrl-C to stop.`);
  }
} catch (error) {
  // Ctrl-C reaches the whole process group: a start it interrupted is the stop that was asked for.
  if (!stopping) {
    // One message: a PostgreSQL that cannot start says why and what to do (PostgresStartError).
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
