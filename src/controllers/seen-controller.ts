import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isUnseen, type WacrmNotification } from '../notification.js';
import type { NotificationStore } from '../store/notification-store.js';

/** At most one seen mark per this many ms: a burst of arrivals into an open panel is one request, not one each. */
const SEEN_BATCH_MS = 250;

/**
 * Marks the rows a list shows the user as seen (mark_notifications_seen, server time), the way an
 * inbox clears its "new" badge when opened: the rows `shownRows` gives (null while the list shows
 * something else: the archive, the settings), once `isDrawn` says the user can see them now. Rows
 * stay unread until chosen.
 *
 * An update that leaves unseen rows in the list asks for one look in the next animation frame,
 * where `isDrawn` reads the page's layout at the moment the browser lays it out anyway: read after
 * every update instead, a burst of arrivals into an open panel forced a layout of the whole list
 * per arrival (21 ms each in Firefox with 1,000 rows). A hidden page has no frames, so nothing is
 * marked until it is shown again. The first mark goes in the frame after the panel opens (the
 * badge clears as it opens); while rows keep arriving, the next ones wait to go together, at most
 * one request every SEEN_BATCH_MS. A mark that fails is not tried again for the same rows until the
 * list is shown anew (no loop against a refusing server); the failure is reported once, as
 * `wacrm-error` `write-failed`.
 */
export class SeenController implements ReactiveController {
  /** Rows asked for while shown this time, by askedKey. */
  #asked = new Set<string>();
  #wasShown = false;
  #lastMark = Number.NEGATIVE_INFINITY;
  #frame: number | undefined;
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
    this.#lookSoon();
  }

  hostDisconnected(): void {
    this.#wasShown = false;
    if (this.#frame !== undefined) cancelAnimationFrame(this.#frame);
    clearTimeout(this.#batchTimer);
    this.#frame = undefined;
    this.#batchTimer = undefined;
  }

  /** The inbox rows listed, or null while the list shows something else or is not loaded. */
  #rows(): readonly WacrmNotification[] | null {
    const store = this.getStore();
    return store.view === 'inbox' && store.state.status === 'ready' ? this.shownRows() : null;
  }

  /** One look in the next frame, when there may be something to mark and none is due already. */
  #lookSoon(): void {
    if (this.#frame !== undefined || this.#batchTimer !== undefined) return;
    const rows = this.#rows();
    if (!rows) {
      this.#wasShown = false;
      return;
    }
    if (rows.some(isUnseen)) this.#frame = requestAnimationFrame(this.#look);
  }

  #look = (): void => {
    this.#frame = undefined;
    const rows = this.#rows();
    if (!rows) {
      this.#wasShown = false;
      return;
    }
    const unseen = rows.filter(isUnseen);
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
      this.#batchTimer = setTimeout(() => {
        this.#batchTimer = undefined;
        this.#lookSoon();
      }, wait);
      return;
    }
    this.#lastMark = performance.now();
    for (const item of fresh) this.#asked.add(askedKey(item));
    void this.getStore().markSeen(fresh.map((item) => item.id));
  };
}

/**
 * A row as it was asked for: a message folded into it since (moved to the top, unseen again) is
 * new content to mark, though its id is the same.
 */
const askedKey = (item: WacrmNotification) => `${item.id} ${item.created_at}`;
