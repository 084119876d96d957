// notification_preferences: one row per user and type, readable and writable by its owner alone;
// no row means on; the triggers skip a muted type. Acting as each API role exactly as PostgREST
// would, then through the stand-in's PostgREST with supabase-js's upsert, as the settings view does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { SupabaseClient } from '@supabase/supabase-js';
import { rolledBack, tryAs, useTestDatabase, World, type Actor } from './support.js';
import { startTarget, nodeClient, type Target } from '../../test/support/target.js';
import { Fixtures, type Agent } from '../../test/support/fixtures.js';

const db = useTestDatabase();

interface Team {
  client: pg.PoolClient;
  world: World;
  account: string;
  alice: string;
  bob: string;
}

async function withTeam(work: (team: Team) => Promise<void>): Promise<void> {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const alice = await world.agent(account, 'Alice Martin');
    const bob = await world.agent(account, 'Bob Chen');
    await work({ client, world, account, alice, bob });
  });
}

test('the table: a row per user and type, in_app on by default, the server’s updated_at', async () => {
  const { rows } = await db.pool.query(
    `select column_name, data_type, is_nullable, column_default from information_schema.columns
     where table_schema = 'public' and table_name = 'notification_preferences' order by ordinal_position`,
  );
  assert.deepEqual(rows, [
    { column_name: 'user_id', data_type: 'uuid', is_nullable: 'NO', column_default: null },
    { column_name: 'type', data_type: 'text', is_nullable: 'NO', column_default: null },
    { column_name: 'in_app', data_type: 'boolean', is_nullable: 'NO', column_default: 'true' },
    { column_name: 'updated_at', data_type: 'timestamp with time zone', is_nullable: 'NO', column_default: 'now()' },
  ]);
  const { rows: constraints } = await db.pool.query(
    `select conname, pg_get_constraintdef(oid) as definition from pg_constraint
     where conrelid = 'public.notification_preferences'::regclass order by conname`,
  );
  assert.deepEqual(constraints, [
    { conname: 'notification_preferences_pkey', definition: 'PRIMARY KEY (user_id, type)' },
    {
      conname: 'notification_preferences_type_check',
      definition: "CHECK ((type = ANY (ARRAY['conversation_assigned'::text, 'message_received'::text, 'deal_updated'::text])))",
    },
    {
      conname: 'notification_preferences_user_id_fkey',
      definition: 'FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE',
    },
  ]);
  await withTeam(async ({ client, alice }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const inserted = await tryAs(
      client,
      asAlice,
      `insert into public.notification_preferences (user_id, type, updated_at) values ($1, 'deal_updated', '2000-01-01')
       returning in_app, updated_at = now() as server_time`,
      [alice],
    );
    assert.deepEqual(inserted.rows, [{ in_app: true, server_time: true }]);
    const unknown = await tryAs(client, asAlice, `insert into public.notification_preferences (user_id, type) values ($1, 'ai_handoff')`, [alice]);
    assert.equal(unknown.error?.code, '23514');
    const nullInApp = await tryAs(client, asAlice, `update public.notification_preferences set in_app = null where user_id = $1`, [alice]);
    assert.equal(nullInApp.error?.code, '23502');
    await client.query('delete from auth.users where id = $1', [alice]);
    assert.equal((await client.query('select count(*)::int as n from public.notification_preferences')).rows[0].n, 0, 'gone with the user');
  });
});

test('the owner reads, inserts, updates and deletes their own rows', async () => {
  await withTeam(async ({ client, alice }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const steps: [string, unknown[], number][] = [
      [`insert into public.notification_preferences (user_id, type, in_app) values ($1, 'message_received', false)`, [alice], 1],
      [
        `insert into public.notification_preferences (user_id, type, in_app) values ($1, 'message_received', true)
         on conflict (user_id, type) do update set user_id = excluded.user_id, type = excluded.type, in_app = excluded.in_app`,
        [alice],
        1,
      ],
      [`update public.notification_preferences set in_app = false where type = 'message_received'`, [], 1],
      [`select * from public.notification_preferences`, [], 1],
      [`delete from public.notification_preferences where type = 'message_received'`, [], 1],
    ];
    for (const [sql, params, rowCount] of steps) {
      const result = await tryAs(client, asAlice, sql, params);
      assert.deepEqual([result.error?.message, result.rowCount], [undefined, rowCount], sql);
    }
  });
});

test('another user’s preferences are invisible and unwritable; anon has nothing', async () => {
  await withTeam(async ({ client, alice, bob }) => {
    await client.query(`insert into public.notification_preferences (user_id, type, in_app) values ($1, 'deal_updated', false)`, [bob]);
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    assert.equal((await tryAs(client, asAlice, 'select * from public.notification_preferences')).rowCount, 0);
    const forged = await tryAs(client, asAlice, `insert into public.notification_preferences (user_id, type, in_app) values ($1, 'message_received', false)`, [bob]);
    assert.equal(forged.error?.code, '42501', 'RLS: new row violates the policy');
    const upsert = await tryAs(
      client,
      asAlice,
      `insert into public.notification_preferences (user_id, type, in_app) values ($1, 'deal_updated', true)
       on conflict (user_id, type) do update set in_app = excluded.in_app`,
      [bob],
    );
    assert.equal(upsert.error?.code, '42501', 'an upsert onto another user’s row');
    assert.equal((await tryAs(client, asAlice, `update public.notification_preferences set in_app = true`)).rowCount, 0);
    assert.equal((await tryAs(client, asAlice, `delete from public.notification_preferences`)).rowCount, 0);
    await client.query(`insert into public.notification_preferences (user_id, type) values ($1, 'deal_updated')`, [alice]);
    const moved = await tryAs(client, asAlice, `update public.notification_preferences set user_id = $1`, [bob]);
    assert.equal(moved.error?.code, '42501', 'an own row cannot be handed to another user');
    const { rows } = await client.query('select user_id, in_app from public.notification_preferences order by user_id = $1', [bob]);
    assert.deepEqual(rows, [{ user_id: alice, in_app: true }, { user_id: bob, in_app: false }]);

    for (const sql of [
      'select * from public.notification_preferences',
      `insert into public.notification_preferences (user_id, type) values ('${alice}', 'deal_updated')`,
      'update public.notification_preferences set in_app = true',
      'delete from public.notification_preferences',
    ]) {
      assert.equal((await tryAs(client, { role: 'anon' }, sql)).error?.code, '42501', `anon: ${sql}`);
    }
  });
});

test('each type, muted, is skipped by its trigger; no row, or in_app, means on', async () => {
  await withTeam(async ({ client, world, account, alice, bob }) => {
    const contact = await world.contact(account, 'Maria Silva');
    const conversation = await world.conversation(account, contact);
    const { pipeline, stages } = await world.pipeline(account);
    const deal = await world.deal(account, { pipeline, stage: stages[0]!, contact });
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const act = async () => {
      await client.query('delete from public.notifications');
      await tryAs(client, asAlice, 'update public.conversations set assigned_agent_id = null where id = $1', [conversation]);
      await tryAs(client, asAlice, 'update public.conversations set assigned_agent_id = $2 where id = $1', [conversation, bob]);
      await tryAs(client, { role: 'service_role' }, `insert into public.messages (conversation_id, sender_type, content_text) values ($1, 'customer', 'Hi')`, [conversation]);
      await tryAs(client, asAlice, 'update public.deals set assigned_to = $2 where id = $1', [deal, await world.profileOf(bob)]);
      await tryAs(client, asAlice, 'update public.deals set assigned_to = null where id = $1', [deal]);
      const { rows } = await client.query('select type from public.notifications where user_id = $1 order by type', [bob]);
      return rows.map((row) => row.type);
    };
    const all = ['conversation_assigned', 'deal_updated', 'message_received'];
    assert.deepEqual(await act(), all, 'no rows: every type on');
    for (const muted of all) {
      await client.query('delete from public.notification_preferences');
      await client.query(
        `insert into public.notification_preferences (user_id, type, in_app) select $1, t, t <> $2 from unnest($3::text[]) t`,
        [bob, muted, all],
      );
      assert.deepEqual(await act(), all.filter((type) => type !== muted), `${muted} muted`);
    }
    await client.query(`insert into public.notification_preferences (user_id, type, in_app) select $1, t, false from unnest($2::text[]) t`, [alice, all]);
    await client.query('delete from public.notification_preferences where user_id = $1', [bob]);
    assert.deepEqual(await act(), all, 'another user’s preferences change nothing for Bob');
  });
});

// ---------------------------------------------------------------- through PostgREST, with supabase-js

let target: Target;
let fixtures: Fixtures;
let ann: Agent;
let ben: Agent;
let annClient: SupabaseClient;

before(async () => {
  target = await startTarget();
  fixtures = new Fixtures(target);
  const account = await fixtures.account('Preferences account');
  ann = await fixtures.agent(account, 'Ann Prefs');
  ben = await fixtures.agent(account, 'Ben Prefs');
  annClient = fixtures.clientWithToken(ann);
});

after(async () => {
  await fixtures?.end();
  await target?.stop();
});

test('supabase-js: upsert on user_id,type inserts, then updates the same row; reads show own rows only', async () => {
  const upsert = (in_app: boolean) =>
    annClient
      .from('notification_preferences')
      .upsert({ user_id: ann.id, type: 'message_received', in_app }, { onConflict: 'user_id,type' })
      .select('user_id, type, in_app');
  const first = await upsert(false);
  assert.equal(first.error, null, first.error?.message);
  assert.deepEqual(first.data, [{ user_id: ann.id, type: 'message_received', in_app: false }]);
  const second = await upsert(true);
  assert.equal(second.error, null, second.error?.message);
  assert.deepEqual(second.data, [{ user_id: ann.id, type: 'message_received', in_app: true }]);
  const plain = await annClient
    .from('notification_preferences')
    .upsert({ user_id: ann.id, type: 'deal_updated', in_app: false }, { onConflict: 'user_id,type' });
  assert.equal(plain.error, null, plain.error?.message);

  await fixtures.db.query(`insert into public.notification_preferences (user_id, type, in_app) values ($1, 'deal_updated', false)`, [ben.id]);
  const { data, error } = await annClient.from('notification_preferences').select('user_id, type, in_app').order('type');
  assert.equal(error, null);
  assert.deepEqual(data, [
    { user_id: ann.id, type: 'deal_updated', in_app: false },
    { user_id: ann.id, type: 'message_received', in_app: true },
  ]);
  const { rows } = await fixtures.db.query('select count(*)::int as n from public.notification_preferences where user_id = $1', [ann.id]);
  assert.deepEqual(rows, [{ n: 2 }], 'one row per type');
});

test('supabase-js: another user’s row cannot be written, and anon cannot read', async () => {
  const forged = await annClient
    .from('notification_preferences')
    .upsert({ user_id: ben.id, type: 'deal_updated', in_app: true }, { onConflict: 'user_id,type' });
  assert.equal(forged.error?.code, '42501');
  const { rows } = await fixtures.db.query(`select in_app from public.notification_preferences where user_id = $1 and type = 'deal_updated'`, [ben.id]);
  assert.deepEqual(rows, [{ in_app: false }]);

  const anon = nodeClient(target);
  const read = await anon.from('notification_preferences').select('*');
  assert.equal(read.error?.code, '42501');
});
