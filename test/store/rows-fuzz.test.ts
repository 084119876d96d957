// Hostile input at the data source's door (issue 12 §4): what arrives from the wire (PostgREST rows,
// postgres_changes and broadcast payloads) goes through asNotification and changeOf before the
// store sees it. Fuzzed with fast-check: any value at all gives a valid NotificationChange or null,
// never a throw, and never a row whose fields have the wrong types or a timestamp the store cannot
// order; a valid row passes through unchanged.
//
//   FUZZ_RUNS=5000 npm run test:store   inputs per property × 20 (default 20,000)
//   FUZZ_SEED=1234 npm run test:store   replays a run; FUZZ_PATH=<path> its shrunk case alone
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { changeOf, asNotification } from '../../src/data/rows.js';
import { timeKey, type WacrmNotification } from '../../src/notification.js';
import type { NotificationChange } from '../../src/store/notification-source.js';

const asked = Number(process.env.FUZZ_RUNS);
const numRuns = Number.isInteger(asked) && asked > 0 ? asked * 20 : 20_000;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const parameters = {
  seed,
  numRuns,
  includeErrorInReport: true,
  ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH, endOnFailure: true } : {}),
};

const FIELDS: (keyof WacrmNotification)[] = ['id', 'account_id', 'user_id', 'type', 'conversation_id', 'contact_id', 'actor_user_id',
  'title', 'body', 'read_at', 'created_at', 'data', 'seen_at', 'archived_at'];
const TEXT = ['id', 'account_id', 'user_id', 'type', 'title', 'created_at'] as const;
const NULLABLE_TEXT = ['conversation_id', 'contact_id', 'actor_user_id', 'body', 'read_at', 'seen_at', 'archived_at'] as const;
const STAMPS = ['read_at', 'seen_at', 'archived_at', 'created_at'] as const;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What the store relies on: every field of its type, and a created_at it can order by. */
function assertValidRow(row: WacrmNotification): void {
  assert.deepEqual(Object.keys(row).sort(), [...FIELDS].sort(), 'exactly the fields of a notification');
  for (const field of TEXT) assert.equal(typeof row[field], 'string', field);
  for (const field of NULLABLE_TEXT) assert.ok(row[field] === null || typeof row[field] === 'string', `${field}: ${String(row[field])}`);
  assert.ok(row.data === null || isPlainObject(row.data), 'data is an object or null');
  assert.ok(Number.isFinite(timeKey(row.created_at)), `created_at orders: ${row.created_at}`);
}

function assertValidChange(change: NotificationChange): void {
  if (change.type === 'DELETE') assert.equal(typeof change.id, 'string');
  else assertValidRow(change.row);
  if (!('previous' in change) || change.previous === undefined) return;
  assert.ok(isPlainObject(change.previous));
  for (const [key, value] of Object.entries(change.previous)) {
    assert.ok((STAMPS as readonly string[]).includes(key), `previous.${key} is one the counts read`);
    assert.ok(value === null || typeof value === 'string', `previous.${key}`);
  }
  if (change.previous.created_at !== undefined) assert.ok(Number.isFinite(timeKey(change.previous.created_at)), 'previous.created_at orders');
}

// ---------------------------------------------------------------------------------------------
// Generators: valid rows as both transports deliver them, rows with one field gone wrong, anything.

/** Timestamps in the layouts that arrive: PostgREST's, Realtime's (a space), 0 to 6 fractional digits. */
const timestamp = fc
  .tuple(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }), fc.nat(999_999), fc.nat(6), fc.boolean())
  .map(([date, micros, digits, realtime]) => {
    const base = date.toISOString().slice(0, 19);
    const fraction = digits === 0 ? '' : `.${String(micros).padStart(6, '0').slice(0, digits)}`;
    return realtime ? `${base.replace('T', ' ')}${fraction}+00` : `${base}${fraction}+00:00`;
  });

const validRow: fc.Arbitrary<WacrmNotification> = fc.record({
  id: fc.uuid(),
  account_id: fc.uuid(),
  user_id: fc.uuid(),
  type: fc.constantFrom('conversation_assigned', 'message_received', 'deal_updated', 'custom_type'),
  conversation_id: fc.option(fc.uuid(), { nil: null }),
  contact_id: fc.option(fc.uuid(), { nil: null }),
  actor_user_id: fc.option(fc.uuid(), { nil: null }),
  title: fc.string({ unit: 'grapheme', maxLength: 40 }),
  body: fc.option(fc.string({ unit: 'grapheme', maxLength: 80 }), { nil: null }),
  read_at: fc.option(timestamp, { nil: null }),
  created_at: timestamp,
  data: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), { nil: null }),
  seen_at: fc.option(timestamp, { nil: null }),
  archived_at: fc.option(timestamp, { nil: null }),
}).map((row) => JSON.parse(JSON.stringify(row)) as WacrmNotification); // as JSON has it: no -0, no null prototypes

/** JSON objects whose keys name Object.prototype's members, and objects JSON cannot make. */
const ODD_VALUES: unknown[] = [
  { toString: 0 }, { valueOf: null }, JSON.parse('{"__proto__": {"id": "x"}}') as unknown, Object.create(null) as unknown,
  Object.assign(Object.create(null) as object, { id: 'x' }), [], [1], '', 'x', 0, -0, NaN, Infinity, true, null, undefined,
  Symbol('s'), 10n, new Date(Number.NaN), new Date(0), new String('boxed'), new Number(1), () => 'fn', new Map([['id', 'x']]),
  'not a timestamp', '2026-13-45', '2026-12-04T25:61:00Z', '∞', '1e400', ' ', '\u0000',
];

const anything = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true, withObjectString: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true, withUnicodeString: true }) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_VALUES) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

/** A valid row with one field replaced by anything, or removed. */
const nearValidRow = fc.tuple(validRow, fc.constantFrom(...FIELDS, '__proto__', 'extra'), fc.oneof(anything, fc.constant('(removed)'))).map(([row, field, value]) => {
  const copy: Record<string, unknown> = { ...row };
  if (value === '(removed)') delete copy[field];
  else Object.defineProperty(copy, field, { value, enumerable: true, configurable: true, writable: true });
  return copy;
});

const wireValue = fc.oneof(
  { weight: 3, arbitrary: nearValidRow },
  { weight: 2, arbitrary: validRow },
  { weight: 2, arbitrary: anything },
);

const operation = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('INSERT', 'UPDATE', 'DELETE') },
  { weight: 1, arbitrary: fc.constantFrom('insert', 'TRUNCATE', '', null, undefined, 1, 'UPDATE ') },
  { weight: 1, arbitrary: anything },
);

// ---------------------------------------------------------------------------------------------

test('asNotification: any value is a notification of the right types, or null, never a throw', (t) => {
  const start = performance.now();
  fc.assert(
    fc.property(wireValue, (value) => {
      const row = asNotification(value);
      if (row !== null) assertValidRow(row);
    }),
    parameters,
  );
  t.diagnostic(`asNotification: ${numRuns} values in ${Math.round(performance.now() - start)} ms (seed ${seed})`);
});

test('changeOf: any operation, record and old record give a valid change, or null, never a throw', (t) => {
  const start = performance.now();
  fc.assert(
    fc.property(operation, wireValue, wireValue, (op, record, old) => {
      const change = changeOf(op, record, old);
      if (change === null) return;
      assert.equal(change.type, op, 'the change is of the operation given');
      assertValidChange(change);
    }),
    parameters,
  );
  t.diagnostic(`changeOf: ${numRuns} changes in ${Math.round(performance.now() - start)} ms (seed ${seed})`);
});

test('a valid row passes unchanged, through JSON and as it is; a valid change keeps what it says', (t) => {
  const start = performance.now();
  fc.assert(
    fc.property(validRow, fc.constantFrom('INSERT', 'UPDATE'), fc.option(validRow, { nil: undefined }), (row, op, previous) => {
      assert.deepEqual(asNotification(row), row);
      assert.deepEqual(asNotification(JSON.parse(JSON.stringify(row)) as unknown), row);
      const change = changeOf(op, row, previous);
      assert.ok(change !== null && change.type === op);
      assert.deepEqual((change as { row: WacrmNotification }).row, row);
      if (op === 'UPDATE' && previous) {
        assert.deepEqual((change as { previous?: unknown }).previous, {
          read_at: previous.read_at, seen_at: previous.seen_at, archived_at: previous.archived_at, created_at: previous.created_at,
        });
      }
      const removed = changeOf('DELETE', null, { id: row.id });
      assert.deepEqual(removed, { type: 'DELETE', id: row.id });
    }),
    parameters,
  );
  t.diagnostic(`valid rows: ${numRuns} rows in ${Math.round(performance.now() - start)} ms (seed ${seed})`);
});

// ---------------------------------------------------------------------------------------------
// What the fuzzing found, each kept as a named case.

const row = (overrides: Record<string, unknown>): Record<string, unknown> => ({
  id: 'n1', account_id: 'a1', user_id: 'u1', type: 'conversation_assigned', conversation_id: null, contact_id: null, actor_user_id: null,
  title: 'Assigned', body: null, read_at: null, created_at: '2026-12-04T12:00:00.123456+00:00', data: null, seen_at: null, archived_at: null,
  ...overrides,
});

test('regression: a row whose created_at is no timestamp is not a notification (the store would throw ordering it)', () => {
  // Found by the asNotification property: any string passed, and timeKey() throws on it when the
  // store sorts the list or compares a moved-up row.
  for (const created_at of ['', ' ', 'not a timestamp', '∞', '2026-13-45']) {
    assert.equal(asNotification(row({ created_at })), null, created_at);
    assert.equal(changeOf('INSERT', row({ created_at }), null), null);
  }
  // The old row's created_at is only what the counts compare: dropped when it is none.
  const change = changeOf('UPDATE', row({}), { id: 'n1', read_at: null, created_at: 'yesterday-ish' });
  assert.deepEqual(change && 'previous' in change ? change.previous : undefined, { read_at: null });
  assert.equal(asNotification(row({ created_at: '2026-12-04 12:00:00.5+00' }))?.created_at, '2026-12-04 12:00:00.5+00');
});

test('regression: an account_id or type that cannot become text makes no row, and throws nothing', () => {
  // Found by the changeOf property: String({"toString": 0}) throws; other objects became
  // "[object Object]". Absent ones still read as before (a writer's row before the migration).
  for (const bad of [{ toString: 0 }, Object.create(null) as unknown, {}, 7, ['a']]) {
    assert.equal(asNotification(row({ account_id: bad })), null);
    assert.equal(asNotification(row({ type: bad })), null);
    assert.doesNotThrow(() => changeOf('UPDATE', row({ type: bad }), row({})));
  }
  const { account_id: _account, type: _type, ...older } = row({});
  assert.deepEqual([asNotification(older)?.account_id, asNotification(older)?.type], ['', 'conversation_assigned']);
});
