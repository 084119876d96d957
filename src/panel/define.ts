import { defineElement } from '../define-element.js';
import { WacrmNotificationPanel } from './notification-panel.js';

defineElement('wacrm-notification-panel', WacrmNotificationPanel);

declare global {
  interface HTMLElementTagNameMap {
    'wacrm-notification-panel': WacrmNotificationPanel;
  }
}

export { WacrmNotificationPanel };
