// The account's conversations, as the signed-in agent sees them, with an "assign to" control and,
// with the demo server, a customer who writes. Assigning only writes conversations.assigned_agent_id
// and a customer's message only inserts into messages: the database triggers write the
// notifications, and the assignee's bell receives them over Realtime. Nothing here talks to the widget.
import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import { assignAsMe, assignByAutomation, customerWrites, loadInbox, type ConversationRow, type Inbox } from './inbox-data.js';

@customElement('demo-conversations')
export class DemoConversations extends LitElement {
  @property({ attribute: false }) client!: SupabaseClient;
  @property({ attribute: false }) session!: Session;
  /**
   * Whether the demo server is there to assign as an automation and to play the customer (not
   * against your own project).
   */
  @property({ type: Boolean }) automation = false;
  @property() seat = 'main';

  @state() private inbox: Inbox | undefined;
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
      this.inbox = await loadInbox(this.client, this.session);
    } catch (error) {
      this.message = `Could not load the inbox: ${(error as Error).message}`;
    }
  }

  async #assign(event: Event, conversation: ConversationRow, by: 'me' | 'automation') {
    const row = (event.target as HTMLElement).closest('tr')!;
    const assigneeId = row.querySelector('select')!.value || null;
    const name = this.#nameOf(assigneeId);
    try {
      if (by === 'automation') {
        if (!assigneeId) throw new Error('the automation assigns to an agent: pick one');
        await assignByAutomation(this.session, conversation.id, assigneeId);
      } else {
        await assignAsMe(this.client, conversation.id, assigneeId);
      }
      this.message = `${conversation.contactName} → ${name}${by === 'automation' ? ' (by automation)' : ''}`;
    } catch (error) {
      this.message = `Could not assign: ${(error as Error).message}`;
    }
    await this.refresh();
  }

  async #customerWrites(conversation: ConversationRow) {
    try {
      const text = await customerWrites(this.session, conversation.id);
      const told =
        conversation.assigneeId === null
          ? 'unassigned, so nobody is notified'
          : conversation.assigneeId === this.session.user.id
            ? 'your bell'
            : `${this.#nameOf(conversation.assigneeId)}’s bell`;
      this.message = `${conversation.contactName} wrote “${text}” → ${told}`;
    } catch (error) {
      this.message = `The customer could not write: ${(error as Error).message}`;
    }
    await this.refresh();
  }

  #nameOf(agentId: string | null): string {
    if (!agentId) return 'Unassigned';
    return this.inbox?.agents.find((agent) => agent.id === agentId)?.name ?? 'Someone outside the account';
  }

  protected override render() {
    if (!this.inbox) return html`<p class="loading">${this.message || 'Loading conversations…'}</p>`;
    const { agents, conversations, me } = this.inbox;
    return html`<header class="list-header">
        <h2>Conversations</h2>
        <span class="muted">${me.name}</span>
        <button @click=${() => this.refresh()}>Refresh</button>
      </header>
      <p class="status" role="status">${this.message}</p>
      <table class="conversations">
        <thead>
          <tr><th>Contact</th><th class="assignee">Assigned to</th><th>Assign to</th></tr>
        </thead>
        <tbody>
          ${conversations.map(
            (conversation) => html`<tr id="${this.seat}-conversation-${conversation.id}" data-id=${conversation.id}>
              <td>
                <strong>${conversation.contactName}</strong>
                <span class="chip chip--${conversation.status}">${conversation.status}</span>
                <div class="muted last-message">${conversation.lastMessage}</div>
              </td>
              <td class="assignee">${this.#nameOf(conversation.assigneeId)}</td>
              <td class="assign">
                <select aria-label="Assign ${conversation.contactName} to">
                  <option value="">Unassigned</option>
                  ${agents.map(
                    (agent) =>
                      html`<option value=${agent.id} ?selected=${live(agent.id === conversation.assigneeId)}>${agent.name}</option>`,
                  )}
                </select>
                <button data-action="assign" @click=${(event: Event) => this.#assign(event, conversation, 'me')}>Assign</button>
                ${this.automation
                  ? html`<button
                      data-action="automation"
                      title="The demo server assigns, as a Wacrm automation would"
                      @click=${(event: Event) => this.#assign(event, conversation, 'automation')}
                    >
                      Automation
                    </button>
                    <button
                      data-action="customer-writes"
                      title="The demo server inserts a message from ${conversation.contactName}, as Wacrm's WhatsApp webhook does"
                      @click=${() => this.#customerWrites(conversation)}
                    >
                      Customer writes
                    </button>`
                  : nothing}
              </td>
            </tr>`,
          )}
        </tbody>
      </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'demo-conversations': DemoConversations;
  }
}
