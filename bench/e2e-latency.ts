// End to end in Chromium: the commit of an assignment to the bell's new badge text, and (panel
// open) to the panel's new entry, through the real stack: the stand-in's trigger, logical
// replication, its Realtime, supabase-js in the page, the store and Lit.
//
// One clock. Node timestamps the commit (right after the UPDATE's reply, i.e. after COMMIT) and the
// arrival (when the page's MutationObserver callback reaches Node through a puppeteer binding), so
// the figure never depends on two processes agreeing about the time. The binding's trip from page
// to Node is included, so the figure is an upper bound. The page's own timestamp, mapped onto
// Node's clock by the smallest-round-trip offset, gives a lower estimate beside it.
import type { Browser, Page } from 'puppeteer-core';
import type pg from 'pg';
import { PASSWORD, Fixtures, type Agent } from '../test/support/fixtures.js';
import { startTarget, type Target } from '../test/support/target.js';
import { openBenchPage } from './browser.js';
import { whileRunning } from './cleanup.js';
import type { ReportKind } from './page/bench-page.js';
import { now, percentile, round, sleep } from './report.js';

export interface EndToEndOptions {
  browser: Browser;
  pageUrl: string;
  /** Assignments timed in each phase (panel closed, panel open). Default 300. */
  assignments?: number;
  /** Untimed assignments before each phase. Default 10. */
  warmUp?: number;
  /** Pause after each arrival, so that each assignment meets an idle page. Default 25 ms. */
  gapMs?: number;
  /** The bell's transport. Default postgres_changes (the element's default). */
  transport?: 'postgres_changes' | 'broadcast';
  log?: (line: string) => void;
  /** Page errors and console errors land here. */
  errors: string[];
}

export interface Distribution {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface EndToEndFigures {
  /** Timed per phase (panel closed, panel open), after `warmUp` untimed ones. */
  assignments: number;
  warmUp: number;
  gapMs: number;
  /** Panel closed: commit → badge text, Node's clock at both ends. */
  badge: Distribution;
  /** The same arrivals timed by the page, mapped onto Node's clock. */
  badgePageClock: Distribution;
  /** Panel open: commit → the new entry at the top of the list. */
  entry: Distribution;
  entryPageClock: Distribution;
  /** Panel open: commit → badge, for comparison with the closed panel. */
  badgePanelOpen: Distribution;
  /** Half the smallest round trip of the clock comparison: the page-clock figures' uncertainty. */
  clockUncertaintyMs: number;
  /** Arrivals that never came within 5 s (should be 0). */
  missing: number;
  /** Entries whose notification id is not the one the assignment's trigger wrote (should be 0). */
  wrongEntries: number;
  /** After everything: badge text and rendered entries against SQL. */
  finalBadge: string;
  finalUnreadInDatabase: number;
}

interface Arrival {
  kind: ReportKind;
  value: string;
  nodeAt: number;
  pageAt: number;
}

const distribution = (samples: number[]): Distribution => ({
  p50: round(percentile(samples, 50)),
  p95: round(percentile(samples, 95)),
  p99: round(percentile(samples, 99)),
  max: round(percentile(samples, 100)),
});

/** page clock − Node clock, from the evaluation with the smallest round trip. */
async function clockOffset(page: Page): Promise<{ offset: number; uncertainty: number }> {
  let best = { offset: 0, uncertainty: Number.POSITIVE_INFINITY };
  for (let sample = 0; sample < 50; sample++) {
    const sent = now();
    const pageAt = await page.evaluate(() => window.wacrmBench!.clock());
    const received = now();
    const uncertainty = (received - sent) / 2;
    if (uncertainty < best.uncertainty) best = { offset: pageAt - (sent + received) / 2, uncertainty };
  }
  return best;
}

export async function benchEndToEnd(options: EndToEndOptions): Promise<EndToEndFigures> {
  const count = options.assignments ?? 300;
  const warmUp = options.warmUp ?? 10;
  const gapMs = options.gapMs ?? 25;
  const log = options.log ?? (() => undefined);
  let target: Target | undefined;
  let fixtures: Fixtures | undefined;
  let page: Page | undefined;
  let connection: pg.PoolClient | undefined;
  let registered = () => undefined as unknown;
  try {
    log('starting the stand-in (fresh database)');
    const launched = await startTarget();
    target = launched;
    registered = whileRunning(() => launched.stop());
    fixtures = new Fixtures(target);
    const accountId = await fixtures.account('End-to-end bench');
    const agent: Agent = await fixtures.agent(accountId, 'Bench Agent');
    const total = 2 * (warmUp + count);
    // One conversation per assignment, each assigned once: every assignment notifies the agent.
    const conversationIds = await fixtures.conversations(accountId, total);

    // Arrivals: each waiter takes the first report of its kind that satisfies it.
    const arrivals: Arrival[] = [];
    let waiters: { kind: ReportKind; accept: (value: string) => boolean; resolve: (arrival: Arrival) => void }[] = [];
    const errors = options.errors;
    page = await openBenchPage(options.browser, options.pageUrl, errors);
    await page.exposeFunction('benchReport', (kind: ReportKind, value: string, pageAt: number) => {
      const arrival = { kind, value, pageAt, nodeAt: now() };
      arrivals.push(arrival);
      const waiter = waiters.find((candidate) => candidate.kind === kind && candidate.accept(value));
      if (waiter) {
        waiters = waiters.filter((candidate) => candidate !== waiter);
        waiter.resolve(arrival);
      }
    });
    const arrivalOf = (kind: ReportKind, accept: (value: string) => boolean) =>
      new Promise<Arrival | undefined>((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((candidate) => candidate.resolve !== done);
          resolve(undefined);
        }, 5000);
        const done = (arrival: Arrival) => {
          clearTimeout(timer);
          resolve(arrival);
        };
        waiters.push({ kind, accept, resolve: done });
      });

    log('signing the agent in in Chromium');
    await page.evaluate(
      (live) => window.wacrmBench!.live.start(live),
      { url: target.url, anonKey: target.anonKey, email: agent.email, password: PASSWORD, transport: options.transport ?? 'postgres_changes' },
    );
    const { offset, uncertainty } = await clockOffset(page);

    connection = await fixtures.db.connect();
    let assigned = 0;
    let missing = 0;
    const expectedEntry = new Map<string, string>(); // conversation id → the entry the page showed
    const phase = async (panelOpen: boolean) => {
      await page!.evaluate((open) => window.wacrmBench!.live.setOpen(open), panelOpen);
      await sleep(200);
      const badge: number[] = [];
      const badgePage: number[] = [];
      const entry: number[] = [];
      const entryPage: number[] = [];
      for (let index = 0; index < warmUp + count; index++) {
        const conversationId = conversationIds[assigned]!;
        assigned++;
        const badgeArrival = arrivalOf('badge', (text) => text === String(assigned));
        const entryArrival = panelOpen ? arrivalOf('entry', () => true) : undefined;
        await connection!.query('update public.conversations set assigned_agent_id = $1 where id = $2', [
          agent.id,
          conversationId,
        ]);
        const committedAt = now();
        const [onBadge, onEntry] = await Promise.all([badgeArrival, entryArrival]);
        if (!onBadge || (panelOpen && !onEntry)) missing++;
        if (index >= warmUp) {
          if (onBadge) {
            badge.push(onBadge.nodeAt - committedAt);
            badgePage.push(onBadge.pageAt - offset - committedAt);
          }
          if (onEntry) {
            entry.push(onEntry.nodeAt - committedAt);
            entryPage.push(onEntry.pageAt - offset - committedAt);
          }
        }
        if (onEntry) expectedEntry.set(conversationId, onEntry.value);
        await sleep(gapMs);
      }
      return { badge, badgePage, entry, entryPage };
    };

    log(`${warmUp} + ${count} assignments, panel closed`);
    const closed = await phase(false);
    log(`${warmUp} + ${count} assignments, panel open`);
    const open = await phase(true);

    // The entries shown were the notifications these assignments wrote, and the badge is exact.
    const { rows: written } = await fixtures.db.query<{ id: string; conversation_id: string }>(
      'select id, conversation_id from public.notifications where user_id = $1',
      [agent.id],
    );
    const writtenFor = new Map(written.map((row) => [row.conversation_id, row.id]));
    const wrongEntries = [...expectedEntry].filter(([conversation, id]) => writtenFor.get(conversation) !== id).length;
    const { rows: unread } = await fixtures.db.query<{ n: number }>(
      'select count(*)::int as n from public.notifications where user_id = $1 and read_at is null',
      [agent.id],
    );
    await sleep(100);
    const final = await page.evaluate(() => window.wacrmBench!.live.state());

    return {
      assignments: count,
      warmUp,
      gapMs,
      badge: distribution(closed.badge),
      badgePageClock: distribution(closed.badgePage),
      entry: distribution(open.entry),
      entryPageClock: distribution(open.entryPage),
      badgePanelOpen: distribution(open.badge),
      clockUncertaintyMs: round(uncertainty, 3),
      missing,
      wrongEntries,
      finalBadge: final.badge,
      finalUnreadInDatabase: unread[0]!.n,
    };
  } finally {
    connection?.release();
    await page?.close().catch(() => undefined);
    await fixtures?.end();
    await target?.stop();
    registered();
  }
}
