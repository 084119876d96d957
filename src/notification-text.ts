// What a notification says, in the reader's language: worded from its `data` by type (see
// NotificationData), or, for rows without data (027's trigger, other writers) and types we do not
// know, the `title` and `body` the writer stored.
import type { WacrmNotification } from './notification.js';
import { format, type NotificationStrings } from './strings.js';

export interface NotificationText {
  title: string;
  body: string | null;
}

/** A non-blank string from `data`, or undefined (blank names are absent, as in the triggers). */
function text(data: Record<string, unknown>, field: string): string | undefined {
  const value = data[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function notificationText(notification: WacrmNotification, strings: NotificationStrings): NotificationText {
  const { data } = notification;
  const stored = { title: notification.title, body: notification.body };
  if (!data) return stored;
  const actor = text(data, 'actor_name') ?? strings.someone;
  const contact = text(data, 'contact_name') ?? strings.aContact;
  switch (notification.type) {
    case 'conversation_assigned':
      return { title: strings.assignedTitle, body: format(strings.assignedBody, { actor, contact }) };
    case 'message_received': {
      const count = typeof data.message_count === 'number' ? data.message_count : 1;
      const kind = text(data, 'content_type') ?? 'text';
      const media = strings.media[kind as keyof NotificationStrings['media']] ?? strings.media.other;
      return {
        title: format(count > 1 ? strings.messageTitleMany : strings.messageTitle, { contact, count }),
        body: text(data, 'excerpt') ?? (kind === 'text' ? null : media),
      };
    }
    case 'deal_updated': {
      const deal = text(data, 'deal_title') ?? stored.title;
      const change = text(data, 'change');
      if (change === 'assigned') return { title: strings.dealAssignedTitle, body: format(strings.dealAssigned, { actor, deal }) };
      const status = strings.statuses[text(data, 'status') as keyof NotificationStrings['statuses']];
      const stage = text(data, 'stage_name');
      if (change === 'status' && status) return { title: strings.dealTitle, body: format(strings.dealStatus, { actor, deal, status }) };
      if (change === 'stage' && stage) return { title: strings.dealTitle, body: format(strings.dealStage, { actor, deal, stage }) };
      return stored;
    }
    default:
      return stored;
  }
}
