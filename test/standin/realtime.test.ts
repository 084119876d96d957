// Realtime conformance: the real supabase-js client (ws transport) against the stand-in, or against
// a real Supabase stack when the SUPABASE_* variables are set (see test/support/target.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { needsStandIn, startTarget, type Target } from '../support/target.js';
import { Fixtures, type Agent } from '../support/fixtures.js';
import { signJwt } from '../../supabase/local/jwt.js';

type Row = Record<string, unknown>;

interface ChangePayload {
  schema: string;
  table: string;
  commit_timestamp: string | null;
  eventType: 'INSERT' | 'UPDATE' | 'DELETE';
  new: Row;
  old: Row;
  errors: string[] | null;
}

interface Binding {
  event: '*' | 'INSERT' | 'UPDATE' | 'DELETE';
  schema: string;
  table?: string;
  filter?: string;
}

interface Watch {
  channel: RealtimeChannel;
  /** Per binding, in the order given. */
  changes: ChangePayload[][];
  system: { extension: string; status: string; message: string }[];
  statuses: string[];
  subscribedCount(): number;
}

let target: Target;
let fixtures: Fixtures;
let accountId: string;
let contactId: string;
const clients: SupabaseClient[] = [];

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A client whose Realtime token is settled before anything subscribes: supabase-js sets the
 * accessToken option's token asynchronously, and a channel joined before that joins with the anon key.
 */
async function clientFor(agent: Agent, token: () => string = () => fixtures.token(agent)): Promise<SupabaseClient> {
  const client = fixtures.clientWithToken(agent, token);
  clients.push(client);
  await client.realtime.setAuth();
  return client;
}

/** Subscribes and waits until the server says delivery is live ("Subscribed to PostgreSQL"). */
async function watch(client: SupabaseClient, bindings: Binding[], { live = true, name = `ch-${randomUUID()}` } = {}): Promise<Watch> {
  const changes: ChangePayload[][] = bindings.map(() => []);
  const system: Watch['system'] = [];
  const statuses: string[] = [];
  let channel = client.channel(name);
  bindings.forEach((binding, i) => {
    channel = channel.on('postgres_changes', binding as never, (payload: ChangePayload) => changes[i]!.push(payload));
  });
  channel.on('system', {}, (payload) => system.push(payload));
  channel.subscribe((status, error) => statuses.push(error ? `${status}: ${error.message}` : status));
  const result: Watch = {
    channel,
    changes,
    system,
    statuses,
    subscribedCount: () => system.filter((s) => s.status === 'ok' && s.message === 'Subscribed to PostgreSQL').length,
  };
  if (live) await waitFor(`"Subscribed to PostgreSQL" on ${name}`, () => result.subscribedCount() >= 1);
  return result;
}

/** A table of the test's own, in the publication, RLS off unless the statements say otherwise. */
async function scratchTable(columns: string, ...statements: string[]): Promise<string> {
  const name = `rt_scratch_${randomBytes(4).toString('hex')}`;
  await fixtures.db.query(`create table public.${name} (${columns})`);
  for (const statement of statements) await fixtures.db.query(statement.replaceAll('$table', `public.${name}`));
  await fixtures.db.query(`alter publication supabase_realtime add table public.${name}`);
  return name;
}

async function notificationFor(agent: Agent): Promise<string> {
  const conversation = await fixtures.conversation(accountId, contactId);
  await fixtures.assign(conversation, agent.id);
  const { rows } = await fixtures.db.query<{ id: string }>('select id from public.notifications where conversation_id = $1', [conversation]);
  assert.equal(rows.length, 1, 'the assignment trigger wrote one notification');
  return rows[0]!.id;
}

const notifications: Binding = { event: '*', schema: 'public', table: 'notifications' };

before(async () => {
  target = await startTarget();
  fixtures = new Fixtures(target);
  accountId = await fixtures.account('Realtime account');
  contactId = await fixtures.contact(accountId, 'Ada');
});

after(async () => {
  await Promise.all(clients.map((client) => client.removeAllChannels().catch(() => undefined)));
  await fixtures.end();
  await target.stop();
});

describe('postgres_changes on notifications (RLS)', () => {
  test("a user's channel receives their own INSERT and UPDATE, never another user's, even with no filter", async () => {
    const ann = await fixtures.agent(accountId, 'Ann');
    const bob = await fixtures.agent(accountId, 'Bob');
    const annWatch = await watch(await clientFor(ann), [notifications]);
    const bobWatch = await watch(await clientFor(bob), [notifications]);

    const annNotification = await notificationFor(ann);
    const bobNotification = await notificationFor(bob);
    await fixtures.db.query('update public.notifications set read_at = now() where id = $1', [annNotification]);
    // Bob's own change, committed last, is the marker: everything before it has been delivered.
    await fixtures.db.query('update public.notifications set title = title where id = $1', [bobNotification]);

    const annChanges = annWatch.changes[0]!;
    const bobChanges = bobWatch.changes[0]!;
    await waitFor('Ann: INSERT then UPDATE', () => annChanges.length >= 2);
    await waitFor('Bob: INSERT then UPDATE', () => bobChanges.length >= 2);

    assert.deepEqual(annChanges.map((c) => [c.eventType, c.new.id]), [['INSERT', annNotification], ['UPDATE', annNotification]]);
    assert.deepEqual(bobChanges.map((c) => [c.eventType, c.new.id]), [['INSERT', bobNotification], ['UPDATE', bobNotification]]);

    const [insert, update] = annChanges as [ChangePayload, ChangePayload];
    assert.equal(insert.new.user_id, ann.id);
    assert.equal(insert.new.title, 'New conversation assigned');
    assert.equal(insert.new.read_at, null);
    assert.deepEqual(insert.old, {});
    assert.equal(insert.errors, null);
    assert.match(insert.commit_timestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // REPLICA IDENTITY FULL: the widget sees what read_at was before the change.
    assert.equal(update.old.read_at, null);
    assert.equal(update.old.id, annNotification);
    assert.equal(typeof update.new.read_at, 'string');
    assert.ok(!Number.isNaN(Date.parse(update.new.read_at as string)), 'read_at parses as a date');
  });

  test('a DELETE reaches the subscriber with only the primary key in old (RLS on)', async () => {
    const cid = await fixtures.agent(accountId, 'Cid');
    const cidWatch = await watch(await clientFor(cid), [{ event: 'DELETE', schema: 'public', table: 'notifications', filter: `user_id=eq.${cid.id}` }]);
    const id = await notificationFor(cid);
    await fixtures.db.query('delete from public.notifications where id = $1', [id]);
    await waitFor('the DELETE', () => cidWatch.changes[0]!.length >= 1);
    const [deleted] = cidWatch.changes[0]!;
    assert.equal(deleted!.eventType, 'DELETE');
    assert.deepEqual(deleted!.old, { id });
    assert.deepEqual(deleted!.new, {});
  });

  test('200 inserts for two users arrive complete, in commit order, each to its owner only', async () => {
    const dee = await fixtures.agent(accountId, 'Dee');
    const eve = await fixtures.agent(accountId, 'Eve');
    const deeWatch = await watch(await clientFor(dee), [{ event: 'INSERT', schema: 'public', table: 'notifications' }]);
    const eveWatch = await watch(await clientFor(eve), [{ event: 'INSERT', schema: 'public', table: 'notifications' }]);
    const expected = new Map<string, string[]>([[dee.id, []], [eve.id, []]]);
    for (let i = 0; i < 200; i++) {
      const owner = i % 3 === 0 ? eve : dee; // uneven, so a swap would show
      const title = `bulk ${String(i).padStart(3, '0')}`;
      expected.get(owner.id)!.push(title);
      await fixtures.db.query(
        `insert into public.notifications (account_id, user_id, title) values ($1, $2, $3)`,
        [accountId, owner.id, title],
      );
    }
    await waitFor('all of Dee\'s', () => deeWatch.changes[0]!.length >= expected.get(dee.id)!.length, 20_000);
    await waitFor('all of Eve\'s', () => eveWatch.changes[0]!.length >= expected.get(eve.id)!.length, 20_000);
    assert.deepEqual(deeWatch.changes[0]!.map((c) => c.new.title), expected.get(dee.id));
    assert.deepEqual(eveWatch.changes[0]!.map((c) => c.new.title), expected.get(eve.id));
    assert.ok(deeWatch.changes[0]!.every((c) => c.new.user_id === dee.id));
    assert.ok(eveWatch.changes[0]!.every((c) => c.new.user_id === eve.id));
  });
});

describe('filters', () => {
  test('eq, neq, lt, lte, gt, gte and in compare after a cast to the column type; NULL never matches', async () => {
    const uids = [1, 2, 3, 4, 5].map(() => randomUUID());
    const table = await scratchTable('id int primary key, n int, label text, at timestamptz, uid uuid');
    const on = (filter?: string): Binding => ({ event: 'INSERT', schema: 'public', table, ...(filter ? { filter } : {}) });
    const cases: [string | undefined, number[]][] = [
      [undefined, [1, 2, 3, 4, 5, 6]],
      ['n=eq.3', [3]],
      ['n=neq.3', [1, 2, 4, 5]],
      ['n=lt.3', [1, 2]],
      ['n=lte.3', [1, 2, 3]],
      ['n=gt.3', [4, 5]],
      ['n=gte.3', [3, 4, 5]],
      ['n=in.(1,5)', [1, 5]],
      // As numbers, not text: "10" sorts before "2" as text.
      ['n=lt.10', [1, 2, 3, 4, 5]],
      ['label=in.("l,2",l4)', [2, 4]],
      [`uid=eq.${uids[2]!.toUpperCase()}`, [3]],
      // 2024-01-03T01:00+02:00 is 2024-01-02T23:00Z.
      ['at=gt.2024-01-03T01:00:00+02:00', [3, 4, 5]],
    ];
    const ann = await fixtures.agent(accountId, 'Filter Ann');
    const filterWatch = await watch(await clientFor(ann), cases.map(([filter]) => on(filter)));

    for (let id = 1; id <= 5; id++) {
      await fixtures.db.query(`insert into public.${table} values ($1, $1, $2, $3, $4)`, [
        id,
        id === 2 ? 'l,2' : `l${id}`,
        `2024-01-0${id}T00:00:00Z`,
        uids[id - 1],
      ]);
    }
    await fixtures.db.query(`insert into public.${table} (id) values (6)`);

    await waitFor('the unfiltered binding to see all six rows', () => filterWatch.changes[0]!.length >= 6);
    cases.forEach(([filter, ids], i) => {
      assert.deepEqual(filterWatch.changes[i]!.map((c) => c.new.id), ids, `filter ${filter ?? '(none)'}`);
    });
    // Values arrive typed as the client converts them against Supabase.
    const third = filterWatch.changes[0]![2]!.new;
    assert.equal(third.n, 3);
    assert.equal(third.uid, uids[2]);
    assert.equal(Date.parse(third.at as string), Date.parse('2024-01-03T00:00:00Z'));
  });

  test('a table outside the publication is refused with a system error', async () => {
    const ann = await fixtures.agent(accountId, 'Ann Outside');
    await fixtures.db.query('create table if not exists public.rt_unpublished (id int primary key)');
    const refused = await watch(await clientFor(ann), [{ event: '*', schema: 'public', table: 'rt_unpublished' }], { live: false });
    await waitFor('the system error', () => refused.system.some((s) => s.status === 'error'));
    const error = refused.system.find((s) => s.status === 'error')!;
    assert.equal(error.extension, 'postgres_changes');
    assert.match(error.message, /^Unable to subscribe to changes with given parameters\. Please check Realtime is enabled/);
    assert.equal(refused.subscribedCount(), 0);
  });

  test('a bad filter is refused with a system error: unknown operator, unknown column, uncastable value', async () => {
    const ann = await fixtures.agent(accountId, 'Ann Filters');
    const client = await clientFor(ann);
    const attempts: [string, RegExp][] = [
      ['user_id=like2.x', /^Error parsing `filter` params: \["like2","x"\]/],
      ['no_such_column=eq.1', /invalid column for filter no_such_column/],
      ['user_id=eq.not-a-uuid', /invalid input syntax for type uuid/],
    ];
    for (const [filter, message] of attempts) {
      const refused = await watch(client, [{ event: '*', schema: 'public', table: 'notifications', filter }], { live: false });
      await waitFor(`the system error for ${filter}`, () => refused.system.some((s) => s.status === 'error'));
      assert.match(refused.system.find((s) => s.status === 'error')!.message, message);
      assert.equal(refused.subscribedCount(), 0, `${filter} must not subscribe`);
    }
  });
});

describe('payload.old and column privileges (scratch tables, RLS off)', () => {
  test('old carries only the key by default, the previous row with REPLICA IDENTITY FULL (UPDATE and DELETE)', async () => {
    const plain = await scratchTable('id int primary key, v text');
    const full = await scratchTable('id int primary key, v text', 'alter table $table replica identity full');
    const ann = await fixtures.agent(accountId, 'Ann Identity');
    const identityWatch = await watch(await clientFor(ann), [
      { event: '*', schema: 'public', table: plain },
      { event: '*', schema: 'public', table: full },
    ]);
    for (const table of [plain, full]) {
      await fixtures.db.query(`insert into public.${table} values (1, 'before')`);
      await fixtures.db.query(`update public.${table} set v = 'after' where id = 1`);
      await fixtures.db.query(`delete from public.${table} where id = 1`);
    }
    await waitFor('three changes on each table', () => identityWatch.changes.every((c) => c.length >= 3));
    const [plainChanges, fullChanges] = identityWatch.changes as [ChangePayload[], ChangePayload[]];
    assert.deepEqual(plainChanges.map((c) => c.eventType), ['INSERT', 'UPDATE', 'DELETE']);
    assert.deepEqual(plainChanges[1]!.old, { id: 1 });
    assert.deepEqual(plainChanges[1]!.new, { id: 1, v: 'after' });
    assert.deepEqual(plainChanges[2]!.old, { id: 1 });
    assert.deepEqual(fullChanges[1]!.old, { id: 1, v: 'before' });
    assert.deepEqual(fullChanges[2]!.old, { id: 1, v: 'after' }, 'FULL DELETE with RLS off: the whole row');
  });

  test('a column the role cannot select is absent; an unreadable key gives "Error 401: Unauthorized"', async () => {
    const secret = await scratchTable(
      'id int primary key, visible text, secret text',
      'revoke all on $table from anon, authenticated',
      'grant select (id, visible) on $table to authenticated',
    );
    const keyless = await scratchTable(
      'id int primary key, v text',
      'revoke all on $table from anon, authenticated',
      'grant select (v) on $table to authenticated',
    );
    const ann = await fixtures.agent(accountId, 'Ann Privileges');
    const privilegeWatch = await watch(await clientFor(ann), [
      { event: 'INSERT', schema: 'public', table: secret },
      { event: 'INSERT', schema: 'public', table: keyless },
    ]);
    await fixtures.db.query(`insert into public.${secret} values (1, 'shown', 'hidden')`);
    await fixtures.db.query(`insert into public.${keyless} values (1, 'v')`);
    await waitFor('both inserts', () => privilegeWatch.changes.every((c) => c.length >= 1));
    const [shown] = privilegeWatch.changes[0]!;
    assert.deepEqual(shown!.new, { id: 1, visible: 'shown' });
    assert.equal(shown!.errors, null);
    const [refused] = privilegeWatch.changes[1]!;
    assert.deepEqual(refused!.errors, ['Error 401: Unauthorized']);
    assert.deepEqual(refused!.new, {});
  });
});

describe('tokens and connections', () => {
  test('setAuth with a fresh token keeps the channel alive and delivering past the first token\'s expiry', async () => {
    const ann = await fixtures.agent(accountId, 'Ann Refresh');
    const shortLived = fixtures.token(ann, 3);
    const client = await clientFor(ann, () => shortLived);
    const refreshWatch = await watch(client, [{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${ann.id}` }]);
    await client.realtime.setAuth(fixtures.token(ann, 3600));
    await waitFor('the resubscription under the new token', () => refreshWatch.subscribedCount() >= 2);
    await new Promise((resolve) => setTimeout(resolve, 4000)); // past the first token's exp
    const id = await notificationFor(ann);
    await waitFor('the INSERT after the first token expired', () => refreshWatch.changes[0]!.length >= 1);
    assert.equal(refreshWatch.changes[0]![0]!.new.id, id);
    assert.ok(!refreshWatch.system.some((s) => s.status === 'error'), 'no error on the channel');
    assert.deepEqual(refreshWatch.statuses, ['SUBSCRIBED']);
  });

  test('when the token expires the server sends a system error, then closes the channel', async () => {
    const ann = await fixtures.agent(accountId, 'Ann Expiry');
    const shortLived = fixtures.token(ann, 2);
    const expiring = await watch(await clientFor(ann, () => shortLived), [{ event: '*', schema: 'public', table: 'notifications' }]);
    await waitFor('CLOSED', () => expiring.statuses.includes('CLOSED'), 8000);
    const error = expiring.system.find((s) => s.status === 'error');
    assert.ok(error, 'a system error came first');
    assert.match(error.message, /^Token has expired \d+ seconds ago$/);
    assert.equal(expiring.channel.state, 'closed');
  });

  test('a join with an expired token is refused with "Token has expired N seconds ago"', async () => {
    const ann = await fixtures.agent(accountId, 'Ann Expired');
    const expired = fixtures.token(ann, -30);
    const client = await clientFor(ann, () => expired);
    const refused = await watch(client, [notifications], { live: false });
    await waitFor('CHANNEL_ERROR', () => refused.statuses.some((s) => s.startsWith('CHANNEL_ERROR')));
    assert.match(refused.statuses.find((s) => s.startsWith('CHANNEL_ERROR'))!, /Token has expired (29|30|31) seconds ago/);
    await client.removeAllChannels();
  });

  test('a token whose role is not an API role (postgres) cannot join, so no check runs as a superuser', { skip: needsStandIn }, async () => {
    const ann = await fixtures.agent(accountId, 'Ann Superuser');
    const now = Math.floor(Date.now() / 1000);
    const superuser = signJwt({ sub: ann.id, role: 'postgres', exp: now + 600 }, target.jwtSecret);
    const client = await clientFor(ann, () => superuser);
    const refused = await watch(client, [notifications], { live: false });
    await waitFor('CHANNEL_ERROR', () => refused.statuses.some((s) => s.startsWith('CHANNEL_ERROR')));
    assert.match(refused.statuses.find((s) => s.startsWith('CHANNEL_ERROR'))!, /not an API role/);
    await client.removeAllChannels();
  });

  test('after the server drops every socket the client reconnects and receives what commits afterwards', { skip: needsStandIn }, async () => {
    const ann = await fixtures.agent(accountId, 'Ann Reconnect');
    const reconnecting = await watch(await clientFor(ann), [{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${ann.id}` }]);
    target.local!.dropRealtimeSockets();
    await waitFor('the rejoin to be live again', () => reconnecting.subscribedCount() >= 2, 15_000);
    const id = await notificationFor(ann);
    await waitFor('the INSERT after the reconnect', () => reconnecting.changes[0]!.length >= 1);
    assert.equal(reconnecting.changes[0]![0]!.new.id, id);
  });

  test('a broken replication connection is re-established: "Subscribed to PostgreSQL" again, then delivery', { skip: needsStandIn }, async () => {
    const ann = await fixtures.agent(accountId, 'Ann Replication');
    const resuming = await watch(await clientFor(ann), [{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${ann.id}` }]);
    const { rowCount } = await fixtures.db.query(
      `select pg_terminate_backend(pid) from pg_stat_replication where application_name = 'wacrm_realtime_replication'`,
    );
    assert.equal(rowCount, 1, "the stand-in's walsender was found and terminated");
    await waitFor('the stream to be back', () => resuming.subscribedCount() >= 2, 15_000);
    const id = await notificationFor(ann);
    await waitFor('the INSERT after the stream came back', () => resuming.changes[0]!.length >= 1);
    assert.equal(resuming.changes[0]![0]!.new.id, id);
    const { rows } = await fixtures.db.query(`select count(*)::int as n from pg_replication_slots where slot_name like 'wacrm_realtime_%'`);
    assert.equal(rows[0]!.n, 1, 'the old temporary slot went with its connection');
  });

  test('the handshake needs an apikey (401 "API key is missing") and a valid one', async () => {
    const url = `${target.url.replace(/^http/, 'ws')}/realtime/v1/websocket`;
    const handshake = (query: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = new WebSocket(`${url}${query}`);
        socket.on('unexpected-response', (_request, response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        socket.on('open', () => reject(new Error('the handshake was accepted')));
        socket.on('error', () => undefined);
      });
    const missing = await handshake('?vsn=2.0.0');
    assert.equal(missing.status, 401);
    assert.deepEqual(JSON.parse(missing.body), { error: 'API key is missing' });
    const bad = await handshake('?vsn=2.0.0&apikey=not.a.jwt');
    assert.equal(bad.status, 401);
  });

  test('vsn 1.0.0 (the default) speaks JSON objects: heartbeat, join with echoed ids, leave', async () => {
    const socket = new WebSocket(`${target.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${target.anonKey}`);
    const received: Row[] = [];
    socket.on('message', (data) => received.push(JSON.parse((data as Buffer).toString()) as Row));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const send = (message: Row) => socket.send(JSON.stringify(message));
    send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '1', join_ref: null });
    const binding = { event: 'INSERT', schema: 'public', table: 'notifications' };
    send({ topic: 'realtime:v1', event: 'phx_join', payload: { config: { postgres_changes: [binding] } }, ref: '2', join_ref: '2' });
    await waitFor('the join reply', () => received.some((m) => m.ref === '2'));
    send({ topic: 'realtime:v1', event: 'phx_leave', payload: {}, ref: '3', join_ref: '2' });
    await waitFor('the leave reply', () => received.some((m) => m.ref === '3'));
    socket.close();

    assert.deepEqual(received.find((m) => m.ref === '1'), {
      topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '1', join_ref: null,
    });
    const joined = received.find((m) => m.ref === '2') as { event: string; payload: { status: string; response: { postgres_changes: Row[] } } };
    assert.equal(joined.event, 'phx_reply');
    assert.equal(joined.payload.status, 'ok');
    const [echo] = joined.payload.response.postgres_changes;
    assert.deepEqual({ ...echo, id: undefined }, { ...binding, id: undefined });
    assert.equal(typeof echo!.id, 'number');
    assert.deepEqual((received.find((m) => m.ref === '3') as { payload: Row }).payload, { status: 'ok', response: {} });
  });
});
