import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isUnseen, type WacrmNotification } from '../notification.js';
import type { NotificationStore } from '../store/notification-store.js';

/**
 * Marks the rows a list shows the user as seen (mark_notifications_seen, server time), the way an
 * inbox clears its "new" badge when opened: after each update of its host, the rows `shownRows`
 * gives — null while the user cannot see the inbox (the host hidden, the archive or the settings
 * shown). Rows stay unread until chosen. A mark that fails is not tried again for the same rows
 * until the list is shown anew (no loop against a refusing server); the failure is reported once,
 * as `wacrm-error` `write-failed`.
 */
export class SeenController implements ReactiveController {
  /** Rows asked for while shown this time. */
  #asked = new Set<string>();
  #wasShown = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly getStore: () => NotificationStore,
    private readonly shownRows: () => readonly WacrmNotification[] | null,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    const rows = this.shownRows();
    if (rows && !this.#wasShown) this.#asked.clear();
    this.#wasShown = rows !== null;
    if (!rows) return;
    const store = this.getStore();
    if (store.view !== 'inbox' || store.state.status !== 'ready') return;
    const ids = rows.filter((item) => isUnseen(item) && !this.#asked.has(item.id)).map((item) => item.id);
    if (ids.length === 0) return;
    for (const id of ids) this.#asked.add(id);
    void store.markSeen(ids);
  }

  hostDisconnected(): void {
    this.#wasShown = false;
  }
}
