// What arrives from the wire, validated and shaped into the store's terms: rows (PostgREST, both
// realtime transports) and the change a realtime message describes.
import type { WacrmNotification } from '../notification.js';
import type { NotificationChange } from '../store/notification-source.js';

const REQUIRED_FIELDS: (keyof WacrmNotification)[] = ['id', 'user_id', 'title', 'created_at'];

/** A notification row, or null when the value is not one. */
export function asNotification(value: unknown): WacrmNotification | null {
  if (typeof value !== 'object' || value === null) return null;
  const row = value as Record<string, unknown>;
  if (!REQUIRED_FIELDS.every((field) => typeof row[field] === 'string')) return null;
  if (row.read_at !== null && typeof row.read_at !== 'string') return null;
  if (row.body !== null && row.body !== undefined && typeof row.body !== 'string') return null;
  return {
    id: row.id as string,
    account_id: String(row.account_id ?? ''),
    user_id: row.user_id as string,
    type: String(row.type ?? 'conversation_assigned'),
    conversation_id: typeof row.conversation_id === 'string' ? row.conversation_id : null,
    contact_id: typeof row.contact_id === 'string' ? row.contact_id : null,
    actor_user_id: typeof row.actor_user_id === 'string' ? row.actor_user_id : null,
    title: row.title as string,
    body: (row.body as string | null | undefined) ?? null,
    read_at: row.read_at as string | null,
    created_at: row.created_at as string,
  };
}

/** The previous read_at when the message carried the old row, else undefined. */
function previousReadAt(old: unknown): string | null | undefined {
  if (typeof old !== 'object' || old === null || !('read_at' in old)) return undefined;
  const value = (old as { read_at: unknown }).read_at;
  return typeof value === 'string' || value === null ? value : undefined;
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
      const previous = previousReadAt(old);
      return previous === undefined ? { type: 'UPDATE', row } : { type: 'UPDATE', row, previousReadAt: previous };
    }
    case 'DELETE': {
      // Only the key is guaranteed (Realtime does not RLS-check deletes).
      const id = (old as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') return null;
      const previous = previousReadAt(old);
      return previous === undefined ? { type: 'DELETE', id } : { type: 'DELETE', id, previousReadAt: previous };
    }
    default:
      return null;
  }
}
