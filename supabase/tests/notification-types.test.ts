// 20261204120000_notification_types.sql on public.notifications: the widened CHECK, data, seen_at
// and archived_at with their column privileges and server times, the indexes behind the counts and
// lists, the RPCs, 027's assignment trigger with data and preferences, and who may execute what.
// Acting as each API role exactly as PostgREST would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { rolledBack, tryAs, useTestDatabase, World, type Actor } from './support.js';

const db = useTestDatabase();

test('the CHECK allows the three types and refuses others', async () => {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const user = await world.agent(account);
    for (const type of ['conversation_assigned', 'message_received', 'deal_updated']) {
      await client.query(`insert into public.notifications (account_id, user_id, type, title) values ($1, $2, $3, 'x')`, [
        account,
        user,
        type,
      ]);
    }
    const other = await tryAs(client, { role: 'postgres' }, `insert into public.notifications (account_id, user_id, type, title) values ($1, $2, 'ai_handoff', 'x')`, [account, user]);
    assert.equal(other.error?.code, '23514');
    const { rows } = await client.query(
      `select pg_get_constraintdef(oid) as definition from pg_constraint where conname = 'notifications_type_check'`,
    );
    assert.deepEqual(rows, [
      {
        definition:
          "CHECK ((type = ANY (ARRAY['conversation_assigned'::text, 'message_received'::text, 'deal_updated'::text])))",
      },
    ]);
  });
});

test('the partial indexes behind the counts, the two lists and the coalescing lookup', async () => {
  const { rows } = await db.pool.query(
    `select indexname, indexdef from pg_indexes
     where schemaname = 'public' and tablename = 'notifications'
       and indexname in ('idx_notifications_user_inbox', 'idx_notifications_user_archived', 'idx_notifications_user_attention')
     order by indexname`,
  );
  assert.deepEqual(rows, [
    {
      indexname: 'idx_notifications_user_archived',
      indexdef:
        'CREATE INDEX idx_notifications_user_archived ON public.notifications USING btree (user_id, created_at DESC, id DESC) WHERE (archived_at IS NOT NULL)',
    },
    {
      indexname: 'idx_notifications_user_attention',
      indexdef:
        'CREATE INDEX idx_notifications_user_attention ON public.notifications USING btree (user_id, conversation_id) INCLUDE (read_at, seen_at) WHERE ((archived_at IS NULL) AND ((read_at IS NULL) OR (seen_at IS NULL)))',
    },
    {
      indexname: 'idx_notifications_user_inbox',
      indexdef:
        'CREATE INDEX idx_notifications_user_inbox ON public.notifications USING btree (user_id, created_at DESC, id DESC) WHERE (archived_at IS NULL)',
    },
  ]);
});

test('counts and lists of one user among many read only that user’s index entries', async () => {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const me = await world.agent(account);
    // 300 users with 40 notifications each: most read and seen, some archived.
    await client.query(
      `with users as (
         insert into auth.users (id, email) select gen_random_uuid(), 'bulk-' || g || '@example.test'
         from generate_series(1, 300) g returning id)
       insert into public.notifications (account_id, user_id, title, read_at, seen_at, archived_at, created_at)
       select $1, users.id, 'bulk', case when n % 4 = 0 then null else now() end,
              case when n % 8 = 0 then null else now() end, case when n % 3 = 0 then now() end,
              now() - n * interval '1 minute'
       from users, generate_series(1, 40) n`,
      [account],
    );
    // Mine: 3 unread and unseen, 2 unread but seen, 1 read but unseen, 4 read and seen, 2 archived unread.
    await client.query(
      `insert into public.notifications (account_id, user_id, title, read_at, seen_at, archived_at, created_at)
       select $1, $2, 'mine', r, s, a, now() - n * interval '1 minute'
       from (values (1, null::timestamptz, null::timestamptz, null::timestamptz), (2, null, null, null), (3, null, null, null),
                    (4, null, now(), null), (5, null, now(), null), (6, now(), null, null),
                    (7, now(), now(), null), (8, now(), now(), null), (9, now(), now(), null), (10, now(), now(), null),
                    (11, null, null, now()), (12, null, null, now())) as v (n, r, s, a)`,
      [account, me],
    );
    await client.query('analyze public.notifications');
    const asMe: Actor = { role: 'authenticated', sub: me };
    const expectations: [string, string, RegExp, number][] = [
      // The queries supabase-js sends through PostgREST (RLS adds the user predicate).
      ['unread', 'select count(*) from public.notifications where read_at is null and archived_at is null', /"Index Name":"idx_notifications_user_attention"/, 5],
      ['unseen', 'select count(*) from public.notifications where seen_at is null and archived_at is null', /"Index Name":"idx_notifications_user_attention"/, 4],
      ['inbox', `select id from public.notifications where archived_at is null order by created_at desc, id desc limit 21`, /"Index Name":"idx_notifications_user_inbox"/, 10],
      ['archived', `select id from public.notifications where archived_at is not null order by created_at desc, id desc limit 21`, /"Index Name":"idx_notifications_user_archived"/, 2],
    ];
    for (const [name, sql, index, expected] of expectations) {
      const result = await tryAs(client, asMe, sql);
      const value = name === 'unread' || name === 'unseen' ? Number(result.rows[0]?.count) : result.rowCount;
      assert.equal(value, expected, name);
      const plan = JSON.stringify((await tryAs(client, asMe, `explain (format json) ${sql}`)).rows[0]);
      assert.match(plan, index, `${name}: ${plan}`);
      // With a few dozen rows per user a bitmap scan and a sort may win; bench/triggers.ts times the
      // same statements at 1,000,000 rows.
      assert.doesNotMatch(plan, /"Seq Scan"/, `${name}: ${plan}`);
    }
  });
});

interface Team {
  client: pg.PoolClient;
  world: World;
  account: string;
  alice: string;
  bob: string;
  /** Alice's rows: unread, unread, read (2026-01-01), archived read. */
  aliceRows: string[];
  bobRows: string[];
}

async function withTeam(work: (team: Team) => Promise<void>): Promise<void> {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const alice = await world.agent(account, 'Alice');
    const bob = await world.agent(account, 'Bob');
    const rowsOf = async (user: string) => [
      await world.notification(account, user, { createdAt: '2026-01-04T00:00:00Z' }),
      await world.notification(account, user, { createdAt: '2026-01-03T00:00:00Z' }),
      await world.notification(account, user, { createdAt: '2026-01-02T00:00:00Z', readAt: '2026-01-02T01:00:00Z' }),
      await world.notification(account, user, {
        createdAt: '2026-01-01T00:00:00Z',
        readAt: '2026-01-01T01:00:00Z',
        archivedAt: '2026-01-02T00:00:00Z',
      }),
    ];
    await work({ client, world, account, alice, bob, aliceRows: await rowsOf(alice), bobRows: await rowsOf(bob) });
  });
}

const rowOf = async (client: pg.ClientBase, id: string) =>
  (await client.query('select * from public.notifications where id = $1', [id])).rows[0];

test('a user may set read_at, seen_at and archived_at of their own rows, and nothing else', async () => {
  await withTeam(async ({ client, account, alice, bob, aliceRows, bobRows }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const [id] = aliceRows as [string];
    for (const column of ['read_at', 'seen_at', 'archived_at']) {
      const own = await tryAs(client, asAlice, `update public.notifications set ${column} = now() where id = $1`, [id]);
      assert.deepEqual([own.error?.code, own.rowCount], [undefined, 1], column);
      const other = await tryAs(client, asAlice, `update public.notifications set ${column} = now() where id = $1`, [bobRows[0]]);
      assert.deepEqual([other.error?.code, other.rowCount], [undefined, 0], `${column} of another user’s row`);
    }
    const before = await rowOf(client, id);
    for (const [column, value] of [
      ['title', 'Edited'],
      ['body', 'Edited'],
      ['data', '{"excerpt":"forged"}'],
      ['created_at', '2000-01-01T00:00:00Z'],
      ['type', 'message_received'],
      ['user_id', bob],
      ['account_id', account],
      ['conversation_id', null],
    ] as const) {
      const attempt = await tryAs(client, asAlice, `update public.notifications set ${column} = $2 where id = $1`, [id, value]);
      assert.equal(attempt.error?.code, '42501', `updating ${column}`);
    }
    const mixed = await tryAs(client, asAlice, `update public.notifications set seen_at = null, data = null where id = $1`, [id]);
    assert.equal(mixed.error?.code, '42501', 'seen_at together with another column is refused as a whole');
    assert.deepEqual(await rowOf(client, id), before);
  });
});

test('anon reads and writes nothing', async () => {
  await withTeam(async ({ client, aliceRows }) => {
    for (const sql of [
      'select count(*) from public.notifications where seen_at is null',
      `update public.notifications set seen_at = now() where id = '${aliceRows[0]}'`,
      `update public.notifications set archived_at = now() where id = '${aliceRows[0]}'`,
    ]) {
      assert.equal((await tryAs(client, { role: 'anon' }, sql)).error?.code, '42501', sql);
    }
  });
});

test('seen_at and archived_at are the server’s time: first time kept, back to null allowed', async () => {
  await withTeam(async ({ client, alice, aliceRows }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const [id, , , archived] = aliceRows as [string, string, string, string];
    for (const column of ['seen_at', 'archived_at']) {
      const set = await tryAs(
        client,
        asAlice,
        `update public.notifications set ${column} = '1999-12-31T23:59:59Z' where id = $1 returning ${column} = now() as server_time`,
        [id],
      );
      assert.deepEqual(set.rows, [{ server_time: true }], `${column}: a client-sent time is replaced by now()`);
    }
    await tryAs(client, asAlice, `update public.notifications set archived_at = now() + interval '1 day' where id = $1`, [archived]);
    assert.equal((await rowOf(client, archived)).archived_at.toISOString(), '2026-01-02T00:00:00.000Z', 'kept');
    const restored = await tryAs(client, asAlice, 'update public.notifications set archived_at = null, seen_at = null where id = $1', [id]);
    assert.equal(restored.rowCount, 1);
    const row = await rowOf(client, id);
    assert.deepEqual([row.archived_at, row.seen_at], [null, null]);
  });
});

const call = async (client: pg.ClientBase, actor: Actor, sql: string, params: unknown[] = []) => {
  const result = await tryAs(client, actor, `select ${sql} as changed`, params);
  assert.equal(result.error, undefined, `${sql}: ${result.error?.message}`);
  return result.rows[0]!.changed as number;
};

const stateOf = async (client: pg.ClientBase, user: string) =>
  (
    await client.query(
      `select read_at is not null as read, seen_at is not null as seen, archived_at is not null as archived
       from public.notifications where user_id = $1 order by created_at desc`,
      [user],
    )
  ).rows.map((row) => `${row.read ? 'R' : '-'}${row.seen ? 'S' : '-'}${row.archived ? 'A' : '-'}`);

test('mark_notifications_seen: the caller’s unseen inbox rows, all or the given ones; returns how many', async () => {
  await withTeam(async ({ client, alice, bob, aliceRows, bobRows }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    assert.equal(await call(client, asAlice, 'public.mark_notifications_seen($1)', [[aliceRows[0], bobRows[0], aliceRows[3]]]), 1);
    assert.equal(await call(client, asAlice, 'public.mark_notifications_seen()'), 2, 'the other two inbox rows');
    assert.equal(await call(client, asAlice, 'public.mark_notifications_seen()'), 0, 'idempotent');
    assert.equal(await call(client, asAlice, 'public.mark_notifications_seen($1)', [[]]), 0);
    assert.deepEqual(await stateOf(client, alice), ['-S-', '-S-', 'RS-', 'R-A'], 'archived rows are not marked seen');
    assert.deepEqual(await stateOf(client, bob), ['---', '---', 'R--', 'R-A'], 'Bob’s rows untouched');
    const now = await client.query(`select bool_and(seen_at = now()) as server_time from public.notifications where user_id = $1 and seen_at is not null`, [alice]);
    assert.equal(now.rows[0].server_time, true);
  });
});

test('archive_notifications: all read ones when ids is null; the given ones, read or not; restore with unarchive', async () => {
  await withTeam(async ({ client, alice, bob, aliceRows, bobRows }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    assert.equal(await call(client, asAlice, 'public.archive_notifications()'), 1, 'the one read inbox row');
    assert.deepEqual(await stateOf(client, alice), ['---', '---', 'R-A', 'R-A']);
    assert.equal(await call(client, asAlice, 'public.archive_notifications($1)', [[aliceRows[0], aliceRows[3], bobRows[0]]]), 1, 'unread is fine; archived or another user’s is not counted');
    assert.deepEqual(await stateOf(client, alice), ['--A', '---', 'R-A', 'R-A']);
    assert.equal((await rowOf(client, aliceRows[0]!)).read_at, null, 'archiving does not mark read');

    assert.equal(await call(client, asAlice, 'public.unarchive_notifications($1)', [[aliceRows[0], aliceRows[1], bobRows[3]]]), 1);
    assert.equal(await call(client, asAlice, 'public.unarchive_notifications(null)'), 0, 'null restores nothing');
    assert.deepEqual(await stateOf(client, alice), ['---', '---', 'R-A', 'R-A']);
    assert.deepEqual(await stateOf(client, bob), ['---', '---', 'R--', 'R-A'], 'Bob’s rows untouched');
  });
});

test('mark_notifications_read(): the inbox only; with ids, the given ones archived or not', async () => {
  await withTeam(async ({ client, world, account, alice, aliceRows }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const archivedUnread = await world.notification(account, alice);
    await client.query('update public.notifications set archived_at = now() where id = $1', [archivedUnread]);
    assert.equal(await call(client, asAlice, 'public.mark_notifications_read()'), 2);
    assert.equal((await rowOf(client, archivedUnread)).read_at, null, 'an archived unread row stays unread');
    assert.equal(await call(client, asAlice, 'public.mark_notifications_read($1)', [[archivedUnread, aliceRows[0]]]), 1);
    assert.notEqual((await rowOf(client, archivedUnread)).read_at, null);
  });
});

test('who may call what: the RPCs for signed-in users only; no API role may run a trigger function', async () => {
  const functions = [
    'public.mark_notifications_read(uuid[])',
    'public.mark_notifications_seen(uuid[])',
    'public.archive_notifications(uuid[])',
    'public.unarchive_notifications(uuid[])',
    'public.notify_conversation_assigned()',
    'public.notify_message_received()',
    'public.notify_deal_updated()',
    'public.notifications_seen_archived_server_time()',
    'public.notification_preferences_updated_at()',
  ];
  const { rows } = await db.pool.query(
    `select fn, role, has_function_privilege(role, fn, 'execute') as allowed
     from unnest($1::text[]) fn, unnest(array['anon', 'authenticated', 'service_role']) role`,
    [functions],
  );
  const allowed = (fn: string) => rows.filter((row) => row.fn === fn && row.allowed).map((row) => row.role).sort();
  assert.deepEqual(allowed('public.mark_notifications_read(uuid[])'), ['authenticated', 'service_role'], '027’s grant kept');
  for (const fn of functions.slice(1, 4)) assert.deepEqual(allowed(fn), ['authenticated'], fn);
  // As 027 does: revoked from PUBLIC, anon and authenticated; the service role keeps what Supabase grants it.
  for (const fn of functions.slice(4)) assert.deepEqual(allowed(fn), ['service_role'], fn);

  const { rows: acl } = await db.pool.query(
    `select p.oid::regprocedure::text as fn, p.prosecdef as definer, p.proconfig as config,
            coalesce(p.proacl::text, '') ~ '(^|[{,])=X' as public_execute
     from pg_proc p where p.oid = any($1::regprocedure[]) order by 1`,
    [functions],
  );
  for (const row of acl) {
    assert.deepEqual(row.config, ['search_path=""'], `${row.fn}: empty search_path`);
    assert.equal(row.public_execute, false, `${row.fn}: PUBLIC has no EXECUTE`);
  }
  assert.deepEqual(
    acl.filter((row) => row.definer).map((row) => row.fn),
    ['notify_conversation_assigned()', 'notify_deal_updated()', 'notify_message_received()'],
    'the notify functions alone are SECURITY DEFINER; the RPCs run as the caller',
  );

  await rolledBack(db.pool, async (client) => {
    for (const rpc of ['mark_notifications_seen()', 'archive_notifications()', 'unarchive_notifications(null)']) {
      assert.equal((await tryAs(client, { role: 'anon' }, `select public.${rpc}`)).error?.code, '42501', `anon ${rpc}`);
    }
    for (const fn of ['notify_message_received()', 'notify_deal_updated()', 'notify_conversation_assigned()']) {
      const attempt = await tryAs(client, { role: 'authenticated', sub: '11111111-1111-4111-8111-111111111111' }, `select public.${fn}`);
      assert.equal(attempt.error?.code, '42501', `authenticated ${fn}`);
    }
  });
});

test('027’s assignment trigger now fills data, keeps its words, and skips a muted recipient', async () => {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account();
    const alice = await world.agent(account, 'Alice Martin');
    const bob = await world.agent(account, 'Bob Chen');
    const carol = await world.agent(account, 'Carol Diaz');
    const named = await world.conversation(account, await world.contact(account, 'Maria Silva'));
    const byPhone = await world.conversation(account, await world.contact(account, ' ', '+1 415 555 0111'));
    const assign = (actor: Actor, conversation: string, assignee: string) =>
      tryAs(client, actor, 'update public.conversations set assigned_agent_id = $2 where id = $1', [conversation, assignee]);
    await assign({ role: 'authenticated', sub: alice }, named, bob);
    await assign({ role: 'service_role' }, byPhone, bob);
    const rows = await world.notificationsOf(bob);
    assert.deepEqual(
      rows.map((row) => [row.body, row.data]).sort(),
      [
        ['Alice Martin assigned you a conversation with Maria Silva', { actor_name: 'Alice Martin', contact_name: 'Maria Silva' }],
        ['Someone assigned you a conversation with +1 415 555 0111', { actor_name: null, contact_name: '+1 415 555 0111' }],
      ].sort(),
    );
    await client.query(`insert into public.notification_preferences (user_id, type, in_app) values ($1, 'conversation_assigned', false)`, [carol]);
    const muted = await assign({ role: 'authenticated', sub: alice }, named, carol);
    assert.equal(muted.rowCount, 1, 'the assignment succeeds');
    assert.deepEqual(await world.notificationsOf(carol), []);
  });
});

test('the write RPCs take a user’s rows in one order: marking seen and marking all read (or archiving) at once never deadlock', async () => {
  // Committed rows (other connections must see them), removed afterwards with their account.
  const setup = await db.pool.connect();
  const world = new World(setup);
  const account = await world.account();
  const alice = await world.agent(account, 'Alice');
  try {
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < 40; i++) {
        await world.notification(account, alice, { createdAt: `2026-01-01T00:${String(i).padStart(2, '0')}:00Z`, ...(i % 3 ? {} : { readAt: '2026-01-02T00:00:00Z' }) });
      }
      const calls = ['select public.mark_notifications_seen()', 'select public.mark_notifications_read()', 'select public.archive_notifications()'];
      const results = await Promise.allSettled(
        calls.map(async (sql) => {
          const client = await db.pool.connect();
          try {
            await client.query('begin');
            await client.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [
              JSON.stringify({ sub: alice, role: 'authenticated' }),
            ]);
            await client.query(sql);
            await client.query('commit');
          } catch (error) {
            await client.query('rollback');
            throw error;
          } finally {
            client.release();
          }
        }),
      );
      const failed = results.filter((result) => result.status === 'rejected').map((result) => String((result).reason));
      assert.deepEqual(failed, [], `round ${round}`);
    }
  } finally {
    await setup.query('delete from public.notifications where user_id = $1', [alice]);
    setup.release();
  }
});
