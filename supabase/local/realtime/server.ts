import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import { WebSocketServer } from 'ws';
import type { StandIn } from '../context.js';
import { Authorizer } from './authorization.js';
import { RealtimeConnection } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { Evaluator } from './evaluator.js';
import { Hub, hubTopic } from './hub.js';
import { maintainMessages, messageFromChange, MESSAGES_PUBLICATION, replayMessages } from './messages.js';
import { SUPPORTED_VSNS, type Vsn } from './phoenix.js';
import { SubscriptionRegistry } from './registry.js';
import { ReplicationStream } from './replication.js';
import { handleBroadcastApi } from './rest.js';
import { checkToken } from './tokens.js';
import { validateSubscription } from './validation.js';

export interface RealtimeServer {
  /** Takes over an HTTP upgrade for /realtime/v1/websocket; other paths are refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answers /realtime/v1/api/… (the REST broadcast routes). */
  handleApi(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
  /** Closes every client socket at once (as a server restart would). */
  dropAllSockets(): void;
  /** How many client sockets are open now (read-only; the bench counts the tabs' sockets with it). */
  openConnections(): number;
  /**
   * Takes down the replication stream of realtime.messages (its temporary slot goes with it) until
   * resumeBroadcastStream(): rows committed meanwhile are never broadcast, as on Supabase.
   */
  suspendBroadcastStream(): Promise<void>;
  /** Brings it back; resolves once rows committed from then on will be broadcast. */
  resumeBroadcastStream(): Promise<void>;
  /** Runs the partition upkeep now (it also runs at start and every hour). */
  maintainMessages(): Promise<{ created: string[]; dropped: string[] }>;
  stop(): Promise<void>;
}

// Realtime's janitor runs every 4 h; hourly keeps a long-running stand-in's partitions ahead of the
// date with room to spare.
const UPKEEP_INTERVAL_MS = 60 * 60 * 1000;

const WEBSOCKET_PATH = '/realtime/v1/websocket';

const log = (message: string) => console.error(`[local supabase realtime] ${message}`);

/** Answers an upgrade request with a plain HTTP error, as the gateway does before any WebSocket exists. */
function refuse(socket: Duplex, status: number, statusText: string, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
      `Connection: close\r\n\r\n${text}`,
  );
  // end() flushes the response, then the socket closes on its own.
}

/**
 * Realtime's publication, made or repaired before each replication connection streams, as
 * Realtime's ReplicationConnection does: it must hold realtime.messages (its partitions) only.
 */
async function ensureMessagesPublication(pool: pg.Pool): Promise<void> {
  const { rowCount } = await pool.query('select 1 from pg_catalog.pg_publication where pubname = $1', [MESSAGES_PUBLICATION]);
  const create = `create publication ${MESSAGES_PUBLICATION} for table realtime.messages`;
  if (!rowCount) {
    await pool.query(create);
    return;
  }
  const { rows } = await pool.query<{ schemaname: string; tablename: string }>(
    'select schemaname, tablename from pg_catalog.pg_publication_tables where pubname = $1',
    [MESSAGES_PUBLICATION],
  );
  const ours = (row: { schemaname: string; tablename: string }) =>
    row.schemaname === 'realtime' && (row.tablename === 'messages' || row.tablename.startsWith('messages_'));
  if (rows.length > 0 && rows.every(ours)) return;
  await pool.query(`drop publication if exists ${MESSAGES_PUBLICATION}; ${create}`);
}

/**
 * /realtime/v1/websocket and /realtime/v1/api: Phoenix channels with postgres_changes from logical
 * decoding, and Broadcast (public, and private channels authorised by RLS on realtime.messages)
 * with the inserts of realtime.messages streamed from a second slot, as Supabase's Realtime does.
 */
export async function startRealtime(standIn: StandIn): Promise<RealtimeServer> {
  const registry = new SubscriptionRegistry();
  const evaluator = new Evaluator(standIn.databaseUrl);
  const dispatcher = new Dispatcher(registry, evaluator, log);
  const hub = new Hub();
  const authorizer = new Authorizer(standIn.databaseUrl);
  const replication = new ReplicationStream(
    standIn.databaseUrl,
    (transaction) => dispatcher.handle(transaction),
    log,
    () => {
      for (const channel of registry.channels()) channel.replicationResumed();
    },
  );
  const messages = new ReplicationStream(
    standIn.databaseUrl,
    (transaction) => {
      // Fanned out as they come, in commit order; the join-time authorisation is the only check.
      for (const change of transaction.changes) {
        const message = messageFromChange(change);
        if (!message) continue;
        hub.broadcast(hubTopic(message.topic, message.private), { kind: 'user', message: message.broadcast }, { id: message.id });
      }
    },
    (message) => log(`broadcast from the database: ${message}`),
    () => {
      for (const member of hub.everyMember()) member.broadcastStreamResumed();
    },
    {
      publication: MESSAGES_PUBLICATION,
      slotPrefix: 'supabase_realtime_messages_replication_slot',
      applicationName: 'realtime_replication_connection',
      prepare: () => ensureMessagesPublication(authorizer.pool),
    },
  );

  // The partitions must exist before anything is probed or sent (Realtime makes them when it
  // connects to a project), and old ones go after 72 h.
  let upkeep: Promise<unknown> = Promise.resolve();
  const maintain = () => {
    const run = upkeep.then(() => maintainMessages(authorizer.pool));
    upkeep = run.catch((error: unknown) => log(`could not maintain realtime.messages partitions: ${(error as Error).message}`));
    return run;
  };
  await maintain().catch(() => undefined);
  const upkeepTimer = setInterval(() => void maintain().catch(() => undefined), UPKEEP_INTERVAL_MS);
  upkeepTimer.unref();

  await Promise.all([replication.start(), messages.start()]);

  const services = {
    jwtSecret: standIn.jwtSecret,
    registry,
    hub,
    authorizer,
    validate: (params: Parameters<typeof validateSubscription>[1], role: string) =>
      validateSubscription(evaluator.pool, params, role),
    whenLive: () => replication.whenLive(),
    whenBroadcastLive: () => messages.whenLive(),
    replay: (topic: string, since: number, limit: number) => replayMessages(authorizer.pool, topic, since, limit),
    log,
  };
  const connections = new Set<RealtimeConnection>();
  const webSockets = new WebSocketServer({ noServer: true });
  let stopping = false;

  return {
    handleUpgrade(request, socket, head) {
      socket.on('error', () => socket.destroy());
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (stopping || url.pathname.replace(/\/+$/, '') !== WEBSOCKET_PATH) {
        return refuse(socket, 404, 'Not Found', { message: 'no Route matched with those values' });
      }
      const header = request.headers.apikey;
      const apiKey = url.searchParams.get('apikey') ?? (Array.isArray(header) ? header[0] : header);
      if (!apiKey) return refuse(socket, 401, 'Unauthorized', { error: 'API key is missing' });
      const check = checkToken(apiKey, standIn.jwtSecret);
      if (!check.ok) return refuse(socket, 401, 'Unauthorized', { error: `${check.code}: ${check.message}` });
      const vsn = (url.searchParams.get('vsn') ?? '1.0.0') as Vsn;
      if (!SUPPORTED_VSNS.includes(vsn)) return refuse(socket, 400, 'Bad Request', { error: `Unsupported vsn ${vsn}` });

      // Realtime hands the upgrade's x-* headers to policies as request.headers.
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (name.startsWith('x-') && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      webSockets.handleUpgrade(request, socket, head, (webSocket) => {
        const connection = new RealtimeConnection(webSocket, vsn, apiKey, headers, services, (closed) =>
          connections.delete(closed),
        );
        connections.add(connection);
      });
    },
    handleApi: (request, response, url) => handleBroadcastApi({ jwtSecret: standIn.jwtSecret, hub, authorizer, log }, request, response, url),
    dropAllSockets() {
      for (const connection of connections) connection.terminate();
    },
    openConnections: () => connections.size,
    suspendBroadcastStream: () => messages.suspend(),
    resumeBroadcastStream: () => messages.resume(),
    maintainMessages: maintain,
    async stop() {
      stopping = true;
      clearInterval(upkeepTimer);
      for (const connection of connections) connection.terminate();
      webSockets.close();
      await Promise.all([replication.stop(), messages.stop()]);
      await dispatcher.idle();
      await upkeep;
      await Promise.all([evaluator.end(), authorizer.end()]);
    },
  };
}
