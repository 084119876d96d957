// The world the model test (model.test.ts) runs the store in: the shared fake as the database of
// two users, a network whose every request waits until a step lets it run and another lets its
// answer arrive, a realtime channel as a queue, and the store's timers as steps too. Nothing
// happens by itself: a sequence of steps is the whole schedule, so a failing one replays exactly
// and shrinks. Read the top of model.test.ts for what is modelled and what is not.
import { isDeepStrictEqual } from 'node:util';
import * as fc from 'fast-check';
import { NotificationStore, type NotificationState } from '../../src/store/notification-store.js';
import {
  NotificationSourceError,
  type InboxCounts,
  type NotificationChange,
  type NotificationPreferences,
  type NotificationQueries,
} from '../../src/store/notification-source.js';
import type { Cursor, NotificationType, NotificationView, WacrmNotification } from '../../src/notification.js';
import { compareNewestFirst, FakeDatabase, type WriteRpc } from '../support/fake-queries.js';

export const USERS = ['user-a', 'user-b'] as const;
/** The database's clock at the start: rows are one second apart, shown as t+seconds. */
const START = Date.parse('2026-11-27T10:00:00Z');
const STEP = 1000;

// ------------------------------------------------------------------------------------ the steps

/** Which user's rows another writer changes: the signed-in one's, or the other user's. */
export type Whose = 'mine' | 'theirs';

export type Step =
  // Other writers (triggers, other tabs), committed at once.
  /** A new row; `back` 0 is the newest, 1 ties with the newest, more is older (a late commit). */
  | { kind: 'insert'; whose: Whose; read: boolean; seen: boolean; message: boolean; back: number }
  | { kind: 'change'; whose: Whose; pick: number; to: 'read' | 'unread' | 'seen' | 'archived' | 'restored' }
  /** A new message folded into an unread message_received row: it moves to the top, unseen. */
  | { kind: 'coalesce'; whose: Whose; pick: number }
  | { kind: 'delete'; whose: Whose; pick: number }
  // The user, through the store (what the elements call).
  | { kind: 'markRead'; pick: number }
  | { kind: 'markAllRead' }
  /** The first `count` rows shown marked seen (what an opened panel does); null: every unseen row. */
  | { kind: 'markSeen'; count: number | null }
  | { kind: 'archive'; pick: number }
  | { kind: 'archiveRead' }
  | { kind: 'unarchive'; pick: number }
  | { kind: 'loadMore'; view: NotificationView }
  /** The panel shows the archive: it asks the archive to load, once per user, as the panel does. */
  | { kind: 'openArchive' }
  /** The tab became visible or the browser came online: the element catches up. */
  | { kind: 'catchUp' }
  /** Another user signs in: the element resets the store, opens their channel and loads. */
  | { kind: 'switchUser' }
  /** The element leaves the page (suspend, channel closed) or comes back (channel, catch-up). */
  | { kind: 'leave' }
  | { kind: 'return' }
  /** The socket drops (every change until it is back is lost) or is back (live again: catch-up). */
  | { kind: 'disconnect' }
  | { kind: 'reconnect' }
  // The network and the clock.
  /** A request reaches the database and runs there; `fail`: it fails instead; `lost`: it runs but the answer is an error. */
  | { kind: 'run'; pick: number; fault: 'none' | 'fail' | 'lost'; answer: boolean }
  /** The answer of a request that ran arrives. */
  | { kind: 'answer'; pick: number }
  /**
   * The first change still queued for some row arrives (a row's changes keep their order); `bare`:
   * without the old row; `again`: it stays queued, to arrive a second time.
   */
  | { kind: 'deliver'; pick: number; bare: boolean; again: boolean }
  /**
   * A queued change is never delivered. The element catches up when the channel is live again,
   * which is after the changes queued before it have arrived (or were lost too).
   */
  | { kind: 'drop'; pick: number }
  /** A timer of the store fires (a recount, a retry). */
  | { kind: 'tick'; pick: number };

/** A step as fast-check prints it in a counterexample: `run(pick: 0, fault: lost, answer: false)`. */
export function describeStep(step: Step): string {
  const { kind, ...fields } = step;
  return `${kind}(${Object.entries(fields).map(([name, value]) => `${name}: ${String(value)}`).join(', ')})`;
}

const named = (step: Step): Step => Object.assign(step, { [fc.toStringMethod]: () => describeStep(step) });

const pick = fc.nat({ max: 9 });
const whose = fc.oneof({ arbitrary: fc.constant<Whose>('mine'), weight: 6 }, { arbitrary: fc.constant<Whose>('theirs'), weight: 1 });

/** Steps, weighted towards the network and the channel, which most interleavings consist of. */
export const stepArbitrary: fc.Arbitrary<Step> = fc
  .oneof(
    { weight: 14, arbitrary: fc.record({ kind: fc.constant('run' as const), pick, fault: fc.oneof({ arbitrary: fc.constant('none' as const), weight: 10 }, fc.constant('fail' as const), fc.constant('lost' as const)), answer: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.constant(false)) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), pick }) },
    { weight: 14, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick, bare: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, fc.constant(true)), again: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, fc.constant(true)) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('tick' as const), pick }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('insert' as const), whose, read: fc.boolean(), seen: fc.boolean(), message: fc.boolean(), back: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, fc.integer({ min: 1, max: 4 })) }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('change' as const), whose, pick, to: fc.constantFrom('read' as const, 'unread' as const, 'seen' as const, 'archived' as const, 'restored' as const) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('coalesce' as const), whose, pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), whose, pick }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('markRead' as const), pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('markAllRead' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('markSeen' as const), count: fc.option(fc.integer({ min: 1, max: 4 }), { freq: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('archive' as const), pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('archiveRead' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('unarchive' as const), pick }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('loadMore' as const), view: fc.oneof({ arbitrary: fc.constant<NotificationView>('inbox'), weight: 3 }, fc.constant<NotificationView>('archived')) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('openArchive' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('catchUp' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('switchUser' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('return' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('disconnect' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const) }) },
  )
  .map((step) => named(step));

/** A row the database holds before the store starts. */
export interface RowSeed {
  read: boolean;
  seen: boolean;
  archived: boolean;
  message: boolean;
  /** The same created_at as the row before it (ids break the tie). */
  tie: boolean;
}

export interface Setup {
  pageSize: number;
  /** Whether the steps start with the first load still on its way, or landed (and the archive shown and loaded). */
  start: 'loading' | 'loaded' | 'archive shown';
  /** The rows of user-a (signed in first) and of user-b, oldest first. */
  rows: [RowSeed[], RowSeed[]];
}

const rowSeed: fc.Arbitrary<RowSeed> = fc.record({
  read: fc.boolean(),
  seen: fc.boolean(),
  archived: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, fc.constant(true)),
  message: fc.boolean(),
  tie: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, fc.constant(true)),
});

export const setupArbitrary: fc.Arbitrary<Setup> = fc.record({
  pageSize: fc.integer({ min: 1, max: 3 }),
  start: fc.constantFrom('loading' as const, 'loaded' as const, 'archive shown' as const),
  rows: fc.tuple(fc.array(rowSeed, { maxLength: 12 }), fc.array(rowSeed, { maxLength: 4 })),
});

// ------------------------------------------------------------------------------------ the world

interface Call {
  label: string;
  state: 'sent' | 'ran';
  run: () => unknown;
  outcome?: { ok: true; value: unknown } | { ok: false; error: Error };
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Timer {
  fire: () => void;
  due: number;
  label: string;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const networkError = () => new NotificationSourceError('network', 'Failed to fetch');

/** The data source of one user: every request waits for the world's steps. */
class ScheduledQueries implements NotificationQueries {
  constructor(
    private readonly world: World,
    private readonly db: FakeDatabase,
  ) {}

  fetchPage(limit: number, after?: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    return this.world.request(`${this.db.userId} fetchPage(${limit}${after ? ` after ${after.id}` : ''}${view === 'archived' ? ', archived' : ''})`, () =>
      this.db.page(limit, after, view),
    );
  }

  fetchWindow(oldest: Cursor, view: NotificationView = 'inbox'): Promise<WacrmNotification[]> {
    return this.world.request(`${this.db.userId} fetchWindow(to ${oldest.id}${view === 'archived' ? ', archived' : ''})`, () => this.db.window(oldest, view));
  }

  countInbox(after?: Cursor): Promise<InboxCounts> {
    return this.world.request(`${this.db.userId} countInbox(${after ? `after ${after.id}` : 'all'})`, () => this.db.counts(after));
  }

  markRead(ids: string[] | null): Promise<number> {
    return this.#write('mark_notifications_read', ids);
  }

  markSeen(ids: string[] | null): Promise<number> {
    return this.#write('mark_notifications_seen', ids);
  }

  archive(ids: string[] | null): Promise<number> {
    return this.#write('archive_notifications', ids);
  }

  unarchive(ids: string[]): Promise<number> {
    return this.#write('unarchive_notifications', ids);
  }

  fetchPreferences(): Promise<NotificationPreferences> {
    return this.db.fetchPreferences();
  }

  setPreference(type: NotificationType, inApp: boolean): Promise<void> {
    return this.db.setPreference(type, inApp);
  }

  #write(rpc: WriteRpc, ids: string[] | null): Promise<number> {
    return this.world.request(`${this.db.userId} ${rpc}(${ids ? ids.join(' ') : 'null'})`, () => this.db.rpc(rpc, ids));
  }
}

/** A row in a trace or a report: its id, state and time. */
export function describeRow(row: WacrmNotification): string {
  const flags = [row.read_at === null ? 'unread' : 'read', row.seen_at === null ? 'unseen' : 'seen'];
  if (row.archived_at !== null) flags.push('archived');
  if (row.type === 'message_received') flags.push('message');
  const seconds = (Date.parse(row.created_at.replace('123+00:00', 'Z')) - START) / 1000;
  return `${row.id}(${flags.join(' ')} t+${seconds})`;
}

/** The change as a channel without REPLICA IDENTITY FULL would send it. */
function withoutOldRow(change: NotificationChange): NotificationChange {
  if (change.type === 'INSERT') return change;
  return change.type === 'DELETE' ? { type: 'DELETE', id: change.id } : { type: 'UPDATE', row: change.row };
}

function describeChange(change: NotificationChange): string {
  const old = change.type === 'INSERT' || change.previous ? '' : ' without the old row';
  return change.type === 'DELETE' ? `DELETE ${change.id}${old}` : `${change.type} ${describeRow(change.row)}${old}`;
}

const keyOf = (change: NotificationChange) => (change.type === 'DELETE' ? change.id : change.row.id);

/** What must equal between the store and the database: every field, and of the stamps whether set. */
const comparable = (row: WacrmNotification) => ({
  ...row,
  read_at: row.read_at !== null,
  seen_at: row.seen_at !== null,
  archived_at: row.archived_at !== null,
});

export class World {
  readonly dbs: [FakeDatabase, FakeDatabase];
  readonly #queries: [ScheduledQueries, ScheduledQueries];
  readonly store: NotificationStore;
  /** Which user is signed in. */
  current = 0;
  readonly calls: Call[] = [];
  /** Changes on their way through the channel, in commit order. */
  readonly queue: NotificationChange[] = [];
  /** Changes queued before one that was dropped: the catch-up that makes up for it comes after them. */
  readonly #beforeDrop = new Set<NotificationChange>();
  #channelUp = true;
  #away = false;
  /** A change was lost: the element catches up once the channel is live again. */
  #catchUpOwed = false;
  /** The user the panel asked the archive to load for (it asks once per user). */
  #archiveAskedFor: string | null | undefined = undefined;
  #archiveWatched = false;
  readonly #timers = new Map<number, Timer>();
  #timerCount = 0;
  #now = 0;
  #faultsOff = false;
  #pendingOperations = 0;
  readonly trace: string[] = [];
  readonly problems: string[] = [];
  readonly #realSetTimeout = globalThis.setTimeout;
  readonly #realClearTimeout = globalThis.clearTimeout;

  constructor(readonly setup: Setup) {
    this.dbs = [0, 1].map((index) => {
      let count = 0;
      const prefix = 'ab'[index]!;
      return new FakeDatabase(USERS[index], { clock: START, step: STEP, id: () => `${prefix}${String(++count).padStart(2, '0')}` });
    }) as [FakeDatabase, FakeDatabase];
    for (const [index, seeds] of setup.rows.entries()) {
      const db = this.dbs[index]!;
      for (const seed of seeds) {
        const stamp = db.timestamp(START - 3600_000);
        const created_at = db.timestamp(seed.tie && db.rows.length > 0 ? db.clock : db.clock + STEP);
        db.insert({
          created_at,
          type: seed.message ? 'message_received' : 'conversation_assigned',
          read_at: seed.read ? stamp : null,
          seen_at: seed.seen ? stamp : null,
          archived_at: seed.archived ? stamp : null,
        });
        if (seed.tie) db.clock -= STEP;
      }
      db.onChange = (change) => this.#committed(index, change);
    }
    this.#queries = [new ScheduledQueries(this, this.dbs[0]), new ScheduledQueries(this, this.dbs[1])];
    this.#installTimers();
    this.store = new NotificationStore({ pageSize: setup.pageSize, recountDelayMs: 1 });
    this.#watch(this.store, 'inbox');
    this.store.reset(this.#queries[0], USERS[0]);
    this.#operation('first load', this.store.sync());
  }

  /** A world whose store has asked for its first page, or (`setup.start`) loaded it. */
  static async start(setup: Setup): Promise<World> {
    const world = new World(setup);
    await flush();
    if (setup.start !== 'loading') await world.#answerAll('start');
    if (setup.start === 'archive shown') {
      world.trace.push(`start: openArchive: ${world.#openArchive()}`);
      await flush();
      await world.#answerAll('start');
    }
    return world;
  }

  async #answerAll(phase: string): Promise<void> {
    for (let call = this.calls[0]; call; call = this.calls[0]) {
      this.trace.push(`${phase}: ${this.#run(call, 'none', true)}`);
      await flush();
    }
  }

  get db(): FakeDatabase {
    return this.dbs[this.current]!;
  }

  /** Puts the real timers back. */
  close(): void {
    globalThis.setTimeout = this.#realSetTimeout;
    globalThis.clearTimeout = this.#realClearTimeout;
  }

  /** A request of the store: it waits for a `run` step, then for its answer. */
  request<T>(label: string, run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.calls.push({ label, state: 'sent', run, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  async step(step: Step): Promise<void> {
    const done = this.#do(step);
    this.trace.push(`${describeStep(step)}${done ? `: ${done}` : ''}`);
    await flush();
    if (this.problems.length > 0) throw new Error(this.report(this.problems.join('\n')));
  }

  /** The step's effect, for the trace; '' when it found nothing to act on. */
  #do(step: Step): string {
    switch (step.kind) {
      case 'insert':
        return this.#insert(step);
      case 'change':
        return this.#change(step);
      case 'coalesce': {
        const db = this.#whose(step.whose);
        const candidates = db.list().filter((row) => row.type === 'message_received' && row.read_at === null);
        const row = candidates[step.pick % Math.max(1, candidates.length)];
        if (!row) return '';
        db.clock += STEP;
        const count = Number((row.data as { message_count?: number } | null)?.message_count ?? 1) + 1;
        db.update(row.id, { created_at: db.timestamp(db.clock), seen_at: null, data: { contact_name: 'Ana', excerpt: `message ${count}`, content_type: 'text', message_count: count } });
        return `${row.id} moves to t+${(db.clock - START) / 1000}`;
      }
      case 'delete': {
        const db = this.#whose(step.whose);
        const row = this.#pickRow(db, step.pick);
        if (!row) return '';
        db.remove(row.id);
        return row.id;
      }
      case 'markRead':
        return this.#onItem(step.pick, (id) => this.store.markRead(id), 'markRead');
      case 'markAllRead':
        return this.#user('markAllRead', () => this.store.markAllRead());
      case 'markSeen':
        return this.#user('markSeen', () => {
          const ids = step.count === null ? null : this.store.state.items.slice(0, step.count).map((item) => item.id);
          return this.store.markSeen(ids);
        });
      case 'archive':
        return this.#onItem(step.pick, (id) => this.store.archive(id), 'archive');
      case 'archiveRead':
        return this.#user('archiveRead', () => this.store.archiveRead());
      case 'unarchive': {
        if (this.#away || this.#archiveAskedFor === undefined) return '';
        const items = this.store.archived.state.items;
        const item = items[step.pick % Math.max(1, items.length)];
        if (!item) return '';
        this.#operation(`unarchive ${item.id}`, this.store.unarchive(item.id));
        return item.id;
      }
      case 'loadMore': {
        if (this.#away) return '';
        if (step.view === 'archived' && this.#archiveAskedFor === undefined) return '';
        const store = step.view === 'archived' ? this.store.archived : this.store;
        this.#operation(`loadMore ${step.view}`, store.loadMore());
        return 'asked';
      }
      case 'openArchive':
        return this.#openArchive();
      case 'catchUp':
        if (this.#away) return '';
        this.#sync('catch-up');
        return 'sync';
      case 'switchUser':
        return this.#switchUser();
      case 'leave':
        if (this.#away) return '';
        this.#away = true;
        this.#closeChannel();
        this.store.suspend();
        return 'suspended, channel closed';
      case 'return':
        if (!this.#away) return '';
        this.#away = false;
        this.#channelUp = true;
        this.#sync('return');
        return 'channel open, sync';
      case 'disconnect':
        if (this.#away || !this.#channelUp) return '';
        this.#closeChannel();
        this.store.setRealtimeStatus('reconnecting');
        return 'channel down';
      case 'reconnect':
        if (this.#away || this.#channelUp) return '';
        this.#channelUp = true;
        this.store.setRealtimeStatus('live');
        this.#sync('live again');
        return 'live, sync';
      case 'run': {
        const waiting = this.calls.filter((call) => call.state === 'sent');
        const call = waiting[step.pick % Math.max(1, waiting.length)];
        if (!call) return '';
        return this.#run(call, this.#faultsOff ? 'none' : step.fault, step.answer);
      }
      case 'answer': {
        const ran = this.calls.filter((call) => call.state === 'ran');
        const call = ran[step.pick % Math.max(1, ran.length)];
        return call ? this.#answer(call) : '';
      }
      case 'deliver': {
        const next = this.#deliverable();
        const change = next[step.pick % Math.max(1, next.length)];
        if (!change) return '';
        if (!step.again) this.#unqueue(change);
        const delivered = step.bare ? withoutOldRow(change) : change;
        this.store.apply(delivered);
        return `${describeChange(delivered)}${step.again ? ' (and again later)' : ''}`;
      }
      case 'drop': {
        const index = step.pick % Math.max(1, this.queue.length);
        const change = this.queue[index];
        if (!change) return '';
        for (const earlier of this.queue.slice(0, index)) this.#beforeDrop.add(earlier);
        this.#unqueue(change);
        this.#catchUpOwed = true;
        return describeChange(change);
      }
      case 'tick': {
        const timers = [...this.#timers.entries()];
        const timer = timers[step.pick % Math.max(1, timers.length)];
        return timer ? this.#fire(timer[0], timer[1]) : '';
      }
    }
  }

  #whose(whose: Whose): FakeDatabase {
    return this.dbs[whose === 'mine' ? this.current : 1 - this.current]!;
  }

  #pickRow(db: FakeDatabase, pick: number): WacrmNotification | undefined {
    const rows = [...db.rows].sort(compareNewestFirst);
    return rows[pick % Math.max(1, rows.length)];
  }

  #insert(step: Extract<Step, { kind: 'insert' }>): string {
    const db = this.#whose(step.whose);
    // back 1 ties with the newest row; more is older: a transaction that began before others.
    const time = step.back === 0 ? db.clock + STEP : db.clock - (step.back - 1) * STEP;
    const stamp = db.timestamp(START - 3600_000);
    const row = db.insert({
      created_at: db.timestamp(time),
      type: step.message ? 'message_received' : 'conversation_assigned',
      read_at: step.read ? stamp : null,
      seen_at: step.seen ? stamp : null,
    });
    if (step.back !== 0) db.clock -= STEP;
    return describeRow(row);
  }

  #change(step: Extract<Step, { kind: 'change' }>): string {
    const db = this.#whose(step.whose);
    const row = this.#pickRow(db, step.pick);
    if (!row) return '';
    switch (step.to) {
      case 'read':
        db.rpc('mark_notifications_read', [row.id]);
        break;
      case 'unread':
        db.update(row.id, { read_at: null });
        break;
      case 'seen':
        db.rpc('mark_notifications_seen', [row.id]);
        break;
      case 'archived':
        db.rpc('archive_notifications', [row.id]);
        break;
      case 'restored':
        db.rpc('unarchive_notifications', [row.id]);
        break;
    }
    return `${row.id} ${step.to} elsewhere`;
  }

  /** A committed change goes into the signed-in user's channel while it is open. */
  #committed(user: number, change: NotificationChange): void {
    if (!this.#channelUp) return;
    if (user === this.current) this.queue.push(change);
    // postgres_changes cannot filter deletes: another user's arrive too, with the key alone.
    else if (change.type === 'DELETE') this.queue.push({ type: 'DELETE', id: change.id });
  }

  /** The first queued change of each row: a row's changes arrive in commit order. */
  #deliverable(): NotificationChange[] {
    const seen = new Set<string>();
    return this.queue.filter((change) => {
      const key = keyOf(change);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  #unqueue(change: NotificationChange): void {
    this.queue.splice(this.queue.indexOf(change), 1);
    this.#beforeDrop.delete(change);
  }

  #closeChannel(): void {
    this.#channelUp = false;
    this.queue.length = 0;
    this.#beforeDrop.clear();
    this.#catchUpOwed = true;
  }

  #sync(why: string): void {
    // A catch-up asked for while the channel is live, after what came before a drop, sees every
    // change the drop lost.
    if (this.#channelUp && !this.#away && this.#beforeDrop.size === 0) this.#catchUpOwed = false;
    this.#operation(why, this.store.sync());
  }

  #user(label: string, action: () => Promise<unknown>): string {
    if (this.#away) return '';
    this.#operation(label, action());
    return 'asked';
  }

  #onItem(pick: number, action: (id: string) => Promise<unknown>, label: string): string {
    if (this.#away) return '';
    const items = this.store.state.items;
    const item = items[pick % Math.max(1, items.length)];
    if (!item) return '';
    this.#operation(`${label} ${item.id}`, action(item.id));
    return item.id;
  }

  #openArchive(): string {
    // As the panel does: once the inbox is loaded, once per user.
    if (this.#away || this.store.state.status !== 'ready') return '';
    const archive = this.store.archived;
    if (!this.#archiveWatched) {
      this.#archiveWatched = true;
      this.#watch(archive, 'archived');
    }
    if (this.#archiveAskedFor === archive.state.userId) return 'already asked';
    this.#archiveAskedFor = archive.state.userId;
    this.#operation('archive load', archive.sync());
    return 'archive sync';
  }

  #switchUser(): string {
    this.current = 1 - this.current;
    this.#away = false;
    this.#closeChannel();
    this.#channelUp = true;
    this.#catchUpOwed = false;
    this.#archiveAskedFor = undefined;
    this.store.reset(this.#queries[this.current]!, USERS[this.current]);
    this.#operation('first load', this.store.sync());
    return USERS[this.current]!;
  }

  #run(call: Call, fault: 'none' | 'fail' | 'lost', answer: boolean): string {
    call.state = 'ran';
    let what: string;
    if (fault === 'fail') {
      call.outcome = { ok: false, error: networkError() };
      what = 'failed';
    } else {
      const value = call.run();
      call.outcome = fault === 'lost' ? { ok: false, error: networkError() } : { ok: true, value };
      what = `${fault === 'lost' ? 'ran, answer lost' : 'ran'}: ${describeValue(value)}`;
    }
    if (answer) this.#answer(call);
    return `${call.label} ${what}${answer ? '; answered' : ''}`;
  }

  #answer(call: Call): string {
    this.calls.splice(this.calls.indexOf(call), 1);
    const outcome = call.outcome!;
    if (outcome.ok) call.resolve(outcome.value);
    else call.reject(outcome.error);
    return `answered ${call.label}`;
  }

  #fire(handle: number, timer: Timer): string {
    this.#timers.delete(handle);
    this.#now = Math.max(this.#now, timer.due);
    timer.fire();
    return timer.label;
  }

  #installTimers(): void {
    const fake = (callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) => {
      const handle = ++this.#timerCount;
      this.#timers.set(handle, { fire: () => callback(...args), due: this.#now + ms, label: ms <= 1 ? 'recount' : `retry after ${ms} ms` });
      return handle;
    };
    globalThis.setTimeout = fake as unknown as typeof setTimeout;
    globalThis.clearTimeout = ((handle: number | undefined) => {
      if (handle !== undefined) this.#timers.delete(handle);
    }) as unknown as typeof clearTimeout;
  }

  #operation(label: string, promise: Promise<unknown>): void {
    this.#pendingOperations++;
    promise.then(
      () => this.#pendingOperations--,
      (error: unknown) => {
        this.#pendingOperations--;
        this.problems.push(`${label} rejected: ${String(error)}`);
      },
    );
  }

  #watch(store: NotificationStore, view: NotificationView): void {
    const report = (problem: string | null) => {
      if (problem && this.problems.length === 0) this.problems.push(`${view} store, during step ${this.trace.length + 1}: ${problem}`);
    };
    store.addEventListener('change', () => report(snapshotProblem(store.state, view)));
    // An arrival is the signed-in user's, in the inbox.
    store.addEventListener('receive', ({ notification }) => {
      if (view !== 'inbox' || notification.user_id !== store.state.userId || notification.archived_at !== null) {
        report(`received ${describeRow(notification)} of ${notification.user_id}`);
      }
    });
  }

  /**
   * Lets everything finish: the network stops failing, every request runs and is answered, every
   * queued change arrives, every timer fires, an element that left comes back, and a change lost
   * is followed by the catch-up the element makes when the channel is live again.
   */
  async settle(): Promise<void> {
    this.#faultsOff = true;
    for (let round = 0; round < 2000; round++) {
      let done: string;
      const sent = this.calls.find((call) => call.state === 'sent');
      const ran = this.calls.find((call) => call.state === 'ran');
      const timer = [...this.#timers.entries()].sort(([, a], [, b]) => a.due - b.due)[0];
      if (this.#away) done = `settle: ${this.#do({ kind: 'return' })}`;
      else if (!this.#channelUp) done = `settle: ${this.#do({ kind: 'reconnect' })}`;
      else if (sent) done = `settle: ${this.#run(sent, 'none', true)}`;
      else if (ran) done = `settle: ${this.#answer(ran)}`;
      else if (this.queue.length > 0) done = `settle: ${this.#do({ kind: 'deliver', pick: 0, bare: false, again: false })}`;
      else if (timer) done = `settle: ${this.#fire(timer[0], timer[1])}`;
      else if (this.#catchUpOwed) {
        this.#sync('catch-up owed');
        done = 'settle: catch-up owed for a lost change';
      } else {
        if (this.#pendingOperations > 0) throw new Error(this.report(`${this.#pendingOperations} store operation(s) never finished`));
        return;
      }
      this.trace.push(done);
      await flush();
      if (this.problems.length > 0) throw new Error(this.report(this.problems.join('\n')));
    }
    throw new Error(this.report('did not settle within 2000 rounds'));
  }

  /** After `settle`: the store's lists and counts against the database. */
  check(): void {
    const db = this.db;
    const state = this.store.state;
    const problems: string[] = [];
    if (state.userId !== db.userId) problems.push(`signed in as ${state.userId}, not ${db.userId}`);
    if (state.status !== 'ready') problems.push(`status ${state.status}${state.error ? ` (${state.error.message})` : ''}`);
    if (state.loadingMore) problems.push('still loading more');
    if (state.unreadCount !== db.unread()) problems.push(`unreadCount ${state.unreadCount}, database ${db.unread()}`);
    if (state.unseenCount !== db.unseen()) problems.push(`unseenCount ${state.unseenCount}, database ${db.unseen()}`);
    problems.push(...listProblems('inbox', state, db.list('inbox')));
    if (this.#archiveAskedFor !== undefined) {
      const archive = this.store.archived.state;
      if (archive.status !== 'ready') problems.push(`archive status ${archive.status}`);
      else problems.push(...listProblems('archive', archive, db.list('archived')));
    }
    if (problems.length > 0) throw new Error(this.report(problems.join('\n')));
  }

  report(problem: string): string {
    const archive = this.#archiveAskedFor !== undefined ? this.store.archived.state : null;
    return [
      problem,
      '',
      `store (${this.store.state.status}, unread ${this.store.state.unreadCount}, unseen ${this.store.state.unseenCount}, hasMore ${this.store.state.hasMore}): ${this.store.state.items.map(describeRow).join(' ') || '(empty)'}`,
      ...(archive ? [`archive store (${archive.status}, hasMore ${archive.hasMore}): ${archive.items.map(describeRow).join(' ') || '(empty)'}`] : []),
      `database of ${this.db.userId} (unread ${this.db.unread()}, unseen ${this.db.unseen()}): ${[...this.db.rows].sort(compareNewestFirst).map(describeRow).join(' ') || '(empty)'}`,
      '',
      `what happened (page size ${this.setup.pageSize}):`,
      ...this.trace.map((line, index) => `  ${String(index + 1).padStart(3)}. ${line}`),
    ].join('\n');
  }
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'no rows' : (value as WacrmNotification[]).map(describeRow).join(' ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return `${String(value)} changed`;
}

/** What must hold of every state the store shows, at any moment. */
function snapshotProblem(state: NotificationState, view: NotificationView): string | null {
  const ids = state.items.map((item) => item.id);
  if (new Set(ids).size !== ids.length) return `a row listed twice: ${ids.join(' ')}`;
  for (let index = 1; index < state.items.length; index++) {
    if (compareNewestFirst(state.items[index - 1]!, state.items[index]!) >= 0) return `out of order: ${state.items.map(describeRow).join(' ')}`;
  }
  for (const count of [state.unreadCount, state.unseenCount]) {
    if (!Number.isInteger(count) || count < 0) return `a count of ${count}`;
  }
  if (view === 'archived' && (state.unreadCount !== 0 || state.unseenCount !== 0)) return 'the archive counts rows';
  const stranger = state.items.find((item) => item.user_id !== state.userId || (item.archived_at === null) !== (view === 'inbox'));
  if (stranger) return `a row that does not belong here: ${describeRow(stranger)} (${stranger.user_id})`;
  return null;
}

/** The rows a store holds against the database's first rows of the same list. */
function listProblems(name: string, state: NotificationState, rows: WacrmNotification[]): string[] {
  const problems: string[] = [];
  const expected = rows.slice(0, state.items.length);
  const same = state.items.length === expected.length && state.items.every((item, index) => isDeepStrictEqual(comparable(item), comparable(expected[index]!)));
  if (!same) problems.push(`${name} list: ${state.items.map(describeRow).join(' ') || '(empty)'}; the database's first ${state.items.length}: ${expected.map(describeRow).join(' ') || '(none)'}`);
  if (!state.hasMore && state.items.length < rows.length) problems.push(`${name} says there is no more, but holds ${state.items.length} of ${rows.length} rows`);
  return problems;
}

/** Plays `steps` from `setup`, lets everything finish and compares: what the model test does once. */
export async function play(setup: Setup, steps: Step[]): Promise<void> {
  const world = await World.start(setup);
  try {
    for (const step of steps) await world.step(step);
    await world.settle();
    world.check();
  } finally {
    world.close();
  }
}
