// One joined `realtime:<name>` topic on one socket: its claims (from the join's access_token or the
// socket's key), its postgres_changes bindings, the token's expiry, and broadcast/presence. A
// private channel (config.private) is authorised at join by RLS on realtime.messages, under the
// joiner's claims, and again when a different token arrives; writes are checked on first use.
// Inbound messages of a channel run one at a time, in order, since those checks are queries.
import { randomUUID } from 'node:crypto';
import { AuthorizationError, type AuthorizationContext, type Authorizer, type Extension, type Policies } from './authorization.js';
import { parseSubscriptionParams, type SubscriptionParams } from './filters.js';
import { hubTopic, type BroadcastMessage, type Hub, type HubMember } from './hub.js';
import type { ReplayedMessage } from './messages.js';
import type { PhoenixMessage, UserBroadcast } from './phoenix.js';
import type { ChannelSink, Subscription, SubscriptionRegistry } from './registry.js';
import type { Log } from './replication.js';
import { checkToken, isOpaqueKey, type RealtimeClaims } from './tokens.js';
import type { ValidationResult } from './validation.js';

export interface ChannelServices {
  jwtSecret: string;
  registry: SubscriptionRegistry;
  hub: Hub;
  authorizer: Authorizer;
  validate(params: SubscriptionParams, role: string): Promise<ValidationResult>;
  /** Resolves when changes committed from now on will be streamed. */
  whenLive(): Promise<void>;
  /** Resolves when rows inserted into realtime.messages from now on will be broadcast. */
  whenBroadcastLive(): Promise<void>;
  replay(topic: string, since: number, limit: number): Promise<ReplayedMessage[]>;
  log: Log;
}

export interface ChannelTransport {
  /** The socket's `apikey`: the token of a join that brings none. */
  readonly apiKey: string;
  /** The x-* headers of the socket's upgrade request: `request.headers` in authorisation checks. */
  readonly headers: Record<string, string>;
  send(message: PhoenixMessage): void;
  sendUserBroadcast(topic: string, message: UserBroadcast): void;
  forget(channel: Channel): void;
}

interface Binding {
  id: number;
  params?: SubscriptionParams;
  error?: string;
}

// Realtime re-verifies the token every min(5 min, exp − now).
const MAX_EXPIRY_CHECK_MS = 5 * 60 * 1000;
const RESUBSCRIBE_AFTER_ERROR_MS = 3000;
// config.broadcast.replication_ready: how long Realtime waits for its replication connection.
const REPLICATION_READY_TIMEOUT_MS = 60_000;
// DateTime.from_unix(since, :millisecond) accepts years -9999 to 9999.
const MIN_REPLAY_SINCE = -377705116800000;
const MAX_REPLAY_SINCE = 253402300799999;

/** Same params, same id (the real server uses :erlang.phash2 of the params, a 27-bit integer). */
function bindingId(binding: unknown): number {
  let hash = 0x811c9dc5;
  for (const char of JSON.stringify(binding)) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7ffffff;
}

const objectOr = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Realtime's FlexibleBoolean: true, or "true" in any case. */
const isTrue = (value: unknown) => value === true || (typeof value === 'string' && value.toLowerCase() === 'true');

const cannotRead = (topic: string) => `You do not have permissions to read from this Channel topic: ${topic}`;

/** The `reason` of a private join whose check failed, as RealtimeChannel.join words it. */
function joinFailure(error: unknown, topic: string): string {
  if (!(error instanceof AuthorizationError)) return 'UnknownErrorOnChannel: Unknown Error on Channel';
  switch (error.kind) {
    case 'rls_policy_error':
      return `Unauthorized: ${cannotRead(topic)}`;
    case 'missing_partition':
      return 'MissingPartition: Realtime was unable to find the expected messages partition';
    case 'increase_connection_pool':
      return 'IncreaseConnectionPool: Please increase your connection pool size';
    case 'query_canceled':
      return `QueryCanceled: ${error.message}`;
    case 'database_unavailable':
      return 'UnableToConnectToProject: Realtime was unable to connect to the project database';
  }
}

/** The `system` message that stops a private channel whose re-check (new token) failed. */
function refreshFailure(error: unknown, topic: string): string {
  if (!(error instanceof AuthorizationError)) return 'Realtime was unable to connect to the project database';
  switch (error.kind) {
    case 'rls_policy_error':
      return cannotRead(topic);
    case 'query_canceled':
      return 'Query was cancelled, please try again';
    case 'increase_connection_pool':
      return ':increase_connection_pool'; // Realtime sends inspect(error) here
    case 'missing_partition':
    case 'database_unavailable':
      return 'Realtime was unable to connect to the project database';
  }
}

export class Channel implements ChannelSink, HubMember {
  readonly subTopic: string;
  hubTopic: string;
  role = '';
  claimsJson = '';
  presenceKey = '';
  receivesOwnBroadcasts = false;
  private claims: RealtimeClaims | undefined;
  private accessToken = '';
  private ackBroadcasts = false;
  private isPrivate = false;
  private presenceEnabled = false;
  /** A private channel's authorisation; null on public channels, which have none. */
  private policies: Policies | null = null;
  /** Ids of the messages replayed at join: never delivered a second time. */
  private replayed = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private bindings: Binding[] = [];
  private subscriptions: Subscription[] = [];
  private closed = false;
  /** config.broadcast.replication_ready was asked for at join. */
  private wantsReplicationReady = false;
  private trackedOnce = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  // Bumped by every (re)subscription, so a slow validation never registers stale claims.
  private generation = 0;

  constructor(
    readonly topic: string,
    readonly joinRef: string | null,
    private readonly transport: ChannelTransport,
    private readonly services: ChannelServices,
  ) {
    this.subTopic = topic.replace(/^realtime:/, '');
    this.hubTopic = hubTopic(this.subTopic, false);
  }

  isOpen(): boolean {
    return !this.closed;
  }

  /** Runs `task` after everything enqueued before it: the channel's messages are handled in order. */
  enqueue(task: () => unknown): void {
    this.queue = this.queue
      .then(task)
      .then(
        () => undefined,
        (error: unknown) => this.services.log(`${this.topic}: ${(error as Error).message}`),
      );
  }

  receivesBroadcast(id: string | undefined): boolean {
    if (this.isPrivate && this.policies?.broadcast.read !== true) return false;
    return !(id !== undefined && this.replayed.has(id));
  }

  receivesPresence(): boolean {
    return !this.isPrivate || this.policies?.presence.read === true;
  }

  deliver(message: BroadcastMessage): void {
    if (this.closed) return;
    if (message.kind === 'user') return this.transport.sendUserBroadcast(this.topic, message.message);
    this.transport.send({ joinRef: null, ref: null, topic: this.topic, event: 'broadcast', payload: message.payload });
  }

  /**
   * Answers the phx_join, in Realtime's order: the token, the private topic's read policies, the
   * replay (queried before the channel subscribes, pushed after the reply), then the subscriptions.
   * A refused channel is forgotten.
   */
  async join(payload: Record<string, unknown>, ref: string | null): Promise<void> {
    const given = typeof payload.access_token === 'string' && payload.access_token ? payload.access_token : payload.user_token;
    const token = typeof given === 'string' && given && !isOpaqueKey(given) ? given : this.transport.apiKey;
    const check = checkToken(token, this.services.jwtSecret);
    if (!check.ok) return this.refuse(ref, `${check.code}: ${check.message}`);
    this.useToken(token, check.claims);

    const config = objectOr(payload.config);
    const broadcast = objectOr(config.broadcast);
    const presence = objectOr(config.presence);
    this.isPrivate = isTrue(config.private);
    this.hubTopic = hubTopic(this.subTopic, this.isPrivate);
    this.receivesOwnBroadcasts = isTrue(broadcast.self);
    this.ackBroadcasts = isTrue(broadcast.ack);
    this.presenceEnabled = isTrue(presence.enabled);
    this.presenceKey = typeof presence.key === 'string' && presence.key ? presence.key : randomUUID();

    if (this.isPrivate) {
      try {
        this.policies = await this.services.authorizer.read(this.authorizationContext(), this.readExtensions());
      } catch (error) {
        this.services.log(`could not authorise ${this.topic}: ${(error as Error).message}`);
        return this.refuse(ref, joinFailure(error, this.subTopic));
      }
      if (this.closed) return;
      if (!this.policies.broadcast.read && !this.policies.presence.read) {
        return this.refuse(ref, `Unauthorized: ${cannotRead(this.subTopic)}`);
      }
    }

    let replayed: ReplayedMessage[] = [];
    if ('replay' in broadcast) {
      if (this.isPrivate && this.policies?.broadcast.read === false) {
        return this.refuse(ref, `Unauthorized: ${cannotRead(this.subTopic)}`);
      }
      if (!this.isPrivate) return this.refuse(ref, 'UnableToReplayMessages: Replay is not allowed for public channels');
      const replay = broadcast.replay;
      if (replay !== null && typeof replay === 'object' && !Array.isArray(replay)) {
        const { since, limit: given } = replay as Record<string, unknown>;
        // `replay_params["limit"] || 25`; the query then keeps it within 1..25.
        const limit = given === undefined || given === null || given === false ? 25 : given;
        const integer = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);
        if (!integer(since) || !integer(limit) || since < MIN_REPLAY_SINCE || since > MAX_REPLAY_SINCE) {
          return this.refuse(ref, 'UnableToReplayMessages: Replay params are not valid');
        }
        try {
          replayed = await this.services.replay(this.subTopic, since, limit);
        } catch (error) {
          this.services.log(`could not replay ${this.topic}: ${(error as Error).message}`);
          return this.refuse(ref, 'UnableToReplayMessages: Realtime was unable to replay messages');
        }
        if (this.closed) return;
      }
    }

    const requested = Array.isArray(config.postgres_changes) ? config.postgres_changes.filter((b) => b != null) : [];
    this.bindings = requested.map((binding) => {
      const parsed = parseSubscriptionParams(objectOr(binding));
      const id = bindingId(binding);
      return parsed.ok ? { id, params: parsed.params } : { id, error: parsed.error };
    });
    // The client matches the echo by index and compares event/schema/table/filter: send them back as they came.
    const echo = requested.map((binding, i) => ({ ...objectOr(binding), id: this.bindings[i]!.id }));
    this.reply(ref, 'ok', { postgres_changes: echo });

    for (const message of replayed) this.pushReplayed(message);
    this.replayed = new Set(replayed.map((message) => message.id));
    this.services.hub.join(this);
    if (this.presenceEnabled && this.receivesPresence()) this.push('presence_state', this.services.hub.presenceState(this.hubTopic));
    if (this.bindings.length > 0) void this.subscribePostgres();
    this.wantsReplicationReady = broadcast.replication_ready != null && broadcast.replication_ready !== false;
    if (this.wantsReplicationReady) void this.notifyReplicationReady();
  }

  async handle(message: PhoenixMessage): Promise<void> {
    if (this.closed) return;
    switch (message.event) {
      case 'access_token':
        return this.refreshToken(message.payload.access_token);
      case 'phx_leave':
        this.reply(message.ref, 'ok', {});
        return this.close(false);
      case 'broadcast':
        return this.broadcast(message);
      case 'presence':
        return this.presence(message);
      default:
        // The real server ignores unexpected events from clients.
        return;
    }
  }

  /** Ends the channel; `notify` sends phx_close, as the server does when it stops a channel. */
  close(notify: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.retryTimer);
    for (const subscription of this.subscriptions) this.services.registry.remove(subscription);
    this.subscriptions = [];
    this.services.hub.leave(this);
    if (notify) {
      this.transport.send({ joinRef: this.joinRef, ref: this.joinRef, topic: this.topic, event: 'phx_close', payload: {} });
    }
    this.transport.forget(this);
  }

  pushChange(ids: number[], data: Record<string, unknown>): void {
    this.transport.send({ joinRef: null, ref: null, topic: this.topic, event: 'postgres_changes', payload: { ids, data } });
  }

  replicationResumed(): void {
    if (this.subscriptions.length > 0) this.system('postgres_changes', 'ok', 'Subscribed to PostgreSQL');
  }

  /**
   * A channel that asked for replication_ready hears it again once the stream of realtime.messages
   * is back after an outage (a database restart): the rows committed meanwhile were never sent, and
   * this is its moment to catch up, as postgres_changes' "Subscribed to PostgreSQL" is.
   */
  broadcastStreamResumed(): void {
    if (this.wantsReplicationReady && !this.closed) this.system('system', 'ok', 'Replication connection established');
  }

  push(event: string, payload: Record<string, unknown>): void {
    if (this.closed) return;
    this.transport.send({ joinRef: this.joinRef, ref: null, topic: this.topic, event, payload });
  }

  private reply(ref: string | null, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.transport.send({ joinRef: this.joinRef, ref, topic: this.topic, event: 'phx_reply', payload: { status, response } });
  }

  private system(extension: 'postgres_changes' | 'system', status: 'ok' | 'error', message: string): void {
    this.push('system', { extension, status, message, channel: this.subTopic });
  }

  /** What the real server does when a channel must stop: say why, then close it. */
  private shutdown(message: string): void {
    this.system('system', 'error', message);
    this.close(true);
  }

  /** A join that is refused: the error reply, and the channel is not kept. */
  private refuse(ref: string | null, reason: string): void {
    this.reply(ref, 'error', { reason });
    this.close(false);
  }

  private authorizationContext(): AuthorizationContext {
    return { topic: this.subTopic, role: this.role, claims: this.claims ?? {}, headers: this.transport.headers };
  }

  /** Presence is checked only when the channel uses it, as Realtime does. */
  private readExtensions(): Extension[] {
    return this.presenceEnabled ? ['broadcast', 'presence'] : ['broadcast'];
  }

  /** A message found by the replay: a text push (binary ones as kind 4, not at all on vsn 1.0.0). */
  private pushReplayed(message: ReplayedMessage): void {
    const meta = { replayed: true, id: message.id };
    if (message.binaryPayload) {
      return this.transport.sendUserBroadcast(this.topic, {
        event: message.event ?? '',
        encoding: 'binary',
        body: message.binaryPayload,
        meta,
      });
    }
    this.push('broadcast', { payload: message.payload, event: message.event, type: 'broadcast', meta });
  }

  /**
   * A client's broadcast: relayed to the topic's other members (and itself with `self`), acked with
   * `ack`. On a private channel the first one checks the INSERT policies; without write it is
   * dropped silently, with no reply even when acks were asked for, as Realtime does.
   */
  private async broadcast(message: PhoenixMessage): Promise<void> {
    if (this.isPrivate) {
      if (this.policies!.broadcast.write === undefined) {
        try {
          this.policies = await this.services.authorizer.write(this.authorizationContext(), ['broadcast', 'presence'], this.policies!);
        } catch (error) {
          this.services.log(`could not check broadcast write on ${this.topic}: ${(error as Error).message}`);
          return;
        }
        if (this.closed) return;
      }
      if (!this.policies!.broadcast.write) return;
    }
    const relayed: BroadcastMessage = message.userBroadcast
      ? { kind: 'user', message: message.userBroadcast }
      : { kind: 'text', payload: message.payload };
    this.services.hub.broadcast(this.hubTopic, relayed, { from: this });
    if (this.ackBroadcasts) this.reply(message.ref, 'ok', {});
  }

  private async presence(message: PhoenixMessage): Promise<void> {
    const { event, payload } = message.payload;
    const kind = typeof event === 'string' ? event.toLowerCase() : '';
    if (kind === 'track') {
      if (this.isPrivate && !(await this.mayTrack())) return this.reply(message.ref, 'error', {});
      if (this.closed) return;
      this.presenceEnabled = true;
      const first = !this.trackedOnce;
      this.trackedOnce = true;
      if (first && this.receivesPresence()) this.push('presence_state', this.services.hub.presenceState(this.hubTopic));
      this.services.hub.track(this, objectOr(payload));
    } else if (kind === 'untrack') {
      this.services.hub.untrack(this);
    } else {
      return this.reply(message.ref, 'error', {});
    }
    this.reply(message.ref, 'ok', {});
  }

  /** Presence write on a private channel, checked on the first track (with read, if the join skipped it). */
  private async mayTrack(): Promise<boolean> {
    let policies = this.policies!;
    if (policies.presence.write === undefined) {
      try {
        const context = this.authorizationContext();
        if (policies.presence.read === undefined) policies = await this.services.authorizer.read(context, ['broadcast', 'presence'], policies);
        policies = await this.services.authorizer.write(context, ['broadcast', 'presence'], policies);
      } catch (error) {
        this.services.log(`could not check presence on ${this.topic}: ${(error as Error).message}`);
        return false;
      }
      this.policies = policies;
    }
    return policies.presence.write === true;
  }

  /** config.broadcast.replication_ready: a system message once rows of realtime.messages stream. */
  private async notifyReplicationReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      this.services.whenBroadcastLive().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), REPLICATION_READY_TIMEOUT_MS)).unref()),
    ]);
    clearTimeout(timer);
    if (this.closed) return;
    if (ready) this.system('system', 'ok', 'Replication connection established');
    else this.shutdown('Replication connection was not established in time');
  }

  private useToken(token: string, claims: RealtimeClaims): void {
    this.claims = claims;
    this.accessToken = token;
    this.role = claims.role;
    this.claimsJson = JSON.stringify(claims);
    this.scheduleExpiryCheck(claims.exp);
  }

  private scheduleExpiryCheck(exp: number): void {
    clearTimeout(this.expiryTimer);
    const delay = Math.min(Math.max(0, exp * 1000 - Date.now()), MAX_EXPIRY_CHECK_MS);
    this.expiryTimer = setTimeout(() => {
      const check = checkToken(this.accessToken, this.services.jwtSecret);
      if (check.ok) this.scheduleExpiryCheck(check.claims.exp);
      else this.shutdown(check.message);
    }, delay);
    this.expiryTimer.unref();
  }

  /**
   * A new token (the client sends its token on every heartbeat; unchanged, absent or opaque keys
   * change nothing): verified, and on a private channel the read policies are evaluated again.
   * Losing read stops the channel with a system error. No reply on success.
   */
  private async refreshToken(token: unknown): Promise<void> {
    if (typeof token !== 'string' || !token || token === this.accessToken || isOpaqueKey(token)) return;
    const check = checkToken(token, this.services.jwtSecret);
    if (!check.ok) return this.shutdown(check.message);
    this.useToken(token, check.claims);
    if (this.isPrivate) {
      const previous = this.policies!;
      let next: Policies;
      try {
        next = await this.services.authorizer.read(this.authorizationContext(), this.readExtensions());
      } catch (error) {
        this.services.log(`could not authorise ${this.topic} again: ${(error as Error).message}`);
        return this.shutdown(refreshFailure(error, this.subTopic));
      }
      if (this.closed) return;
      if (!next.broadcast.read && !next.presence.read) return this.shutdown(cannotRead(this.subTopic));
      const revoked = (before?: boolean, after?: boolean) => before === true && after === false;
      if (revoked(previous.broadcast.read, next.broadcast.read) || revoked(previous.presence.read, next.presence.read)) {
        return this.shutdown(`You no longer have permission to read from this Channel topic: ${this.subTopic}`);
      }
      this.policies = next;
    }
    if (this.bindings.length > 0) void this.subscribePostgres();
  }

  /**
   * Validates every binding under the channel's current role, then registers them all (or none,
   * as the real server inserts them in one transaction) and reports "Subscribed to PostgreSQL" once
   * the replication stream is live, so a change committed after that message is never missed.
   */
  private async subscribePostgres(): Promise<void> {
    const generation = ++this.generation;
    clearTimeout(this.retryTimer);
    const current = () => generation === this.generation && !this.closed;
    const failed = this.bindings.find((binding) => binding.error);
    if (failed) return this.subscriptionFailed(failed.error!);

    const tables: number[][] = [];
    try {
      for (const binding of this.bindings) {
        const result = await this.services.validate(binding.params!, this.role);
        if (!current()) return;
        if (!result.ok) return this.subscriptionFailed(result.error);
        tables.push(result.tables.map((table) => table.relid));
      }
    } catch (error) {
      if (!current()) return;
      this.services.log(`could not subscribe ${this.topic}: ${(error as Error).message}`);
      this.system('postgres_changes', 'error', 'Realtime was unable to connect to the project database');
      this.retryTimer = setTimeout(() => void this.subscribePostgres(), RESUBSCRIBE_AFTER_ERROR_MS);
      this.retryTimer.unref();
      return;
    }

    const previous = this.subscriptions;
    this.subscriptions = this.bindings.map((binding) => ({ id: binding.id, params: binding.params!, channel: this }));
    this.subscriptions.forEach((subscription, i) => this.services.registry.add(subscription, tables[i]!));
    for (const subscription of previous) this.services.registry.remove(subscription);

    await this.services.whenLive();
    if (current()) this.system('postgres_changes', 'ok', 'Subscribed to PostgreSQL');
  }

  private subscriptionFailed(message: string): void {
    for (const subscription of this.subscriptions) this.services.registry.remove(subscription);
    this.subscriptions = [];
    this.system('postgres_changes', 'error', message);
  }
}
