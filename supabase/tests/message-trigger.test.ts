// notify_message_received: a customer's message notifies the conversation's assignee, and a burst
// folds into one unread row. Messages are written as the WhatsApp webhook writes them (service role,
// no auth.uid()); agents act through PostgREST's role and claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { rolledBack, tryAs, useTestDatabase, warningsDuring, World, type Actor } from './support.js';

const db = useTestDatabase();

const webhook: Actor = { role: 'service_role' };

interface Team {
  client: pg.PoolClient;
  world: World;
  account: string;
  alice: string;
  bob: string;
  contact: string;
  /** Assigned to Bob. */
  conversation: string;
}

async function withTeam(work: (team: Team) => Promise<void>): Promise<void> {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account('Acme');
    const alice = await world.agent(account, 'Alice Martin');
    const bob = await world.agent(account, 'Bob Chen');
    const contact = await world.contact(account, 'Maria Silva');
    const conversation = await world.conversation(account, contact, bob);
    // The assignment's own notification is not what these tests look at.
    await client.query('delete from public.notifications');
    await work({ client, world, account, alice, bob, contact, conversation });
  });
}

/** Inserts a message as `actor` (default: the webhook) and insists that it was stored. */
async function message(
  client: pg.ClientBase,
  conversation: string,
  fields: { text?: string | null; type?: string; sender?: string } = {},
  actor: Actor = webhook,
): Promise<string> {
  const result = await tryAs(
    client,
    actor,
    `insert into public.messages (conversation_id, sender_type, content_type, content_text)
     values ($1, $2, $3, $4) returning id`,
    [conversation, fields.sender ?? 'customer', fields.type ?? 'text', fields.text === undefined ? 'Hello' : fields.text],
  );
  assert.equal(result.error, undefined, `the message itself is stored: ${result.error?.message}`);
  return result.rows[0]!.id as string;
}

const messageRows = async (client: pg.ClientBase, user?: string) =>
  (
    await client.query(
      `select * from public.notifications where type = 'message_received' and ($1::uuid is null or user_id = $1)
       order by created_at, ctid`, // one transaction has one now(): ctid keeps the order of writing
      [user ?? null],
    )
  ).rows;

test('a customer’s message notifies the assignee: the contact, the text, and data to word it', async () => {
  await withTeam(async ({ client, account, bob, contact, conversation }) => {
    await message(client, conversation, { text: 'Olá, meu pedido ainda não chegou' });
    const [row, ...rest] = await messageRows(client);
    assert.equal(rest.length, 0);
    assert.equal(row.user_id, bob);
    assert.equal(row.account_id, account);
    assert.equal(row.conversation_id, conversation);
    assert.equal(row.contact_id, contact);
    assert.equal(row.actor_user_id, null);
    assert.equal(row.title, 'New message from Maria Silva');
    assert.equal(row.body, 'Olá, meu pedido ainda não chegou');
    assert.deepEqual(row.data, {
      contact_name: 'Maria Silva',
      excerpt: 'Olá, meu pedido ainda não chegou',
      content_type: 'text',
      message_count: 1,
    });
    assert.equal(row.read_at, null);
    assert.equal(row.seen_at, null);
    assert.equal(row.archived_at, null);
  });
});

test('agents’ and bots’ messages, and messages on unassigned conversations, notify nobody', async () => {
  await withTeam(async ({ client, world, account, alice, conversation }) => {
    await message(client, conversation, { sender: 'agent' }, { role: 'authenticated', sub: alice });
    await message(client, conversation, { sender: 'bot' });
    const unassigned = await world.conversation(account, await world.contact(account, 'João'));
    await message(client, unassigned);
    assert.deepEqual(await messageRows(client), []);
  });
});

test('an assignee outside the conversation’s account, or not a user at all, gets nothing; the message is stored', async () => {
  await withTeam(async ({ client, world, account }) => {
    const globex = await world.account('Globex');
    const outsider = await world.agent(globex, 'Dave Okafor');
    const stranger = await world.userWithoutProfile();
    for (const assignee of [outsider, stranger, '00000000-0000-4000-8000-00000000dead']) {
      const conversation = await world.conversation(account, await world.contact(account, 'Lucía'), null);
      await client.query('update public.conversations set assigned_agent_id = $2 where id = $1', [conversation, assignee]);
      await message(client, conversation);
    }
    assert.equal((await client.query('select count(*)::int as n from public.messages')).rows[0].n, 3);
    assert.equal((await client.query('select count(*)::int as n from public.notifications')).rows[0].n, 0);
  });
});

test('the contact is its name, else its phone, else "a contact"; blank counts as absent', async () => {
  await withTeam(async ({ client, world, account, bob }) => {
    const byPhone = await world.conversation(account, await world.contact(account, '   ', '+1 415 555 0111'), bob);
    const nothing = await world.conversation(account, await world.contact(account, null, ' '), bob);
    await message(client, byPhone);
    await message(client, nothing);
    const rows = new Map((await messageRows(client)).map((row) => [row.conversation_id, row]));
    assert.equal(rows.get(byPhone).title, 'New message from +1 415 555 0111');
    assert.equal(rows.get(byPhone).data.contact_name, '+1 415 555 0111');
    assert.equal(rows.get(nothing).title, 'New message from a contact');
    assert.equal(rows.get(nothing).data.contact_name, null);
  });
});

test('the excerpt: one line, trimmed, the first 140 characters, "…" when cut', async () => {
  await withTeam(async ({ client, world, account, bob }) => {
    const cases: [string, string][] = [
      ['  Hello\n\n  there\t friend  ', 'Hello there friend'],
      ['x'.repeat(140), 'x'.repeat(140)],
      ['y'.repeat(141), `${'y'.repeat(140)}…`],
      [`${'word '.repeat(27)}and more text after the cut`, `${'word '.repeat(27)}and m…`],
      // A cut right after a space leaves no space before the ellipsis.
      [`${'word '.repeat(28)}more`, `${'word '.repeat(28).trimEnd()}…`],
      ['é'.repeat(200), `${'é'.repeat(140)}…`],
    ];
    for (const [text, excerpt] of cases) {
      const conversation = await world.conversation(account, await world.contact(account, 'Cut'), bob);
      await message(client, conversation, { text });
      const [row] = (await messageRows(client)).filter((candidate) => candidate.conversation_id === conversation);
      assert.equal(row.body, excerpt, JSON.stringify(text));
      assert.equal(row.data.excerpt, excerpt);
      assert.ok([...row.body].length <= 141);
    }
  });
});

test('media without text is named by its kind; a caption is the excerpt', async () => {
  await withTeam(async ({ client, world, account, bob }) => {
    // Wacrm's CHECK allows Wacrm's kinds; others (a sticker, anything newer) must still read well.
    await client.query('alter table public.messages drop constraint messages_content_type_check');
    const cases: [string, string | null, string][] = [
      ['image', null, 'Sent an image'],
      ['document', '', 'Sent a document'],
      ['audio', null, 'Sent an audio message'],
      ['video', '  ', 'Sent a video'],
      ['location', null, 'Sent a location'],
      ['sticker', null, 'Sent a sticker'],
      ['template', null, 'Sent a message'],
      ['interactive', null, 'Sent a message'],
      ['reaction', null, 'Sent a message'],
      ['text', '   ', 'Sent a message'],
      ['image', 'Look at this crack', 'Look at this crack'],
    ];
    for (const [type, text, body] of cases) {
      const conversation = await world.conversation(account, await world.contact(account, 'Media'), bob);
      await message(client, conversation, { type, text });
      const [row] = (await messageRows(client)).filter((candidate) => candidate.conversation_id === conversation);
      assert.equal(row.body, body, `${type} ${JSON.stringify(text)}`);
      assert.deepEqual(
        { excerpt: row.data.excerpt, content_type: row.data.content_type },
        { excerpt: text?.trim() ? text : null, content_type: type },
      );
    }
  });
});

test('a burst folds into the unread row: latest excerpt, the count, back to the top, unseen again', async () => {
  await withTeam(async ({ client, world, account, alice, bob, conversation }) => {
    await message(client, conversation, { text: 'First' });
    const [first] = await messageRows(client);
    // Make it an hour old and seen, with a newer notification of another kind above it.
    await client.query(
      `update public.notifications set created_at = now() - interval '1 hour', seen_at = now() - interval '50 minutes' where id = $1`,
      [first.id],
    );
    await world.notification(account, bob, { createdAt: new Date(Date.now() - 30 * 60_000).toISOString() });
    await message(client, conversation, { text: 'Second' });
    await message(client, conversation, { type: 'image', text: null });

    const rows = await messageRows(client);
    assert.equal(rows.length, 1, 'still one row');
    const [row] = rows;
    assert.equal(row.id, first.id, 'the same row, updated');
    assert.equal(row.body, 'Sent an image');
    assert.deepEqual(row.data, { contact_name: 'Maria Silva', excerpt: null, content_type: 'image', message_count: 3 });
    assert.equal(row.seen_at, null, 'new content is unseen again');
    assert.equal(row.read_at, null);
    const { rows: order } = await tryAs(
      client,
      { role: 'authenticated', sub: bob },
      'select id, created_at = now() as now from public.notifications order by created_at desc, id desc',
    );
    assert.deepEqual(order[0], { id: first.id, now: true }, 'first in the newest-first list, at the latest message’s time');
    assert.equal((await world.notificationsOf(alice)).length, 0);
  });
});

test('once read, or archived, the next message starts a new row; the old one stays as it was', async () => {
  await withTeam(async ({ client, bob, conversation }) => {
    const asBob: Actor = { role: 'authenticated', sub: bob };
    await message(client, conversation, { text: 'One' });
    await message(client, conversation, { text: 'Two' });
    const [folded] = await messageRows(client);
    assert.equal((await tryAs(client, asBob, 'select public.mark_notifications_read($1) as n', [[folded.id]])).rows[0]!.n, 1);

    await message(client, conversation, { text: 'Three' });
    let rows = await messageRows(client);
    assert.equal(rows.length, 2);
    const old = rows.find((row) => row.id === folded.id);
    assert.deepEqual([old.body, old.data.message_count], ['Two', 2], 'the read row is untouched');
    const fresh = rows.find((row) => row.id !== folded.id);
    assert.deepEqual([fresh.body, fresh.data.message_count, fresh.read_at], ['Three', 1, null]);

    assert.equal((await tryAs(client, asBob, 'select public.archive_notifications($1) as n', [[fresh.id]])).rows[0]!.n, 1);
    await message(client, conversation, { text: 'Four' });
    rows = await messageRows(client);
    assert.equal(rows.length, 3, 'an archived unread row is not folded into either');
    assert.equal(rows.find((row) => row.id === fresh.id).data.message_count, 1);
  });
});

test('one row per conversation and recipient: another conversation, or a new assignee, gets its own', async () => {
  await withTeam(async ({ client, world, account, alice, bob, conversation }) => {
    const other = await world.conversation(account, await world.contact(account, 'Tom Becker'), bob);
    await message(client, conversation);
    await message(client, other);
    await message(client, conversation);
    assert.deepEqual(
      (await messageRows(client, bob)).map((row) => [row.conversation_id, row.data.message_count]).sort(),
      [[conversation, 2], [other, 1]].sort(),
    );
    await client.query('update public.conversations set assigned_agent_id = $2 where id = $1', [conversation, alice]);
    await message(client, conversation, { text: 'Anyone?' });
    const [forAlice] = await messageRows(client, alice);
    assert.deepEqual([forAlice.body, forAlice.data.message_count], ['Anyone?', 1]);
    assert.equal((await messageRows(client, bob)).find((row) => row.conversation_id === conversation).data.message_count, 2);
  });
});

test('a recipient who muted message_received gets nothing; other types and other people are unaffected', async () => {
  await withTeam(async ({ client, world, account, alice, bob, conversation }) => {
    await client.query(
      `insert into public.notification_preferences (user_id, type, in_app) values ($1, 'message_received', false),
         ($2, 'message_received', true), ($2, 'conversation_assigned', false)`,
      [bob, alice],
    );
    await message(client, conversation);
    assert.deepEqual(await messageRows(client), []);
    const alices = await world.conversation(account, await world.contact(account, 'Priya'), alice);
    await message(client, alices);
    assert.equal((await messageRows(client, alice)).length, 1, 'in_app = true is the same as no row');

    await client.query(`update public.notification_preferences set in_app = true where user_id = $1`, [bob]);
    await message(client, conversation);
    assert.equal((await messageRows(client, bob)).length, 1, 'turned back on');
  });
});

test('a coalescing update is broadcast as an UPDATE carrying the previous row', async () => {
  await withTeam(async ({ client, bob, conversation }) => {
    await client.query('select realtime.wacrm_ensure_message_partitions()');
    await message(client, conversation, { text: 'One' });
    await message(client, conversation, { text: 'Two' });
    const { rows } = await client.query(
      `select topic, event, payload from realtime.messages
       where payload ->> 'table' = 'notifications'
       order by inserted_at, array_position(array['INSERT', 'UPDATE'], event)`,
    );
    assert.deepEqual(rows.map((row) => [row.topic, row.event]), [
      [`user:${bob}:notifications`, 'INSERT'],
      [`user:${bob}:notifications`, 'UPDATE'],
    ]);
    const update = rows[1].payload;
    assert.equal(update.old_record.body, 'One');
    assert.equal(update.old_record.data.message_count, 1);
    assert.equal(update.record.body, 'Two');
    assert.equal(update.record.data.message_count, 2);
    assert.equal(update.record.id, update.old_record.id);
  });
});

// ---------------------------------------------------------------- committed, concurrent

/** A committed team (unique names), removed afterwards. */
async function withCommittedTeam(work: (team: { bob: string; conversation: string; account: string }) => Promise<void>) {
  const setup = await db.pool.connect();
  let account = '';
  const users: string[] = [];
  try {
    const world = new World(setup);
    account = await world.account(`Committed ${Math.random()}`);
    users.push(await world.agent(account, 'Alice'), await world.agent(account, 'Bob'));
    const conversation = await world.conversation(account, await world.contact(account, 'Maria Silva'), users[1]);
    await work({ bob: users[1]!, conversation, account });
  } finally {
    await setup.query('delete from public.accounts where id = $1', [account]);
    await setup.query('delete from auth.users where id = any($1)', [users]);
    setup.release();
  }
}

const connect = async () => {
  const client = new pg.Client({ connectionString: db.database.databaseUrl });
  await client.connect();
  return client;
};

test('two messages at once end as one unread row counting both', async () => {
  await withCommittedTeam(async ({ bob, conversation }) => {
    const [first, second] = [await connect(), await connect()];
    try {
      const insert = (client: pg.Client, text: string) =>
        client.query(
          `insert into public.messages (conversation_id, sender_type, content_text) values ($1, 'customer', $2)`,
          [conversation, text],
        );
      await first.query(`begin; set local role service_role`);
      await second.query(`begin; set local role service_role`);
      await insert(first, 'First');
      // The second waits for the first's transaction (its lock on this recipient and conversation)...
      const pending = insert(second, 'Second');
      await waitUntilBlocked(second);
      await first.query('commit');
      // ...and then finds the row the first committed.
      await pending;
      await second.query('commit');
    } finally {
      await first.end();
      await second.end();
    }
    const { rows } = await db.pool.query(
      `select body, data from public.notifications where user_id = $1 and type = 'message_received'`,
      [bob],
    );
    assert.deepEqual(rows, [
      { body: 'Second', data: { contact_name: 'Maria Silva', excerpt: 'Second', content_type: 'text', message_count: 2 } },
    ]);
  });
});

test('a burst of 200 messages from 8 connections at once ends as one unread row with the right count', async () => {
  await withCommittedTeam(async ({ bob, conversation }) => {
    const clients = await Promise.all(Array.from({ length: 8 }, connect));
    try {
      await Promise.all(
        clients.map(async (client, index) => {
          for (let n = 0; n < 25; n++) {
            await client.query(
              `begin; set local role service_role;
               insert into public.messages (conversation_id, sender_type, content_text) values ('${conversation}', 'customer', 'm${index}-${n}');
               commit`,
            );
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
    const { rows } = await db.pool.query(
      `select count(*)::int as rows, max((data ->> 'message_count')::int) as messages
       from public.notifications where user_id = $1 and type = 'message_received' and read_at is null`,
      [bob],
    );
    assert.deepEqual(rows, [{ rows: 1, messages: 200 }]);
  });
});

/** Resolves once `client`'s backend is waiting for a lock. */
async function waitUntilBlocked(client: pg.Client) {
  const pid = (client as unknown as { processID: number }).processID;
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows } = await db.pool.query(`select wait_event_type from pg_stat_activity where pid = $1`, [pid]);
    if (rows[0]?.wait_event_type === 'Lock') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the second insert never waited for the first');
}

test('a failure inside the trigger is a warning; the message commits', async () => {
  await withCommittedTeam(async ({ bob, conversation }) => {
    const client = await db.pool.connect();
    try {
      await client.query(`
        create function public.test_refuse_notification() returns trigger language plpgsql as $$
        begin raise exception 'notifications are down'; end $$;
        create trigger test_refuse_notification before insert on public.notifications
          for each row execute function public.test_refuse_notification();`);
      const warnings = await warningsDuring(client, async () => {
        await client.query('begin');
        await message(client, conversation, { text: 'Still stored' });
        await client.query('commit');
      });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /notify_message_received: no notification for message .*notifications are down/);
    } finally {
      await client.query('rollback').catch(() => undefined);
      await client.query(`drop trigger if exists test_refuse_notification on public.notifications;
                          drop function if exists public.test_refuse_notification()`);
      client.release();
    }
    const { rows } = await db.pool.query(
      `select (select count(*)::int from public.messages where conversation_id = $1) as messages,
              (select count(*)::int from public.notifications where user_id = $2 and type = 'message_received') as notified`,
      [conversation, bob],
    );
    assert.deepEqual(rows, [{ messages: 1, notified: 0 }]);
  });
});
