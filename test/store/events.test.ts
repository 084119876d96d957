// The store's events are typed: a listener for 'change', 'receive' or 'error' is given that event's
// class without a cast, and the type checker refuses a listener that expects another one. The
// compile-time half is checked by `npm run typecheck` (the @ts-expect-error lines must stay errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NotificationStore,
  StoreChangeEvent,
  StoreErrorEvent,
  StoreReceiveEvent,
  type NotificationState,
} from '../../src/store/notification-store.js';
import type { NotificationError } from '../../src/store/notification-source.js';
import type { WacrmNotification } from '../../src/notification.js';
import { FakeDatabase, ME } from '../support/fake-queries.js';

test('listeners get each event’s class, by its type, as objects or functions', async () => {
  const db = new FakeDatabase(ME);
  const store = new NotificationStore({ recountDelayMs: 1 });
  const states: NotificationState[] = [];
  const received: WacrmNotification[] = [];
  const errors: NotificationError[] = [];
  const onChange = (event: StoreChangeEvent) => states.push(event.state);
  store.addEventListener('change', onChange);
  store.addEventListener('receive', { handleEvent: (event) => received.push(event.notification) });
  store.addEventListener('error', (event) => errors.push(event.error), { once: true });
  // Any other type is still an EventTarget's.
  store.addEventListener('something-else', (event: Event) => assert.ok(event));

  store.reset(db, ME);
  await store.sync();
  const row = db.insert();
  store.apply({ type: 'INSERT', row });
  store.fail({ code: 'network', message: 'offline' });
  store.fail({ code: 'unknown', message: 'twice' });
  store.removeEventListener('change', onChange);
  const counted = states.length;
  store.apply({ type: 'DELETE', id: row.id });

  assert.ok(states.length > 0 && states.every((state) => typeof state.unreadCount === 'number'));
  assert.equal(states.length, counted, 'removed');
  assert.deepEqual(received.map((notification) => notification.id), [row.id]);
  assert.deepEqual(errors.map((error) => error.code), ['network'], 'once');
  store.reset(null, null);
});

test('a listener for another event class is a type error', () => {
  const store = new NotificationStore();
  // @ts-expect-error a 'change' listener is not given a StoreErrorEvent
  store.addEventListener('change', (event: StoreErrorEvent) => event.error);
  // @ts-expect-error a 'receive' event has no state
  store.addEventListener('receive', (event) => event.state);
  // @ts-expect-error nor an 'error' event a notification
  store.removeEventListener('error', (event: StoreReceiveEvent) => event.notification);
  assert.ok(store);
});
