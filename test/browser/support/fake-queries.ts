// An in-memory NotificationQueries for element tests in the browser (no node: imports). It answers
// like the real data source: keyset pages newest first, unread counts beyond a cursor, mark-read
// with the server's time, and it can be told to hold queries back or to fail. The store and the
// error class come from the package by name, so in each form (test/browser/forms.ts) the store
// under test is the shipped one.
import {
  NotificationSourceError,
  NotificationStore,
  type Cursor,
  type InboxCounts,
  type NotificationPreferences,
  type NotificationQueries,
  type NotificationType,
  type NotificationView,
  type WacrmNotification,
} from 'wacrm-notifications';

export const ME = 'user-me';

/** The database's order, `created_at desc, id desc`: negative when `a` comes first. */
function compareNewestFirst(a: Cursor, b: Cursor): number {
  const byTime = timeKey(b.created_at) - timeKey(a.created_at);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Microseconds since the epoch, for ISO timestamps with up to six fractional digits. */
function timeKey(timestamp: string): number {
  const normalized = timestamp.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const micros = Number((/\.(\d+)/.exec(normalized)?.[1] ?? '').padEnd(6, '0').slice(0, 6));
  return Date.parse(normalized.replace(/\.\d+/, '')) * 1000 + micros;
}

let sequence = 0;
const nextId = () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;

export class FakeDatabase implements NotificationQueries {
  rows: WacrmNotification[] = [];
  /** When set, every query waits for it: tests see the loading state, or interleave. */
  gate: Promise<void> | null = null;
  failReads: Error | null = null;
  failWrites: Error | null = null;
  /** One minute apart, ending a little before now, so relative times read "x minutes ago". */
  clock = Date.now() - 60 * 60 * 1000;
  calls: string[] = [];

  constructor(readonly userId: string = ME) {}

  insert(fields: Partial<WacrmNotification> = {}): WacrmNotification {
    this.clock += 60 * 1000;
    const row: WacrmNotification = {
      id: nextId(),
      account_id: 'acc',
      user_id: this.userId,
      type: 'conversation_assigned',
      conversation_id: nextId(),
      contact_id: null,
      actor_user_id: null,
      title: `Notification ${this.rows.length + 1}`,
      body: 'Someone assigned you a conversation',
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

  /** Inserts `count` rows, oldest first (so the last one is the newest). */
  insertMany(count: number, fields: Partial<WacrmNotification> = {}): WacrmNotification[] {
    return Array.from({ length: count }, () => this.insert(fields));
  }

  /** Unread inbox rows of the user, as the badge counts them. */
  unread(): number {
    return this.mine().filter((row) => row.read_at === null).length;
  }

  /** Unseen inbox rows of the user. */
  unseen(): number {
    return this.mine().filter((row) => row.seen_at === null).length;
  }

  find(id: string): WacrmNotification | undefined {
    return this.rows.find((row) => row.id === id);
  }

  private mine(view: NotificationView = 'inbox'): WacrmNotification[] {
    return this.rows
      .filter((row) => row.user_id === this.userId && (row.archived_at === null) === (view === 'inbox'))
      .sort(compareNewestFirst)
      .map((row) => ({ ...row }));
  }

  private async enter(call: string): Promise<void> {
    this.calls.push(call);
    await this.gate;
  }

  async fetchPage(limit: number, after?: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    await this.enter('fetchPage');
    if (this.failReads) throw this.failReads;
    return this.mine(view)
      .filter((row) => !after || compareNewestFirst(row, after) > 0)
      .slice(0, limit);
  }

  async fetchWindow(oldest: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    await this.enter('fetchWindow');
    if (this.failReads) throw this.failReads;
    return this.mine(view).filter((row) => compareNewestFirst(row, oldest) <= 0);
  }

  async countInbox(after?: Cursor): Promise<InboxCounts> {
    await this.enter('countInbox');
    if (this.failReads) throw this.failReads;
    const beyond = this.mine().filter((row) => !after || compareNewestFirst(row, after) > 0);
    return { unread: beyond.filter((row) => row.read_at === null).length, unseen: beyond.filter((row) => row.seen_at === null).length };
  }

  async markRead(ids: string[] | null): Promise<number> {
    await this.enter('markRead');
    return this.write(ids, (row) => row.read_at === null && row.archived_at === null, (row) => (row.read_at = this.now()));
  }

  async markSeen(ids: string[] | null): Promise<number> {
    await this.enter('markSeen');
    return this.write(ids, (row) => row.seen_at === null && row.archived_at === null, (row) => (row.seen_at = this.now()));
  }

  async archive(ids: string[] | null): Promise<number> {
    await this.enter('archive');
    // null: every read inbox row, as archive_notifications(null).
    return this.write(ids, (row) => row.archived_at === null && (ids !== null || row.read_at !== null), (row) => (row.archived_at = this.now()));
  }

  async unarchive(ids: string[]): Promise<number> {
    await this.enter('unarchive');
    return this.write(ids, (row) => row.archived_at !== null, (row) => (row.archived_at = null));
  }

  preferences: Partial<NotificationPreferences> = {};

  async fetchPreferences(): Promise<NotificationPreferences> {
    await this.enter('fetchPreferences');
    if (this.failReads) throw this.failReads;
    return { conversation_assigned: true, message_received: true, deal_updated: true, ...this.preferences };
  }

  async setPreference(type: NotificationType, inApp: boolean): Promise<void> {
    await this.enter('setPreference');
    if (this.failWrites) throw this.failWrites;
    this.preferences[type] = inApp;
  }

  private now(): string {
    return new Date().toISOString();
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

/** A store over `db`, signed in as its user; loaded unless `load` is false. */
export async function storeOver(
  db: FakeDatabase,
  { pageSize = 20, load = true }: { pageSize?: number; load?: boolean } = {},
): Promise<NotificationStore> {
  const store = new NotificationStore({ pageSize, recountDelayMs: 1 });
  store.reset(db, db.userId);
  if (load) await store.sync();
  return store;
}

/** A gate that holds every query until `open()` is called. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export const permissionDenied = () =>
  new NotificationSourceError('permission-denied', 'the database refused access (42501)');
