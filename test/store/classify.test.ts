// What an integrator reads when a request fails: the data source's classification of PostgREST,
// gateway and network failures into the documented codes, with a message that says what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../src/data/supabase-source.js';

test('a failed read over the network promises the retry the store makes; a failed write does not', () => {
  const offline = { message: 'TypeError: Failed to fetch' };
  const read = classify(offline, 'Loading notifications');
  assert.equal(read.code, 'network');
  assert.match(read.message, /^Loading notifications: could not reach Supabase \(TypeError: Failed to fetch\)\. It is tried again by itself/);
  const write = classify(offline, 'Marking notifications read', 'write');
  assert.equal(write.code, 'network');
  assert.match(write.message, /Nothing was changed; try again\.$/);
  assert.doesNotMatch(write.message, /tried again by itself|retry/);
});

test('a key the gateway refuses says to check the anon key', () => {
  const error = classify({ message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' }, 'Loading notifications');
  assert.equal(error.code, 'permission-denied');
  assert.match(error.message, /Supabase refused the API key \(Invalid API key\)\. Check the anon key given to createClient\(\) \(or supabase-key\)/);
});

test('a missing table or function points at the migration', () => {
  for (const code of ['PGRST205', 'PGRST202', '42P01', '42883']) {
    const error = classify({ code, message: 'relation "public.notifications" does not exist' }, 'Loading notifications');
    assert.equal(error.code, 'migration-missing');
    assert.match(error.message, /027_notifications\.sql/);
  }
});

test('an expired session and a refused row are told apart', () => {
  assert.equal(classify({ code: 'PGRST303', message: 'JWT expired' }, 'x').code, 'session-expired');
  assert.equal(classify({ code: '42501', message: 'permission denied for table notifications' }, 'x').code, 'permission-denied');
  assert.equal(classify({ code: 'XX000', message: 'something else' }, 'x').code, 'unknown');
});
