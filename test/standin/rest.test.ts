// /rest/v1 conformance: the real supabase-js against the stand-in (or a real Supabase stack, see
// test/support/target.ts), one PostgREST behaviour per test. Two scratch tables give the filter
// tests booleans, NULLs and commas to work with; the notification tests use the real schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SupabaseClient } from '@supabase/supabase-js';
import { signJwt } from '../../supabase/local/jwt.js';
import { Fixtures, type Agent } from '../support/fixtures.js';
import { nodeClient, startTarget, type Target } from '../support/target.js';

let target: Target;
let fixtures: Fixtures;
let anon: SupabaseClient;
let service: SupabaseClient;
let ann: Agent;
let bob: Agent;
let annClient: SupabaseClient;
let bobClient: SupabaseClient;
let conversationId: string;

// id | n    | flag  | label
const PROBE_ROWS = `(1, 10, true, 'alpha'), (2, 20, false, 'Beta'), (3, null, null, 'gamma, delta'),
  (4, 40, true, null), (5, 50, false, 'alphabet')`;

before(async () => {
  target = await startTarget();
  fixtures = new Fixtures(target);
  anon = nodeClient(target);
  service = nodeClient(target, target.serviceRoleKey);
  await fixtures.db.query(`
    drop table if exists public.rest_probe, public.rest_writes, public.rest_upserts;
    create table public.rest_probe (id int primary key, n int, flag boolean, label text);
    insert into public.rest_probe values ${PROBE_ROWS};
    create table public.rest_writes (id int primary key, label text not null default 'untitled', n int default 7);
    create table public.rest_upserts (id int primary key, code text unique, n int);
    grant all on public.rest_probe, public.rest_writes, public.rest_upserts to anon, authenticated, service_role;
    create or replace function public.rest_probe_from(min_id int) returns setof public.rest_probe
      language sql stable as 'select * from public.rest_probe where id >= min_id order by id';
    create or replace function public.rest_probe_one(probe_id int) returns public.rest_probe
      language sql stable as 'select * from public.rest_probe where id = probe_id';
    create or replace function public.rest_add(a int, b int default 1) returns int
      language sql immutable as 'select a + b';
    create or replace function public.rest_touch(probe_id int) returns void
      language sql as 'update public.rest_writes set n = n where id = probe_id';`);

  const accountId = await fixtures.account('REST account');
  ann = await fixtures.agent(accountId, 'Ann');
  bob = await fixtures.agent(accountId, 'Bob');
  annClient = fixtures.clientWithToken(ann);
  bobClient = fixtures.clientWithToken(bob);
  const contactId = await fixtures.contact(accountId, 'Dana');
  // Ann gets three notifications, Bob one (the assignment trigger writes them).
  for (const agent of [ann, ann, ann, bob]) {
    conversationId = await fixtures.conversation(accountId, contactId);
    await fixtures.assign(conversationId, agent.id);
  }
});

after(async () => {
  await fixtures?.db.query(`drop function if exists public.rest_probe_from(int), public.rest_probe_one(int),
    public.rest_add(int, int), public.rest_touch(int);
    drop table if exists public.rest_probe, public.rest_writes, public.rest_upserts`);
  await fixtures?.end();
  await target?.stop();
});

/** A raw request, for what supabase-js does not expose (headers) or would never send. */
async function rest(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${target.url}/rest/v1/${path}`, {
    ...init,
    headers: { apikey: target.anonKey, Authorization: `Bearer ${target.anonKey}`, ...init.headers },
  });
}

const ids = (rows: Array<{ id: number }> | null) => (rows ?? []).map((row) => row.id);
const sortedIds = (rows: Array<{ id: number }> | null) => ids(rows).sort((a, b) => a - b);

async function probeCount(): Promise<number> {
  const { rows } = await fixtures.db.query<{ count: string }>('select count(*) from public.rest_probe');
  return Number(rows[0]!.count);
}

// ---------------------------------------------------------------------------------------------
// Select lists

test('select returns only the listed columns, with aliases and casts', async () => {
  const { data, error } = await anon.from('rest_probe').select('id, number:n, label::text, flag').eq('id', 1);
  assert.equal(error, null);
  assert.deepEqual(data, [{ id: 1, number: 10, label: 'alpha', flag: true }]);
});

test('a cast changes the JSON type of a column', async () => {
  const { data } = await anon.from('rest_probe').select('n::text').eq('id', 2);
  assert.deepEqual(data, [{ n: '20' }]);
});

test('select * returns every column with PostgREST JSON types', async () => {
  const { data } = await anon.from('rest_probe').select('*').eq('id', 3);
  assert.deepEqual(data, [{ id: 3, n: null, flag: null, label: 'gamma, delta' }]);
});

test('embedding a related resource is refused with a clear 400', async () => {
  const { error, status } = await anon.from('rest_probe').select('id, accounts(name)');
  assert.equal(status, 400);
  // A real PostgREST embeds when a foreign key exists (there is none here: PGRST200); the
  // stand-in does not embed at all and says so.
  if (target.local) assert.match(error?.details ?? '', /not supported/);
});

// ---------------------------------------------------------------------------------------------
// Filters: one test per operator, each against the same five rows.

type Query = ReturnType<ReturnType<SupabaseClient['from']>['select']>;
const filterCases: Array<[string, (query: Query) => Query, number[]]> = [
  ['eq', (q) => q.eq('n', 20), [2]],
  ['neq (NULL never matches)', (q) => q.neq('n', 20), [1, 4, 5]],
  ['gt', (q) => q.gt('n', 20), [4, 5]],
  ['gte', (q) => q.gte('n', 20), [2, 4, 5]],
  ['lt', (q) => q.lt('n', 40), [1, 2]],
  ['lte', (q) => q.lte('n', 40), [1, 2, 4]],
  ['like is case-sensitive, % matches any text', (q) => q.like('label', 'alpha%'), [1, 5]],
  ['like accepts * as the wildcard', (q) => q.like('label', '*bet'), [5]],
  ['ilike ignores case', (q) => q.ilike('label', 'BETA'), [2]],
  ['is null', (q) => q.is('label', null), [4]],
  ['is true', (q) => q.is('flag', true), [1, 4]],
  ['is false', (q) => q.is('flag', false), [2, 5]],
  ['is unknown', (q) => q.filter('flag', 'is', 'unknown'), [3]],
  ['in with a quoted value containing a comma', (q) => q.in('label', ['alpha', 'gamma, delta']), [1, 3]],
  ['in with numbers', (q) => q.in('n', [10, 50]), [1, 5]],
  ['in with an empty list matches nothing', (q) => q.in('n', []), []],
  ['not.eq', (q) => q.not('n', 'eq', 20), [1, 4, 5]],
  ['not.in', (q) => q.not('n', 'in', '(10,20)'), [4, 5]],
  ['not.is null', (q) => q.not('label', 'is', null), [1, 2, 3, 5]],
  ['match (regular expression)', (q) => q.match({ id: 1 }).filter('label', 'match', '^al'), [1]],
  ['or', (q) => q.or('n.eq.10,label.eq.Beta'), [1, 2]],
  ['or with a quoted value containing a comma', (q) => q.or('label.eq."gamma, delta",n.eq.50'), [3, 5]],
  ['or with a nested and', (q) => q.or('and(n.gte.40,flag.is.true),id.eq.2'), [2, 4]],
  ['and with a nested not.or', (q) => q.filter('flag', 'not.is', null).or('n.lt.15,label.ilike.*bet'), [1, 5]],
  ['repeated filters AND together', (q) => q.gt('n', 10).lt('n', 50), [2, 4]],
  ['two or parameters AND together', (q) => q.or('id.eq.1,id.eq.2').or('id.eq.2,id.eq.3'), [2]],
];

for (const [name, apply, expected] of filterCases) {
  test(`filter: ${name}`, async () => {
    const { data, error } = await apply(anon.from('rest_probe').select('id'));
    assert.equal(error, null);
    assert.deepEqual(sortedIds(data as Array<{ id: number }>), expected);
  });
}

test('filter: and= with not.or inside, via the query string', async () => {
  const response = await rest('rest_probe?select=id&and=(n.gte.10,not.or(id.eq.1,id.eq.2))&order=id');
  assert.equal(response.status, 200);
  assert.deepEqual(ids(await response.json()), [4, 5]);
});

test('a value that does not fit the column type is a 400 from Postgres (22P02)', async () => {
  const { error, status } = await anon.from('rest_probe').select('id').eq('n', 'ten');
  assert.equal(status, 400);
  assert.equal(error?.code, '22P02');
});

test('an unknown operator is a 400 parse error', async () => {
  const response = await rest('rest_probe?n=near.10');
  assert.equal(response.status, 400);
  assert.equal((await response.json()).code, 'PGRST100');
});

// ---------------------------------------------------------------------------------------------
// Order, limit, offset, range

// Postgres puts NULLs last ascending and first descending: these ask for the opposite.
test('order descending with nulls last', async () => {
  const { data } = await anon.from('rest_probe').select('id').order('n', { ascending: false, nullsFirst: false });
  assert.deepEqual(ids(data), [5, 4, 2, 1, 3]);
});

test('order ascending with nulls first, then by a second column', async () => {
  const { data } = await anon
    .from('rest_probe')
    .select('id')
    .order('flag', { ascending: true, nullsFirst: true })
    .order('id', { ascending: false });
  assert.deepEqual(ids(data), [3, 5, 2, 4, 1]);
});

test('one response carries at most 1,000 rows (max_rows); the count still says how many match', async () => {
  await fixtures.db.query(`create table if not exists public.rest_many as select g as id from generate_series(1, 1200) g;
    grant select on public.rest_many to anon;`);
  try {
    const { data, count, status } = await anon.from('rest_many').select('id', { count: 'exact' }).order('id');
    assert.equal(data!.length, 1000);
    assert.equal(count, 1200);
    assert.equal(status, 206);
    const next = await anon.from('rest_many').select('id').order('id').range(1000, 1999);
    assert.deepEqual(ids(next.data as { id: number }[]).slice(0, 2), [1001, 1002]);
    assert.equal(next.data!.length, 200);
  } finally {
    await fixtures.db.query('drop table if exists public.rest_many');
  }
});

test('limit returns the first rows of the order', async () => {
  const { data } = await anon.from('rest_probe').select('id').order('id').limit(2);
  assert.deepEqual(ids(data), [1, 2]);
});

test('range(from, to) pages with offset and limit', async () => {
  const { data } = await anon.from('rest_probe').select('id').order('id').range(1, 3);
  assert.deepEqual(ids(data), [2, 3, 4]);
});

test('a Range header pages like limit/offset', async () => {
  const response = await rest('rest_probe?select=id&order=id', { headers: { Range: '3-4' } });
  assert.deepEqual(ids(await response.json()), [4, 5]);
  assert.equal(response.headers.get('content-range'), '3-4/*');
});

// ---------------------------------------------------------------------------------------------
// Counts and Content-Range

test('count=exact on a partial page: the total, status 206', async () => {
  const { data, count, status } = await anon.from('rest_probe').select('id', { count: 'exact' }).order('id').range(0, 1);
  assert.equal(count, 5);
  assert.equal(status, 206);
  assert.deepEqual(ids(data), [1, 2]);
});

test('count=exact on a complete result: status 200', async () => {
  const { count, status } = await anon.from('rest_probe').select('id', { count: 'exact' }).gt('n', 30);
  assert.equal(count, 2);
  assert.equal(status, 200);
});

test('head: true returns the count and no rows', async () => {
  const { data, count, status } = await anon.from('rest_probe').select('*', { count: 'exact', head: true }).is('flag', true);
  assert.equal(count, 2);
  assert.equal(data, null);
  assert.equal(status, 200);
});

test('Content-Range is 0-1/5 for two rows of five counted', async () => {
  const response = await rest('rest_probe?select=id&order=id&limit=2', { headers: { Prefer: 'count=exact' } });
  assert.equal(response.status, 206);
  assert.equal(response.headers.get('content-range'), '0-1/5');
});

test('Content-Range is */0 when a count finds nothing', async () => {
  const response = await rest('rest_probe?select=id&n=gt.1000', { headers: { Prefer: 'count=exact' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-range'), '*/0');
  assert.deepEqual(await response.json(), []);
});

test('Content-Range is sent without a count too (0-4/*)', async () => {
  const response = await rest('rest_probe?select=id');
  assert.equal(response.headers.get('content-range'), '0-4/*');
});

test('HEAD answers with headers and an empty body', async () => {
  const response = await rest('rest_probe?select=id', { method: 'HEAD', headers: { Prefer: 'count=exact' } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-range'), '0-4/5');
  assert.equal(await response.text(), '');
});

test('an offset beyond the counted rows is 416', async () => {
  const response = await rest('rest_probe?select=id&offset=10', { headers: { Prefer: 'count=exact' } });
  assert.equal(response.status, 416);
  assert.equal((await response.json()).code, 'PGRST103');
});

// ---------------------------------------------------------------------------------------------
// Single objects

test('single() returns one object', async () => {
  const { data, error } = await anon.from('rest_probe').select('id, label').eq('id', 2).single();
  assert.equal(error, null);
  assert.deepEqual(data, { id: 2, label: 'Beta' });
});

test('single() over several rows is 406 PGRST116 with the row count', async () => {
  const { data, error, status } = await anon.from('rest_probe').select('id').single();
  assert.equal(status, 406);
  assert.equal(data, null);
  assert.equal(error?.code, 'PGRST116');
  assert.equal(error?.details, 'The result contains 5 rows');
});

test('single() over no row is 406 PGRST116', async () => {
  const { error, status } = await anon.from('rest_probe').select('id').eq('id', 999).single();
  assert.equal(status, 406);
  assert.equal(error?.details, 'The result contains 0 rows');
});

test('maybeSingle() over no row is null without an error', async () => {
  const { data, error } = await anon.from('rest_probe').select('id').eq('id', 999).maybeSingle();
  assert.equal(error, null);
  assert.equal(data, null);
});

test('maybeSingle() over one row is that row', async () => {
  const { data } = await anon.from('rest_probe').select('id').eq('id', 4).maybeSingle();
  assert.deepEqual(data, { id: 4 });
});

// ---------------------------------------------------------------------------------------------
// Writes (rest_writes; every test uses its own ids)

async function writesRow(id: number) {
  const { rows } = await fixtures.db.query('select id, label, n from public.rest_writes where id = $1', [id]);
  return rows[0];
}

test('insert with return=minimal: 201 and no body, the row is stored', async () => {
  const { data, error, status } = await anon.from('rest_writes').insert({ id: 1, label: 'one' });
  assert.equal(error, null);
  assert.equal(status, 201);
  assert.equal(data, null);
  assert.deepEqual(await writesRow(1), { id: 1, label: 'one', n: 7 });
});

test('insert of an array with select() returns the stored rows', async () => {
  const { data, status } = await anon
    .from('rest_writes')
    .insert([{ id: 10, label: 'ten' }, { id: 11, label: 'eleven', n: 1 }])
    .select('id, label, n');
  assert.equal(status, 201);
  assert.deepEqual(data, [{ id: 10, label: 'ten', n: null }, { id: 11, label: 'eleven', n: 1 }]);
});

test('insert with defaultToNull: false gives missing columns their defaults', async () => {
  const { error } = await anon.from('rest_writes').insert([{ id: 20, label: 'twenty' }, { id: 21 }], { defaultToNull: false });
  assert.equal(error, null);
  assert.deepEqual(await writesRow(21), { id: 21, label: 'untitled', n: 7 });
});

test('insert of an array sends NULL for a missing NOT NULL column: 400 23502', async () => {
  const { error, status } = await anon.from('rest_writes').insert([{ id: 30, label: 'x' }, { id: 31 }]);
  assert.equal(status, 400);
  assert.equal(error?.code, '23502');
  assert.equal(await writesRow(30), undefined, 'the whole insert is rolled back');
});

test('insert of a duplicate key is 409 23505', async () => {
  await anon.from('rest_writes').insert({ id: 40, label: 'first' });
  const { error, status } = await anon.from('rest_writes').insert({ id: 40, label: 'second' });
  assert.equal(status, 409);
  assert.equal(error?.code, '23505');
});

test('insert of an empty object stores a row of defaults', async () => {
  await fixtures.db.query('alter table public.rest_writes alter column id set default 80');
  try {
    const { data, error } = await anon.from('rest_writes').insert({}).select();
    assert.equal(error, null);
    assert.deepEqual(data, [{ id: 80, label: 'untitled', n: 7 }]);
  } finally {
    await fixtures.db.query('alter table public.rest_writes alter column id drop default');
  }
});

test('insert with an unknown column is 400 PGRST204', async () => {
  const { error, status } = await anon.from('rest_writes').insert({ id: 41, colour: 'red' });
  assert.equal(status, 400);
  assert.equal(error?.code, 'PGRST204');
});

test('upsert merges duplicates into the existing row', async () => {
  await anon.from('rest_writes').insert({ id: 50, label: 'old', n: 1 });
  const { data, error } = await anon.from('rest_writes').upsert({ id: 50, label: 'new', n: 2 }).select();
  assert.equal(error, null);
  assert.deepEqual(data, [{ id: 50, label: 'new', n: 2 }]);
  assert.deepEqual(await writesRow(50), { id: 50, label: 'new', n: 2 });
});

test('upsert with ignoreDuplicates keeps the existing row', async () => {
  await anon.from('rest_writes').insert({ id: 51, label: 'kept' });
  const { data, error } = await anon.from('rest_writes').upsert({ id: 51, label: 'ignored' }, { ignoreDuplicates: true }).select();
  assert.equal(error, null);
  assert.deepEqual(data, []);
  assert.equal((await writesRow(51))?.label, 'kept');
});

test('upsert with onConflict on another unique column', async () => {
  await anon.from('rest_upserts').insert({ id: 1, code: 'by-code', n: 1 });
  const { error } = await anon.from('rest_upserts').upsert({ id: 1, code: 'by-code', n: 9 }, { onConflict: 'code' });
  assert.equal(error, null);
  const { rows } = await fixtures.db.query('select id, code, n from public.rest_upserts');
  assert.deepEqual(rows, [{ id: 1, code: 'by-code', n: 9 }]);
});

test('update changes only the filtered rows (204 by default)', async () => {
  await anon.from('rest_writes').insert([{ id: 60, label: 'a60' }, { id: 61, label: 'a61' }]);
  const { status, error } = await anon.from('rest_writes').update({ n: 100 }).eq('id', 60);
  assert.equal(error, null);
  assert.equal(status, 204);
  assert.equal((await writesRow(60))?.n, 100);
  assert.equal((await writesRow(61))?.n, 7);
});

test('update with select() returns the changed rows and a count', async () => {
  await anon.from('rest_writes').insert([{ id: 62, label: 'a62' }, { id: 63, label: 'a63' }]);
  const { data, status, count } = await anon
    .from('rest_writes')
    .update({ n: 5 }, { count: 'exact' })
    .in('id', [62, 63])
    .select('id, n')
    .order('id');
  assert.equal(status, 200);
  assert.equal(count, 2);
  assert.deepEqual(data, [{ id: 62, n: 5 }, { id: 63, n: 5 }]);
});

test('update().single() of several rows is 406 and changes nothing', async () => {
  await anon.from('rest_writes').insert([{ id: 64, label: 'a64' }, { id: 65, label: 'a65' }]);
  const { error, status } = await anon.from('rest_writes').update({ n: 0 }).in('id', [64, 65]).select().single();
  assert.equal(status, 406);
  assert.equal(error?.code, 'PGRST116');
  assert.equal((await writesRow(64))?.n, 7);
});

test('delete removes only the filtered rows', async () => {
  await anon.from('rest_writes').insert([{ id: 70, label: 'a70' }, { id: 71, label: 'a71' }]);
  const { status, error } = await anon.from('rest_writes').delete().eq('id', 70);
  assert.equal(error, null);
  assert.equal(status, 204);
  assert.equal(await writesRow(70), undefined);
  assert.ok(await writesRow(71));
});

test('delete with select() returns the deleted rows', async () => {
  await anon.from('rest_writes').insert({ id: 72, label: 'a72' });
  const { data, status } = await anon.from('rest_writes').delete().eq('id', 72).select('id, label');
  assert.equal(status, 200);
  assert.deepEqual(data, [{ id: 72, label: 'a72' }]);
});

// ---------------------------------------------------------------------------------------------
// Notifications: RLS, column privileges, the RPC

test('RLS: each user sees only their own notifications', async () => {
  const annRows = await annClient.from('notifications').select('user_id');
  const bobRows = await bobClient.from('notifications').select('user_id');
  assert.equal(annRows.data?.length, 3);
  assert.ok(annRows.data?.every((row) => row.user_id === ann.id));
  assert.deepEqual(bobRows.data, [{ user_id: bob.id }]);
});

test('RLS: a filter on another user id returns 200 []', async () => {
  const { data, status } = await annClient.from('notifications').select('id').eq('user_id', bob.id);
  assert.equal(status, 200);
  assert.deepEqual(data, []);
});

test('anon cannot read notifications: 401 42501', async () => {
  const { data, error, status } = await anon.from('notifications').select('id');
  assert.equal(status, 401);
  assert.equal(error?.code, '42501');
  assert.equal(data, null);
});

test('a column the role may not update is 403 42501 for a signed-in user', async () => {
  const { error, status } = await annClient.from('notifications').update({ title: 'changed' }).eq('user_id', ann.id);
  assert.equal(status, 403);
  assert.equal(error?.code, '42501');
});

test('the same update as anon is 401', async () => {
  const { status, error } = await anon.from('notifications').update({ title: 'changed' }).eq('user_id', ann.id);
  assert.equal(status, 401);
  assert.equal(error?.code, '42501');
});

test("RLS: updating another user's notification affects 0 rows", async () => {
  const { data, error } = await annClient.from('notifications').update({ read_at: new Date().toISOString() }).eq('user_id', bob.id).select();
  assert.equal(error, null);
  assert.deepEqual(data, []);
  const { rows } = await fixtures.db.query('select read_at from public.notifications where user_id = $1', [bob.id]);
  assert.equal(rows[0].read_at, null);
});

test('rpc mark_notifications_read with ids marks those and returns the count', async () => {
  const { data: unread } = await bobClient.from('notifications').select('id').is('read_at', null);
  const { data, error, status } = await bobClient.rpc('mark_notifications_read', { ids: [unread![0]!.id] });
  assert.equal(error, null);
  assert.equal(status, 200);
  assert.equal(data, 1);
  const { count } = await bobClient.from('notifications').select('*', { count: 'exact', head: true }).is('read_at', null);
  assert.equal(count, 0);
});

test('rpc mark_notifications_read without ids marks every unread one of the caller', async () => {
  const { data, error } = await annClient.rpc('mark_notifications_read');
  assert.equal(error, null);
  assert.equal(data, 3);
  const again = await annClient.rpc('mark_notifications_read');
  assert.equal(again.data, 0);
});

test('rpc as anon is 401 (no EXECUTE privilege)', async () => {
  const { error, status } = await anon.rpc('mark_notifications_read');
  assert.equal(status, 401);
  assert.equal(error?.code, '42501');
});

test('rpc of an unknown function is 404 PGRST202', async () => {
  const { error, status } = await annClient.rpc('no_such_function', { a: 1 });
  assert.equal(status, 404);
  assert.equal(error?.code, 'PGRST202');
});

test('rpc of a volatile function through GET runs read-only: 405 25006', async () => {
  const { error, status } = await annClient.rpc('mark_notifications_read', {}, { get: true });
  assert.equal(status, 405);
  assert.equal(error?.code, '25006');
});

test('rpc of a SETOF function returns an array, and filters and order apply to it', async () => {
  const { data, error } = await anon.rpc('rest_probe_from', { min_id: 2 }).select('id').neq('id', 3).order('id', { ascending: false });
  assert.equal(error, null);
  assert.deepEqual(data, [{ id: 5 }, { id: 4 }, { id: 2 }]);
});

test('rpc of a SETOF function with count=exact and a range', async () => {
  const { data, count, status } = await anon.rpc('rest_probe_from', { min_id: 1 }, { count: 'exact' }).select('id').range(0, 1);
  assert.equal(count, 5);
  assert.equal(status, 206);
  assert.deepEqual(ids(data as Array<{ id: number }>), [1, 2]);
});

test('rpc of a function returning one row returns an object', async () => {
  const { data } = await anon.rpc('rest_probe_one', { probe_id: 2 });
  assert.deepEqual(data, { id: 2, n: 20, flag: false, label: 'Beta' });
});

test('rpc through GET passes query arguments; a parameter default applies', async () => {
  const { data, error } = await anon.rpc('rest_add', { a: 41 }, { get: true });
  assert.equal(error, null);
  assert.equal(data, 42);
});

test('rpc with an argument the function does not take is 404 PGRST202', async () => {
  const { error, status } = await anon.rpc('rest_add', { a: 1, c: 2 });
  assert.equal(status, 404);
  assert.equal(error?.code, 'PGRST202');
});

test('rpc of a void function is 204 with no data', async () => {
  const { data, error, status } = await anon.rpc('rest_touch', { probe_id: 1 });
  assert.equal(error, null);
  assert.equal(status, 204);
  assert.equal(data, null);
});

// ---------------------------------------------------------------------------------------------
// Errors and statuses

test('a CHECK violation is 400 23514 (service role)', async () => {
  const { error, status } = await service.from('conversations').update({ status: 'bogus' }).eq('id', conversationId);
  assert.equal(status, 400);
  assert.equal(error?.code, '23514');
});

test('an unknown table is 404 PGRST205', async () => {
  const { error, status } = await anon.from('no_such_table').select('*');
  assert.equal(status, 404);
  assert.equal(error?.code, 'PGRST205');
});

test('an unknown column is 400 42703', async () => {
  const { error, status } = await anon.from('rest_probe').select('id, colour');
  assert.equal(status, 400);
  assert.equal(error?.code, '42703');
  assert.equal(error?.message, 'column rest_probe.colour does not exist');
});

test('a schema that is not exposed is 406 PGRST106', async () => {
  const { error, status } = await service.schema('auth').from('users').select('id');
  assert.equal(status, 406);
  assert.equal(error?.code, 'PGRST106');
});

test('the gateway refuses a request with no API key, or with a key that is not the project’s, before PostgREST', async () => {
  const missing = await fetch(`${target.url}/rest/v1/rest_probe`);
  assert.equal(missing.status, 401);
  assert.equal(((await missing.json()) as { message: string }).message, 'No API key found in request');
  // supabase-js made with a mistyped key (whatever JWT it then sends): refused by the gateway.
  const mistyped = nodeClient(target, `${target.anonKey}x`);
  const { error, status } = await mistyped.from('rest_probe').select('id');
  assert.equal(status, 401);
  assert.equal(error?.message, 'Invalid API key');
  assert.match(String(error?.hint), /anon.*service_role/);
});

test('an expired JWT is 401 PGRST303', async () => {
  const expired = fixtures.clientWithToken(ann, () => fixtures.token(ann, -60));
  const { error, status } = await expired.from('notifications').select('id');
  assert.equal(status, 401);
  assert.equal(error?.code, 'PGRST303');
  assert.equal(error?.message, 'JWT expired');
});

test('a JWT signed with another secret is 401 PGRST301', async () => {
  const forged = signJwt({ sub: ann.id, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 60 }, 'not-the-secret-not-the-secret-not-the-secret');
  const forgedClient = fixtures.clientWithToken(ann, () => forged);
  const { error, status } = await forgedClient.from('notifications').select('id');
  assert.equal(status, 401);
  assert.equal(error?.code, 'PGRST301');
});

test('a JWT whose role does not exist is 401', async () => {
  const token = signJwt({ role: 'nobody_at_all', exp: Math.floor(Date.now() / 1000) + 60 }, target.jwtSecret);
  const response = await rest('rest_probe?select=id', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).code, '22023');
});

// ---------------------------------------------------------------------------------------------
// Hostile input: a 400 (or 404), and the database unchanged

const hostile: Array<[string, string]> = [
  ['a statement after a select column', 'rest_probe?select=id;drop table public.rest_probe'],
  ['a comment in order', 'rest_probe?order=id;--'],
  ['a quote in a select column', `rest_probe?select=id,"x""; delete from public.rest_probe; --"`],
  ['a quote in a filter column', `rest_probe?${encodeURIComponent('id"; delete from public.rest_probe; --')}=eq.1`],
  ['a subquery as a column', 'rest_probe?select=(select 1)'],
  ['a function call in order', 'rest_probe?order=pg_sleep(1)'],
  ['a cast to a made-up type expression', 'rest_probe?select=id::int);drop table public.rest_probe;--'],
];

for (const [name, path] of hostile) {
  test(`hostile input is a 400 and runs nothing: ${name}`, async () => {
    const response = await rest(path, { method: 'GET' });
    assert.equal(response.status, 400, await response.clone().text());
    assert.equal(await probeCount(), 5);
  });
}

test('hostile input: a quote in a value is only a value', async () => {
  const { data, error } = await anon.from('rest_probe').select('id').eq('label', "'; delete from public.rest_probe; --");
  assert.equal(error, null);
  assert.deepEqual(data, []);
  assert.equal(await probeCount(), 5);
});

test('hostile input: a delete whose filter does not parse deletes nothing', async () => {
  const response = await rest('rest_probe?id=eq.1);delete from public.rest_probe;--&or=(id.gt.0', { method: 'DELETE' });
  assert.equal(response.status, 400);
  assert.equal(await probeCount(), 5);
});

test('hostile input: a statement as a table name is 404', async () => {
  const response = await rest(encodeURIComponent('rest_probe; drop table public.rest_probe'));
  assert.equal(response.status, 404);
  assert.equal(await probeCount(), 5);
});
