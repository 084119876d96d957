// The migrations as files a Wacrm operator runs: 027 re-runs without error or change, applies to a
// database that already holds conversations without touching them, and 000 leaves an existing
// Wacrm schema as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { join } from 'node:path';
import { migrationsDir, platformFile, runSqlFile } from '../local/migrate.js';
import { useTestDatabase } from './support.js';

const core = join(migrationsDir, '000_wacrm_core.sql');
const notifications = join(migrationsDir, '027_notifications.sql');

const db = useTestDatabase();

/** Everything a migration can change about the public schema, in a comparable form. */
async function catalogState(client: pg.ClientBase) {
  const { rows } = await client.query(`
    select jsonb_build_object(
      'tables', (select jsonb_agg(jsonb_build_object('name', c.relname, 'rls', c.relrowsecurity,
                   'replica_identity', c.relreplident, 'acl', c.relacl::text) order by c.relname)
                 from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'),
      'columns', (select jsonb_agg(jsonb_build_object('table', a.attrelid::regclass::text, 'name', a.attname,
                   'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
                   'default', pg_get_expr(d.adbin, d.adrelid), 'acl', a.attacl::text)
                   order by a.attrelid::regclass::text, a.attnum)
                 from pg_attribute a
                 join pg_class c on c.oid = a.attrelid
                 left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                 where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped),
      'constraints', (select jsonb_agg(jsonb_build_object('table', conrelid::regclass::text, 'name', conname,
                   'definition', pg_get_constraintdef(oid)) order by conrelid::regclass::text, conname)
                 from pg_constraint where connamespace = 'public'::regnamespace),
      'indexes', (select jsonb_agg(indexdef order by indexname) from pg_indexes where schemaname = 'public'),
      'policies', (select jsonb_agg(jsonb_build_object('table', tablename, 'name', policyname, 'cmd', cmd,
                   'roles', roles, 'using', qual, 'check', with_check) order by tablename, policyname)
                 from pg_policies where schemaname = 'public'),
      'triggers', (select jsonb_agg(pg_get_triggerdef(t.oid) order by t.tgname)
                 from pg_trigger t join pg_class c on c.oid = t.tgrelid
                 where c.relnamespace = 'public'::regnamespace and not t.tgisinternal),
      'functions', (select jsonb_agg(jsonb_build_object('signature', p.oid::regprocedure::text,
                   'definition', pg_get_functiondef(p.oid), 'acl', p.proacl::text) order by p.oid::regprocedure::text)
                 from pg_proc p where p.pronamespace = 'public'::regnamespace),
      'publication', (select jsonb_agg(schemaname || '.' || tablename order by schemaname, tablename)
                 from pg_publication_tables where pubname = 'supabase_realtime')
    ) as state`);
  return rows[0].state;
}

/** A second database on the same server, for a migration history of the test's own. */
async function scratchDatabase(name: string): Promise<pg.Client> {
  await db.pool.query(`drop database if exists ${name} with (force)`);
  await db.pool.query(`create database ${name}`);
  const url = new URL(db.database.databaseUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

test('027 runs twice in a row without error and leaves the same catalog state', async () => {
  const client = await db.pool.connect();
  try {
    const once = await catalogState(client);
    await runSqlFile(client, notifications);
    const twice = await catalogState(client);
    assert.deepEqual(twice, once);
    assert.ok(JSON.stringify(once).includes('notifications_select'), 'the snapshot covers the policies');
  } finally {
    client.release();
  }
});

test('027 applies to a database that already holds conversations without touching them', async () => {
  const client = await scratchDatabase('existing_wacrm');
  try {
    await runSqlFile(client, platformFile);
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
  } finally {
    await client.end();
    await db.pool.query('drop database if exists existing_wacrm with (force)');
  }
});

test('000 leaves a Wacrm schema that already exists exactly as it was', async () => {
  const client = await scratchDatabase('customised_wacrm');
  try {
    await runSqlFile(client, platformFile);
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
    await runSqlFile(client, core);
    assert.deepEqual(await catalogState(client), customised);
  } finally {
    await client.end();
    await db.pool.query('drop database if exists customised_wacrm with (force)');
  }
});

test('the local database records applied migrations as the Supabase CLI does', async () => {
  const { rows } = await db.pool.query('select version, name from supabase_migrations.schema_migrations order by version');
  assert.deepEqual(rows, [
    { version: '000', name: 'wacrm_core' },
    { version: '027', name: 'notifications' },
  ]);
});
