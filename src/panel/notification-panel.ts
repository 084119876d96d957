import { LitElement, html, nothing } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Session } from '@supabase/supabase-js';
import '@github/relative-time-element';
import { LanguageController } from '../controllers/language-controller.js';
import { SentinelController } from '../controllers/sentinel-controller.js';
import { NotificationStoreController } from '../controllers/store-controller.js';
import { NotificationReadEvent, NotificationSelectEvent } from '../events.js';
import { isUnread, type WacrmNotification } from '../notification.js';
import type { NotificationStore } from '../store/notification-store.js';
import { resolveStrings, type NotificationStrings, type StringOverrides } from '../strings.js';
import { panelStyles } from '../styles/panel-styles.js';
import { themeStyles } from '../styles/theme.js';

export type NotificationFilter = 'all' | 'unread';

/** `{conversation_id}`, `{id}`, `{contact_id}`… replaced with the notification's (URL-encoded) values. */
export function expandHref(template: string, notification: WacrmNotification): string {
  return template.replace(/\{(\w+)\}/g, (match, field: string) => {
    const value = (notification as unknown as Record<string, unknown>)[field];
    return value === null || value === undefined ? '' : encodeURIComponent(String(value));
  });
}

/**
 * The list of a user's notifications, newest first: title, body and a ticking relative time; a
 * click (or Enter/Space) marks one read. Inside a <wacrm-notification-bell> (or below any provider
 * of the store context) it shows the bell's store; used alone, as a full-page list, it owns one.
 *
 * @summary The notification list: live, exact, accessible.
 *
 * @fires wacrm-notification-select - A notification was chosen (cancelable: prevents navigation).
 * @fires wacrm-read - Notifications were marked read (`ids`, or null for all).
 * @fires wacrm-receive - A new notification arrived (unless its store comes from a bell, which reports it).
 * @fires wacrm-unread-change - The unread count changed (unless its store comes from a bell, which reports it).
 * @fires wacrm-realtime-status-change - The realtime channel's state changed (unless its store comes from a bell).
 * @fires wacrm-error - Something went wrong; `error.code` and `error.message` say what to do.
 *
 * @csspart base - The wrapper of everything.
 * @csspart header - The heading row with the filter and "mark all as read".
 * @csspart heading - The heading text.
 * @csspart filter - The all/unread switch.
 * @csspart filter-option - A button of the switch; also `filter-option--all` or `filter-option--unread`.
 * @csspart mark-all - The "mark all as read" button.
 * @csspart list - The scrolling list.
 * @csspart item - One notification (a button); `item--unread` while unread.
 * @csspart title - A notification's title.
 * @csspart body - A notification's short text.
 * @csspart time - Its relative time (a <relative-time> element).
 * @csspart empty - Shown when there is nothing to list.
 * @csspart loading - Shown while the first page loads, and while more load.
 * @csspart error - A problem, with what to do about it.
 * @csspart retry - The "try again" button of a failed load.
 * @csspart signed-out - Shown without a session.
 *
 * @cssprop --wacrm-accent-color - Links, the unread dot, focus rings.
 * @cssprop --wacrm-background - Panel background.
 * @cssprop --wacrm-color - Text color.
 * @cssprop --wacrm-muted-color - Secondary text.
 * @cssprop --wacrm-border-color - Separators.
 * @cssprop --wacrm-unread-background - Background of unread items.
 * @cssprop --wacrm-hover-background - Background of a hovered item.
 * @cssprop --wacrm-error-color - Error text.
 * @cssprop --wacrm-font-family - Font.
 * @cssprop --wacrm-focus-ring - The focus outline (default 2px solid the accent color).
 */
export class WacrmNotificationPanel extends LitElement {
  static override styles = [themeStyles, panelStyles];

  /** A Supabase client (createClient()). Needed only when the panel owns its store. */
  @property({ attribute: false }) supabase: unknown;

  /** The signed-in user's session (supabase.auth), or null when signed out. */
  @property({ attribute: false }) session: Session | null | undefined;

  /** A store to show instead of the one from context (or the panel's own). */
  @property({ attribute: false }) store: NotificationStore | undefined;

  /** Which notifications to list. */
  @property({ reflect: true }) filter: NotificationFilter = 'all';

  /** Notifications per page (first load and each further page while scrolling). */
  @property({ type: Number, attribute: 'page-size' }) pageSize = 20;

  /** Where a chosen notification leads, e.g. `/inbox?c={conversation_id}`. No navigation when empty. */
  @property({ attribute: 'href-template' }) hrefTemplate = '';

  /**
   * The language of strings and relative times (BCP 47, e.g. `pt-BR`); when unset, the nearest
   * `lang` above the element. Declared so that changing it re-renders.
   */
  @property({ reflect: true }) override lang!: string;

  /** Overrides of any visible string (see NotificationStrings). */
  @property({ attribute: false }) strings: StringOverrides = {};

  /** The roving tab stop: by notification, so a new arrival does not move it to another item. */
  @state() private focusId: string | null = null;
  /** Where the tab stop was, for when its notification leaves the list (read under "unread"). */
  @state() private focusIndex = 0;
  @query('[part="list"]') private listElement?: HTMLElement;
  @query('.sentinel') private sentinel?: HTMLElement;

  readonly #stores = new NotificationStoreController(
    this,
    () => ({ store: this.store, supabase: this.supabase, session: this.session, pageSize: this.pageSize }),
    { consume: true },
  );
  readonly #language = new LanguageController(this);
  /** Focus was inside the panel when this update began. */
  #hadFocus = false;

  constructor() {
    super();
    new SentinelController(
      this,
      () => (this.listElement && this.sentinel ? { root: this.listElement, target: this.sentinel } : null),
      () => void this.activeStore.loadMore(),
    );
  }

  /** The store this panel shows: `.store`, else the one its bell (any provider above it) shares, else its own. */
  get activeStore(): NotificationStore {
    return this.#stores.activeStore;
  }

  /** True when this panel owns its store and subscription (used alone). */
  get ownsStore(): boolean {
    return this.#stores.ownsStore;
  }

  protected override willUpdate(): void {
    this.#hadFocus = Boolean(this.shadowRoot?.activeElement);
  }

  protected override updated(): void {
    this.#keepFocus();
  }

  /**
   * A keyboard user is never dropped onto <body>: when the focused item leaves the list (read under
   * the unread filter) or the focused button becomes disabled ("mark all as read"), focus moves to
   * the item now in its place, else the panel's first control.
   */
  #keepFocus(): void {
    if (!this.#hadFocus) return;
    const active = this.shadowRoot?.activeElement;
    if (!active || active.matches(':disabled')) this.focus();
  }

  #resolvedStrings(): NotificationStrings {
    return resolveStrings(this.#language.value, this.strings);
  }

  #visibleItems(): readonly WacrmNotification[] {
    const { items } = this.activeStore.state;
    return this.filter === 'unread' ? items.filter(isUnread) : items;
  }

  async #choose(notification: WacrmNotification): Promise<void> {
    const store = this.activeStore;
    const select = new NotificationSelectEvent(notification);
    const wasUnread = isUnread(notification);
    const marking = wasUnread ? store.markRead(notification.id) : Promise.resolve(true);
    this.dispatchEvent(select);
    if (!select.defaultPrevented && this.hrefTemplate) {
      window.location.assign(expandHref(this.hrefTemplate, notification));
    }
    if (wasUnread && (await marking)) this.dispatchEvent(new NotificationReadEvent([notification.id]));
  }

  async #markAll(): Promise<void> {
    if (await this.activeStore.markAllRead()) this.dispatchEvent(new NotificationReadEvent(null));
  }

  #onListKeydown(event: KeyboardEvent): void {
    const buttons = [...(this.listElement?.querySelectorAll<HTMLButtonElement>('[part~="item"]') ?? [])];
    if (buttons.length === 0) return;
    const current = Math.max(0, buttons.indexOf(this.shadowRoot?.activeElement as HTMLButtonElement));
    const next =
      event.key === 'ArrowDown' ? Math.min(buttons.length - 1, current + 1)
      : event.key === 'ArrowUp' ? Math.max(0, current - 1)
      : event.key === 'Home' ? 0
      : event.key === 'End' ? buttons.length - 1
      : -1;
    if (next < 0) return;
    event.preventDefault();
    this.focusIndex = next;
    this.focusId = buttons[next]?.dataset.id ?? null;
    buttons[next]?.focus();
  }

  /** Moves focus to the first notification (or the panel's first control when there is none). */
  override focus(options?: FocusOptions): void {
    const target =
      this.renderRoot.querySelector<HTMLElement>(`[part~="item"][tabindex="0"]`) ??
      this.renderRoot.querySelector<HTMLElement>('button:not([disabled])');
    if (target) target.focus(options);
    else super.focus(options);
  }

  protected override render() {
    const strings = this.#resolvedStrings();
    const { state } = this.activeStore;
    return html`<div part="base">
      <div part="header">
        <h2 part="heading" id="heading">${strings.heading}</h2>
        <div part="filter" role="group" aria-label=${strings.filterLabel}>
          ${(['all', 'unread'] as const).map(
            (filter) => html`<button
              part="filter-option filter-option--${filter}"
              aria-pressed=${this.filter === filter ? 'true' : 'false'}
              @click=${() => (this.filter = filter)}
            >
              ${filter === 'all' ? strings.filterAll : strings.filterUnread}
            </button>`,
          )}
        </div>
        <button part="mark-all" ?disabled=${state.status !== 'ready' || state.unreadCount === 0} @click=${() => this.#markAll()}>
          ${strings.markAllRead}
        </button>
      </div>
      ${this.#renderBody(strings)}
    </div>`;
  }

  #renderBody(strings: NotificationStrings) {
    const store = this.activeStore;
    const { state } = store;
    const problem = state.error
      ? html`<div part="error" role="alert">
          ${strings.errors[state.error.code]}
          ${state.status === 'error' && !['no-client', 'invalid-client'].includes(state.error.code)
            ? html`<div><button part="retry" @click=${() => void store.sync()}>${strings.retry}</button></div>`
            : nothing}
        </div>`
      : nothing;
    if (state.status === 'signed-out') {
      return state.error ? problem : html`<div part="signed-out" role="status">${strings.signedOut}</div>`;
    }
    if (state.status === 'error') return problem;
    // Idle: still waiting for a client or for the host to know the session — not signed out.
    if (state.status === 'loading' || state.status === 'idle') {
      return html`<div part="loading" role="status">${strings.loading}</div>`;
    }
    const items = this.#visibleItems();
    const byId = this.focusId ? items.findIndex((item) => item.id === this.focusId) : -1;
    const focusIndex = byId >= 0 ? byId : Math.min(this.focusIndex, Math.max(0, items.length - 1));
    const lang = this.#language.value;
    return html`${problem}
      ${items.length === 0 && !state.hasMore
        ? html`<div part="empty" role="status">${this.filter === 'unread' ? strings.emptyUnread : strings.empty}</div>`
        : nothing}
      <ul part="list" aria-labelledby="heading" @keydown=${this.#onListKeydown} ?hidden=${items.length === 0 && !state.hasMore}>
        ${repeat(
          items,
          (item) => item.id,
          (item, index) => html`<li>
            <button
              part=${isUnread(item) ? 'item item--unread' : 'item'}
              tabindex=${index === focusIndex ? '0' : '-1'}
              data-id=${item.id}
              @click=${() => this.#choose(item)}
              @focus=${() => {
                this.focusIndex = index;
                this.focusId = item.id;
              }}
            >
              <span class="dot" aria-hidden="true"></span>
              <span part="title">${item.title}${isUnread(item) ? html`<span class="visually-hidden">, ${strings.unreadItem}</span>` : nothing}</span>
              ${item.body ? html`<span part="body">${item.body}</span>` : nothing}
              <relative-time part="time" datetime=${item.created_at.replace(' ', 'T')} lang=${lang} format="relative" tense="past"></relative-time>
            </button>
          </li>`,
        )}
        ${state.hasMore
          ? html`<li class="sentinel" aria-hidden="true"></li>
              ${state.loadingMore
                ? html`<li><span part="loading" role="status">${strings.loadingMore}</span></li>`
                : nothing}`
          : nothing}
      </ul>`;
  }
}
