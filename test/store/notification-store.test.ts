// The store alone, against an in-memory data source: the list and the badge must equal the
// database after any interleaving of loads, realtime changes and writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { NotificationStore } from '../../src/store/notification-store.js';
import { NotificationSourceError } from '../../src/store/notification-source.js';
import { compareNewestFirst, FakeDatabase, ME } from '../support/fake-queries.js';

async function loaded(db: FakeDatabase, pageSize = 5) {
  const store = new NotificationStore({ pageSize, recountDelayMs: 1 });
  store.reset(db, ME);
  await store.sync();
  return store;
}

/** What the badges and the loaded list must show: the database's own answer (the inbox, newest first). */
function assertEqualsDatabase(store: NotificationStore, db: FakeDatabase) {
  assert.equal(store.state.unreadCount, db.unread(), 'unread badge equals the database');
  assert.equal(store.state.unseenCount, db.unseen(), 'unseen badge equals the database');
  const expected = db.rows
    .filter((row) => row.user_id === ME && row.archived_at === null)
    .sort(compareNewestFirst)
    .slice(0, store.state.items.length);
  // Read or unread, not the exact time: an optimistic mark shows the browser's time until the
  // realtime echo brings the server's.
  assert.deepEqual(
    store.state.items.map((item) => [item.id, item.read_at === null, item.seen_at === null]),
    expected.map((row) => [row.id, row.read_at === null, row.seen_at === null]),
  );
  assert.equal(new Set(store.state.items.map((item) => item.id)).size, store.state.items.length, 'no duplicates');
}

const settle = () => delay(10);

test('a signed-out store shows nothing and asks nothing', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  const store = new NotificationStore();
  store.reset(db, null);
  await store.sync();
  assert.equal(store.state.status, 'signed-out');
  assert.deepEqual(store.state.items, []);
  assert.equal(store.state.unreadCount, 0);
  assert.deepEqual(db.calls, []);
});

test('the first load shows the newest page and counts every unread row, loaded or not', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 12; i++) db.insert({ read_at: i % 3 === 0 ? '2026-11-01T00:00:00Z' : null });
  const store = await loaded(db);
  assert.equal(store.state.status, 'ready');
  assert.equal(store.state.items.length, 5);
  assert.equal(store.state.hasMore, true);
  assertEqualsDatabase(store, db);
});

test('an INSERT is prepended and counted once, however often it arrives', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  const store = await loaded(db);
  const received: string[] = [];
  store.addEventListener('receive', (event) => received.push(event.notification.id));
  const row = db.insert();
  store.apply({ type: 'INSERT', row });
  store.apply({ type: 'INSERT', row });
  assert.equal(store.state.items[0]?.id, row.id);
  assert.deepEqual(received, [row.id]);
  assertEqualsDatabase(store, db);
});

test('UPDATEs of a held row never double-count, whatever the event says about the old row', async () => {
  const db = new FakeDatabase(ME);
  const row = db.insert();
  db.insert();
  const store = await loaded(db);
  const { row: read, previous } = db.update(row.id, { read_at: '2026-11-27T11:00:00Z' });
  store.apply({ type: 'UPDATE', row: read, previous });
  store.apply({ type: 'UPDATE', row: read, previous });
  store.apply({ type: 'UPDATE', row: read });
  assertEqualsDatabase(store, db);
  const { row: unread } = db.update(row.id, { read_at: null });
  store.apply({ type: 'UPDATE', row: unread, previous: { ...read } });
  assertEqualsDatabase(store, db);
});

test('a row beyond the loaded page: the event adjusts the badge, a recount confirms it', async () => {
  const db = new FakeDatabase(ME);
  const old = db.insert();
  for (let i = 0; i < 6; i++) db.insert();
  const store = await loaded(db);
  assert.equal(store.state.unreadCount, 7);
  const { row, previous } = db.update(old.id, { read_at: '2026-11-27T11:00:00Z' });
  store.apply({ type: 'UPDATE', row, previous });
  assert.equal(store.state.unreadCount, 6, 'at once, from payload.old');
  assert.ok(!store.state.items.some((item) => item.id === old.id), 'an old row is not pulled into the page');
  const second = db.rows[1]!;
  const update = db.update(second.id, { read_at: '2026-11-27T11:00:00Z' });
  store.apply({ type: 'UPDATE', row: update.row }); // no old row in the event
  await settle();
  assertEqualsDatabase(store, db);
});

test('DELETE: a held row goes; an unknown one triggers a recount; the badge never goes below zero', async () => {
  const db = new FakeDatabase(ME);
  const old = db.insert();
  for (let i = 0; i < 5; i++) db.insert({ read_at: '2026-11-01T00:00:00Z' });
  const held = db.insert();
  const store = await loaded(db);
  db.remove(held.id);
  store.apply({ type: 'DELETE', id: held.id });
  assert.ok(!store.state.items.some((item) => item.id === held.id));
  db.remove(old.id);
  store.apply({ type: 'DELETE', id: old.id, previous: { read_at: null, seen_at: null, archived_at: null, created_at: old.created_at } });
  store.apply({ type: 'DELETE', id: old.id, previous: { read_at: null, seen_at: null, archived_at: null, created_at: old.created_at } });
  assert.equal(store.state.unreadCount, 0);
  store.apply({ type: 'DELETE', id: 'never-existed' });
  await settle();
  assertEqualsDatabase(store, db);
});

test('changes that arrive while the first page loads are neither lost nor doubled', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  let open!: () => void;
  db.gate = new Promise((resolve) => (open = resolve));
  const store = new NotificationStore({ pageSize: 5, recountDelayMs: 1 });
  store.reset(db, ME);
  const loading = store.sync();
  const raced = db.insert(); // committed while the page query runs: it may or may not see it
  store.apply({ type: 'INSERT', row: raced });
  assert.equal(store.state.status, 'loading');
  open();
  db.gate = null;
  await loading;
  assertEqualsDatabase(store, db);
  assert.equal(store.state.items.length, 2);
});

test('mark read: at once on screen, then in the database', async () => {
  const db = new FakeDatabase(ME);
  const row = db.insert();
  db.insert();
  const store = await loaded(db);
  const marking = store.markRead(row.id);
  assert.equal(store.state.unreadCount, 1, 'before the server answers');
  assert.equal(await marking, true);
  assert.notEqual(db.rows.find((candidate) => candidate.id === row.id)?.read_at, null);
  const { row: confirmed } = db.update(row.id, {});
  store.apply({ type: 'UPDATE', row: confirmed, previous: { ...row } }); // the realtime echo
  assertEqualsDatabase(store, db);
});

test('a refused write rolls back and reports write-failed', async () => {
  const db = new FakeDatabase(ME);
  const row = db.insert();
  const store = await loaded(db);
  db.failWrites = new NotificationSourceError('network', 'Failed to fetch');
  const errors: string[] = [];
  store.addEventListener('error', (event) => errors.push(event.error.code));
  db.calls = [];
  assert.equal(await store.markRead(row.id), false);
  assert.equal(store.state.unreadCount, 1);
  assert.equal(store.state.items[0]?.read_at, null);
  assert.deepEqual(errors, ['write-failed']);
  assert.match(store.state.error?.message ?? '', /Failed to fetch/);
  // What it put back is a guess (the write may have happened, its answer lost): it catches up.
  await settle();
  assert.deepEqual(db.calls, ['markRead', 'fetchPage']);
  assert.match(store.state.error?.message ?? '', /Failed to fetch/, 'still shown after the catch-up');
  db.failWrites = null;
  assert.equal(await store.markAllRead(), true);
  assertEqualsDatabase(store, db);
});

test('a problem that lasts is reported once; after a recovery, the next one is reported again', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  db.failReads = new NotificationSourceError('permission-denied', 'Loading notifications: the database refused access (42501).');
  const store = new NotificationStore({ recountDelayMs: 1 });
  const errors: string[] = [];
  store.addEventListener('error', (event) => errors.push(event.error.code));
  store.reset(db, ME);
  // The first load, the channel's SUBSCRIBED and its "Subscribed to PostgreSQL": one problem.
  await Promise.all([store.sync(), store.sync(), store.sync()]);
  await store.sync();
  assert.deepEqual(errors, ['permission-denied']);
  assert.equal(store.state.status, 'error');
  db.failReads = null;
  await store.sync();
  assert.equal(store.state.error, null);
  db.failReads = new NotificationSourceError('network', 'Catching up on notifications: could not reach Supabase.');
  await store.sync();
  assert.deepEqual(errors, ['permission-denied', 'network']);
  store.reset(null, null); // no retry left behind
});

test('every failed write is reported: each is the user’s action', async () => {
  const db = new FakeDatabase(ME);
  const [first, second] = [db.insert(), db.insert()];
  const store = await loaded(db);
  db.failWrites = new NotificationSourceError('network', 'Failed to fetch');
  const errors: string[] = [];
  store.addEventListener('error', (event) => errors.push(event.error.code));
  await store.markRead(first.id);
  await store.markRead(second.id);
  await store.markRead(first.id);
  assert.deepEqual(errors, ['write-failed', 'write-failed', 'write-failed']);
});

test('syncs asked for while one runs make one more read, not one each', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  const store = await loaded(db);
  let open!: () => void;
  db.gate = new Promise<void>((resolve) => (open = resolve));
  db.calls = [];
  const running = store.sync();
  await delay(1);
  const waiting = [store.sync(), store.sync(), store.sync()];
  assert.equal(new Set(waiting).size, 1, 'the three wait for one');
  open();
  await Promise.all([running, ...waiting]);
  assert.equal(db.calls.filter((call) => call === 'fetchPage' || call === 'fetchWindow').length, 2);
});

test('mark all reads every unread row, loaded or not, and later arrivals still count', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 9; i++) db.insert();
  const store = await loaded(db);
  const marking = store.markAllRead();
  assert.equal(store.state.unreadCount, 0, 'at once');
  await marking;
  const arrived = db.insert();
  store.apply({ type: 'INSERT', row: arrived });
  // The realtime echoes of the mark-all, for rows beyond the page, come after the new arrival.
  for (const row of db.rows.slice(0, 4)) store.apply({ type: 'UPDATE', row: { ...row }, previous: { ...row, read_at: null } });
  await settle();
  assertEqualsDatabase(store, db);
  assert.equal(store.state.unreadCount, 1);
});

test('load more appends older pages by keyset until the end', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 12; i++) db.insert({ read_at: i < 4 ? null : '2026-11-01T00:00:00Z' });
  const store = await loaded(db);
  await store.loadMore();
  assert.equal(store.state.items.length, 10);
  await store.loadMore();
  assert.equal(store.state.items.length, 12);
  assert.equal(store.state.hasMore, false);
  await store.loadMore();
  await settle();
  assertEqualsDatabase(store, db);
});

test('catch-up after a gap: new rows, read states changed elsewhere and deletions all match the database', async () => {
  const db = new FakeDatabase(ME);
  const rows = Array.from({ length: 8 }, () => db.insert());
  const store = await loaded(db);
  await store.loadMore();
  const received: string[] = [];
  store.addEventListener('receive', (event) => received.push(event.notification.id));
  // While disconnected: no events at all.
  const fresh = [db.insert(), db.insert()];
  db.update(rows[7]!.id, { read_at: '2026-11-27T12:00:00Z' });
  db.update(rows[0]!.id, { read_at: '2026-11-27T12:00:00Z' });
  db.remove(rows[5]!.id);
  await store.sync();
  await settle();
  assertEqualsDatabase(store, db);
  assert.deepEqual(received.sort(), fresh.map((row) => row.id).sort());
  // The same events delivered late change nothing.
  for (const row of fresh) store.apply({ type: 'INSERT', row });
  assertEqualsDatabase(store, db);
});

test('another user: everything is cleared and late answers for the previous user are dropped', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  let open!: () => void;
  db.gate = new Promise((resolve) => (open = resolve));
  const store = new NotificationStore({ pageSize: 5 });
  store.reset(db, ME);
  const stale = store.sync();
  await delay(1); // the query for ME is now waiting at the gate
  const other = new FakeDatabase('user-other');
  store.reset(other, 'user-other');
  assert.deepEqual(store.state.items, []);
  assert.equal(store.state.unreadCount, 0);
  assert.equal(store.state.status, 'loading');
  open();
  await stale;
  assert.equal(store.state.userId, 'user-other');
  assert.deepEqual(store.state.items, [], 'ME’s late page is not shown to the other user');
  assert.equal(store.state.unreadCount, 0);
  assert.equal(store.state.status, 'loading');
});

test('rows of another user are never shown or counted', async () => {
  const db = new FakeDatabase(ME);
  const store = await loaded(db);
  store.apply({ type: 'INSERT', row: { ...db.insert(), user_id: 'someone-else' } });
  assert.deepEqual(store.state.items, []);
  assert.equal(store.state.unreadCount, 0);
});

test('a failed first load is an error state with the source’s message; a retry recovers', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  const failing = Object.assign(Object.create(db) as FakeDatabase, {
    fetchPage: async () => {
      throw new NotificationSourceError('migration-missing', 'apply supabase/migrations/027_notifications.sql');
    },
  });
  const store = new NotificationStore();
  store.reset(failing, ME);
  await store.sync();
  assert.equal(store.state.status, 'error');
  assert.equal(store.state.error?.code, 'migration-missing');
  store.reset(db, ME);
  await store.sync();
  assert.equal(store.state.status, 'ready');
  assert.equal(store.state.error, null);
});

test('a failed catch-up is retried by itself until the list and badge equal the database', async () => {
  const db = new FakeDatabase(ME);
  db.insert();
  const store = await loaded(db);
  const fetchPage = db.fetchPage.bind(db);
  let failuresLeft = 1;
  db.fetchPage = async (limit, after) => {
    if (failuresLeft-- > 0) throw new NotificationSourceError('network', 'Failed to fetch');
    return fetchPage(limit, after);
  };
  const missed = db.insert(); // committed while the socket was down: no event
  await store.sync();
  assert.equal(store.state.error?.code, 'network');
  assert.ok(!store.state.items.some((item) => item.id === missed.id));
  await delay(1300); // the first retry comes after a second
  assertEqualsDatabase(store, db);
  assert.equal(store.state.error, null);
  store.reset(null, null);
});

test('a catch-up finds a row older than every row held (a late commit, a skipped event)', async () => {
  const db = new FakeDatabase(ME);
  const early = db.clock;
  db.insert();
  db.insert();
  const store = await loaded(db);
  // Its transaction began before the others and committed after them: an older created_at.
  const late = db.insert({ created_at: new Date(early - 60_000).toISOString().replace('Z', '000+00:00') });
  await store.sync();
  assert.ok(store.state.items.some((item) => item.id === late.id));
  assertEqualsDatabase(store, db);
});

// ------------------------------------------------------------ coalescing, seen and archive (issue 11)

/** A message_received row brought to the top by a new message, as the migration's trigger does. */
function coalesce(db: FakeDatabase, id: string, count: number) {
  db.clock += 1000;
  return db.update(id, {
    created_at: new Date(db.clock).toISOString().replace('Z', '456+00:00'),
    seen_at: null,
    data: { contact_name: 'Ana', excerpt: `message ${count}`, content_type: 'text', message_count: count },
  });
}

test('a row beyond the window that moves to the top is listed once, counted once, and paging skips it', async () => {
  const db = new FakeDatabase(ME);
  const oldest = db.insert({ type: 'message_received' });
  for (let i = 0; i < 11; i++) db.insert({ read_at: '2026-11-01T00:00:00Z', seen_at: '2026-11-01T00:00:00Z' });
  const store = await loaded(db);
  assert.equal(store.state.unreadCount, 1, 'the old unread message, beyond the window, is counted');
  const received: string[] = [];
  store.addEventListener('receive', (event) => received.push(event.notification.id));

  const { row, previous } = coalesce(db, oldest.id, 2);
  store.apply({ type: 'UPDATE', row, previous });
  assert.equal(store.state.items[0]!.id, oldest.id, 'at the top at once');
  assert.equal(store.state.unreadCount, 1, 'still one unread, not two, before any recount');
  assert.deepEqual(received, [oldest.id], 'a new message in it is an arrival');
  await settle();
  assertEqualsDatabase(store, db);

  while (store.state.hasMore) await store.loadMore();
  assert.equal(store.state.items.filter((item) => item.id === oldest.id).length, 1, 'not listed again where it was');
  assert.equal(store.state.items.length, 12);
  assertEqualsDatabase(store, db);
});

test('the same move without the old row in the event still settles exact by a recount', async () => {
  const db = new FakeDatabase(ME);
  const oldest = db.insert({ type: 'message_received' });
  for (let i = 0; i < 11; i++) db.insert();
  const store = await loaded(db);
  const { row } = coalesce(db, oldest.id, 2);
  store.apply({ type: 'UPDATE', row });
  await settle();
  assertEqualsDatabase(store, db);
});

test('a page read before a row moved up does not put it back where it was', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 4; i++) db.insert();
  const mover = db.insert({ type: 'message_received' });
  for (let i = 0; i < 5; i++) db.insert();
  const store = await loaded(db);
  // loadMore reads the next page, which still has the row at its old place…
  let open!: () => void;
  db.gate = new Promise((resolve) => (open = resolve));
  const loading = store.loadMore();
  const page = db.rows.filter((candidate) => candidate.id === mover.id).map((candidate) => ({ ...candidate }));
  // …while the row moves to the top and its event arrives before the page does.
  const { row, previous } = coalesce(db, mover.id, 2);
  store.apply({ type: 'UPDATE', row, previous });
  db.rows = db.rows.map((candidate) => (candidate.id === mover.id ? page[0]! : candidate));
  open();
  await loading;
  db.rows = db.rows.map((candidate) => (candidate.id === mover.id ? row : candidate));
  db.gate = null;
  await settle();
  assert.equal(store.state.items.filter((item) => item.id === mover.id).length, 1);
  assert.equal(store.state.items[0]!.id, mover.id);
  assertEqualsDatabase(store, db);
});

test('unseen is counted like unread; marking the shown ones seen leaves the rest counted', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 12; i++) db.insert({ read_at: i % 2 ? '2026-11-01T00:00:00Z' : null });
  const store = await loaded(db);
  assert.equal(store.state.unseenCount, 12);
  const shown = store.state.items.map((item) => item.id);
  const marking = store.markSeen(shown);
  assert.equal(store.state.unseenCount, 7, 'at once');
  assert.equal(store.state.unreadCount, 6, 'seen is not read');
  assert.equal(await marking, true);
  for (const id of shown) {
    const { row, previous } = db.update(id, {});
    store.apply({ type: 'UPDATE', row, previous });
  }
  await settle();
  assertEqualsDatabase(store, db);
});

test('a refused mark-seen rolls back and reports write-failed', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 3; i++) db.insert();
  const store = await loaded(db);
  const errors: string[] = [];
  store.addEventListener('error', (event) => errors.push(event.error.code));
  db.failWrites = new NotificationSourceError('permission-denied', 'refused');
  assert.equal(await store.markSeen(store.state.items.map((item) => item.id)), false);
  assert.deepEqual(errors, ['write-failed']);
  assert.equal(store.state.unseenCount, 3);
  assertEqualsDatabase(store, db);
});

test('archiving takes a row out of the list and both counts, into the archive; restoring brings it back', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 8; i++) db.insert();
  const store = await loaded(db);
  const archive = store.archived;
  await archive.sync();
  assert.equal(archive.state.items.length, 0);
  const [first] = store.state.items;
  assert.equal(await store.archive(first!.id), true);
  assert.equal(store.state.items.some((item) => item.id === first!.id), false);
  assert.deepEqual(archive.state.items.map((item) => item.id), [first!.id]);
  assert.equal(archive.state.unreadCount, 0, 'the archive counts nothing');
  const echo = db.rows.find((row) => row.id === first!.id)!;
  store.apply({ type: 'UPDATE', row: { ...echo }, previous: { ...echo, archived_at: null } });
  await settle();
  assertEqualsDatabase(store, db);

  assert.equal(await store.unarchive(first!.id), true);
  assert.deepEqual(archive.state.items, []);
  assert.equal(store.state.items[0]!.id, first!.id);
  await settle();
  assertEqualsDatabase(store, db);
});

test('archiving all read rows leaves the unread ones, beyond the window too, and a failure puts them back', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 12; i++) db.insert({ read_at: i % 3 === 0 ? null : '2026-11-01T00:00:00Z' });
  const store = await loaded(db);
  db.failWrites = new NotificationSourceError('network', 'offline');
  const before = store.state.items.map((item) => item.id);
  assert.equal(await store.archiveRead(), false);
  assert.deepEqual(store.state.items.map((item) => item.id), before, 'put back');
  await settle(); // the catch-up after a failed write
  db.failWrites = null;
  assert.equal(await store.archiveRead(), true);
  assert.ok(store.state.items.every((item) => item.read_at === null));
  await settle();
  while (store.state.hasMore) await store.loadMore();
  assertEqualsDatabase(store, db);
  assert.equal(store.state.items.length, 4);
});

test('an archived row that was beyond the window leaves the counts by its event; restored, it is counted again', async () => {
  const db = new FakeDatabase(ME);
  const old = db.insert();
  for (let i = 0; i < 9; i++) db.insert({ read_at: '2026-11-01T00:00:00Z', seen_at: '2026-11-01T00:00:00Z' });
  const store = await loaded(db);
  assert.equal(store.state.unreadCount, 1);
  let change = db.update(old.id, { archived_at: '2026-11-28T00:00:00Z' });
  store.apply({ type: 'UPDATE', ...change });
  assert.equal(store.state.unreadCount, 0, 'at once, from the old row in the event');
  change = db.update(old.id, { archived_at: null });
  store.apply({ type: 'UPDATE', ...change });
  assert.equal(store.state.unreadCount, 1);
  await settle();
  assertEqualsDatabase(store, db);
});

test('an older echo arriving while our archive is in flight does not bring the row back; after the answer, changes are the database’s word', async () => {
  const db = new FakeDatabase(ME);
  const row = db.insert();
  const other = db.insert();
  const store = await loaded(db);
  const shown: boolean[] = [];
  store.addEventListener('change', () => shown.push(store.state.items.some((item) => item.id === row.id)));
  let open!: () => void;
  db.gate = new Promise((resolve) => (open = resolve));
  const archiving = store.archive(row.id);
  // The echo of an earlier commit (a seen mark made before the archive): archived_at still null.
  const { row: seen, previous } = db.update(row.id, { seen_at: '2026-11-27T10:00:05Z' });
  store.apply({ type: 'UPDATE', row: seen, previous });
  assert.deepEqual(shown, [false, false], 'never shown again while the archive was on its way');
  db.gate = null;
  open();
  assert.equal(await archiving, true);
  // Its own echo, then a restore made elsewhere: both are taken as they come.
  const archived = db.rows.find((candidate) => candidate.id === row.id)!;
  store.apply({ type: 'UPDATE', row: { ...archived }, previous: { ...seen } });
  const { row: restored, previous: before } = db.update(row.id, { archived_at: null });
  store.apply({ type: 'UPDATE', row: restored, previous: before });
  assert.equal(store.state.items.some((item) => item.id === row.id), true, 'restored elsewhere: back');
  await settle();
  assert.ok(store.state.items.some((item) => item.id === other.id));
  assertEqualsDatabase(store, db);
});

test('a catch-up that read before our mark committed and lands after its answer keeps the row read, and a load that began after the answer settles it', async () => {
  const db = new FakeDatabase(ME);
  for (let i = 0; i < 7; i++) db.insert();
  const store = await loaded(db); // 5 of 7 listed: the catch-up reads the window, then counts
  const row = store.state.items[0]!;
  const shownUnread: boolean[] = [];
  store.addEventListener('change', () => shownUnread.push(store.state.items.find((item) => item.id === row.id)?.read_at === null));
  let open!: () => void;
  db.gate = new Promise((resolve) => (open = resolve));
  const callsBefore = db.calls.length;
  const catchingUp = store.sync();
  while (db.calls.length === callsBefore) await delay(1); // its read has begun
  const marking = store.markRead(row.id);
  db.gate = null;
  open(); // the read runs first, then the mark commits and answers; the count lands after both
  assert.equal(await marking, true);
  await catchingUp;
  assert.equal(db.rows.find((candidate) => candidate.id === row.id)!.read_at !== null, true, 'read in the database');
  assert.deepEqual(shownUnread.filter(Boolean), [], 'never shown unread again');
  assert.equal(store.state.unreadCount, 6);
  // That load could not tell "read before the mark" from "emptied again after it": one more does.
  await settle();
  assert.equal(db.calls.slice(callsBefore).filter((call) => call === 'fetchWindow').length, 2, 'the catch-up and the one after the answer');
  assert.deepEqual(shownUnread.filter(Boolean), []);
  assertEqualsDatabase(store, db);
});

test('after our mark is accepted, an older echo still saying unread does not bring the row back; its own echo and later changes are the database’s word', async () => {
  const db = new FakeDatabase(ME);
  const row = db.insert();
  db.insert();
  const store = await loaded(db);
  const shownUnread: boolean[] = [];
  store.addEventListener('change', () => shownUnread.push(store.state.items.find((item) => item.id === row.id)?.read_at === null));
  // The seen mark of the open panel commits first; its echo comes after the mark read's answer.
  const { row: seen, previous: unseen } = db.update(row.id, { seen_at: '2026-11-27T10:00:05Z' });
  assert.equal(await store.markRead(row.id), true);
  store.apply({ type: 'UPDATE', row: seen, previous: unseen });
  assert.deepEqual(shownUnread.filter(Boolean), [], 'an older echo does not bring it back');
  const read = db.rows.find((candidate) => candidate.id === row.id)!;
  store.apply({ type: 'UPDATE', row: { ...read }, previous: { ...seen } });
  const { row: unread, previous } = db.update(row.id, { read_at: null });
  store.apply({ type: 'UPDATE', row: unread, previous });
  assert.equal(store.state.items.find((item) => item.id === row.id)!.read_at, null, 'unread again elsewhere: unread');
  await settle();
  assertEqualsDatabase(store, db);
});

test('a message folded into a held row while a catch-up reads is reported once, whichever arrives first', async () => {
  const db = new FakeDatabase(ME);
  const row = db.insert({ type: 'message_received' });
  const store = await loaded(db);
  const received: string[] = [];
  store.addEventListener('receive', (event) => received.push(event.notification.id));
  let open!: () => void;
  db.gate = new Promise((resolve) => (open = resolve));
  const callsBefore = db.calls.length;
  const catchingUp = store.sync();
  while (db.calls.length === callsBefore) await delay(1); // its read has begun
  const { row: folded, previous } = coalesce(db, row.id, 2);
  store.apply({ type: 'UPDATE', row: folded, previous });
  db.gate = null;
  open();
  await catchingUp;
  await settle();
  assert.deepEqual(received, [row.id]);
  assertEqualsDatabase(store, db);
});
