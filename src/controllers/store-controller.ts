import type { ReactiveController, ReactiveElement } from 'lit';
import { ContextEvent, ContextProvider } from '@lit/context';
import { notificationStoreContext } from '../context.js';
import type { WacrmNotification } from '../notification.js';
import { NotificationStore, normalizePageSize } from '../store/notification-store.js';
import { INACTIVE, NotificationSubscriptionController, type SubscriptionInputs } from './notification-subscription-controller.js';
import { StoreEventsController } from './store-events-controller.js';

/** What the host element was given. */
export interface StoreInputs extends SubscriptionInputs {
  /** A store set by the page (`.store`): shown instead of any other. */
  store: NotificationStore | undefined;
  pageSize: number;
}

export interface StoreControllerOptions {
  /** Share the store shown with descendants through @lit/context (the bell). */
  provide?: boolean;
  /** Show a store provided by an ancestor when there is one (the panel). */
  consume?: boolean;
  /** Called for each new notification the host reports (the bell's live announcement). */
  onReceive?: (notification: WacrmNotification) => void;
}

type Host = ReactiveElement;

/** Whether `node` is `ancestor` or lies inside it, through shadow roots. */
function isWithin(node: Node, ancestor: Node): boolean {
  for (let current: Node | null = node; current; ) {
    if (current === ancestor) return true;
    current = current.parentNode ?? (current instanceof ShadowRoot ? current.host : null);
  }
  return false;
}

/**
 * Which store an element shows, and everything that follows from it — the one place where the bell
 * and the panel decide this:
 * - the page's `.store`, else (for a consumer) the store an ancestor provides through
 *   @lit/context, else the element's own, which it then feeds through a
 *   NotificationSubscriptionController from `.supabase` and `.session`;
 * - a provider that appears after the consumer (markup parsed before the script ran, a panel
 *   defined before the bell) is still found: the consumer asks again when one announces itself;
 * - a consumer moved out of its provider stops showing that provider's store;
 * - the host reports the store's happenings as DOM events unless the store came from a provider,
 *   which reports them itself (a StoreEventsController).
 * Inputs are read in `hostUpdate`; `activeStore` and `ownsStore` only read the result.
 */
export class NotificationStoreController implements ReactiveController {
  #own: NotificationStore;
  #active: NotificationStore;
  #provided: NotificationStore | undefined;
  readonly #provider: ContextProvider<typeof notificationStoreContext> | undefined;
  readonly #consumes: boolean;
  /** Ends the subscription to the current provider (the context protocol's `unsubscribe`). */
  #unsubscribe: (() => void) | undefined;
  readonly #subscription: NotificationSubscriptionController;
  #awaitingProvider = false;

  constructor(
    private readonly host: Host,
    private readonly getInputs: () => StoreInputs,
    options: StoreControllerOptions = {},
  ) {
    host.addController(this);
    this.#own = new NotificationStore({ pageSize: getInputs().pageSize });
    this.#active = this.#own;
    if (options.provide) {
      this.#provider = new ContextProvider(host, { context: notificationStoreContext, initialValue: this.#own });
    }
    this.#consumes = Boolean(options.consume);
    // Listening first: what the subscription reports as it connects (a wrong client) reaches the page.
    new StoreEventsController(
      host,
      () => ({ store: this.#active, reports: this.#active !== this.#provided }),
      options.onReceive,
    );
    this.#subscription = new NotificationSubscriptionController(
      host,
      () => this.#own,
      () => (this.#active === this.#own ? this.getInputs() : INACTIVE),
    );
  }

  /** The store the host shows. */
  get activeStore(): NotificationStore {
    return this.#active;
  }

  /** True when the host shows its own store, fed by its own subscription. */
  get ownsStore(): boolean {
    return this.#active === this.#own;
  }

  /** The realtime topic of the host's own subscription, while subscribed. */
  get channelTopic(): string | null {
    return this.#subscription.topic;
  }

  hostConnected(): void {
    if (this.#consumes) {
      this.#requestProvided();
      // A provider upgraded or inserted later announces itself (`context-provider`): ask again then.
      if (!this.#provided) this.#awaitProvider();
    }
    this.#resolve();
  }

  hostUpdate(): void {
    this.#resolve();
  }

  hostDisconnected(): void {
    this.#stopAwaitingProvider();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    // Moved out of its provider, it must not keep showing that provider's store.
    this.#provided = undefined;
  }

  #requestProvided(): void {
    this.host.dispatchEvent(new ContextEvent(notificationStoreContext, this.host, this.#onProvided, true));
  }

  /** The context protocol's callback: a store from a provider above, now and whenever it changes. */
  #onProvided = (store: NotificationStore | undefined, unsubscribe?: () => void) => {
    // Another provider answered (a nearer one appeared): leave the previous one.
    if (this.#unsubscribe && this.#unsubscribe !== unsubscribe) this.#unsubscribe();
    this.#unsubscribe = unsubscribe;
    this.#provided = store;
    this.#stopAwaitingProvider();
    // At once, so that controllers after this one in the same pass see the provided store.
    this.#resolve();
    this.host.requestUpdate();
  };

  #resolve(): void {
    const { store, pageSize } = this.getInputs();
    if (this.#own.pageSize !== normalizePageSize(pageSize)) {
      // A new page size is a new list: the subscription controller sees a new store and starts over.
      this.#own.suspend();
      this.#own = new NotificationStore({ pageSize });
    }
    this.#active = store ?? this.#provided ?? this.#own;
    if (this.#provider && this.#provider.value !== this.#active) this.#provider.setValue(this.#active);
  }

  #awaitProvider(): void {
    if (this.#awaitingProvider) return;
    this.#awaitingProvider = true;
    window.addEventListener('context-provider', this.#onProvider);
  }

  #stopAwaitingProvider(): void {
    if (!this.#awaitingProvider) return;
    this.#awaitingProvider = false;
    window.removeEventListener('context-provider', this.#onProvider);
  }

  #onProvider = (event: Event) => {
    // A ContextProviderEvent (the context protocol's `context-provider`, which @lit/context does not export).
    const { context, contextTarget } = event as Event & { context?: unknown; contextTarget?: Element };
    const provider = contextTarget ?? event.composedPath()[0];
    if (context !== notificationStoreContext || !(provider instanceof Node) || provider === this.host) return;
    if (isWithin(this.host, provider)) this.#requestProvided();
  };
}
