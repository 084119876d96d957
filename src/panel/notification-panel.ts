import { html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { keyed } from 'lit/directives/keyed.js';
import { repeat } from 'lit/directives/repeat.js';
import { DrawnController } from '../controllers/drawn-controller.js';
import { SeenController } from '../controllers/seen-controller.js';
import { SentinelController } from '../controllers/sentinel-controller.js';
import { NotificationArchiveEvent, NotificationReadEvent, NotificationSelectEvent } from '../events.js';
import { isUnread, type WacrmNotification } from '../notification.js';
import { NotificationElement } from '../notification-element.js';
import { notificationText } from '../notification-text.js';
import { defineRelativeTime, notLoaded } from '../on-demand.js';
import type { NotificationStore } from '../store/notification-store.js';
import type { NotificationStrings } from '../strings.js';
import type { SettingsView } from './settings-view.js';
import { panelStyles } from '../styles/panel-styles.js';
import { themeStyles } from '../styles/theme.js';

/** `archived` lists the archive (loaded when first shown) instead of the inbox. */
export type NotificationFilter = 'all' | 'unread' | 'archived';

/** `{conversation_id}`, `{id}`, `{contact_id}`… replaced with the notification's (URL-encoded) values. */
export function expandHref(template: string, notification: WacrmNotification): string {
  return template.replace(/\{(\w+)\}/g, (match, field: string) => {
    const value = (notification as unknown as Record<string, unknown>)[field];
    // Text columns (ids, type, times) go in; null, an unknown name or `data` (an object) give ''.
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? encodeURIComponent(value) : '';
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
 * @fires wacrm-archive - Notifications were archived (`ids`, or null for every read one) or restored (`restored: true`).
 * @fires wacrm-receive - A new notification arrived (unless its store comes from a bell, which reports it).
 * @fires wacrm-unread-change - The unread count changed (unless its store comes from a bell, which reports it).
 * @fires wacrm-realtime-status-change - The realtime channel's state changed (unless its store comes from a bell).
 * @fires wacrm-error - Something went wrong; `error.code` and `error.message` say what to do.
 *
 * @csspart base - The wrapper of everything.
 * @csspart header - The heading row with the filter and "mark all as read".
 * @csspart heading - The heading text.
 * @csspart filter - The all/unread switch.
 * @csspart filter-option - A button of the switch; also `filter-option--all`, `filter-option--unread` or `filter-option--archived`.
 * @csspart mark-all - The "mark all as read" button.
 * @csspart archive-read - The "archive read" button.
 * @csspart settings-button - Opens (and closes) the settings view.
 * @csspart list - The scrolling list.
 * @csspart row - One list entry: the notification and its archive (or restore) button.
 * @csspart item - One notification (a button); `item--unread` while unread.
 * @csspart archive - A notification's archive button.
 * @csspart restore - An archived notification's restore button.
 * @csspart settings - The settings view (loaded on demand): one switch per type.
 * @csspart preference - A type's switch and its label.
 * @csspart back - The settings view's button back to the list.
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
export class WacrmNotificationPanel extends NotificationElement {
  static override styles = [themeStyles, panelStyles];
  static override properties: PropertyDeclarations = {
    filter: { reflect: true },
    focusId: { state: true },
    focusIndex: { state: true },
    settingsOpen: { state: true },
  };

  /** Whether the settings view is shown instead of the list. */
  declare private settingsOpen: boolean;
  /** The settings view, loaded on first use (its own chunk). */
  #settings: Promise<SettingsView | null> | undefined;
  #settingsView: SettingsView | null = null;
  #settingsFailed = false;
  /**
   * The user each archive store was asked to load for: it loads once, then follows changes, until
   * the store is reset (then the inbox loads again, and so must the archive).
   */
  readonly #archiveLoadedFor = new WeakMap<NotificationStore, string | null>();

  /** Which notifications to list. */
  declare filter: NotificationFilter;

  /** The roving tab stop: by notification, so a new arrival does not move it to another item. */
  declare private focusId: string | null;
  /** Where the tab stop was, for when its notification leaves the list (read under "unread"). */
  declare private focusIndex: number;

  /** Focus was inside the panel when this update began. */
  #hadFocus = false;

  /** Whether the user can see this panel: laid out (a bell's popover open) on a visible page. */
  readonly #drawn: DrawnController;

  /** Bumped to render the list's rows afresh (see #listNeedsRebuild). */
  #listBuild = 0;

  constructor() {
    super('consumer');
    this.filter = 'all';
    this.focusId = null;
    this.focusIndex = 0;
    this.settingsOpen = false;
    // What the user can see of the inbox is seen: in a bell's open popover or on its own.
    this.#drawn = new DrawnController(this, () => this.renderRoot.querySelector('[part="base"]'));
    new SeenController(
      this,
      () => this.activeStore,
      () => (this.filter !== 'archived' && !this.settingsOpen ? this.#visibleItems() : null),
      () => this.#drawn.drawnNow(),
    );
    new SentinelController(
      this,
      () => {
        const root = this.#list();
        const target = this.renderRoot.querySelector<HTMLElement>('.sentinel');
        return root && target ? { root, target } : null;
      },
      () => void this.#listStore().loadMore(),
    );
  }

  #list = () => this.renderRoot.querySelector<HTMLElement>('[part="list"]');

  override connectedCallback(): void {
    super.connectedCallback();
    defineRelativeTime();
  }

  /** True when this panel owns its store and subscription (used alone, not inside a bell). */
  get ownsStore(): boolean {
    return this.stores.ownsStore;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.#hadFocus = Boolean(this.shadowRoot?.activeElement);
    if (changed.has('filter')) this.focusIndex = 0;
    if (this.filter === 'archived') this.#loadArchive();
  }

  /** The store whose list is shown: the inbox's, or under the "archived" filter its archive's. */
  #listStore(): NotificationStore {
    return this.filter === 'archived' ? this.activeStore.archived : this.activeStore;
  }

  #loadArchive(): void {
    const inbox = this.activeStore;
    const archive = inbox.archived;
    if (inbox.state.status !== 'ready') {
      // A first load: the store was reset (another user, or the same one signed in again after
      // their session expired), and its archive with it. Ask again once the inbox is loaded.
      this.#archiveLoadedFor.delete(archive);
      return;
    }
    if (this.#archiveLoadedFor.has(archive) && this.#archiveLoadedFor.get(archive) === archive.state.userId) return;
    this.#archiveLoadedFor.set(archive, archive.state.userId);
    void archive.sync();
  }

  /**
   * Opens the settings view (its module loads the first time) and moves focus into it, or closes
   * it and puts focus back on the settings button.
   */
  async #toggleSettings(): Promise<void> {
    this.settingsOpen = !this.settingsOpen;
    if (!this.settingsOpen) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[part="settings-button"]')?.focus();
      return;
    }
    this.#settings ??= import('./settings-view.js').then(
      ({ SettingsView }) => (this.#settingsView = new SettingsView(this, () => this.activeStore)),
      (error: unknown) => {
        notLoaded('the settings view', 'settings cannot be shown', error);
        this.#settingsFailed = true;
        return null;
      },
    );
    const view = await this.#settings;
    this.requestUpdate();
    await view?.load();
    await this.updateComplete;
    if (!this.settingsOpen) return;
    const target =
      this.renderRoot.querySelector<HTMLElement>('[part="settings"] input') ?? this.renderRoot.querySelector<HTMLElement>('[part="back"]');
    target?.focus();
  }

  #renderSettings(strings: NotificationStrings) {
    if (this.#settingsView) return this.#settingsView.render(strings, () => void this.#toggleSettings());
    // Its module could not be fetched (a blocked CDN chunk): say so rather than load forever.
    if (this.#settingsFailed) return html`<div part="error" role="alert">${strings.errors.network}</div>`;
    return html`<div part="loading" role="status">${strings.settingsLoading}</div>`;
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

  #visibleItems(): readonly WacrmNotification[] {
    const { items } = this.#listStore().state;
    return this.filter === 'unread' ? items.filter(isUnread) : items;
  }

  async #archive(notification: WacrmNotification): Promise<void> {
    const store = this.activeStore;
    const done = this.filter === 'archived' ? store.unarchive(notification.id) : store.archive(notification.id);
    if (await done) this.dispatchEvent(new NotificationArchiveEvent([notification.id], this.filter === 'archived'));
  }

  async #archiveRead(): Promise<void> {
    if (await this.activeStore.archiveRead()) this.dispatchEvent(new NotificationArchiveEvent(null, false));
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

  /** The tab stop follows focus (by id; its index is read now, as rows may have arrived above it). */
  #focused(item: WacrmNotification): void {
    this.focusId = item.id;
    this.focusIndex = Math.max(0, this.#visibleItems().findIndex((candidate) => candidate.id === item.id));
  }

  #onListKeydown(event: KeyboardEvent): void {
    const buttons = [...(this.#list()?.querySelectorAll<HTMLButtonElement>('[part~="item"]') ?? [])];
    if (buttons.length === 0) return;
    // From a row's archive button too: the row's notification is where we are.
    const active = this.shadowRoot?.activeElement?.closest('li')?.querySelector<HTMLButtonElement>('[part~="item"]');
    const current = Math.max(0, buttons.indexOf(active as HTMLButtonElement));
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
    const strings = this.resolvedStrings();
    const { state } = this.activeStore;
    const inbox = this.filter !== 'archived';
    const filters = { all: strings.filterAll, unread: strings.filterUnread, archived: strings.filterArchived };
    return html`<div part="base">
      <div part="header">
        <h2 part="heading" id="heading">${strings.heading}</h2>
        <div part="filter" role="group" aria-label=${strings.filterLabel}>
          ${(['all', 'unread', 'archived'] as const).map(
            (filter) => html`<button
              part="filter-option filter-option--${filter}"
              aria-pressed=${this.filter === filter && !this.settingsOpen ? 'true' : 'false'}
              @click=${() => {
                this.filter = filter;
                this.settingsOpen = false;
              }}
            >
              ${filters[filter]}
            </button>`,
          )}
        </div>
        ${inbox
          ? html`<button part="mark-all" ?disabled=${state.status !== 'ready' || state.unreadCount === 0} @click=${() => this.#markAll()}>
                ${strings.markAllRead}
              </button>
              <button
                part="archive-read"
                ?disabled=${state.status !== 'ready' || (!state.hasMore && !state.items.some((item) => !isUnread(item)))}
                @click=${() => this.#archiveRead()}
              >
                ${strings.archiveRead}
              </button>`
          : nothing}
        <button part="settings-button" ?disabled=${state.status !== 'ready'} aria-label=${strings.settings} aria-expanded=${this.settingsOpen ? 'true' : 'false'} @click=${() => this.#toggleSettings()}>
          <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
            <circle cx="12" cy="12" r="3"></circle>
            <path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1 7 17M17 7l2.1-2.1"></path>
          </svg>
        </button>
      </div>
      ${this.settingsOpen
        ? this.#renderSettings(strings)
        : this.#renderBody(strings)}
    </div>`;
  }

  /**
   * Whether to render the list's rows afresh, which drops the empty comments lit-html 3.3.1–3.3.3
   * leaves in the list for every row repeat() removes (lit/lit#5298): a bell open all day, its rows
   * archived as they come, would otherwise keep one per notification. Each row listed has two
   * comments of its own; once the others outnumber the rows (and 100) they go, while the panel is
   * not laid out (a closed bell: it updates as it closes) or lists nothing, so that no one's scroll
   * position or focus moves.
   */
  #listNeedsRebuild(rows: number): boolean {
    const list = this.#list();
    if (!list) return false;
    let comments = 0;
    for (let node = list.firstChild; node; node = node.nextSibling) if (node.nodeType === Node.COMMENT_NODE) comments++;
    const stray = comments - 2 * list.querySelectorAll(':scope > [part="row"]').length;
    return stray > Math.max(100, rows) && (rows === 0 || !this.#drawn.laidOut);
  }

  #renderBody(strings: NotificationStrings) {
    const store = this.#listStore();
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
    if (this.#listNeedsRebuild(items.length)) this.#listBuild++;
    const byId = this.focusId ? items.findIndex((item) => item.id === this.focusId) : -1;
    const focusIndex = byId >= 0 ? byId : Math.min(this.focusIndex, Math.max(0, items.length - 1));
    const lang = this.language.value;
    return html`${problem}
      ${items.length === 0 && !state.hasMore
        ? html`<div part="empty" role="status">
            ${this.filter === 'unread' ? strings.emptyUnread : this.filter === 'archived' ? strings.emptyArchived : strings.empty}
          </div>`
        : nothing}
      <ul part="list" aria-labelledby="heading" @keydown=${this.#onListKeydown} ?hidden=${items.length === 0 && !state.hasMore}>
        ${keyed(this.#listBuild, repeat(
          items,
          (item) => item.id,
          // A row is rendered again only when what it shows changed: a burst of arrivals re-renders
          // the list once per arrival, and a thousand rows would each be worded again every time.
          (item, index) => guard([item, index === focusIndex, strings, lang, this.filter === 'archived'], () => {
            const { title, body } = notificationText(item, strings);
            const archived = this.filter === 'archived';
            return html`<li part="row">
              <button
                part=${isUnread(item) ? 'item item--unread' : 'item'}
                tabindex=${index === focusIndex ? '0' : '-1'}
                data-id=${item.id}
                @click=${() => this.#choose(item)}
                @focus=${() => this.#focused(item)}
              >
                <span class="dot" aria-hidden="true"></span>
                <span part="title">${title}${isUnread(item) ? html`<span class="visually-hidden">, ${strings.unreadItem}</span>` : nothing}</span>
                ${body ? html`<span part="body">${body}</span>` : nothing}
                <relative-time part="time" datetime=${item.created_at.replace(' ', 'T')} lang=${lang} format="relative" tense="past"></relative-time>
              </button>
              <button
                part=${archived ? 'restore' : 'archive'}
                class="action"
                tabindex=${index === focusIndex ? '0' : '-1'}
                aria-label="${archived ? strings.restore : strings.archive}: ${title}"
                title=${archived ? strings.restore : strings.archive}
                @click=${() => this.#archive(item)}
              >
                <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
                  ${archived ? html`<path d="M3 12a9 9 0 1 0 3-6.7L3 8M3 3v5h5"></path>` : html`<path d="M3 4h18v4H3zM5 8v12h14V8M10 12h4"></path>`}
                </svg>
              </button>
            </li>`;
          }),
        ))}
        ${state.hasMore
          ? html`<li class="sentinel" aria-hidden="true"></li>
              ${state.loadingMore
                ? html`<li><span part="loading" role="status">${strings.loadingMore}</span></li>`
                : nothing}`
          : nothing}
      </ul>`;
  }
}
