// An in-memory stand-in for the data source, for unit tests of the store alone (the integration
// tests use the real supabase-js against the local stand-in). It answers like the real queries:
// keyset pages newest first, unread counts beyond a cursor, mark-read with the server's time.
import { randomUUID } from 'node:crypto';
import { compareNewestFirst, type Cursor, type WacrmNotification } from '../../src/notification.js';
import type { NotificationQueries } from '../../src/store/notification-source.js';

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
      ...fields,
    };
    this.rows.push(row);
    return row;
  }

  update(id: string, fields: Partial<WacrmNotification>): { row: WacrmNotification; previousReadAt: string | null } {
    const index = this.rows.findIndex((row) => row.id === id);
    const previous = this.rows[index]!;
    const row = { ...previous, ...fields };
    this.rows[index] = row;
    return { row, previousReadAt: previous.read_at };
  }

  remove(id: string): void {
    this.rows = this.rows.filter((row) => row.id !== id);
  }

  unread(): number {
    return this.rows.filter((row) => row.user_id === this.userId && row.read_at === null).length;
  }

  private mine(): WacrmNotification[] {
    return this.rows.filter((row) => row.user_id === this.userId).sort(compareNewestFirst).map((row) => ({ ...row }));
  }

  async fetchPage(limit: number, after?: Cursor): Promise<WacrmNotification[]> {
    this.calls.push('fetchPage');
    await this.gate;
    if (this.failReads) throw this.failReads;
    return this.mine()
      .filter((row) => !after || compareNewestFirst(row, after) > 0)
      .slice(0, limit);
  }

  async fetchWindow(oldest: Cursor): Promise<WacrmNotification[]> {
    this.calls.push('fetchWindow');
    await this.gate;
    if (this.failReads) throw this.failReads;
    return this.mine().filter((row) => compareNewestFirst(row, oldest) <= 0);
  }

  async countUnread(after?: Cursor): Promise<number> {
    this.calls.push('countUnread');
    await this.gate;
    if (this.failReads) throw this.failReads;
    return this.mine().filter((row) => row.read_at === null && (!after || compareNewestFirst(row, after) > 0)).length;
  }

  async markRead(ids: string[] | null): Promise<number> {
    this.calls.push('markRead');
    await this.gate;
    if (this.failWrites) throw this.failWrites;
    let changed = 0;
    for (const row of this.rows) {
      if (row.user_id === this.userId && row.read_at === null && (ids === null || ids.includes(row.id))) {
        row.read_at = new Date(this.clock).toISOString();
        changed++;
      }
    }
    return changed;
  }
}
