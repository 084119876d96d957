import type { Cursor, WacrmNotification } from '../notification.js';

/** The reason a notification list could not be shown or changed, for the panel and `wacrm-error`. */
export type NotificationErrorCode =
  | 'no-client' // no Supabase client given
  | 'invalid-client' // something that is not a Supabase client
  | 'migration-missing' // the table or function of 027 is not in the database
  | 'permission-denied' // RLS or privileges refused (wrong key, signed out on the server)
  | 'session-expired' // the access token expired and was not refreshed
  | 'network' // the request never reached the server
  | 'write-failed' // marking read was refused or failed; the change was rolled back
  | 'malformed-event' // a realtime payload that is not a notification row
  | 'unknown';

export interface NotificationError {
  code: NotificationErrorCode;
  /** For people: what happened and what to do about it. */
  message: string;
  cause?: unknown;
}

/** A change pushed by Realtime, already shaped (the data source validates payloads). */
export type NotificationChange =
  | { type: 'INSERT'; row: WacrmNotification }
  /** `previousReadAt` is undefined when the event did not carry the old row. */
  | { type: 'UPDATE'; row: WacrmNotification; previousReadAt?: string | null }
  /** Only the key is guaranteed on DELETE (Realtime does not RLS-check deletes). */
  | { type: 'DELETE'; id: string; previousReadAt?: string | null };

/** The queries and writes the store needs; the data source implements them with supabase-js. */
export interface NotificationQueries {
  /** Newest first; rows strictly after `after` in list order when given. */
  fetchPage(limit: number, after?: Cursor): Promise<WacrmNotification[]>;
  /** Every row from the newest down to and including `oldest` (the window the store holds). */
  fetchWindow(oldest: Cursor): Promise<WacrmNotification[]>;
  /** Unread rows strictly after `after` in list order (all unread rows when omitted). */
  countUnread(after?: Cursor): Promise<number>;
  /** mark_notifications_read(ids): null marks every unread row of the user. Returns rows changed. */
  markRead(ids: string[] | null): Promise<number>;
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
