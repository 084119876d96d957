import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isUnseen } from '../notification.js';
import type { NotificationStore } from '../store/notification-store.js';

/**
 * Marks what a shown list holds as seen: after each update of its host, while `isShown()`, the
 * unseen rows of the store's list are marked seen (mark_notifications_seen, server time), the way
 * an inbox clears its "new" badge when opened. Rows stay unread until chosen. A mark that fails is
 * not tried again for the same rows until the list is shown anew (no loop against a refusing
 * server); the failure is reported once, as `wacrm-error` `write-failed`.
 */
export class SeenController implements ReactiveController {
  /** Rows asked for while shown this time. */
  #asked = new Set<string>();
  #wasShown = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly getStore: () => NotificationStore,
    private readonly isShown: () => boolean,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    const shown = this.isShown();
    if (shown && !this.#wasShown) this.#asked.clear();
    this.#wasShown = shown;
    if (!shown) return;
    const store = this.getStore();
    if (store.view !== 'inbox' || store.state.status !== 'ready') return;
    const ids = store.state.items.filter((item) => isUnseen(item) && !this.#asked.has(item.id)).map((item) => item.id);
    if (ids.length === 0) return;
    for (const id of ids) this.#asked.add(id);
    void store.markSeen(ids);
  }

  hostDisconnected(): void {
    this.#wasShown = false;
  }
}
