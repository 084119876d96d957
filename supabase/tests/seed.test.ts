// The demo data later issues build on: who can sign in, with what, and what they see first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startLocalDatabase, type LocalDatabase } from '../local/database.js';
import { runSqlFile, seedFile } from '../local/migrate.js';

let database: LocalDatabase;
let pool: pg.Pool;
before(async () => {
  database = await startLocalDatabase({ fresh: true });
  pool = new pg.Pool({ connectionString: database.databaseUrl, max: 2 });
});
after(async () => {
  await pool?.end();
  await database?.stop();
});

test('four agents in two accounts sign in with the documented password (bcrypt)', async () => {
  const { rows } = await pool.query(`
    select u.email, p.full_name, a.name as account, p.account_role::text as role,
           u.encrypted_password like '$2_$%' as bcrypt,
           extensions.crypt('wacrm-demo', u.encrypted_password) = u.encrypted_password as password_ok
    from auth.users u join public.profiles p on p.user_id = u.id join public.accounts a on a.id = p.account_id
    order by u.email`);
  assert.deepEqual(rows, [
    { email: 'alice@acme.test', full_name: 'Alice Martin', account: 'Acme Support', role: 'owner', bcrypt: true, password_ok: true },
    { email: 'bob@acme.test', full_name: 'Bob Chen', account: 'Acme Support', role: 'agent', bcrypt: true, password_ok: true },
    { email: 'carol@acme.test', full_name: 'Carol Diaz', account: 'Acme Support', role: 'agent', bcrypt: true, password_ok: true },
    { email: 'dave@globex.test', full_name: 'Dave Okafor', account: 'Globex', role: 'owner', bcrypt: true, password_ok: true },
  ]);
});

test('a dozen Acme contacts, one with a blank name and a phone; conversations in several states', async () => {
  const { rows } = await pool.query(`
    select count(*)::int as contacts,
           count(*) filter (where btrim(coalesce(c.name, '')) = '' and phone <> '')::int as blank_named
    from public.contacts c join public.accounts a on a.id = c.account_id where a.name = 'Acme Support'`);
  assert.deepEqual(rows[0], { contacts: 12, blank_named: 1 });
  const { rows: states } = await pool.query(
    'select array_agg(distinct status order by status) as statuses, count(*) filter (where assigned_agent_id is null)::int as unassigned from public.conversations',
  );
  assert.deepEqual(states[0].statuses, ['closed', 'open', 'pending']);
  assert.ok(states[0].unassigned > 0);
});

test('notifications came through the trigger, read and unread, never across accounts', async () => {
  const { rows } = await pool.query(`
    select count(*) filter (where n.read_at is null)::int as unread,
           count(*) filter (where n.read_at is not null)::int as read,
           count(*) filter (where p.account_id <> n.account_id)::int as cross_account,
           count(*) filter (where n.body like 'Someone %')::int as by_automation,
           count(*) filter (where n.body like '% with +1 415 555 0111')::int as named_by_phone
    from public.notifications n join public.profiles p on p.user_id = n.user_id`);
  const [summary] = rows;
  assert.ok(summary.unread >= 3 && summary.read >= 3, JSON.stringify(summary));
  assert.equal(summary.cross_account, 0);
  assert.ok(summary.by_automation >= 1);
  assert.equal(summary.named_by_phone, 1);
});

test('the demo shows all three types: a folded burst, media, deals moved by people and by an automation', async () => {
  const { rows } = await pool.query(`
    select p.full_name, n.type, count(*)::int as rows,
           count(*) filter (where n.data is null)::int as without_data,
           max((n.data ->> 'message_count')::int) as most_messages
    from public.notifications n join public.profiles p on p.user_id = n.user_id
    group by 1, 2 order by 1, 2`);
  assert.deepEqual(rows, [
    { full_name: 'Alice Martin', type: 'conversation_assigned', rows: 1, without_data: 0, most_messages: null },
    { full_name: 'Alice Martin', type: 'message_received', rows: 1, without_data: 0, most_messages: 1 },
    { full_name: 'Bob Chen', type: 'conversation_assigned', rows: 7, without_data: 0, most_messages: null },
    { full_name: 'Bob Chen', type: 'deal_updated', rows: 4, without_data: 0, most_messages: null },
    { full_name: 'Bob Chen', type: 'message_received', rows: 3, without_data: 0, most_messages: 3 },
    { full_name: 'Carol Diaz', type: 'conversation_assigned', rows: 3, without_data: 0, most_messages: null },
    { full_name: 'Carol Diaz', type: 'deal_updated', rows: 1, without_data: 0, most_messages: null },
    { full_name: 'Carol Diaz', type: 'message_received', rows: 1, without_data: 0, most_messages: 1 },
  ]);
  const { rows: bob } = await pool.query(`
    select count(*) filter (where read_at is null and archived_at is null)::int as unread,
           count(*) filter (where seen_at is null and archived_at is null)::int as unseen,
           count(*) filter (where archived_at is not null)::int as archived,
           count(*) filter (where type = 'deal_updated' and body like 'Someone %')::int as deal_by_automation,
           array_agg(data ->> 'content_type' order by data ->> 'content_type') filter (where type = 'message_received') as kinds
    from public.notifications where user_id = 'b0b00000-0000-4000-8000-000000000002'`);
  assert.deepEqual(bob, [{ unread: 6, unseen: 2, archived: 1, deal_by_automation: 1, kinds: ['audio', 'image', 'text'] }]);
});

test('running the seed again adds nothing', async () => {
  const counts = `select (select count(*) from auth.users) as users, (select count(*) from public.notifications) as notifications,
                         (select count(*) from public.conversations) as conversations, (select count(*) from public.messages) as messages,
                         (select count(*) from public.deals) as deals`;
  const before = (await pool.query(counts)).rows;
  const client = await pool.connect();
  try {
    await runSqlFile(client, seedFile);
  } finally {
    client.release();
  }
  assert.deepEqual((await pool.query(counts)).rows, before);
});
