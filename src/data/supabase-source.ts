// The data source over supabase-js: the queries and writes the store needs, and (through
// realtime-channel.ts) the user's realtime channel. Everything it hands to the store is validated
// and shaped; every failure becomes a NotificationSourceError whose message says what to do.
import type { SupabaseClient } from '@supabase/supabase-js';
import { notificationTypes, type Cursor, type NotificationType, type NotificationView, type WacrmNotification } from '../notification.js';
import {
  NotificationSourceError,
  type InboxCounts,
  type NotificationErrorCode,
  type NotificationPreferences,
  type NotificationQueries,
} from '../store/notification-source.js';
import { openChannel, type LiveHandlers, type LiveSubscription, type Transport } from './realtime-channel.js';
import { asNotification } from './rows.js';

export type { LiveHandlers, LiveSubscription, Transport } from './realtime-channel.js';

const TABLE = 'notifications';
const COLUMNS =
  'id,account_id,user_id,type,conversation_id,contact_id,actor_user_id,title,body,read_at,created_at,data,seen_at,archived_at';
const PREFERENCES = 'notification_preferences';
/** Supabase projects cap a response at 1,000 rows by default: longer reads go page by page. */
const MAX_ROWS_PER_REQUEST = 1000;
/** A read with no answer by then is abandoned and fails as a network problem (the store retries it). */
const READ_TIMEOUT_MS = 15000;

const MIGRATION_HINT =
  'Apply supabase/migrations/027_notifications.sql and the later files of supabase/migrations/ to this database (Supabase SQL editor or `supabase db push`).';

/** A duck-typed check: hosts may pass a client from any supabase-js 2.x copy on the page. */
export function isSupabaseClient(value: unknown): value is SupabaseClient {
  const candidate = value as Partial<SupabaseClient> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.from === 'function' &&
    typeof candidate.rpc === 'function' &&
    typeof candidate.channel === 'function' &&
    typeof candidate.removeChannel === 'function'
  );
}

interface PostgrestLikeError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

/** Whether a failed request is retried by the store (reads) or left to the user (writes). */
export type RequestKind = 'read' | 'write';

/**
 * Turns a PostgREST / gateway / fetch failure into a specific, actionable error. `kind` decides
 * what the message promises: the store retries reads by itself; a write is the user's to repeat.
 */
export function classify(error: PostgrestLikeError, action: string, kind: RequestKind = 'read'): NotificationSourceError {
  const code = error.code ?? '';
  const message = error.message ?? error.details ?? error.hint ?? 'no message';
  const specific = (type: NotificationErrorCode, text: string) =>
    new NotificationSourceError(type, `${action}: ${text}`, error);
  // 42703 / PGRST204: a column of a later migration (data, seen_at, archived_at) is missing.
  if (['PGRST205', 'PGRST202', '42P01', '42883', 'PGRST200', '42703', 'PGRST204'].includes(code)) {
    return specific('migration-missing', `the notifications table or function is missing (${message}). ${MIGRATION_HINT}`);
  }
  if (code === 'PGRST301' || code === 'PGRST303' || /jwt expired/i.test(message)) {
    return specific('session-expired', 'the session has expired; sign in again (or let supabase-js refresh the token).');
  }
  if (/invalid api key|no api key/i.test(message)) {
    // Supabase's gateway, before the database: the client was made with a wrong or foreign key.
    return specific('permission-denied', `Supabase refused the API key (${message}). Check the anon key given to createClient() (or supabase-key).`);
  }
  if (code === '42501') {
    return specific(
      'permission-denied',
      `the database refused access (${message}). Pass the signed-in user's client and session, and check that 027's grants were applied.`,
    );
  }
  if (!code && /fetch|network|load failed/i.test(message)) {
    const then = kind === 'read' ? 'It is tried again by itself, and when the connection is back.' : 'Nothing was changed; try again.';
    return specific('network', `could not reach Supabase (${message}). ${then}`);
  }
  return specific('unknown', message);
}

/** PostgREST logic-tree value, double-quoted so that dots, colons and commas stay literal. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/** `or` filter for rows strictly after `cursor` in list order (created_at desc, id desc). */
const after = (cursor: Cursor) =>
  `created_at.lt.${quoted(cursor.created_at)},and(created_at.eq.${quoted(cursor.created_at)},id.lt.${cursor.id})`;

/** `or` filter for rows up to and including `cursor` in list order. */
const upTo = (cursor: Cursor) =>
  `created_at.gt.${quoted(cursor.created_at)},and(created_at.eq.${quoted(cursor.created_at)},id.gte.${cursor.id})`;

/** Queries, writes and the realtime channel of one signed-in user, through their Supabase client. */
export class SupabaseNotificationSource implements NotificationQueries {
  constructor(
    readonly client: SupabaseClient,
    readonly userId: string,
  ) {}

  /** Every read runs under this signal (see #read), so that an owner leaving the page can stop them. */
  #reads = new AbortController();

  /**
   * Abandons the reads in flight, and supabase-js's retries of them (postgrest-js retries a failed
   * GET for several seconds): for an element that left the page. Writes are never abandoned — a
   * click that marks a notification read and navigates away must still reach the database.
   */
  cancelReads(): void {
    this.#reads.abort();
    this.#reads = new AbortController();
  }

  async fetchPage(limit: number, cursor?: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    // A catch-up of a long list held in full asks for more than one response may carry.
    const rows: WacrmNotification[] = [];
    let from = cursor;
    while (rows.length < limit) {
      const size = Math.min(limit - rows.length, MAX_ROWS_PER_REQUEST);
      let query = this.#list(view).limit(size);
      if (from) query = query.or(after(from));
      const page = this.#rows(await this.#read('Loading notifications', (signal) => query.abortSignal(signal)), 'Loading notifications');
      rows.push(...page);
      if (page.length < size) break;
      const last = page[page.length - 1]!;
      from = { created_at: last.created_at, id: last.id };
    }
    return rows;
  }

  async fetchWindow(oldest: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    const rows: WacrmNotification[] = [];
    let cursor: Cursor | undefined;
    for (;;) {
      let query = this.#list(view).or(upTo(oldest)).limit(MAX_ROWS_PER_REQUEST);
      if (cursor) query = query.or(after(cursor));
      const page = this.#rows(await this.#read('Catching up on notifications', (signal) => query.abortSignal(signal)), 'Catching up on notifications');
      rows.push(...page);
      if (page.length < MAX_ROWS_PER_REQUEST) return rows;
      const last = page[page.length - 1]!;
      cursor = { created_at: last.created_at, id: last.id };
    }
  }

  /** Two exact head counts side by side (each served by a partial index of the migration). */
  async countInbox(cursor?: Cursor): Promise<InboxCounts> {
    const [unread, unseen] = await Promise.all([this.#count('read_at', cursor), this.#count('seen_at', cursor)]);
    return { unread, unseen };
  }

  async #count(stamp: 'read_at' | 'seen_at', cursor: Cursor | undefined): Promise<number> {
    const action = stamp === 'read_at' ? 'Counting unread notifications' : 'Counting unseen notifications';
    let query = this.client
      .from(TABLE)
      .select('id', { count: 'exact', head: true })
      .eq('user_id', this.userId)
      .is(stamp, null)
      .is('archived_at', null);
    if (cursor) query = query.or(after(cursor));
    const { count, error } = await this.#read(action, (signal) => query.abortSignal(signal));
    if (error) throw classify(error, action);
    return count ?? 0;
  }

  markRead(ids: string[] | null): Promise<number> {
    return this.#call('mark_notifications_read', { ids }, 'Marking notifications read');
  }

  markSeen(ids: string[] | null): Promise<number> {
    return this.#call('mark_notifications_seen', { ids }, 'Marking notifications seen');
  }

  archive(ids: string[] | null): Promise<number> {
    return this.#call('archive_notifications', { ids }, 'Archiving notifications');
  }

  unarchive(ids: string[]): Promise<number> {
    return this.#call('unarchive_notifications', { ids }, 'Restoring notifications');
  }

  /** A write RPC of the migrations, returning how many rows it changed. */
  async #call(name: string, args: { ids: string[] | null }, action: string): Promise<number> {
    // The client is untyped (any schema): what the function answered is checked, not trusted.
    const result: { data: unknown; error: PostgrestLikeError | null } = await this.client.rpc(name, args);
    if (result.error) throw classify(result.error, action, 'write');
    return typeof result.data === 'number' ? result.data : 0;
  }

  async fetchPreferences(): Promise<NotificationPreferences> {
    const query = this.client.from(PREFERENCES).select('type,in_app').eq('user_id', this.userId);
    const { data, error } = await this.#read('Loading notification settings', (signal) => query.abortSignal(signal));
    if (error) throw classify(error, 'Loading notification settings');
    const preferences = Object.fromEntries(notificationTypes.map((type) => [type, true])) as NotificationPreferences;
    for (const row of (data ?? []) as { type: unknown; in_app: unknown }[]) {
      if (notificationTypes.includes(row.type as NotificationType) && typeof row.in_app === 'boolean') {
        preferences[row.type as NotificationType] = row.in_app;
      }
    }
    return preferences;
  }

  async setPreference(type: NotificationType, inApp: boolean): Promise<void> {
    const { error } = await this.client
      .from(PREFERENCES)
      .upsert({ user_id: this.userId, type, in_app: inApp }, { onConflict: 'user_id,type' });
    if (error) throw classify(error, 'Saving the notification setting', 'write');
  }

  /**
   * Opens this user's realtime channel on `transport` (see realtime-channel.ts); `accessToken`, the
   * session's, authorises a private broadcast join.
   */
  subscribe(
    handlers: LiveHandlers,
    { transport = 'postgres_changes', accessToken }: { transport?: Transport; accessToken?: string | null } = {},
  ): LiveSubscription {
    return openChannel(this.client, this.userId, transport, handlers, accessToken);
  }

  #list(view: NotificationView) {
    const listed = this.client.from(TABLE).select(COLUMNS).eq('user_id', this.userId);
    return (view === 'inbox' ? listed.is('archived_at', null) : listed.not('archived_at', 'is', null))
      .order('created_at', { ascending: false })
      .order('id', { ascending: false });
  }

  /**
   * One read, under a signal that stops it when the owner cancels reads, or when no answer has
   * come within READ_TIMEOUT_MS: a request lost with the connection (sent just as the network
   * dropped) can otherwise stay pending for minutes, and with it a catch-up, which holds the live
   * changes back until it lands. Then it fails as a network problem, which the store retries.
   */
  async #read<T>(action: string, run: (signal: AbortSignal) => PromiseLike<T>): Promise<T> {
    const owner = this.#reads.signal;
    const read = new AbortController();
    const cancel = () => read.abort();
    if (owner.aborted) cancel();
    owner.addEventListener('abort', cancel);
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      read.abort();
    }, READ_TIMEOUT_MS);
    try {
      const result = await run(read.signal);
      if (late) {
        throw new NotificationSourceError(
          'network',
          `${action}: Supabase did not answer within ${READ_TIMEOUT_MS / 1000} s. It is tried again by itself, and when the connection is back.`,
        );
      }
      return result;
    } finally {
      clearTimeout(timer);
      owner.removeEventListener('abort', cancel);
    }
  }

  #rows(result: { data: unknown; error: PostgrestLikeError | null }, action: string): WacrmNotification[] {
    if (result.error) throw classify(result.error, action);
    const rows = Array.isArray(result.data) ? result.data.map(asNotification) : [];
    if (rows.some((row) => row === null)) {
      throw new NotificationSourceError('malformed-event', `${action}: the server sent rows that are not notifications.`);
    }
    return rows as WacrmNotification[];
  }
}
