// The realtime channel of one signed-in user, on either transport, through their Supabase client:
// - `postgres_changes` (the default): changes to the user's rows of public.notifications, filtered
//   by user_id on the server, on a topic unique to the element (migration 027);
// - `broadcast`: the private topic `user:<uid>:notifications`, to which the broadcast migration's
//   trigger sends every change, authorised once per join by RLS on realtime.messages.
// Either way the handlers get the same NotificationChange values, the channel's state, and a
// "live again" whenever the store should catch up (delivery is at most once on both). The channels
// themselves are in channels.ts, loaded on demand: the list loads over HTTP meanwhile, and a tab
// that follows another tab's connection never fetches them.
import type { SupabaseClient } from '@supabase/supabase-js';
import type { NotificationChange, NotificationSourceError } from '../store/notification-source.js';
import type { RealtimeStatus } from '../store/notification-store.js';
import { notLoaded } from '../on-demand.js';

export type Transport = 'postgres_changes' | 'broadcast';

export interface LiveHandlers {
  change(change: NotificationChange): void;
  /** The channel is (again) delivering: time to load or catch up. */
  live(): void;
  status(status: RealtimeStatus): void;
  /** A payload that is not a notification row, or a channel error worth showing. */
  problem(error: NotificationSourceError): void;
}

export interface LiveSubscription {
  readonly topic: string;
  close(): Promise<void>;
}

export type ChannelStatus = 'SUBSCRIBED' | 'TIMED_OUT' | 'CLOSED' | 'CHANNEL_ERROR';

/** The private topic the broadcast migration's trigger sends a user's changes to. */
export const broadcastTopic = (userId: string) => `user:${userId}:notifications`;

export const BROADCAST_MIGRATION = 'supabase/migrations/20261129180000_notifications_broadcast.sql';

/** Opens the user's channel on `transport`; `accessToken` authorises a private join. */
export function openChannel(
  client: SupabaseClient,
  userId: string,
  transport: Transport,
  handlers: LiveHandlers,
  accessToken?: string | null,
): LiveSubscription {
  return deferred(() =>
    import('./channels.js').then(
      ({ joinBroadcast, openPostgresChanges }) =>
        transport === 'broadcast' ? joinBroadcast(client, userId, handlers, accessToken) : openPostgresChanges(client, userId, handlers),
      (error: unknown) => {
        // A blocked chunk: no live updates; the list still loads, and catches up on focus.
        notLoaded('the realtime channel', 'no live updates', error);
        handlers.status('closed');
        return { topic: '', close: async () => undefined };
      },
    ),
  );
}

/** A subscription whose channel opens once `open` settles (a module loaded on demand); closing first cancels it. */
export function deferred(open: () => Promise<LiveSubscription>): LiveSubscription {
  let subscription: LiveSubscription | undefined;
  let closed = false;
  const opened = open().then((opening) => {
    if (closed) return opening.close();
    subscription = opening;
    return undefined;
  });
  return {
    get topic() {
      return subscription?.topic ?? '';
    },
    async close() {
      closed = true;
      await opened;
      await subscription?.close();
    },
  };
}
