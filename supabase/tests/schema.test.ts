// The notifications table as 027 defines it: columns, defaults, keys, CHECK, indexes, replica
// identity, publication and function privileges, read from the catalog and proven by behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useTestDatabase, rolledBack, tryAs, World } from './support.js';

const db = useTestDatabase();

test('the table has Wacrm’s columns, types, nullability and defaults', async () => {
  const { rows } = await db.pool.query(
    `select column_name, data_type, is_nullable, column_default
     from information_schema.columns
     where table_schema = 'public' and table_name = 'notifications'
     order by ordinal_position`,
  );
  assert.deepEqual(rows, [
    { column_name: 'id', data_type: 'uuid', is_nullable: 'NO', column_default: 'gen_random_uuid()' },
    { column_name: 'account_id', data_type: 'uuid', is_nullable: 'NO', column_default: null },
    { column_name: 'user_id', data_type: 'uuid', is_nullable: 'NO', column_default: null },
    { column_name: 'type', data_type: 'text', is_nullable: 'NO', column_default: "'conversation_assigned'::text" },
    { column_name: 'conversation_id', data_type: 'uuid', is_nullable: 'YES', column_default: null },
    { column_name: 'contact_id', data_type: 'uuid', is_nullable: 'YES', column_default: null },
    { column_name: 'actor_user_id', data_type: 'uuid', is_nullable: 'YES', column_default: null },
    { column_name: 'title', data_type: 'text', is_nullable: 'NO', column_default: null },
    { column_name: 'body', data_type: 'text', is_nullable: 'YES', column_default: null },
    { column_name: 'read_at', data_type: 'timestamp with time zone', is_nullable: 'YES', column_default: null },
    { column_name: 'created_at', data_type: 'timestamp with time zone', is_nullable: 'NO', column_default: 'now()' },
    // 20261204120000_notification_types.sql
    { column_name: 'data', data_type: 'jsonb', is_nullable: 'YES', column_default: null },
    { column_name: 'seen_at', data_type: 'timestamp with time zone', is_nullable: 'YES', column_default: null },
    { column_name: 'archived_at', data_type: 'timestamp with time zone', is_nullable: 'YES', column_default: null },
  ]);
  const { rows: key } = await db.pool.query(
    `select pg_get_constraintdef(oid) as definition from pg_constraint
     where conrelid = 'public.notifications'::regclass and contype = 'p'`,
  );
  assert.deepEqual(key, [{ definition: 'PRIMARY KEY (id)' }]);
});

test('a notification gets an id, the default type, no read time and the insert time', async () => {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const user = await world.agent(account);
    const { rows } = await client.query(
      `insert into public.notifications (account_id, user_id, title) values ($1, $2, 'Hi')
       returning id, type, read_at, created_at = now() as created_now`,
      [account, user],
    );
    assert.match(rows[0].id, /^[0-9a-f-]{36}$/);
    assert.equal(rows[0].type, 'conversation_assigned');
    assert.equal(rows[0].read_at, null);
    assert.equal(rows[0].created_now, true);
  });
});

test('foreign keys: account, recipient and conversation cascade; contact and actor are set null', async () => {
  const { rows } = await db.pool.query(
    `select a.attname as column_name, c.confrelid::regclass::text as target, c.confdeltype as on_delete
     from pg_constraint c
     join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
     where c.conrelid = 'public.notifications'::regclass and c.contype = 'f'
     order by a.attnum`,
  );
  assert.deepEqual(rows, [
    { column_name: 'account_id', target: 'accounts', on_delete: 'c' },
    { column_name: 'user_id', target: 'auth.users', on_delete: 'c' },
    { column_name: 'conversation_id', target: 'conversations', on_delete: 'c' },
    { column_name: 'contact_id', target: 'contacts', on_delete: 'n' },
    { column_name: 'actor_user_id', target: 'auth.users', on_delete: 'n' },
  ]);

  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const [alice, bob] = [await world.agent(account, 'Alice'), await world.agent(account, 'Bob')];
    const contact = await world.contact(account);
    const conversation = await world.conversation(account, contact);
    const kept = await world.conversation(account, await world.contact(account, 'Other'));
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: alice })]);
    await client.query('update public.conversations set assigned_agent_id = $1 where id in ($2, $3)', [bob, conversation, kept]);
    await client.query(`select set_config('request.jwt.claims', '', true)`);
    assert.equal((await world.notificationsOf(bob)).length, 2);

    await client.query('delete from public.contacts where id = $1', [contact]); // cascades to its conversation
    let left = await world.notificationsOf(bob);
    assert.equal(left.length, 1, 'the deleted conversation took its notification with it');
    assert.equal(left[0].conversation_id, kept);

    await client.query('update public.notifications set contact_id = $1 where user_id = $2', [
      await world.contact(account, 'Soon gone'),
      bob,
    ]);
    await client.query(`delete from public.contacts where name = 'Soon gone'`);
    await client.query('delete from auth.users where id = $1', [alice]);
    left = await world.notificationsOf(bob);
    assert.equal(left[0].contact_id, null, 'a deleted contact leaves the notification, without its contact');
    assert.equal(left[0].actor_user_id, null, 'a deleted actor leaves the notification, without its actor');

    await client.query('delete from auth.users where id = $1', [bob]);
    assert.equal((await world.notificationsOf(bob)).length, 0, 'a deleted recipient takes their notifications along');
  });
});

test('an unknown type is refused by notifications_type_check (23514)', async () => {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const user = await world.agent(account);
    const attempt = await tryAs(
      client,
      { role: 'postgres' },
      `insert into public.notifications (account_id, user_id, type, title) values ($1, $2, 'deal_created', 'x')`,
      [account, user],
    );
    assert.equal(attempt.error?.code, '23514');
    assert.equal(attempt.error?.constraint, 'notifications_type_check');
  });
});

test('both indexes exist with Wacrm’s names and definitions', async () => {
  const { rows } = await db.pool.query(
    `select indexname, indexdef from pg_indexes
     where schemaname = 'public' and tablename = 'notifications'
       and indexname in ('idx_notifications_user_created', 'idx_notifications_user_unread')
     order by indexname`,
  );
  assert.deepEqual(rows, [
    {
      indexname: 'idx_notifications_user_created',
      indexdef:
        'CREATE INDEX idx_notifications_user_created ON public.notifications USING btree (user_id, created_at DESC)',
    },
    {
      indexname: 'idx_notifications_user_unread',
      indexdef:
        'CREATE INDEX idx_notifications_user_unread ON public.notifications USING btree (user_id) WHERE (read_at IS NULL)',
    },
  ]);
});

test('the unread count of one user among many reads the partial index', async () => {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const me = await world.agent(account);
    // 300 users with 40 notifications each, three in four of them read.
    await client.query(
      `with users as (
         insert into auth.users (id, email) select gen_random_uuid(), 'bulk-' || g || '@example.test'
         from generate_series(1, 300) g returning id)
       insert into public.notifications (account_id, user_id, title, read_at)
       select $1, users.id, 'bulk', case when n % 4 = 0 then null else now() end
       from users, generate_series(1, 40) n`,
      [account],
    );
    await client.query(
      `insert into public.notifications (account_id, user_id, title) select $1, $2, 'mine' from generate_series(1, 5)`,
      [account, me],
    );
    await client.query('analyze public.notifications');
    // The query the badge sends through PostgREST: RLS adds the user predicate.
    const countQuery = 'select count(*) from public.notifications where read_at is null';
    const counted = await tryAs(client, { role: 'authenticated', sub: me }, countQuery);
    assert.equal(Number(counted.rows[0]?.count), 5);
    const plan = await tryAs(client, { role: 'authenticated', sub: me }, `explain (format json) ${countQuery}`);
    const text = JSON.stringify(plan.rows[0]);
    assert.match(text, /"Index Name":"idx_notifications_user_unread"/, text);
    assert.doesNotMatch(text, /"Seq Scan"/, text);
  });
});

test('REPLICA IDENTITY FULL and membership in supabase_realtime', async () => {
  const { rows } = await db.pool.query(
    `select relreplident from pg_class where oid = 'public.notifications'::regclass`,
  );
  assert.equal(rows[0].relreplident, 'f');
  const { rows: published } = await db.pool.query(
    `select schemaname, tablename from pg_publication_tables where pubname = 'supabase_realtime'`,
  );
  assert.deepEqual(published, [{ schemaname: 'public', tablename: 'notifications' }]);
});

test('API roles cannot execute the trigger functions; only signed-in users may mark read', async () => {
  const { rows } = await db.pool.query(
    `select fn, role, has_function_privilege(role, fn, 'execute') as allowed
     from unnest(array['public.notify_conversation_assigned()', 'public.notifications_read_at_server_time()',
                       'public.mark_notifications_read(uuid[])']) fn,
          unnest(array['anon', 'authenticated', 'service_role']) role
     order by fn, role`,
  );
  const allowed = Object.fromEntries(rows.map((row) => [`${row.fn} ${row.role}`, row.allowed]));
  assert.deepEqual(allowed, {
    'public.mark_notifications_read(uuid[]) anon': false,
    'public.mark_notifications_read(uuid[]) authenticated': true,
    'public.mark_notifications_read(uuid[]) service_role': true,
    'public.notifications_read_at_server_time() anon': false,
    'public.notifications_read_at_server_time() authenticated': false,
    'public.notifications_read_at_server_time() service_role': true,
    'public.notify_conversation_assigned() anon': false,
    'public.notify_conversation_assigned() authenticated': false,
    'public.notify_conversation_assigned() service_role': true,
  });
  const { rows: acl } = await db.pool.query(
    `select proname, proacl::text from pg_proc where proname = 'notify_conversation_assigned'`,
  );
  assert.doesNotMatch(acl[0].proacl, /(^|[{,])=X/, 'PUBLIC has no EXECUTE');
});
