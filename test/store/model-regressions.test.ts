// Every case the model test (model.test.ts) found, as it shrank it, replayed step by step in the
// same world (model-world.ts): rows are a01, a02… (b… for the second user) at t+seconds; `run`
// lets the store's pending request at that index reach the database, `answer` brings its answer
// back, `deliver` hands the store a queued realtime change. Each ends as the model test does: every
// request answered, every change delivered, timers fired, then the store against the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { play, World, type RowSeed, type Step, type Whose } from './model-world.js';

const row = (fields: Partial<RowSeed> = {}): RowSeed => ({ read: false, seen: false, archived: false, message: false, tie: false, ...fields });
const none: RowSeed[] = [];

type InsertFields = Partial<{ whose: Whose; read: boolean; seen: boolean; message: boolean; back: number }>;
const insert = (fields: InsertFields = {}): Step => ({ kind: 'insert', whose: 'mine', read: false, seen: false, message: false, back: 0, ...fields });
const elsewhere = (pick: number, to: 'read' | 'unread' | 'seen' | 'archived' | 'restored'): Step => ({ kind: 'change', whose: 'mine', pick, to });
const coalesce = (pick: number): Step => ({ kind: 'coalesce', whose: 'mine', pick });
const remove = (pick: number): Step => ({ kind: 'delete', whose: 'mine', pick });
const run = (pick = 0, { fault = 'none', answer = true }: { fault?: 'none' | 'fail' | 'lost'; answer?: boolean } = {}): Step => ({ kind: 'run', pick, fault, answer });
const answer = (pick = 0): Step => ({ kind: 'answer', pick });
const deliver = (pick = 0, { bare = false, again = false } = {}): Step => ({ kind: 'deliver', pick, bare, again });
const tick = (pick = 0): Step => ({ kind: 'tick', pick });
const markAllRead: Step = { kind: 'markAllRead' };
const markSeen = (count: number | null): Step => ({ kind: 'markSeen', count });
const archive = (pick: number): Step => ({ kind: 'archive', pick });
const archiveRead: Step = { kind: 'archiveRead' };
const loadMore: Step = { kind: 'loadMore', view: 'inbox' };
const openArchive: Step = { kind: 'openArchive' };
const catchUp: Step = { kind: 'catchUp' };
const switchUser: Step = { kind: 'switchUser' };
const leave: Step = { kind: 'leave' };
const comeBack: Step = { kind: 'return' };
const disconnect: Step = { kind: 'disconnect' };
const reconnect: Step = { kind: 'reconnect' };

test('the rows beyond stay counted when the window holds none of its rows any more', async () => {
  // a02 (read) is the window, a01 (unread) beyond it. Archiving the read rows empties the window;
  // the recount then took "no oldest row held" for "nothing beyond" and counted 0.
  await play({ pageSize: 1, start: 'loading', rows: [none, none] }, [
    insert({ back: 1 }),
    insert({ read: true }),
    run(), // the first page: a02, and a01 says there is more
    run(), // the count beyond a02: a01
    archiveRead,
    deliver(3, { bare: true }), // a02's INSERT, late
  ]);
});
