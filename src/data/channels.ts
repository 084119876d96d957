// The realtime channel of one signed-in user on either transport (see realtime-channel.ts, which
// loads this module on demand: a tab that follows another tab's connection never fetches it).
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { NotificationSourceError, type NotificationChange } from '../store/notification-source.js';
import { BROADCAST_MIGRATION, broadcastTopic, type ChannelStatus, type LiveHandlers, type LiveSubscription } from './realtime-channel.js';
import { changeOf } from './rows.js';

const MIGRATION_027 = 'supabase/migrations/027_notifications.sql';
/** How long a channel may fail to connect before that is reported (realtime-js retries after 1, 2, 5 s…). */
const OUTAGE_REPORT_MS = 5000;
/**
 * Waits before a channel that the server stopped is opened again, by attempt: realtime-js's own
 * rejoin delays. realtime-js rejoins a channel that errored, never one the server closed.
 */
const REOPEN_DELAYS_MS = [1000, 2000, 5000, 10000];

/**
 * Whether the server stopped this channel: Realtime says why (a system message of extension
 * "system", status "error") before its phx_close — when it cannot authorise a refreshed token (the
 * database is restarting, say), or the token has expired. A channel the page removes itself
 * (`supabase.removeAllChannels()`) closes without one, and stays closed.
 */
function watchServerStop(channel: RealtimeChannel): () => boolean {
  let stopped = false;
  channel.on('system', {}, (payload: { extension?: unknown; status?: unknown } | null) => {
    if (payload?.extension === 'system' && payload.status === 'error') stopped = true;
  });
  return () => stopped;
}

/**
 * Opens a channel again whenever the server stops it, waiting a little longer each time until one
 * subscribes. Meanwhile the channel is reconnecting; once subscribed, the handlers' live() catches
 * up on what was missed.
 */
class Reopener {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempts = 0;
  #stopped = false;

  constructor(private readonly open: () => void) {}

  /** The server stopped the channel: open it again after a while. */
  stoppedByServer(handlers: Iterable<LiveHandlers>): void {
    if (this.#stopped) return;
    for (const member of handlers) member.status('reconnecting');
    const delay = REOPEN_DELAYS_MS[Math.min(this.#attempts++, REOPEN_DELAYS_MS.length - 1)];
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (!this.#stopped) this.open();
    }, delay);
  }

  subscribed(): void {
    this.#attempts = 0;
  }

  /** We close it: nothing opens again. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}

/**
 * Turns a channel's states into the handlers' terms, once per element: live (and catch up) on
 * SUBSCRIBED; a refusal that means a migration is missing, said at once; a channel that cannot
 * get through for OUTAGE_REPORT_MS (a wrong URL or key, a proxy that blocks WebSockets) reported
 * once per outage, a short reconnect not at all.
 */
class StatusWatcher {
  #outage: ReturnType<typeof setTimeout> | undefined;
  #lastError: Error | undefined;

  constructor(
    private readonly handlers: LiveHandlers,
    private readonly missingMigration: (error: Error) => NotificationSourceError | null,
  ) {}

  update(status: ChannelStatus, error?: Error): void {
    if (status === 'SUBSCRIBED' || status === 'CLOSED') {
      this.end();
      this.handlers.status(status === 'SUBSCRIBED' ? 'live' : 'closed');
      if (status === 'SUBSCRIBED') this.handlers.live();
      return;
    }
    // CHANNEL_ERROR or TIMED_OUT: realtime-js retries the join by itself.
    this.handlers.status('reconnecting');
    this.#lastError = error ?? this.#lastError;
    const missing = error && this.missingMigration(error);
    if (missing) this.handlers.problem(missing);
    this.#outage ??= setTimeout(() => {
      const reason = this.#lastError?.message ? ` (${this.#lastError.message})` : '';
      this.handlers.problem(
        new NotificationSourceError(
          'network',
          `Live updates are not getting through: Supabase Realtime ${status === 'TIMED_OUT' ? 'does not answer' : 'refused the connection'}${reason}. The list loads over HTTP and catches up once Realtime connects; check the URL, the key, and that WebSockets are not blocked.`,
          this.#lastError,
        ),
      );
    }, OUTAGE_REPORT_MS);
  }

  end(): void {
    clearTimeout(this.#outage);
    this.#outage = undefined;
  }
}

/** realtime-js keeps the socket (and its heartbeat) open with no channel left; the widget opened it, so it closes it. */
async function removeChannel(client: SupabaseClient, channel: RealtimeChannel): Promise<void> {
  await client.removeChannel(channel);
  if (client.getChannels().length === 0) await client.realtime.disconnect();
}

let instances = 0;

export function openPostgresChanges(client: SupabaseClient, userId: string, handlers: LiveHandlers): LiveSubscription {
  // A topic of its own, so that two elements on a page never share or close each other's channel.
  const topic = `wacrm-notifications:${userId}:${++instances}:${Math.random().toString(36).slice(2, 8)}`;
  const watcher = new StatusWatcher(handlers, (error) =>
    /migration|publication|does not exist|not found/i.test(error.message)
      ? new NotificationSourceError('migration-missing', `Realtime refused the subscription: ${error.message}. Apply ${MIGRATION_027} to this database.`, error)
      : null,
  );
  let channel: RealtimeChannel;
  const open = () => {
    channel = client.channel(topic);
    const stoppedByServer = watchServerStop(channel);
    channel.on('postgres_changes', { event: '*', schema: 'public', table: 'notifications', filter: `user_id=eq.${userId}` }, (payload) => {
      const { eventType, new: record, old } = payload as unknown as { eventType?: unknown; new?: unknown; old?: unknown };
      deliver(handlers, changeOf(eventType, record, old), payload);
    });
    // SUBSCRIBED answers the join, before Realtime streams this channel's changes; "Subscribed to
    // PostgreSQL" says they are streamed from now on. It also comes alone when the server's
    // replication is back after a database restart, having lost what was committed meanwhile.
    // Either way, catch up again: rows committed before it would otherwise never show.
    channel.on('system', {}, (payload: { extension?: unknown; status?: unknown } | null) => {
      if (payload?.extension === 'postgres_changes' && payload.status === 'ok') handlers.live();
    });
    channel.subscribe((status, error) => {
      const state = status as ChannelStatus;
      if (state === 'CLOSED' && stoppedByServer()) return reopener.stoppedByServer([handlers]);
      if (state === 'SUBSCRIBED') reopener.subscribed();
      watcher.update(state, error);
    });
  };
  const reopener = new Reopener(open);
  handlers.status('connecting');
  open();
  return {
    topic,
    close: async () => {
      reopener.stop();
      watcher.end();
      await removeChannel(client, channel);
    },
  };
}

function deliver(handlers: LiveHandlers, change: NotificationChange | null, payload: unknown): void {
  if (change) handlers.change(change);
  else handlers.problem(new NotificationSourceError('malformed-event', 'A realtime notification event could not be read and was ignored.', payload));
}

/** The broadcast channel of one topic and client, shared by the elements that use it. */
interface SharedBroadcast {
  channel: RealtimeChannel;
  members: Map<LiveHandlers, StatusWatcher>;
  status: { value: ChannelStatus; error?: Error } | undefined;
  /** Message ids already delivered: a message replayed on a rejoin, or repeated, is applied once. */
  seen: Set<string>;
  /** Opens `channel` anew when the server stops it. */
  reopener: Reopener;
  stoppedByServer: () => boolean;
}

const broadcasts = new WeakMap<SupabaseClient, Map<string, SharedBroadcast>>();
const SEEN_IDS_KEPT = 500;

export function joinBroadcast(client: SupabaseClient, userId: string, handlers: LiveHandlers, accessToken?: string | null): LiveSubscription {
  const topic = broadcastTopic(userId);
  const byTopic = broadcasts.get(client) ?? new Map<string, SharedBroadcast>();
  broadcasts.set(client, byTopic);
  let shared = byTopic.get(topic);
  if (!shared) {
    shared = openBroadcast(client, topic, accessToken);
    byTopic.set(topic, shared);
  }
  const watcher = new StatusWatcher(handlers, (error) =>
    /permission|unauthorized/i.test(error.message)
      ? new NotificationSourceError(
          'migration-missing',
          `Realtime refused the private channel ${topic}: ${error.message}. Apply ${BROADCAST_MIGRATION} (its policy lets each user read their own topic), or use transport="postgres_changes".`,
          error,
        )
      : null,
  );
  shared.members.set(handlers, watcher);
  handlers.status('connecting');
  if (shared.status) watcher.update(shared.status.value, shared.status.error);
  const joined = shared;
  return {
    topic,
    close: async () => {
      watcher.end();
      joined.members.delete(handlers);
      if (joined.members.size > 0 || byTopic.get(topic) !== joined) return;
      byTopic.delete(topic);
      joined.reopener.stop();
      await removeChannel(client, joined.channel);
    },
  };
}

function openBroadcast(client: SupabaseClient, topic: string, accessToken?: string | null): SharedBroadcast {
  // replication_ready: Realtime says when its stream of realtime.messages is (again) established;
  // what was committed before that was never sent, so that is a moment to catch up, as on
  // postgres_changes' "Subscribed to PostgreSQL".
  const config = { private: true, broadcast: { replication_ready: true } } as { private: boolean };
  const stillOpen = () => [...(broadcasts.get(client)?.values() ?? [])].includes(shared);
  const channelFor = () => {
    const channel = client.channel(topic, { config });
    shared.stoppedByServer = watchServerStop(channel);
    channel.on('system', {}, (payload: { status?: unknown; message?: unknown } | null) => {
      if (payload?.status === 'ok' && /replication connection established/i.test(String(payload.message))) {
        for (const handlers of shared.members.keys()) handlers.live();
      }
    });
    channel.on('broadcast', { event: '*' }, (message: { payload?: unknown; meta?: { id?: unknown } }) => {
      const id = typeof message.meta?.id === 'string' ? message.meta.id : undefined;
      if (id) {
        if (shared.seen.has(id)) return;
        shared.seen.add(id);
        if (shared.seen.size > SEEN_IDS_KEPT) shared.seen.delete(shared.seen.values().next().value!);
      }
      const { operation, record, old_record: old } = (message.payload ?? {}) as { operation?: unknown; record?: unknown; old_record?: unknown };
      const change = changeOf(operation, record, old);
      for (const handlers of shared.members.keys()) deliver(handlers, change, message);
    });
    return channel;
  };
  const subscribe = () => {
    if (!stillOpen()) return; // closed meanwhile
    shared.channel.subscribe((status, error) => {
      const state = status as ChannelStatus;
      if (state === 'CLOSED' && stillOpen() && shared.stoppedByServer()) {
        shared.status = undefined;
        return shared.reopener.stoppedByServer(shared.members.keys());
      }
      if (state === 'SUBSCRIBED') shared.reopener.subscribed();
      shared.status = { value: state, error };
      for (const watcher of shared.members.values()) watcher.update(state, error);
    });
  };
  const shared: SharedBroadcast = {
    channel: undefined!, // just below: its handlers refer to `shared`
    members: new Map(),
    status: undefined,
    seen: new Set(),
    stoppedByServer: () => false,
    // Joined again with the token the socket has now: the elements pass each renewed one to setAuth.
    reopener: new Reopener(() => {
      if (!stillOpen()) return;
      shared.channel = channelFor();
      subscribe();
    }),
  };
  shared.channel = channelFor();
  // A private join must carry the user's token: it is the join that RLS authorises.
  void client.realtime.setAuth(accessToken ?? undefined).then(subscribe, subscribe);
  return shared;
}
