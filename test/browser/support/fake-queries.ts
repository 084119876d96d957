// The in-memory data source of element tests: the shared fake (test/support/fake-queries.ts), and
// what element tests build on it. The store and the error class come from the package by name, so
// in each form (test/browser/forms.ts) the store under test is the shipped one; the fake itself
// loads nothing from the sources.
import { NotificationSourceError, NotificationStore } from 'wacrm-notifications';
import type { FakeDatabase } from '../../support/fake-queries.js';

export { FakeDatabase, ME } from '../../support/fake-queries.js';

/** A store over `db`, signed in as its user; loaded unless `load` is false. */
export async function storeOver(
  db: FakeDatabase,
  { pageSize = 20, load = true }: { pageSize?: number; load?: boolean } = {},
): Promise<NotificationStore> {
  const store = new NotificationStore({ pageSize, recountDelayMs: 1 });
  store.reset(db, db.userId);
  if (load) await store.sync();
  return store;
}

/** A gate that holds every query until `open()` is called. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export const permissionDenied = () =>
  new NotificationSourceError('permission-denied', 'the database refused access (42501)');
