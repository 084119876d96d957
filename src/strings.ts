import { notLoaded } from './on-demand.js';
import type { NotificationType } from './notification.js';
import type { NotificationErrorCode } from './store/notification-source.js';

/** Every string the elements show or announce. Override any of them with the `.strings` property. */
export interface NotificationStrings {
  bellLabel: string;
  /** `{count}` is replaced with the (capped) number. */
  bellLabelUnread: string;
  /** With `badge="unseen"`; `{count}` is replaced with the (capped) number. */
  bellLabelUnseen: string;
  panelLabel: string;
  heading: string;
  markAllRead: string;
  filterAll: string;
  filterUnread: string;
  filterLabel: string;
  empty: string;
  emptyUnread: string;
  loading: string;
  loadingMore: string;
  signedOut: string;
  unreadItem: string;
  /** Announced politely when a notification arrives; `{title}` is replaced. */
  announceNew: string;
  close: string;
  retry: string;
  filterArchived: string;
  emptyArchived: string;
  /** A notification's archive and restore buttons; `{title}` is the notification's, for screen readers. */
  archive: string;
  restore: string;
  archiveRead: string;
  settings: string;
  settingsHeading: string;
  settingsLoading: string;
  back: string;
  /** Each type's name in the settings view. */
  types: Record<NotificationType, string>;
  /** Who did it when no name is known (an automation, a blank name). */
  someone: string;
  aContact: string;
  /** conversation_assigned: `{actor}`, `{contact}`. */
  assignedTitle: string;
  assignedBody: string;
  /** message_received: `{contact}`, `{count}` (messages since it was last read). */
  messageTitle: string;
  messageTitleMany: string;
  /** The body of a message without text, by `content_type` (`other` for the rest). */
  media: Record<'image' | 'document' | 'audio' | 'video' | 'location' | 'other', string>;
  /** deal_updated: `{actor}`, `{deal}`, `{stage}`, `{status}`. */
  dealTitle: string;
  dealAssignedTitle: string;
  dealStage: string;
  dealStatus: string;
  dealAssigned: string;
  statuses: Record<'open' | 'won' | 'lost', string>;
  errors: Record<NotificationErrorCode, string>;
}

export const en: NotificationStrings = {
  bellLabel: 'Notifications',
  bellLabelUnread: 'Notifications, {count} unread',
  bellLabelUnseen: 'Notifications, {count} new',
  panelLabel: 'Notifications',
  heading: 'Notifications',
  markAllRead: 'Mark all as read',
  filterAll: 'All',
  filterUnread: 'Unread',
  filterLabel: 'Show',
  empty: 'No notifications yet',
  emptyUnread: 'You are all caught up',
  loading: 'Loading notifications…',
  loadingMore: 'Loading more…',
  signedOut: 'Sign in to see your notifications.',
  unreadItem: 'Unread',
  announceNew: 'New notification: {title}',
  close: 'Close',
  retry: 'Try again',
  filterArchived: 'Archived',
  emptyArchived: 'Nothing archived',
  archive: 'Archive',
  restore: 'Restore',
  archiveRead: 'Archive read',
  settings: 'Settings',
  settingsHeading: 'Notify me about',
  settingsLoading: 'Loading settings…',
  back: 'Back',
  types: {
    conversation_assigned: 'Conversations assigned to me',
    message_received: 'New messages from customers',
    deal_updated: 'Changes to my deals',
  },
  someone: 'Someone',
  aContact: 'a contact',
  assignedTitle: 'New conversation assigned',
  assignedBody: '{actor} assigned you a conversation with {contact}',
  messageTitle: 'New message from {contact}',
  messageTitleMany: '{count} new messages from {contact}',
  media: {
    image: 'Sent an image',
    document: 'Sent a document',
    audio: 'Sent an audio message',
    video: 'Sent a video',
    location: 'Sent a location',
    other: 'Sent a message',
  },
  dealTitle: 'Deal updated',
  dealAssignedTitle: 'Deal assigned',
  dealStage: '{actor} moved {deal} to {stage}',
  dealStatus: '{actor} marked {deal} as {status}',
  dealAssigned: '{actor} assigned you the deal {deal}',
  statuses: { open: 'open', won: 'won', lost: 'lost' },
  errors: {
    'no-client': 'No Supabase client: set the element’s .supabase property to your createClient() instance.',
    'invalid-client': 'The .supabase property is not a Supabase client: pass the object createClient() returns.',
    'migration-missing':
      'Notifications are not set up in this database: apply supabase/migrations/027_notifications.sql.',
    'permission-denied': 'The database refused access to your notifications. Sign in again.',
    'session-expired': 'Your session has expired. Sign in again to see your notifications.',
    network: 'Could not reach the server. Notifications will update when the connection is back.',
    'write-failed': 'Your change could not be saved. Please try again.',
    'malformed-event': 'A notification could not be read and was skipped.',
    unknown: 'Something went wrong while loading notifications.',
  },
};

/**
 * The built-in languages other than English, by primary language subtag (`pt-BR` and `pt` both
 * take Brazilian Portuguese), each its own module: the first load of the elements carries English
 * alone, and a page in Portuguese or Spanish fetches just its language.
 */
const loaders: Record<string, () => Promise<NotificationStrings>> = {
  pt: () => import('./locales/pt-br.js').then((module) => module.ptBR),
  es: () => import('./locales/es.js').then((module) => module.es),
};

const loaded: Record<string, NotificationStrings> = { en };
const loading: Record<string, Promise<void>> = {};
/** Languages whose module could not be fetched: English stands in for the rest of the page's life. */
const unavailable = new Set<string>();

const primaryLanguage = (lang: string | undefined) => (lang ?? 'en').toLowerCase().split('-')[0] ?? 'en';

/**
 * Loads the built-in strings of a BCP 47 language tag, if there are any and they are not loaded
 * yet; resolves when `resolveStrings` can give them. Returns undefined when nothing needs loading.
 * If the module cannot be fetched (a blocked or missing CDN chunk), English stands in for the rest
 * of the page's life, with one warning: every element asking again would only repeat the failure.
 */
export function loadStrings(lang: string | undefined): Promise<void> | undefined {
  const primary = primaryLanguage(lang);
  const load = loaders[primary];
  if (!load || loaded[primary] || unavailable.has(primary)) return undefined;
  return (loading[primary] ??= load().then(
    (strings) => void (loaded[primary] = strings),
    (error: unknown) => {
      unavailable.add(primary);
      notLoaded(`the "${primary}" strings`, 'showing English', error);
    },
  ));
}

export type StringOverrides = Partial<Omit<NotificationStrings, 'errors'>> & {
  errors?: Partial<NotificationStrings['errors']>;
};

const noOverrides: StringOverrides = Object.freeze({});
/** Resolved strings by overrides object and base language: the same inputs give the same (frozen) object. */
const resolved = new WeakMap<StringOverrides, WeakMap<NotificationStrings, NotificationStrings>>();

/**
 * The strings for a BCP 47 language tag (by its primary language; English when there are none, or
 * while they load — see loadStrings), with overrides. The result is frozen and shared: the same
 * language and the same overrides object give the same object, so that rows worded with it are not
 * worded again (change overrides by giving a new object, not by editing the one given).
 */
export function resolveStrings(lang: string | undefined, overrides: StringOverrides = noOverrides): NotificationStrings {
  const base = loaded[primaryLanguage(lang)] ?? en;
  let byBase = resolved.get(overrides);
  if (!byBase) resolved.set(overrides, (byBase = new WeakMap()));
  let strings = byBase.get(base);
  if (!strings) {
    strings = Object.freeze({ ...base, ...overrides, errors: Object.freeze({ ...base.errors, ...overrides.errors }) });
    byBase.set(base, strings);
  }
  return strings;
}

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}
