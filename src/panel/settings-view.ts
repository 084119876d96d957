// The panel's settings view: one switch per notification type, saved to
// public.notification_preferences (no row: on). Loaded on demand, the first time a panel's settings
// button is pressed, so the first load of the elements does not carry it.
import { html, nothing, type ReactiveControllerHost } from 'lit';
import { notificationTypes, type NotificationType } from '../notification.js';
import type { NotificationErrorCode, NotificationPreferences } from '../store/notification-source.js';
import type { NotificationStore } from '../store/notification-store.js';
import type { NotificationStrings } from '../strings.js';

/** The view's state (the preferences as loaded and toggled) and its template; the panel renders it. */
export class SettingsView {
  #preferences: NotificationPreferences | null = null;
  #problem: NotificationErrorCode | null = null;
  #loading: Promise<void> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly getStore: () => NotificationStore,
  ) {}

  /**
   * Reads the user's preferences (again, each time the view opens: another tab may have changed
   * them); resolves once they are shown, or the problem is.
   */
  load(): Promise<void> {
    if (this.#loading) return this.#loading;
    this.#problem = null;
    this.#loading = this.getStore()
      .loadPreferences()
      .then(
        (preferences) => void (this.#preferences = preferences),
        (error: { code?: NotificationErrorCode }) => void (this.#problem = error.code ?? 'unknown'),
      )
      .finally(() => {
        this.#loading = null;
        this.host.requestUpdate();
      });
    return this.#loading;
  }

  /** Flips a type at once; back as it was if the database refuses (reported as `write-failed`). */
  async #toggle(type: NotificationType, on: boolean): Promise<void> {
    if (!this.#preferences) return;
    this.#preferences = { ...this.#preferences, [type]: on };
    this.host.requestUpdate();
    if (!(await this.getStore().setPreference(type, on)) && this.#preferences) {
      this.#preferences = { ...this.#preferences, [type]: !on };
      this.host.requestUpdate();
    }
  }

  render(strings: NotificationStrings, back: () => void) {
    const preferences = this.#preferences;
    return html`<section part="settings" aria-labelledby="settings-heading">
      <h3 id="settings-heading">${strings.settingsHeading}</h3>
      ${this.#problem
        ? html`<div part="error" role="alert">
            ${strings.errors[this.#problem]}
            <div><button part="retry" @click=${() => this.load()}>${strings.retry}</button></div>
          </div>`
        : nothing}
      ${preferences
        ? html`<ul>
            ${notificationTypes.map(
              (type) => html`<li>
                <label part="preference">
                  <input
                    type="checkbox"
                    role="switch"
                    data-type=${type}
                    .checked=${preferences[type]}
                    aria-checked=${preferences[type] ? 'true' : 'false'}
                    @change=${(event: Event) => this.#toggle(type, (event.target as HTMLInputElement).checked)}
                  />
                  <span>${strings.types[type]}</span>
                </label>
              </li>`,
            )}
          </ul>`
        : this.#problem
          ? nothing
          : html`<div part="loading" role="status">${strings.settingsLoading}</div>`}
      <button part="back" @click=${back}>${strings.back}</button>
    </section>`;
  }
}
