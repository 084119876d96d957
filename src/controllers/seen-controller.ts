import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isUnseen, type WacrmNotification } from '../notification.js';
import type { NotificationStore } from '../store/notification-store.js';

/** At most one seen mark per this many ms: a burst of arrivals into an open panel is one request, not one each. */
const SEEN_BATCH_MS = 250;

/**
 * Marks the rows a list shows the user as seen (mark_notifications_seen, server time), the way an
 * inbox clears its "new" badge when opened: after each update of its host, the rows `shownRows`
 * gives (null while the list shows something else: the archive, the settings), once `isDrawn` says
 * the user can see them now (read only when there is something to mark). Rows stay unread until
 * chosen. The first mark goes at once (the badge clears as the panel opens); while rows keep
 * arriving, the next ones wait to go together, at most one request every SEEN_BATCH_MS. A mark
 * that fails is not tried again for the same rows until the list is shown anew (no loop against a
 * refusing server); the failure is reported once, as `wacrm-error` `write-failed`.
 */
export class SeenController implements ReactiveController {
  /** Rows asked for while shown this time, by askedKey. */
  #asked = new Set<string>();
  #wasShown = false;
  #lastMark = Number.NEGATIVE_INFINITY;
  #batchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    host: ReactiveControllerHost,
    private readonly getStore: () => NotificationStore,
    private readonly shownRows: () => readonly WacrmNotification[] | null,
    private readonly isDrawn: () => boolean,
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
    const store = this.getStore();
    const rows = store.view === 'inbox' && store.state.status === 'ready' ? this.shownRows() : null;
    if (!rows) {
      this.#wasShown = false;
      return;
    }
    const unseen = rows.filter(isUnseen);
    // Nothing to mark: the page's layout is not read.
    if (unseen.length === 0) return;
    const shown = this.isDrawn();
    if (shown && !this.#wasShown) this.#asked.clear();
    this.#wasShown = shown;
    if (!shown) return;
    const fresh = unseen.filter((item) => !this.#asked.has(askedKey(item)));
    if (fresh.length === 0) return;
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
    for (const item of fresh) this.#asked.add(askedKey(item));
    void store.markSeen(fresh.map((item) => item.id));
  }
}

/**
 * A row as it was asked for: a message folded into it since (moved to the top, unseen again) is
 * new content to mark, though its id is the same.
 */
const askedKey = (item: WacrmNotification) => `${item.id} ${item.created_at}`;
