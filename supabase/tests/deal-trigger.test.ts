// notify_deal_updated: a deal's stage, status or assignee changed notifies its assignee (a
// profiles.id, whose user is told), unless they made the change themselves. Changes run as
// PostgREST runs them, under the deals' own RLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { rolledBack, tryAs, useTestDatabase, warningsDuring, World, type Actor } from './support.js';

const db = useTestDatabase();

interface Team {
  client: pg.PoolClient;
  world: World;
  account: string;
  alice: string;
  bob: string;
  carol: string;
  /** profiles.id of Bob and Carol. */
  bobProfile: string;
  carolProfile: string;
  pipeline: string;
  /** Lead, Proposal, Negotiation. */
  stages: string[];
  contact: string;
  conversation: string;
  /** "Big order", in Lead, assigned to Bob, open. */
  deal: string;
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
    const { pipeline, stages } = await world.pipeline(account, ['Lead', 'Proposal', 'Negotiation']);
    const [bobProfile, carolProfile] = [await world.profileOf(bob), await world.profileOf(carol)];
    const deal = await world.deal(account, { pipeline, stage: stages[0]!, assignedTo: bobProfile, contact, conversation });
    await client.query('delete from public.notifications');
    await work({ client, world, account, alice, bob, carol, bobProfile, carolProfile, pipeline, stages, contact, conversation, deal });
  });
}

/** Updates the deal as `actor` and insists that the update itself succeeded. */
async function change(client: pg.ClientBase, actor: Actor, deal: string, set: string, params: unknown[] = []) {
  const result = await tryAs(client, actor, `update public.deals set ${set} where id = $1`, [deal, ...params]);
  assert.equal(result.error, undefined, `the deal update itself succeeds: ${result.error?.message}`);
  assert.equal(result.rowCount, 1);
}

const dealRows = async (client: pg.ClientBase, user?: string) =>
  (
    await client.query(
      `select * from public.notifications where type = 'deal_updated' and ($1::uuid is null or user_id = $1)
       order by created_at, ctid`, // one transaction has one now(): ctid keeps the order of writing
      [user ?? null],
    )
  ).rows;

test('a teammate moving the deal to another stage notifies the assignee, with everything to word it', async () => {
  await withTeam(async ({ client, account, alice, bob, stages, contact, conversation, deal }) => {
    await change(client, { role: 'authenticated', sub: alice }, deal, 'stage_id = $2', [stages[1]]);
    const [row, ...rest] = await dealRows(client);
    assert.equal(rest.length, 0);
    assert.equal(row.user_id, bob);
    assert.equal(row.account_id, account);
    assert.equal(row.title, 'Deal updated');
    assert.equal(row.body, 'Alice Martin moved Big order to Proposal');
    assert.equal(row.actor_user_id, alice);
    assert.equal(row.contact_id, contact);
    assert.equal(row.conversation_id, conversation);
    assert.deepEqual(row.data, {
      actor_name: 'Alice Martin',
      deal_id: deal,
      deal_title: 'Big order',
      change: 'stage',
      stage_name: 'Proposal',
      status: 'open',
    });
  });
});

test('won, lost and reopened are status changes', async () => {
  await withTeam(async ({ client, alice, deal }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    for (const status of ['won', 'lost', 'open']) await change(client, asAlice, deal, 'status = $2', [status]);
    const rows = await dealRows(client);
    assert.deepEqual(
      rows.map((row) => [row.title, row.body, row.data.change, row.data.status, row.data.stage_name]),
      [
        ['Deal updated', 'Alice Martin marked Big order as won', 'status', 'won', 'Lead'],
        ['Deal updated', 'Alice Martin marked Big order as lost', 'status', 'lost', 'Lead'],
        ['Deal updated', 'Alice Martin marked Big order as open', 'status', 'open', 'Lead'],
      ],
    );
  });
});

test('(re)assignment notifies the new assignee, also when the deal is created with one', async () => {
  await withTeam(async ({ client, world, account, alice, bob, carol, carolProfile, pipeline, stages, contact, deal }) => {
    await change(client, { role: 'authenticated', sub: alice }, deal, 'assigned_to = $2', [carolProfile]);
    const [reassigned] = await dealRows(client, carol);
    assert.equal(reassigned.title, 'Deal assigned');
    assert.equal(reassigned.body, 'Alice Martin assigned you the deal Big order');
    assert.equal(reassigned.data.change, 'assigned');
    assert.equal((await dealRows(client, bob)).length, 0, 'the previous assignee is not told');

    const created = await tryAs(
      client,
      { role: 'authenticated', sub: alice },
      `insert into public.deals (account_id, pipeline_id, stage_id, title, contact_id, assigned_to)
       values ($1, $2, $3, 'Renewal', $4, $5) returning id`,
      [account, pipeline, stages[0], contact, carolProfile],
    );
    assert.equal(created.error, undefined);
    const rows = await dealRows(client, carol);
    assert.equal(rows.length, 2);
    assert.deepEqual([rows[1].title, rows[1].body, rows[1].data.deal_id], ['Deal assigned', 'Alice Martin assigned you the deal Renewal', created.rows[0]!.id]);

    await world.deal(account, { pipeline, stage: stages[0]!, title: 'Nobody’s' });
    assert.equal((await dealRows(client)).length, 2, 'a deal created without an assignee notifies nobody');
  });
});

test('several changes at once: one notification, assigned before status before stage', async () => {
  await withTeam(async ({ client, alice, bob, carol, carolProfile, stages, deal }) => {
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    await change(client, asAlice, deal, `status = 'won', stage_id = $2`, [stages[2]]);
    const [statusWins] = await dealRows(client, bob);
    assert.deepEqual([statusWins.data.change, statusWins.body, statusWins.data.stage_name], ['status', 'Alice Martin marked Big order as won', 'Negotiation']);
    await change(client, asAlice, deal, `status = 'lost', stage_id = $2, assigned_to = $3`, [stages[1], carolProfile]);
    const [assignedWins] = await dealRows(client, carol);
    assert.deepEqual(
      [assignedWins.data.change, assignedWins.body, assignedWins.data.status, assignedWins.data.stage_name],
      ['assigned', 'Alice Martin assigned you the deal Big order', 'lost', 'Proposal'],
    );
    assert.equal((await dealRows(client)).length, 2);
  });
});

test('nobody is told of their own change, of an unassigned deal, or of other columns', async () => {
  await withTeam(async ({ client, world, account, alice, bob, bobProfile, pipeline, stages, deal }) => {
    const asBob: Actor = { role: 'authenticated', sub: bob };
    await change(client, asBob, deal, 'stage_id = $2', [stages[1]]);
    await change(client, asBob, deal, `status = 'won'`);
    const mine = await tryAs(
      client,
      asBob,
      `insert into public.deals (account_id, pipeline_id, stage_id, title, assigned_to) values ($1, $2, $3, 'Mine', $4)`,
      [account, pipeline, stages[0], bobProfile],
    );
    assert.equal(mine.error, undefined);
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    await change(client, asAlice, deal, `value = 1200, notes = 'call back', title = 'Bigger order', updated_at = now()`);
    await change(client, asAlice, deal, `status = 'won', stage_id = $2`, [stages[1]]); // unchanged values
    const unassigned = await world.deal(account, { pipeline, stage: stages[0]! });
    await change(client, asAlice, unassigned, `stage_id = $2, status = 'lost'`, [stages[2]]);
    await change(client, asAlice, deal, 'assigned_to = null');
    assert.deepEqual(await dealRows(client), []);
  });
});

test('an automation (no auth.uid()), or a requester without a profile, is "Someone", with no actor', async () => {
  await withTeam(async ({ client, world, stages, deal }) => {
    await change(client, { role: 'service_role' }, deal, 'stage_id = $2', [stages[1]]);
    const outsider = await world.userWithoutProfile();
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: outsider, role: 'service_role' })]);
    await client.query(`update public.deals set status = 'won' where id = $1`, [deal]);
    await client.query(`select set_config('request.jwt.claims', '', true)`);
    const rows = await dealRows(client);
    assert.deepEqual(
      rows.map((row) => [row.body, row.actor_user_id, row.data.actor_name]),
      [
        ['Someone moved Big order to Proposal', null, null],
        ['Someone marked Big order as won', null, null],
      ],
    );
  });
});

test('blank names are absent: the actor is "Someone", the deal "a deal", the stage "another stage"', async () => {
  await withTeam(async ({ client, world, account, bob, pipeline, stages, deal }) => {
    const nameless = await world.agent(account, '   ');
    const asNameless: Actor = { role: 'authenticated', sub: nameless };
    await client.query(`update public.pipeline_stages set name = '  ' where id = $1`, [stages[2]]);
    await client.query(`update public.deals set title = ' ' where id = $1`, [deal]);
    await change(client, asNameless, deal, 'stage_id = $2', [stages[2]]);
    await change(client, asNameless, deal, `status = 'won'`);
    const untitled = await world.deal(account, { pipeline, stage: stages[0]!, title: '' });
    await change(client, asNameless, untitled, 'assigned_to = $2', [await world.profileOf(bob)]);
    const rows = await dealRows(client, bob);
    assert.deepEqual(
      rows.map((row) => [row.body, row.actor_user_id, row.data.actor_name, row.data.deal_title, row.data.stage_name]),
      [
        ['Someone moved a deal to another stage', nameless, null, null, null],
        ['Someone marked a deal as won', nameless, null, null, null],
        ['Someone assigned you a deal', nameless, null, null, 'Lead'],
      ],
    );
  });
});

test('only a member of the deal’s account is told, and only names of that account are read', async () => {
  await withTeam(async ({ client, world, alice, carolProfile, deal }) => {
    const globex = await world.account('Globex');
    const dave = await world.agent(globex, 'Dave Okafor');
    const daveProfile = await world.profileOf(dave);
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    await change(client, asAlice, deal, 'assigned_to = $2', [daveProfile]);
    await change(client, asAlice, deal, `status = 'won'`);
    assert.deepEqual(await dealRows(client), [], 'an assignee of another account gets nothing; the updates succeed');

    // A stage of another account's pipeline (stage_id's foreign key allows it): its name stays unread.
    await change(client, asAlice, deal, 'assigned_to = $2', [carolProfile]);
    const { stages: theirs } = await world.pipeline(globex, ['Globex secret stage']);
    await change(client, asAlice, deal, 'stage_id = $2', [theirs[0]]);
    const rows = await dealRows(client);
    assert.equal(rows.length, 2);
    assert.equal(rows[1].body, 'Alice Martin moved Big order to another stage');
    assert.equal(rows[1].data.stage_name, null);
  });
});

test('a recipient who muted deal_updated gets nothing', async () => {
  await withTeam(async ({ client, alice, bob, carol, carolProfile, stages, deal }) => {
    await client.query(`insert into public.notification_preferences (user_id, type, in_app) values ($1, 'deal_updated', false)`, [bob]);
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    await change(client, asAlice, deal, 'stage_id = $2', [stages[1]]);
    await change(client, asAlice, deal, `status = 'won'`);
    assert.deepEqual(await dealRows(client, bob), []);
    await change(client, asAlice, deal, 'assigned_to = $2', [carolProfile]);
    assert.equal((await dealRows(client, carol)).length, 1, 'Carol did not mute it');
  });
});

test('a failure inside the trigger is a warning; the deal update commits', async () => {
  const setup = await db.pool.connect();
  let account = '';
  const users: string[] = [];
  let deal = '';
  let stages: string[] = [];
  try {
    const world = new World(setup);
    account = await world.account(`Committed ${Math.random()}`);
    users.push(await world.agent(account, 'Alice'), await world.agent(account, 'Bob'));
    ({ stages } = await world.pipeline(account));
    const { rows } = await setup.query('select id from public.pipelines where account_id = $1', [account]);
    deal = await world.deal(account, { pipeline: rows[0].id, stage: stages[0]!, assignedTo: await world.profileOf(users[1]!) });
    await setup.query(`
      create function public.test_refuse_notification() returns trigger language plpgsql as $$
      begin raise exception 'notifications are down'; end $$;
      create trigger test_refuse_notification before insert on public.notifications
        for each row execute function public.test_refuse_notification();`);
    const warnings = await warningsDuring(setup, async () => {
      await setup.query('begin');
      await change(setup, { role: 'authenticated', sub: users[0]! }, deal, 'stage_id = $2', [stages[1]]);
      await setup.query('commit');
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /notify_deal_updated: no notification for deal .*notifications are down/);
    const { rows: after } = await setup.query('select stage_id from public.deals where id = $1', [deal]);
    assert.deepEqual(after, [{ stage_id: stages[1] }], 'the stage change was committed');
  } finally {
    await setup.query('rollback').catch(() => undefined);
    await setup.query(`drop trigger if exists test_refuse_notification on public.notifications;
                       drop function if exists public.test_refuse_notification()`);
    await setup.query('delete from public.accounts where id = $1', [account]);
    await setup.query('delete from auth.users where id = any($1)', [users]);
    setup.release();
  }
});
