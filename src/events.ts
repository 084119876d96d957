// Every event the elements fire: bubbling and composed (they cross shadow roots), typed, and
// declared in GlobalEventHandlersEventMap so addEventListener knows their shape.
import type { WacrmNotification } from './notification.js';
import type { NotificationError } from './store/notification-source.js';
import type { RealtimeStatus } from './store/notification-store.js';

const init = { bubbles: true, composed: true } as const;

/** A user chose a notification. Cancelable: `preventDefault()` stops the navigation to `href-template`. */
export class NotificationSelectEvent extends Event {
  static readonly type = 'wacrm-notification-select';
  constructor(readonly notification: WacrmNotification) {
    super(NotificationSelectEvent.type, { ...init, cancelable: true });
  }
}

/** A user marked notifications read (`ids` null: all of them). Fired once the database agreed. */
export class NotificationReadEvent extends Event {
  static readonly type = 'wacrm-read';
  constructor(readonly ids: string[] | null) {
    super(NotificationReadEvent.type, init);
  }
}

/**
 * Notifications were archived (`ids`; null: every read one) or, with `restored`, taken back out of
 * the archive. Fired after the database accepted it.
 */
export class NotificationArchiveEvent extends Event {
  static readonly type = 'wacrm-archive';
  constructor(
    readonly ids: string[] | null,
    readonly restored: boolean,
  ) {
    super(NotificationArchiveEvent.type, init);
  }
}

/** A new notification arrived while the element was running: hosts may show a toast. */
export class NotificationReceiveEvent extends Event {
  static readonly type = 'wacrm-receive';
  constructor(readonly notification: WacrmNotification) {
    super(NotificationReceiveEvent.type, init);
  }
}

export class UnreadChangeEvent extends Event {
  static readonly type = 'wacrm-unread-change';
  constructor(
    readonly unreadCount: number,
    readonly previousCount: number,
  ) {
    super(UnreadChangeEvent.type, init);
  }
}

export class RealtimeStatusChangeEvent extends Event {
  static readonly type = 'wacrm-realtime-status-change';
  constructor(readonly status: RealtimeStatus) {
    super(RealtimeStatusChangeEvent.type, init);
  }
}

/** Something went wrong; `error.message` says what to do. Never thrown: always this event. */
export class NotificationErrorEvent extends Event {
  static readonly type = 'wacrm-error';
  constructor(readonly error: NotificationError) {
    super(NotificationErrorEvent.type, init);
  }
}

/** The panel opens (`wacrm-show`), has opened (`wacrm-after-show`), closes, has closed. */
export class PanelToggleEvent extends Event {
  constructor(type: 'wacrm-show' | 'wacrm-after-show' | 'wacrm-hide' | 'wacrm-after-hide') {
    super(type, init);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'wacrm-notification-select': NotificationSelectEvent;
    'wacrm-read': NotificationReadEvent;
    'wacrm-archive': NotificationArchiveEvent;
    'wacrm-receive': NotificationReceiveEvent;
    'wacrm-unread-change': UnreadChangeEvent;
    'wacrm-realtime-status-change': RealtimeStatusChangeEvent;
    'wacrm-error': NotificationErrorEvent;
    'wacrm-show': PanelToggleEvent;
    'wacrm-after-show': PanelToggleEvent;
    'wacrm-hide': PanelToggleEvent;
    'wacrm-after-hide': PanelToggleEvent;
  }
}
