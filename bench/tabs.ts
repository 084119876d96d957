// Tab sharing in Chromium, through the real stack: 5 tabs of one user open on the bench page (real
// pages of one browser context, so they share the origin's Web Locks and BroadcastChannel as a
// user's tabs do), each with its own supabase-js client and bell, sharing on (the default).
//   - sockets: the Realtime connections open at the stand-in (its read-only counter) once every tab
//     is live, and, for contrast, the same 5 tabs with tab-sharing="off";
//   - lag: each assignment committed, then every tab's new badge text timed as in e2e-latency.ts
//     (Node's clock at both ends, through each page's puppeteer binding); a tab's lag is its arrival
//     minus the arrival in the tab that holds the socket (the leader), and the figure is the
//     largest over every tab and assignment.
import type { Browser, Page } from 'puppeteer-core';
import { PASSWORD, Fixtures } from '../test/support/fixtures.js';
import { startTarget, type Target } from '../test/support/target.js';
import { openBenchPage } from './browser.js';
import { whileRunning } from './cleanup.js';
import type { ReportKind } from './page/bench-page.js';
import { now, percentile, round, sleep } from './report.js';

export interface TabsOptions {
  browser: Browser;
  pageUrl: string;
  /** Default 5. */
  tabs?: number;
  /** Timed assignments (after 5 untimed). Default 100. */
  assignments?: number;
  /** Pause after each assignment has reached every tab. Default 25 ms. */
  gapMs?: number;
  transport?: 'postgres_changes' | 'broadcast';
  log?: (line: string) => void;
  errors: string[];
}

export interface TabsFigures {
  tabs: number;
  /** Realtime connections open at the stand-in with the tabs sharing (NaN against a real stack). */
  sockets: number;
  /** Tabs whose client has a socket (from the pages' side). */
  leaders: number;
  /** The same tabs with tab-sharing="off". */
  socketsUnshared: number;
  assignments: number;
  /** Largest lag of any tab behind the leader, over every assignment. */
  maxLagMs: number;
  lagP50Ms: number;
  lagP99Ms: number;
  /** Commit → the badge in the leader. */
  leaderP50Ms: number;
  leaderP99Ms: number;
  /** Commit → the badge in the last of the tabs. */
  allTabsP50Ms: number;
  allTabsP99Ms: number;
  /** Badge changes that never came within 5 s, summed over tabs (should be 0). */
  missing: number;
  /** Tabs whose final badge differs from SQL's unread count (should be 0). */
  wrongBadges: number;
}

interface Tab {
  page: Page;
  waiters: { value: string; resolve: (at: number) => void }[];
}

/** Opens `count` tabs of one user, each live; their badge reports come to `tab.waiters`. */
async function openTabs(
  options: TabsOptions,
  target: Target,
  email: string,
  count: number,
  tabSharing: 'on' | 'off',
): Promise<Tab[]> {
  const tabs: Tab[] = [];
  for (let index = 0; index < count; index++) {
    const page = await openBenchPage(options.browser, options.pageUrl, options.errors);
    const tab: Tab = { page, waiters: [] };
    tabs.push(tab);
    await page.exposeFunction('benchReport', (kind: ReportKind, value: string) => {
      const at = now();
      if (kind !== 'badge') return;
      const waiter = tab.waiters.find((candidate) => candidate.value === value);
      if (!waiter) return;
      tab.waiters = tab.waiters.filter((candidate) => candidate !== waiter);
      waiter.resolve(at);
    });
    await page.evaluate((live) => window.wacrmBench!.live.start(live), {
      url: target.url,
      anonKey: target.anonKey,
      email,
      password: PASSWORD,
      transport: options.transport ?? 'postgres_changes',
      tabSharing,
    });
  }
  return tabs;
}

const badgeOf = (tab: Tab, value: string) =>
  new Promise<number | undefined>((resolve) => {
    const timer = setTimeout(() => {
      tab.waiters = tab.waiters.filter((candidate) => candidate.resolve !== done);
      resolve(undefined);
    }, 5000);
    const done = (at: number) => {
      clearTimeout(timer);
      resolve(at);
    };
    tab.waiters.push({ value, resolve: done });
  });

/** Sockets at the stand-in once they have settled (a tab that just handed over may still be closing one). */
async function socketsAt(target: Target): Promise<number> {
  if (!target.local) return Number.NaN;
  await sleep(500);
  return target.local.realtimeConnections();
}

export async function benchTabs(options: TabsOptions): Promise<TabsFigures> {
  const count = options.tabs ?? 5;
  const timed = options.assignments ?? 100;
  const warmUp = 5;
  const gapMs = options.gapMs ?? 25;
  const log = options.log ?? (() => undefined);
  let target: Target | undefined;
  let fixtures: Fixtures | undefined;
  let tabs: Tab[] = [];
  let registered = () => undefined as unknown;
  const closeTabs = async () => {
    await Promise.all(tabs.map((tab) => tab.page.close().catch(() => undefined)));
    tabs = [];
  };
  try {
    log('starting the stand-in (fresh database)');
    const launched = await startTarget();
    target = launched;
    registered = whileRunning(() => launched.stop());
    fixtures = new Fixtures(target);
    const accountId = await fixtures.account('Tabs bench');
    const agent = await fixtures.agent(accountId, 'Tab Agent');
    const other = await fixtures.agent(accountId, 'Unshared Agent');
    const conversationIds = await fixtures.conversations(accountId, warmUp + timed);

    // For contrast: the same tabs, each with its own connection.
    log(`${count} tabs with tab-sharing="off"`);
    tabs = await openTabs(options, target, other.email, count, 'off');
    const socketsUnshared = await socketsAt(target);
    await closeTabs();
    await sleep(500);

    log(`${count} tabs of one user, sharing`);
    tabs = await openTabs(options, target, agent.email, count, 'on');
    const sockets = await socketsAt(target);
    const connected = await Promise.all(tabs.map((tab) => tab.page.evaluate(() => window.wacrmBench!.live.connected())));
    const leaders = connected.filter(Boolean).length;
    const leader = connected.indexOf(true);
    log(`${sockets} socket(s) at the stand-in; tab ${leader + 1} leads`);

    const connection = await fixtures.db.connect();
    const lags: number[] = [];
    const leaderLatencies: number[] = [];
    const allTabsLatencies: number[] = [];
    let missing = 0;
    try {
      for (let index = 0; index < warmUp + timed; index++) {
        const value = String(index + 1);
        const arrivals = tabs.map((tab) => badgeOf(tab, value));
        await connection.query('update public.conversations set assigned_agent_id = $1 where id = $2', [agent.id, conversationIds[index]]);
        const committedAt = now();
        const at = await Promise.all(arrivals);
        missing += at.filter((arrival) => arrival === undefined).length;
        if (index >= warmUp && at.every((arrival) => arrival !== undefined)) {
          const times = at;
          const reference = leader >= 0 ? times[leader]! : Math.min(...times);
          leaderLatencies.push(reference - committedAt);
          allTabsLatencies.push(Math.max(...times) - committedAt);
          times.forEach((time, tab) => {
            if (tab !== leader) lags.push(time - reference);
          });
        }
        await sleep(gapMs);
      }
    } finally {
      connection.release();
    }

    const { rows } = await fixtures.db.query<{ n: number }>(
      'select count(*)::int as n from public.notifications where user_id = $1 and read_at is null',
      [agent.id],
    );
    await sleep(100);
    const badges = await Promise.all(tabs.map((tab) => tab.page.evaluate(() => window.wacrmBench!.live.state().badge)));
    const wrongBadges = badges.filter((badge) => badge !== String(rows[0]!.n)).length;

    return {
      tabs: count,
      sockets,
      leaders,
      socketsUnshared,
      assignments: timed,
      maxLagMs: round(percentile(lags, 100)),
      lagP50Ms: round(percentile(lags, 50)),
      lagP99Ms: round(percentile(lags, 99)),
      leaderP50Ms: round(percentile(leaderLatencies, 50)),
      leaderP99Ms: round(percentile(leaderLatencies, 99)),
      allTabsP50Ms: round(percentile(allTabsLatencies, 50)),
      allTabsP99Ms: round(percentile(allTabsLatencies, 99)),
      missing,
      wrongBadges,
    };
  } finally {
    await closeTabs();
    await fixtures?.end();
    await target?.stop();
    registered();
  }
}
