import { html, nothing, type PropertyDeclarations, type PropertyValues, type ReactiveElement } from 'lit';
import { PanelToggleEvent } from '../events.js';
import type { WacrmNotification } from '../notification.js';
import { NotificationElement } from '../notification-element.js';
import { notificationText } from '../notification-text.js';
import { notLoaded } from '../on-demand.js';
import { format } from '../strings.js';
import { bellStyles } from '../styles/bell-styles.js';
import { themeStyles } from '../styles/theme.js';

/**
 * A bell button whose badge shows the signed-in user's unread notifications, live. It opens a
 * popover with a <wacrm-notification-panel> (its own, or the one you slot in), shares its store with
 * it through @lit/context, and owns the realtime subscription.
 *
 * @summary The notification bell: a live unread badge and its panel.
 *
 * @slot - A <wacrm-notification-panel> to show when open; one is provided when the slot is empty.
 *
 * @fires wacrm-receive - A new notification arrived: show a toast if you like.
 * @fires wacrm-unread-change - The unread count changed (`unreadCount`, `previousCount`).
 * @fires wacrm-realtime-status-change - The realtime channel's state changed (`status`).
 * @fires wacrm-error - Something went wrong; `error.code` and `error.message` say what to do.
 * @fires wacrm-show - The panel is opening.
 * @fires wacrm-after-show - The panel is open.
 * @fires wacrm-hide - The panel is closing.
 * @fires wacrm-after-hide - The panel is closed.
 * @fires wacrm-notification-select - (from the panel) A notification was chosen; cancelable.
 * @fires wacrm-read - (from the panel) Notifications were marked read.
 *
 * @csspart button - The bell button.
 * @csspart badge - The unread (or, with `badge="unseen"`, unseen) count on the bell.
 * @csspart popover - The floating container of the panel.
 * @csspart panel - The built-in panel (its own parts are exported with the same names).
 *
 * @cssprop --wacrm-badge-background - Badge background.
 * @cssprop --wacrm-badge-color - Badge text.
 * @cssprop --wacrm-panel-width - Popover width (default 24rem, never wider than the viewport).
 * @cssprop --wacrm-panel-max-height - Popover height limit (default 32rem; never taller than the room above or below the bell).
 * @cssprop --wacrm-shadow - Popover shadow.
 * @cssprop --wacrm-radius - Popover corner radius.
 */
export class WacrmNotificationBell extends NotificationElement {
  static override styles = [themeStyles, bellStyles];
  static override properties: PropertyDeclarations = {
    open: { type: Boolean, reflect: true },
    maxCount: { type: Number, attribute: 'max-count' },
    badge: { reflect: true },
    announcement: { state: true },
  };

  /**
   * What the badge counts: `unread` (default) or `unseen` — rows not yet shown in an opened panel,
   * which opening it clears while they stay unread.
   */
  declare badge: 'unread' | 'unseen';

  /** Whether the panel is shown. */
  declare open: boolean;

  /** Counts above this show as "99+". */
  declare maxCount: number;

  /** What the polite live region says: the last arrival. */
  declare private announcement: string;

  constructor() {
    super('provider');
    this.open = false;
    this.maxCount = 99;
    this.badge = 'unread';
    this.announcement = '';
  }

  /**
   * The popover's placement and dismissal (PopoverController) load on demand, so the first load
   * of the page carries less: fetched when the bell first connects, and an update that opens the
   * panel waits for them.
   */
  #popover: Promise<void> | undefined;
  #popoverReady = false;
  #popoverUnavailable = false;

  #loadPopover(): Promise<void> {
    return (this.#popover ??= import('../controllers/popover-controller.js').then(
      ({ PopoverController }) => {
        new PopoverController(
          this,
          () => (this.hasUpdated ? { anchor: this.#button(), popover: this.#popoverElement() } : null),
          () => (this.open = false),
        );
        this.#popoverReady = true;
      },
      (error: unknown) => {
        // A blocked chunk: the panel still opens, where the browser puts a popover by default.
        notLoaded("the bell's popover", 'showing it unplaced', error);
        this.#popoverUnavailable = true;
        this.#popoverReady = true;
      },
    ));
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#loadPopover();
  }

  protected override scheduleUpdate(): void | Promise<unknown> {
    if (this.open && !this.#popoverReady) return this.#loadPopover().then(() => super.scheduleUpdate());
    return super.scheduleUpdate();
  }

  #button = () => this.renderRoot.querySelector<HTMLButtonElement>('[part="button"]')!;
  #popoverElement = () => this.renderRoot.querySelector<HTMLElement>('[part="popover"]')!;

  /** The realtime topic of the bell's own subscription, while subscribed. */
  get channelTopic(): string | null {
    return this.stores.channelTopic;
  }

  /** Opens the panel; resolves once it is shown (after `wacrm-after-show`). */
  async show(): Promise<void> {
    this.open = true;
    await this.updateComplete;
  }

  /** Closes the panel; resolves once it is hidden (after `wacrm-after-hide`). */
  async hide(): Promise<void> {
    this.open = false;
    await this.updateComplete;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // No event for the initial closed state; an initially open bell announces its opening too.
    if (changed.has('open') && (changed.get('open') !== undefined || this.open)) {
      this.dispatchEvent(new PanelToggleEvent(this.open ? 'wacrm-show' : 'wacrm-hide'));
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('open')) return;
    // Without PopoverController (its chunk could not be loaded) the browser shows it unplaced.
    if (this.#popoverUnavailable) this.#popoverElement().togglePopover?.(this.open);
    // Shown or hidden: the panel looks again at what it shows (it marks what the user now sees).
    (this.#panelElement() as Partial<ReactiveElement> | null)?.requestUpdate?.();
    if (this.open) {
      this.#panelElement()?.focus();
      this.dispatchEvent(new PanelToggleEvent('wacrm-after-show'));
    } else if (changed.get('open')) {
      this.dispatchEvent(new PanelToggleEvent('wacrm-after-hide'));
    }
  }

  #panelElement(): HTMLElement | null {
    const slot = this.renderRoot.querySelector('slot');
    const slotted = slot?.assignedElements({ flatten: true })[0] as HTMLElement | undefined;
    return slotted ?? this.renderRoot.querySelector('wacrm-notification-panel');
  }

  /** Announces a new notification politely. */
  protected override received(notification: WacrmNotification): void {
    const strings = this.resolvedStrings();
    const text = format(strings.announceNew, { title: notificationText(notification, strings).title });
    // Cleared first, so that the same words arriving twice are announced twice.
    this.announcement = '';
    requestAnimationFrame(() => (this.announcement = text));
  }

  #onKeydown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && this.open) {
      event.stopPropagation();
      this.open = false;
      this.#button().focus();
    }
  };

  protected override render() {
    const strings = this.resolvedStrings();
    const { unreadCount, unseenCount } = this.activeStore.state;
    const unseen = this.badge === 'unseen';
    const count = unseen ? unseenCount : unreadCount;
    const shown = count > this.maxCount ? `${this.maxCount}+` : String(count);
    const label = count > 0 ? format(unseen ? strings.bellLabelUnseen : strings.bellLabelUnread, { count: shown }) : strings.bellLabel;
    return html`<button
        part="button"
        aria-label=${label}
        aria-haspopup="dialog"
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="popover"
        @click=${() => (this.open = !this.open)}
        @keydown=${this.#onKeydown}
      >
        <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
          <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9"></path>
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"></path>
        </svg>
        ${count > 0 ? html`<span part="badge" aria-hidden="true">${shown}</span>` : nothing}
      </button>
      <div id="popover" part="popover" popover="manual" role="dialog" aria-label=${strings.panelLabel} @keydown=${this.#onKeydown}>
        <slot>
          <wacrm-notification-panel
            part="panel"
            exportparts="base, header, heading, filter, filter-option, mark-all, archive-read, settings-button, list, row, item, item--unread, title, body, time, archive, restore, empty, loading, error, signed-out, retry, settings, preference, back"
            page-size=${this.pageSize}
            href-template=${this.hrefTemplate}
            .strings=${this.strings}
          ></wacrm-notification-panel>
        </slot>
      </div>
      <div class="visually-hidden" role="status" aria-live="polite">${this.announcement}</div>`;
  }
}
