// The registering entry: importing it defines <wacrm-notification-bell> and <wacrm-notification-panel>.
export * from './index.js';
import './panel/define.js';
import './bell/define.js';
