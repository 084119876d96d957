// The store against a model of the database, under random schedules (issue 12, point 1).
//
// Each run starts a database of two users (the shared fake, test/support/fake-queries.ts, answering
// as the migration's SQL does) and a store signed in as the first, its first load on its way or
// landed (and the archive shown), then plays a random sequence of steps (model-world.ts), lets
// everything finish, and compares with the database: the store's list (ids in order, every field,
// and whether each stamp is set), its unreadCount and unseenCount, that it says "no more" only when
// it holds every row, and the archive's list once shown. While it plays, every state either store
// shows lists each row once, newest first, only rows of the signed-in user and of its view, with
// counts of at least 0 (none in the archive), and an arrival is always the user's, in the inbox.
//
// Modelled:
// - other writers: new rows (the newest, tied with the newest, or older: a transaction that
//   committed late), read, unread, seen, archived and restored elsewhere, deleted, and a message
//   folded into an unread message_received row (coalescing: created_at moves to now, unseen again);
//   the other user's rows change too;
// - the user, through the store's methods as the elements call them: mark read, mark all read,
//   mark seen (the first rows shown, or all), archive one, archive the read ones, restore one, load
//   more of the inbox or of the archive, show the archive (loaded once per user, as the panel asks),
//   catch up (the tab visible again, the browser online), another user signing in, the element
//   leaving the page (suspend, channel closed) and coming back (channel, catch-up);
// - the network: every request (page, window, count, each write) waits until a step runs it against
//   the database as it is then, and its answer arrives at that step or a later one, so loads, counts
//   and writes interleave with commits and with each other in any order; a read can fail, a write
//   can be refused (nothing changes) or run with its answer lost (it changed, the store hears an
//   error); requests of a user signed out since still answer;
// - the realtime channel, as a queue of committed changes: a change arrives late (after loads that
//   already saw it), twice (before the row's next change), out of order with other rows' changes,
//   with or without the old row, or never. The element catches up when the channel is live again
//   after a loss, and a channel is live again only after what came before the loss has arrived: the
//   model owes that catch-up from then on and makes it at the end if the steps did not. The socket
//   can drop (every change until it is back is lost; back: live again). postgres_changes' deletes
//   of other users' rows arrive too, with the key alone;
// - the store's timers (recount, retry): each fires when a step says, in any order with the network.
//   At the end the network stops failing, every request runs and is answered, every change queued
//   arrives, timers fire (retries too), an element that left comes back, a lost socket is back.
//
// Not modelled:
// - a row's changes out of their commit order (an older change after a newer one of the same row),
//   and a duplicate after the row's next change: Realtime delivers in commit order, and nothing in
//   a change says which is newer (no version column), so no client could order them;
// - counts beyond the window read as two queries at two moments (the data source counts unread and
//   unseen in parallel): the fake counts both at once. Every change beyond the window is followed
//   by a recount, so a split count can only show for a moment;
// - the channel joining late: it is live from each reset on (a late join loses changes, which the
//   "live" catch-up covers as it covers a loss);
// - what the elements add: the controllers' own timing, tab sharing (other tabs are other writers),
//   preferences, errors no retry can fix (a missing migration, a bad client), signing out;
// - what the store shows between the steps beyond the invariants above: exact counts and lists are
//   checked once everything has finished, `error` and the `receive` events' completeness not at all;
// - time: stamps are the fake's clock and are compared on whether set (an optimistic mark shows
//   the browser's time until the echo); lists of more than 12 rows, pages of more than 3.
//
// Runs: FC_RUNS sequences (5000 by default, a few seconds). A failure prints its seed and path, the
// shrunk steps and what each did, and the lists and counts of both sides; replay it alone with
// FC_SEED=<seed> FC_PATH=<path> npm run test:store, then keep it in model-regressions.test.ts.
import { test } from 'node:test';
import * as fc from 'fast-check';
import { play, setupArbitrary, stepArbitrary } from './model-world.js';

const numRuns = Number(process.env.FC_RUNS ?? 5000);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const path = process.env.FC_PATH;

test(`the store equals the database after any schedule (${numRuns} random sequences)`, async () => {
  await fc.assert(
    fc.asyncProperty(setupArbitrary, fc.array(stepArbitrary, { maxLength: 80, size: 'max' }), play),
    { numRuns, includeErrorInReport: true, ...(seed === undefined ? {} : { seed }), ...(path === undefined ? {} : { path }) },
  );
});
