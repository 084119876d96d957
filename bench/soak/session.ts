// One tab's working day, from inside the page: a host app signs in with supabase-js (token refreshed
// by supabase-js itself, as apps leave it), mounts a <wacrm-notification-bell> and hands it every
// new session, and an agent uses it — opens the panel (so what arrives is marked seen), reads some,
// archives some, marks all read and archives what is read. The soak drivers (bench/soak.ts through
// bench/soak/page.ts, and test/browser/soak.test.ts) move the clock, write to the database and
// read `snapshot()`; nothing here imports the package, which the page loads in its own form after
// ./instrument.js.
import { createClient, type Session, type SupabaseClient } from '@supabase/supabase-js';
import type { NotificationErrorEvent as WacrmErrorEvent, WacrmNotificationBell } from '../../src/index.js';
import { clock, mark, probe, total, type ByOrigin, type ListenerEntry, type ProbeCounts } from './instrument.js';

export interface SoakStartOptions {
  url: string;
  anonKey: string;
  email: string;
  password: string;
  transport?: 'postgres_changes' | 'broadcast';
  /** Keep a trace of the realtime changes, list reads and arrivals of each notification (for lost ones). */
  trace?: boolean;
}

/** A rendered notification's relative time, and what a <relative-time> made now says for it. */
export interface TimeCheck {
  id: string;
  createdAt: string;
  text: string;
  fresh: string;
}

export interface SoakSnapshot {
  /** Simulated ms since the page's clock was installed. */
  simulatedMs: number;
  received: number;
  tokenRefreshes: number;
  heartbeatTimeouts: number;
  /** `wacrm-error` codes seen so far. */
  errors: string[];
  realtime: string;
  items: number;
  unread: number;
  unseen: number;
  badge: string;
  renderedRows: number;
  /** Nodes in the document, shadow roots included (DOM nodes the page holds on screen). */
  domNodes: number;
  relativeTimes: number;
  /** Requests the page made so far, by method and path. */
  requests: Record<string, number>;
  /** Requests answered with an error status, and the answer. */
  failedRequests: string[];
  /** Timers of the code under test pending now, and the most pending at once since the last snapshot. */
  timers: ByOrigin;
  timersHighWater: number;
  timersHighWaterByOrigin: ByOrigin;
  /** Timers pending now that were set after the bell was created (before it: the host's client's). */
  timersSinceMount: ByOrigin;
  probe: ProbeCounts;
  /** Listeners on window, document and non-node targets registered since the bell was created. */
  listenersSinceMount: ListenerEntry[];
  /** The client's realtime channels (client.getChannels()). */
  channels: number;
  locksHeld: number;
  locksPending: number;
  /** The witness: the first notification of the day, kept in the inbox all day. */
  witness: TimeCheck | null;
  /** Rendered relative times compared with fresh ones (the newest and the oldest rendered). */
  timesChecked: number;
  /** Those whose text differs from a fresh element's: a time that stopped ticking. */
  staleTimes: TimeCheck[];
}

export interface CloseReport {
  /** What was left right after the bell was removed and its closing settled. */
  atClose: SoakSnapshot;
  /** Requests the page made after the removal, other than the host's own token refreshes. */
  requestsAfterClose: string[];
}

type Bell = WacrmNotificationBell;

/** A wacrm-receive: `key` is arrivalKey() of its notification; `at` real epoch ms. */
export interface Arrival {
  key: string;
  at: number;
}

/**
 * Tells arrivals apart: the notification's id, and for a coalesced message notification how many
 * messages it holds (each message that folds into it arrives again, one more).
 */
export function arrivalKey(notification: { id: string; data: unknown }): string {
  const count = (notification.data as { message_count?: unknown } | null)?.message_count;
  return `${notification.id}#${typeof count === 'number' ? count : 1}`;
}

const realNow = () => performance.timeOrigin + performance.now();

/** Real-time polling (performance.now is not simulated): for the harness's waits only. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const panelOf = (bell: Bell) => bell.shadowRoot?.querySelector('wacrm-notification-panel') ?? null;
const panelRoot = (bell: Bell) => panelOf(bell)?.shadowRoot ?? null;

function countNodes(root: Node): number {
  let count = 0;
  const walk = (node: Node) => {
    count++;
    if (node instanceof Element && node.shadowRoot) walk(node.shadowRoot);
    for (let child = node.firstChild; child; child = child.nextSibling) walk(child);
  };
  walk(root);
  return count;
}

export class SoakSession {
  readonly client: SupabaseClient;
  /** Dropped by remove(), so that only a leak can keep the bell (and its store) alive. */
  #bell: Bell | null = null;
  #bellCollected: WeakRef<Bell> | null = null;
  #storeCollected: WeakRef<object> | null = null;
  #stopHostWiring: () => void = () => undefined;
  #received = 0;
  /** Each wacrm-receive not yet drained: which notification (and which of its messages), and when (real epoch ms). */
  #arrivals: Arrival[] = [];
  #tokenRefreshes = 0;
  #heartbeatInFlight = false;
  #heartbeatTimeouts = 0;
  #requestsInFlight = 0;
  #closed = false;
  readonly #requestsAfterClose: string[] = [];
  /** Requests answered with an error status: what, and the answer. */
  readonly #failures: string[] = [];
  /** Requests the page made, by method and path (`GET notifications`, `POST rpc/mark_notifications_read`). */
  readonly #requests: Record<string, number> = {};
  readonly #errors: string[] = [];
  #witnessId: string | null = null;
  /** Per notification id: what happened to it, when (real ms), while tracing. */
  #trace: Map<string, string[]> | null = null;
  #traceListReads: string[] = [];
  /** The probes' mark() just before the bell was created. */
  #mounted = 0;

  private constructor(client: SupabaseClient) {
    this.client = client;
  }

  get bell(): Bell {
    if (!this.#bell) throw new Error('the bell was removed');
    return this.#bell;
  }

  /** After remove() and a collection: whether the bell and its store are gone (nothing kept them). */
  collected(): { bell: boolean; store: boolean } {
    return { bell: !this.#bellCollected?.deref(), store: !this.#storeCollected?.deref() };
  }

  static async start(options: SoakStartOptions): Promise<SoakSession> {
    // eslint-disable-next-line prefer-const -- assigned once the client exists, read by its fetch
    let session: SoakSession | undefined;
    const soakFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const tokenGrant = url.pathname.endsWith('/auth/v1/token');
      if (session) {
        session.#requestsInFlight++;
        const kind = `${init?.method ?? 'GET'} ${url.pathname.replace(/^\/(rest|auth)\/v1\//, '')}`;
        session.#requests[kind] = (session.#requests[kind] ?? 0) + 1;
        if (kind === 'GET notifications' || kind === 'HEAD notifications') session.#noteListRead(`${kind} ${url.search.slice(-120)}`);
        if (session.#closed && !tokenGrant) session.#requestsAfterClose.push(`${init?.method ?? 'GET'} ${url.pathname}`);
      }
      try {
        const response = await fetch(input, init);
        if (session && url.pathname.endsWith('/rest/v1/notifications') && (init?.method ?? 'GET') !== 'PATCH') session.#noteListRead(`  answered ${init?.method ?? 'GET'}`);
        if (!response.ok && session) {
          const body = await response.clone().text().catch(() => '');
          session.#failures.push(`${response.status} ${init?.method ?? 'GET'} ${url.pathname}${url.search}: ${body.slice(0, 300)}`);
        }
        if (!tokenGrant || !response.ok) return response;
        // The stand-in's Auth stamps expires_at with its own (real) clock, hours behind this page's:
        // without it supabase-js dates the expiry from expires_in on the page's clock, as it does
        // for servers that send none, and refreshes the token an hour (simulated) after each grant.
        const body = (await response.json()) as Record<string, unknown>;
        delete body.expires_at;
        return new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers: response.headers });
      } finally {
        if (session) session.#requestsInFlight--;
      }
    };
    const client = createClient(options.url, options.anonKey, {
      auth: { persistSession: false, autoRefreshToken: true, detectSessionInUrl: false },
      global: { fetch: soakFetch },
    });
    const { data, error } = await client.auth.signInWithPassword({ email: options.email, password: options.password });
    if (error || !data.session) throw new Error(`sign-in failed: ${error?.message ?? 'no session'}`);

    session = new SoakSession(client);
    if (options.trace) session.#startTrace();
    session.#watchHeartbeats();
    await session.#mount(data.session, options.transport);
    return session;
  }

  // The harness's closures reach the bell through `this.#bell` only, never through a variable of
  // their scope: a closure kept by the client (the heartbeat watcher) would otherwise keep the
  // removed bell alive, and the soak would blame the package for it.

  #startTrace(): void {
    const trace = new Map<string, string[]>();
    this.#trace = trace;
    const at = () => Math.round(performance.now());
    const note = (id: string, what: string) => trace.set(id, [...(trace.get(id) ?? []), `${at()} ${what}`]);
    window.wacrmSoakTap = (data) => {
      if (typeof data !== 'string' || !data.includes('"postgres_changes"')) return;
      const message = JSON.parse(data) as unknown[];
      const change = (message[4] as { data?: { type?: string; commit_timestamp?: string; record?: Record<string, unknown> } } | undefined)?.data;
      const record = change?.record;
      if (!record || typeof record.id !== 'string') return;
      const count = (record.data as { message_count?: unknown } | null)?.message_count;
      const held = () => {
        const item = this.#bell?.activeStore.state.items.find((candidate) => candidate.id === record.id);
        return item ? `held at ${item.created_at}` : 'not held';
      };
      const before = held();
      const id = record.id;
      note(id, `realtime ${change.type} committed ${change.commit_timestamp} created ${String(record.created_at)} messages=${typeof count === 'number' ? count : '-'} read=${Boolean(record.read_at)} archived=${Boolean(record.archived_at)}; ${before}`);
      queueMicrotask(() => note(id, `  then ${held()}`));
    };
    this.#noteArrival = (key) => note(key.split('#')[0]!, `wacrm-receive ${key}`);
    this.#noteListRead = (what) => this.#traceListReads.push(`${at()} ${what}`);
  }

  #noteArrival: (key: string) => void = () => undefined;
  #noteListRead: (what: string) => void = () => undefined;

  /** While tracing: what happened to notification `id`, and the list reads of the day. */
  traceOf(id: string): { events: string[]; listReads: string[] } {
    return { events: this.#trace?.get(id) ?? [], listReads: [...this.#traceListReads] };
  }

  #watchHeartbeats(): void {
    this.client.realtime.onHeartbeat((status) => {
      this.#heartbeatInFlight = status === 'sent';
      if (status === 'timeout') this.#heartbeatTimeouts++;
    });
  }

  async #mount(initial: Session, transport: SoakStartOptions['transport']): Promise<void> {
    this.#mounted = mark();
    const bell = document.createElement('wacrm-notification-bell');
    this.#bell = bell;
    this.#bellCollected = new WeakRef(bell);
    // The host app's wiring: every new session goes to the bell (it passes the token on to Realtime).
    const { data: wiring } = this.client.auth.onAuthStateChange((event, next: Session | null) => {
      if (event === 'TOKEN_REFRESHED') this.#tokenRefreshes++;
      if (next && this.#bell) this.#bell.session = next;
    });
    this.#stopHostWiring = () => wiring.subscription.unsubscribe();
    bell.addEventListener('wacrm-receive', (event) => {
      this.#received++;
      const key = arrivalKey(event.notification);
      this.#arrivals.push({ key, at: realNow() });
      this.#noteArrival(key);
      this.#witnessId ??= event.notification.id;
    });
    bell.addEventListener('wacrm-error', (event) => this.#errors.push(event.error.code));
    if (transport) bell.transport = transport;
    bell.supabase = this.client;
    bell.session = initial;
    document.body.append(bell);
    await until(() => {
      const { status, realtime } = this.bell.activeStore.state;
      return status === 'ready' && realtime === 'live';
    }, 'the bell to load and go live', 20_000);
    await this.bell.updateComplete;
  }

  get received(): number {
    return this.#received;
  }

  get witnessId(): string | null {
    return this.#witnessId;
  }

  /** Whether `count` notifications have arrived within `timeoutMs` (real time). */
  async waitForReceived(count: number, timeoutMs = 10_000): Promise<boolean> {
    return until(() => this.#received >= count, `${count} notifications`, timeoutMs).then(
      () => true,
      () => false,
    );
  }

  /** The arrivals since the last call (wacrm-receive, in order). */
  drainArrivals(): Arrival[] {
    const arrivals = this.#arrivals;
    this.#arrivals = [];
    return arrivals;
  }

  /**
   * Moves the page's clock `ms` ahead once the network is idle: a jump never outruns a heartbeat,
   * request or token refresh in flight (their timeouts are timers too), as if each round trip took
   * no simulated time.
   */
  async advance(ms: number): Promise<void> {
    await this.settle();
    await clock.advance(ms);
  }

  /** Resolves once no request and no heartbeat is in flight (real time). */
  async settle(timeoutMs = 10_000): Promise<void> {
    await until(() => this.#requestsInFlight === 0 && !this.#heartbeatInFlight, 'the network to be idle', timeoutMs);
  }

  async open(): Promise<void> {
    await this.bell.show();
  }

  async close(): Promise<void> {
    await this.bell.hide();
  }

  /** The rendered rows, newest first: their notification id, whether unread, and their buttons. */
  #rows(bell = this.bell) {
    const root = panelRoot(bell);
    return [...(root?.querySelectorAll<HTMLLIElement>('li[part="row"]') ?? [])].map((row) => {
      const item = row.querySelector<HTMLButtonElement>('[part~="item"]')!;
      return {
        id: item.dataset.id!,
        unread: item.matches('[part~="item--unread"]'),
        item,
        archive: row.querySelector<HTMLButtonElement>('[part="archive"]'),
        time: row.querySelector<HTMLElement>('relative-time'),
      };
    });
  }

  /**
   * Acts, then waits (real time) for `count` of the panel's `type` events — the element fires them
   * once its write has succeeded, so the database has it when this resolves — or `wacrm-error`
   * write-failed in their place. Resolves with the failures.
   */
  async #expect(type: 'wacrm-read' | 'wacrm-archive', count: number, act: () => void, timeoutMs = 20_000): Promise<number> {
    let seen = 0;
    let failed = 0;
    const done = () => seen++;
    const failure = (event: Event) => {
      if ((event as WacrmErrorEvent).error.code === 'write-failed') failed++;
    };
    this.bell.addEventListener(type, done);
    this.bell.addEventListener('wacrm-error', failure);
    try {
      act();
      await until(() => seen + failed >= count, `${count} ${type} event(s)`, timeoutMs);
      return failed;
    } finally {
      this.bell.removeEventListener(type, done);
      this.bell.removeEventListener('wacrm-error', failure);
    }
  }

  /** Clicks the `count` newest unread notifications (not the witness), as the agent reads them. */
  async readNewest(count: number): Promise<number> {
    const rows = this.#rows().filter((row) => row.unread && row.id !== this.#witnessId).slice(0, count);
    await this.#expect('wacrm-read', rows.length, () => rows.forEach((row) => row.item.click()));
    return rows.length;
  }

  /** Clicks the archive button of the `count` oldest read notifications (not the witness). */
  async archiveOldestRead(count: number): Promise<number> {
    const rows = this.#rows().filter((row) => !row.unread && row.archive && row.id !== this.#witnessId).reverse().slice(0, count);
    await this.#expect('wacrm-archive', rows.length, () => rows.forEach((row) => row.archive!.click()));
    return rows.length;
  }

  /**
   * "Mark all as read", then "archive read": the inbox emptied but for the witness, which the agent
   * marks unread again in between (through supabase-js, as another app of theirs would; the panel
   * has no "mark unread"), so that one notification lives through the whole day. The witness is the
   * oldest row: a catch-up may leave it beyond the loaded window (counted, not listed, as the store
   * keeps rows that paging reaches), so the list is scrolled to its end to bring it back, as a
   * reader would.
   */
  async clearInbox(): Promise<void> {
    const store = this.bell.activeStore;
    const root = panelRoot(this.bell)!;
    // A write that fails is clicked again, as the agent would on seeing the error.
    for (let attempt = 0; attempt < 3; attempt++) {
      const markAll = root.querySelector<HTMLButtonElement>('[part="mark-all"]');
      if (!markAll || markAll.disabled || (await this.#expect('wacrm-read', 1, () => markAll.click())) === 0) break;
    }
    const witness = this.#witnessId;
    const held = () => store.state.items.find((item) => item.id === witness);
    if (witness) {
      const { data, error } = await this.client.from('notifications').update({ read_at: null }).eq('id', witness).select('id');
      if (error || data?.length !== 1) throw new Error(`could not mark the witness unread: ${error?.message ?? JSON.stringify(data)}`);
      // Archive read moves what the list shows as read at once: not the witness.
      await until(() => !held() || held()!.read_at === null, 'the witness unread again');
    }
    await this.bell.updateComplete;
    for (let attempt = 0; attempt < 3; attempt++) {
      const archiveRead = root.querySelector<HTMLButtonElement>('[part="archive-read"]');
      if (!archiveRead || archiveRead.disabled || (await this.#expect('wacrm-archive', 1, () => archiveRead.click())) === 0) break;
    }
    if (witness) await this.#scrollTo(() => held() !== undefined, 'the witness to be listed again');
  }

  /** Scrolls the open panel's list to its end until `found()` or every row is loaded. */
  async #scrollTo(found: () => boolean, what: string): Promise<void> {
    const store = this.bell.activeStore;
    for (let page = 0; !found() && page < 1000; page++) {
      if (!store.state.hasMore) break;
      const list = panelRoot(this.bell)?.querySelector<HTMLElement>('[part="list"]');
      if (list) list.scrollTop = list.scrollHeight;
      const before = store.state.items.length;
      await until(() => found() || store.state.items.length !== before || !store.state.hasMore, what);
      await this.settle();
    }
    if (!found()) {
      const { data } = await this.client.from('notifications').select('id, read_at, seen_at, archived_at, created_at').eq('id', this.#witnessId!);
      throw new Error(`not found: ${what}; the database has ${JSON.stringify(data)}; the store holds ${store.state.items.length}, hasMore ${store.state.hasMore}, requests ${JSON.stringify(this.#requests)}`);
    }
  }

  /**
   * Compares the panel's relative times with <relative-time> elements made now for the same
   * instants. The element refreshes on a timer of its own unit (every second under a minute, every
   * minute under an hour, hourly beyond), not on the unit's boundaries, so a text one refresh old is
   * on time: it passes when it matches a fresh element for the instant or for the instant one
   * unit later (what the element showed at its last refresh, at the latest).
   */
  async #checkTimes(bell: Bell, limit: number): Promise<{ checked: TimeCheck[]; witness: TimeCheck | null }> {
    const rows = this.#rows(bell).filter((row) => row.time);
    const chosen = rows.length <= limit ? rows : [...rows.slice(0, limit / 2), ...rows.slice(-limit / 2)];
    const witnessRow = rows.find((row) => row.id === this.#witnessId);
    if (witnessRow && !chosen.includes(witnessRow)) chosen.push(witnessRow);
    const now = Date.now();
    const unitOf = (instant: number) => {
      const age = Math.abs(now - instant);
      return age < 60_000 ? 1000 : age < 3_600_000 ? 60_000 : 3_600_000;
    };
    const scratch = document.createElement('div');
    scratch.hidden = true;
    document.body.append(scratch);
    const freshFor = (shown: HTMLElement, shift: number) => {
      const element = document.createElement('relative-time');
      for (const name of ['lang', 'format', 'tense']) {
        const value = shown.getAttribute(name);
        if (value !== null) element.setAttribute(name, value);
      }
      const instant = Date.parse(shown.getAttribute('datetime') ?? '');
      element.setAttribute('datetime', new Date(instant + shift).toISOString());
      return element;
    };
    const fresh = chosen.map((row) => {
      const instant = Date.parse(row.time!.getAttribute('datetime') ?? '');
      return [freshFor(row.time!, 0), freshFor(row.time!, unitOf(instant) + 1000)] as const;
    });
    scratch.append(...fresh.flat());
    // Their attribute changes queued an update each: let it run while they are on the page. One
    // that ran after the removal would observe a detached element again, for good
    // (@github/relative-time-element 5.3.1 re-observes whatever it updates).
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    await Promise.resolve();
    const textOf = (element: Element) => element.shadowRoot?.textContent?.trim() ?? '';
    const checked = chosen.map((row, index): TimeCheck => {
      const [exact, lastRefresh] = fresh[index]!;
      const text = textOf(row.time!);
      return {
        id: row.id,
        createdAt: row.time!.getAttribute('datetime') ?? '',
        text,
        fresh: text === textOf(lastRefresh) ? text : textOf(exact),
      };
    });
    scratch.remove();
    return { checked, witness: checked.find((check) => check.id === this.#witnessId) ?? null };
  }

  /**
   * What the page holds and runs now. `checkTimes: false` after the bell is gone: the fresh
   * <relative-time> elements of the check would set a timer of their own.
   */
  async snapshot({ checkTimes = true } = {}): Promise<SoakSnapshot> {
    const bell = this.#bell;
    if (bell) {
      await bell.updateComplete;
      await panelOf(bell)?.updateComplete;
    }
    const state = bell?.activeStore.state;
    const { checked, witness } = bell && checkTimes ? await this.#checkTimes(bell, 40) : { checked: [], witness: null };
    const locks = await navigator.locks.query();
    // Read before anything else of the harness moves: the high-water mark since the last snapshot.
    const highWater = clock.highWater();
    clock.resetHighWater();
    const root = bell && panelRoot(bell);
    return {
      simulatedMs: clock.elapsed,
      received: this.#received,
      tokenRefreshes: this.#tokenRefreshes,
      heartbeatTimeouts: this.#heartbeatTimeouts,
      errors: [...this.#errors],
      realtime: state?.realtime ?? 'removed',
      items: state?.items.length ?? 0,
      unread: state?.unreadCount ?? 0,
      unseen: state?.unseenCount ?? 0,
      badge: bell?.shadowRoot?.querySelector('[part="badge"]')?.textContent?.trim() ?? '',
      renderedRows: root?.querySelectorAll('li[part="row"]').length ?? 0,
      domNodes: countNodes(document),
      relativeTimes: root?.querySelectorAll('relative-time').length ?? 0,
      requests: { ...this.#requests },
      failedRequests: [...this.#failures],
      timers: clock.pending(),
      timersHighWater: highWater.total,
      timersHighWaterByOrigin: highWater.byOrigin,
      timersSinceMount: clock.pending(this.#mounted),
      probe: probe.counts(),
      listenersSinceMount: probe.listenersSince(this.#mounted),
      channels: this.client.getChannels().length,
      locksHeld: locks.held?.length ?? 0,
      locksPending: locks.pending?.length ?? 0,
      witness,
      timesChecked: checked.length,
      staleTimes: checked.filter((check) => check.text !== check.fresh),
    };
  }

  /**
   * Takes the bell off the page, as an app does when the user leaves the view, and waits (real
   * time, at most `timeoutMs`) for its channel and socket to close. The host's supabase-js client
   * stays (with its token refreshes): it is the app's, not the element's.
   */
  async remove(timeoutMs = 5000): Promise<CloseReport> {
    this.#closed = true;
    const bell = this.bell;
    this.#storeCollected = new WeakRef(bell.activeStore);
    // The app tears the view down: it stops handing sessions to the bell and forgets it.
    this.#stopHostWiring();
    this.#stopHostWiring = () => undefined;
    bell.remove();
    this.#bell = null;
    const closed = () => this.client.getChannels().length === 0 && total(probe.counts().webSockets) === 0;
    await until(closed, 'the channel and socket to close', timeoutMs).catch(() => undefined);
    await this.settle().catch(() => undefined);
    return { atClose: await this.snapshot({ checkTimes: false }), requestsAfterClose: [...this.#requestsAfterClose] };
  }

  get requestsAfterClose(): string[] {
    return [...this.#requestsAfterClose];
  }
}

export { clock, probe };
