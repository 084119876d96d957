// Server-side rendering: importing the package in Node, where there is no DOM, must not throw
// (a crash at import is the SSR failure hosts report against other inboxes). Lit's `node` export
// condition brings a minimal DOM shim; nothing of ours may reach for window or document at import.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('Node has no DOM here', () => {
  assert.equal(typeof (globalThis as { window?: unknown }).window, 'undefined');
  assert.equal(typeof (globalThis as { document?: unknown }).document, 'undefined');
});

test('the side-effect-free entry imports without a DOM', async () => {
  const entry = await import('../src/index.js');
  assert.equal(typeof entry.WacrmNotificationBell, 'function');
  assert.equal(typeof entry.WacrmNotificationPanel, 'function');
  assert.equal(typeof entry.NotificationStore, 'function');
});

test('the registering entry imports without a DOM, and importing it twice is harmless', async () => {
  const define = await import('../src/define.js');
  assert.equal(typeof define.WacrmNotificationBell, 'function');
  await import('../src/bell/define.js');
  await import('../src/panel/define.js');
  assert.equal(typeof (globalThis as { document?: unknown }).document, 'undefined', 'no DOM was faked globally');
});

test('defineElement tolerates a second registration', async () => {
  const { defineElement, WacrmNotificationPanel } = await import('../src/index.js');
  assert.doesNotThrow(() => defineElement('wacrm-notification-panel', WacrmNotificationPanel));
});
