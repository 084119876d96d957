// The side-effect-free entry: classes, store, data source and types. Nothing is registered here;
// import 'wacrm-notifications/define' (or call customElements.define yourself) to use the tags.
export { WacrmNotificationBell } from './bell/notification-bell.js';
export { WacrmNotificationPanel, expandHref, type NotificationFilter } from './panel/notification-panel.js';
export {
  NotificationStore,
  StoreChangeEvent,
  StoreErrorEvent,
  StoreReceiveEvent,
  type NotificationState,
  type NotificationStoreEventMap,
  type NotificationStoreListener,
  type NotificationStoreOptions,
  type RealtimeStatus,
  type StoreStatus,
} from './store/notification-store.js';
export {
  NotificationSourceError,
  type NotificationChange,
  type NotificationError,
  type NotificationErrorCode,
  type NotificationQueries,
  type InboxCounts,
  type NotificationPreferences,
  type PreviousRow,
} from './store/notification-source.js';
export { SupabaseNotificationSource, isSupabaseClient, type LiveHandlers, type LiveSubscription, type Transport } from './data/supabase-source.js';
export { broadcastTopic } from './data/realtime-channel.js';
export { NotificationSubscriptionController } from './controllers/notification-subscription-controller.js';
export { notificationStoreContext } from './context.js';
export * from './events.js';
// Portuguese and Spanish load on demand (loadStrings); their objects are `wacrm-notifications/locales/pt-br.js` and `…/es.js`.
export { en, loadStrings, resolveStrings, type NotificationStrings, type StringOverrides } from './strings.js';
export { NotificationElement } from './notification-element.js';
export type { WacrmNotification, Cursor, NotificationData, NotificationType, NotificationView } from './notification.js';
export { notificationTypes } from './notification.js';
export { defineElement } from './define-element.js';
