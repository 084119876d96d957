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

test('an archive whose first load was cancelled (the element left) loads when the inbox catches up', async () => {
  // Shown once, then the element left before the archive's load landed: the inbox's catch-up
  // skipped an archive still "loading", and the panel asks only once per user.
  await play({ pageSize: 1, start: 'loading', rows: [none, none] }, [run(0, { answer: false }), answer(0), openArchive, leave]);
});

test('changes replayed after the inbox’s load are not replayed into the archive, which has loaded since', async () => {
  // a01's INSERT arrived during the inbox's catch-up; the archive got it then, and later loaded
  // a01 archived. The inbox's replay handed it the INSERT again: a01 left the archive.
  await play({ pageSize: 1, start: 'loading', rows: [none, none] }, [
    insert({ back: 1 }),
    elsewhere(0, 'archived'),
    catchUp,
    run(), // the first page
    deliver(0), // a01's INSERT, queued behind the catch-up
    disconnect, // a01's archiving is lost with the socket
    run(0, { answer: false }), // the catch-up's page
    openArchive,
  ]);
});

test('changes from before a load began are not replayed after it', async () => {
  // a01's INSERT arrived while the first load waited, the element left, and the load after its
  // return replayed the INSERT over the coalesced row it read: a01 back at its old time.
  await play({ pageSize: 1, start: 'loading', rows: [none, none] }, [insert({ message: true }), coalesce(0), deliver(0), leave]);
});

test('a failed archive does not undo what a catch-up has shown since (the write happened, its answer and echo lost)', async () => {
  await play({ pageSize: 1, start: 'loading', rows: [none, none] }, [
    run(),
    insert(),
    deliver(0),
    disconnect,
    archive(0),
    run(0, { fault: 'lost', answer: false }), // archived, but the store will hear an error
  ]);
});

test('an optimistic archive is not replayed over the archive’s load: the row was deleted meanwhile', async () => {
  // a01 was deleted while the element was away; archived from the list not yet caught up, it was
  // replayed into the freshly loaded archive, where the write (0 rows changed) never removed it.
  await play({ pageSize: 1, start: 'loading', rows: [[row()], none] }, [run(), leave, remove(0), comeBack, openArchive, archive(0)]);
});

test('a page of loadMore read before a catch-up landed is read again', async () => {
  // The page read a01 unread; mark-all read it, the echoes were lost, the catch-up landed, and
  // then the page: a01 unread for good.
  await play({ pageSize: 1, start: 'loading', rows: [[row(), row()], none] }, [
    run(),
    run(0, { answer: false }),
    answer(0),
    loadMore,
    markAllRead,
    disconnect,
    run(0, { answer: false }), // the page after a02
    run(), // mark_notifications_read(null)
  ]);
});

test('a failed archive does not undo what its echo has shown (the write happened, its answer lost)', async () => {
  const world = await World.start({ pageSize: 1, start: 'loading', rows: [none, none] });
  try {
    for (const step of [run(), insert(), deliver(0), archive(0), run(0, { fault: 'lost', answer: false }), deliver(0), answer(0)]) {
      await world.step(step);
    }
    // The echo said archived before the error arrived: the error puts nothing back.
    assert.deepEqual(world.store.state.items, []);
    await world.settle();
    world.check();
  } finally {
    world.close();
  }
});

test('changes that arrived while a page was on its way are replayed over it', async () => {
  // The page read a01 unseen; mark-all-seen's change of a01 arrived before the page, when a01 was
  // not held yet: the page's a01 stayed unseen.
  await play({ pageSize: 1, start: 'loading', rows: [[row(), row()], none] }, [
    run(),
    run(),
    loadMore,
    run(0, { answer: false }), // the page after a02: a01 unseen
    markSeen(null),
    run(0, { answer: false }), // mark_notifications_seen(null)
    deliver(0), // a01 seen
  ]);
});

test('changes replayed over a page are not queued again for the catch-up in flight', async () => {
  // Found in a first version of the fix above. a03's INSERT arrived during loadMore; replayed over
  // the page, it also went into the queue of the catch-up running then, which replayed it over a
  // newer a03 (seen by mark-all-seen).
  await play({ pageSize: 1, start: 'loading', rows: [[row(), row({ tie: true })], none] }, [
    run(),
    insert({ back: 1 }),
    run(),
    markSeen(null),
    loadMore,
    deliver(0),
    disconnect,
    run(0, { answer: false }),
  ]);
});

test('archiving what a failed mark-all guessed was read is put right by a catch-up', async () => {
  // a01 looked read (mark-all, not yet refused), so archive-read moved it; the archive changed
  // nothing (a01 unread in the database) and no change ever came to bring it back.
  await play({ pageSize: 1, start: 'loading', rows: [none, none] }, [
    run(0, { answer: false }),
    answer(0),
    insert(),
    deliver(0),
    markAllRead,
    archiveRead,
    run(0, { fault: 'fail' }), // mark_notifications_read(null) refused
  ]);
});

test('two failed writes put back what neither guess holds: a catch-up puts it right', async () => {
  // Mark-all (refused) made b01 look read; archive-read moved it, ran (nothing to archive) and
  // its answer was lost; putting b01 back brought mark-all's guess with it: read, for good.
  await play({ pageSize: 1, start: 'loading', rows: [none, [row({ tie: true })]] }, [
    switchUser,
    run(),
    run(),
    markAllRead,
    run(0, { fault: 'fail', answer: false }),
    archiveRead,
    run(0, { fault: 'lost', answer: false }),
  ]);
});

test('a recount that fails is tried again', async () => {
  // a01, beyond the window, was deleted (an event without the old row): only a recount can say.
  await play({ pageSize: 1, start: 'loading', rows: [[row(), row({ tie: true })], none] }, [
    run(0, { answer: false }),
    insert(),
    answer(0),
    insert(),
    run(0, { answer: false }),
    remove(3),
    deliver(2, { bare: true }),
    answer(0),
    tick(0),
    run(0, { fault: 'lost' }), // the recount fails
  ]);
});

test('a recount asked for before a catch-up does not overwrite the catch-up’s count', async () => {
  // The recount read a01 beyond the window; a01 then moved up (its change lost), the catch-up
  // counted nothing beyond, and the older recount's answer came last.
  await play({ pageSize: 1, start: 'loading', rows: [[row({ message: true }), row({ tie: true })], none] }, [
    disconnect,
    run(),
    run(),
    archiveRead,
    run(),
    tick(0),
    run(0, { answer: false }),
    coalesce(0),
  ]);
});

test('a load cancelled by a user switch does not cancel the recounts of the next user', async () => {
  // Found in a first version of the fix above: a load for a user signed out since went on to
  // count, and its count dropped the current user's recount.
  await play({ pageSize: 1, start: 'loading', rows: [[row()], none] }, [
    insert(),
    switchUser,
    switchUser,
    insert({ back: 1 }),
    run(),
    elsewhere(4, 'read'),
    run(2),
    run(3),
    deliver(1),
    run(3),
    tick(0),
  ]);
});

test('archiving the read rows, which a count cannot confirm row by row, is followed by a catch-up', async () => {
  // a01 was deleted while the socket was down; before the catch-up landed, archive-read copied it
  // into the freshly loaded archive. The write archived a02 instead: one row, as many as guessed.
  await play({ pageSize: 1, start: 'loading', rows: [[row({ read: true })], none] }, [
    run(),
    disconnect,
    remove(0),
    reconnect,
    run(0, { answer: false }), // the catch-up's page: no a01
    openArchive,
    run(), // the archive's first page: empty
    insert({ read: true }),
    archiveRead,
  ]);
});

test('a move that carried another write’s guess into the archive is put right by a catch-up', async () => {
  // Mark-all made a02 look read; a02 had been archived elsewhere (change lost), so neither write
  // changed it, but archiving it carried "read" into the archive.
  const rows = [row(), row({ tie: true }), row(), row(), row({ archived: true }), row({ archived: true })];
  await play({ pageSize: 4, start: 'loading', rows: [rows, none] }, [
    insert(),
    disconnect,
    run(),
    elsewhere(5, 'archived'),
    reconnect,
    run(),
    markAllRead,
    openArchive,
    archive(0),
    run(0),
    run(5),
    archive(8),
  ]);
});

test('a seen mark kept over a catch-up that read the row emptied again after it is settled by a load after the answer', async () => {
  // Seen marks kept over a load that landed while they were on their way (so that a load that read
  // before they committed does not flicker the row back): here the load read after the mark and
  // after a message folded into the row (unseen again), with the channel down. Only a load that
  // begins after the answer can tell the two apart.
  const rows = [row({ message: true, tie: true })];
  await play({ pageSize: 1, start: 'loading', rows: [rows, none] }, [disconnect, run(), markSeen(null), run(0, { answer: false }), coalesce(0)]);
});

test('a seen mark sent before the element left is not waited for by the loads after it came back', async () => {
  // Its answer is dropped (another generation), so nothing would ever settle a guess kept for it.
  await play({ pageSize: 1, start: 'archive shown', rows: [[row({ archived: true })], none] }, [
    { kind: 'unarchive', pick: 0 },
    markSeen(null),
    leave,
    run(3, { answer: false }),
    run(0),
  ]);
});

test('a mark-all that skipped a row restored meanwhile keeps no guess for it against the restore’s echo', async () => {
  // a02 shown restored at once, marked seen with the rest; the mark ran before the restore
  // committed, so it changed fewer rows than guessed and cannot say which: the echo decides.
  await play({ pageSize: 1, start: 'archive shown', rows: [[row(), row({ archived: true })], none] }, [
    insert(),
    markSeen(1),
    { kind: 'unarchive', pick: 0 },
    run(0),
    markSeen(null),
    run(3),
  ]);
});
