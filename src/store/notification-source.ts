import type { Cursor, NotificationType, NotificationView, WacrmNotification } from '../notification.js';

/** The reason a notification list could not be shown or changed, for the panel and `wacrm-error`. */
export type NotificationErrorCode =
  | 'no-client' // no Supabase client given
  | 'invalid-client' // something that is not a Supabase client
  | 'migration-missing' // the table or function of 027 is not in the database
  | 'permission-denied' // RLS or privileges refused (wrong key, signed out on the server)
  | 'session-expired' // the access token expired and was not refreshed
  | 'network' // the request never reached the server
  | 'write-failed' // a change (read, seen, archive, a preference) was refused or failed; it was rolled back
  | 'malformed-event' // a realtime payload that is not a notification row
  | 'unknown';

export interface NotificationError {
  code: NotificationErrorCode;
  /** For people: what happened and what to do about it. */
  message: string;
  cause?: unknown;
}

/** What a realtime event says of the row before the change, when it carried the old row. */
export type PreviousRow = Partial<Pick<WacrmNotification, 'read_at' | 'seen_at' | 'archived_at' | 'created_at'>>;

/** A change pushed by Realtime, already shaped (the data source validates payloads). */
export type NotificationChange =
  | { type: 'INSERT'; row: WacrmNotification }
  /** `previous` is undefined when the event did not carry the old row. */
  | { type: 'UPDATE'; row: WacrmNotification; previous?: PreviousRow }
  /** Only the key is guaranteed on DELETE (Realtime does not RLS-check deletes). */
  | { type: 'DELETE'; id: string; previous?: PreviousRow };

/** The inbox's counts (archived rows are in neither). */
export interface InboxCounts {
  unread: number;
  unseen: number;
}

/** Whether each type is on for the user (`notification_preferences.in_app`; no row means on). */
export type NotificationPreferences = Record<NotificationType, boolean>;

/** The queries and writes the store needs; the data source implements them with supabase-js. */
export interface NotificationQueries {
  /** Newest first; rows strictly after `after` in list order when given. `view` defaults to the inbox. */
  fetchPage(limit: number, after?: Cursor, view?: NotificationView): Promise<WacrmNotification[]>;
  /** Every row from the newest down to and including `oldest` (the window the store holds). */
  fetchWindow(oldest: Cursor, view?: NotificationView): Promise<WacrmNotification[]>;
  /** Unread and unseen inbox rows strictly after `after` in list order (all of them when omitted). */
  countInbox(after?: Cursor): Promise<InboxCounts>;
  /** mark_notifications_read(ids): null marks every unread row of the user. Returns rows changed. */
  markRead(ids: string[] | null): Promise<number>;
  /** mark_notifications_seen(ids): null marks every unseen inbox row. Returns rows changed. */
  markSeen(ids: string[] | null): Promise<number>;
  /** archive_notifications(ids): null archives every read inbox row. Returns rows changed. */
  archive(ids: string[] | null): Promise<number>;
  /** unarchive_notifications(ids). Returns rows changed. */
  unarchive(ids: string[]): Promise<number>;
  /** The user's preferences (notification_preferences); types without a row are on. */
  fetchPreferences(): Promise<NotificationPreferences>;
  /** Upserts the user's preference for one type. */
  setPreference(type: NotificationType, inApp: boolean): Promise<void>;
}

/** Thrown by NotificationQueries so the store can show a specific message. */
export class NotificationSourceError extends Error implements NotificationError {
  constructor(
    readonly code: NotificationErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'NotificationSourceError';
  }
}
