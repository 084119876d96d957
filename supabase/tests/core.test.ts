// 000_wacrm_core.sql on a database that already has Wacrm's schema, under Wacrm's own names: it adds
// nothing (Wacrm's indexes and policies are recognised by what they are, not by our names for them),
// and 027 then works there. On an empty database it still creates the whole slice, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { join } from 'node:path';
import { migrationsDir, runSqlFile } from '../local/migrate.js';
import { catalogState, runSqlFileWatchingWrites, useTestDatabase, withScratchDatabase, type Actor } from './support.js';
import { as, WacrmWorld, wacrmSchema } from './wacrm.js';

const core = join(migrationsDir, '000_wacrm_core.sql');
const notifications = join(migrationsDir, '027_notifications.sql');

const db = useTestDatabase();

/**
 * 027 at work on a Wacrm-shaped database, through Wacrm's own RLS: an agent creates a contact and a
 * conversation as the app would and assigns it; the assignee alone sees the notification, names
 * and all; an assignee from another account gets nothing. Rolled back afterwards.
 */
async function showNotificationsWork(client: pg.ClientBase) {
  await client.query('begin');
  try {
    const world = new WacrmWorld(client);
    const { account } = await world.account('Acme', 'Olivia Owner');
    const alice = await world.member(account, 'Alice Martin');
    const bob = await world.member(account, 'Bob Chen');
    const { owner: dave } = await world.account('Globex', 'Dave Okafor');
    const asAlice: Actor = { role: 'authenticated', sub: alice };
    const asBob: Actor = { role: 'authenticated', sub: bob };

    const contact = (
      await as(client, asAlice,
        `insert into public.contacts (user_id, account_id, name, phone)
         values (auth.uid(), $1, 'Maria Silva', '+55 11 91234-0001') returning id`,
        [account])
    ).rows[0]!.id;
    const conversation = (
      await as(client, asAlice,
        `insert into public.conversations (user_id, account_id, contact_id) values (auth.uid(), $1, $2) returning id`,
        [account, contact])
    ).rows[0]!.id;

    const assign = (assignee: string) =>
      as(client, asAlice, 'update public.conversations set assigned_agent_id = $2 where id = $1', [conversation, assignee]);
    assert.equal((await assign(bob)).rowCount, 1);

    const forBob = await as(client, asBob, 'select * from public.notifications');
    assert.equal(forBob.rowCount, 1);
    assert.deepEqual(
      { ...forBob.rows[0], id: undefined, created_at: undefined },
      {
        id: undefined,
        account_id: account,
        user_id: bob,
        type: 'conversation_assigned',
        conversation_id: conversation,
        contact_id: contact,
        actor_user_id: alice,
        title: 'New conversation assigned',
        body: 'Alice Martin assigned you a conversation with Maria Silva',
        read_at: null,
        created_at: undefined,
      },
    );
    assert.equal((await as(client, asAlice, 'select id from public.notifications')).rowCount, 0, 'Alice sees none of Bob’s');
    assert.deepEqual((await as(client, asBob, 'select public.mark_notifications_read() as marked')).rows, [{ marked: 1 }]);

    assert.equal((await assign(dave)).rowCount, 1, 'the assignment to an outsider succeeds');
    const { rows } = await client.query('select count(*)::int as n from public.notifications');
    assert.deepEqual(rows, [{ n: 1 }], 'and notifies nobody');
  } finally {
    await client.query('rollback');
  }
}

for (const policies of ['multi-account', 'pre-017'] as const) {
  test(`000 adds nothing to Wacrm's schema (${policies} policies), and 027 works on it`, async () => {
    await withScratchDatabase(db, `wacrm_${policies.replace('-', '_')}`, async (client) => {
      await client.query(wacrmSchema({ policies }));
      const wacrm = await catalogState(client);
      const text = JSON.stringify(wacrm);
      for (const name of ['idx_contacts_account', 'idx_profiles_account_role', 'account_role_enum', 'is_account_member']) {
        assert.ok(text.includes(name), `the snapshot covers ${name}`);
      }

      assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false }, '000 wrote nothing at all');
      assert.deepEqual(await catalogState(client), wacrm);

      await runSqlFile(client, notifications);
      await showNotificationsWork(client);

      // Once 027 is there, neither file changes anything on a second run.
      const withNotifications = await catalogState(client);
      assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false });
      await runSqlFile(client, notifications);
      assert.deepEqual(await catalogState(client), withNotifications);
    });
  });
}

test('the role type is recognised as the type of profiles.account_role, whatever its name', async () => {
  await withScratchDatabase(db, 'wacrm_renamed_role', async (client) => {
    await client.query(wacrmSchema({ roleType: 'member_role' }));
    const wacrm = await catalogState(client);
    assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false });
    assert.deepEqual(await catalogState(client), wacrm);
  });
  // Without the helper, 000 creates it for the role type that is there, and no type of its own.
  await withScratchDatabase(db, 'wacrm_renamed_role_no_helper', async (client) => {
    await client.query(wacrmSchema({ roleType: 'member_role', helper: false, policies: 'none' }));
    await runSqlFile(client, core);
    const { rows: types } = await client.query(
      `select typname from pg_type where typnamespace = 'public'::regnamespace and typtype = 'e' order by typname`,
    );
    assert.deepEqual(types, [{ typname: 'member_role' }]);
    const { rows: helpers } = await client.query(
      `select oid::regprocedure::text as signature from pg_proc where proname = 'is_account_member'`,
    );
    assert.deepEqual(helpers, [{ signature: 'is_account_member(uuid,member_role)' }]);
    const { rows: policies } = await client.query(`select count(*)::int as n from pg_policies where schemaname = 'public'`);
    assert.deepEqual(policies, [{ n: 28 }], 'four per table: accounts two, profiles two, the six others four each');
    await runSqlFile(client, notifications);
    await showNotificationsWork(client);
  });
});

/** Indexes of public.contacts by definition, for before/after comparisons. */
const contactIndexes = async (client: pg.ClientBase) =>
  (
    await client.query<{ definition: string }>(
      `select pg_get_indexdef(indexrelid) as definition from pg_index
       where indrelid = 'public.contacts'::regclass order by 1`,
    )
  ).rows.map((row) => row.definition);

const ours = 'CREATE INDEX idx_contacts_account_id ON public.contacts USING btree (account_id)';

test('an existing index counts only when it serves lookups by the same columns', async () => {
  await withScratchDatabase(db, 'wacrm_indexes', async (client) => {
    await client.query(wacrmSchema());
    await client.query('drop index public.idx_contacts_account');

    const serving = {
      'another name': 'create index by_account on public.contacts (account_id)',
      'more key columns after ours': 'create index by_account on public.contacts (account_id, created_at desc)',
      'included columns': 'create index by_account on public.contacts (account_id) include (name, phone)',
      'unique': 'create unique index by_account on public.contacts (account_id, phone)',
      'partial on "account_id is not null"':
        'create index by_account on public.contacts (account_id) where account_id is not null',
    };
    for (const [what, statement] of Object.entries(serving)) {
      await client.query(statement);
      const before = await contactIndexes(client);
      assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false }, what);
      assert.deepEqual(await contactIndexes(client), before, what);
      await client.query('drop index public.by_account');
    }

    const notServing = {
      'ours not first': 'create index other on public.contacts (user_id, account_id)',
      'an expression': 'create index other on public.contacts ((account_id::text))',
      'partial on another predicate': 'create index other on public.contacts (account_id) where name is not null',
      'not a btree': 'create index other on public.contacts using hash (account_id)',
    };
    for (const [what, statement] of Object.entries(notServing)) {
      await client.query(statement);
      const before = await contactIndexes(client);
      await runSqlFile(client, core);
      assert.deepEqual(await contactIndexes(client), [...before, ours].sort(), what);
      await client.query('drop index public.other; drop index public.idx_contacts_account_id');
    }

    // A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind, which serves nothing.
    const world = new WacrmWorld(client);
    const { account, owner } = await world.account('Acme', 'Olivia');
    await client.query(
      `insert into public.contacts (user_id, account_id, phone) values ($1, $2, '+1'), ($1, $2, '+2')`,
      [owner, account],
    );
    await assert.rejects(client.query('create unique index concurrently other on public.contacts (account_id)'), {
      code: '23505',
    });
    const { rows } = await client.query(`select indisvalid from pg_index where indexrelid = 'public.other'::regclass`);
    assert.deepEqual(rows, [{ indisvalid: false }]);
    const before = await contactIndexes(client);
    await runSqlFile(client, core);
    assert.deepEqual(await contactIndexes(client), [...before, ours].sort(), 'an invalid index');
  });
});

/** Policies of public.contacts: name, command, mode and roles. */
const contactPolicies = async (client: pg.ClientBase) =>
  (
    await client.query(
      `select policyname, cmd, permissive, roles::text from pg_policies
       where schemaname = 'public' and tablename = 'contacts' order by policyname`,
    )
  ).rows;

test('an existing policy counts when it is permissive, for the same command or ALL, and applies to signed-in users', async () => {
  await withScratchDatabase(db, 'wacrm_policies', async (client) => {
    await client.query(wacrmSchema());
    await client.query(`
      drop policy contacts_select on public.contacts;
      drop policy contacts_insert on public.contacts;
      drop policy contacts_update on public.contacts;
      drop policy contacts_delete on public.contacts;
      -- None of these lets a signed-in user do anything.
      create policy only_in_an_account on public.contacts as restrictive for select using (account_id is not null);
      create policy anon_never on public.contacts for delete to anon using (false);
      create policy service on public.contacts for all to service_role using (true);`);
    await runSqlFile(client, core);
    assert.deepEqual(await contactPolicies(client), [
      { policyname: 'anon_never', cmd: 'DELETE', permissive: 'PERMISSIVE', roles: '{anon}' },
      { policyname: 'contacts_delete', cmd: 'DELETE', permissive: 'PERMISSIVE', roles: '{authenticated}' },
      { policyname: 'contacts_insert', cmd: 'INSERT', permissive: 'PERMISSIVE', roles: '{authenticated}' },
      { policyname: 'contacts_select', cmd: 'SELECT', permissive: 'PERMISSIVE', roles: '{authenticated}' },
      { policyname: 'contacts_update', cmd: 'UPDATE', permissive: 'PERMISSIVE', roles: '{authenticated}' },
      { policyname: 'only_in_an_account', cmd: 'SELECT', permissive: 'RESTRICTIVE', roles: '{public}' },
      { policyname: 'service', cmd: 'ALL', permissive: 'PERMISSIVE', roles: '{service_role}' },
    ]);

    // One FOR ALL policy to authenticated, or a policy to a role that authenticated belongs to.
    await client.query(`
      drop policy contacts_select on public.contacts;
      drop policy contacts_insert on public.contacts;
      drop policy contacts_update on public.contacts;
      drop policy contacts_delete on public.contacts;
      create policy members on public.contacts for all to authenticated using (is_account_member(account_id));`);
    assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false });
    await client.query(`
      drop policy members on public.contacts;
      create role wacrm_test_app_user nologin;
      grant wacrm_test_app_user to authenticated;
      create policy app_select on public.contacts for select to wacrm_test_app_user using (true);
      create policy app_insert on public.contacts for insert to wacrm_test_app_user with check (true);
      create policy app_update on public.contacts for update to wacrm_test_app_user using (true);
      create policy app_delete on public.contacts for delete to anon, wacrm_test_app_user using (true);`);
    try {
      assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false });
    } finally {
      await client.query(`
        drop policy app_select on public.contacts; drop policy app_insert on public.contacts;
        drop policy app_update on public.contacts; drop policy app_delete on public.contacts;
        drop role wacrm_test_app_user;`);
    }
  });
});

test('on an empty database 000 creates the whole slice, and a second run writes nothing', async () => {
  await withScratchDatabase(db, 'empty_supabase', async (client) => {
    const empty = await catalogState(client);
    assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: true });
    const created = await catalogState(client);
    assert.notDeepEqual(created, empty);

    const { rows: tables } = await client.query(
      `select relname, relrowsecurity from pg_class
       where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname`,
    );
    assert.deepEqual(tables, [
      { relname: 'accounts', relrowsecurity: true },
      { relname: 'contacts', relrowsecurity: true },
      { relname: 'conversations', relrowsecurity: true },
      { relname: 'deals', relrowsecurity: true },
      { relname: 'messages', relrowsecurity: true },
      { relname: 'pipeline_stages', relrowsecurity: true },
      { relname: 'pipelines', relrowsecurity: true },
      { relname: 'profiles', relrowsecurity: true },
    ]);
    const { rows: indexes } = await client.query(
      `select indexname, indexdef from pg_indexes where schemaname = 'public' and indexname like 'idx_%' order by 1`,
    );
    assert.deepEqual(indexes, [
      { indexname: 'idx_contacts_account_id', indexdef: ours },
      {
        indexname: 'idx_conversations_account_id',
        indexdef: 'CREATE INDEX idx_conversations_account_id ON public.conversations USING btree (account_id)',
      },
      {
        indexname: 'idx_conversations_contact_id',
        indexdef: 'CREATE INDEX idx_conversations_contact_id ON public.conversations USING btree (contact_id)',
      },
      {
        indexname: 'idx_deals_account_id',
        indexdef: 'CREATE INDEX idx_deals_account_id ON public.deals USING btree (account_id)',
      },
      {
        indexname: 'idx_deals_assigned_to',
        indexdef: 'CREATE INDEX idx_deals_assigned_to ON public.deals USING btree (assigned_to)',
      },
      {
        indexname: 'idx_deals_stage_id',
        indexdef: 'CREATE INDEX idx_deals_stage_id ON public.deals USING btree (stage_id)',
      },
      {
        indexname: 'idx_messages_conversation_id',
        indexdef: 'CREATE INDEX idx_messages_conversation_id ON public.messages USING btree (conversation_id)',
      },
      {
        indexname: 'idx_pipeline_stages_pipeline_id',
        indexdef: 'CREATE INDEX idx_pipeline_stages_pipeline_id ON public.pipeline_stages USING btree (pipeline_id)',
      },
      {
        indexname: 'idx_pipelines_account_id',
        indexdef: 'CREATE INDEX idx_pipelines_account_id ON public.pipelines USING btree (account_id)',
      },
      {
        indexname: 'idx_profiles_account_id',
        indexdef: 'CREATE INDEX idx_profiles_account_id ON public.profiles USING btree (account_id)',
      },
    ]);
    const { rows: policies } = await client.query(
      `select tablename || '.' || policyname || ' ' || cmd || ' ' || roles::text as policy
       from pg_policies where schemaname = 'public' order by 1`,
    );
    assert.deepEqual(policies.map((row) => row.policy), [
      'accounts.accounts_select SELECT {authenticated}',
      'accounts.accounts_update UPDATE {authenticated}',
      'contacts.contacts_delete DELETE {authenticated}',
      'contacts.contacts_insert INSERT {authenticated}',
      'contacts.contacts_select SELECT {authenticated}',
      'contacts.contacts_update UPDATE {authenticated}',
      'conversations.conversations_delete DELETE {authenticated}',
      'conversations.conversations_insert INSERT {authenticated}',
      'conversations.conversations_select SELECT {authenticated}',
      'conversations.conversations_update UPDATE {authenticated}',
      'deals.deals_delete DELETE {authenticated}',
      'deals.deals_insert INSERT {authenticated}',
      'deals.deals_select SELECT {authenticated}',
      'deals.deals_update UPDATE {authenticated}',
      'messages.messages_delete DELETE {authenticated}',
      'messages.messages_insert INSERT {authenticated}',
      'messages.messages_select SELECT {authenticated}',
      'messages.messages_update UPDATE {authenticated}',
      'pipeline_stages.pipeline_stages_delete DELETE {authenticated}',
      'pipeline_stages.pipeline_stages_insert INSERT {authenticated}',
      'pipeline_stages.pipeline_stages_select SELECT {authenticated}',
      'pipeline_stages.pipeline_stages_update UPDATE {authenticated}',
      'pipelines.pipelines_delete DELETE {authenticated}',
      'pipelines.pipelines_insert INSERT {authenticated}',
      'pipelines.pipelines_select SELECT {authenticated}',
      'pipelines.pipelines_update UPDATE {authenticated}',
      'profiles.profiles_select SELECT {authenticated}',
      'profiles.profiles_update_own UPDATE {authenticated}',
    ]);
    const { rows: helper } = await client.query(
      `select p.oid::regprocedure::text as signature, p.prosecdef as definer,
              has_function_privilege('anon', p.oid, 'execute') as anon,
              has_function_privilege('authenticated', p.oid, 'execute') as authenticated
       from pg_proc p where p.pronamespace = 'public'::regnamespace`,
    );
    assert.deepEqual(helper, [
      { signature: 'is_account_member(uuid,account_role_enum)', definer: true, anon: false, authenticated: true },
    ]);
    const { rows: labels } = await client.query(`select enum_range(null::public.account_role_enum)::text as labels`);
    assert.deepEqual(labels, [{ labels: '{owner,admin,agent,viewer}' }]);

    assert.deepEqual(await runSqlFileWatchingWrites(client, core), { wrote: false });
    assert.deepEqual(await catalogState(client), created);
  });
});

test('a table that is not the one 027 builds on stops 000 with a clear error, and nothing is applied', async () => {
  // Wacrm before 017 had no accounts and no account_id: 027 cannot run there.
  await withScratchDatabase(db, 'wacrm_single_user', async (client) => {
    await client.query(`
      create table public.contacts (
        id uuid primary key default gen_random_uuid(),
        user_id uuid not null references auth.users (id) on delete cascade,
        phone text not null,
        name text
      );`);
    const before = await catalogState(client);
    await assert.rejects(runSqlFile(client, core), /public\.contacts exists but has no column account_id/);
    assert.deepEqual(await catalogState(client), before);
  });
  // Wacrm before its 002 had no deals.assigned_to: the deal trigger has no one to notify.
  await withScratchDatabase(db, 'wacrm_pre_002', async (client) => {
    await client.query(wacrmSchema());
    await client.query('alter table public.deals drop column assigned_to');
    const before = await catalogState(client);
    await assert.rejects(runSqlFile(client, core), /public\.deals exists but has no column assigned_to/);
    assert.deepEqual(await catalogState(client), before);
  });
  await withScratchDatabase(db, 'accounts_view', async (client) => {
    await client.query(`create view public.accounts as select gen_random_uuid() as id`);
    const before = await catalogState(client);
    await assert.rejects(runSqlFile(client, core), /public\.accounts exists but is not a table/);
    assert.deepEqual(await catalogState(client), before);
  });
});
