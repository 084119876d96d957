// The page Chromium runs for the browser figures of `npm run bench` (served by bench/browser.ts).
// It registers the widget from its source and offers two things to the Node side, as
// window.wacrmBench:
//   - live: a signed-in bell on the stand-in, whose badge and panel are watched with
//     MutationObservers inside their shadow roots; every change is reported at once through
//     window.benchReport (a puppeteer binding), so Node timestamps it on the same clock as the commit;
//   - render: bells over a NotificationStore fed by in-memory queries (no network), for the time to
//     open the panel and the heap after paging through a long list.
import '../../src/define.js';
import { createClient } from '@supabase/supabase-js';
import { NotificationStore, type InboxCounts, type NotificationPreferences, type NotificationQueries, type WacrmNotification, type Cursor } from '../../src/index.js';
import { compareNewestFirst } from '../../src/notification.js';

type Bell = HTMLElementTagNameMap['wacrm-notification-bell'];
type Panel = HTMLElementTagNameMap['wacrm-notification-panel'];

/** What changed on screen: the badge's text, or the panel's newest entry (its notification id). */
export type ReportKind = 'badge' | 'entry';

export interface LiveOptions {
  url: string;
  anonKey: string;
  email: string;
  password: string;
  /** The bell's `transport` (default: the element's, postgres_changes). */
  transport?: 'postgres_changes' | 'broadcast';
  /** The bell's `tab-sharing` (default: the element's, on). */
  tabSharing?: 'on' | 'off';
}

export interface OpenTimings {
  /** show() called → the first frame after it has been produced (the panel is on screen). */
  toPaintMs: number[];
  /** show() called → show() resolved: Lit's update, showPopover and the forced layout of placing it. */
  toShownMs: number[];
}

export interface PagingResult {
  items: number;
  pages: number;
  ms: number;
}

export interface BenchApi {
  /** Epoch ms on the page's clock (for the clock comparison only). */
  clock(): number;
  live: {
    start(options: LiveOptions): Promise<void>;
    setOpen(open: boolean): Promise<void>;
    state(): { unreadCount: number; items: number; badge: string; firstEntry: string | null };
    /** Whether this page's Supabase client has a realtime socket open (a tab that leads, or does not share). */
    connected(): boolean;
  };
  render: {
    /** Times opening a bell whose store holds `items` rows (all loaded, nothing more to load). */
    openTimes(items: number, runs: number): Promise<OpenTimings>;
    /** A bell over `total` rows in pages of `pageSize`, open, first page shown. */
    mountPager(total: number, pageSize: number): Promise<void>;
    /** Scrolls the open panel to its end until every row is loaded and rendered. */
    pageThrough(): Promise<PagingResult>;
    /** Times opening the pager's bell (its whole list now loaded). */
    openPagerTimes(runs: number): Promise<OpenTimings>;
    /** Appends a new bell whose store already holds `items` rows and opens it: to the first frame. */
    mountAndOpen(items: number): Promise<number>;
    clear(): void;
  };
}

declare global {
  interface Window {
    wacrmBench?: BenchApi;
    /** Exposed by puppeteer (page.exposeFunction): runs in Node. */
    benchReport?: (kind: ReportKind, value: string, pageAt: number) => Promise<void>;
  }
}

const clock = () => performance.timeOrigin + performance.now();

/** Resolves after the next frame has been produced: rAF runs before it, a posted task after it. */
const afterNextPaint = () =>
  new Promise<void>((resolve) =>
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    }),
  );

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const panelOf = (bell: Bell) => bell.shadowRoot!.querySelector<Panel>('wacrm-notification-panel')!;
const badgeText = (bell: Bell) => bell.shadowRoot?.querySelector('[part="badge"]')?.textContent?.trim() ?? '';
const firstEntry = (bell: Bell) =>
  panelOf(bell).shadowRoot?.querySelector<HTMLElement>('[part~="item"]')?.dataset.id ?? null;
const renderedItems = (bell: Bell) => panelOf(bell).shadowRoot?.querySelectorAll('[part~="item"]').length ?? 0;

// ---------------------------------------------------------------- live: the stand-in, supabase-js

let liveBell: Bell | undefined;
let liveClient: { realtime: { isConnected(): boolean } } | undefined;

async function startLive(options: LiveOptions): Promise<void> {
  const supabase = createClient(options.url, options.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { data, error } = await supabase.auth.signInWithPassword({ email: options.email, password: options.password });
  if (error || !data.session) throw new Error(`sign-in failed: ${error?.message ?? 'no session'}`);
  liveClient = supabase;
  const bell = document.createElement('wacrm-notification-bell');
  // Every assignment must change the badge's text, also past 99.
  bell.maxCount = Number.MAX_SAFE_INTEGER;
  if (options.transport) bell.transport = options.transport;
  if (options.tabSharing) bell.tabSharing = options.tabSharing;
  bell.supabase = supabase;
  bell.session = data.session;
  document.body.append(bell);
  liveBell = bell;
  await until(() => {
    const { status, realtime } = bell.activeStore.state;
    return status === 'ready' && realtime === 'live';
  }, 'the bell to load and go live');
  await bell.updateComplete;
  await panelOf(bell).updateComplete;

  // Mutation records are delivered in a microtask right after Lit's update writes the DOM, so the
  // time read first thing in the callback is when the new text or entry is in the document.
  let badge = badgeText(bell);
  new MutationObserver(() => {
    const at = clock();
    const text = badgeText(bell);
    if (text === badge) return;
    badge = text;
    void window.benchReport?.('badge', text, at);
  }).observe(bell.shadowRoot!, { subtree: true, childList: true, characterData: true });

  let entry = firstEntry(bell);
  new MutationObserver(() => {
    const at = clock();
    const id = firstEntry(bell);
    if (id === entry || id === null) return;
    entry = id;
    void window.benchReport?.('entry', id, at);
  }).observe(panelOf(bell).shadowRoot!, { subtree: true, childList: true });
}

async function setOpen(open: boolean): Promise<void> {
  if (open) await liveBell!.show();
  else await liveBell!.hide();
  await afterNextPaint();
}

function liveState() {
  const bell = liveBell!;
  return {
    unreadCount: bell.activeStore.state.unreadCount,
    items: renderedItems(bell),
    badge: badgeText(bell),
    firstEntry: firstEntry(bell),
  };
}

// ---------------------------------------------------------------- render: in-memory data

const USER_ID = '00000000-0000-4000-8000-000000000001';

/** `count` notifications, newest first, one a minute, a quarter of them unread. */
function makeRows(count: number): WacrmNotification[] {
  const newest = Date.parse('2026-01-15T12:00:00Z');
  return Array.from({ length: count }, (_, index) => {
    const created = new Date(newest - index * 60_000).toISOString().replace('Z', '+00:00');
    return {
      id: `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
      account_id: '00000000-0000-4000-8000-00000000aaaa',
      user_id: USER_ID,
      type: 'conversation_assigned',
      conversation_id: `00000000-0000-4000-9000-${String(index + 1).padStart(12, '0')}`,
      contact_id: null,
      actor_user_id: null,
      title: 'New conversation assigned',
      body: `Agent ${index % 17} assigned you a conversation with Contact ${index}`,
      read_at: index % 4 === 0 ? null : created,
      created_at: created,
      data: null,
      seen_at: index % 4 === 0 ? null : created,
      archived_at: null,
    };
  });
}

/** The queries of the data source, answered from an array (newest first) instead of PostgREST. */
class MemoryQueries implements NotificationQueries {
  constructor(private rows: WacrmNotification[]) {}

  async fetchPage(limit: number, after?: Cursor): Promise<WacrmNotification[]> {
    const start = after ? this.rows.findIndex((row) => compareNewestFirst(row, after) > 0) : 0;
    return start < 0 ? [] : this.rows.slice(start, start + limit);
  }

  async fetchWindow(oldest: Cursor): Promise<WacrmNotification[]> {
    return this.rows.filter((row) => compareNewestFirst(row, oldest) <= 0);
  }

  async countInbox(after?: Cursor): Promise<InboxCounts> {
    const beyond = this.rows.filter((row) => !after || compareNewestFirst(row, after) > 0);
    return { unread: beyond.filter((row) => row.read_at === null).length, unseen: beyond.filter((row) => row.seen_at === null).length };
  }

  markRead(ids: string[] | null): Promise<number> {
    return this.#stamp('read_at', ids);
  }

  markSeen(ids: string[] | null): Promise<number> {
    return this.#stamp('seen_at', ids);
  }

  async #stamp(field: 'read_at' | 'seen_at', ids: string[] | null): Promise<number> {
    const at = new Date().toISOString();
    let changed = 0;
    this.rows = this.rows.map((row) => {
      if (row[field] !== null || (ids && !ids.includes(row.id))) return row;
      changed++;
      return { ...row, [field]: at };
    });
    return changed;
  }

  // The render bench lists the inbox only: nothing here archives, and settings are never opened.
  async archive(): Promise<number> {
    throw new Error('the render bench does not archive');
  }

  async unarchive(): Promise<number> {
    throw new Error('the render bench does not archive');
  }

  async fetchPreferences(): Promise<NotificationPreferences> {
    return { conversation_assigned: true, message_received: true, deal_updated: true };
  }

  async setPreference(): Promise<void> {
    throw new Error('the render bench does not change settings');
  }
}

/** A store holding all of `items` rows, loaded page by page as the panel would. */
async function loadedStore(items: number, pageSize = 20): Promise<NotificationStore> {
  const store = new NotificationStore({ pageSize });
  store.reset(new MemoryQueries(makeRows(items)), USER_ID);
  await store.sync();
  while (store.state.hasMore) await store.loadMore();
  if (store.state.items.length !== items) throw new Error(`loaded ${store.state.items.length} of ${items} rows`);
  return store;
}

async function mountBell(store: NotificationStore): Promise<Bell> {
  const bell = document.createElement('wacrm-notification-bell');
  bell.store = store;
  document.body.append(bell);
  await bell.updateComplete;
  await panelOf(bell).updateComplete;
  await afterNextPaint();
  return bell;
}

async function timeOpening(bell: Bell, runs: number): Promise<OpenTimings> {
  const expected = bell.activeStore.state.items.length;
  if (renderedItems(bell) !== expected) throw new Error(`the panel renders ${renderedItems(bell)} of ${expected} items`);
  const timings: OpenTimings = { toPaintMs: [], toShownMs: [] };
  // The first opening is a warm-up (style sharing, code paths compiled): not counted.
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    await bell.show();
    const shown = performance.now();
    await afterNextPaint();
    const painted = performance.now();
    if (run > 0) {
      timings.toShownMs.push(shown - started);
      timings.toPaintMs.push(painted - started);
    }
    await bell.hide();
    await afterNextPaint();
    await sleep(30);
  }
  if (renderedItems(bell) !== expected) throw new Error('the list changed while timing its opening');
  return timings;
}

let pager: Bell | undefined;
const mounted: Bell[] = [];

const api: BenchApi = {
  clock,
  live: { start: startLive, setOpen, state: liveState, connected: () => liveClient?.realtime.isConnected() ?? false },
  render: {
    async openTimes(items, runs) {
      const bell = await mountBell(await loadedStore(items));
      mounted.push(bell);
      try {
        return await timeOpening(bell, runs);
      } finally {
        bell.remove();
      }
    },
    async mountPager(total, pageSize) {
      const store = new NotificationStore({ pageSize });
      store.reset(new MemoryQueries(makeRows(total)), USER_ID);
      await store.sync();
      pager = await mountBell(store);
      mounted.push(pager);
      await pager.show();
      await afterNextPaint();
    },
    async pageThrough() {
      const bell = pager!;
      const store = bell.activeStore;
      const list = panelOf(bell).shadowRoot!.querySelector<HTMLElement>('[part="list"]')!;
      const started = performance.now();
      let pages = 1;
      // As a reader does: scroll to the end, wait for the next page to land and render, again.
      while (store.state.hasMore) {
        const before = store.state.items.length;
        list.scrollTop = list.scrollHeight;
        await until(() => store.state.items.length > before || !store.state.hasMore, 'the next page');
        pages++;
        await panelOf(bell).updateComplete;
        await afterNextPaint();
      }
      const ms = performance.now() - started;
      await bell.hide();
      await afterNextPaint();
      return { items: renderedItems(bell), pages, ms };
    },
    openPagerTimes: (runs) => timeOpening(pager!, runs),
    async mountAndOpen(items) {
      const store = await loadedStore(items);
      const started = performance.now();
      const bell = document.createElement('wacrm-notification-bell');
      bell.store = store;
      document.body.append(bell);
      await bell.show();
      await panelOf(bell).updateComplete;
      await afterNextPaint();
      const ms = performance.now() - started;
      if (renderedItems(bell) !== items) throw new Error(`rendered ${renderedItems(bell)} of ${items} items`);
      bell.remove();
      return ms;
    },
    clear() {
      for (const bell of mounted.splice(0)) bell.remove();
      pager = undefined;
    },
  },
};

window.wacrmBench = api;
