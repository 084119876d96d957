import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isUnseen, type WacrmNotification } from '../notification.js';
import type { NotificationStore } from '../store/notification-store.js';

/** At most one seen mark per this many ms: a burst of arrivals into an open panel is one request, not one each. */
const SEEN_BATCH_MS = 250;

/**
 * Marks the rows a list shows the user as seen (mark_notifications_seen, server time), the way an
 * inbox clears its "new" badge when opened: after each update of its host, the rows `shownRows`
 * gives — null while the user cannot see the inbox (the host hidden, the archive or the settings
 * shown). Rows stay unread until chosen. The first mark goes at once (the badge clears as the
 * panel opens); while rows keep arriving, the next ones wait to go together, at most one request
 * every SEEN_BATCH_MS. A mark that fails is not tried again for the same rows until the list is
 * shown anew (no loop against a refusing server); the failure is reported once, as `wacrm-error`
 * `write-failed`.
 */
export class SeenController implements ReactiveController {
  /** Rows asked for while shown this time. */
  #asked = new Set<string>();
  #wasShown = false;
  #lastMark = Number.NEGATIVE_INFINITY;
  #batchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    host: ReactiveControllerHost,
    private readonly getStore: () => NotificationStore,
    private readonly shownRows: () => readonly WacrmNotification[] | null,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    this.#mark();
  }

  hostDisconnected(): void {
    this.#wasShown = false;
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
  }

  #mark(): void {
    const rows = this.shownRows();
    if (rows && !this.#wasShown) this.#asked.clear();
    this.#wasShown = rows !== null;
    if (!rows) return;
    const store = this.getStore();
    if (store.view !== 'inbox' || store.state.status !== 'ready') return;
    const ids = rows.filter((item) => isUnseen(item) && !this.#asked.has(item.id)).map((item) => item.id);
    if (ids.length === 0) return;
    const wait = this.#lastMark + SEEN_BATCH_MS - performance.now();
    if (wait > 0) {
      // Looked at again then: what is shown then, if anything, is marked.
      this.#batchTimer ??= setTimeout(() => {
        this.#batchTimer = undefined;
        this.#mark();
      }, wait);
      return;
    }
    this.#lastMark = performance.now();
    for (const id of ids) this.#asked.add(id);
    void store.markSeen(ids);
  }
}
