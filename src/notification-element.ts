import { LitElement, type PropertyDeclarations } from 'lit';
import type { Session } from '@supabase/supabase-js';
import { LanguageController } from './controllers/language-controller.js';
import { NotificationStoreController } from './controllers/store-controller.js';
import type { WacrmNotification } from './notification.js';
import type { Transport } from './data/realtime-channel.js';
import type { NotificationStore } from './store/notification-store.js';
import { resolveStrings, type NotificationStrings, type StringOverrides } from './strings.js';

/**
 * What the bell and the panel share: the inputs a page gives them (client, session, store, page
 * size, link, language, strings), the choice of the store they show (NotificationStoreController:
 * the bell provides it, the panel consumes its bell's) and their language (LanguageController). An
 * update waits for the strings of a built-in language that is still loading, so a page in Spanish
 * never flashes English.
 *
 * Reactive properties are declared in `static properties` rather than with decorators: the
 * decorators' helpers cost the CDN file about 0.8 KB gzip (Lit supports both equally).
 */
export abstract class NotificationElement extends LitElement {
  static override properties: PropertyDeclarations = {
    supabase: { attribute: false },
    session: { attribute: false },
    store: { attribute: false },
    pageSize: { type: Number, attribute: 'page-size' },
    hrefTemplate: { attribute: 'href-template' },
    lang: { reflect: true },
    strings: { attribute: false },
    transport: {},
    tabSharing: { attribute: 'tab-sharing' },
  };

  /** A Supabase client (`createClient()`): queries and the realtime subscription go through it. */
  declare supabase: unknown;

  /**
   * The signed-in user's session (`supabase.auth`); `null` shows the signed-out state. Until it is
   * given (undefined) the element waits, showing that it is loading.
   */
  declare session: Session | null | undefined;

  /** A store to show instead of any other (then the element subscribes to nothing). */
  declare store: NotificationStore | undefined;

  /** Notifications per page: the first load and each further page while scrolling. Default 20. */
  declare pageSize: number;

  /** Where a chosen notification leads, e.g. `/inbox?c={conversation_id}`. No navigation when empty. */
  declare hrefTemplate: string;

  /**
   * The language of strings and relative times (BCP 47, e.g. `pt-BR`); when unset, that of the
   * nearest ancestor with `lang` (across shadow roots), else of `<html>`. Followed at run time.
   */
  declare lang: string;

  /** Overrides of any visible string (see NotificationStrings). */
  declare strings: StringOverrides;

  /**
   * How changes reach the browser: `postgres_changes` (the default; migration 027) or `broadcast`
   * (a private per-user topic fed by a database trigger; the broadcast migration), which scales to
   * many more connected users. The list, the count and the catch-up behave the same on both.
   */
  declare transport: Transport;

  /**
   * `on` (default): the tabs of this browser showing the same user and project share one realtime
   * connection — one tab leads and relays to the others (Web Locks and BroadcastChannel; where
   * either is missing, each tab has its own). `off`: this element keeps a connection of its own.
   */
  declare tabSharing: 'on' | 'off';

  protected readonly language = new LanguageController(this);
  protected readonly stores: NotificationStoreController;

  /** `role`: the bell provides the store it shows to what is inside it; the panel consumes one. */
  constructor(role: 'provider' | 'consumer') {
    super();
    this.pageSize = 20;
    this.hrefTemplate = '';
    this.strings = {};
    this.transport = 'postgres_changes';
    this.tabSharing = 'on';
    this.stores = new NotificationStoreController(
      this,
      () => ({
        store: this.store,
        supabase: this.supabase,
        session: this.session,
        pageSize: this.pageSize,
        transport: this.transport,
        tabSharing: this.tabSharing,
      }),
      { provide: role === 'provider', consume: role === 'consumer', onReceive: (notification) => this.received(notification) },
    );
  }

  /** The store this element shows. */
  get activeStore(): NotificationStore {
    return this.stores.activeStore;
  }

  /** A new notification this element reported with `wacrm-receive`. */
  protected received(notification: WacrmNotification): void {
    void notification;
  }

  /** The strings to render, in the element's language, with the page's overrides. */
  protected resolvedStrings(): NotificationStrings {
    return resolveStrings(this.language.value, this.strings);
  }

  protected override scheduleUpdate(): void | Promise<unknown> {
    const loading = this.language.load();
    return loading ? loading.then(() => super.scheduleUpdate()) : super.scheduleUpdate();
  }
}
