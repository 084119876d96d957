// The page: a toolbar (view, theme, language, which Supabase) over one of three views. The
// initial view, theme and language can come from the query string (?view=split&theme=dark&lang=es),
// which the browser test and the screenshot script use.
import { LitElement, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { forgetOwnProject, loadConnection, saveOwnProject, type Connection } from './connection.js';
import { textField } from './form-field.js';
import type { DemoAgentView } from './agent-view.js';
import './agent-view.js';

type View = 'inbox' | 'split' | 'panel';
type Theme = 'auto' | 'light' | 'dark';

const views: Record<View, string> = { inbox: 'Inbox', split: 'Two agents', panel: 'Full-page panel' };
const languages = { en: 'English', 'pt-BR': 'Português', es: 'Español' };

const initial = new URLSearchParams(location.search);
const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T =>
  allowed.find((value) => value === initial.get(name)) ?? fallback;

@customElement('demo-app')
export class DemoApp extends LitElement {
  @state() private connection: Connection | undefined;
  @state() private problem = '';
  @state() private view = pick<View>('view', ['inbox', 'split', 'panel'], 'inbox');
  @state() private theme = pick<Theme>('theme', ['auto', 'light', 'dark'], 'auto');
  @state() private language: string = pick('lang', ['en', 'pt-BR', 'es'], 'en');
  @query('dialog') private connectDialog!: HTMLDialogElement;

  protected override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  /** Never rejects: a connection that cannot be loaded is shown as the page's problem. */
  async #load(): Promise<void> {
    try {
      this.connection = await loadConnection();
    } catch (error) {
      this.problem = (error as Error).message;
    }
  }

  protected override updated(): void {
    // The widget follows `color-scheme` through the page's --wacrm-* values (see demo.css), and
    // its strings follow `lang`.
    document.documentElement.dataset.theme = this.theme;
    document.documentElement.lang = this.language;
  }

  async #connect(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    this.connection = saveOwnProject(textField(form, 'url').trim(), textField(form, 'anonKey').trim());
    this.view = 'inbox';
    this.connectDialog.close();
    await this.updateComplete;
    await this.querySelector<DemoAgentView>('demo-agent-view')!.updateComplete;
    await this.querySelector<DemoAgentView>('demo-agent-view')!.signIn(textField(form, 'email'), textField(form, 'password'));
  }

  async #useStandIn() {
    forgetOwnProject();
    this.connection = await loadConnection();
  }

  #seat(seat: string, layout: 'inbox' | 'panel' = 'inbox') {
    return html`<demo-agent-view
      .connection=${this.connection!}
      seat=${seat}
      layout=${layout}
      language=${this.language}
    ></demo-agent-view>`;
  }

  #toolbar() {
    const own = this.connection?.source === 'own';
    return html`<header class="toolbar">
      <span class="logo">Wacrm</span>
      <nav aria-label="Views">
        ${(Object.keys(views) as View[]).map(
          (view) =>
            html`<button aria-pressed=${this.view === view} data-view=${view} @click=${() => (this.view = view)}>
              ${views[view]}
            </button>`,
        )}
      </nav>
      <label>
        Theme
        <select @change=${(event: Event) => (this.theme = (event.target as HTMLSelectElement).value as Theme)}>
          ${(['auto', 'light', 'dark'] as const).map((theme) => html`<option ?selected=${theme === this.theme}>${theme}</option>`)}
        </select>
      </label>
      <label>
        Language
        <select @change=${(event: Event) => (this.language = (event.target as HTMLSelectElement).value)}>
          ${Object.entries(languages).map(
            ([tag, name]) => html`<option value=${tag} ?selected=${tag === this.language}>${name}</option>`,
          )}
        </select>
      </label>
      <span class="where">
        ${own ? html`Your project: ${this.connection!.url}` : 'Local stand-in'}
        ${own
          ? html`<button @click=${this.#useStandIn}>Back to the stand-in</button>`
          : html`<button @click=${() => this.connectDialog.showModal()}>Connect your project</button>`}
      </span>
    </header>`;
  }

  #connectDialog() {
    return html`<dialog aria-labelledby="connect-title">
      <form class="connect" @submit=${this.#connect}>
        <h2 id="connect-title">Connect your Supabase project</h2>
        <p>
          Apply the files of <code>supabase/migrations/</code> from <code>027_notifications.sql</code> on to it first.
          The anon key is public; never paste a service key here.
        </p>
        <label>Project URL <input name="url" type="url" placeholder="https://xyz.supabase.co" required /></label>
        <label>Anon key <input name="anonKey" required /></label>
        <label>Email <input name="email" type="email" autocomplete="username" required /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <div class="actions">
          <button type="button" @click=${() => this.connectDialog.close()}>Cancel</button>
          <button type="submit">Connect and sign in</button>
        </div>
      </form>
    </dialog>`;
  }

  protected override render() {
    if (this.problem) return html`<p class="error" role="alert">${this.problem}</p>`;
    if (!this.connection) return html`<p class="loading">Connecting…</p>`;
    return html`${this.#toolbar()} ${this.#connectDialog()}
      <main class="view view--${this.view}">
        ${this.view === 'split'
          ? html`${this.#seat('main')}${this.#seat('teammate')}`
          : this.#seat('main', this.view === 'panel' ? 'panel' : 'inbox')}
      </main>
      ${this.view === 'split'
        ? html`<p class="hint">
            Two agents of one account, each with their own client and session. Assign a conversation to the other one,
            have a customer write on one of theirs, or move one of their deals, and watch their bell.
          </p>`
        : nothing}`;
  }
}
