// Whether and how an element shares its realtime connection with the other tabs of the browser
// (see tab-share.ts, loaded on demand: a page that turns sharing off, or a browser that cannot
// share, never fetches it).
import type { SupabaseClient } from '@supabase/supabase-js';
import { notLoaded } from '../on-demand.js';
import { deferred, type LiveHandlers, type LiveSubscription, type Transport } from './realtime-channel.js';

/** Web Locks (secure contexts only) and BroadcastChannel: without them each tab keeps its own channel. */
export function canShareTabs(): boolean {
  return typeof BroadcastChannel === 'function' && typeof navigator !== 'undefined' && typeof navigator.locks?.request === 'function';
}

/**
 * The name the tabs of one project, user and transport share (Web Lock and BroadcastChannel):
 * tabs of different users or projects never share.
 */
export function shareName(client: SupabaseClient, userId: string, transport: Transport): string {
  const realtime = client.realtime as { httpEndpoint?: string; endPoint?: string };
  return `wacrm-notifications ${realtime.httpEndpoint ?? realtime.endPoint ?? ''} ${userId} ${transport}`;
}

/**
 * Subscribes through the tab that leads for `name`, or as that leader with `open`. The handlers
 * get what the channel brings either way. If the sharing module cannot be loaded (a blocked CDN
 * chunk), the element opens its own channel.
 */
export function subscribeShared(name: string, open: (handlers: LiveHandlers) => LiveSubscription, handlers: LiveHandlers): LiveSubscription {
  return deferred(() =>
    import('./tab-share.js').then(
      ({ TabShare }) => new TabShare(name, open, handlers),
      (error: unknown) => {
        notLoaded('tab sharing', 'this tab opens its own channel', error);
        return open(handlers);
      },
    ),
  );
}
