import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { StandIn } from './context.js';
import { startLocalDatabase, type LocalDatabaseOptions } from './database.js';
import { HttpError, sendJson } from './http.js';
import { apiKeys, LOCAL_JWT_SECRET } from './jwt.js';
import { handleRest } from './rest/handler.js';
import { handleAuth } from './auth/handler.js';
import { startRealtime, type RealtimeServer } from './realtime/server.js';

export interface LocalSupabaseOptions extends LocalDatabaseOptions {
  /** API port; default 54321 (the Supabase CLI's), 0 for any free port. */
  apiPort?: number;
  /** Interface to bind; loopback unless you say otherwise. */
  host?: string;
  /** Access-token lifetime in seconds (default 3600): tests make sessions expire in seconds. */
  jwtExpiry?: number;
  jwtSecret?: string;
}

export interface LocalSupabase {
  /** e.g. http://127.0.0.1:54321: give it to createClient(). */
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  databaseUrl: string;
  /** Migrations this start applied (none when the database was up to date). */
  migrationsApplied: string[];
  /** Whether this start applied supabase/seed.sql. */
  seeded: boolean;
  /** Closes every Realtime socket at once, as a server restart would (clients reconnect). */
  dropRealtimeSockets(): void;
  /** Realtime sockets open now (read-only). */
  realtimeConnections(): number;
  /**
   * Takes down Realtime's replication stream of realtime.messages (its temporary slot goes with
   * it): rows committed until resumeBroadcastReplication() are never broadcast, as on Supabase
   * while its replication connection is down. Channels stay joined.
   */
  suspendBroadcastReplication(): Promise<void>;
  /** Brings that stream back; resolves once rows committed from then on will be broadcast. */
  resumeBroadcastReplication(): Promise<void>;
  /**
   * Restarts the API as a deploy would: closes the HTTP server and every socket, stops Realtime
   * (its replication slot goes with it), waits `downtimeMs`, then listens again on the same port
   * over the same database. Changes committed while it is down are not streamed to anyone.
   */
  restartApi(options?: { downtimeMs?: number }): Promise<void>;
  /** Stops and starts the embedded PostgreSQL under the running API; pools and Realtime reconnect. */
  restartDatabase(): Promise<void>;
  stop(): Promise<void>;
}

/** Local URL of a role on the same server: the API logs in as authenticator, as PostgREST does. */
function asRole(databaseUrl: string, user: string, password: string): string {
  const url = new URL(databaseUrl);
  url.username = user;
  url.password = password;
  return url.toString();
}

// What Supabase's gateway allows a browser to send and read.
const corsHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PATCH, PUT, DELETE, OPTIONS',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Location, Location, Range, Preference-Applied, X-Supabase-Api-Version',
  'Access-Control-Max-Age': '86400',
};

/**
 * Starts the local Supabase stand-in: the database (see startLocalDatabase), then one HTTP server
 * with /rest/v1 (PostgREST), /auth/v1 (Auth), /realtime/v1/websocket and /realtime/v1/api (Realtime).
 * For local development and tests only.
 */
export async function startLocalSupabase(options: LocalSupabaseOptions = {}): Promise<LocalSupabase> {
  const jwtSecret = options.jwtSecret ?? LOCAL_JWT_SECRET;
  const { anonKey, serviceRoleKey } = apiKeys(jwtSecret);
  const host = options.host ?? '127.0.0.1';
  const database = await startLocalDatabase(options);

  const apiPool = new pg.Pool({ connectionString: asRole(database.databaseUrl, 'authenticator', 'postgres'), max: 20 });
  const adminPool = new pg.Pool({ connectionString: database.databaseUrl, max: 10 });
  // A pooled connection that dies (database restart) must not crash the process: idle ones report to
  // the pool, checked-out ones (pg-pool takes its listener off them) to their own listener; their
  // next query fails and they are dropped.
  for (const pool of [apiPool, adminPool]) {
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
  }

  const standIn: StandIn = {
    jwtSecret,
    jwtExpiry: options.jwtExpiry ?? 3600,
    url: '',
    databaseUrl: database.databaseUrl,
    apiPool,
    adminPool,
  };

  let realtime: RealtimeServer;
  const server = createServer((request, response) => {
    void route(standIn, request, response, { anonKey, serviceRoleKey, realtime: () => realtime });
  });
  realtime = await startRealtime(standIn);
  server.on('upgrade', (request, socket, head) => realtime.handleUpgrade(request, socket, head));
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const closeApi = async () => {
    await realtime.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  try {
    await listen(options.apiPort ?? 54321);
  } catch (error) {
    await realtime.stop();
    await Promise.all([apiPool.end(), adminPool.end()]);
    await database.stop();
    const port = options.apiPort ?? 54321;
    throw new Error(
      `could not listen on ${host}:${port} (${(error as Error).message}); is another local Supabase running? Use --port 0 for any free port.`,
      { cause: error },
    );
  }
  const { port } = server.address() as AddressInfo;
  standIn.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let stopped: Promise<void> | undefined;
  // Restarts and the stop run one after another, never over each other.
  let lifecycle: Promise<void> = Promise.resolve();
  const next = (step: () => Promise<void>) => {
    const run = lifecycle.then(() => {
      if (stopped) throw new Error('the local Supabase was stopped');
      return step();
    });
    lifecycle = run.catch(() => undefined);
    return run;
  };
  return {
    url: standIn.url,
    anonKey,
    serviceRoleKey,
    jwtSecret,
    databaseUrl: database.databaseUrl,
    migrationsApplied: database.applied,
    seeded: database.seeded,
    dropRealtimeSockets: () => realtime.dropAllSockets(),
    realtimeConnections: () => realtime.openConnections(),
    suspendBroadcastReplication: () => realtime.suspendBroadcastStream(),
    resumeBroadcastReplication: () => realtime.resumeBroadcastStream(),
    restartApi: ({ downtimeMs = 0 } = {}) =>
      next(async () => {
        await closeApi();
        await new Promise((resolve) => setTimeout(resolve, downtimeMs));
        realtime = await startRealtime(standIn);
        await listen(port);
      }),
    restartDatabase: () => next(() => database.restart()),
    stop: () =>
      (stopped ??= lifecycle.then(async () => {
        if (server.listening) await closeApi();
        else await realtime.stop().catch(() => undefined); // a restart that failed half-way
        await Promise.all([apiPool.end(), adminPool.end()]);
        await database.stop();
      })),
  };
}

async function route(
  standIn: StandIn,
  request: IncomingMessage,
  response: ServerResponse,
  { anonKey, serviceRoleKey, realtime }: { anonKey: string; serviceRoleKey: string; realtime: () => RealtimeServer },
) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  for (const [name, value] of Object.entries(corsHeaders)) response.setHeader(name, value);
  try {
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'Access-Control-Allow-Headers': request.headers['access-control-request-headers'] ?? '*',
      });
      response.end();
      return;
    }
    // Supabase's gateway refuses any request without an API key before it reaches a service.
    const apiKey = request.headers.apikey ?? url.searchParams.get('apikey');
    if (!apiKey) {
      throw new HttpError(401, {
        message: 'No API key found in request',
        hint: 'No `apikey` request header or url param was found.',
      });
    }
    // …and any key that is not one of the project's, whatever the Authorization header says.
    if (apiKey !== anonKey && apiKey !== serviceRoleKey) {
      throw new HttpError(401, {
        message: 'Invalid API key',
        hint: 'Double check your Supabase `anon` or `service_role` API key.',
      });
    }
    if (url.pathname.startsWith('/rest/v1')) return await handleRest(standIn, request, response, url);
    if (url.pathname.startsWith('/auth/v1')) return await handleAuth(standIn, request, response, url);
    if (url.pathname.startsWith('/realtime/v1/api/')) return await realtime().handleApi(request, response, url);
    if (url.pathname === '/' || url.pathname === '') {
      return sendJson(response, 200, { name: 'wacrm local Supabase stand-in', anonKey });
    }
    throw new HttpError(404, { message: 'no Route matched with those values' });
  } catch (error) {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (error instanceof HttpError) return sendJson(response, error.status, error.body, error.headers);
    console.error('[local supabase] unexpected error', error);
    sendJson(response, 500, { message: 'internal error in the local Supabase stand-in', details: String(error) });
  }
}
