import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isUnseen, type WacrmNotification } from '../notification.js';
import type { NotificationStore } from '../store/notification-store.js';

/** What a list shows the user now: its rows and the element that draws them, or null when nothing is shown. */
export interface ShownList {
  rows: readonly WacrmNotification[];
  /** The box the rows are drawn in: shown only while it has a layout box (not in a closed popover, not `display: none`). */
  box: Element;
}

/**
 * Marks the rows a list shows as seen (mark_notifications_seen, server time), the way an inbox
 * clears its "new" badge when opened: only while the user can see them — the page visible, the
 * list drawn (its box laid out: a bell's closed popover or a collapsed sidebar is not), showing
 * the inbox (not the archive or the settings). Rows stay unread until chosen. It looks again after
 * each update of its host, when the page becomes visible, and when the box appears or resizes
 * (a ResizeObserver: a popover opening, a container shown). A mark that fails is not tried again
 * for the same rows until the list is shown anew (no loop against a refusing server); the failure
 * is reported once, as `wacrm-error` `write-failed`.
 */
export class SeenController implements ReactiveController {
  /** Rows asked for while shown this time. */
  #asked = new Set<string>();
  #wasShown = false;
  #observer: ResizeObserver | null = null;
  #observed: Element | null = null;
  /** The observed box has a size: laid out, as the ResizeObserver last said (no layout forced here). */
  #boxShown = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly getStore: () => NotificationStore,
    private readonly shownList: () => ShownList | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.#look);
  }

  hostUpdated(): void {
    this.#observe(this.shownList()?.box ?? null);
    this.#look();
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.#look);
    this.#observe(null);
    this.#wasShown = false;
  }

  /** Follows the list's box: it gets a size when a popover opens or a container shows, and loses it when hidden. */
  #observe(box: Element | null): void {
    if (box === this.#observed) return;
    this.#observer?.disconnect();
    this.#observed = box;
    this.#boxShown = false;
    if (!box || typeof ResizeObserver === 'undefined') return;
    this.#observer ??= new ResizeObserver((entries) => {
      const entry = entries.at(-1)!;
      const size = entry.borderBoxSize?.[0];
      this.#boxShown = size ? size.inlineSize > 0 || size.blockSize > 0 : entry.contentRect.width > 0 || entry.contentRect.height > 0;
      this.#look();
    });
    this.#observer.observe(box);
  }

  /** Drawn: as the ResizeObserver said, or, in a browser without one, read from the layout. */
  #drawn(box: Element): boolean {
    return typeof ResizeObserver === 'undefined' ? box.getClientRects().length > 0 : box === this.#observed && this.#boxShown;
  }

  #look = (): void => {
    const list = this.shownList();
    const shown = list !== null && document.visibilityState === 'visible' && this.#drawn(list.box);
    if (shown && !this.#wasShown) this.#asked.clear();
    this.#wasShown = shown;
    if (!shown) return;
    const store = this.getStore();
    if (store.view !== 'inbox' || store.state.status !== 'ready') return;
    const ids = list.rows.filter((item) => isUnseen(item) && !this.#asked.has(item.id)).map((item) => item.id);
    if (ids.length === 0) return;
    for (const id of ids) this.#asked.add(id);
    void store.markSeen(ids);
  };
}
