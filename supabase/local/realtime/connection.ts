// One client WebSocket: frames in and out in its protocol version, heartbeats, and the channels it
// joined (at most one per topic, as in Phoenix).
import WebSocket from 'ws';
import { Channel, type ChannelServices, type ChannelTransport } from './channel.js';
import { decodeFrame, encodeFrame, encodeUserBroadcast, type PhoenixMessage, type UserBroadcast, type Vsn } from './phoenix.js';

// Phoenix closes a socket that has sent nothing (not even a heartbeat, every 25 s) for this long.
const IDLE_TIMEOUT_MS = 60_000;

export class RealtimeConnection implements ChannelTransport {
  private readonly channels = new Map<string, Channel>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly vsn: Vsn,
    readonly apiKey: string,
    readonly headers: Record<string, string>,
    private readonly services: ChannelServices,
    private readonly onClosed: (connection: RealtimeConnection) => void,
  ) {
    socket.on('message', (data, isBinary) => {
      try {
        this.receive(data, isBinary);
      } catch (error) {
        // A bug met by a frame must not take the process down: the socket goes, as when a
        // Phoenix socket process crashes (1011), and the log says why.
        services.log(`a frame could not be handled: ${(error as Error).stack ?? String(error)}`);
        socket.close(1011, 'internal error');
      }
    });
    socket.on('close', () => this.closed());
    socket.on('error', () => socket.terminate());
    this.touch();
  }

  send(message: PhoenixMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(encodeFrame(this.vsn, message));
  }

  sendUserBroadcast(topic: string, message: UserBroadcast): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // Not representable in this protocol version (binary on 1.0.0, an over-long field): Realtime drops it too.
    const frame = encodeUserBroadcast(this.vsn, topic, message);
    if (frame !== undefined) this.socket.send(frame, { binary: typeof frame !== 'string' });
  }

  forget(channel: Channel): void {
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
  }

  /** Drops the connection at once, as a server restart would; the client reconnects and rejoins. */
  terminate(): void {
    this.socket.terminate();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.socket.close(1000, 'heartbeat timeout'), IDLE_TIMEOUT_MS);
    this.idleTimer.unref();
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    this.touch();
    const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const message = decodeFrame(this.vsn, buffer, isBinary);
    if (!message) return;

    if (message.topic === 'phoenix' && message.event === 'heartbeat') {
      return this.send({ joinRef: null, ref: message.ref, topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} } });
    }
    if (message.event === 'phx_join') return this.join(message);

    const channel = this.channels.get(message.topic);
    if (!channel || (message.joinRef !== null && message.joinRef !== channel.joinRef)) {
      return this.replyError(message, 'unmatched topic');
    }
    channel.enqueue(() => channel.handle(message));
  }

  private join(message: PhoenixMessage): void {
    if (!message.topic.startsWith('realtime:')) return this.replyError(message, 'unmatched topic');
    if (message.topic === 'realtime:') return this.replyError(message, 'TopicNameRequired: You must provide a topic name');
    const previous = this.channels.get(message.topic);
    const channel = new Channel(message.topic, message.joinRef, this, this.services);
    // Kept while the join is checked, so what the client sends next waits behind it; a refused
    // join forgets itself.
    this.channels.set(message.topic, channel);
    if (previous) {
      // A second join of a topic replaces the first (Phoenix's duplicate-join rule). Phoenix joins
      // synchronously, so a join still being checked is answered first, then closed (phx_close),
      // and only then does the new one start.
      const replaced = new Promise<void>((resolve) =>
        previous.enqueue(() => {
          previous.close(true);
          resolve();
        }),
      );
      channel.enqueue(() => replaced);
    }
    channel.enqueue(() => channel.join(message.payload, message.ref));
  }

  private replyError(message: PhoenixMessage, reason: string): void {
    this.send({
      joinRef: message.joinRef,
      ref: message.ref,
      topic: message.topic,
      event: 'phx_reply',
      payload: { status: 'error', response: { reason } },
    });
  }

  private closed(): void {
    clearTimeout(this.idleTimer);
    for (const channel of [...this.channels.values()]) channel.close(false);
    this.onClosed(this);
  }
}
