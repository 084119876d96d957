import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import { isSupabaseClient, SupabaseNotificationSource, type LiveHandlers, type LiveSubscription, type Transport } from '../data/supabase-source.js';
import { canShareTabs, shareName, subscribeShared } from '../data/tab-sharing.js';
import type { NotificationStore } from '../store/notification-store.js';
import { en } from '../strings.js';

export interface SubscriptionInputs {
  supabase: unknown;
  /** `undefined` while the host does not know it yet (supabase-js reads it asynchronously). */
  session: Session | null | undefined;
  /** How changes reach the browser (default `postgres_changes`). */
  transport?: Transport;
  /** `off`: this element keeps its own channel instead of sharing one with the browser's other tabs. */
  tabSharing?: 'on' | 'off';
}

/** How the channel is opened: a change of either opens it again (the list is kept). */
interface ChannelOptions {
  transport: Transport;
  shared: boolean;
}

/** What `getInputs` returns when the host shows a store it does not own: subscribe to nothing. */
export const INACTIVE = null;

/**
 * How long a connected element waits for its client, once the page has loaded, before it reports
 * `no-client`. Pages set `.supabase` after the element exists — in the next line of a module, in a
 * later script, after an `await` — and that is not a mistake worth an error.
 */
export const NO_CLIENT_GRACE_MS = 1000;

/**
 * Owns one element's realtime subscription and feeds its store. It reads its inputs (the store,
 * the client and the session) in every `hostUpdate`, and:
 * - once it has a client and a signed-in session, loads the list over HTTP at once and subscribes
 *   on the chosen transport — through the tab that leads for the browser when tabs share (Web Locks
 *   and BroadcastChannel; see data/tab-share.ts), or with a channel of its own;
 *   shows signed-out for a `null` session and stays idle while the session is unknown (`undefined`);
 * - starts over when the client, the user or the store changes, and only passes a new access token
 *   on (`setAuth`) when just the token changed; shows signed-out when a session expires unrenewed;
 * - reports a value that is not a Supabase client at once, and a missing client only if none comes
 *   within NO_CLIENT_GRACE_MS of the page having loaded — once;
 * - on disconnect closes the channel and suspends the store (no timer, query or socket is left);
 *   reconnected with the same client and user, it subscribes again and catches up on the list it
 *   kept, so what arrived meanwhile is received (`wacrm-receive`) like anything live;
 * - catches up whenever the channel is live again, the tab becomes visible or the browser comes
 *   back online.
 */
export class NotificationSubscriptionController implements ReactiveController {
  #connected = false;
  #store: NotificationStore | null = null;
  #client: SupabaseClient | null = null;
  /** The user the store holds; null when signed out; undefined when not known. */
  #userId: string | null | undefined = undefined;
  #accessToken: string | null = null;
  #source: SupabaseNotificationSource | null = null;
  #subscription: LiveSubscription | null = null;
  #channelOptions: ChannelOptions | null = null;
  /** Marks the channel opened last; handlers of channels closed since ignore what they still get. */
  #opened: symbol | null = null;
  #reported: 'no-client' | 'invalid-client' | null = null;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #noClientTimer: ReturnType<typeof setTimeout> | undefined;
  #waitingForLoad = false;
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
    this.#stopWaitingForClient();
    this.#closeSubscription();
    // Keep the store's list (and who it belongs to) for a return to the page, but stop its work.
    this.#store?.suspend();
    this.#source?.cancelReads();
    this.#reported = null;
  }

  #onVisible = () => {
    if (document.visibilityState === 'visible') this.#catchUp();
  };

  #catchUp = () => {
    const store = this.#store;
    if (this.#subscription && store && (store.state.status === 'ready' || store.state.status === 'error')) void store.sync();
  };

  #reconcile(): void {
    if (!this.#connected) return;
    const inputs = this.getInputs();
    if (inputs === INACTIVE) {
      // The host shows another store (`.store`, or its bell's): keep nothing open, report nothing.
      this.#stopWaitingForClient();
      this.#forget();
      return;
    }
    const store = this.getStore();
    if (store !== this.#store) {
      this.#forget();
      this.#store = store;
    }
    const { supabase, session } = inputs;
    if (!supabase) return this.#waitForClient();
    this.#stopWaitingForClient();
    if (!isSupabaseClient(supabase)) return this.#report('invalid-client');
    this.#reported = null;

    const client = supabase;
    const accessToken = session?.access_token ?? null;
    // Subscribing again with it would expire at once, over and over: wait for a new session.
    if (accessToken !== null && accessToken === this.#expiredToken) return;
    const userId = session === undefined ? undefined : (session?.user?.id ?? null);

    const options: ChannelOptions = {
      transport: inputs.transport === 'broadcast' ? 'broadcast' : 'postgres_changes',
      shared: inputs.tabSharing !== 'off' && canShareTabs(),
    };
    const sameChannel = this.#channelOptions?.transport === options.transport && this.#channelOptions.shared === options.shared;
    if (client === this.#client && userId === this.#userId && this.#subscription && !sameChannel) this.#closeSubscription();
    this.#channelOptions = options;

    if (client === this.#client && userId === this.#userId) {
      if (this.#subscription) return this.#renewToken(client, session);
      // Back on the page with the same client and user: reopen the channel over the list kept.
      if (userId && store.state.userId === userId) return this.#open(client, session!, false);
      if (userId === undefined || userId === null) return;
    }

    this.#closeSubscription();
    this.#client = client;
    this.#userId = userId;
    this.#accessToken = accessToken;
    if (userId === undefined) return; // the host's supabase-js is still reading the session
    if (userId === null) return store.reset(null, null);
    this.#open(client, session!, true);
  }

  #open(client: SupabaseClient, session: Session, fresh: boolean): void {
    const store = this.#store!;
    const userId = session.user.id;
    if (fresh || !this.#source || this.#source.client !== client || this.#source.userId !== userId) {
      this.#source?.cancelReads(); // the list it was reading is not shown any more
      this.#source = new SupabaseNotificationSource(client, userId);
    }
    if (fresh) store.reset(this.#source, userId);
    this.#accessToken = session.access_token ?? null;
    if (this.#accessToken) void client.realtime.setAuth(this.#accessToken);
    this.#watchExpiry(session);
    // A channel being closed still delivers what was in flight: only the current one may feed the store.
    const opened = Symbol('subscription');
    this.#opened = opened;
    const current = () => this.#opened === opened;
    const handlers: LiveHandlers = {
      change: (change) => current() && store.apply(change),
      live: () => current() && void store.sync(),
      status: (status) => current() && store.setRealtimeStatus(status),
      problem: (error) => {
        if (!current()) return;
        store.fail(error);
        // A change we could not read may be a row we now lack: catch up (retried until it works).
        if (error.code === 'malformed-event') void store.sync();
      },
    };
    const { transport, shared } = this.#channelOptions!;
    const source = this.#source;
    const accessToken = this.#accessToken;
    const open = (channelHandlers: LiveHandlers) => source.subscribe(channelHandlers, { transport, accessToken });
    this.#subscription = shared ? subscribeShared(shareName(client, userId, transport), open, handlers) : open(handlers);
    // The list comes over HTTP whether or not Realtime gets through (a proxy may block WebSockets);
    // the channel, once live, catches up on whatever was committed while it joined.
    void store.sync();
  }

  /** Same user, new token: Realtime re-authorises the live channel; no refetch, no resubscribe. */
  #renewToken(client: SupabaseClient, session: Session | null | undefined): void {
    const accessToken = session?.access_token ?? null;
    if (!accessToken || accessToken === this.#accessToken) return;
    this.#accessToken = accessToken;
    void client.realtime.setAuth(accessToken);
    this.#watchExpiry(session);
  }

  /** Forgets the client and user, closing their channel: the next inputs start over. */
  #forget(): void {
    this.#closeSubscription();
    clearTimeout(this.#expiryTimer);
    this.#client = null;
    this.#userId = undefined;
    this.#accessToken = null;
    this.#reported = null;
  }

  #report(problem: 'no-client' | 'invalid-client'): void {
    if (this.#reported === problem) return;
    this.#forget();
    this.#reported = problem;
    const store = this.#store!;
    store.reset(null, null);
    store.fail({ code: problem, message: this.#explain(problem) }, { fatal: true });
  }

  #explain(problem: 'no-client' | 'invalid-client'): string {
    const host = this.host as Partial<Element>;
    if (problem === 'no-client' && host.hasAttribute?.('supabase-url')) {
      // The attributes are read only by the all-in-one build; another build defined the tag first.
      return `<${host.localName}> has supabase-url and supabase-key attributes, but the script that defined it does not read them: load wacrm-notifications.all.js alone, or set .supabase.`;
    }
    return en.errors[problem];
  }

  /**
   * No client (yet): close any channel of a client taken away, keep what is shown, and report
   * `no-client` only if none arrives within the grace period after the page has loaded.
   */
  #waitForClient(): void {
    if (this.#reported === 'no-client' || this.#noClientTimer !== undefined || this.#waitingForLoad) return;
    this.#closeSubscription();
    if (document.readyState === 'complete') {
      this.#noClientTimer = setTimeout(() => {
        this.#noClientTimer = undefined;
        this.#report('no-client');
      }, NO_CLIENT_GRACE_MS);
    } else {
      this.#waitingForLoad = true;
      window.addEventListener('load', this.#onPageLoaded, { once: true });
    }
  }

  #onPageLoaded = () => {
    this.#waitingForLoad = false;
    this.#reconcile();
  };

  #stopWaitingForClient(): void {
    clearTimeout(this.#noClientTimer);
    this.#noClientTimer = undefined;
    if (this.#waitingForLoad) window.removeEventListener('load', this.#onPageLoaded);
    this.#waitingForLoad = false;
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
    this.#opened = null;
    if (subscription) void subscription.close();
  }
}
