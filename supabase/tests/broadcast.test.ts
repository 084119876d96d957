// 20261129180000_notifications_broadcast.sql: each change of a notification reaches its recipient's
// private topic user:<uid>:notifications, whoever makes it, and only the recipient can join that
// topic. Joins and sends are checked the way Supabase Realtime checks them (support.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type pg from 'pg';
import { listMigrations, migrationsDir, runSqlFile } from '../local/migrate.js';
import {
  catalogState,
  realtimeCanSend,
  realtimeJoin,
  rolledBack,
  tryAs,
  useTestDatabase,
  warningsDuring,
  withScratchDatabase,
  World,
} from './support.js';

const migration = join(migrationsDir, '20261129180000_notifications_broadcast.sql');
const core = join(migrationsDir, '000_wacrm_core.sql');
const notifications = join(migrationsDir, '027_notifications.sql');

const db = useTestDatabase();

const topicOf = (user: string) => `user:${user}:notifications`;

interface Team {
  client: pg.PoolClient;
  world: World;
  account: string;
  alice: string;
  bob: string;
}

/** Alice and Bob in one account, with today's message partitions (Realtime makes them on Supabase). */
async function withTeam(work: (team: Team) => Promise<void>): Promise<void> {
  await rolledBack(db.pool, async (client) => {
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    const world = new World(client);
    const account = await world.account();
    const alice = await world.agent(account, 'Alice');
    const bob = await world.agent(account, 'Bob');
    await work({ client, world, account, alice, bob });
  });
}

interface Message {
  id: string;
  topic: string;
  event: string;
  extension: string;
  private: boolean;
  payload: Record<string, unknown>;
}

/** The messages written so far in this transaction (one now(), so ordered by event: insert, update, delete). */
const messages = async (client: pg.ClientBase): Promise<Message[]> =>
  (
    await client.query<Message>(
      `select id::text, topic, event, extension, private, payload from realtime.messages
       order by inserted_at, array_position(array['INSERT', 'UPDATE', 'DELETE'], event)`,
    )
  ).rows;

const rowJson = async (client: pg.ClientBase, id: string) =>
  (await client.query('select to_jsonb(n) as row from public.notifications n where id = $1', [id])).rows[0].row;

test('a signed-in user can join their own notifications topic, and no other', async () => {
  await withTeam(async ({ client, alice, bob }) => {
    const asAlice = { role: 'authenticated', sub: alice } as const;
    assert.deepEqual(await realtimeJoin(client, asAlice, topicOf(alice)), { broadcast: true, presence: false });
    for (const topic of [
      topicOf(bob),
      `user:${alice}:other`,
      `user:${alice.toUpperCase()}:notifications`,
      `User:${alice}:notifications`,
      `user:${alice}:notifications:extra`,
      'notifications',
      '',
    ]) {
      assert.deepEqual(await realtimeJoin(client, asAlice, topic), { broadcast: false, presence: false }, topic);
    }
    assert.deepEqual(await realtimeJoin(client, { role: 'authenticated', sub: bob }, topicOf(bob)), {
      broadcast: true,
      presence: false,
    });
  });
});

test('anon can join no notifications topic; service_role bypasses RLS', async () => {
  await withTeam(async ({ client, alice }) => {
    for (const topic of [topicOf(alice), 'user::notifications', 'user:null:notifications']) {
      assert.deepEqual(await realtimeJoin(client, { role: 'anon' }, topic), { broadcast: false, presence: false }, topic);
    }
    assert.deepEqual(await realtimeJoin(client, { role: 'service_role' }, topicOf(alice)), {
      broadcast: true,
      presence: true,
    });
  });
});

test('nobody but service_role can send to a notifications topic from a client', async () => {
  await withTeam(async ({ client, alice, bob }) => {
    for (const topic of [topicOf(alice), topicOf(bob), 'anything']) {
      assert.equal(await realtimeCanSend(client, { role: 'authenticated', sub: alice }, topic), false, topic);
      assert.equal(await realtimeCanSend(client, { role: 'anon' }, topic), false, topic);
    }
    assert.equal(await realtimeCanSend(client, { role: 'service_role' }, topicOf(alice)), true);
    const { rows } = await client.query(
      `select cmd, roles::text[] from pg_policies where schemaname = 'realtime' and tablename = 'messages' order by policyname`,
    );
    assert.deepEqual(rows, [{ cmd: 'SELECT', roles: ['authenticated'] }], 'one policy, for reading');
  });
});

test('each insert, update and delete sends one private message to the recipient’s topic', async () => {
  await withTeam(async ({ client, world, account, alice }) => {
    const id = await world.notification(account, alice);
    const inserted = await rowJson(client, id);
    await client.query(`update public.notifications set title = 'Renamed' where id = $1`, [id]);
    const updated = await rowJson(client, id);
    await client.query('delete from public.notifications where id = $1', [id]);

    const sent = await messages(client);
    assert.deepEqual(
      sent.map(({ topic, event, extension, private: isPrivate }) => ({ topic, event, extension, private: isPrivate })),
      ['INSERT', 'UPDATE', 'DELETE'].map((event) => ({ topic: topicOf(alice), event, extension: 'broadcast', private: true })),
    );
    const base = { table: 'notifications', schema: 'public' };
    assert.deepEqual(
      sent.map((message) => message.payload),
      [
        { ...base, id: sent[0]!.id, operation: 'INSERT', record: inserted, old_record: null },
        { ...base, id: sent[1]!.id, operation: 'UPDATE', record: updated, old_record: inserted },
        { ...base, id: sent[2]!.id, operation: 'DELETE', record: null, old_record: updated },
      ],
      'the payload carries the rows and the message id',
    );
  });
});

test('marking read through the API, as the signed-in recipient, sends the UPDATE', async () => {
  await withTeam(async ({ client, world, account, alice }) => {
    const [first, second, third] = [
      await world.notification(account, alice),
      await world.notification(account, alice),
      await world.notification(account, alice),
    ];
    await client.query('delete from realtime.messages');
    const asAlice = { role: 'authenticated', sub: alice } as const;

    // PATCH /rest/v1/notifications?id=eq.<id> {read_at}: only read_at may change.
    const patch = await tryAs(client, asAlice, 'update public.notifications set read_at = now() where id = $1', [first]);
    assert.equal(patch.error, undefined);
    assert.equal(patch.rowCount, 1);
    // POST /rest/v1/rpc/mark_notifications_read: the rest.
    const rpc = await tryAs(client, asAlice, 'select public.mark_notifications_read() as marked');
    assert.equal(rpc.rows[0]?.marked, 2);

    const sent = await messages(client);
    assert.equal(sent.length, 3);
    for (const message of sent) {
      assert.equal(message.topic, topicOf(alice));
      assert.equal(message.event, 'UPDATE');
      assert.equal(message.private, true);
      const { record, old_record: old } = message.payload as { record: { read_at: string }; old_record: { read_at: null } };
      assert.equal(old.read_at, null);
      assert.ok(record.read_at, 'the record is the row as marked');
    }
    assert.deepEqual(
      sent.map((message) => (message.payload.record as { id: string }).id).sort(),
      [first, second, third].sort(),
    );
  });
});

test('an assignment by a teammate notifies the assignee on their topic', async () => {
  await withTeam(async ({ client, world, account, alice, bob }) => {
    const conversation = await world.conversation(account, await world.contact(account));
    const assign = await tryAs(
      client,
      { role: 'authenticated', sub: alice },
      'update public.conversations set assigned_agent_id = $2 where id = $1',
      [conversation, bob],
    );
    assert.equal(assign.error, undefined);
    const sent = await messages(client);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.topic, topicOf(bob));
    assert.equal(sent[0]!.event, 'INSERT');
    const [notification] = await world.notificationsOf(bob);
    assert.deepEqual(sent[0]!.payload.record, await rowJson(client, notification.id));
  });
});

test('a notification moved to another user is an UPDATE for the new recipient and a DELETE for the previous one', async () => {
  await withTeam(async ({ client, world, account, alice, bob }) => {
    const id = await world.notification(account, alice);
    const before = await rowJson(client, id);
    await client.query('delete from realtime.messages');
    await client.query('update public.notifications set user_id = $2 where id = $1', [id, bob]);
    const after = await rowJson(client, id);
    const sent = await messages(client);
    assert.deepEqual(
      sent.map(({ topic, event, payload }) => ({ topic, event, record: payload.record, old: payload.old_record })).sort(
        (a, b) => a.event.localeCompare(b.event),
      ),
      [
        { topic: topicOf(alice), event: 'DELETE', record: null, old: before },
        { topic: topicOf(bob), event: 'UPDATE', record: after, old: before },
      ],
    );
  });
});

test('without a partition for today the send is only a warning, and the notification commits', async () => {
  // This one commits for real: a rolled-back test could not show that the write survives.
  const client = await db.pool.connect();
  let user = '';
  try {
    const world = new World(client);
    const account = await world.account('Committed');
    user = await world.agent(account, 'Dana');
    const { rows: days } = await client.query(
      `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'realtime.messages'::regclass`,
    );
    for (const { relname } of days) await client.query(`drop table realtime.${relname}`);

    const warnings = await warningsDuring(client, async () => {
      await client.query('begin');
      await world.notification(account, user);
      const marked = await tryAs(client, { role: 'authenticated', sub: user }, 'select public.mark_notifications_read() as n');
      assert.equal(marked.rows[0]?.n, 1);
      await client.query('commit');
    });
    assert.equal(warnings.length, 2, 'one for the insert, one for the update');
    for (const warning of warnings) {
      assert.match(warning, /^WarnSendingBroadcastMessage: no partition of relation "messages" found for row/);
    }
  } finally {
    await client.query('rollback').catch(() => undefined);
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    client.release();
  }
  const { rows } = await db.pool.query('select read_at is not null as read from public.notifications where user_id = $1', [
    user,
  ]);
  assert.deepEqual(rows, [{ read: true }], 'the notification and its mark-read were committed');
});

test('whatever fails inside the broadcast, the notification is written', async () => {
  await withTeam(async ({ client, world, account, alice }) => {
    // A project whose realtime.broadcast_changes raises (an older or a broken realtime schema).
    await client.query(`
      create or replace function realtime.broadcast_changes(topic_name text, event_name text, operation text,
        table_name text, table_schema text, new record, old record, level text default 'ROW')
      returns void language plpgsql as $$ begin raise exception 'realtime is broken'; end $$`);
    let id = '';
    const warnings = await warningsDuring(client, async () => {
      id = await world.notification(account, alice);
    });
    assert.deepEqual(warnings, ['broadcast_notification_change: realtime is broken (P0001)']);
    assert.equal((await world.notificationsOf(alice))[0]?.id, id);
    assert.deepEqual(await messages(client), []);
  });
});

test('API roles cannot call the trigger function', async () => {
  const { rows } = await db.pool.query(
    `select r.rolname, has_function_privilege(r.rolname, 'public.broadcast_notification_change()', 'execute') as can
     from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') order by r.rolname`,
  );
  assert.deepEqual(rows, [
    { rolname: 'anon', can: false },
    { rolname: 'authenticated', can: false },
    { rolname: 'service_role', can: true },
  ]);
  const { rows: fn } = await db.pool.query(
    `select prosecdef, proconfig from pg_proc where oid = 'public.broadcast_notification_change()'::regprocedure`,
  );
  assert.deepEqual(fn, [{ prosecdef: true, proconfig: ['search_path=""'] }]);
  const { rows: trigger } = await db.pool.query(
    `select pg_get_triggerdef(oid) as definition from pg_trigger where tgname = 'notifications_broadcast'`,
  );
  assert.deepEqual(trigger, [
    {
      definition:
        'CREATE TRIGGER notifications_broadcast AFTER INSERT OR DELETE OR UPDATE ON public.notifications FOR EACH ROW EXECUTE FUNCTION broadcast_notification_change()',
    },
  ]);
});

test('the migration runs twice without change, and leaves 027’s objects as they were', async () => {
  await withScratchDatabase(db, 'broadcast_over_027', async (client) => {
    await runSqlFile(client, core);
    await runSqlFile(client, notifications);
    const after027 = await catalogState(client);
    await runSqlFile(client, migration);
    const once = await catalogState(client);
    await runSqlFile(client, migration);
    assert.deepEqual(await catalogState(client), once, 'a second run changes nothing');

    // What the migration adds, and nothing else: every entry of 027's snapshot is still there.
    // An entry is named by its name, a function's signature or a trigger's definition (all text).
    const label = (entry: Record<string, unknown>) =>
      [entry.name, entry.signature, entry.definition].find((part): part is string => typeof part === 'string');
    const entries = (state: Record<string, unknown>) =>
      Object.entries(state).flatMap(([key, value]) =>
        (Array.isArray(value) ? (value as Record<string, unknown>[]) : value === null ? [] : [{ value }]).map((entry) => ({
          key,
          entry,
          text: `${key}: ${JSON.stringify(entry)}`,
        })),
      );
    const before = new Set(entries(after027).map((item) => item.text));
    const after = new Set(entries(once).map((item) => item.text));
    assert.deepEqual(entries(after027).filter((item) => !after.has(item.text)), [], 'nothing of 027 changed');
    assert.deepEqual(
      entries(once)
        .filter((item) => !before.has(item.text))
        .map(({ key, entry }) => `${key}: ${label(entry)}`),
      [
        'triggers: CREATE TRIGGER notifications_broadcast AFTER INSERT OR DELETE OR UPDATE ON public.notifications FOR EACH ROW EXECUTE FUNCTION broadcast_notification_change()',
        'functions: broadcast_notification_change()',
        'realtime_policies: notifications_broadcast_read_own_topic',
      ],
    );
  });
});

test('the runner and the Supabase CLI apply it after 000 and 027, and record its timestamp version', async () => {
  const files = (await listMigrations()).map((file) => `${file.version}_${file.name}`);
  assert.deepEqual(files.slice(0, 3), ['000_wacrm_core', '027_notifications', '20261129180000_notifications_broadcast']);
  // The CLI reads the folder in file-name order and compares versions as strings: the same order,
  // and also after Wacrm's own 028–042.
  assert.deepEqual([...files].sort(), files);
  assert.ok(['028', '042'].every((version) => version < '20261129180000'));
  const { rows } = await db.pool.query(
    `select version, name from supabase_migrations.schema_migrations where name = 'notifications_broadcast'`,
  );
  assert.deepEqual(rows, [{ version: '20261129180000', name: 'notifications_broadcast' }]);
});
