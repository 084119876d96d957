import {
  NotificationErrorEvent,
  NotificationReceiveEvent,
  RealtimeStatusChangeEvent,
  UnreadChangeEvent,
} from '../events.js';
import type { WacrmNotification } from '../notification.js';
import type {
  NotificationStore,
  StoreChangeEvent,
  StoreErrorEvent,
  StoreReceiveEvent,
} from '../store/notification-store.js';

/**
 * Re-renders an element when its store changes and, for the element that reports the store (the
 * bell, or a panel whose store did not come from context), turns the store's happenings into the
 * public DOM events (so a bell and the panel inside it never report the same thing twice).
 */
export class StoreEventBridge {
  #store: NotificationStore | undefined;
  #owner = false;
  #lastCount = 0;
  #lastRealtime = '';

  constructor(
    private readonly host: HTMLElement,
    private readonly onChange: () => void,
    private readonly onReceive: (notification: WacrmNotification) => void = () => undefined,
  ) {}

  observe(store: NotificationStore, owner: boolean): void {
    this.#owner = owner;
    if (store === this.#store) return;
    this.#store?.removeEventListener('change', this.#change);
    this.#store?.removeEventListener('receive', this.#receive);
    this.#store?.removeEventListener('error', this.#error);
    this.#store = store;
    this.#lastCount = store.state.unreadCount;
    this.#lastRealtime = store.state.realtime;
    store.addEventListener('change', this.#change);
    store.addEventListener('receive', this.#receive);
    store.addEventListener('error', this.#error);
  }

  #change = (event: Event) => {
    const { state } = event as StoreChangeEvent;
    this.onChange();
    if (!this.#owner) return;
    if (state.unreadCount !== this.#lastCount) {
      const previous = this.#lastCount;
      this.#lastCount = state.unreadCount;
      this.host.dispatchEvent(new UnreadChangeEvent(state.unreadCount, previous));
    }
    if (state.realtime !== this.#lastRealtime) {
      this.#lastRealtime = state.realtime;
      this.host.dispatchEvent(new RealtimeStatusChangeEvent(state.realtime));
    }
  };

  #receive = (event: Event) => {
    if (!this.#owner) return;
    const { notification } = event as StoreReceiveEvent;
    this.onReceive(notification);
    this.host.dispatchEvent(new NotificationReceiveEvent(notification));
  };

  #error = (event: Event) => {
    if (this.#owner) this.host.dispatchEvent(new NotificationErrorEvent((event as StoreErrorEvent).error));
  };
}
