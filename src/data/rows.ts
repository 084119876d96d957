// What arrives from the wire, validated and shaped into the store's terms: rows (PostgREST, both
// realtime transports) and the change a realtime message describes.
import { timeKey, type WacrmNotification } from '../notification.js';
import type { NotificationChange, PreviousRow } from '../store/notification-source.js';

const REQUIRED_FIELDS: (keyof WacrmNotification)[] = ['id', 'user_id', 'title', 'created_at'];
/** Timestamps that are null or a string; missing ones (a writer's row before the migration) read as null. */
const STAMPS = ['read_at', 'seen_at', 'archived_at'] as const;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A timestamp the store can order by (timeKey reads it): a row without one would stop its sorting. */
function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    timeKey(value);
    return true;
  } catch {
    return false;
  }
}

/** The text, the fallback when absent, undefined when present but not text (not a notification). */
const textOr = (value: unknown, fallback: string): string | undefined =>
  value === undefined || value === null ? fallback : typeof value === 'string' ? value : undefined;

/** A notification row, or null when the value is not one. */
export function asNotification(value: unknown): WacrmNotification | null {
  if (typeof value !== 'object' || value === null) return null;
  const row = value as Record<string, unknown>;
  if (!REQUIRED_FIELDS.every((field) => typeof row[field] === 'string')) return null;
  if (!isTimestamp(row.created_at)) return null;
  // Not String(): an object is no account id or type, and some objects cannot even become text.
  const accountId = textOr(row.account_id, '');
  const type = textOr(row.type, 'conversation_assigned');
  if (accountId === undefined || type === undefined) return null;
  if (row.read_at !== null && typeof row.read_at !== 'string') return null;
  if (row.body !== null && row.body !== undefined && typeof row.body !== 'string') return null;
  if (!STAMPS.every((field) => row[field] === null || row[field] === undefined || typeof row[field] === 'string')) return null;
  return {
    id: row.id as string,
    account_id: accountId,
    user_id: row.user_id as string,
    type,
    conversation_id: typeof row.conversation_id === 'string' ? row.conversation_id : null,
    contact_id: typeof row.contact_id === 'string' ? row.contact_id : null,
    actor_user_id: typeof row.actor_user_id === 'string' ? row.actor_user_id : null,
    title: row.title as string,
    body: row.body ?? null,
    read_at: row.read_at,
    created_at: row.created_at,
    // Realtime's postgres_changes sends jsonb as an object; anything else is no data.
    data: isPlainObject(row.data) ? row.data : null,
    seen_at: (row.seen_at as string | null | undefined) ?? null,
    archived_at: (row.archived_at as string | null | undefined) ?? null,
  };
}

/**
 * What the old row says of the fields the counts depend on, when the message carried it
 * (REPLICA IDENTITY FULL: both transports do); undefined otherwise.
 */
function previousOf(old: unknown): PreviousRow | undefined {
  if (!isPlainObject(old)) return undefined;
  const previous: Record<string, string | null> = {};
  for (const field of STAMPS) {
    const value = old[field];
    if (typeof value === 'string' || value === null) previous[field] = value;
  }
  if (isTimestamp(old.created_at)) previous.created_at = old.created_at;
  return Object.keys(previous).length > 0 ? previous : undefined;
}

/**
 * The change a realtime message describes: `operation` with the new row and the old one
 * (postgres_changes' eventType/new/old, or broadcast_changes' operation/record/old_record).
 * Null when it is not a change of a notification.
 */
export function changeOf(operation: unknown, record: unknown, old: unknown): NotificationChange | null {
  switch (operation) {
    case 'INSERT': {
      const row = asNotification(record);
      return row ? { type: 'INSERT', row } : null;
    }
    case 'UPDATE': {
      const row = asNotification(record);
      if (!row) return null;
      const previous = previousOf(old);
      return previous === undefined ? { type: 'UPDATE', row } : { type: 'UPDATE', row, previous };
    }
    case 'DELETE': {
      // Only the key is guaranteed (Realtime does not RLS-check deletes).
      const id = (old as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') return null;
      const previous = previousOf(old);
      return previous === undefined ? { type: 'DELETE', id } : { type: 'DELETE', id, previous };
    }
    default:
      return null;
  }
}
