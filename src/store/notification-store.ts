import { compareNewestFirst, isUnread, type Cursor, type WacrmNotification } from '../notification.js';
import type {
  NotificationChange,
  NotificationError,
  NotificationQueries,
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
  /** Every unread row of the user in the database, loaded or not. */
  readonly unreadCount: number;
  /** Older rows exist beyond `items`. */
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
  readonly realtime: RealtimeStatus;
  /** The last problem, until the next successful load. */
  readonly error: NotificationError | null;
}

export interface NotificationStoreOptions {
  /** Rows per page (first load and each loadMore). Default 20. */
  pageSize?: number;
  /** How long to gather events before recounting rows beyond the loaded window. Default 30 ms. */
  recountDelayMs?: number;
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

const signedOut: NotificationState = Object.freeze({
  userId: null,
  status: 'signed-out',
  items: Object.freeze([]) as readonly WacrmNotification[],
  unreadCount: 0,
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

/**
 * The notification list and unread count of one user, kept equal to the database.
 *
 * The count is never a running guess. It is the unread rows held in `items` (exact: every realtime
 * change to them is applied, in commit order) plus the unread rows older than the oldest held row.
 * Rows there never receive inserts (new rows are always the newest), so that second part only
 * changes through updates and deletes of rows we do not hold; each of those schedules a recount of
 * it from the database. Events racing a load are queued and replayed after it: `apply` is
 * idempotent, an upsert by id.
 */
export class NotificationStore extends EventTarget {
  readonly pageSize: number;
  readonly #recountDelayMs: number;
  #state: NotificationState = idle;
  #queries: NotificationQueries | null = null;
  /** Unread rows older than the oldest held row. */
  #unreadBeyond = 0;
  /** Bumped on every reset: results of work started for another user are dropped. */
  #generation = 0;
  /** Changes that arrived while a load was replacing `items`; replayed after it. */
  #queued: NotificationChange[] | null = null;
  #syncing: Promise<void> | null = null;
  /** A sync asked for that has not started yet (it waits for the one running). */
  #waitingSync: Promise<void> | null = null;
  #recountTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failed loads in a row: the next retry waits longer (1, 2, 5, 10, 30 s). */
  #failures = 0;
  #recountRequest = 0;
  /** Optimistic read times, so a failed write rolls back only what it set. */
  readonly #placeholders = new Map<string, string>();

  constructor(options: NotificationStoreOptions = {}) {
    super();
    this.pageSize = normalizePageSize(options.pageSize);
    this.#recountDelayMs = options.recountDelayMs ?? 30;
  }

  get state(): NotificationState {
    return this.#state;
  }

  /**
   * Starts over: a user (loading until `sync()`), signed out when `userId` is null, or idle (no user
   * known yet) when it is undefined.
   */
  reset(queries: NotificationQueries | null, userId: string | null | undefined): void {
    this.suspend();
    this.#queries = userId ? queries : null;
    this.#unreadBeyond = 0;
    // Until the first load lands, changes wait: the load replaces `items` wholesale.
    this.#queued = userId ? [] : null;
    this.#placeholders.clear();
    this.#failures = 0;
    if (userId) this.#commit({ ...signedOut, userId, status: 'loading', realtime: 'connecting' });
    else this.#commit(userId === null ? signedOut : idle);
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
    if (this.#state.loadingMore) this.#commit({ ...this.#state, loadingMore: false });
  }

  setRealtimeStatus(realtime: RealtimeStatus): void {
    if (this.#state.userId && realtime !== this.#state.realtime) this.#commit({ ...this.#state, realtime });
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
   * again, the tab becomes visible or the browser comes back online.
   */
  sync(): Promise<void> {
    if (!this.#queries || !this.#state.userId) return Promise.resolve();
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
    const { items, hasMore, loadingMore, status } = this.#state;
    if (!queries || !hasMore || loadingMore || status !== 'ready' || items.length === 0) return;
    const generation = this.#generation;
    this.#commit({ ...this.#state, loadingMore: true });
    try {
      const oldest = cursorOf(items[items.length - 1]!);
      const page = await queries.fetchPage(this.pageSize + 1, oldest);
      if (generation !== this.#generation) return;
      const more = page.length > this.pageSize;
      const added = page.slice(0, this.pageSize);
      // The rows just loaded were part of the count beyond the window; a recount confirms it.
      this.#unreadBeyond = Math.max(0, this.#unreadBeyond - added.filter(isUnread).length);
      this.#commit({ ...this.#state, items: this.#merge(this.#state.items, added), hasMore: more, loadingMore: false });
      if (more) this.#scheduleRecount();
      else this.#unreadBeyond = 0;
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#commit({ ...this.#state, loadingMore: false });
      this.fail(toError(error));
    }
  }

  /** Applies one realtime change. Idempotent: the same change twice leaves the same state. */
  apply(change: NotificationChange): void {
    if (!this.#state.userId) return;
    if (this.#queued) {
      this.#queued.push(change);
      return;
    }
    if (change.type === 'DELETE') return this.#applyDelete(change.id, change.previousReadAt);
    const { row } = change;
    if (row.user_id !== this.#state.userId) return; // not ours: never shown, never counted
    const held = this.#state.items.find((item) => item.id === row.id);
    if (held || this.#withinWindow(row)) {
      this.#placeholders.delete(row.id);
      this.#commit({ ...this.#state, items: this.#merge(this.#state.items, [row]) });
      if (!held && change.type === 'INSERT' && this.#state.status === 'ready') {
        this.dispatchEvent(new StoreReceiveEvent(row));
      }
      return;
    }
    // A row older than the window: adjust the count at once when the event says enough, and
    // recount either way.
    if (change.type === 'UPDATE' && change.previousReadAt !== undefined) {
      const delta = (isUnread(row) ? 1 : 0) - (change.previousReadAt === null ? 1 : 0);
      this.#unreadBeyond = Math.max(0, this.#unreadBeyond + delta);
      this.#commit({ ...this.#state });
    }
    this.#scheduleRecount();
  }

  /** Marks one notification read at once on screen, then in the database; rolls back on failure. */
  async markRead(id: string): Promise<boolean> {
    const item = this.#state.items.find((candidate) => candidate.id === id);
    if (!this.#queries || !item || !isUnread(item)) return true;
    return this.#markOptimistically([item], [id], false);
  }

  /** Marks every unread notification of the user read, loaded or not. */
  async markAllRead(): Promise<boolean> {
    if (!this.#queries || this.#state.unreadCount === 0) return true;
    return this.#markOptimistically(this.#state.items.filter(isUnread), null, true);
  }

  async #markOptimistically(items: WacrmNotification[], ids: string[] | null, beyondToo: boolean): Promise<boolean> {
    const queries = this.#queries!;
    const generation = this.#generation;
    const placeholder = new Date().toISOString();
    const beyondBefore = this.#unreadBeyond;
    for (const item of items) this.#placeholders.set(item.id, placeholder);
    if (beyondToo) this.#unreadBeyond = 0;
    const marked = new Set(items.map((item) => item.id));
    this.#commit({
      ...this.#state,
      items: this.#state.items.map((item) => (marked.has(item.id) ? { ...item, read_at: placeholder } : item)),
    });
    try {
      await queries.markRead(ids);
      if (generation === this.#generation && beyondToo) this.#scheduleRecount();
      return true;
    } catch (error) {
      if (generation !== this.#generation) return false;
      // Undo only what is still ours: a realtime update may have brought the server's value since.
      const undo = new Set([...marked].filter((id) => this.#placeholders.get(id) === placeholder));
      for (const id of undo) this.#placeholders.delete(id);
      if (beyondToo) {
        this.#unreadBeyond = beyondBefore;
        this.#scheduleRecount();
      }
      this.#commit({
        ...this.#state,
        items: this.#state.items.map((item) =>
          undo.has(item.id) && item.read_at === placeholder ? { ...item, read_at: null } : item,
        ),
      });
      const cause = toError(error);
      this.fail({
        code: 'write-failed',
        message: `Could not mark ${ids === null ? 'all notifications' : 'the notification'} as read: ${cause.message}`,
        cause: error,
      });
      return false;
    }
  }

  async #sync(): Promise<void> {
    const queries = this.#queries;
    if (!queries) return;
    const generation = this.#generation;
    const first = this.#state.status !== 'ready';
    const before = new Set(this.#state.items.map((item) => item.id));
    const newestBefore = this.#state.items[0];
    this.#queued ??= [];
    try {
      let items: WacrmNotification[];
      let hasMore: boolean;
      if (first || !this.#state.hasMore) {
        // Nothing held yet, or the whole list: read it from the top. A row we never received can
        // be older than the oldest we hold (its event was skipped, or its transaction began
        // before others and committed after them), so the held rows are no bound here.
        const size = first ? this.pageSize : Math.max(this.pageSize, this.#state.items.length);
        const page = await queries.fetchPage(size + 1);
        hasMore = page.length > size;
        items = page.slice(0, size);
      } else {
        // Rows older than the window are counted, not listed: paging reaches them.
        items = await queries.fetchWindow(cursorOf(this.#state.items[this.#state.items.length - 1]!));
        hasMore = true;
      }
      const beyond = hasMore ? await queries.countUnread(cursorOf(items[items.length - 1]!)) : 0;
      if (generation !== this.#generation) return;
      this.#unreadBeyond = beyond;
      this.#placeholders.clear();
      const queued = this.#queued;
      this.#queued = null;
      this.#failures = 0;
      clearTimeout(this.#retryTimer);
      this.#commit({ ...this.#state, status: 'ready', items: this.#merge([], items), hasMore, error: null });
      if (!first) {
        for (const item of this.#state.items) {
          if (!before.has(item.id) && (!newestBefore || compareNewestFirst(item, newestBefore) < 0)) {
            this.dispatchEvent(new StoreReceiveEvent(item));
          }
        }
      }
      for (const change of queued) this.apply(change);
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
      if (!first) for (const change of queued) this.apply(change);
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

  #applyDelete(id: string, previousReadAt: string | null | undefined): void {
    const held = this.#state.items.some((item) => item.id === id);
    if (held) {
      this.#placeholders.delete(id);
      this.#commit({ ...this.#state, items: this.#state.items.filter((item) => item.id !== id) });
      return;
    }
    if (previousReadAt === null) this.#unreadBeyond = Math.max(0, this.#unreadBeyond - 1);
    this.#commit({ ...this.#state });
    this.#scheduleRecount();
  }

  /** A row belongs in `items` when the whole list is loaded or it is newer than the oldest held. */
  #withinWindow(row: WacrmNotification): boolean {
    const { items, hasMore } = this.#state;
    if (!hasMore || items.length === 0) return true;
    return compareNewestFirst(row, items[items.length - 1]!) < 0;
  }

  #merge(items: readonly WacrmNotification[], rows: readonly WacrmNotification[]): readonly WacrmNotification[] {
    const byId = new Map(items.map((item) => [item.id, item]));
    for (const row of rows) byId.set(row.id, Object.freeze({ ...row }));
    return Object.freeze([...byId.values()].sort(compareNewestFirst));
  }

  #scheduleRecount(): void {
    clearTimeout(this.#recountTimer);
    this.#recountTimer = setTimeout(() => void this.#recountBeyond(), this.#recountDelayMs);
  }

  async #recountBeyond(): Promise<void> {
    const queries = this.#queries;
    if (!queries || this.#state.status !== 'ready') return;
    const generation = this.#generation;
    const request = ++this.#recountRequest;
    const { items, hasMore } = this.#state;
    const oldest = items[items.length - 1];
    try {
      const beyond = hasMore && oldest ? await queries.countUnread(cursorOf(oldest)) : 0;
      // Only the latest recount for the same window may set the count.
      const nowOldest = this.#state.items[this.#state.items.length - 1];
      if (generation !== this.#generation || request !== this.#recountRequest) return;
      if (nowOldest?.id !== oldest?.id) return this.#scheduleRecount();
      this.#unreadBeyond = beyond;
      this.#commit({ ...this.#state });
    } catch (error) {
      if (generation === this.#generation) this.fail(toError(error));
    }
  }

  #commit(next: NotificationState): void {
    const heldUnread = next.items.reduce((count, item) => count + (isUnread(item) ? 1 : 0), 0);
    const unreadCount = next.userId ? heldUnread + this.#unreadBeyond : 0;
    this.#state = Object.freeze({ ...next, unreadCount });
    this.dispatchEvent(new StoreChangeEvent(this.#state));
  }
}
