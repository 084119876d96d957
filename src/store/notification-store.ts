import {
  belongsTo,
  compareNewestFirst,
  isUnread,
  isUnseen,
  timeKey,
  type Cursor,
  type NotificationType,
  type NotificationView,
  type WacrmNotification,
} from '../notification.js';
import type {
  InboxCounts,
  NotificationChange,
  NotificationError,
  NotificationPreferences,
  NotificationQueries,
  PreviousRow,
} from './notification-source.js';
import { NotificationSourceError } from './notification-source.js';

/**
 * `idle`: no user known yet (a new store, or an element still waiting for its client or for the
 * host's supabase-js to read the session); `signed-out`: known to have no user.
 */
export type StoreStatus = 'idle' | 'signed-out' | 'loading' | 'ready' | 'error';
export type RealtimeStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'closed';

/** One immutable snapshot; a new object replaces it on every change. */
export interface NotificationState {
  readonly userId: string | null;
  readonly status: StoreStatus;
  /** Newest first (created_at desc, id desc): the window of the list loaded so far. */
  readonly items: readonly WacrmNotification[];
  /** Every unread inbox row of the user in the database, loaded or not (0 in the archive's store). */
  readonly unreadCount: number;
  /** Every unseen inbox row of the user in the database, loaded or not (0 in the archive's store). */
  readonly unseenCount: number;
  /** Older rows exist beyond `items`. */
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
  readonly realtime: RealtimeStatus;
  /**
   * The last problem, until the next successful load (a failed write's: until one after the
   * catch-up it asks for).
   */
  readonly error: NotificationError | null;
}

export interface NotificationStoreOptions {
  /** Rows per page (first load and each loadMore). Default 20. */
  pageSize?: number;
  /** How long to gather events before recounting rows beyond the loaded window. Default 30 ms. */
  recountDelayMs?: number;
  /** Which rows it lists: the inbox (default) or the archive. */
  view?: NotificationView;
}

/** Fired whenever `state` is replaced. */
export class StoreChangeEvent extends Event {
  constructor(readonly state: NotificationState) {
    super('change');
  }
}

/** A notification arrived after the first load (live, or found by a catch-up): hosts may toast. */
export class StoreReceiveEvent extends Event {
  constructor(readonly notification: WacrmNotification) {
    super('receive');
  }
}

export class StoreErrorEvent extends Event {
  constructor(readonly error: NotificationError) {
    super('error');
  }
}

/** The events a store fires, by type: a listener for `change` is given a StoreChangeEvent. */
export interface NotificationStoreEventMap {
  change: StoreChangeEvent;
  receive: StoreReceiveEvent;
  error: StoreErrorEvent;
}

/** A function or an object with `handleEvent`, as EventTarget takes them, for one event class. */
export type NotificationStoreListener<E extends Event> = ((event: E) => void) | { handleEvent(event: E): void };

const signedOut: NotificationState = Object.freeze({
  userId: null,
  status: 'signed-out',
  items: Object.freeze([]),
  unreadCount: 0,
  unseenCount: 0,
  hasMore: false,
  loadingMore: false,
  realtime: 'idle',
  error: null,
});

/** Rows per page: a whole number of at least 1; 20 for anything that is not a number. */
export function normalizePageSize(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) ? Math.max(1, Math.floor(value)) : 20;
}

const idle: NotificationState = Object.freeze({ ...signedOut, status: 'idle' });

const cursorOf = (row: Cursor): Cursor => ({ created_at: row.created_at, id: row.id });

function toError(error: unknown): NotificationError {
  if (error instanceof NotificationSourceError) return { code: error.code, message: error.message, cause: error.cause };
  return { code: 'unknown', message: error instanceof Error ? error.message : String(error), cause: error };
}

/** A row's part in the inbox's counts. */
const countsOf = (row: Pick<WacrmNotification, 'read_at' | 'seen_at' | 'archived_at'>): InboxCounts =>
  belongsTo('inbox', row) ? { unread: isUnread(row) ? 1 : 0, unseen: isUnseen(row) ? 1 : 0 } : { unread: 0, unseen: 0 };

/** The previous row's part in the counts, when the event said enough to know it. */
function previousCounts(previous: PreviousRow | undefined): InboxCounts | undefined {
  if (!previous || !('read_at' in previous) || !('seen_at' in previous) || !('archived_at' in previous)) return undefined;
  return countsOf(previous as Pick<WacrmNotification, 'read_at' | 'seen_at' | 'archived_at'>);
}

const none: InboxCounts = Object.freeze({ unread: 0, unseen: 0 });

/** A field a write stamps with the server's time (mark read, mark seen). */
type StampedField = 'read_at' | 'seen_at';

/**
 * The notification list and counts of one user, kept equal to the database.
 *
 * The counts are never a running guess. Each is the matching rows held in `items` (exact: every
 * realtime change to them is applied, in commit order) plus the matching rows after the end of the
 * loaded window (the last row of the last page read; rows leaving the window do not move it). Rows
 * there change through updates, deletes and the odd late insert of rows we do not hold — including
 * a row that moves up into the window (a coalesced `message_received`, whose `created_at` moves to
 * its latest message) or comes back from the archive — and each of those schedules a recount of
 * that part from the database; the latest count asked for wins, and one that fails is retried.
 * Events racing a load are queued and replayed after it (those that arrived after it began: it
 * reads the others); `apply` is idempotent, an upsert by id. A page of `loadMore` gets the same.
 *
 * What the user changes shows at once, as a guess until the database says otherwise: a load or a
 * change of the row replaces it, a failed write undoes only what is still its own, and a write
 * that failed or changed fewer rows than guessed is followed by a catch-up. A read or seen mark
 * is not undone by what may predate it: a load that may have read before the mark committed (it
 * landed while the mark was on its way, or began before the answer), or the echo of an earlier
 * commit before the mark's own. Such a load is followed by one that begins after the answer.
 *
 * The inbox's store also keeps the archive's list (`archived`, loaded when first asked for) and
 * forwards every change to it; archived rows are in neither count.
 */
export class NotificationStore extends EventTarget {
  readonly pageSize: number;
  readonly view: NotificationView;
  readonly #recountDelayMs: number;
  #state: NotificationState = idle;
  #queries: NotificationQueries | null = null;
  /**
   * Where the loaded window ends while older rows exist (`hasMore`): the last row of the last page
   * read. Every row up to it is held; the rows after it are counted in `#beyond`. Held rows that
   * leave (archived, deleted, moved up) do not move it: with none of them left, the rows after it
   * are still after it.
   */
  #windowEnd: Cursor | null = null;
  /** Unread and unseen inbox rows after the end of the window. */
  #beyond: InboxCounts = none;
  /** Bumped on every reset: results of work started for another user are dropped. */
  #generation = 0;
  /**
   * Set while the list waits for a load to replace it (from a reset until the first lands, and
   * during a catch-up): the changes that arrived after that load began, replayed after it lands.
   * Changes from before it began are in what it reads, and are not kept.
   */
  #queued: NotificationChange[] | null = null;
  #syncing: Promise<void> | null = null;
  /** A failed write's error that loads do not clear until the catch-up after it has landed. */
  #keptError: NotificationError | null = null;
  /** Loads landed (first loads and catch-ups): a page read before one landed is older than the list. */
  #loadsLanded = 0;
  /**
   * The changes that arrived while a page of `loadMore` was on its way, replayed over it: the page
   * was read before some of them, and those of its rows were not held when they arrived.
   */
  #pageChanges: NotificationChange[] | null = null;
  /** A sync asked for that has not started yet (it waits for the one running). */
  #waitingSync: Promise<void> | null = null;
  #recountTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failed loads in a row: the next retry waits longer (1, 2, 5, 10, 30 s). */
  #failures = 0;
  #recountRequest = 0;
  /** Optimistic values by row and field, so a failed write rolls back only what it set. */
  readonly #placeholders = new Map<string, Partial<WacrmNotification>>();
  /** Rows an optimistic move (archive, restore) moved in this list, by move: a failed one undoes only these. */
  readonly #moves = new Map<string, symbol>();
  /** Where each of those moves put its row: `archived_at` set (a time) or null. */
  readonly #moveTargets = new Map<string, string | null>();
  /** Rows with an optimistic write of ours in flight (how many), whose guesses outlast older echoes. */
  readonly #inFlight = new Map<string, number>();
  /** Our read and seen marks (`id field`) on their way, or accepted and waiting for their own echo. */
  readonly #stamps = new Map<string, StampWrite>();
  /** Loads begun (first loads and catch-ups). */
  #loadsBegun = 0;
  #archived: NotificationStore | null = null;
  /** A load was asked for since the last reset, done or not: the inbox's catch-ups include this list. */
  #asked = false;

  constructor(options: NotificationStoreOptions = {}) {
    super();
    this.pageSize = normalizePageSize(options.pageSize);
    this.#recountDelayMs = options.recountDelayMs ?? 30;
    this.view = options.view ?? 'inbox';
  }

  get state(): NotificationState {
    return this.#state;
  }

  // Typed for the store's own events; any other type is taken as EventTarget takes it.
  override addEventListener<K extends keyof NotificationStoreEventMap>(
    type: K,
    listener: NotificationStoreListener<NotificationStoreEventMap[K]> | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener, options);
  }

  override removeEventListener<K extends keyof NotificationStoreEventMap>(
    type: K,
    listener: NotificationStoreListener<NotificationStoreEventMap[K]> | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener, options);
  }

  /**
   * The archive's list, kept by a store of its own that this one feeds with every change: created
   * on first use, loaded by its first `sync()`. Only an inbox store has one.
   */
  get archived(): NotificationStore {
    if (this.view !== 'inbox') throw new Error('Only the inbox store keeps an archive');
    if (!this.#archived) {
      this.#archived = new NotificationStore({ pageSize: this.pageSize, recountDelayMs: this.#recountDelayMs, view: 'archived' });
      this.#archived.reset(this.#queries, this.#state.status === 'idle' ? undefined : this.#state.userId);
      // Whoever follows this store re-renders when the archive changes too; its errors are ours.
      this.#archived.addEventListener('change', () => this.dispatchEvent(new StoreChangeEvent(this.#state)));
      this.#archived.addEventListener('error', (event) => this.dispatchEvent(new StoreErrorEvent(event.error)));
    }
    return this.#archived;
  }

  /**
   * Starts over: a user (loading until `sync()`), signed out when `userId` is null, or idle (no user
   * known yet) when it is undefined.
   */
  reset(queries: NotificationQueries | null, userId: string | null | undefined): void {
    this.suspend();
    this.#queries = userId ? queries : null;
    this.#windowEnd = null;
    this.#beyond = none;
    // Until the first load lands nothing is shown: it replaces `items` wholesale (see #queued).
    this.#queued = userId ? [] : null;
    this.#placeholders.clear();
    this.#stamps.clear();
    this.#moves.clear();
    this.#moveTargets.clear();
    this.#keptError = null;
    this.#failures = 0;
    this.#asked = false;
    if (userId) this.#commit({ ...signedOut, userId, status: 'loading', realtime: 'connecting' });
    else this.#commit(userId === null ? signedOut : idle);
    this.#archived?.reset(queries, userId);
  }

  /**
   * Stops all background work — the retry of a failed load, a pending recount — and drops the
   * results of requests in flight, keeping the list and count it shows. For an owner that leaves
   * the page: nothing keeps querying for a removed element. The next `sync()` catches up.
   */
  suspend(): void {
    this.#generation++;
    this.#syncing = null;
    this.#waitingSync = null;
    clearTimeout(this.#recountTimer);
    clearTimeout(this.#retryTimer);
    // A load that was replacing `items` will not land: changes apply directly again once loaded.
    if (this.#state.status === 'ready') this.#queued = null;
    this.#pageChanges = null;
    if (this.#state.loadingMore) this.#commit({ ...this.#state, loadingMore: false });
    this.#archived?.suspend();
  }

  setRealtimeStatus(realtime: RealtimeStatus): void {
    if (this.#state.userId && realtime !== this.#state.realtime) this.#commit({ ...this.#state, realtime });
    this.#archived?.setRealtimeStatus(realtime);
  }

  /** Shows a problem found outside the store's own queries (a bad client, a malformed event). */
  fail(error: NotificationError, options: { fatal?: boolean } = {}): void {
    const known = this.#state.error;
    this.#commit({ ...this.#state, error, ...(options.fatal ? { status: 'error' as const } : {}) });
    this.#report(error, known);
  }

  /**
   * Fires `error` for a problem, once while it lasts: a retry, a second channel error or a
   * catch-up that fails the same way is the same problem (it stays in `state.error` until a load
   * succeeds). A failed write is the user's action: each one is reported.
   */
  #report(error: NotificationError, known: NotificationError | null): void {
    if (error.code !== 'write-failed' && known?.code === error.code && known.message === error.message) return;
    this.dispatchEvent(new StoreErrorEvent(error));
  }

  /**
   * Loads the first page, or, once loaded, catches up: re-reads the held window (new rows, and read
   * states changed while we were away) and recounts. Call it whenever the subscription is live
   * again, the tab becomes visible or the browser comes back online. An archive asked to load
   * (loaded or not) catches up with it.
   */
  sync(): Promise<void> {
    // Asked for, even if that load never landed (cancelled by a suspend, failed): catch it up too.
    if (this.#archived && this.#archived.#asked) void this.#archived.sync();
    if (!this.#queries || !this.#state.userId) return Promise.resolve();
    this.#asked = true;
    // One that has not started yet will see everything committed before it starts: no need for two.
    if (this.#waitingSync) return this.#waitingSync;
    // A sync asked for while one runs must still see everything committed before it was asked.
    const previous = this.#syncing ?? Promise.resolve();
    // Asked for before a suspend or reset: that work is cancelled, not just postponed.
    const generation = this.#generation;
    const next: Promise<void> = previous.then(() => {
      if (this.#waitingSync === next) this.#waitingSync = null;
      return generation === this.#generation ? this.#sync() : undefined;
    });
    this.#waitingSync = next;
    this.#syncing = next;
    void next.finally(() => {
      if (this.#syncing === next) this.#syncing = null;
    });
    return next;
  }

  async loadMore(): Promise<void> {
    const queries = this.#queries;
    const { hasMore, loadingMore, status } = this.#state;
    const end = this.#windowEnd;
    if (!queries || !hasMore || !end || loadingMore || status !== 'ready') return;
    const generation = this.#generation;
    const loadsLanded = this.#loadsLanded;
    this.#commit({ ...this.#state, loadingMore: true });
    this.#pageChanges = [];
    try {
      const page = await queries.fetchPage(this.pageSize + 1, end, this.view);
      if (generation !== this.#generation) return;
      const changes = this.#pageChanges ?? [];
      this.#pageChanges = null;
      if (loadsLanded !== this.#loadsLanded) {
        // The list was read again meanwhile, after this page maybe: read the page again too.
        this.#commit({ ...this.#state, loadingMore: false });
        return this.loadMore();
      }
      const more = page.length > this.pageSize;
      this.#windowEnd = more ? cursorOf(page[this.pageSize - 1]!) : null;
      // A row held already has moved up since (a coalesced message): the held copy is newer.
      const held = new Set(this.#state.items.map((item) => item.id));
      const added = page.slice(0, this.pageSize).filter((row) => !held.has(row.id));
      // The rows just loaded were part of the counts beyond the window; a recount confirms it.
      this.#beyond = subtract(this.#beyond, added.map(countsOf).reduce(add, none));
      this.#commit({ ...this.#state, items: this.#merge(this.#state.items, added), hasMore: more, loadingMore: false });
      if (more) this.#scheduleRecount();
      else this.#beyond = none;
      // Over this page only: a load in flight has what arrived after it began, and reads the rest.
      const queued = this.#queued;
      this.#queued = null;
      for (const change of changes) this.#applyToList(change);
      this.#queued = queued;
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#pageChanges = null;
      this.#commit({ ...this.#state, loadingMore: false });
      this.fail(toError(error));
    }
  }

  /** Applies one realtime change. Idempotent: the same change twice leaves the same state. */
  apply(change: NotificationChange): void {
    this.#archived?.apply(change);
    this.#pageChanges?.push(change);
    this.#applyToList(change);
  }

  /**
   * A change as this list shows it while an optimistic write of ours on its row is in flight. The
   * echo of an earlier commit (the seen mark before a mark-read, the mark-read before an archive)
   * still says what the row was before that write: it must not flicker the row back while the write
   * is on its way. Once the write has answered, a change is the database's word again (the write
   * may have changed less than we guessed: a mark-all skips what was archived meanwhile), and it
   * drops the guess, so that a failed write undoes nothing the database has since said — except
   * for a read or seen mark the database accepted on every row it named: until the row's own echo
   * (the field set), an echo with the field empty is an older commit's. A delete ends them, and a
   * row leaving this list takes its stamps' guesses with it.
   */
  #withGuesses(change: NotificationChange): NotificationChange {
    if (change.type === 'DELETE') {
      this.#forgetGuesses(change.id);
      this.#forgetMove(change.id);
      return change;
    }
    let row = change.row;
    const inFlight = this.#inFlight.has(row.id);
    const guessed = this.#placeholders.get(row.id);
    if (guessed) {
      // A row leaving this list (archived, or restored from the archive) is the database's word:
      // a stamp it skipped, it shows as it is when it comes back.
      const stays = belongsTo(this.view, row);
      const still: Partial<WacrmNotification> = {};
      for (const field of ['read_at', 'seen_at'] as const) {
        if (!(field in guessed)) continue;
        const key = stampKey(row.id, field);
        if (row[field] === null && (inFlight || (stays && this.#isAccepted(key)))) still[field] = guessed[field];
        else this.#forgetAccepted(key);
      }
      if (Object.keys(still).length > 0) {
        this.#placeholders.set(row.id, still);
        row = { ...row, ...still };
      } else this.#placeholders.delete(row.id);
    }
    if (this.#moveTargets.has(row.id)) {
      const target = this.#moveTargets.get(row.id)!;
      if (inFlight && (row.archived_at === null) !== (target === null)) row = { ...row, archived_at: target };
      else this.#forgetMove(row.id);
    }
    return row === change.row ? change : { ...change, row };
  }

  /** Marks `ids` as having a write of ours in flight, in `stores`, until the returned function runs. */
  static #flying(stores: (NotificationStore | null)[], ids: string[]): () => void {
    const live = stores.filter((store) => store !== null);
    for (const store of live) for (const id of ids) store.#inFlight.set(id, (store.#inFlight.get(id) ?? 0) + 1);
    return () => {
      for (const store of live) {
        for (const id of ids) {
          const left = (store.#inFlight.get(id) ?? 1) - 1;
          if (left > 0) store.#inFlight.set(id, left);
          else store.#inFlight.delete(id);
        }
      }
    };
  }

  #forgetGuesses(id: string): void {
    this.#placeholders.delete(id);
    this.#forgetAccepted(stampKey(id, 'read_at'));
    this.#forgetAccepted(stampKey(id, 'seen_at'));
  }

  #isAccepted(key: string): boolean {
    return this.#stamps.get(key)?.acceptedAtLoad !== undefined;
  }

  /** An accepted stamp is the database's word now; one on its way waits for its answer. */
  #forgetAccepted(key: string): void {
    if (this.#isAccepted(key)) this.#stamps.delete(key);
  }

  /** A stamp of ours on its way, sent in this generation. */
  #flyingStamp(key: string): StampWrite | undefined {
    const stamp = this.#stamps.get(key);
    return stamp && stamp.acceptedAtLoad === undefined && stamp.generation === this.#generation ? stamp : undefined;
  }

  /**
   * The stamps a load that began as the `loadIndex`th keeps over the rows it read: those still on
   * their way or accepted by the database after it began (it may have read before they committed),
   * on rows it read with the field empty. Every other guess goes: the load is the database's word.
   * A kept stamp that then fails is undone as any failed write is, and a catch-up follows.
   */
  #guessesOverLoad(items: readonly WacrmNotification[], loadIndex: number): { items: WacrmNotification[]; unsure: boolean } {
    const kept = new Map<string, Partial<WacrmNotification>>();
    const read = new Map(items.map((item) => [item.id, item]));
    // A stamp accepted after this load began and kept over it: the load may have read after the
    // write and after someone emptied the field again. A load that begins now settles it.
    let unsure = false;
    for (const [id, guessed] of this.#placeholders) {
      const row = read.get(id);
      for (const field of ['read_at', 'seen_at'] as const) {
        const key = stampKey(id, field);
        const flying = this.#flyingStamp(key);
        const acceptedAt = this.#stamps.get(key)?.acceptedAtLoad;
        const accepted = acceptedAt !== undefined && acceptedAt >= loadIndex;
        if (field in guessed && row && row[field] === null && (flying || accepted)) {
          kept.set(id, { ...kept.get(id), [field]: guessed[field] });
          if (flying) flying.keptOverLoad = true;
          else unsure = true;
        } else {
          this.#forgetAccepted(key);
          const stamp = this.#stamps.get(key);
          if (stamp) stamp.keptOverLoad = false;
        }
      }
    }
    this.#placeholders.clear();
    for (const [id, still] of kept) this.#placeholders.set(id, still);
    return { items: items.map((item) => (kept.has(item.id) ? { ...item, ...kept.get(item.id) } : item)), unsure };
  }

  #forgetMove(id: string): void {
    this.#moves.delete(id);
    this.#moveTargets.delete(id);
  }

  /**
   * A change to this store's list alone. Changes replayed after a load come here: the archive had
   * each of them when it arrived, and has loaded since, maybe newer rows than the change.
   */
  #applyToList(change: NotificationChange): void {
    if (!this.#state.userId) return;
    if (this.#queued) {
      // No load on its way (the archive not asked for yet, a failed load's retry not due): the
      // next one reads this change.
      if (this.#syncing) this.#queued.push(change);
      return;
    }
    // At the moment it is applied, not when it arrived: a load landing in between drops the guesses.
    change = this.#withGuesses(change);
    if (change.type === 'DELETE') return this.#applyDelete(change.id, change.previous);
    const { row } = change;
    if (row.user_id !== this.#state.userId) return; // not ours: never shown, never counted
    const held = this.#state.items.find((item) => item.id === row.id);
    const previous = change.type === 'UPDATE' ? change.previous : undefined;
    if (!belongsTo(this.view, row)) {
      // Archived (or, in the archive, restored): it leaves this list as a delete would.
      return this.#applyDelete(row.id, previous ?? (held ? held : undefined));
    }
    if (held || this.#withinWindow(row)) {
      this.#commit({ ...this.#state, items: this.#merge(this.#state.items, [row]) });
      if (!held && change.type === 'UPDATE' && this.#state.hasMore) {
        // Moved up from beyond the window (or back from the archive): it left the part counted
        // there, if it was there; the recount settles what the event did not say.
        const before = previousCounts(previous);
        const end = this.#windowEnd;
        if (before && previous?.created_at && end && compareNewestFirst({ created_at: previous.created_at, id: row.id }, end) > 0) {
          this.#beyond = subtract(this.#beyond, before);
          this.#commit({ ...this.#state });
        }
        this.#scheduleRecount();
      }
      const movedUp = held ? timeKey(row.created_at) > timeKey(held.created_at)
        : change.type === 'INSERT' || (previous?.created_at !== undefined && timeKey(row.created_at) > timeKey(previous.created_at));
      if (movedUp && this.view === 'inbox' && this.#state.status === 'ready') {
        this.dispatchEvent(new StoreReceiveEvent(row));
      }
      return;
    }
    // A row older than the window: adjust the counts at once when the event says enough, and
    // recount either way.
    const before = previousCounts(previous);
    if (before) {
      this.#beyond = add(subtract(this.#beyond, before), countsOf(row));
      this.#commit({ ...this.#state });
    }
    this.#scheduleRecount();
  }

  /** Marks one notification read at once on screen, then in the database; rolls back on failure. */
  async markRead(id: string): Promise<boolean> {
    const item = this.#state.items.find((candidate) => candidate.id === id);
    if (!this.#queries || !item || !isUnread(item)) return true;
    return this.#stamp('read_at', [item], [id], 'the notification as read');
  }

  /** Marks every unread notification of the user read, loaded or not. */
  async markAllRead(): Promise<boolean> {
    if (!this.#queries || this.#state.unreadCount === 0) return true;
    return this.#stamp('read_at', this.#state.items.filter(isUnread), null, 'all notifications as read');
  }

  /**
   * Marks these notifications seen (the ones a panel shows; every unseen inbox row when `ids` is
   * null), at once on screen, then in the database; rolls back on failure.
   */
  async markSeen(ids: string[] | null = null): Promise<boolean> {
    if (!this.#queries) return true;
    const wanted = ids && new Set(ids);
    const items = this.#state.items.filter((item) => isUnseen(item) && (!wanted || wanted.has(item.id)));
    if (ids ? items.length === 0 : this.#state.unseenCount === 0) return true;
    return this.#stamp('seen_at', items, ids ? items.map((item) => item.id) : null, ids ? 'notifications as seen' : 'all notifications as seen');
  }

  async #stamp(field: StampedField, items: WacrmNotification[], ids: string[] | null, what: string): Promise<boolean> {
    const queries = this.#queries!;
    const generation = this.#generation;
    const placeholder = new Date().toISOString();
    const counted = field === 'read_at' ? 'unread' : 'unseen';
    const beyondBefore = this.#beyond;
    for (const item of items) this.#placeholders.set(item.id, { ...this.#placeholders.get(item.id), [field]: placeholder });
    if (ids === null) this.#beyond = { ...this.#beyond, [counted]: 0 };
    const marked = new Set(items.map((item) => item.id));
    this.#commit({
      ...this.#state,
      items: this.#state.items.map((item) => (marked.has(item.id) ? { ...item, [field]: placeholder } : item)),
    });
    const flying = NotificationStore.#flying([this], [...marked]);
    const stamps = [...marked].map((id) => {
      const stamp: StampWrite = { generation, keptOverLoad: false };
      this.#stamps.set(stampKey(id, field), stamp);
      return stamp;
    });
    // Done with in the same step as what its answer decides: a load landing in between would see
    // the stamp neither on its way nor accepted. Whether a load kept one over what it read.
    const answered = () => {
      let keptOverLoad = false;
      for (const [index, id] of [...marked].entries()) {
        const key = stampKey(id, field);
        if (this.#stamps.get(key) !== stamps[index]) continue;
        keptOverLoad ||= stamps[index]!.keptOverLoad;
        this.#stamps.delete(key);
      }
      return keptOverLoad;
    };
    try {
      const changed = await (field === 'read_at' ? queries.markRead(ids) : queries.markSeen(ids)).finally(flying);
      const keptOverLoad = answered();
      if (generation !== this.#generation) return true;
      // Every row named changed: each guess stands until the row's own echo (or a load that began
      // after now). A write that changed fewer, or all rows (which counts rows beyond the window
      // too), does not say which rows it skipped; the catch-up after it does.
      if (ids !== null && changed >= items.length) {
        for (const id of marked) {
          if (this.#placeholders.get(id)?.[field] !== placeholder) continue;
          this.#stamps.set(stampKey(id, field), { generation, keptOverLoad: false, acceptedAtLoad: this.#loadsBegun });
        }
      }
      if (ids === null) this.#scheduleRecount();
      if (changed < items.length || keptOverLoad) void this.#catchUpAfterWrongGuess();
      return true;
    } catch (error) {
      answered();
      if (generation !== this.#generation) return false;
      // Undo only what is still ours: a realtime update may have brought the server's value since.
      const undo = new Set([...marked].filter((id) => this.#placeholders.get(id)?.[field] === placeholder));
      for (const id of undo) this.#placeholders.delete(id);
      if (ids === null) {
        this.#beyond = { ...this.#beyond, [counted]: beyondBefore[counted] };
        this.#scheduleRecount();
      }
      this.#commit({
        ...this.#state,
        items: this.#state.items.map((item) => (undo.has(item.id) && item[field] === placeholder ? { ...item, [field]: null } : item)),
      });
      this.#writeFailed(`Could not mark ${what}`, error);
      void this.#catchUpAfterWrongGuess();
      return false;
    }
  }

  /**
   * Archives one notification (read or not): it leaves the list and the counts at once and joins
   * the archive; back where it was if the database refuses.
   */
  archive(id: string): Promise<boolean> {
    const item = this.#state.items.find((candidate) => candidate.id === id);
    if (!this.#queries || this.view !== 'inbox' || !item) return Promise.resolve(true);
    return this.#move([item], 'archived', [id], 'Could not archive the notification');
  }

  /** Archives every read notification of the inbox, loaded or not. */
  archiveRead(): Promise<boolean> {
    if (!this.#queries || this.view !== 'inbox') return Promise.resolve(true);
    const read = this.#state.items.filter((item) => !isUnread(item));
    if (read.length === 0 && !this.#state.hasMore) return Promise.resolve(true);
    return this.#move(read, 'archived', null, 'Could not archive the read notifications');
  }

  /** Takes a notification out of the archive, back into the inbox (and its counts). */
  unarchive(id: string): Promise<boolean> {
    const archive = this.view === 'archived' ? this : this.#archived;
    const item = archive?.state.items.find((candidate) => candidate.id === id);
    if (!this.#queries || !item) return Promise.resolve(true);
    return this.#move([item], 'inbox', [id], 'Could not restore the notification');
  }

  /**
   * Moves rows between the inbox and the archive on screen (in this store and its archive), then
   * in the database (`ids`, or null: every read inbox row); puts them back if it fails.
   */
  async #move(items: WacrmNotification[], to: NotificationView, ids: string[] | null, failure: string): Promise<boolean> {
    const queries = this.#queries!;
    const generation = this.#generation;
    const placeholder = to === 'archived' ? new Date().toISOString() : null;
    const move = Symbol(to);
    for (const item of items) this.#moveHere({ ...item, archived_at: placeholder }, item, move);
    const landed = NotificationStore.#flying([this, this.#archived], items.map((item) => item.id));
    try {
      const changed = await (to === 'archived' ? queries.archive(ids) : queries.unarchive(ids!)).finally(landed);
      if (generation !== this.#generation) return true;
      // Rows beyond the window may have moved too (archive all read): their unseen part changed.
      if (this.#state.hasMore) this.#scheduleRecount();
      // The rows copied into the other list stay there until their echo: unless the count says
      // every one moved, some may never get one (deleted, not read after all, archived already).
      if (ids === null || changed < items.length) void this.#catchUpAfterWrongGuess();
      return true;
    } catch (error) {
      if (generation !== this.#generation) return false;
      // Back where they were (in the window, or beyond it and counted there), in each list that
      // still shows them moved: a change or a load since showed what the database holds.
      for (const item of items) this.#moveHere(item, { ...item, archived_at: placeholder }, move, true);
      this.#writeFailed(failure, error);
      void this.#catchUpAfterWrongGuess();
      return false;
    }
  }

  /**
   * Moves a row between the inbox and the archive here (an optimistic move, or putting it back),
   * in this store and its archive at once, where loaded; `undo` only where `move` still holds it.
   * A guess, not a change of the database: a load in flight that lands after it shows what it
   * read instead (the write's echo follows), and it is never replayed over a load, which may have
   * read after the write — or after the write changed nothing, the row gone meanwhile.
   */
  #moveHere(row: WacrmNotification, from: WacrmNotification, move: symbol, undo = false): void {
    for (const store of [this, this.#archived]) {
      if (!store || store.#state.status !== 'ready') continue;
      if (undo && store.#moves.get(row.id) !== move) continue;
      const queued = store.#queued;
      store.#queued = null;
      // This guess replaces the row's last one (a restore right after an archive).
      store.#moveTargets.delete(row.id);
      store.#applyToList({ type: 'UPDATE', row, previous: from });
      store.#queued = queued;
      if (undo) store.#forgetMove(row.id);
      else {
        store.#moves.set(row.id, move);
        store.#moveTargets.set(row.id, row.archived_at);
      }
    }
  }

  /** The user's preferences by type (no row: on). */
  async loadPreferences(): Promise<NotificationPreferences> {
    if (!this.#queries) throw new NotificationSourceError('no-client', 'Sign in to change notification settings.');
    return this.#queries.fetchPreferences();
  }

  /** Turns a type on or off for the user; reports `write-failed` and returns false if refused. */
  async setPreference(type: NotificationType, inApp: boolean): Promise<boolean> {
    if (!this.#queries) return false;
    try {
      await this.#queries.setPreference(type, inApp);
      return true;
    } catch (error) {
      this.#writeFailed('Could not save the notification setting', error);
      return false;
    }
  }

  /**
   * After a write that failed, or changed fewer rows than this store changed at once: what it shows
   * of them is a guess nothing will correct. A failed write may have changed them after all (its
   * answer lost); a write that changed fewer found some already changed or gone, and a move may
   * have carried another write's guess into the other list. The database knows: catch up, as after
   * a lost change.
   */
  #catchUpAfterWrongGuess(): Promise<void> {
    // A failed write's error outlives this catch-up: it is the problem to show, not one it fixes.
    const shown = this.#state.error?.code === 'write-failed' ? this.#state.error : null;
    if (shown) this.#keptError = shown;
    return this.sync().finally(() => {
      if (shown && this.#keptError === shown) this.#keptError = null;
    });
  }

  #writeFailed(what: string, error: unknown): void {
    this.fail({ code: 'write-failed', message: `${what}: ${toError(error).message}`, cause: error });
  }

  async #sync(): Promise<void> {
    const queries = this.#queries;
    if (!queries) return;
    const generation = this.#generation;
    const first = this.#state.status !== 'ready';
    /** When each held row was last moved up (created_at): a fold the catch-up found is an arrival too. */
    const before = new Map(this.#state.items.map((item) => [item.id, timeKey(item.created_at)]));
    const newestBefore = this.#state.items[0];
    // What arrived before this load began is in what it reads: only later changes are replayed.
    this.#queued = [];
    const loadIndex = ++this.#loadsBegun;
    try {
      let items: WacrmNotification[];
      let end = this.#windowEnd;
      if (first || !this.#state.hasMore || !end) {
        // Nothing held yet, or the whole list: read it from the top. A row we never received can
        // be older than the oldest we hold (its event was skipped, or its transaction began
        // before others and committed after them), so the held rows are no bound here.
        const size = first ? this.pageSize : Math.max(this.pageSize, this.#state.items.length);
        const page = await queries.fetchPage(size + 1, undefined, this.view);
        items = page.slice(0, size);
        end = page.length > size ? cursorOf(items[size - 1]!) : null;
      } else {
        // Rows older than the window are counted, not listed: paging reaches them.
        items = await queries.fetchWindow(end, this.view);
      }
      const hasMore = end !== null;
      if (generation !== this.#generation) return;
      // Counts asked for before this one may have read before changes this one sees: drop them.
      this.#recountRequest++;
      const beyond = end && this.view === 'inbox' ? await queries.countInbox(end) : none;
      if (generation !== this.#generation) return;
      this.#windowEnd = end;
      this.#beyond = beyond;
      this.#loadsLanded++;
      const overLoad = this.#guessesOverLoad(items, loadIndex);
      items = overLoad.items;
      this.#moves.clear();
      this.#moveTargets.clear();
      const queued = this.#queued;
      this.#queued = null;
      this.#failures = 0;
      clearTimeout(this.#retryTimer);
      const error = this.#keptError && this.#state.error === this.#keptError ? this.#keptError : null;
      this.#commit({ ...this.#state, status: 'ready', items: this.#merge([], items), hasMore, error });
      if (!first && this.view === 'inbox') {
        for (const item of this.#state.items) {
          const heldAt = before.get(item.id);
          const arrived = heldAt === undefined ? !newestBefore || compareNewestFirst(item, newestBefore) < 0 : timeKey(item.created_at) > heldAt;
          if (arrived) {
            this.dispatchEvent(new StoreReceiveEvent(item));
          }
        }
      }
      for (const change of queued) this.#applyToList(change);
      if (overLoad.unsure) void this.#catchUpAfterWrongGuess();
    } catch (error) {
      if (generation !== this.#generation) return;
      const queued = this.#queued ?? [];
      // Nothing loaded yet: keep waiting for the retry, whose load will include these changes.
      this.#queued = first ? [] : null;
      const problem = toError(error);
      // A failed first load has nothing to show; a failed catch-up keeps the list it has.
      const known = this.#state.error;
      this.#commit({ ...this.#state, status: first ? 'error' : this.#state.status, error: problem });
      this.#report(problem, known);
      if (!first) for (const change of queued) this.#applyToList(change);
      this.#scheduleRetry(problem);
    }
  }

  /**
   * Tries a failed load again by itself, backing off, so that a gap is filled even when no
   * reconnect, visibility or online event comes to prompt it. Problems a retry cannot fix wait for
   * the integrator (or the retry button).
   */
  #scheduleRetry(problem: NotificationError): void {
    if (problem.code === 'migration-missing' || problem.code === 'no-client' || problem.code === 'invalid-client') return;
    const delays = [1000, 2000, 5000, 10000, 30000];
    const delay = delays[Math.min(this.#failures, delays.length - 1)]!;
    this.#failures++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.sync(), delay);
  }

  #applyDelete(id: string, previous: PreviousRow | undefined): void {
    const held = this.#state.items.some((item) => item.id === id);
    if (held) {
      this.#commit({ ...this.#state, items: this.#state.items.filter((item) => item.id !== id) });
      return;
    }
    // Counted beyond the window only if it was there: a row this list held and moved out itself
    // (an optimistic archive) was never part of that count. Unknown: the recount says.
    const before = previousCounts(previous);
    const end = this.#windowEnd;
    if (before && previous?.created_at && end && compareNewestFirst({ created_at: previous.created_at, id }, end) > 0) {
      this.#beyond = subtract(this.#beyond, before);
    }
    this.#commit({ ...this.#state });
    if (this.#state.hasMore) this.#scheduleRecount();
  }

  /** A row belongs in `items` when the whole list is loaded or it is not after the window's end. */
  #withinWindow(row: WacrmNotification): boolean {
    const end = this.#windowEnd;
    if (!this.#state.hasMore || !end) return true;
    return compareNewestFirst(row, end) <= 0;
  }

  #merge(items: readonly WacrmNotification[], rows: readonly WacrmNotification[]): readonly WacrmNotification[] {
    const byId = new Map(items.map((item) => [item.id, item]));
    for (const row of rows) byId.set(row.id, Object.freeze({ ...row }));
    return Object.freeze([...byId.values()].sort(compareNewestFirst));
  }

  #scheduleRecount(): void {
    if (this.view !== 'inbox') return;
    clearTimeout(this.#recountTimer);
    this.#recountTimer = setTimeout(() => void this.#recountBeyond(), this.#recountDelayMs);
  }

  async #recountBeyond(): Promise<void> {
    const queries = this.#queries;
    if (!queries || this.#state.status !== 'ready') return;
    const generation = this.#generation;
    const request = ++this.#recountRequest;
    const end = this.#windowEnd;
    try {
      const beyond = this.#state.hasMore && end ? await queries.countInbox(end) : none;
      // Only the latest recount for the same window may set the counts.
      if (generation !== this.#generation || request !== this.#recountRequest) return;
      if (this.#windowEnd !== end) return this.#scheduleRecount();
      this.#beyond = beyond;
      this.#commit({ ...this.#state });
    } catch (error) {
      if (generation !== this.#generation) return;
      const problem = toError(error);
      this.fail(problem);
      // Until a count is read the counts are a guess: try again, as after a failed load.
      this.#scheduleRetry(problem);
    }
  }

  #commit(next: NotificationState): void {
    const held = next.items.map(countsOf).reduce(add, none);
    const counts = next.userId && this.view === 'inbox' ? add(held, this.#beyond) : none;
    this.#state = Object.freeze({ ...next, unreadCount: counts.unread, unseenCount: counts.unseen });
    this.dispatchEvent(new StoreChangeEvent(this.#state));
  }
}

/** A read or seen mark of ours on one row, from the moment it is sent. */
interface StampWrite {
  /** The store's generation that sent it: one sent before a suspend or reset is not waited for. */
  generation: number;
  /**
   * A load landed while it was on its way and kept it over the row it read, which may have been
   * emptied again after the write (a message folded in): a load after the answer must settle it.
   */
  keptOverLoad: boolean;
  /**
   * Once the database accepted it on every row named: the loads begun by then. A load that began
   * before may have read the row before the write committed.
   */
  acceptedAtLoad?: number;
}

const stampKey = (id: string, field: StampedField) => `${id} ${field}`;

function add(a: InboxCounts, b: InboxCounts): InboxCounts {
  return { unread: a.unread + b.unread, unseen: a.unseen + b.unseen };
}

/** Never below zero: a recount follows every adjustment, and a count is never negative. */
function subtract(a: InboxCounts, b: InboxCounts): InboxCounts {
  return { unread: Math.max(0, a.unread - b.unread), unseen: Math.max(0, a.unseen - b.unseen) };
}
