import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  NotificationErrorEvent,
  NotificationReceiveEvent,
  RealtimeStatusChangeEvent,
  UnreadChangeEvent,
} from '../events.js';
import type { WacrmNotification } from '../notification.js';
import type {
  NotificationState,
  NotificationStore,
  StoreChangeEvent,
  StoreErrorEvent,
  StoreReceiveEvent,
} from '../store/notification-store.js';

/** The store an element shows, and whether that element is the one that reports its happenings. */
export interface ObservedStore {
  store: NotificationStore;
  /** False for a panel showing its bell's store: the bell reports, so nothing is reported twice. */
  reports: boolean;
}

type Host = ReactiveControllerHost & EventTarget;

/**
 * Re-renders its host when the store it shows changes and, when the host is the element that
 * reports that store, turns the store's happenings into the public DOM events (`wacrm-receive`,
 * `wacrm-unread-change`, `wacrm-realtime-status-change`, `wacrm-error`).
 *
 * Listens only while the host is connected: a removed element holds no listener on a store that
 * outlives it (a shared `.store`, a bell's store kept by a moved panel). Which store it follows is
 * read from `getObserved` in every `hostUpdate`.
 */
export class StoreEventsController implements ReactiveController {
  #store: NotificationStore | undefined;
  #reports = false;
  #listening = false;
  #lastCount = 0;
  #lastRealtime = '';

  constructor(
    private readonly host: Host,
    private readonly getObserved: () => ObservedStore,
    private readonly onReceive: (notification: WacrmNotification) => void = () => undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.#follow();
    this.#listen(true);
    // Back on the page: show, and report, whatever changed while it was away.
    if (this.#store) this.#changed(this.#store.state);
  }

  hostUpdate(): void {
    this.#follow();
  }

  hostDisconnected(): void {
    this.#listen(false);
  }

  #follow(): void {
    const { store, reports } = this.getObserved();
    this.#reports = reports;
    if (store === this.#store) return;
    const listening = this.#listening;
    this.#listen(false);
    this.#store = store;
    // A new store's present counts are where it starts, not a change.
    this.#lastCount = store.state.unreadCount;
    this.#lastRealtime = store.state.realtime;
    this.#listen(listening);
  }

  #listen(on: boolean): void {
    const store = this.#store;
    if (!store || on === this.#listening) return;
    this.#listening = on;
    const method = on ? 'addEventListener' : 'removeEventListener';
    store[method]('change', this.#change);
    store[method]('receive', this.#receive);
    store[method]('error', this.#error);
  }

  #change = (event: Event) => this.#changed((event as StoreChangeEvent).state);

  #changed(state: NotificationState): void {
    this.host.requestUpdate();
    if (!this.#reports) return;
    if (state.unreadCount !== this.#lastCount) {
      const previous = this.#lastCount;
      this.#lastCount = state.unreadCount;
      this.host.dispatchEvent(new UnreadChangeEvent(state.unreadCount, previous));
    }
    if (state.realtime !== this.#lastRealtime) {
      this.#lastRealtime = state.realtime;
      this.host.dispatchEvent(new RealtimeStatusChangeEvent(state.realtime));
    }
  }

  #receive = (event: Event) => {
    if (!this.#reports) return;
    const { notification } = event as StoreReceiveEvent;
    this.onReceive(notification);
    this.host.dispatchEvent(new NotificationReceiveEvent(notification));
  };

  #error = (event: Event) => {
    if (this.#reports) this.host.dispatchEvent(new NotificationErrorEvent((event as StoreErrorEvent).error));
  };
}
