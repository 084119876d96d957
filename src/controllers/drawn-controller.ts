import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Whether an element's box is drawn for the user: the page visible and the box laid out (not in a
 * closed popover, not under `display: none`). A ResizeObserver says when the box gets or loses its
 * size, so reading `drawn` never forces a layout; the host updates whenever `drawn` or `laidOut`
 * changes (a popover opening or closing, a container shown or hidden, the tab hidden or shown again).
 */
export class DrawnController implements ReactiveController {
  #observer: ResizeObserver | null = null;
  #observed: Element | null = null;
  /** The observed box has a size, as the ResizeObserver last said. */
  #sized = false;
  /** `laidOut` and `drawn` when the host last heard of them. */
  #last = '';

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly getBox: () => Element | null,
  ) {
    host.addController(this);
  }

  /** True while the box is laid out on a visible page, as the ResizeObserver last said (no layout read). */
  get drawn(): boolean {
    return document.visibilityState === 'visible' && this.laidOut;
  }

  /** True while the box is laid out, whether or not the page is visible, as the ResizeObserver last said. */
  get laidOut(): boolean {
    const box = this.#observed;
    if (!box) return false;
    // A browser without ResizeObserver: read from the layout.
    return typeof ResizeObserver === 'undefined' ? box.getClientRects().length > 0 : this.#sized;
  }

  /**
   * Whether the box is drawn at this moment, read from the page's style and layout (which it may
   * bring up to date): for a decision the user would notice, such as marking rows seen. The
   * observer's word comes a frame late — a popover closed in this task is still "drawn" to it.
   */
  drawnNow(): boolean {
    const box = this.getBox();
    if (!box || document.visibilityState !== 'visible') return false;
    return typeof box.checkVisibility === 'function' ? box.checkVisibility() : box.getClientRects().length > 0;
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.#changed);
  }

  hostUpdated(): void {
    this.#observe(this.getBox());
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.#changed);
    this.#observe(null);
  }

  #observe(box: Element | null): void {
    if (box === this.#observed) return;
    this.#observer?.disconnect();
    this.#observed = box;
    this.#sized = false;
    if (!box || typeof ResizeObserver === 'undefined') return;
    this.#observer ??= new ResizeObserver((entries) => {
      const entry = entries.at(-1)!;
      const size = entry.borderBoxSize?.[0];
      this.#sized = size ? size.inlineSize > 0 || size.blockSize > 0 : entry.contentRect.width > 0 || entry.contentRect.height > 0;
      this.#changed();
    });
    this.#observer.observe(box);
  }

  #changed = (): void => {
    const now = `${this.laidOut} ${this.drawn}`;
    if (now === this.#last) return;
    this.#last = now;
    this.host.requestUpdate();
  };
}
