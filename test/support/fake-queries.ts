// An in-memory public.notifications and the queries and RPCs the store uses, answering like the
// real data source and SQL functions: keyset pages newest first, counts beyond a cursor, writes
// stamped with the server's clock. Store tests in Node, element tests in the browser
// (test/browser/support/fake-queries.ts adds what those need) and the model test (which runs it as
// its database, at moments it chooses) share it.
//
// It imports only types from the sources: in the shipped forms of the browser suite a page may not
// load /src/ at all. Its order is the database's own `ORDER BY created_at desc, id desc`, written
// here again on purpose: a model that borrowed the store's comparison could not catch a bug in it.
import type { Cursor, NotificationType, NotificationView, WacrmNotification } from '../../src/notification.js';
import type {
  InboxCounts,
  NotificationChange,
  NotificationPreferences,
  NotificationQueries,
  PreviousRow,
} from '../../src/store/notification-source.js';

export const ME = 'user-me';

/** Microseconds since the epoch, for ISO timestamps with up to six fractional digits. */
function timeKey(timestamp: string): number {
  const normalized = timestamp.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const micros = Number((/\.(\d+)/.exec(normalized)?.[1] ?? '').padEnd(6, '0').slice(0, 6));
  return Date.parse(normalized.replace(/\.\d+/, '')) * 1000 + micros;
}

/** The database's order, `created_at desc, id desc`: negative when `a` comes first. */
export function compareNewestFirst(a: Cursor, b: Cursor): number {
  const byTime = timeKey(b.created_at) - timeKey(a.created_at);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The RPCs of the notification migrations that change rows, by their SQL names. */
export type WriteRpc = 'mark_notifications_read' | 'mark_notifications_seen' | 'archive_notifications' | 'unarchive_notifications';

/** What a change says of the old row, as both transports send it (REPLICA IDENTITY FULL). */
export const previousOf = (row: WacrmNotification): PreviousRow => ({
  read_at: row.read_at,
  seen_at: row.seen_at,
  archived_at: row.archived_at,
  created_at: row.created_at,
});

let sequence = 0;
/** Ids unique across every fake of the process, in the order they were made (they break ties). */
const nextId = () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;

export interface FakeDatabaseOptions {
  /** The clock's start, in milliseconds; default an hour ago, so relative times read "x minutes ago". */
  clock?: number;
  /** How far the clock moves for each row inserted; default a minute. */
  step?: number;
  /** Makes the id of each row inserted; default ids unique in the process. */
  id?: () => string;
}

export class FakeDatabase implements NotificationQueries {
  rows: WacrmNotification[] = [];
  /** When set, every query waits for it: tests see the loading state, or interleave events with loads. */
  gate: Promise<void> | null = null;
  /** When set, every read throws it (a network or permission failure). */
  failReads: Error | null = null;
  /** When set, every write throws it and changes nothing. */
  failWrites: Error | null = null;
  /** The server's clock in milliseconds: created_at of the next row, and the time a write stamps. */
  clock: number;
  readonly step: number;
  calls: string[] = [];
  preferences: Partial<NotificationPreferences> = {};
  /** Told of every change committed, in commit order, with the old row in full (REPLICA IDENTITY FULL). */
  onChange: ((change: NotificationChange) => void) | null = null;
  readonly #id: () => string;

  constructor(
    readonly userId: string = ME,
    options: FakeDatabaseOptions = {},
  ) {
    this.clock = options.clock ?? Date.now() - 60 * 60 * 1000;
    this.step = options.step ?? 60 * 1000;
    this.#id = options.id ?? nextId;
  }

  // ------------------------------------------------------------------ what other writers do

  insert(fields: Partial<WacrmNotification> = {}): WacrmNotification {
    this.clock += this.step;
    const row: WacrmNotification = {
      id: this.#id(),
      account_id: 'acc',
      user_id: this.userId,
      type: 'conversation_assigned',
      conversation_id: nextId(),
      contact_id: null,
      actor_user_id: null,
      title: `Notification ${this.rows.length + 1}`,
      body: 'Someone assigned you a conversation',
      read_at: null,
      created_at: this.timestamp(this.clock),
      data: null,
      seen_at: null,
      archived_at: null,
      ...fields,
    };
    this.rows.push(row);
    this.onChange?.({ type: 'INSERT', row: { ...row } });
    return row;
  }

  /** Inserts `count` rows, oldest first (so the last one is the newest). */
  insertMany(count: number, fields: Partial<WacrmNotification> = {}): WacrmNotification[] {
    return Array.from({ length: count }, () => this.insert(fields));
  }

  /** Changes a row as a writer would; returns the new row and the old one, as Realtime delivers them. */
  update(id: string, fields: Partial<WacrmNotification>): { row: WacrmNotification; previous: PreviousRow } {
    const index = this.rows.findIndex((row) => row.id === id);
    const previous = this.rows[index]!;
    const row = { ...previous, ...fields };
    this.rows[index] = row;
    this.onChange?.({ type: 'UPDATE', row: { ...row }, previous: previousOf(previous) });
    return { row, previous: { ...previous } };
  }

  remove(id: string): void {
    const removed = this.rows.find((row) => row.id === id);
    this.rows = this.rows.filter((row) => row.id !== id);
    if (removed) this.onChange?.({ type: 'DELETE', id, previous: previousOf(removed) });
  }

  find(id: string): WacrmNotification | undefined {
    return this.rows.find((row) => row.id === id);
  }

  /** A timestamp as PostgREST sends it, with microseconds, `ms` milliseconds after the epoch. */
  timestamp(ms: number): string {
    return new Date(ms).toISOString().replace('Z', '123+00:00');
  }

  // ------------------------------------------------------------------ what SQL would answer now

  /** The user's rows of a view, newest first (copies). */
  list(view: NotificationView = 'inbox'): WacrmNotification[] {
    return this.rows
      .filter((row) => row.user_id === this.userId && (row.archived_at === null) === (view === 'inbox'))
      .sort(compareNewestFirst)
      .map((row) => ({ ...row }));
  }

  /** Unread inbox rows of the user, as the badge counts them. */
  unread(): number {
    return this.list().filter((row) => row.read_at === null).length;
  }

  /** Unseen inbox rows of the user. */
  unseen(): number {
    return this.list().filter((row) => row.seen_at === null).length;
  }

  /** fetchPage's answer at this moment. */
  page(limit: number, after?: Cursor, view: NotificationView = 'inbox'): WacrmNotification[] {
    return this.list(view)
      .filter((row) => !after || compareNewestFirst(row, after) > 0)
      .slice(0, limit);
  }

  /** fetchWindow's answer at this moment. */
  window(oldest: Cursor, view: NotificationView = 'inbox'): WacrmNotification[] {
    return this.list(view).filter((row) => compareNewestFirst(row, oldest) <= 0);
  }

  /** countInbox's answer at this moment. */
  counts(after?: Cursor): InboxCounts {
    const beyond = this.list().filter((row) => !after || compareNewestFirst(row, after) > 0);
    return { unread: beyond.filter((row) => row.read_at === null).length, unseen: beyond.filter((row) => row.seen_at === null).length };
  }

  /**
   * One of the migration's RPCs, committed now; returns how many rows it changed. Like the SQL:
   * mark read takes the ids given archived or not, and with null every unread inbox row; archive
   * with null takes every read inbox row; a stamp already set keeps its first time.
   */
  rpc(name: WriteRpc, ids: string[] | null): number {
    const wanted = (row: WacrmNotification) => ids === null || ids.includes(row.id);
    switch (name) {
      case 'mark_notifications_read':
        return this.#write((row) => row.read_at === null && (ids === null ? row.archived_at === null : wanted(row)), 'read_at');
      case 'mark_notifications_seen':
        return this.#write((row) => row.seen_at === null && row.archived_at === null && wanted(row), 'seen_at');
      case 'archive_notifications':
        return this.#write((row) => row.archived_at === null && (ids === null ? row.read_at !== null : wanted(row)), 'archived_at');
      case 'unarchive_notifications':
        return this.#write((row) => row.archived_at !== null && wanted(row), 'archived_at', null);
    }
  }

  #write(applies: (row: WacrmNotification) => boolean, field: 'read_at' | 'seen_at' | 'archived_at', value: string | null = new Date(this.clock).toISOString()): number {
    const targets = this.rows.filter((row) => row.user_id === this.userId && applies(row));
    for (const row of targets) this.update(row.id, { [field]: value });
    return targets.length;
  }

  // ------------------------------------------------------------------ NotificationQueries

  async #enter(call: string): Promise<void> {
    this.calls.push(call);
    await this.gate;
  }

  async #read<T>(call: string, answer: () => T): Promise<T> {
    await this.#enter(call);
    if (this.failReads) throw this.failReads;
    return answer();
  }

  async #rpc(call: string, name: WriteRpc, ids: string[] | null): Promise<number> {
    await this.#enter(call);
    if (this.failWrites) throw this.failWrites;
    return this.rpc(name, ids);
  }

  fetchPage(limit: number, after?: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    return this.#read('fetchPage', () => this.page(limit, after, view));
  }

  fetchWindow(oldest: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    return this.#read('fetchWindow', () => this.window(oldest, view));
  }

  countInbox(after?: Cursor): Promise<InboxCounts> {
    return this.#read('countInbox', () => this.counts(after));
  }

  markRead(ids: string[] | null): Promise<number> {
    return this.#rpc('markRead', 'mark_notifications_read', ids);
  }

  markSeen(ids: string[] | null): Promise<number> {
    return this.#rpc('markSeen', 'mark_notifications_seen', ids);
  }

  archive(ids: string[] | null): Promise<number> {
    return this.#rpc('archive', 'archive_notifications', ids);
  }

  unarchive(ids: string[]): Promise<number> {
    return this.#rpc('unarchive', 'unarchive_notifications', ids);
  }

  fetchPreferences(): Promise<NotificationPreferences> {
    return this.#read('fetchPreferences', () => ({ conversation_assigned: true, message_received: true, deal_updated: true, ...this.preferences }));
  }

  async setPreference(type: NotificationType, inApp: boolean): Promise<void> {
    await this.#enter('setPreference');
    if (this.failWrites) throw this.failWrites;
    this.preferences[type] = inApp;
  }
}
