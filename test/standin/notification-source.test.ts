// The widget's data source (src/data/supabase-source.ts) against the stand-in with the real
// supabase-js: keyset pages past the 1,000-row limit of one response, the catch-up window, counts
// beyond a cursor and mark-read, exactly as the store relies on them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SupabaseNotificationSource } from '../../src/data/supabase-source.js';
import { Fixtures, type Agent } from '../support/fixtures.js';
import { startTarget, type Target } from '../support/target.js';

let target: Target;
let fixtures: Fixtures;
let ann: Agent;
let source: SupabaseNotificationSource;
/** Ann's rows as the database orders them: newest first, ties by id. */
let expected: { id: string; created_at: string; unread: boolean }[];

before(async () => {
  target = await startTarget();
  fixtures = new Fixtures(target);
  const accountId = await fixtures.account('Source account');
  ann = await fixtures.agent(accountId, 'Ann Source');
  // 1,500 rows; every tenth shares its created_at with the one before, to exercise the id tie-break.
  await fixtures.db.query(
    `insert into public.notifications (account_id, user_id, title, read_at, created_at)
     select $1, $2, 'n' || g, case when g % 3 = 0 then now() end,
            timestamptz '2026-11-01' + ((g - (g % 10 = 0)::int) * interval '1 minute')
     from generate_series(1, 1500) g`,
    [accountId, ann.id],
  );
  const { rows } = await fixtures.db.query(
    `select id, read_at is null as unread from public.notifications where user_id = $1 order by created_at desc, id desc`,
    [ann.id],
  );
  source = new SupabaseNotificationSource(fixtures.clientWithToken(ann), ann.id);
  const all = await source.fetchPage(2000);
  expected = rows.map((row, index) => ({ id: row.id, unread: row.unread, created_at: all[index]?.created_at ?? '' }));
});

after(async () => {
  await fixtures?.end();
  await target?.stop();
});

test('a page larger than one response is read in keyset chunks, in order, without gaps or repeats', async () => {
  const page = await source.fetchPage(1501);
  assert.deepEqual(page.map((row) => row.id), expected.map((row) => row.id));
});

test('pages continue strictly after a cursor, even among equal timestamps', async () => {
  const first = await source.fetchPage(9);
  const rest = await source.fetchPage(20, first[8]);
  assert.deepEqual([...first, ...rest].map((row) => row.id), expected.slice(0, 29).map((row) => row.id));
});

test('the catch-up window is every row down to and including the oldest held', async () => {
  const oldest = expected[1199]!;
  const window = await source.fetchWindow({ created_at: oldest.created_at, id: oldest.id });
  assert.deepEqual(window.map((row) => row.id), expected.slice(0, 1200).map((row) => row.id));
});

test('unread rows beyond a cursor are counted by the database', async () => {
  const cursor = expected[499]!;
  const counted = await source.countInbox({ created_at: cursor.created_at, id: cursor.id });
  assert.equal(counted.unread, expected.slice(500).filter((row) => row.unread).length);
  assert.equal((await source.countInbox()).unread, expected.filter((row) => row.unread).length);
});

test('mark read changes the caller’s unread rows and says how many', async () => {
  const unread = expected.filter((row) => row.unread).slice(0, 3).map((row) => row.id);
  assert.equal(await source.markRead(unread), 3);
  assert.equal(await source.markRead(unread), 0);
  assert.equal((await source.countInbox()).unread, expected.filter((row) => row.unread).length - 3);
});
