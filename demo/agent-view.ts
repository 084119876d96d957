// One agent's seat on the page: a sign-in form while signed out, then the sidebar with the bell
// and either the inbox or a full-page notification panel. The elements get only two things from
// here: the seat's supabase-js client and its current session.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Session } from '@supabase/supabase-js';
import { clientFor, type Connection } from './connection.js';
import { textField } from './form-field.js';
import { DEMO_PASSWORD, seededAgents } from './seeded-agents.js';
import './conversation-list.js';
import './deals.js';

@customElement('demo-agent-view')
export class DemoAgentView extends LitElement {
  @property({ attribute: false }) connection!: Connection;
  /** Names the seat: its session storage key, and the anchors its notifications lead to. */
  @property() seat = 'main';
  @property() layout: 'inbox' | 'panel' = 'inbox';
  @property() language = 'en';

  /** undefined until supabase-js has read the stored session. */
  @state() private session: Session | null | undefined;
  @state() private signInError = '';

  #stopListening: (() => void) | undefined;

  // Light DOM: the page's stylesheet applies, and tests and newcomers find everything with plain
  // selectors. The widget keeps its own shadow DOM.
  protected override createRenderRoot() {
    return this;
  }

  get client() {
    return clientFor(this.connection, this.seat);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if ((changed.has('connection') || changed.has('seat')) && this.isConnected) this.#listen();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.connection) this.#listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopListening?.();
    this.#stopListening = undefined;
  }

  /** Follows the seat's session: the initial one, sign-in, sign-out and every token refresh. */
  #listen(): void {
    this.#stopListening?.();
    this.session = undefined;
    const { data } = this.client.auth.onAuthStateChange((_event, session) => {
      this.session = session;
    });
    this.#stopListening = () => data.subscription.unsubscribe();
  }

  /** A real password sign-in through Supabase Auth (the stand-in's, or your project's). */
  async signIn(email: string, password: string): Promise<void> {
    this.signInError = '';
    const { error } = await this.client.auth.signInWithPassword({ email, password });
    if (error) this.signInError = error.message;
  }

  /** A notification arrived: what it is about may have changed in the lists too. */
  #refreshLists = () => {
    void this.querySelector('demo-conversations')?.refresh();
    void this.querySelector('demo-deals')?.refresh();
  };

  async #submit(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    await this.signIn(textField(form, 'email'), textField(form, 'password'));
  }

  #signInForm() {
    const local = this.connection.source !== 'own';
    return html`<form class="sign-in" @submit=${this.#submit}>
      <h2>Sign in</h2>
      ${local
        ? html`<p>Pick a seeded agent (password <code>${DEMO_PASSWORD}</code>):</p>
            <div class="quick-picks">
              ${seededAgents.map(
                (agent) =>
                  html`<button type="button" @click=${() => this.signIn(agent.email, DEMO_PASSWORD)}>${agent.label}</button>`,
              )}
            </div>`
        : nothing}
      <label>Email <input name="email" type="email" autocomplete="username" required /></label>
      <label>
        Password
        <input name="password" type="password" autocomplete="current-password" required .value=${local ? DEMO_PASSWORD : ''} />
      </label>
      <button type="submit">Sign in</button>
      ${this.signInError ? html`<p class="error" role="alert">${this.signInError}</p>` : nothing}
    </form>`;
  }

  protected override render() {
    if (this.session === undefined) return html`<p class="loading">Loading…</p>`;
    if (this.session === null) return this.#signInForm();
    const hrefTemplate = `#${this.seat}-conversation-{conversation_id}`;
    return html`<aside class="sidebar">
        <wacrm-notification-bell
          .supabase=${this.client}
          .session=${this.session}
          lang=${this.language}
          href-template=${hrefTemplate}
          @wacrm-receive=${this.#refreshLists}
        ></wacrm-notification-bell>
        <span class="who" title=${this.session.user.email ?? ''}>${this.session.user.email}</span>
        <button class="sign-out" @click=${() => this.client.auth.signOut({ scope: 'local' })}>Sign out</button>
      </aside>
      ${this.layout === 'panel'
        ? html`<wacrm-notification-panel
            class="full-page"
            .supabase=${this.client}
            .session=${this.session}
            lang=${this.language}
            href-template=${hrefTemplate}
            page-size="10"
          ></wacrm-notification-panel>`
        : html`<div class="workspace">
            <demo-conversations
              .client=${this.client}
              .session=${this.session}
              .automation=${this.connection.automation}
              seat=${this.seat}
            ></demo-conversations>
            <demo-deals .client=${this.client} .session=${this.session}></demo-deals>
          </div>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'demo-agent-view': DemoAgentView;
  }
}
