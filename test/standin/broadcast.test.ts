// Broadcast from the database on private channels, as Supabase's Realtime serves it: the real
// supabase-js client (ws transport) against the stand-in, or against a real Supabase stack when
// the SUPABASE_* variables are set (see test/support/target.ts). The notifications topic and its
// policy come from supabase/migrations/20261129180000_notifications_broadcast.sql; topics of the
// form `conformance-<run>:…` get policies of this file's own, dropped at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { signJwt } from '../../supabase/local/jwt.js';
import { Fixtures, type Agent } from '../support/fixtures.js';
import { needsStandIn, startTarget, type Target } from '../support/target.js';

type Vsn = '1.0.0' | '2.0.0';
type Row = Record<string, unknown>;

/** What an `on('broadcast', {event: '*'})` callback receives. */
interface Received {
  type: string;
  event: string;
  payload: Row & { record?: Row | null; old_record?: Row | null };
  meta?: { id?: string; replayed?: boolean };
}

interface SystemMessage {
  extension: string;
  status: string;
  message: string;
  channel?: string;
}

interface Listener {
  channel: RealtimeChannel;
  received: Received[];
  system: SystemMessage[];
  statuses: string[];
}

let target: Target;
let fixtures: Fixtures;
let accountId: string;
let contactId: string;
/** This run's scratch topics start with `${scratch}:`. */
const scratch = `conformance-${randomBytes(4).toString('hex')}`;
const policyPrefix = scratch.replace('-', '_');
const clients: SupabaseClient[] = [];

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A supabase-js client sending `token()` to Realtime (and REST), settled before anything joins. */
async function clientFor(agent: Agent | null, { vsn = '2.0.0', token }: { vsn?: Vsn; token?: () => string } = {}) {
  const tokenOf = token ?? (agent ? () => fixtures.token(agent) : undefined);
  const client = tokenOf
    ? createClient(target.url, target.anonKey, {
        accessToken: async () => tokenOf(),
        realtime: { transport: WebSocket as never, vsn },
      })
    : createClient(target.url, target.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
        realtime: { transport: WebSocket as never, vsn },
      });
  clients.push(client);
  await client.realtime.setAuth();
  return client;
}

/**
 * Joins `topic` (private unless told otherwise) with `replication_ready`, so that on any stack the
 * join counts only once the database's messages stream: SUBSCRIBED and "Replication connection
 * established". With `expect: 'error'` it waits for CHANNEL_ERROR instead.
 */
async function listen(
  client: SupabaseClient,
  topic: string,
  {
    isPrivate = true,
    broadcast = {},
    presence,
    expect = 'subscribed',
  }: { isPrivate?: boolean; broadcast?: Row; presence?: Row; expect?: 'subscribed' | 'error' } = {},
): Promise<Listener> {
  const listener: Listener = {
    channel: client.channel(topic, {
      config: { private: isPrivate, broadcast: { replication_ready: true, ...broadcast }, ...(presence ? { presence } : {}) },
    }),
    received: [],
    system: [],
    statuses: [],
  };
  listener.channel
    .on('broadcast', { event: '*' }, (message) => listener.received.push(message as Received))
    .on('system', {}, (message) => listener.system.push(message as SystemMessage))
    .subscribe((status, error) => listener.statuses.push(error ? `${status}: ${error.message}` : status));
  if (expect === 'error') {
    await waitFor(`CHANNEL_ERROR on ${topic}`, () => listener.statuses.some((s) => s.startsWith('CHANNEL_ERROR')));
    await client.removeChannel(listener.channel);
  } else {
    await waitFor(`SUBSCRIBED on ${topic}`, () => listener.statuses.includes('SUBSCRIBED'));
    await waitFor(`"Replication connection established" on ${topic}`, () =>
      listener.system.some((s) => s.message === 'Replication connection established'),
    );
  }
  return listener;
}

const topicOf = (agent: Agent) => `user:${agent.id}:notifications`;
const events = (listener: Listener) => listener.received.map((message) => message.event);

/** Sends a message from the database, as a trigger would (realtime.send, as the database owner). */
async function send(topic: string, event: string, payload: Row = {}, isPrivate = true): Promise<void> {
  await fixtures.db.query('select realtime.send($1::jsonb, $2, $3, $4)', [JSON.stringify(payload), event, topic, isPrivate]);
}

/** An assignment: the notification trigger writes the row, whose broadcast goes to the agent's topic. */
async function notify(agent: Agent): Promise<string> {
  const conversation = await fixtures.conversation(accountId, contactId);
  await fixtures.assign(conversation, agent.id);
  const { rows } = await fixtures.db.query<{ id: string }>('select id from public.notifications where conversation_id = $1', [conversation]);
  return rows[0]!.id;
}

async function insertNotification(agent: Agent, title: string): Promise<void> {
  await fixtures.db.query('insert into public.notifications (account_id, user_id, title) values ($1, $2, $3)', [
    accountId,
    agent.id,
    title,
  ]);
}

/** The database's clock in epoch ms, one past now: messages from here on are "since" it. */
async function databaseNowMs(): Promise<number> {
  const { rows } = await fixtures.db.query<{ ms: string }>('select floor(extract(epoch from clock_timestamp()) * 1000)::bigint as ms');
  return Number(rows[0]!.ms) + 1;
}

async function restBroadcast(token: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${target.url}/realtime/v1/api/broadcast`, {
    method: 'POST',
    headers: { apikey: target.anonKey, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** A raw socket in either protocol version: what the server actually puts on the wire. */
async function rawSocket(vsn: Vsn) {
  const socket = new WebSocket(`${target.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${target.anonKey}&vsn=${vsn}`);
  const frames: { binary: boolean; data: Buffer }[] = [];
  socket.on('message', (data, binary) => frames.push({ binary, data: data as Buffer }));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const json = () => frames.filter((f) => !f.binary).map((f) => JSON.parse(f.data.toString('utf8')) as unknown);
  const send = (joinRef: string | null, ref: string, topic: string, event: string, payload: Row) =>
    socket.send(JSON.stringify(vsn === '2.0.0' ? [joinRef, ref, topic, event, payload] : { topic, event, payload, ref, join_ref: joinRef }));
  return { socket, frames, json, send };
}

before(async () => {
  target = await startTarget();
  fixtures = new Fixtures(target);
  accountId = await fixtures.account('Broadcast account');
  contactId = await fixtures.contact(accountId, 'Ada');
  // Scratch topics: any signed-in user reads `<scratch>:…`, writes `<scratch>:write:…`, and reads
  // its presence only with a `presence: "yes"` claim.
  await fixtures.db.query(`
    create policy ${policyPrefix}_read on realtime.messages for select to authenticated
      using (realtime.messages.extension = 'broadcast' and (select realtime.topic()) like '${scratch}:%');
    create policy ${policyPrefix}_write on realtime.messages for insert to authenticated
      with check (realtime.messages.extension = 'broadcast' and (select realtime.topic()) like '${scratch}:write:%');
    create policy ${policyPrefix}_presence on realtime.messages for select to authenticated
      using (realtime.messages.extension = 'presence' and (select realtime.topic()) like '${scratch}:%'
             and (select auth.jwt() ->> 'presence') = 'yes');
    create policy ${policyPrefix}_presence_write on realtime.messages for insert to authenticated
      with check (realtime.messages.extension = 'presence' and (select realtime.topic()) like '${scratch}:presence-write:%');`);
});

after(async () => {
  await Promise.all(clients.map((client) => client.removeAllChannels().catch(() => undefined)));
  for (const name of ['read', 'write', 'presence', 'presence_write']) {
    await fixtures.db.query(`drop policy if exists ${policyPrefix}_${name} on realtime.messages`).catch(() => undefined);
  }
  await fixtures.end();
  await target.stop();
});

describe('a user\'s private notifications topic', () => {
  for (const vsn of ['1.0.0', '2.0.0'] as const) {
    test(`vsn ${vsn}: INSERT, UPDATE and DELETE of their notification arrive as broadcasts with the row, meta.id = payload.id`, async () => {
      const ann = await fixtures.agent(accountId, `Ann ${vsn}`);
      const listener = await listen(await clientFor(ann, { vsn }), topicOf(ann));
      const id = await notify(ann);
      await fixtures.db.query('update public.notifications set read_at = now() where id = $1', [id]);
      await fixtures.db.query('delete from public.notifications where id = $1', [id]);
      await waitFor('INSERT, UPDATE, DELETE', () => listener.received.length >= 3);

      assert.deepEqual(events(listener), ['INSERT', 'UPDATE', 'DELETE']);
      const [inserted, updated, deleted] = listener.received as [Received, Received, Received];
      for (const message of listener.received) {
        assert.equal(message.type, 'broadcast');
        assert.equal(message.payload.table, 'notifications');
        assert.equal(message.payload.schema, 'public');
        assert.equal(message.payload.operation, message.event);
        assert.match(message.meta?.id ?? '', /^[0-9a-f-]{36}$/);
        assert.equal(message.payload.id, message.meta!.id, 'realtime.send put the message id in the payload');
        assert.equal(message.meta!.replayed, undefined);
      }
      assert.equal(new Set(listener.received.map((m) => m.meta!.id)).size, 3);
      assert.equal(inserted.payload.record!.id, id);
      assert.equal(inserted.payload.record!.user_id, ann.id);
      assert.equal(inserted.payload.record!.title, 'New conversation assigned');
      assert.equal(inserted.payload.old_record, null);
      assert.equal(updated.payload.old_record!.read_at, null);
      assert.equal(typeof updated.payload.record!.read_at, 'string');
      assert.equal(deleted.payload.record, null);
      assert.equal(deleted.payload.old_record!.id, id);
      assert.deepEqual(listener.statuses, ['SUBSCRIBED']);
    });
  }

  test("another user's topic is refused with Realtime's reason, and so is anon", async () => {
    const ann = await fixtures.agent(accountId, 'Ann Nosy');
    const bob = await fixtures.agent(accountId, 'Bob Private');
    const refused = await listen(await clientFor(ann), topicOf(bob), { expect: 'error' });
    const reason = `Unauthorized: You do not have permissions to read from this Channel topic: ${topicOf(bob)}`;
    assert.equal(refused.statuses[0], `CHANNEL_ERROR: ${reason}`);

    const anonymous = await listen(await clientFor(null), topicOf(bob), { expect: 'error' });
    assert.equal(anonymous.statuses[0], `CHANNEL_ERROR: ${reason}`);
  });

  test('commit order: 40 notifications in their own transactions, then 5 in one, arrive in that order, each once', async () => {
    const cid = await fixtures.agent(accountId, 'Cid Order');
    const listener = await listen(await clientFor(cid), topicOf(cid));
    const titles = Array.from({ length: 45 }, (_, i) => `ordered ${String(i).padStart(2, '0')}`);
    for (const title of titles.slice(0, 40)) await insertNotification(cid, title);
    const client = await fixtures.db.connect();
    try {
      await client.query('begin');
      for (const title of titles.slice(40)) {
        await client.query('insert into public.notifications (account_id, user_id, title) values ($1, $2, $3)', [accountId, cid.id, title]);
      }
      await client.query('commit');
    } finally {
      client.release();
    }
    await waitFor('45 inserts', () => listener.received.length >= 45, 20_000);
    assert.deepEqual(listener.received.map((m) => m.payload.record!.title), titles);
  });

  test('a rolled-back write never broadcasts', async () => {
    const dee = await fixtures.agent(accountId, 'Dee Rollback');
    const listener = await listen(await clientFor(dee), topicOf(dee));
    const client = await fixtures.db.connect();
    try {
      await client.query('begin');
      await client.query('insert into public.notifications (account_id, user_id, title) values ($1, $2, $3)', [accountId, dee.id, 'rolled back']);
      await client.query('rollback');
    } finally {
      client.release();
    }
    await insertNotification(dee, 'committed');
    await waitFor('the committed one', () => listener.received.length >= 1);
    await sleep(100);
    assert.deepEqual(listener.received.map((m) => m.payload.record!.title), ['committed']);
  });

  test('private and public are separate namespaces: neither channel sees what was sent to the other', async () => {
    const eve = await fixtures.agent(accountId, 'Eve Namespaces');
    const client = await clientFor(eve);
    const privateListener = await listen(client, topicOf(eve));
    // The same topic, joined as a public channel on another client (one socket joins a topic once).
    const publicListener = await listen(await clientFor(eve), topicOf(eve), { isPrivate: false });
    await notify(eve);
    await send(topicOf(eve), 'public-marker', { n: 1 }, false);
    await waitFor('the public marker', () => publicListener.received.length >= 1);
    await waitFor('the notification', () => privateListener.received.length >= 1);
    await send(topicOf(eve), 'private-marker', { n: 2 }, true);
    await waitFor('the private marker', () => privateListener.received.length >= 2);
    assert.deepEqual(events(publicListener), ['public-marker']);
    assert.deepEqual(events(privateListener), ['INSERT', 'private-marker']);
  });

  test('config.broadcast.replication_ready: a system message once the database stream is ready', async () => {
    const fay = await fixtures.agent(accountId, 'Fay Ready');
    const listener = await listen(await clientFor(fay), topicOf(fay));
    assert.deepEqual(listener.system.find((s) => s.message === 'Replication connection established'), {
      extension: 'system',
      status: 'ok',
      message: 'Replication connection established',
      channel: topicOf(fay),
    });
  });
});

describe('client pushes to private channels', () => {
  test('without an INSERT policy a push is dropped silently: no ack, nobody receives it', async () => {
    const gus = await fixtures.agent(accountId, 'Gus Push');
    const sender = await listen(await clientFor(gus), topicOf(gus), { broadcast: { ack: true, self: true } });
    const other = await listen(await clientFor(gus), topicOf(gus));
    const result = await sender.channel.send({ type: 'broadcast', event: 'forged', payload: { title: 'not from the database' } }, { timeout: 1500 });
    assert.equal(result, 'timed out', 'an RLS-denied push gets no reply');
    await send(topicOf(gus), 'marker');
    await waitFor('the marker', () => other.received.length >= 1 && sender.received.length >= 1);
    assert.deepEqual(events(other), ['marker']);
    assert.deepEqual(events(sender), ['marker']);
  });

  for (const vsn of ['1.0.0', '2.0.0'] as const) {
    test(`vsn ${vsn}: with an INSERT policy a push is acked and relayed to the topic (and to the sender with self)`, async () => {
      const hal = await fixtures.agent(accountId, `Hal Push ${vsn}`);
      const topic = `${scratch}:write:${randomUUID()}`;
      const sender = await listen(await clientFor(hal, { vsn }), topic, { broadcast: { ack: true, self: true } });
      const other = await listen(await clientFor(hal, { vsn }), topic);
      const result = await sender.channel.send({ type: 'broadcast', event: 'hello', payload: { n: 1 } });
      assert.equal(result, 'ok');
      await waitFor('the relayed push', () => other.received.length >= 1 && sender.received.length >= 1);
      assert.deepEqual(other.received[0], { type: 'broadcast', event: 'hello', payload: { n: 1 } });
      assert.deepEqual(sender.received[0], { type: 'broadcast', event: 'hello', payload: { n: 1 } });
    });
  }

  test('a topic that can be read but not written: the push is dropped, the channel stays joined', async () => {
    const ida = await fixtures.agent(accountId, 'Ida Read Only');
    const topic = `${scratch}:read-only:${randomUUID()}`;
    const sender = await listen(await clientFor(ida), topic, { broadcast: { ack: true } });
    const other = await listen(await clientFor(ida), topic);
    assert.equal(await sender.channel.send({ type: 'broadcast', event: 'x', payload: {} }, { timeout: 1000 }), 'timed out');
    await send(topic, 'marker');
    await waitFor('the marker', () => other.received.length >= 1);
    assert.deepEqual(events(other), ['marker']);
    assert.equal(sender.channel.state, 'joined');
  });
});

describe('presence on private channels', () => {
  test('tracking needs an INSERT policy for presence (checked on the first track); readers get the state', async () => {
    const rae = await fixtures.agent(accountId, 'Rae Presence');
    const now = Math.floor(Date.now() / 1000);
    const withPresence = signJwt(
      { sub: rae.id, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 3600, presence: 'yes' },
      target.jwtSecret,
    );
    const writable = `${scratch}:presence-write:${randomUUID()}`;
    const tracker = await listen(await clientFor(rae, { token: () => withPresence }), writable, { presence: { enabled: true, key: 'tracker' } });
    const reader = await listen(await clientFor(rae, { token: () => withPresence }), writable, { presence: { enabled: true, key: 'reader' } });
    assert.equal(await tracker.channel.track({ online: true }), 'ok');
    await waitFor('the reader to see the tracker', () => 'tracker' in reader.channel.presenceState());
    assert.equal((reader.channel.presenceState().tracker![0] as { online?: boolean }).online, true);

    const readOnly = `${scratch}:presence:${randomUUID()}`;
    const refused = await listen(await clientFor(rae, { token: () => withPresence }), readOnly, { presence: { enabled: true } });
    assert.equal(await refused.channel.track({ online: true }), 'error');
    assert.equal(refused.channel.state, 'joined');
  });
});

describe('replay', () => {
  test('since and limit: the newest `limit` since then, oldest first, meta.replayed; then live, never twice', async () => {
    const jan = await fixtures.agent(accountId, 'Jan Replay');
    await insertNotification(jan, 'before 1');
    await insertNotification(jan, 'before 2');
    const since = await databaseNowMs();
    await sleep(20);
    for (const n of [1, 2, 3, 4]) await insertNotification(jan, `after ${n}`);

    const limited = await listen(await clientFor(jan), topicOf(jan), { broadcast: { replay: { since, limit: 3 } } });
    await waitFor('three replayed', () => limited.received.length >= 3);
    assert.deepEqual(limited.received.map((m) => m.payload.record!.title), ['after 2', 'after 3', 'after 4']);
    assert.ok(limited.received.every((m) => m.meta?.replayed === true && m.meta.id === m.payload.id));

    const everything = await listen(await clientFor(jan), topicOf(jan), { broadcast: { replay: { since } } });
    await waitFor('four replayed', () => everything.received.length >= 4);
    assert.deepEqual(everything.received.map((m) => m.payload.record!.title), ['after 1', 'after 2', 'after 3', 'after 4']);

    // A live message carrying a replayed id (here sent again over REST) is not delivered twice to
    // the channel that replayed it; a channel that did not replay gets it.
    const plain = await listen(await clientFor(jan), topicOf(jan));
    const replayedId = limited.received[2]!.meta!.id!;
    const again = await restBroadcast(target.serviceRoleKey, {
      messages: [
        { topic: topicOf(jan), event: 'again', payload: { n: 1 }, private: true, id: replayedId },
        { topic: topicOf(jan), event: 'fresh', payload: { n: 2 }, private: true, id: randomUUID() },
      ],
    });
    assert.equal(again.status, 202);
    await insertNotification(jan, 'live');
    await waitFor('the live insert', () => limited.received.some((m) => m.event === 'INSERT' && !m.meta?.replayed));
    await waitFor('the live insert on the plain channel', () => plain.received.some((m) => m.event === 'INSERT'));
    assert.deepEqual(events(limited).slice(3), ['fresh', 'INSERT']);
    assert.deepEqual(events(plain), ['again', 'fresh', 'INSERT']);
    assert.equal(limited.received[4]!.meta?.replayed, undefined);
    assert.equal(limited.received[4]!.payload.record!.title, 'live');
  });

  test('replay without read permission is refused as Unauthorized', async () => {
    const kim = await fixtures.agent(accountId, 'Kim Replay');
    const lou = await fixtures.agent(accountId, 'Lou Replay');
    const refused = await listen(await clientFor(kim), topicOf(lou), { broadcast: { replay: { since: 0 } }, expect: 'error' });
    assert.equal(
      refused.statuses[0],
      `CHANNEL_ERROR: Unauthorized: You do not have permissions to read from this Channel topic: ${topicOf(lou)}`,
    );
  });

  test('replay on a public channel: realtime-js refuses to build it, the server answers UnableToReplayMessages', async () => {
    const client = await clientFor(null);
    assert.throws(
      () => client.channel('public-replay', { config: { broadcast: { replay: { since: 0 } } } }),
      /tried to use replay on public channel 'realtime:public-replay'\. It must be a private channel\./,
    );
    const raw = await rawSocket('2.0.0');
    raw.send('1', '1', 'realtime:public-replay', 'phx_join', { config: { broadcast: { replay: { since: 0, limit: 5 } }, private: false } });
    await waitFor('the join reply', () => raw.json().length >= 1);
    raw.socket.close();
    assert.deepEqual(raw.json()[0], [
      '1',
      '1',
      'realtime:public-replay',
      'phx_reply',
      { status: 'error', response: { reason: 'UnableToReplayMessages: Replay is not allowed for public channels' } },
    ]);
  });

  test('replay params that are not integers are refused', async () => {
    const max = await fixtures.agent(accountId, 'Max Replay');
    const refused = await listen(await clientFor(max), topicOf(max), { broadcast: { replay: { since: 'yesterday' } }, expect: 'error' });
    assert.equal(refused.statuses[0], 'CHANNEL_ERROR: UnableToReplayMessages: Replay params are not valid');
  });
});

describe('tokens on private channels', () => {
  test('a fresh token of the same user keeps the channel, and it still delivers', async () => {
    const ned = await fixtures.agent(accountId, 'Ned Refresh');
    const client = await clientFor(ned);
    const listener = await listen(client, topicOf(ned));
    await client.realtime.setAuth(fixtures.token(ned, 7200));
    await sleep(300);
    await notify(ned);
    await waitFor('the INSERT after the refresh', () => listener.received.length >= 1);
    assert.deepEqual(listener.statuses, ['SUBSCRIBED']);
    assert.ok(!listener.system.some((s) => s.status === 'error'));
  });

  test("a token that can no longer read the topic (another user's): system error, then the channel closes", async () => {
    const ola = await fixtures.agent(accountId, 'Ola Revoked');
    const pia = await fixtures.agent(accountId, 'Pia Other');
    const client = await clientFor(ola);
    const listener = await listen(client, topicOf(ola));
    await client.realtime.setAuth(fixtures.token(pia));
    await waitFor('CLOSED', () => listener.statuses.includes('CLOSED'));
    assert.deepEqual(listener.system.find((s) => s.status === 'error'), {
      extension: 'system',
      status: 'error',
      message: `You do not have permissions to read from this Channel topic: ${topicOf(ola)}`,
      channel: topicOf(ola),
    });
  });

  test('a token that loses one of two reads (presence): "You no longer have permission…", then close', async () => {
    const quin = await fixtures.agent(accountId, 'Quin Presence');
    const topic = `${scratch}:presence:${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: quin.id, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 3600 };
    const withPresence = signJwt({ ...claims, presence: 'yes' }, target.jwtSecret);
    const client = await clientFor(quin, { token: () => withPresence });
    const listener = await listen(client, topic, { presence: { enabled: true, key: 'quin' } });
    await client.realtime.setAuth(signJwt({ ...claims, iat: now + 1 }, target.jwtSecret));
    await waitFor('CLOSED', () => listener.statuses.includes('CLOSED'));
    assert.equal(
      listener.system.find((s) => s.status === 'error')?.message,
      `You no longer have permission to read from this Channel topic: ${topic}`,
    );
  });

  test('when the token expires: system error "Token has expired N seconds ago", then the channel closes', async () => {
    const rob = await fixtures.agent(accountId, 'Rob Expiry');
    const shortLived = fixtures.token(rob, 3);
    const listener = await listen(await clientFor(rob, { token: () => shortLived }), topicOf(rob));
    await waitFor('CLOSED', () => listener.statuses.includes('CLOSED'), 10_000);
    const error = listener.system.find((s) => s.status === 'error');
    assert.equal(error?.extension, 'system');
    assert.match(error?.message ?? '', /^Token has expired \d+ seconds ago$/);
    assert.equal(listener.channel.state, 'closed');
  });

  test('a join with an expired token is refused with InvalidJWTToken', async () => {
    const sam = await fixtures.agent(accountId, 'Sam Expired');
    const expired = fixtures.token(sam, -30);
    const refused = await listen(await clientFor(sam, { token: () => expired }), topicOf(sam), { expect: 'error' });
    assert.match(refused.statuses[0]!, /^CHANNEL_ERROR: InvalidJWTToken: Token has expired (29|30|31) seconds ago$/);
  });
});

describe('REST broadcast', () => {
  test('POST /realtime/v1/api/broadcast: 202 and an empty body; public to public channels, private with the caller\'s INSERT policy', async () => {
    const tom = await fixtures.agent(accountId, 'Tom REST');
    const publicTopic = `${scratch}:public:${randomUUID()}`;
    const writable = `${scratch}:write:${randomUUID()}`;
    const client = await clientFor(tom);
    const publicListener = await listen(client, publicTopic, { isPrivate: false });
    const own = await listen(client, topicOf(tom));
    const scratchListener = await listen(client, writable);

    const asTom = await restBroadcast(fixtures.token(tom), {
      messages: [
        { topic: publicTopic, event: 'public', payload: { n: 1 } },
        { topic: topicOf(tom), event: 'denied', payload: { n: 2 }, private: true },
        { topic: writable, event: 'allowed', payload: { n: 3 }, private: true },
      ],
    });
    assert.deepEqual(asTom, { status: 202, text: '' });
    const id = randomUUID();
    const asService = await restBroadcast(target.serviceRoleKey, {
      messages: [{ topic: topicOf(tom), event: 'from-the-server', payload: { n: 4 }, private: true, id }],
    });
    assert.deepEqual(asService, { status: 202, text: '' });

    await waitFor('all three deliveries', () =>
      publicListener.received.length >= 1 && own.received.length >= 1 && scratchListener.received.length >= 1,
    );
    assert.deepEqual(publicListener.received, [{ type: 'broadcast', event: 'public', payload: { n: 1 } }]);
    assert.deepEqual(scratchListener.received, [{ type: 'broadcast', event: 'allowed', payload: { n: 3 } }]);
    assert.deepEqual(own.received, [{ type: 'broadcast', event: 'from-the-server', payload: { n: 4 }, meta: { id } }]);
  });

  test('the batch answers 422 with Ecto\'s errors and 401 for a bad token', async () => {
    const uma = await fixtures.agent(accountId, 'Uma REST');
    const token = fixtures.token(uma);
    assert.deepEqual(await restBroadcast(token, {}), { status: 422, text: JSON.stringify({ errors: { messages: ["can't be blank"] } }) });
    const invalid = await restBroadcast(token, {
      messages: [{ topic: 't', event: 'e', payload: {} }, { event: 'e', payload: 'not an object' }],
    });
    assert.equal(invalid.status, 422);
    assert.deepEqual(JSON.parse(invalid.text), { errors: { messages: [{}, { topic: ["can't be blank"], payload: ['is invalid'] }] } });
    const unauthorized = await restBroadcast('not-a-token', { messages: [{ topic: 't', event: 'e', payload: {} }] });
    assert.equal(unauthorized.status, 401);
    assert.deepEqual(JSON.parse(unauthorized.text), { message: 'Unauthorized' });
  });

  test("httpSend (POST /api/broadcast/:topic/events/:event): public, private with write, private without (403), binary", async () => {
    const val = await fixtures.agent(accountId, 'Val httpSend');
    const client = await clientFor(val);
    const publicTopic = `${scratch}:public:${randomUUID()}`;
    const writable = `${scratch}:write:${randomUUID()}`;
    const publicListener = await listen(client, publicTopic, { isPrivate: false });
    const privateListener = await listen(client, writable);

    const publicSender = client.channel(publicTopic);
    assert.deepEqual(await publicSender.httpSend('hello', { n: 1 }), { success: true });
    const privateSender = client.channel(writable, { config: { private: true } });
    assert.deepEqual(await privateSender.httpSend('secret', { n: 2 }), { success: true });
    const bytes = new Uint8Array([1, 2, 255]).buffer;
    assert.deepEqual(await privateSender.httpSend('bytes', bytes), { success: true });
    await assert.rejects(client.channel(topicOf(val), { config: { private: true } }).httpSend('forged', { n: 3 }), /^Error: Unauthorized$/);

    await waitFor('the deliveries', () => publicListener.received.length >= 1 && privateListener.received.length >= 2);
    assert.deepEqual(publicListener.received, [{ type: 'broadcast', event: 'hello', payload: { n: 1 } }]);
    assert.deepEqual(privateListener.received[0], { type: 'broadcast', event: 'secret', payload: { n: 2 } });
    const binary = privateListener.received[1]!;
    assert.equal(binary.event, 'bytes');
    assert.ok(binary.payload instanceof ArrayBuffer, 'a binary payload arrives as an ArrayBuffer on vsn 2.0.0');
    assert.deepEqual([...new Uint8Array(binary.payload as unknown as ArrayBuffer)], [1, 2, 255]);
  });
});

describe('the wire', () => {
  test('vsn 2.0.0: a row of realtime.messages arrives as a kind-4 binary USER_BROADCAST; a binary payload too', async () => {
    const wes = await fixtures.agent(accountId, 'Wes Wire');
    const raw = await rawSocket('2.0.0');
    const topic = `realtime:${topicOf(wes)}`;
    raw.send('1', '1', topic, 'phx_join', {
      config: { broadcast: { ack: false, self: false }, presence: { key: '', enabled: false }, postgres_changes: [], private: true },
      access_token: fixtures.token(wes),
    });
    await waitFor('the join reply', () => raw.json().length >= 1);
    assert.deepEqual(raw.json()[0], ['1', '1', topic, 'phx_reply', { status: 'ok', response: { postgres_changes: [] } }]);
    await send(topicOf(wes), 'json-event', { hello: 'world' });
    await fixtures.db.query(
      `insert into realtime.messages (topic, extension, event, private, binary_payload) values ($1, 'broadcast', 'bytes', true, '\\x0102ff')`,
      [topicOf(wes)],
    );
    await waitFor('two binary frames', () => raw.frames.filter((f) => f.binary).length >= 2);
    raw.socket.close();

    const decode = (data: Buffer) => {
      const [kind, topicLength, eventLength, metaLength, encoding] = data;
      let offset = 5;
      const take = (length: number) => data.subarray(offset, (offset += length));
      return {
        kind,
        encoding,
        topic: take(topicLength!).toString(),
        event: take(eventLength!).toString(),
        meta: JSON.parse(take(metaLength!).toString()) as { id: string },
        payload: data.subarray(offset),
      };
    };
    const [json, binary] = raw.frames.filter((f) => f.binary).map((f) => decode(f.data));
    assert.equal(json!.kind, 4);
    assert.equal(json!.encoding, 1);
    assert.equal(json!.topic, topic);
    assert.equal(json!.event, 'json-event');
    assert.deepEqual(Object.keys(json!.meta), ['id']);
    assert.deepEqual(JSON.parse(json!.payload.toString()), { hello: 'world', id: json!.meta.id });
    assert.equal(binary!.encoding, 0);
    assert.equal(binary!.event, 'bytes');
    assert.deepEqual([...binary!.payload], [1, 2, 255]);
  });

  test('vsn 1.0.0: the same row arrives as a JSON broadcast; a binary payload cannot, and is skipped', async () => {
    const xia = await fixtures.agent(accountId, 'Xia Wire');
    const raw = await rawSocket('1.0.0');
    const topic = `realtime:${topicOf(xia)}`;
    raw.send('1', '1', topic, 'phx_join', { config: { private: true }, access_token: fixtures.token(xia) });
    await waitFor('the join reply', () => raw.json().length >= 1);
    await fixtures.db.query(
      `insert into realtime.messages (topic, extension, event, private, binary_payload) values ($1, 'broadcast', 'bytes', true, '\\x01')`,
      [topicOf(xia)],
    );
    await send(topicOf(xia), 'json-event', { hello: 'world' });
    await waitFor('the JSON broadcast', () => raw.json().length >= 2);
    raw.socket.close();
    assert.ok(raw.frames.every((f) => !f.binary));
    const [, message] = raw.json() as [unknown, { payload: { meta: { id: string } } }];
    assert.deepEqual(message, {
      topic,
      event: 'broadcast',
      payload: { event: 'json-event', payload: { hello: 'world', id: message.payload.meta.id }, type: 'broadcast', meta: { id: message.payload.meta.id } },
      ref: null,
      join_ref: null,
    });
  });
});

describe('the stand-in\'s own controls', () => {
  test('rows committed while the replication stream is down are never broadcast; those after it is back are', { skip: needsStandIn }, async () => {
    const yan = await fixtures.agent(accountId, 'Yan Down');
    const listener = await listen(await clientFor(yan), topicOf(yan));
    await target.local!.suspendBroadcastReplication();
    await insertNotification(yan, 'while down');
    await target.local!.resumeBroadcastReplication();
    await insertNotification(yan, 'after');
    await waitFor('the one after', () => listener.received.length >= 1);
    await sleep(100);
    assert.deepEqual(listener.received.map((m) => m.payload.record!.title), ['after']);
    assert.deepEqual(listener.statuses, ['SUBSCRIBED'], 'the channel never noticed');
    // …but a channel that asked for replication_ready hears it again: its moment to catch up.
    const established = listener.system.filter((s) => s.message === 'Replication connection established');
    assert.equal(established.length, 2, 'at the join, and again once the stream was back');
  });

  test('partitions: yesterday through today + 3 at start; a missing one refuses private joins (MissingPartition); days past 72 h go', { skip: needsStandIn }, async () => {
    const partitions = async () =>
      (
        await fixtures.db.query<{ relname: string }>(
          `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'realtime.messages'::regclass order by 1`,
        )
      ).rows.map((row) => row.relname);
    const day = (offset: number) => {
      const date = new Date(Date.now() + offset * 86_400_000);
      return `messages_${date.toISOString().slice(0, 10).replaceAll('-', '_')}`;
    };
    assert.deepEqual(await partitions(), [-1, 0, 1, 2, 3].map(day));

    const zed = await fixtures.agent(accountId, 'Zed Partitions');
    await fixtures.db.query(`drop table realtime.${day(0)}`);
    await fixtures.db.query(`create table realtime.${day(-5)} partition of realtime.messages for values from ('${day(-5).slice(9).replaceAll('_', '-')}') to ('${day(-4).slice(9).replaceAll('_', '-')}')`);
    const refused = await listen(await clientFor(zed), topicOf(zed), { expect: 'error' });
    assert.equal(refused.statuses[0], 'CHANNEL_ERROR: MissingPartition: Realtime was unable to find the expected messages partition');

    await target.local!.restartApi();
    assert.deepEqual(await partitions(), [-1, 0, 1, 2, 3].map(day), 'today is back, the day past 72 h is gone');
    const listener = await listen(await clientFor(zed), topicOf(zed));
    await notify(zed);
    await waitFor('delivery again', () => listener.received.length >= 1);
  });

  test('the stream is its own replication connection, on a temporary slot named as Supabase names it', { skip: needsStandIn }, async () => {
    const { rows } = await fixtures.db.query<{ slot_name: string; temporary: boolean; plugin: string }>(
      `select s.slot_name, s.temporary, s.plugin from pg_replication_slots s
         join pg_stat_replication r on r.pid = s.active_pid
        where r.application_name = 'realtime_replication_connection'`,
    );
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.slot_name, /^supabase_realtime_messages_replication_slot_/);
    assert.equal(rows[0]!.temporary, true);
    assert.equal(rows[0]!.plugin, 'pgoutput');
  });
});
