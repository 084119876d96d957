// One joined `realtime:<name>` topic on one socket: its claims (from the join's access_token or the
// socket's key), its postgres_changes bindings, the token's expiry, and broadcast/presence.
import { randomUUID } from 'node:crypto';
import { parseSubscriptionParams, type SubscriptionParams } from './filters.js';
import type { Hub, HubMember } from './hub.js';
import type { PhoenixMessage } from './phoenix.js';
import type { ChannelSink, Subscription, SubscriptionRegistry } from './registry.js';
import type { Log } from './replication.js';
import { checkToken, isOpaqueKey, type RealtimeClaims } from './tokens.js';
import type { ValidationResult } from './validation.js';

export interface ChannelServices {
  jwtSecret: string;
  registry: SubscriptionRegistry;
  hub: Hub;
  validate(params: SubscriptionParams, role: string): Promise<ValidationResult>;
  /** Resolves when changes committed from now on will be streamed. */
  whenLive(): Promise<void>;
  log: Log;
}

export interface ChannelTransport {
  /** The socket's `apikey`: the token of a join that brings none. */
  readonly apiKey: string;
  send(message: PhoenixMessage): void;
  forget(channel: Channel): void;
}

interface Binding {
  id: number;
  params?: SubscriptionParams;
  error?: string;
}

// setTimeout's limit is ~24.8 days; the real server re-checks at least hourly anyway.
const MAX_EXPIRY_CHECK_MS = 60 * 60 * 1000;
const RESUBSCRIBE_AFTER_ERROR_MS = 3000;

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

export class Channel implements ChannelSink, HubMember {
  readonly subTopic: string;
  role = '';
  claimsJson = '';
  presenceKey = '';
  receivesOwnBroadcasts = false;
  private accessToken = '';
  private ackBroadcasts = false;
  private bindings: Binding[] = [];
  private subscriptions: Subscription[] = [];
  private closed = false;
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
  }

  isOpen(): boolean {
    return !this.closed;
  }

  /** Answers the phx_join; false when it was refused (the channel is then not kept). */
  join(payload: Record<string, unknown>, ref: string | null): boolean {
    const given = payload.access_token;
    const token = typeof given === 'string' && given && !isOpaqueKey(given) ? given : this.transport.apiKey;
    const check = checkToken(token, this.services.jwtSecret);
    if (!check.ok) {
      this.reply(ref, 'error', { reason: `${check.code}: ${check.message}` });
      this.closed = true;
      return false;
    }
    this.useToken(token, check.claims);

    const config = objectOr(payload.config);
    const broadcast = objectOr(config.broadcast);
    const presence = objectOr(config.presence);
    this.receivesOwnBroadcasts = broadcast.self === true;
    this.ackBroadcasts = broadcast.ack === true;
    this.presenceKey = typeof presence.key === 'string' && presence.key ? presence.key : randomUUID();

    const requested = Array.isArray(config.postgres_changes) ? config.postgres_changes.filter((b) => b != null) : [];
    this.bindings = requested.map((binding) => {
      const parsed = parseSubscriptionParams(objectOr(binding));
      const id = bindingId(binding);
      return parsed.ok ? { id, params: parsed.params } : { id, error: parsed.error };
    });
    // The client matches the echo by index and compares event/schema/table/filter: send them back as they came.
    const echo = requested.map((binding, i) => ({ ...objectOr(binding), id: this.bindings[i]!.id }));
    this.reply(ref, 'ok', { postgres_changes: echo });

    this.services.hub.join(this);
    if (presence.enabled === true) this.push('presence_state', this.services.hub.presenceState(this.subTopic));
    if (this.bindings.length > 0) void this.subscribePostgres();
    return true;
  }

  handle(message: PhoenixMessage): void {
    switch (message.event) {
      case 'access_token':
        return this.refreshToken(message.payload.access_token);
      case 'phx_leave':
        this.reply(message.ref, 'ok', {});
        return this.close(false);
      case 'broadcast':
        this.services.hub.broadcast(this, {
          type: 'broadcast',
          event: message.payload.event,
          payload: message.payload.payload,
          ...(message.payload.meta ? { meta: message.payload.meta } : {}),
        });
        if (this.ackBroadcasts) this.reply(message.ref, 'ok', {});
        return;
      case 'presence': {
        const { event, payload } = message.payload;
        if (event === 'track') {
          const first = !this.trackedOnce;
          this.trackedOnce = true;
          if (first) this.push('presence_state', this.services.hub.presenceState(this.subTopic));
          this.services.hub.track(this, objectOr(payload));
        } else if (event === 'untrack') {
          this.services.hub.untrack(this);
        }
        return this.reply(message.ref, 'ok', {});
      }
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

  private useToken(token: string, claims: RealtimeClaims): void {
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

  private refreshToken(token: unknown): void {
    // Unchanged, absent or opaque keys change nothing (the client resends its token on every heartbeat).
    if (typeof token !== 'string' || !token || token === this.accessToken || isOpaqueKey(token)) return;
    const check = checkToken(token, this.services.jwtSecret);
    if (!check.ok) return this.shutdown(check.message);
    this.useToken(token, check.claims);
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
