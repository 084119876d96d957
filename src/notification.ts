/** A row of public.notifications, as PostgREST and Realtime deliver it. */
export interface WacrmNotification {
  id: string;
  account_id: string;
  user_id: string;
  type: string;
  conversation_id: string | null;
  contact_id: string | null;
  actor_user_id: string | null;
  title: string;
  body: string | null;
  /** ISO timestamp; null while unread. */
  read_at: string | null;
  /**
   * ISO timestamp with the database's microseconds. A coalesced `message_received` row moves it to
   * the latest message's time, which brings the row to the top of the list.
   */
  created_at: string;
  /**
   * What a client needs to word the notification in the reader's language (see NotificationData);
   * null for rows written without it (027's trigger, other writers): `title` and `body` then.
   */
  data: NotificationData | null;
  /** ISO timestamp; null until the user has seen it in an opened panel. */
  seen_at: string | null;
  /** ISO timestamp; null unless archived (archived rows leave the list and the counts). */
  archived_at: string | null;
}

/** The built-in types (`notifications_type_check`). Other writers may use others: shown by title. */
export type NotificationType = 'conversation_assigned' | 'message_received' | 'deal_updated';
export const notificationTypes: readonly NotificationType[] = ['conversation_assigned', 'message_received', 'deal_updated'];

/**
 * `data` of each type (every field may be missing or null: a writer that knows less says less).
 * - conversation_assigned: `{ actor_name, contact_name }`
 * - message_received: `{ contact_name, excerpt, content_type, message_count }` (messages coalesced
 *   into this row while it was unread)
 * - deal_updated: `{ actor_name, deal_id, deal_title, change: 'stage' | 'status' | 'assigned', stage_name, status }`
 */
export type NotificationData = Record<string, unknown>;

/** Which rows a list holds: the inbox (not archived) or the archive. */
export type NotificationView = 'inbox' | 'archived';

/** Whether a row belongs to a view's list (and, for the inbox, to its counts). */
export const belongsTo = (view: NotificationView, row: Pick<WacrmNotification, 'archived_at'>) =>
  (row.archived_at === null) === (view === 'inbox');

/** Where a keyset page starts: the list is ordered by created_at desc, then id desc. */
export interface Cursor {
  created_at: string;
  id: string;
}

/**
 * Microseconds since the epoch. Timestamps arrive with 0 to 6 fractional digits and in more than
 * one layout (PostgREST: `2026-11-27T03:16:48.12345+00:00`; Realtime: the same with a space), so
 * they are compared as numbers, never as strings; Date alone would drop the microseconds.
 */
export function timeKey(timestamp: string): number {
  const normalized = timestamp.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const fraction = /\.(\d+)/.exec(normalized)?.[1] ?? '';
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  const millis = Date.parse(normalized.replace(/\.\d+/, ''));
  if (Number.isNaN(millis)) throw new TypeError(`not a timestamp: ${timestamp}`);
  return millis * 1000 + micros;
}

/** Negative when `a` comes first in the list (newer), positive when `b` does. */
export function compareNewestFirst(a: Cursor, b: Cursor): number {
  const byTime = timeKey(b.created_at) - timeKey(a.created_at);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export const isUnread = (notification: Pick<WacrmNotification, 'read_at'>) => notification.read_at === null;
export const isUnseen = (notification: Pick<WacrmNotification, 'seen_at'>) => notification.seen_at === null;
