// An in-memory stand-in for the data source, for unit tests of the store alone (the integration
// tests use the real supabase-js against the local stand-in). It answers like the real queries:
// keyset pages newest first, unread counts beyond a cursor, mark-read with the server's time.
import { randomUUID } from 'node:crypto';
import { compareNewestFirst, type Cursor, type NotificationType, type NotificationView, type WacrmNotification } from '../../src/notification.js';
import type { InboxCounts, NotificationPreferences, NotificationQueries, PreviousRow } from '../../src/store/notification-source.js';

export class FakeDatabase implements NotificationQueries {
  rows: WacrmNotification[] = [];
  /** When set, every query waits for it: tests interleave events with loads. */
  gate: Promise<void> | null = null;
  failWrites: Error | null = null;
  /** When set, every read throws it (a network or permission failure). */
  failReads: Error | null = null;
  clock = Date.parse('2026-11-27T10:00:00Z');
  calls: string[] = [];

  constructor(readonly userId: string) {}

  insert(fields: Partial<WacrmNotification> = {}): WacrmNotification {
    this.clock += 1000;
    const row: WacrmNotification = {
      id: randomUUID(),
      account_id: 'acc',
      user_id: this.userId,
      type: 'conversation_assigned',
      conversation_id: randomUUID(),
      contact_id: null,
      actor_user_id: null,
      title: 'New conversation assigned',
      body: 'Someone assigned you a conversation with a contact',
      read_at: null,
      created_at: new Date(this.clock).toISOString().replace('Z', '123+00:00'),
      data: null,
      seen_at: null,
      archived_at: null,
      ...fields,
    };
    this.rows.push(row);
    return row;
  }

  /** Changes a row as a writer would; returns the new row and the old one, as Realtime delivers them. */
  update(id: string, fields: Partial<WacrmNotification>): { row: WacrmNotification; previous: PreviousRow } {
    const index = this.rows.findIndex((row) => row.id === id);
    const previous = this.rows[index]!;
    const row = { ...previous, ...fields };
    this.rows[index] = row;
    return { row, previous: { ...previous } };
  }

  remove(id: string): void {
    this.rows = this.rows.filter((row) => row.id !== id);
  }

  /** Unread inbox rows of the user, as the badge counts them. */
  unread(): number {
    return this.mine().filter((row) => row.read_at === null).length;
  }

  /** Unseen inbox rows of the user. */
  unseen(): number {
    return this.mine().filter((row) => row.seen_at === null).length;
  }

  private mine(view: NotificationView = 'inbox'): WacrmNotification[] {
    return this.rows
      .filter((row) => row.user_id === this.userId && (row.archived_at === null) === (view === 'inbox'))
      .sort(compareNewestFirst)
      .map((row) => ({ ...row }));
  }

  async fetchPage(limit: number, after?: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    this.calls.push('fetchPage');
    await this.gate;
    if (this.failReads) throw this.failReads;
    return this.mine(view)
      .filter((row) => !after || compareNewestFirst(row, after) > 0)
      .slice(0, limit);
  }

  async fetchWindow(oldest: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    this.calls.push('fetchWindow');
    await this.gate;
    if (this.failReads) throw this.failReads;
    return this.mine(view).filter((row) => compareNewestFirst(row, oldest) <= 0);
  }

  async countInbox(after?: Cursor): Promise<InboxCounts> {
    this.calls.push('countInbox');
    await this.gate;
    if (this.failReads) throw this.failReads;
    const beyond = this.mine().filter((row) => !after || compareNewestFirst(row, after) > 0);
    return { unread: beyond.filter((row) => row.read_at === null).length, unseen: beyond.filter((row) => row.seen_at === null).length };
  }

  async markRead(ids: string[] | null): Promise<number> {
    this.calls.push('markRead');
    await this.gate;
    return this.write(ids, (row) => row.read_at === null && row.archived_at === null, (row) => (row.read_at = this.now()));
  }

  async markSeen(ids: string[] | null): Promise<number> {
    this.calls.push('markSeen');
    await this.gate;
    return this.write(ids, (row) => row.seen_at === null && row.archived_at === null, (row) => (row.seen_at = this.now()));
  }

  async archive(ids: string[] | null): Promise<number> {
    this.calls.push('archive');
    await this.gate;
    // null: every read inbox row, as archive_notifications(null).
    return this.write(ids, (row) => row.archived_at === null && (ids !== null || row.read_at !== null), (row) => (row.archived_at = this.now()));
  }

  async unarchive(ids: string[]): Promise<number> {
    this.calls.push('unarchive');
    await this.gate;
    return this.write(ids, (row) => row.archived_at !== null, (row) => (row.archived_at = null));
  }

  preferences: Partial<NotificationPreferences> = {};

  async fetchPreferences(): Promise<NotificationPreferences> {
    this.calls.push('fetchPreferences');
    await this.gate;
    if (this.failReads) throw this.failReads;
    return { conversation_assigned: true, message_received: true, deal_updated: true, ...this.preferences };
  }

  async setPreference(type: NotificationType, inApp: boolean): Promise<void> {
    this.calls.push('setPreference');
    await this.gate;
    if (this.failWrites) throw this.failWrites;
    this.preferences[type] = inApp;
  }

  private now(): string {
    return new Date(this.clock).toISOString();
  }

  /** A write RPC: the user's rows among `ids` (all when null) that `applies` to, changed by `change`. */
  private write(ids: string[] | null, applies: (row: WacrmNotification) => boolean, change: (row: WacrmNotification) => void): number {
    if (this.failWrites) throw this.failWrites;
    let changed = 0;
    for (const row of this.rows) {
      if (row.user_id === this.userId && applies(row) && (ids === null || ids.includes(row.id))) {
        change(row);
        changed++;
      }
    }
    return changed;
  }

}
