// Supabase's realtime schema as platform.sql reproduces it for the stand-in: realtime.messages,
// realtime.send() and realtime.broadcast_changes() behave as on a hosted project (supabase/realtime
// 833cf36c), and the partition upkeep the stand-in runs for Realtime creates and retires days.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { platformFile, runSqlFile } from '../local/migrate.js';
import { rolledBack, tryAs, useTestDatabase, warningsDuring } from './support.js';

const db = useTestDatabase();

const partitions = async (client: pg.ClientBase) =>
  (
    await client.query<{ name: string; bounds: string }>(
      `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bounds
       from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'realtime.messages'::regclass order by c.relname`,
    )
  ).rows;

/** The partition names of the UTC days `offsets` days from the database's today. */
async function dayNames(client: pg.ClientBase, offsets: number[]): Promise<string[]> {
  const { rows } = await client.query(
    `select 'messages_' || to_char((now() at time zone 'utc')::date + offset_days, 'YYYY_MM_DD') as name
     from unnest($1::int[]) with ordinality as days (offset_days, position) order by position`,
    [offsets],
  );
  return rows.map((row) => row.name);
}

test('realtime.messages has Supabase’s columns, defaults, keys, index, RLS and grants', async () => {
  const { rows: columns } = await db.pool.query(
    `select column_name, data_type, is_nullable, column_default
     from information_schema.columns where table_schema = 'realtime' and table_name = 'messages'
     order by ordinal_position`,
  );
  assert.deepEqual(columns, [
    { column_name: 'topic', data_type: 'text', is_nullable: 'NO', column_default: null },
    { column_name: 'extension', data_type: 'text', is_nullable: 'NO', column_default: null },
    { column_name: 'payload', data_type: 'jsonb', is_nullable: 'YES', column_default: null },
    { column_name: 'event', data_type: 'text', is_nullable: 'YES', column_default: null },
    { column_name: 'private', data_type: 'boolean', is_nullable: 'YES', column_default: 'false' },
    { column_name: 'updated_at', data_type: 'timestamp without time zone', is_nullable: 'NO', column_default: 'now()' },
    { column_name: 'inserted_at', data_type: 'timestamp without time zone', is_nullable: 'NO', column_default: 'now()' },
    { column_name: 'id', data_type: 'uuid', is_nullable: 'NO', column_default: 'gen_random_uuid()' },
    { column_name: 'binary_payload', data_type: 'bytea', is_nullable: 'YES', column_default: null },
  ]);
  const { rows: table } = await db.pool.query(
    `select c.relkind, c.relrowsecurity, pg_get_partkeydef(c.oid) as partition_key,
       (select jsonb_object_agg(conname, pg_get_constraintdef(oid)) from pg_constraint where conrelid = c.oid) as constraints,
       (select jsonb_agg(pg_get_indexdef(indexrelid) order by indexrelid) from pg_index where indrelid = c.oid) as indexes
     from pg_class c where c.oid = 'realtime.messages'::regclass`,
  );
  assert.deepEqual(table, [
    {
      relkind: 'p',
      relrowsecurity: true,
      partition_key: 'RANGE (inserted_at)',
      constraints: {
        messages_payload_exclusive: 'CHECK (((payload IS NULL) OR (binary_payload IS NULL))) NOT VALID',
        messages_pkey: 'PRIMARY KEY (id, inserted_at)',
      },
      indexes: [
        'CREATE UNIQUE INDEX messages_pkey ON ONLY realtime.messages USING btree (id, inserted_at)',
        "CREATE INDEX messages_inserted_at_topic_index ON ONLY realtime.messages USING btree (inserted_at DESC, topic) WHERE ((extension = 'broadcast'::text) AND (private IS TRUE))",
      ],
    },
  ]);
  const { rows: grants } = await db.pool.query(
    `select grantee, string_agg(privilege_type, ',' order by privilege_type) as privileges
     from information_schema.role_table_grants
     where table_schema = 'realtime' and table_name = 'messages' and grantee in ('anon', 'authenticated', 'service_role')
     group by grantee order by grantee`,
  );
  assert.deepEqual(grants, [
    { grantee: 'anon', privileges: 'INSERT,SELECT,UPDATE' },
    { grantee: 'authenticated', privileges: 'INSERT,SELECT,UPDATE' },
    { grantee: 'service_role', privileges: 'INSERT,SELECT,UPDATE' },
  ]);
});

test('Realtime’s publication carries realtime.messages, partition by partition, and nothing else', async () => {
  await rolledBack(db.pool, async (client) => {
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    const { rows: publication } = await client.query(
      `select pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot, puballtables
       from pg_publication where pubname = 'supabase_realtime_messages_publication'`,
    );
    assert.deepEqual(publication, [
      { pubinsert: true, pubupdate: true, pubdelete: true, pubtruncate: true, pubviaroot: false, puballtables: false },
    ]);
    const { rows: tables } = await client.query(
      `select schemaname || '.' || tablename as name from pg_publication_tables
       where pubname = 'supabase_realtime_messages_publication' order by 1`,
    );
    assert.deepEqual(
      tables.map((row) => row.name),
      (await partitions(client)).map((partition) => `realtime.${partition.name}`),
    );
  });
});

test('send() stores a private broadcast with an id in its payload, and sets realtime.topic for policies', async () => {
  await rolledBack(db.pool, async (client) => {
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    await client.query(`select realtime.send('{"hello": "world"}', 'greeting', 'room:1')`);
    assert.equal((await client.query('select realtime.topic() as topic')).rows[0].topic, 'room:1');
    await client.query(`select realtime.send('{"id": "mine"}', 'kept', 'room:2', false)`);
    const { rows } = await client.query(
      `select id::text, topic, event, payload, private, extension, binary_payload,
              inserted_at = updated_at as same_times, now() - inserted_at::timestamptz < interval '1 minute' as fresh
       from realtime.messages order by topic`,
    );
    assert.equal(rows.length, 2);
    const [generated, given] = rows;
    assert.deepEqual(generated.payload, { hello: 'world', id: generated.id }, 'the message id is added to the payload');
    const { id: _id, payload: _payload, ...message } = generated;
    assert.deepEqual(message, {
      topic: 'room:1',
      event: 'greeting',
      private: true,
      extension: 'broadcast',
      binary_payload: null,
      same_times: true,
      fresh: true,
    });
    assert.deepEqual(given.payload, { id: 'mine' }, 'a payload with an id keeps it');
    assert.equal(given.private, false);
  });
});

test('send() never fails: a refused insert or a missing partition is only WarnSendingBroadcastMessage', async () => {
  await rolledBack(db.pool, async (client) => {
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    // No INSERT policy lets a signed-in user write realtime.messages: RLS refuses, send() warns.
    const refused = await warningsDuring(client, async () => {
      const result = await tryAs(client, { role: 'authenticated', sub: '11111111-1111-4111-8111-111111111111' },
        `select realtime.send('{}', 'e', 'room:1')`);
      assert.equal(result.error, undefined);
    });
    assert.deepEqual(refused, ['WarnSendingBroadcastMessage: new row violates row-level security policy for table "messages"']);

    for (const { name } of await partitions(client)) await client.query(`drop table realtime.${name}`);
    const missing = await warningsDuring(client, () => client.query(`select realtime.send('{}', 'e', 'room:1')`));
    assert.equal(missing.length, 1);
    assert.match(missing[0]!, /^WarnSendingBroadcastMessage: no partition of relation "messages" found for row/);
    assert.equal(Number((await client.query('select count(*) from realtime.messages')).rows[0].count), 0);
  });
});

test('broadcast_changes() sends {old_record, record, operation, table, schema} and refuses what is not a row change', async () => {
  await rolledBack(db.pool, async (client) => {
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    await client.query('create temporary table things (id int, name text)');
    await client.query(`
      select realtime.broadcast_changes('things:1', 'UPDATE', 'UPDATE', 'things', 'pg_temp',
        row(1, 'new')::pg_temp.things, row(1, 'old')::pg_temp.things)`);
    const { rows } = await client.query('select id::text, topic, event, private, payload from realtime.messages');
    assert.deepEqual(rows, [
      {
        id: rows[0].id,
        topic: 'things:1',
        event: 'UPDATE',
        private: true,
        payload: {
          id: rows[0].id,
          operation: 'UPDATE',
          table: 'things',
          schema: 'pg_temp',
          record: { id: 1, name: 'new' },
          old_record: { id: 1, name: 'old' },
        },
      },
    ]);

    await client.query('savepoint refused');
    await assert.rejects(
      client.query(`select realtime.broadcast_changes('t', 'e', 'TRUNCATE', 'things', 'pg_temp', null, null)`),
      { message: 'Failed to process the row: Unexpected operation type: TRUNCATE' },
    );
    await client.query('rollback to savepoint refused');
    await assert.rejects(
      client.query(`select realtime.broadcast_changes('t', 'e', 'INSERT', 'things', 'pg_temp', null, null, 'STATEMENT')`),
      { message: 'Failed to process the row: function can only be triggered for each row, not for each statement' },
    );
  });
});

test('partition upkeep makes the days from yesterday through today + 3, once', async () => {
  await rolledBack(db.pool, async (client) => {
    for (const { name } of await partitions(client)) await client.query(`drop table realtime.${name}`);
    const expected = await dayNames(client, [-1, 0, 1, 2, 3]);
    const { rows: made } = await client.query('select name from realtime.wacrm_ensure_message_partitions() as name');
    assert.deepEqual(made.map((row) => row.name), expected);
    const { rows: again } = await client.query('select name from realtime.wacrm_ensure_message_partitions() as name');
    assert.deepEqual(again, [], 'a second call makes nothing');

    const [today] = (await partitions(client)).filter((partition) => partition.name === expected[1]);
    const day = expected[1]!.slice('messages_'.length).replaceAll('_', '-');
    assert.ok(today);
    assert.match(today.bounds, new RegExp(`^FOR VALUES FROM \\('${day} 00:00:00'\\) TO \\('\\d{4}-\\d{2}-\\d{2} 00:00:00'\\)$`));
    // A message sent now lands in the partition of its day.
    await client.query(`select realtime.send('{}', 'e', 'room:1')`);
    const { rows } = await client.query(
      `select tableoid::regclass::text as partition, 'realtime.messages_' || to_char(inserted_at, 'YYYY_MM_DD') as day
       from realtime.messages`,
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].partition, rows[0].day);
  });
});

test('retention drops the days before (now − 72 h) and keeps the rest', async () => {
  await rolledBack(db.pool, async (client) => {
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    // Old days, as a stand-in left running for a week would have them.
    await client.query(`
      do $$
      declare day date;
      begin
        for day in select (now() at time zone 'utc')::date + offset_days from unnest(array[-6, -5, -4, -3, -2]) offset_days loop
          execute format('create table realtime.%I partition of realtime.messages for values from (%L) to (%L)',
            'messages_' || to_char(day, 'YYYY_MM_DD'), day, day + 1);
        end loop;
      end
      $$`);
    const before = (await partitions(client)).map((partition) => partition.name);
    const { rows: cutoff } = await client.query(
      `select to_char(((now() at time zone 'utc') - interval '72 hours')::date, '"messages_"YYYY_MM_DD') as name`,
    );
    const { rows: dropped } = await client.query('select name from realtime.wacrm_drop_old_message_partitions() as name');
    const expectedDropped = before.filter((name) => name < cutoff[0].name);
    assert.ok(expectedDropped.length >= 3, 'days −6 to −4 are always older than the day of now − 72 h');
    assert.deepEqual(dropped.map((row) => row.name), expectedDropped);
    assert.deepEqual(
      (await partitions(client)).map((partition) => partition.name),
      before.filter((name) => name >= cutoff[0].name),
    );
    assert.deepEqual((await client.query('select realtime.wacrm_drop_old_message_partitions()')).rows, []);
  });
});

test('API roles cannot run the partition upkeep; every role can use topic(), send() and broadcast_changes()', async () => {
  await rolledBack(db.pool, async (client) => {
    for (const role of ['anon', 'authenticated', 'service_role'] as const) {
      const actor = role === 'authenticated' ? { role, sub: '11111111-1111-4111-8111-111111111111' } : { role };
      for (const upkeep of ['wacrm_ensure_message_partitions', 'wacrm_drop_old_message_partitions']) {
        const attempt = await tryAs(client, actor, `select realtime.${upkeep}()`);
        assert.equal(attempt.error?.code, '42501', `${role} runs ${upkeep}`);
      }
      const { rows } = await client.query(
        `select has_function_privilege($1, 'realtime.topic()', 'execute') as topic,
                has_function_privilege($1, 'realtime.send(jsonb, text, text, boolean)', 'execute') as send,
                has_function_privilege($1, 'realtime.broadcast_changes(text, text, text, text, text, record, record, text)', 'execute') as changes`,
        [role],
      );
      assert.deepEqual(rows, [{ topic: true, send: true, changes: true }], role);
    }
  });
});

test('platform.sql runs again over itself without changing realtime’s objects', async () => {
  const client = await db.pool.connect();
  try {
    const state = async () =>
      (
        await client.query(`
          select jsonb_build_object(
            'relations', (select jsonb_agg(jsonb_build_object('name', relname, 'kind', relkind, 'rls', relrowsecurity,
                           'acl', relacl::text) order by relname) from pg_class where relnamespace = 'realtime'::regnamespace),
            'functions', (select jsonb_agg(jsonb_build_object('signature', oid::regprocedure::text,
                           'definition', pg_get_functiondef(oid), 'acl', proacl::text) order by oid::regprocedure::text)
                         from pg_proc where pronamespace = 'realtime'::regnamespace),
            'publication', (select jsonb_agg(pubname order by pubname) from pg_publication)
          ) as state`)
      ).rows[0].state;
    const once = await state();
    await runSqlFile(client, platformFile);
    assert.deepEqual(await state(), once);
  } finally {
    client.release();
  }
});
