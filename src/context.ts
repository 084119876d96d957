import { createContext } from '@lit/context';
import type { NotificationStore } from './store/notification-store.js';

/** The store a bell provides to the panels inside it (or any provider to its descendants). */
export const notificationStoreContext = createContext<NotificationStore | undefined>(Symbol('wacrm-notification-store'));
