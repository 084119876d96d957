// Row-level security and column privileges on notifications, acting as each API role exactly as
// PostgREST would. These are the promises the widget relies on: Postgres, not our code, enforces them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { useTestDatabase, rolledBack, tryAs, World } from './support.js';

const db = useTestDatabase();

interface Team {
  client: pg.PoolClient;
  world: World;
  account: string;
  alice: string;
  bob: string;
  /** Notification ids per user: two unread and one read each. */
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
      await world.notification(account, user),
      await world.notification(account, user),
      await world.notification(account, user, { readAt: '2026-01-01T00:00:00Z' }),
    ];
    await work({ client, world, account, alice, bob, aliceRows: await rowsOf(alice), bobRows: await rowsOf(bob) });
  });
}

const rowOf = async (client: pg.ClientBase, id: string) =>
  (await client.query('select * from public.notifications where id = $1', [id])).rows[0];

test('each user reads only their own notifications', async () => {
  await withTeam(async ({ client, alice, bob, aliceRows, bobRows }) => {
    const asAlice = await tryAs(client, { role: 'authenticated', sub: alice }, 'select id from public.notifications');
    assert.deepEqual(asAlice.rows.map((row) => row.id).sort(), [...aliceRows].sort());
    const asBob = await tryAs(client, { role: 'authenticated', sub: bob }, 'select id from public.notifications');
    assert.deepEqual(asBob.rows.map((row) => row.id).sort(), [...bobRows].sort());
    const byId = await tryAs(client, { role: 'authenticated', sub: alice }, 'select id from public.notifications where id = $1', [
      bobRows[0],
    ]);
    assert.equal(byId.rowCount, 0, 'naming another user’s row does not reveal it');
  });
});

test('anon reads nothing', async () => {
  await withTeam(async ({ client }) => {
    const attempt = await tryAs(client, { role: 'anon' }, 'select count(*) from public.notifications');
    assert.equal(attempt.error?.code, '42501');
  });
});

test('a signed-in user cannot insert or delete notifications', async () => {
  await withTeam(async ({ client, account, alice, aliceRows }) => {
    const insert = await tryAs(
      client,
      { role: 'authenticated', sub: alice },
      `insert into public.notifications (account_id, user_id, title) values ($1, $2, 'forged')`,
      [account, alice],
    );
    assert.equal(insert.error?.code, '42501');
    const remove = await tryAs(client, { role: 'authenticated', sub: alice }, 'delete from public.notifications where id = $1', [
      aliceRows[0],
    ]);
    assert.equal(remove.error?.code, '42501');
    assert.ok(await rowOf(client, aliceRows[0]!), 'the row is still there');
  });
});

test('a user can mark their own notification read; the database stores its own time', async () => {
  await withTeam(async ({ client, alice, aliceRows }) => {
    const [id] = aliceRows as [string];
    const update = await tryAs(
      client,
      { role: 'authenticated', sub: alice },
      `update public.notifications set read_at = '1999-12-31T23:59:59Z' where id = $1 returning read_at = now() as server_time`,
      [id],
    );
    assert.equal(update.error, undefined);
    assert.deepEqual(update.rows, [{ server_time: true }], 'a client-sent time is replaced by now()');
  });
});

test('updating any other column is refused (42501) and changes nothing', async () => {
  await withTeam(async ({ client, account, alice, bob, aliceRows }) => {
    const [id] = aliceRows as [string];
    const before = await rowOf(client, id);
    for (const [column, value] of [
      ['title', 'Edited'],
      ['body', 'Edited'],
      ['user_id', bob],
      ['account_id', account],
      ['type', 'conversation_assigned'],
      ['created_at', '2000-01-01T00:00:00Z'],
      ['actor_user_id', bob],
    ] as const) {
      const attempt = await tryAs(
        client,
        { role: 'authenticated', sub: alice },
        `update public.notifications set ${column} = $2 where id = $1`,
        [id, value],
      );
      assert.equal(attempt.error?.code, '42501', `updating ${column}`);
    }
    const mixed = await tryAs(
      client,
      { role: 'authenticated', sub: alice },
      `update public.notifications set read_at = now(), title = 'Edited' where id = $1`,
      [id],
    );
    assert.equal(mixed.error?.code, '42501', 'read_at together with another column is refused as a whole');
    assert.deepEqual(await rowOf(client, id), before);
  });
});

test('another user’s row is untouched by an update that names it', async () => {
  await withTeam(async ({ client, alice, bobRows }) => {
    const [id] = bobRows as [string];
    const before = await rowOf(client, id);
    const attempt = await tryAs(client, { role: 'authenticated', sub: alice }, 'update public.notifications set read_at = now() where id = $1', [
      id,
    ]);
    assert.equal(attempt.error, undefined);
    assert.equal(attempt.rowCount, 0);
    assert.deepEqual(await rowOf(client, id), before);
  });
});

test('read_at: first read time kept, mark unread allowed, read again gets a new server time', async () => {
  await withTeam(async ({ client, alice, aliceRows }) => {
    const id = aliceRows[2]!; // read on 2026-01-01
    const asAlice = { role: 'authenticated', sub: alice } as const;
    await tryAs(client, asAlice, `update public.notifications set read_at = now() + interval '1 day' where id = $1`, [id]);
    assert.equal((await rowOf(client, id)).read_at.toISOString(), '2026-01-01T00:00:00.000Z', 'an already read row keeps its read time');

    const unread = await tryAs(client, asAlice, 'update public.notifications set read_at = null where id = $1', [id]);
    assert.equal(unread.rowCount, 1);
    assert.equal((await rowOf(client, id)).read_at, null, 'mark unread');

    const reread = await tryAs(
      client,
      asAlice,
      `update public.notifications set read_at = '2001-01-01' where id = $1 returning read_at = now() as server_time`,
      [id],
    );
    assert.deepEqual(reread.rows, [{ server_time: true }]);
  });
});

test('mark_notifications_read marks only the caller’s unread rows and returns how many', async () => {
  await withTeam(async ({ client, alice, bob, aliceRows, bobRows }) => {
    const asAlice = { role: 'authenticated', sub: alice } as const;
    const all = await tryAs(client, asAlice, 'select public.mark_notifications_read() as changed');
    assert.equal(all.rows[0]?.changed, 2, 'both unread rows of Alice');
    const again = await tryAs(client, asAlice, 'select public.mark_notifications_read() as changed');
    assert.equal(again.rows[0]?.changed, 0, 'idempotent');

    const { rows } = await client.query('select user_id, read_at is null as unread, read_at from public.notifications where user_id = any($1)', [
      [alice, bob],
    ]);
    assert.equal(rows.filter((row) => row.user_id === alice && row.unread).length, 0);
    assert.equal(rows.filter((row) => row.user_id === bob && row.unread).length, 2, 'Bob’s rows are untouched');
    const aliceOldRead = rows.find((row) => row.user_id === alice && row.read_at.toISOString().startsWith('2026-01-01'));
    assert.ok(aliceOldRead, 'an already read row keeps its read time');
    assert.ok(aliceRows.length === 3 && bobRows.length === 3);
  });
});

test('mark_notifications_read with ids marks just those, and never another user’s', async () => {
  await withTeam(async ({ client, bob, aliceRows, bobRows }) => {
    const asBob = { role: 'authenticated', sub: bob } as const;
    const some = await tryAs(client, asBob, 'select public.mark_notifications_read($1) as changed', [
      [bobRows[0], aliceRows[0], aliceRows[1]],
    ]);
    assert.equal(some.rows[0]?.changed, 1);
    const { rows } = await client.query('select id from public.notifications where read_at is null order by id');
    assert.deepEqual(rows.map((row) => row.id).sort(), [aliceRows[0], aliceRows[1], bobRows[1]].sort());
    const none = await tryAs(client, asBob, 'select public.mark_notifications_read($1) as changed', [[]]);
    assert.equal(none.rows[0]?.changed, 0, 'an empty list marks nothing');
  });
});

test('anon cannot call mark_notifications_read', async () => {
  await withTeam(async ({ client }) => {
    const attempt = await tryAs(client, { role: 'anon' }, 'select public.mark_notifications_read()');
    assert.equal(attempt.error?.code, '42501');
  });
});
