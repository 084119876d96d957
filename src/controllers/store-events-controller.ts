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
 * `wacrm-unread-change`, `wacrm-realtime-status-change`, `wacrm-error`). `wacrm-unread-change`
 * comes at most once a frame, with the count the badge shows: "mark all as read" in another tab
 * arrives as one realtime update per row, and a page's title should not count down through them.
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
  #countFrame: number | undefined;
  #countTimer: ReturnType<typeof setTimeout> | undefined;

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
    this.#cancelCountReport();
  }

  #follow(): void {
    const { store, reports } = this.getObserved();
    this.#reports = reports;
    if (store === this.#store) return;
    const listening = this.#listening;
    this.#listen(false);
    this.#store = store;
    // A new store's present counts are where it starts, not a change.
    this.#cancelCountReport();
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
    if (state.unreadCount !== this.#lastCount) this.#scheduleCountReport();
    if (state.realtime !== this.#lastRealtime) {
      this.#lastRealtime = state.realtime;
      this.host.dispatchEvent(new RealtimeStatusChangeEvent(state.realtime));
    }
  }

  /** At the next frame, or within 100 ms in a hidden tab, which has no frames. */
  #scheduleCountReport(): void {
    if (this.#countTimer !== undefined) return;
    this.#countFrame = requestAnimationFrame(this.#reportCount);
    this.#countTimer = setTimeout(this.#reportCount, 100);
  }

  #cancelCountReport(): void {
    if (this.#countFrame !== undefined) cancelAnimationFrame(this.#countFrame);
    clearTimeout(this.#countTimer);
    this.#countFrame = undefined;
    this.#countTimer = undefined;
  }

  #reportCount = () => {
    this.#cancelCountReport();
    const count = this.#store?.state.unreadCount ?? 0;
    if (!this.#reports || count === this.#lastCount) return;
    const previous = this.#lastCount;
    this.#lastCount = count;
    this.host.dispatchEvent(new UnreadChangeEvent(count, previous));
  };

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
