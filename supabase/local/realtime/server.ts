import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { StandIn } from '../context.js';
import { RealtimeConnection } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { Evaluator } from './evaluator.js';
import { Hub } from './hub.js';
import { SUPPORTED_VSNS, type Vsn } from './phoenix.js';
import { SubscriptionRegistry } from './registry.js';
import { ReplicationStream } from './replication.js';
import { checkToken } from './tokens.js';
import { validateSubscription } from './validation.js';

export interface RealtimeServer {
  /** Takes over an HTTP upgrade for /realtime/v1/websocket; other paths are refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every client socket at once (as a server restart would). */
  dropAllSockets(): void;
  stop(): Promise<void>;
}

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

/** /realtime/v1/websocket: Phoenix channels with postgres_changes from logical decoding. */
export async function startRealtime(standIn: StandIn): Promise<RealtimeServer> {
  const registry = new SubscriptionRegistry();
  const evaluator = new Evaluator(standIn.databaseUrl);
  const dispatcher = new Dispatcher(registry, evaluator, log);
  const replication = new ReplicationStream(
    standIn.databaseUrl,
    (transaction) => dispatcher.handle(transaction),
    log,
    () => {
      for (const channel of registry.channels()) channel.replicationResumed();
    },
  );
  await replication.start();

  const hub = new Hub();
  const services = {
    jwtSecret: standIn.jwtSecret,
    registry,
    hub,
    validate: (params: Parameters<typeof validateSubscription>[1], role: string) =>
      validateSubscription(evaluator.pool, params, role),
    whenLive: () => replication.whenLive(),
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

      webSockets.handleUpgrade(request, socket, head, (webSocket) => {
        const connection = new RealtimeConnection(webSocket, vsn, apiKey, services, (closed) => connections.delete(closed));
        connections.add(connection);
      });
    },
    dropAllSockets() {
      for (const connection of connections) connection.terminate();
    },
    async stop() {
      stopping = true;
      for (const connection of connections) connection.terminate();
      webSockets.close();
      await replication.stop();
      await dispatcher.idle();
      await evaluator.end();
    },
  };
}
