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
  /** ISO timestamp with the database's microseconds. */
  created_at: string;
}

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
