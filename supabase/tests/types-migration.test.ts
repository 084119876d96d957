// 20261204120000_notification_types.sql as a file an operator runs: twice in a row without change;
// on Wacrm's own schema after our 027 and Wacrm's 028–042, where the three types then work through
// Wacrm's RLS; widening a CHECK that a fork widened before us; refusing clearly when a table it
// needs is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { join } from 'node:path';
import { listMigrations, migrationsDir, runSqlFile } from '../local/migrate.js';
import { catalogState, useTestDatabase, withScratchDatabase, type Actor } from './support.js';
import { as, WacrmWorld, wacrmAfter027, wacrmSchema } from './wacrm.js';

const core = join(migrationsDir, '000_wacrm_core.sql');
const notifications = join(migrationsDir, '027_notifications.sql');
const broadcast = join(migrationsDir, '20261129180000_notifications_broadcast.sql');
const types = join(migrationsDir, '20261204120000_notification_types.sql');

const db = useTestDatabase();

test('its version sorts after 027, Wacrm’s 028–042 and the broadcast migration', async () => {
  const versions = (await listMigrations()).map((file) => file.version);
  assert.deepEqual(versions, ['000', '027', '20261129180000', '20261204120000']);
  assert.ok(['028', '042', '20261129180000'].every((version) => version < '20261204120000'));
});

test('a second run changes nothing', async () => {
  const client = await db.pool.connect();
  try {
    const once = await catalogState(client);
    await runSqlFile(client, types);
    assert.deepEqual(await catalogState(client), once);
    const text = JSON.stringify(once);
    for (const name of ['notification_preferences_select', 'notify_message_received', 'idx_notifications_user_attention', 'seen_at']) {
      assert.ok(text.includes(name), `the snapshot covers ${name}`);
    }
  } finally {
    client.release();
  }
});

/**
 * The three types at work on Wacrm's database, through Wacrm's own RLS and as Wacrm's app writes:
 * an agent assigns a conversation and a deal and moves the deal; the webhook (service role) stores
 * a customer's messages; the assignee reads their notifications, marks them seen, archives, and
 * mutes a type with an upsert. Rolled back afterwards.
 */
async function showTypesWork(client: pg.ClientBase) {
  await client.query('begin');
  try {
    const world = new WacrmWorld(client);
    const { account, owner } = await world.account('Acme', 'Olivia Owner');
    const alice = await world.member(account, 'Alice Martin');
    const bob = await world.member(account, 'Bob Chen');
    const asOwner: Actor = { role: 'authenticated', sub: owner };
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const asBob: Actor = { role: 'authenticated', sub: bob };
    const webhook: Actor = { role: 'service_role' };

    const contact = (
      await as(client, asAlice,
        `insert into public.contacts (user_id, account_id, name, phone) values (auth.uid(), $1, 'Maria Silva', '+55 11 91234-0001') returning id`,
        [account])
    ).rows[0]!.id;
    const conversation = (
      await as(client, asAlice,
        `insert into public.conversations (user_id, account_id, contact_id) values (auth.uid(), $1, $2) returning id`,
        [account, contact])
    ).rows[0]!.id;
    await as(client, asAlice, 'update public.conversations set assigned_agent_id = $2 where id = $1', [conversation, bob]);

    for (const text of ['Olá', 'Meu pedido ainda não chegou']) {
      await as(client, webhook,
        `insert into public.messages (conversation_id, sender_type, content_type, content_text, message_id, status)
         values ($1, 'customer', 'text', $2, 'wamid.' || gen_random_uuid(), 'delivered')`,
        [conversation, text]);
    }

    // Pipelines are settings: the owner makes them (Wacrm: admin and up); deals are an agent's.
    const pipeline = (await as(client, asOwner, `insert into public.pipelines (user_id, account_id, name) values (auth.uid(), $1, 'Sales') returning id`, [account])).rows[0]!.id;
    const [lead, proposal] = [
      (await as(client, asOwner, `insert into public.pipeline_stages (pipeline_id, name, position) values ($1, 'Lead', 0) returning id`, [pipeline])).rows[0]!.id,
      (await as(client, asOwner, `insert into public.pipeline_stages (pipeline_id, name, position) values ($1, 'Proposal', 1) returning id`, [pipeline])).rows[0]!.id,
    ];
    const bobProfile = (await client.query('select id from public.profiles where user_id = $1', [bob])).rows[0].id;
    const deal = (
      await as(client, asAlice,
        `insert into public.deals (user_id, account_id, pipeline_id, stage_id, contact_id, conversation_id, title, value, assigned_to)
         values (auth.uid(), $1, $2, $3, $4, $5, 'Big order', 1200, $6) returning id`,
        [account, pipeline, lead, contact, conversation, bobProfile])
    ).rows[0]!.id;
    await as(client, asAlice, 'update public.deals set stage_id = $2 where id = $1', [deal, proposal]);

    const { rows } = await as(client, asBob, `select type, title, body, data from public.notifications order by type, title`);
    assert.deepEqual(rows, [
      {
        type: 'conversation_assigned',
        title: 'New conversation assigned',
        body: 'Alice Martin assigned you a conversation with Maria Silva',
        data: { actor_name: 'Alice Martin', contact_name: 'Maria Silva' },
      },
      {
        type: 'deal_updated',
        title: 'Deal assigned',
        body: 'Alice Martin assigned you the deal Big order',
        data: { actor_name: 'Alice Martin', deal_id: deal, deal_title: 'Big order', change: 'assigned', stage_name: 'Lead', status: 'open' },
      },
      {
        type: 'deal_updated',
        title: 'Deal updated',
        body: 'Alice Martin moved Big order to Proposal',
        data: { actor_name: 'Alice Martin', deal_id: deal, deal_title: 'Big order', change: 'stage', stage_name: 'Proposal', status: 'open' },
      },
      {
        type: 'message_received',
        title: 'New message from Maria Silva',
        body: 'Meu pedido ainda não chegou',
        data: { contact_name: 'Maria Silva', excerpt: 'Meu pedido ainda não chegou', content_type: 'text', message_count: 2 },
      },
    ]);
    assert.equal((await as(client, asAlice, 'select id from public.notifications')).rowCount, 0, 'Alice sees none of Bob’s');

    assert.deepEqual((await as(client, asBob, 'select public.mark_notifications_seen() as n')).rows, [{ n: 4 }]);
    assert.deepEqual((await as(client, asBob, `select public.mark_notifications_read(array(select id from public.notifications where type = 'deal_updated')) as n`)).rows, [{ n: 2 }]);
    assert.deepEqual((await as(client, asBob, 'select public.archive_notifications() as n')).rows, [{ n: 2 }]);
    const counts = await as(client, asBob,
      `select count(*) filter (where read_at is null and archived_at is null)::int as unread,
              count(*) filter (where seen_at is null and archived_at is null)::int as unseen,
              count(*) filter (where archived_at is not null)::int as archived
       from public.notifications`);
    assert.deepEqual(counts.rows, [{ unread: 2, unseen: 0, archived: 2 }]);

    await as(client, asBob,
      `insert into public.notification_preferences (user_id, type, in_app) values (auth.uid(), 'message_received', false)
       on conflict (user_id, type) do update set user_id = excluded.user_id, type = excluded.type, in_app = excluded.in_app`);
    await as(client, webhook, `insert into public.messages (conversation_id, sender_type, content_type) values ($1, 'customer', 'image')`, [conversation]);
    const muted = await as(client, asBob, `select data ->> 'message_count' as count from public.notifications where type = 'message_received'`);
    assert.deepEqual(muted.rows, [{ count: '2' }], 'muted: the new message changes nothing');
  } finally {
    await client.query('rollback');
  }
}

test('on Wacrm’s own schema, after our 027 and Wacrm’s 028–042: applies, re-runs without change, and works', async () => {
  await withScratchDatabase(db, 'wacrm_types', async (client) => {
    await client.query(wacrmSchema());
    await runSqlFile(client, core); // writes nothing on Wacrm's schema (core.test.ts)
    await runSqlFile(client, notifications);
    await client.query(wacrmAfter027);
    // A notification from before: it keeps its words and gets no data.
    await client.query('begin');
    const world = new WacrmWorld(client);
    const { account, owner } = await world.account('Before', 'Early Owner');
    await client.query(`insert into public.notifications (account_id, user_id, title) values ($1, $2, 'From 027')`, [account, owner]);
    await client.query('commit');

    await runSqlFile(client, broadcast);
    const before = await catalogState(client);
    await runSqlFile(client, types);
    const once = await catalogState(client);
    await runSqlFile(client, types);
    assert.deepEqual(await catalogState(client), once, 'a second run changes nothing');

    // What the migration changed of Wacrm's own objects: nothing but the notification triggers it adds.
    const wacrmTables = ['messages', 'deals', 'pipelines', 'pipeline_stages', 'conversations', 'contacts', 'profiles', 'accounts'];
    const ofWacrm = (state: Record<string, unknown>) =>
      JSON.stringify(
        Object.fromEntries(
          ['relations', 'columns', 'constraints', 'indexes', 'policies'].map((key) => [
            key,
            ((state[key] ?? []) as Record<string, unknown>[]).filter((entry) =>
              wacrmTables.some((table) => JSON.stringify(entry).includes(`"${table}"`) || JSON.stringify(entry).includes(`public.${table} `)),
            ),
          ]),
        ),
      );
    assert.equal(ofWacrm(once), ofWacrm(before), 'Wacrm’s tables, columns, constraints, indexes and policies are as they were');

    const { rows } = await client.query(`select title, data, seen_at, archived_at from public.notifications`);
    assert.deepEqual(rows, [{ title: 'From 027', data: null, seen_at: null, archived_at: null }]);
    await client.query('delete from public.accounts');
    await client.query('delete from auth.users');

    await showTypesWork(client);
  });
});

test('a CHECK already widened by someone else keeps their types, and types already stored', async () => {
  await withScratchDatabase(db, 'wacrm_fork_types', async (client) => {
    await runSqlFile(client, core);
    await runSqlFile(client, notifications);
    // As a Wacrm fork's migration does it (its 039_ai_handoff_notify).
    await client.query(`
      alter table public.notifications drop constraint notifications_type_check;
      alter table public.notifications add constraint notifications_type_check
        check (type in ('conversation_assigned', 'ai_handoff'))`);
    await runSqlFile(client, types);
    const definition = async () =>
      (
        await client.query(
          `select pg_get_constraintdef(oid) as definition from pg_constraint where conname = 'notifications_type_check'`,
        )
      ).rows[0].definition;
    assert.equal(
      await definition(),
      "CHECK ((type = ANY (ARRAY['conversation_assigned'::text, 'message_received'::text, 'deal_updated'::text, 'ai_handoff'::text])))",
    );

    // A CHECK that is no list of types: the types stored are kept allowed.
    await client.query(`
      alter table public.notifications drop constraint notifications_type_check;
      alter table public.notifications add constraint notifications_type_check check (type <> '');
      insert into auth.users (id, email) values ('11111111-1111-4111-8111-111111111111', 'x@example.test');
      insert into public.accounts (id, name) values ('33333333-3333-4333-8333-333333333333', 'X');
      insert into public.notifications (account_id, user_id, type, title)
        values ('33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111', 'custom_reminder', 'Call back');`);
    await runSqlFile(client, types);
    assert.equal(
      await definition(),
      "CHECK ((type = ANY (ARRAY['conversation_assigned'::text, 'message_received'::text, 'deal_updated'::text, 'custom_reminder'::text])))",
    );
  });
});

test('without Wacrm’s deals (or any table it reads) it stops with a clear error, and nothing is applied', async () => {
  await withScratchDatabase(db, 'no_deals', async (client) => {
    await runSqlFile(client, core);
    await runSqlFile(client, notifications);
    await client.query('drop table public.deals');
    const before = await catalogState(client);
    await assert.rejects(runSqlFile(client, types), /public\.deals does not exist/);
    assert.deepEqual(await catalogState(client), before);
    await client.query('create table public.deals (id uuid primary key, account_id uuid, stage_id uuid, status text, title text)');
    await assert.rejects(runSqlFile(client, types), /public\.deals exists but has no column assigned_to, contact_id, conversation_id/);
  });
});
