import type { ReactiveController, ReactiveElement } from 'lit';

const VIEWPORT_MARGIN = 8;
const ANCHOR_GAP = 4;
/** The room on the popover's side of its anchor, set on the popover; bell-styles.ts caps its height with it. */
const AVAILABLE_HEIGHT = '--_available-height';

export interface PopoverParts {
  /** What the popover opens from (the bell button). */
  anchor: HTMLElement;
  /** The `popover="manual"` element. */
  popover: HTMLElement;
}

type Host = ReactiveElement & { open: boolean };

/**
 * Shows the host's popover while `host.open` is true, placed beside its anchor inside the viewport,
 * and closes it (through `onDismiss`) on a pointer down outside the host. Follows the host's
 * lifecycle: the browser hides a popover whose element leaves the document, so a host put back
 * while open shows it again; the window and document listeners and the resize observer exist only
 * while the popover is shown and the host connected.
 */
export class PopoverController implements ReactiveController {
  #shown = false;
  #resizeObserver: ResizeObserver | undefined;
  #side: 'below' | 'above' = 'below';
  #frame = 0;

  constructor(
    private readonly host: Host,
    private readonly getParts: () => PopoverParts | null,
    private readonly onDismiss: () => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    // Re-shown after the host's next update when it comes back open.
    if (this.host.hasUpdated && this.host.open) this.host.requestUpdate();
  }

  hostUpdated(): void {
    const parts = this.getParts();
    if (!parts) return;
    const wanted = this.host.open && this.host.isConnected;
    const shown = isShown(parts.popover) ?? this.#shown;
    if (wanted && !shown) {
      parts.popover.showPopover?.();
      this.#place(parts);
    }
    if (!wanted && shown) parts.popover.hidePopover?.();
    this.#listen(wanted, parts);
  }

  hostDisconnected(): void {
    this.#listen(false, null);
  }

  #listen(on: boolean, parts: PopoverParts | null): void {
    if (on === this.#shown) return;
    this.#shown = on;
    if (on) {
      document.addEventListener('pointerdown', this.#onOutsidePointer, true);
      window.addEventListener('resize', this.#onResize);
      // The popover is fixed to the viewport; the anchor moves when anything around it scrolls.
      window.addEventListener('scroll', this.#onResize, { capture: true, passive: true });
      this.#resizeObserver ??= new ResizeObserver(this.#onPopoverResize);
      if (parts) this.#resizeObserver.observe(parts.popover);
    } else {
      document.removeEventListener('pointerdown', this.#onOutsidePointer, true);
      window.removeEventListener('resize', this.#onResize);
      window.removeEventListener('scroll', this.#onResize, { capture: true });
      this.#resizeObserver?.disconnect();
      cancelAnimationFrame(this.#frame);
    }
  }

  #onOutsidePointer = (event: PointerEvent) => {
    if (!event.composedPath().includes(this.host)) this.onDismiss();
  };

  #onResize = () => {
    const parts = this.getParts();
    if (parts && this.host.open) this.#place(parts);
  };

  /**
   * Its content grew or shrank. Kept beside the anchor at once, before the frame is painted, on the
   * same side and with the same limit: a size changed while ResizeObserver delivers is an error
   * ("ResizeObserver loop completed"). Which side, and how tall, is decided afresh in the next frame.
   */
  #onPopoverResize = () => {
    const parts = this.getParts();
    if (!parts || !this.host.open) return;
    this.#place(parts, { keepSide: true });
    cancelAnimationFrame(this.#frame);
    this.#frame = requestAnimationFrame(this.#onResize);
  };

  /**
   * Below the anchor, else above it, never over it: when it fits on neither side, on the side with
   * more room. Its height is always capped at the room on its side, so content that grows later
   * cannot cover the anchor or leave the viewport; the panel's list scrolls inside. Horizontally
   * inside the viewport: rightwards from the anchor when that fits (a bell in a sidebar), else
   * leftwards from its right edge (a bell at the end of a header).
   */
  #place({ anchor, popover }: PopoverParts, { keepSide = false } = {}): void {
    const from = anchor.getBoundingClientRect();
    const below = from.bottom + ANCHOR_GAP;
    const room = {
      below: Math.max(0, window.innerHeight - VIEWPORT_MARGIN - below),
      above: Math.max(0, from.top - ANCHOR_GAP - VIEWPORT_MARGIN),
    };
    if (!keepSide) {
      // Measured as tall as the larger room allows: that is its final height whichever side it
      // takes, so no layout in between clamps the list's scroll position.
      const larger = room.below >= room.above ? 'below' : 'above';
      popover.style.setProperty(AVAILABLE_HEIGHT, `${room[larger]}px`);
      const height = popover.getBoundingClientRect().height;
      this.#side = height <= room.below ? 'below' : height <= room.above ? 'above' : larger;
      popover.style.setProperty(AVAILABLE_HEIGHT, `${room[this.#side]}px`);
    }
    const panel = popover.getBoundingClientRect();
    const maxLeft = window.innerWidth - panel.width - VIEWPORT_MARGIN;
    const fitsRightwards = from.left + panel.width <= window.innerWidth - VIEWPORT_MARGIN;
    const preferred = fitsRightwards ? from.left : from.right - panel.width;
    const left = Math.max(VIEWPORT_MARGIN, Math.min(preferred, maxLeft));
    const top = this.#side === 'below' ? below : from.top - ANCHOR_GAP - panel.height;
    popover.style.left = `${left}px`;
    popover.style.top = `${top}px`;
  }
}

/** Whether a popover is showing; undefined in a browser without the Popover API. */
function isShown(popover: HTMLElement): boolean | undefined {
  return typeof popover.showPopover === 'function' ? popover.matches(':popover-open') : undefined;
}
