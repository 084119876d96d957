// notify_conversation_assigned: who is notified of an assignment, with which words, and that a
// failed notification never blocks the assignment. Assignments run as PostgREST would run them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { useTestDatabase, rolledBack, tryAs, World, type Actor } from './support.js';

const db = useTestDatabase();

interface Team {
  client: pg.PoolClient;
  world: World;
  account: string;
  alice: string;
  bob: string;
  carol: string;
  contact: string;
  conversation: string;
}

async function withTeam(work: (team: Team) => Promise<void>): Promise<void> {
  await rolledBack(db.pool, async (client) => {
    const world = new World(client);
    const account = await world.account('Acme');
    const alice = await world.agent(account, 'Alice Martin');
    const bob = await world.agent(account, 'Bob Chen');
    const carol = await world.agent(account, 'Carol Diaz');
    const contact = await world.contact(account, 'Maria Silva');
    const conversation = await world.conversation(account, contact);
    await work({ client, world, account, alice, bob, carol, contact, conversation });
  });
}

async function assign(client: pg.ClientBase, actor: Actor, conversation: string, assignee: string | null) {
  const result = await tryAs(client, actor, 'update public.conversations set assigned_agent_id = $2 where id = $1', [
    conversation,
    assignee,
  ]);
  assert.equal(result.error, undefined, `the assignment itself succeeds: ${result.error?.message}`);
  assert.equal(result.rowCount, 1);
}

const count = async (client: pg.ClientBase) =>
  Number((await client.query('select count(*) from public.notifications')).rows[0].count);

test('a teammate’s assignment notifies the assignee, naming the teammate and the contact', async () => {
  await withTeam(async ({ client, world, account, alice, bob, contact, conversation }) => {
    await assign(client, { role: 'authenticated', sub: alice }, conversation, bob);
    const [row, ...rest] = await world.notificationsOf(bob);
    assert.equal(rest.length, 0);
    assert.equal(row.title, 'New conversation assigned');
    assert.equal(row.body, 'Alice Martin assigned you a conversation with Maria Silva');
    assert.equal(row.type, 'conversation_assigned');
    assert.equal(row.account_id, account);
    assert.equal(row.conversation_id, conversation);
    assert.equal(row.contact_id, contact);
    assert.equal(row.actor_user_id, alice);
    assert.equal(row.read_at, null);
  });
});

test('an automation (no auth.uid()) notifies as "Someone", with no actor', async () => {
  await withTeam(async ({ client, world, bob, carol, conversation }) => {
    await assign(client, { role: 'service_role' }, conversation, bob);
    await assign(client, { role: 'postgres' }, conversation, carol);
    const [forBob] = await world.notificationsOf(bob);
    assert.equal(forBob.body, 'Someone assigned you a conversation with Maria Silva');
    assert.equal(forBob.actor_user_id, null);
    const [forCarol] = await world.notificationsOf(carol);
    assert.equal(forCarol.body, 'Someone assigned you a conversation with Maria Silva');
  });
});

test('self-assignment notifies nobody', async () => {
  await withTeam(async ({ client, bob, conversation }) => {
    await assign(client, { role: 'authenticated', sub: bob }, conversation, bob);
    assert.equal(await count(client), 0);
  });
});

test('unassignment notifies nobody', async () => {
  await withTeam(async ({ client, alice, bob, conversation }) => {
    await assign(client, { role: 'authenticated', sub: alice }, conversation, bob);
    await assign(client, { role: 'authenticated', sub: alice }, conversation, null);
    assert.equal(await count(client), 1, 'only the assignment');
  });
});

test('an unchanged assignee or another column’s update notifies nobody again', async () => {
  await withTeam(async ({ client, alice, bob, conversation }) => {
    await assign(client, { role: 'authenticated', sub: alice }, conversation, bob);
    await assign(client, { role: 'authenticated', sub: alice }, conversation, bob);
    const statusChange = await tryAs(
      client,
      { role: 'authenticated', sub: alice },
      `update public.conversations set status = 'pending', last_message_text = 'hi' where id = $1`,
      [conversation],
    );
    assert.equal(statusChange.rowCount, 1);
    assert.equal(await count(client), 1);
  });
});

test('reassignment notifies the new assignee only', async () => {
  await withTeam(async ({ client, world, alice, bob, carol, conversation }) => {
    await assign(client, { role: 'authenticated', sub: alice }, conversation, bob);
    await assign(client, { role: 'authenticated', sub: bob }, conversation, carol);
    assert.equal((await world.notificationsOf(bob)).length, 1);
    const [forCarol] = await world.notificationsOf(carol);
    assert.equal(forCarol.body, 'Bob Chen assigned you a conversation with Maria Silva');
    assert.equal(forCarol.actor_user_id, bob);
  });
});

test('a conversation created with an assignee notifies them', async () => {
  await withTeam(async ({ client, world, account, alice, carol, contact }) => {
    const created = await tryAs(
      client,
      { role: 'authenticated', sub: alice },
      'insert into public.conversations (account_id, contact_id, assigned_agent_id) values ($1, $2, $3) returning id',
      [account, contact, carol],
    );
    assert.equal(created.error, undefined);
    const [forCarol] = await world.notificationsOf(carol);
    assert.equal(forCarol.conversation_id, created.rows[0]?.id);
    assert.equal(forCarol.body, 'Alice Martin assigned you a conversation with Maria Silva');
  });
});

test('a blank contact name falls back to the phone, then to "a contact"', async () => {
  await withTeam(async ({ client, world, account, alice, bob }) => {
    const blankName = await world.conversation(account, await world.contact(account, '   ', '+1 415 555 0111'));
    const nullName = await world.conversation(account, await world.contact(account, null, '+44 20 7946 0000'));
    const nothing = await world.conversation(account, await world.contact(account, '', '  '));
    for (const conversation of [blankName, nullName, nothing]) {
      await assign(client, { role: 'authenticated', sub: alice }, conversation, bob);
    }
    const bodies = (await world.notificationsOf(bob)).map((row) => [row.conversation_id, row.body]);
    assert.deepEqual(new Map(bodies as [string, string][]), new Map([
      [blankName, 'Alice Martin assigned you a conversation with +1 415 555 0111'],
      [nullName, 'Alice Martin assigned you a conversation with +44 20 7946 0000'],
      [nothing, 'Alice Martin assigned you a conversation with a contact'],
    ]));
  });
});

test('a blank actor name is shown as "Someone", but the actor is still recorded', async () => {
  await withTeam(async ({ client, world, account, bob, conversation }) => {
    const nameless = await world.agent(account, '  ');
    await assign(client, { role: 'authenticated', sub: nameless }, conversation, bob);
    const [row] = await world.notificationsOf(bob);
    assert.equal(row.body, 'Someone assigned you a conversation with Maria Silva');
    assert.equal(row.actor_user_id, nameless);
  });
});

test('a requester with no profile (a service call naming a user) is "Someone", with no actor', async () => {
  await withTeam(async ({ client, world, bob, conversation }) => {
    const outsider = await world.userWithoutProfile();
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: outsider, role: 'service_role' })]);
    await client.query('update public.conversations set assigned_agent_id = $2 where id = $1', [conversation, bob]);
    const [row] = await world.notificationsOf(bob);
    assert.equal(row.body, 'Someone assigned you a conversation with Maria Silva');
    assert.equal(row.actor_user_id, null);
  });
});

test('an assignee outside the conversation’s account gets nothing; the assignment still succeeds', async () => {
  await withTeam(async ({ client, world, alice, conversation }) => {
    const globex = await world.account('Globex');
    const outsider = await world.agent(globex, 'Dave Okafor');
    await assign(client, { role: 'authenticated', sub: alice }, conversation, outsider);
    const stranger = await world.userWithoutProfile();
    await assign(client, { role: 'authenticated', sub: alice }, conversation, stranger);
    const notAUser = '00000000-0000-4000-8000-00000000dead';
    await assign(client, { role: 'authenticated', sub: alice }, conversation, notAUser);
    assert.equal(await count(client), 0);
    const { rows } = await client.query('select assigned_agent_id from public.conversations where id = $1', [conversation]);
    assert.equal(rows[0].assigned_agent_id, notAUser);
  });
});

test('a failure inside the trigger is a warning; the assignment commits', async () => {
  // This one commits for real: a rolled-back test could not show that the assignment survives.
  const setup = await db.pool.connect();
  let conversation: string;
  let bob: string;
  try {
    const world = new World(setup);
    const account = await world.account('Committed');
    const alice = await world.agent(account, 'Alice');
    bob = await world.agent(account, 'Bob');
    conversation = await world.conversation(account, await world.contact(account));
    await setup.query(`
      create function public.test_refuse_notification() returns trigger language plpgsql as $$
      begin raise exception 'notifications are down'; end $$;
      create trigger test_refuse_notification before insert on public.notifications
        for each row execute function public.test_refuse_notification();`);

    const warnings: string[] = [];
    const collect = (notice: { severity?: string; message?: string }) => {
      if (notice.severity === 'WARNING') warnings.push(notice.message ?? '');
    };
    setup.on('notice', collect);
    await setup.query('begin');
    await assign(setup, { role: 'authenticated', sub: alice }, conversation, bob);
    await setup.query('commit');
    setup.off('notice', collect);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /notify_conversation_assigned: no notification for conversation .*notifications are down/);
  } finally {
    await setup.query('rollback').catch(() => undefined);
    await setup.query(`drop trigger if exists test_refuse_notification on public.notifications;
                       drop function if exists public.test_refuse_notification()`);
    setup.release();
  }
  const { rows } = await db.pool.query('select assigned_agent_id from public.conversations where id = $1', [conversation]);
  assert.equal(rows[0].assigned_agent_id, bob, 'the assignment was committed');
  const { rows: notes } = await db.pool.query('select count(*) from public.notifications where user_id = $1', [bob]);
  assert.equal(Number(notes[0].count), 0);
});
