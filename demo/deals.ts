// The account's deals, with "Next stage", "Mark won" and "Reopen" as the signed-in agent. The
// deal's assignee hears of it from the database (deal_updated, naming who changed it); nobody is
// told of their own change. Nothing here talks to the widget.
import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import { changeDeal, loadDeals, type DealRow, type DealStatus } from './deal-data.js';

@customElement('demo-deals')
export class DemoDeals extends LitElement {
  @property({ attribute: false }) client!: SupabaseClient;
  @property({ attribute: false }) session!: Session;

  @state() private deals: DealRow[] | undefined;
  @state() private message = '';

  protected override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      this.deals = await loadDeals(this.client);
    } catch (error) {
      this.message = `Could not load the deals: ${(error as Error).message}`;
    }
  }

  async #change(deal: DealRow, change: { stage_id: string } | { status: DealStatus }, done: string) {
    try {
      await changeDeal(this.client, deal, change);
      const told =
        deal.assigneeUserId === null
          ? 'no assignee, so nobody is notified'
          : deal.assigneeUserId === this.session.user.id
            ? 'your own deal, so nobody is notified'
            : `${deal.assigneeName} is notified`;
      this.message = `${deal.title} ${done} (${told})`;
    } catch (error) {
      this.message = `Could not change ${deal.title}: ${(error as Error).message}`;
    }
    await this.refresh();
  }

  #actions(deal: DealRow) {
    if (deal.status !== 'open') {
      return html`<button data-action="reopen" @click=${() => this.#change(deal, { status: 'open' }, 'reopened')}>Reopen</button>`;
    }
    const next = deal.nextStage;
    return html`<button
        data-action="next-stage"
        ?disabled=${!next}
        title=${next ? `Move to ${next.name}` : 'The last stage of its pipeline'}
        @click=${() => next && this.#change(deal, { stage_id: next.id }, `moved to ${next.name}`)}
      >
        Next stage
      </button>
      <button data-action="won" @click=${() => this.#change(deal, { status: 'won' }, 'marked won')}>Mark won</button>`;
  }

  protected override render() {
    if (!this.deals) return html`<p class="loading">${this.message || 'Loading deals…'}</p>`;
    return html`<header class="list-header">
        <h2>Deals</h2>
        <button @click=${() => this.refresh()}>Refresh</button>
      </header>
      <p class="status" role="status">${this.message}</p>
      ${this.deals.length
        ? html`<table class="conversations deals">
            <thead>
              <tr><th>Deal</th><th>Stage</th><th>Assigned to</th><th>Change it</th></tr>
            </thead>
            <tbody>
              ${this.deals.map(
                (deal) => html`<tr data-deal-id=${deal.id}>
                  <td><strong>${deal.title}</strong></td>
                  <td>
                    ${deal.stage.name}
                    ${deal.status === 'open' ? nothing : html`<span class="chip chip--${deal.status}">${deal.status}</span>`}
                  </td>
                  <td>${deal.assigneeName}</td>
                  <td class="assign">${this.#actions(deal)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">
            No deals in this account. On the stand-in, the seed adds some to a new demo database
            (<code>npm start -- --fresh</code>, or remove <code>.supabase-local/</code>).
          </p>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'demo-deals': DemoDeals;
  }
}
