// The two elements with the pure-HTML drop-in (see supabase-drop-in.ts): the same classes, plus
// three attributes. Registered under the usual tag names by the all-in-one build only.
import type { PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { WacrmNotificationBell } from '../bell/notification-bell.js';
import { WacrmNotificationPanel } from '../panel/notification-panel.js';
import { SupabaseDropIn } from './supabase-drop-in.js';

/**
 * <wacrm-notification-bell> of the all-in-one build: give it `supabase-url` and `supabase-key` and
 * it makes its own client and follows the session the host app keeps on this origin.
 *
 * @summary The notification bell, with a client of its own from attributes.
 */
export class WacrmDropInNotificationBell extends WacrmNotificationBell {
  /** The project URL (`https://<project-ref>.supabase.co`): with `supabase-key`, the bell makes its own client. */
  @property({ attribute: 'supabase-url' }) supabaseUrl: string | undefined;

  /** The project's anon (publishable) key. */
  @property({ attribute: 'supabase-key' }) supabaseKey: string | undefined;

  /** Where the host's supabase-js keeps its session, when it set `auth.storageKey` (default `sb-<project-ref>-auth-token`). */
  @property({ attribute: 'supabase-storage-key' }) supabaseStorageKey: string | undefined;

  readonly #dropIn = new SupabaseDropIn(this);

  override connectedCallback(): void {
    this.#dropIn.apply();
    super.connectedCallback();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#dropIn.release();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.#dropIn.apply();
    super.willUpdate(changed);
  }
}

/**
 * <wacrm-notification-panel> of the all-in-one build; the attributes matter only when the panel is
 * used alone (inside a bell it shows the bell's store).
 *
 * @summary The notification list, with a client of its own from attributes.
 */
export class WacrmDropInNotificationPanel extends WacrmNotificationPanel {
  /** The project URL: with `supabase-key`, a panel used alone makes its own client. */
  @property({ attribute: 'supabase-url' }) supabaseUrl: string | undefined;

  /** The project's anon (publishable) key. */
  @property({ attribute: 'supabase-key' }) supabaseKey: string | undefined;

  /** Where the host's supabase-js keeps its session, when it set `auth.storageKey`. */
  @property({ attribute: 'supabase-storage-key' }) supabaseStorageKey: string | undefined;

  readonly #dropIn = new SupabaseDropIn(this);

  override connectedCallback(): void {
    this.#dropIn.apply();
    super.connectedCallback();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#dropIn.release();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.#dropIn.apply();
    super.willUpdate(changed);
  }
}
