import { defineElement } from '../define-element.js';
import { WacrmNotificationBell } from './notification-bell.js';
// The bell renders a panel when none is slotted in.
import '../panel/define.js';

defineElement('wacrm-notification-bell', WacrmNotificationBell);

declare global {
  interface HTMLElementTagNameMap {
    'wacrm-notification-bell': WacrmNotificationBell;
  }
}

export { WacrmNotificationBell };
