import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import { isSupabaseClient, SupabaseNotificationSource, type LiveSubscription } from '../data/supabase-source.js';
import type { NotificationStore } from '../store/notification-store.js';
import { en } from '../strings.js';

export interface SubscriptionInputs {
  supabase: unknown;
  session: Session | null | undefined;
}

/** What `getInputs` returns when the host shows a store it does not own: subscribe to nothing. */
export const INACTIVE = null;

/**
 * Owns one element's realtime subscription and feeds its store: subscribes when connected, removes
 * the channel when disconnected, starts over when the client or the user changes, and only passes
 * a new access token on (setAuth) when just the token changed. Catches up whenever the channel is
 * live again, the tab becomes visible or the browser comes back online.
 */
export class NotificationSubscriptionController implements ReactiveController {
  #client: SupabaseClient | null = null;
  #userId: string | null = null;
  #accessToken: string | null = null;
  #problem: 'no-client' | 'invalid-client' | null = null;
  #subscription: LiveSubscription | null = null;
  #connected = false;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The access token of a session that expired: while the host still passes it, stay signed out. */
  #expiredToken: string | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly getStore: () => NotificationStore,
    private readonly getInputs: () => SubscriptionInputs | typeof INACTIVE,
  ) {
    host.addController(this);
  }

  /** The channel's topic, while subscribed (tests and debugging). */
  get topic(): string | null {
    return this.#subscription?.topic ?? null;
  }

  hostConnected(): void {
    this.#connected = true;
    document.addEventListener('visibilitychange', this.#onVisible);
    window.addEventListener('online', this.#catchUp);
    this.#reconcile();
  }

  hostUpdate(): void {
    this.#reconcile();
  }

  hostDisconnected(): void {
    this.#connected = false;
    document.removeEventListener('visibilitychange', this.#onVisible);
    window.removeEventListener('online', this.#catchUp);
    clearTimeout(this.#expiryTimer);
    this.#closeSubscription();
    this.#client = null;
    this.#userId = null;
    this.#accessToken = null;
    this.#problem = null;
  }

  #onVisible = () => {
    if (document.visibilityState === 'visible') this.#catchUp();
  };

  #catchUp = () => {
    const store = this.getStore();
    if (store.state.status === 'ready' || store.state.status === 'error') void store.sync();
  };

  #reconcile(): void {
    if (!this.#connected) return;
    const inputs = this.getInputs();
    if (inputs === INACTIVE) {
      // The host shows another store (its .store property): keep nothing open, report nothing.
      this.#closeSubscription();
      this.#client = null;
      this.#userId = null;
      this.#accessToken = null;
      this.#problem = null;
      return;
    }
    const { supabase, session } = inputs;
    const store = this.getStore();

    const problem = !supabase ? 'no-client' : isSupabaseClient(supabase) ? null : 'invalid-client';
    if (problem) {
      if (this.#problem === problem) return;
      this.#closeSubscription();
      this.#client = null;
      this.#userId = null;
      this.#problem = problem;
      store.reset(null, null);
      store.fail({ code: problem, message: en.errors[problem] }, { fatal: true });
      return;
    }
    this.#problem = null;
    const client = supabase as SupabaseClient;
    const userId = session?.user?.id ?? null;
    const accessToken = session?.access_token ?? null;
    // Subscribing again with it would expire at once, over and over: wait for a new session.
    if (accessToken !== null && accessToken === this.#expiredToken) return;

    if (client === this.#client && userId === this.#userId) {
      if (accessToken && accessToken !== this.#accessToken) {
        // Same user, new token: Realtime re-authorises the live channel; no refetch, no resubscribe.
        this.#accessToken = accessToken;
        void client.realtime.setAuth(accessToken);
        this.#watchExpiry(session);
      }
      return;
    }

    this.#closeSubscription();
    this.#client = client;
    this.#userId = userId;
    this.#accessToken = accessToken;
    if (!userId) {
      store.reset(null, null);
      return;
    }
    const source = new SupabaseNotificationSource(client, userId);
    store.reset(source, userId);
    if (accessToken) void client.realtime.setAuth(accessToken);
    this.#watchExpiry(session);
    this.#subscription = source.subscribe({
      change: (change) => store.apply(change),
      live: () => void store.sync(),
      status: (status) => store.setRealtimeStatus(status),
      problem: (error) => {
        store.fail(error);
        // A change we could not read may be a row we now lack: catch up (retried until it works).
        if (error.code === 'malformed-event') void store.sync();
      },
    });
  }

  /** A session that reaches its expiry with no new token: show signed-out, never stale data. */
  #watchExpiry(session: Session | null | undefined): void {
    clearTimeout(this.#expiryTimer);
    const expiresAt = session?.expires_at;
    if (!expiresAt) return;
    const token = session.access_token;
    const wait = Math.max(0, expiresAt * 1000 - Date.now());
    this.#expiryTimer = setTimeout(() => {
      if (this.#accessToken !== token || !this.#connected) return;
      this.#closeSubscription();
      this.#userId = null;
      this.#accessToken = null;
      this.#expiredToken = token;
      const store = this.getStore();
      store.reset(null, null);
      store.fail({ code: 'session-expired', message: en.errors['session-expired'] });
      this.host.requestUpdate();
    }, Math.min(wait, 2 ** 31 - 1));
  }

  #closeSubscription(): void {
    const subscription = this.#subscription;
    this.#subscription = null;
    if (subscription) void subscription.close();
  }
}
