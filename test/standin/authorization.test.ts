// The stand-in's Realtime Authorization check (supabase/local/realtime/authorization.ts) on its own:
// every value reaches Postgres as a bind parameter, a join's read check is one statement, and the
// check leaves nothing behind on the connection or in realtime.messages. The join-level behaviour
// (reasons, policies, presence, tokens) is covered through supabase-js in broadcast.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { AuthorizationError, Authorizer, type AuthorizationContext } from '../../supabase/local/realtime/authorization.js';
import { startLocalSupabase, type LocalSupabase } from '../../supabase/local/server.js';

interface SentQuery {
  text: string;
  values: unknown[];
}

let local: LocalSupabase;
let admin: pg.Pool;
let authorizer: Authorizer;
/** What the authorizer sent, statement by statement, since the last `sent.length = 0`. */
const sent: SentQuery[] = [];
/** This run's topics start with `${scratch}:`; its policies are named after it. */
const scratch = `authz-${randomBytes(4).toString('hex')}`;
const policyPrefix = scratch.replace('-', '_');

// Text that ends or escapes an SQL literal, a dollar quote or a comment, if it were ever spliced in.
const hostile = `it's "quoted" \\ $$ $q$ -- /* ; select pg_sleep(5); ' || '`;

const context = (topic: string, overrides: Partial<AuthorizationContext> = {}): AuthorizationContext => ({
  topic,
  role: 'authenticated',
  claims: { sub: randomUUID(), role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 600, label: hostile },
  headers: { 'x-label': hostile },
  ...overrides,
});

before(async () => {
  local = await startLocalSupabase({ fresh: true, apiPort: 0, seed: false });
  admin = new pg.Pool({ connectionString: local.databaseUrl, max: 2 });
  authorizer = new Authorizer(local.databaseUrl);
  authorizer.pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
      sent.push(typeof first === 'string' ? { text: first, values: second ?? [] } : { text: first.text, values: first.values ?? [] });
      return query(...args);
    };
  });
  // Read and write only when the topic, a claim and a header are exactly the hostile text.
  const exact = `(select realtime.topic()) = '${scratch}:' || (select auth.jwt() ->> 'label')
      and (select current_setting('request.headers', true)::jsonb ->> 'x-label') = (select auth.jwt() ->> 'label')`;
  await admin.query(`
    create policy ${policyPrefix}_read on realtime.messages for select to authenticated using (${exact});
    create policy ${policyPrefix}_write on realtime.messages for insert to authenticated
      with check (realtime.messages.extension = 'broadcast' and ${exact});
    create policy ${policyPrefix}_boom on realtime.messages for select to authenticated
      using (case when (select realtime.topic()) = '${scratch}:boom'
                  then 1 / (length(realtime.topic()) - length(realtime.topic())) = 1 else false end);`);
});

after(async () => {
  for (const name of ['read', 'write', 'boom']) {
    await admin.query(`drop policy if exists ${policyPrefix}_${name} on realtime.messages`).catch(() => undefined);
  }
  await authorizer.end();
  await admin.end();
  await local.stop();
});

test('hostile text in the topic, the claims and the headers is compared as values, sent only as bind parameters', async () => {
  const allowed = context(`${scratch}:${hostile}`);
  sent.length = 0;
  const read = await authorizer.read(allowed, ['broadcast', 'presence']);
  assert.deepEqual(read, { broadcast: { read: true }, presence: { read: true } });
  assert.equal(sent.length, 1, 'the read check is one statement: one round trip');
  const write = await authorizer.write(allowed, ['broadcast', 'presence'], read);
  assert.deepEqual(write, { broadcast: { read: true, write: true }, presence: { read: true, write: false } });
  for (const { text } of sent) {
    assert.doesNotMatch(text, /it's|pg_sleep|authz-|authenticated/, `no value in the statement text: ${text}`);
  }
  assert.ok(sent.some(({ values }) => values.includes(allowed.topic)), 'the topic went as a parameter');

  const refused = await authorizer.read(context(`${scratch}:other`), ['broadcast']);
  assert.deepEqual(refused, { broadcast: { read: false }, presence: {} });
});

test('the check leaves nothing behind: no probe row, and the connection is the admin again, without settings', async () => {
  const topic = `${scratch}:${hostile}`;
  await authorizer.read(context(topic), ['broadcast', 'presence']);
  await authorizer.write(context(topic), ['broadcast']);
  const { rows } = await admin.query<{ count: string }>('select count(*) from realtime.messages where topic = $1', [topic]);
  assert.equal(rows[0]!.count, '0');
  assert.equal(authorizer.pool.totalCount, 1, 'one connection served every check, so it is the one asked below');
  const state = await authorizer.pool.query<{ role: string; topic: string | null; claims: string | null }>(
    "select current_user as role, current_setting('realtime.topic', true) as topic, current_setting('request.jwt.claims', true) as claims",
  );
  assert.equal(state.rows[0]!.role, 'postgres');
  assert.ok(!state.rows[0]!.topic, 'no topic setting left');
  assert.ok(!state.rows[0]!.claims, 'no claims setting left');
});

test('only the API roles are switched to, whatever reaches the check; the functions are not the API roles\' to call', async () => {
  for (const role of ['postgres', 'authenticator', '', 'anon; reset role']) {
    await assert.rejects(authorizer.read(context(`${scratch}:x`, { role }), ['broadcast']), (error: unknown) => {
      assert.ok(error instanceof AuthorizationError);
      assert.equal(error.kind, 'rls_policy_error');
      return true;
    });
    await assert.rejects(authorizer.write(context(`${scratch}:x`, { role }), ['broadcast']), AuthorizationError);
  }
  const { rows } = await admin.query<{ role: string; callable: boolean }>(
    `select role, has_function_privilege(role, 'realtime.wacrm_read_policies(text, text, text, text, text, text[])', 'execute')
              or has_function_privilege(role, 'realtime.wacrm_set_conn_config(text, text, text, text, text)', 'execute') as callable
       from unnest(array['anon', 'authenticated', 'service_role', 'authenticator']) as role`,
  );
  assert.deepEqual(rows.filter((row) => row.callable), []);
});

test('a policy that fails is a policy error with its own text; a NUL in the topic is refused before any statement', async () => {
  await assert.rejects(authorizer.read(context(`${scratch}:boom`), ['broadcast']), (error: unknown) => {
    assert.ok(error instanceof AuthorizationError);
    assert.equal(error.kind, 'rls_policy_error');
    assert.equal(error.message, 'division by zero');
    return true;
  });
  sent.length = 0;
  for (const check of [authorizer.read.bind(authorizer), authorizer.write.bind(authorizer)]) {
    await assert.rejects(check(context(`${scratch}:a\u0000b`), ['broadcast']), (error: unknown) => {
      assert.ok(error instanceof AuthorizationError);
      assert.equal(error.kind, 'rls_policy_error');
      assert.equal(error.message, 'invalid byte sequence for encoding "UTF8": 0x00');
      return true;
    });
  }
  assert.deepEqual(sent, []);
  // A NUL elsewhere (a claim) is a value Postgres refuses in the same words, not a lost database.
  await assert.rejects(authorizer.read(context(`${scratch}:x`, { claims: { sub: 'a\u0000b', role: 'authenticated' } }), ['broadcast']), (error: unknown) => {
    assert.ok(error instanceof AuthorizationError);
    assert.equal(error.kind, 'rls_policy_error');
    assert.match(error.message, /invalid byte sequence for encoding "UTF8": 0x00/);
    return true;
  });
});
