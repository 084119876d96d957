// The all-in-one entry (dist/cdn/wacrm-notifications.all.js): everything of the package entry, the
// bundled supabase-js `createClient`, and both tags registered with the attribute drop-in.
import { defineElement } from '../define-element.js';
import { WacrmDropInNotificationBell, WacrmDropInNotificationPanel } from './drop-in-elements.js';

export * from '../index.js';
export { WacrmDropInNotificationBell, WacrmDropInNotificationPanel } from './drop-in-elements.js';
export { connection as dropInConnection, defaultStorageKey } from './supabase-drop-in.js';
export { createClient } from '@supabase/supabase-js';

// The panel first: the bell renders one when none is slotted in.
defineElement('wacrm-notification-panel', WacrmDropInNotificationPanel);
defineElement('wacrm-notification-bell', WacrmDropInNotificationBell);
