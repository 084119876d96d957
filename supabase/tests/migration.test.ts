// The migrations as files a Wacrm operator runs: 027 re-runs without error or change, applies to a
// database that already holds conversations without touching them, and 000 leaves an existing
// Wacrm schema as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listMigrations, migrationsDir, prepareDatabase, runSqlFile } from '../local/migrate.js';
import { catalogState, runSqlFileWatchingWrites, useTestDatabase, withScratchDatabase } from './support.js';

const core = join(migrationsDir, '000_wacrm_core.sql');
const notifications = join(migrationsDir, '027_notifications.sql');

const db = useTestDatabase();

test('027 and the migrations after it, run again in order, leave the same catalog state', async () => {
  // 027 alone, run again, puts back its own version of what later files extend (the trigger
  // function, the column grant); running the later files after it, as an operator re-running the
  // folder does, ends where it started.
  const client = await db.pool.connect();
  try {
    const once = await catalogState(client);
    const files = (await listMigrations()).filter((file) => file.version >= '027');
    assert.deepEqual(files.map((file) => file.version), ['027', '20261129180000', '20261204120000']);
    for (const file of files) await runSqlFile(client, file.path);
    const twice = await catalogState(client);
    assert.deepEqual(twice, once);
    assert.ok(JSON.stringify(once).includes('notifications_select'), 'the snapshot covers the policies');
  } finally {
    client.release();
  }
});

test('027 applies to a database that already holds conversations without touching them', async () => {
  await withScratchDatabase(db, 'existing_wacrm', async (client) => {
    await runSqlFile(client, core);
    await client.query(`
      insert into auth.users (id, email) values
        ('11111111-1111-4111-8111-111111111111', 'a@example.test'),
        ('22222222-2222-4222-8222-222222222222', 'b@example.test');
      insert into public.accounts (id, name) values ('33333333-3333-4333-8333-333333333333', 'Existing');
      insert into public.profiles (user_id, account_id, full_name) values
        ('11111111-1111-4111-8111-111111111111', '33333333-3333-4333-8333-333333333333', 'A'),
        ('22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333', 'B');
      insert into public.contacts (account_id, name, phone)
        select '33333333-3333-4333-8333-333333333333', 'Contact ' || g, '+1 555 ' || g from generate_series(1, 50) g;
      insert into public.conversations (account_id, contact_id, assigned_agent_id, status)
        select account_id, id, '11111111-1111-4111-8111-111111111111', 'open' from public.contacts;`);
    const snapshot = 'select id, xmin::text, to_jsonb(c) as row from public.conversations c order by id';
    const before = (await client.query(snapshot)).rows;

    await runSqlFile(client, notifications);

    assert.deepEqual((await client.query(snapshot)).rows, before, 'same rows, same row versions (xmin)');
    assert.equal(Number((await client.query('select count(*) from public.notifications')).rows[0].count), 0);
    // From now on assignments notify.
    await client.query(
      `update public.conversations set assigned_agent_id = '22222222-2222-4222-8222-222222222222'
       where id = (select min(id::text)::uuid from public.conversations)`,
    );
    const { rows } = await client.query('select user_id from public.notifications');
    assert.deepEqual(rows, [{ user_id: '22222222-2222-4222-8222-222222222222' }]);
  });
});

test('000 leaves a Wacrm schema that already exists exactly as it was', async () => {
  await withScratchDatabase(db, 'customised_wacrm', async (client) => {
    await runSqlFile(client, core);
    // A real Wacrm database has evolved: its own policy text, helper body and extra column.
    await client.query(`
      alter table public.conversations add column priority integer default 0;
      drop policy conversations_select on public.conversations;
      create policy conversations_select on public.conversations for select to authenticated
        using (public.is_account_member(account_id, 'agent'));
      create or replace function public.is_account_member(target_account_id uuid,
          min_role public.account_role_enum default 'viewer')
        returns boolean language sql stable security definer set search_path = public
        as $$ select false $$;`);
    const customised = await catalogState(client);
    assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false });
    assert.deepEqual(await catalogState(client), customised);
  });
});

test('the local database records applied migrations as the Supabase CLI does', async () => {
  const { rows } = await db.pool.query('select version, name from supabase_migrations.schema_migrations order by version');
  assert.deepEqual(rows, [
    { version: '000', name: 'wacrm_core' },
    { version: '027', name: 'notifications' },
    { version: '20261129180000', name: 'notifications_broadcast' },
    { version: '20261204120000', name: 'notification_types' },
  ]);
});

test('a local database kept from before a migration file changed is brought up to date, later files run again after it', async () => {
  // As a database made before 000 grew the messages table: 000 recorded with other text, no table.
  const url = new URL(db.database.databaseUrl);
  await db.pool.query('drop database if exists kept_across_upgrade with (force)');
  await db.pool.query('create database kept_across_upgrade');
  url.pathname = '/kept_across_upgrade';
  try {
    await prepareDatabase(url.toString(), { seed: false });
    const client = new (await import('pg')).default.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(`update supabase_migrations.schema_migrations set statements = array['-- the old 000'] where version = '000'`);
      await client.query('drop trigger on_message_received on public.messages');
      const again = await prepareDatabase(url.toString(), { seed: false });
      assert.deepEqual(
        again.applied.map((name) => name.split(' ')[0]),
        ['000_wacrm_core', '027_notifications', '20261129180000_notifications_broadcast', '20261204120000_notification_types'],
      );
      const { rows } = await client.query(`select tgname from pg_trigger where tgname = 'on_message_received'`);
      assert.equal(rows.length, 1, 'the later file ran again and put its trigger back');
      assert.deepEqual((await prepareDatabase(url.toString(), { seed: false })).applied, [], 'nothing changed: nothing runs');
    } finally {
      await client.end();
    }
  } finally {
    await db.pool.query('drop database if exists kept_across_upgrade with (force)');
  }
});
